"""Stemming vs lemmatization: the notes' table, from Porter's stemmer and WordNet's lemmatizer.

The notes: "Stemming and Lemmatization both generate the foundation sort of the inflected words and
therefore the only difference is that stem may not be an actual word whereas, lemma is an actual
language word." Porter's rules cut "computers" to "comput", which is no word, and cannot know that
"feet" is the plural of "foot"; the lemmatizer looks words up in WordNet (its exception list maps feet
to foot) and answers with words. The stemmer also merges "information" and "informative" into
"inform"; the lemmatizer keeps them as the two words they are.

The lemmatizer needs the word's part of speech (noun by default): the extra rows show a verb and an
adjective. It reads the WordNet 3.0 database from $GLASSBOX_WORDNET or /usr/share/wordnet (Debian's
wordnet-base; ``make system-deps`` installs it).

    python examples/stemming_vs_lemmatization.py
"""

from glassbox.text.lemmatize import WordNetLemmatizer
from glassbox.text.stem import PorterStemmer

NOTES_WORDS = ["information", "informative", "computers", "feet"]
MORE_WORDS = [("running", "v"), ("better", "a"), ("geese", "n"), ("studies", "v")]


def compare(words=NOTES_WORDS, more=MORE_WORDS):
    """Rows (word, part of speech, Porter stem, WordNet lemma)."""
    stemmer, lemmatizer = PorterStemmer(), WordNetLemmatizer()
    return [(word, pos, stemmer.stem(word), lemmatizer.lemmatize(word, pos))
            for word, pos in [(word, "n") for word in words] + list(more)]


def main():
    rows = compare()
    print(f"{'word':14}{'PorterStemmer stemming':26}WordNetLemmatizer lemmatization")
    for word, pos, stem, lemma in rows:
        label = word if pos == "n" else f"{word} ({pos})"
        print(f"{label:14}{stem:26}{lemma}")
    return rows


if __name__ == "__main__":
    main()
