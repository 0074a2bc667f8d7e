from pathlib import Path

import pytest

from glassbox.text.tokenize import char_tokenize, normalize, sent_tokenize, strip_accents, word_tokenize

WORDNET_NOUNS = Path("/usr/share/wordnet/data.noun")


@pytest.mark.parametrize("text, tokens", [
    ("He is a good boy.", ["He", "is", "a", "good", "boy", "."]),
    # Treebank contractions
    ("I don't know, she can't go and we won't.", ["I", "do", "n't", "know", ",", "she", "ca", "n't", "go", "and",
                                                 "we", "wo", "n't", "."]),
    ("I'm sure it's John's, they're here; we've gone and you'll see I'd've won",
     ["I", "'m", "sure", "it", "'s", "John", "'s", ",", "they", "'re", "here", ";", "we", "'ve", "gone", "and",
      "you", "'ll", "see", "I", "'d", "'ve", "won"]),
    ("You cannot, gonna, wanna", ["You", "can", "not", ",", "gon", "na", ",", "wan", "na"]),
    ("Isn’t it", ["Is", "n’t", "it"]),  # a curly apostrophe
    ("O'Neil's rock'n'roll, the students' books", ["O'Neil", "'s", "rock'n'roll", ",", "the", "students", "'",
                                                  "books"]),
    # numbers
    ("pi is 3.14, a grand is 1,000 and 2,500,000.75 more; .5 left at 12:30 on 3/4", [
        "pi", "is", "3.14", ",", "a", "grand", "is", "1,000", "and", "2,500,000.75", "more", ";", ".5", "left", "at",
        "12:30", "on", "3/4"]),
    ("It costs $3.88 (10% off), a 15,000-pound bomb", ["It", "costs", "$", "3.88", "(", "10", "%", "off", ")", ",",
                                                       "a", "15,000-pound", "bomb"]),
    # URLs, e-mail, hashtags, mentions, emoji
    ("See https://example.com/a_b?q=1&r=2. Or www.example.org, ok", [
        "See", "https://example.com/a_b?q=1&r=2", ".", "Or", "www.example.org", ",", "ok"]),
    ("see https://x.com/don't and don't", ["see", "https://x.com/don't", "and", "do", "n't"]),
    ("Mail first.last+tag@mail.example.co.uk now", ["Mail", "first.last+tag@mail.example.co.uk", "now"]),
    ("Loving #NLP with @karpathy!", ["Loving", "#NLP", "with", "@karpathy", "!"]),
    ("great 👍🏽 family 👨‍👩‍👧 flag 🇫🇷 key 1️⃣ ok😀😀",
     ["great", "👍🏽", "family", "👨‍👩‍👧", "flag", "🇫🇷", "key", "1️⃣", "ok", "😀", "😀"]),
    ("nice :) sad :-( wink ;P but list[:] and Note:)", ["nice", ":)", "sad", ":-(", "wink", ";P", "but", "list", "[",
                                                         ":", "]", "and", "Note", ":", ")"]),
    # punctuation, abbreviations, hyphens
    ("Wait... what?! --no", ["Wait", "...", "what", "?", "!", "--", "no"]),
    ("Mr. Smith and Dr. Who met in the U.S. at 5 p.m., e.g. today, etc.", [
        "Mr.", "Smith", "and", "Dr.", "Who", "met", "in", "the", "U.S.", "at", "5", "p.m.", ",", "e.g.", "today", ",",
        "etc."]),
    ("John F. Kennedy read state-of-the-art e-mail", ["John", "F.", "Kennedy", "read", "state-of-the-art", "e-mail"]),
    ('"Quoted" and (bracketed) [x] {y}', ['"', "Quoted", '"', "and", "(", "bracketed", ")", "[", "x", "]", "{", "y",
                                          "}"]),
    ("", []),
])
def test_word_tokenize(text, tokens):
    assert word_tokenize(text) == tokens


def test_contractions_kept_whole_on_request():
    assert word_tokenize("I don't think we'll go, cannot", contractions="keep") == [
        "I", "don't", "think", "we'll", "go", ",", "cannot"]


def test_lowercase_and_punctuation_options():
    text = "Don't SHOUT, #NLP rocks :) 👍!"
    assert word_tokenize(text, lowercase=True) == ["do", "n't", "shout", ",", "#nlp", "rocks", ":)", "👍", "!"]
    # punctuation-only tokens go, emoji and emoticons stay
    assert word_tokenize(text, keep_punctuation=False) == ["Do", "n't", "SHOUT", "#NLP", "rocks", ":)", "👍"]


