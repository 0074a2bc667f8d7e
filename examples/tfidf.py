"""TF-IDF: the notes' worked example for "good boy / good girl / boy girl good".

The notes define

    TF  = (number of repetitions of the word in the sentence) / (number of words in the sentence)
    IDF = log(number of sentences / number of sentences containing the word)      (natural log)

"So we have to multiply TF & IDF to quantify words in a set of documents." This script prints their
three tables: TF (a row per word, a column per sentence), IDF, and TF × IDF (a row per sentence), first
as the notes write the entries (1/2 × log(3/2)), then as numbers from ``TfidfVectorizer``, whose
default is exactly this formula. "good" is in every sentence, so its IDF is log(3/3) = 0 and it weighs
nothing: "TF-IDF gives importance to uncommon words".

    python examples/tfidf.py
"""

from fractions import Fraction

from glassbox.text.count import CountVectorizer
from glassbox.text.tfidf import TfidfVectorizer
from glassbox.text.vocabulary import Vocabulary

SENTENCES = ["good boy", "good girl", "boy girl good"]


def tfidf_tables(sentences=SENTENCES):
    """The words (most frequent first), TF as fractions (sentences, words), IDF as text, TF × IDF as
    text, and TF × IDF as numbers from TfidfVectorizer (sentences, words)."""
    analyze = CountVectorizer().build_analyzer()
    kept = [analyze(sentence) for sentence in sentences]
    words = Vocabulary.build(kept, pad_token=None, unk_token=None, bos_token=None, eos_token=None).get_itos()
    counts = CountVectorizer(vocabulary=words, output="numpy").fit_transform(sentences)  # (sentences, words)
    n_sentences = len(sentences)
    containing = (counts > 0).sum(axis=0).tolist()  # sentences containing each word
    term_frequency = [[Fraction(int(count), len(tokens)) for count in row] for row, tokens in zip(counts, kept,
                                                                                                strict=True)]
    idf_text = [f"log({n_sentences}/{df})" + (" = 0" if df == n_sentences else "") for df in containing]
    product_text = [["0" if tf == 0 or df == n_sentences else f"{tf} × log({n_sentences}/{df})"
                     for tf, df in zip(row, containing, strict=True)] for row in term_frequency]
    values = TfidfVectorizer(vocabulary=words, output="numpy").fit_transform(sentences)
    return words, term_frequency, idf_text, product_text, values


def _rows(header, rows) -> str:
    return "\n".join("\t".join(map(str, row)) for row in [header, *rows])


def main():
    words, term_frequency, idf_text, product_text, values = tfidf_tables()
    sentence_names = [f"Sent. {index}" for index in range(1, len(term_frequency) + 1)]
    print("TF")
    print(_rows(["", *sentence_names], [[word, *column] for word, column in
                                        zip(words, zip(*term_frequency, strict=True), strict=True)]))
    print("\nIDF")
    print(_rows(["words", "IDF"], zip(words, idf_text, strict=True)))
    print("\nTF × IDF")
    feature_names = [f"f_{index} {word}" for index, word in enumerate(words, 1)]
    print(_rows(["", *feature_names], [[name, *row] for name, row in zip(sentence_names, product_text, strict=True)]))
    print("\nTfidfVectorizer()")
    print(_rows(["", *feature_names], [[name, *(f"{value:.4f}" for value in row)]
                                       for name, row in zip(sentence_names, values, strict=True)]))
    return words, term_frequency, idf_text, product_text, values


if __name__ == "__main__":
    main()
