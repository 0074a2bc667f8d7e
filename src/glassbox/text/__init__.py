"""glassbox.text: the notes' text preprocessing, levels I and II.

Level I: ``word_tokenize`` / ``sent_tokenize`` / ``char_tokenize``, ``porter_stem``, ``lemmatize``
(WordNet), ``stopwords``. Level II: ``Vocabulary``, n-grams, bag of words (``CountVectorizer``) and
TF-IDF (``TfidfVectorizer``: the notes' formula by default, scikit-learn's with ``like_sklearn()``).
Level III: ``Word2Vec`` / ``KeyedVectors`` / ``AverageWord2Vec``; and ``corpus_bleu`` / ``sentence_bleu``.

NLTK (Porter's stemmer) and SciPy (sparse matrices) are imported only by the functions that need
them: ``pip install 'glassbox[text]'``.
"""

from glassbox.text.bleu import corpus_bleu, sentence_bleu
from glassbox.text.count import CountVectorizer, NotFittedError
from glassbox.text.keyed_vectors import KeyedVectors
from glassbox.text.lemmatize import WordNetLemmatizer, lemmatize
from glassbox.text.ngrams import bigrams, char_ngrams, char_wb_ngrams, everygrams, ngrams, trigrams, word_ngrams
from glassbox.text.stem import PorterStemmer, porter_stem, stem_tokens
from glassbox.text.stopwords import remove_stopwords, stopwords
from glassbox.text.tfidf import TfidfVectorizer
from glassbox.text.tokenize import char_tokenize, normalize, sent_tokenize, strip_accents, word_tokenize
from glassbox.text.vocabulary import Vocabulary
from glassbox.text.word2vec import AverageWord2Vec, Word2Vec

__all__ = [
    "AverageWord2Vec", "CountVectorizer", "KeyedVectors", "NotFittedError", "Word2Vec", "corpus_bleu",
    "sentence_bleu", "PorterStemmer", "TfidfVectorizer", "Vocabulary", "WordNetLemmatizer",
    "bigrams", "char_ngrams", "char_tokenize", "char_wb_ngrams", "everygrams", "lemmatize", "ngrams", "normalize",
    "porter_stem", "remove_stopwords", "sent_tokenize", "stem_tokens", "stopwords", "strip_accents", "trigrams",
    "word_ngrams", "word_tokenize",
]
