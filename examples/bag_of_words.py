"""Bag of words: the notes' table for "He is a good boy / She is a good girl / Boy & girl are good".

The notes: "A bag of words is a representation of text that describes the occurrence of words within a
document. It involves two things: A vocabulary of known words. A measure of the presence of known
words." Three steps build their table:

1. analyze each sentence: lower-case it, keep the words ("&" and the one-letter "a" are not words
   here), drop the stopwords (he, she, is, are): "good boy", "good girl", "boy girl good";
2. the vocabulary: the words kept, most frequent first (good 3 times, boy and girl twice each);
3. one row per sentence, one column per vocabulary word: 1 if the word occurs in the sentence
   (``binary=True``, the notes' "presence"), else 0. The notes' O/P column is where a label (the output
   to predict from the row) would go; these sentences have none.

    python examples/bag_of_words.py
"""

from glassbox.text.count import CountVectorizer
from glassbox.text.vocabulary import Vocabulary

SENTENCES = ["He is a good boy", "She is a good girl", "Boy & girl are good"]


def bag_of_words(sentences=SENTENCES):
    """(the words each sentence keeps, the vocabulary in column order, the 0/1 table (sentences, words))."""
    analyze = CountVectorizer(stop_words="english").build_analyzer()
    kept = [analyze(sentence) for sentence in sentences]
    vocabulary = Vocabulary.build(kept, pad_token=None, unk_token=None, bos_token=None, eos_token=None)
    words = vocabulary.get_itos()  # most frequent first
    vectorizer = CountVectorizer(stop_words="english", binary=True, vocabulary=words, output="numpy")
    return kept, words, vectorizer.fit_transform(sentences)  # (3 sentences, 3 words)


def format_table(words, table) -> str:
    """The table as the notes write it: tab-separated, a row per sentence, the O/P column last."""
    lines = ["\t" + "\t".join([*words, "O/P"])]
    lines += [f"Sent {row}\t" + "\t".join([*map(str, values), "-"]) for row, values in enumerate(table.tolist(), 1)]
    return "\n".join(lines)


def main():
    kept, words, table = bag_of_words()
    for sentence, tokens in zip(SENTENCES, kept, strict=True):
        print(f"{sentence!r:24} → {' '.join(tokens)}")
    print(f"vocabulary (most frequent first): {words}\n")
    print(format_table(words, table))
    return kept, words, table


if __name__ == "__main__":
    main()