def test_unicode_normalization():
    decomposed = "cafe\u0301 ﬁne ＦＵＬＬ"
    assert word_tokenize(decomposed) == ["café", "ﬁne", "ＦＵＬＬ"]  # NFC composes the accent into its letter
    assert word_tokenize(decomposed, normalization=None)[:3] == ["cafe", "\u0301", "ﬁne"]
    assert word_tokenize(decomposed, normalization="NFKC") == ["café", "fine", "FULL"]
    assert normalize("ÉCOLE", lowercase=True) == "école"


def test_strip_accents_matches_scikit_learn():
    text = pytest.importorskip("sklearn.feature_extraction.text")
    for sample in ["café naïve Ångström", "ﬁ ½ Straße", "plain ascii", "Ελληνικά ά", "中文 e\u0301"]:
        assert strip_accents(sample, "unicode") == text.strip_accents_unicode(sample)
        assert strip_accents(sample, "ascii") == text.strip_accents_ascii(sample)


@pytest.mark.parametrize("text, sentences", [
    ("Mr. Smith went to Washington. He arrived at 3 p.m. Then he slept!", [
        "Mr. Smith went to Washington.", "He arrived at 3 p.m.", "Then he slept!"]),
    ('Did he? "Yes," she said. "Really?" he asked. Fine.', ['Did he?', '"Yes," she said.', '"Really?" he asked.',
                                                           'Fine.']),
    ("John F. Kennedy was president. Pi is 3.14. See example.com. It works", [
        "John F. Kennedy was president.", "Pi is 3.14.", "See example.com.", "It works"]),
    ("Apple Inc. It grew, e.g. In 2020. Apples etc. are fruit.", [
        "Apple Inc.", "It grew, e.g. In 2020.", "Apples etc. are fruit."]),
    ("Wait... What now? no idea", ["Wait...", "What now? no idea"]),
    ("First paragraph without a period\n\nSecond one\nstill going.", [
        "First paragraph without a period", "Second one\nstill going."]),
    ("  ", []),
])
def test_sent_tokenize(text, sentences):
    assert sent_tokenize(text) == sentences


def test_char_tokenize_keeps_graphemes_whole():
    assert char_tokenize("cafe\u0301 👍🏽!") == ["c", "a", "f", "é", " ", "👍🏽", "!"]
    assert char_tokenize("e\u0301", normalization=None) == ["e\u0301"]  # a letter and its combining accent
    assert char_tokenize("A b", lowercase=True, keep_whitespace=False) == ["a", "b"]


@pytest.mark.parametrize("function", [word_tokenize, sent_tokenize, char_tokenize])
def test_bad_input(function):
    with pytest.raises(TypeError, match="expected a str, got NoneType"):
        function(None)
    with pytest.raises(ValueError, match="normalization must be one of"):
        function("text", normalization="NFX")
    with pytest.raises(TypeError, match="expected a str, got bytes"):
        function(b"text")


def test_bad_contractions_option():
    with pytest.raises(ValueError, match="contractions must be 'split' or 'keep'"):
        word_tokenize("don't", contractions="expand")


@pytest.mark.skipif(not WORDNET_NOUNS.is_file(), reason="needs WordNet's data.noun (Debian wordnet-base; make "
                                                        "system-deps)")
def test_agrees_with_nltk_treebank_tokenizer_on_wordnet_glosses():
    """NLTK's word tokenizer and this one agree on real English prose, apart from the documented
    differences (NLTK splits only a text's final period, so "etc." or "U.S." at the end loses it; it keeps
    "TCP/IP" and "yellow-" whole; it writes quotes as `` and '')."""
    nltk_tokenize = pytest.importorskip("nltk.tokenize").NLTKWordTokenizer().tokenize
    glosses = []
    with WORDNET_NOUNS.open(encoding="utf-8") as file:
        for line in file:
            if not line.startswith(" "):
                glosses.append(line.split(" | ", 1)[1].strip())
            if len(glosses) == 1000:
                break
    different = []
    for gloss in glosses:
        expected = ['"' if token in ("``", "''") else token for token in nltk_tokenize(gloss)]
        tokens = word_tokenize(gloss)
        if tokens != expected:
            different.append(gloss)
            assert "".join(tokens) == "".join(expected)  # cut in other places, never a character lost or changed
    assert len(different) <= 10, different[:5]  # 99% identical
