"""Tokenization: splitting text into sentences, words or characters.

The notes: "The first thing you need to do in any NLP project is text preprocessing. Tokenization can
separate sentences, words, characters, or subwords. When we split the text into sentences, we call it
sentence tokenization. For words, we call it words tokenization."

``word_tokenize`` follows the Penn Treebank conventions that NLTK's ``word_tokenize`` uses, and keeps
whole the pieces of modern text that Treebank rules break apart:

    "Don't pay $1,000.50 at https://shop.example.com/a?b=1, e-mail bob@example.com #NLP 👍🏽!"
    → Do | n't | pay | $ | 1,000.50 | at | https://shop.example.com/a?b=1 | , | e-mail |
      bob@example.com | #NLP | 👍🏽 | !

- contractions are split as in Treebank (``contractions="split"``, the default): "don't" → "do" "n't",
  "can't" → "ca" "n't", "I'm" → "I" "'m", "John's" → "John" "'s", "cannot" → "can" "not",
  "gonna" → "gon" "na"; ``contractions="keep"`` leaves "don't" whole;
- numbers keep their decimal point, thousands separators, fraction bar or colon (3.14, 1,000, .5, 3/4,
  12:30), also inside a compound ("15,000-pound");
- URLs, e-mail addresses, #hashtags, @mentions and emoji (skin tones, ZWJ families, flags, keycaps)
  stay one token, and so do common abbreviations ("Mr.", "Dr.", "e.g.", "U.S."), initials before a
  name ("John F. Kennedy") and ASCII emoticons (":-)");
- hyphenated words stay whole ("state-of-the-art"), as in Treebank;
- every other non-word character is its own token ("(", "$", "!", "/"), except "..." and "--".

Where NLTK differs: it writes a double quote as two backquotes or two apostrophes (here it stays
``"``); it splits a period only at the end of the text it is given (here off every word that is not an
abbreviation, so a text of several sentences tokenizes the same whole or split); it keeps "TCP/IP" and
a word-final hyphen ("yellow- or") whole.

Text is Unicode-normalised first (``normalization="NFC"`` by default: "e" + combining acute becomes
"é", so it stays inside its word; "NFKC" also folds compatibility forms such as "ﬁ" → "fi" and
full-width letters). Scripts written without spaces (Chinese, Japanese, Thai) are not segmented.
"""

from __future__ import annotations

import re
import unicodedata

NORMALIZATIONS = (None, "NFC", "NFKC", "NFD", "NFKD")

# Abbreviations that keep their period (as one token) and never end a sentence: titles before a name,
# and the Latin and reference abbreviations that are followed by more of the same sentence.
TITLE_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof rev hon gen col capt lt sgt gov sen rep st mt fig figs vs cf eq approx dept".split())
# Abbreviations that keep their period but end a sentence when a capitalised word follows ("Apple Inc. It ...").
FINAL_ABBREVIATIONS = frozenset(
    "etc inc ltd co corp jr sr bros ft oz lb lbs jan feb mar apr jun jul aug sep sept oct nov dec".split())
LATIN_ABBREVIATIONS = frozenset({"e.g", "i.e"})  # written with a period inside

_EMOJI_BASE = "[\U0001F300-\U0001F5FF\U0001F600-\U0001F64F\U0001F680-\U0001F6FF\U0001F900-\U0001F9FF" \
              "\U0001FA70-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u2300-\u23FF]"
_EMOJI_MODIFIER = "[\uFE0F\U0001F3FB-\U0001F3FF\U000E0020-\U000E007F]"  # variation selector, skin tones, tags
EMOJI = (rf"(?:[\U0001F1E6-\U0001F1FF]{{2}}"  # a flag: two regional indicators
         rf"|[0-9#*]\uFE0F?\u20E3"  # a keycap
         rf"|{_EMOJI_BASE}{_EMOJI_MODIFIER}*(?:\u200D{_EMOJI_BASE}{_EMOJI_MODIFIER}*)*)")  # ZWJ sequences

EMOTICON = r"(?<![\w:;=\[(])[:;=][-']?[)(\]\[DPpOo/\\|*](?![\w)(\]\[])"  # :-) ;( :P

_abbreviations = "|".join(sorted(TITLE_ABBREVIATIONS | FINAL_ABBREVIATIONS, key=len, reverse=True))
_TOKEN = re.compile("|".join([
    r"(?:https?://|ftp://|www\.)[^\s<>\"]*[^\s<>\"'.,;:!?)\]}]",  # URL, trailing punctuation left out
    r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+",  # e-mail address
    r"[#@]\w+",  # hashtag, mention
    EMOJI,
    EMOTICON,
    r"(?<![\w.])(?:[A-Za-z]\.){2,}",  # initialisms: U.S., e.g., i.e.
    rf"(?<![\w.])(?i:{_abbreviations})\.",  # Mr. Dr. etc.
    r"(?<![\w.])[A-Z]\.(?=\s+[A-Z])",  # an initial before a name: John F. Kennedy
    # numbers with a decimal point, thousands separators, a fraction or a time, alone or in a compound
    r"(?:\d+(?:[.,/:]\d+)+|(?<![\w.])\.\d+)(?:-\w+)*",
    r"(?P<word>\w+(?:['’]\w+)*(?:-\w+(?:['’]\w+)*)*)",  # words, hyphenated compounds, inner apostrophes
    r"\.{2,}|…|-{2,}",  # ellipsis, dashes
    r"[^\w\s]",  # any other symbol, one per token
]))
# A trailing clitic: n't, 's, 'm, 'd, 'll, 're, 've (straight or curly apostrophe).
_CLITIC = re.compile(r"(?i)^(.+?)(n['’]t|['’](?:s|m|d|ll|re|ve))$")
# Treebank's whole-word splits (MacIntyre's contractions): "cannot" → "can" "not" …
_SPLIT_AT_THREE = frozenset({"cannot", "gimme", "gonna", "gotta", "lemme", "wanna"})
_PUNCTUATION_ONLY = re.compile(r"[^\w\s]+")
_EMOJI_OR_EMOTICON = re.compile(f"{EMOJI}|{EMOTICON}")


def normalize(text: str, normalization: str | None = "NFC", lowercase: bool = False) -> str:
    """``text`` in Unicode normal form ``normalization`` (None: unchanged), lower-cased if asked."""
    if not isinstance(text, str):
        raise TypeError(f"tokenize: expected a str, got {type(text).__name__}")
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"tokenize: normalization must be one of {NORMALIZATIONS}, got {normalization!r}")
    if normalization is not None:
        text = unicodedata.normalize(normalization, text)
    return text.lower() if lowercase else text


def _split_contraction(word: str) -> list[str]:
    if word.lower() in _SPLIT_AT_THREE:
        return [word[:3], word[3:]]
    clitics = []
    while (match := _CLITIC.match(word)) is not None:  # "I'd've" → "I" "'d" "'ve"
        word, clitic = match.groups()
        clitics.insert(0, clitic)
    return [word, *clitics]


def word_tokenize(text: str, *, lowercase: bool = False, normalization: str | None = "NFC",
                  contractions: str = "split", keep_punctuation: bool = True) -> list[str]:
    """The words, numbers, punctuation and other tokens of ``text`` (see the module docstring).

    ``contractions``: "split" (Treebank: "don't" → "do" "n't") or "keep" ("don't").
    ``keep_punctuation=False`` drops the tokens made only of punctuation ("," "..." "(") but keeps
    emoji, hashtags and emoticons.
    """
    if contractions not in ("split", "keep"):
        raise ValueError(f"word_tokenize: contractions must be 'split' or 'keep', got {contractions!r}")
    tokens = []
    for match in _TOKEN.finditer(normalize(text, normalization)):
        if contractions == "split" and match.group("word"):  # not inside a URL, an e-mail address …
            tokens += _split_contraction(match.group())
        else:
            tokens.append(match.group())
    if not keep_punctuation:
        tokens = [token for token in tokens
                  if not _PUNCTUATION_ONLY.fullmatch(token) or _EMOJI_OR_EMOTICON.fullmatch(token)]
    return [token.lower() for token in tokens] if lowercase else tokens


# A sentence may end at . ! ? or an ellipsis, followed by closing quotes or brackets, then whitespace.
_CLOSERS = "\"'”’)]"
_OPENERS = "\"'“‘(["
_SENTENCE_END = re.compile(rf"[.!?…]+[{re.escape(_CLOSERS)}]*(?=\s)")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
_WORD_BEFORE = re.compile(r"(\S+)$")


def _ends_sentence(text: str, end: int, punctuation: str) -> bool:
    """Whether the ``punctuation`` that ends at ``end`` in ``text`` closes a sentence."""
    following = text[end:].lstrip()
    if following and following[0].islower():  # "what?" she asked.
        return False
    if punctuation.rstrip(_CLOSERS) != ".":
        return True
    word = _WORD_BEFORE.search(text, 0, end - len(punctuation))
    if word is None:
        return True
    before = word.group(1).lstrip(_OPENERS).lower()
    if before in TITLE_ABBREVIATIONS or before in LATIN_ABBREVIATIONS:
        return False
    return not (len(before) == 1 and before.isalpha())  # an initial: "John F. Kennedy"


def sent_tokenize(text: str, *, normalization: str | None = "NFC") -> list[str]:
    """The sentences of ``text``, each stripped of surrounding whitespace.

    A sentence ends at ".", "!", "?" or an ellipsis (with any closing quotes or brackets) that is
    followed by whitespace and a word that does not start in lowercase, unless the period belongs to a
    title or Latin abbreviation ("Mr.", "Dr.", "e.g.") or to an initial ("John F. Kennedy"); a blank line
    always ends one. "3.14", "example.com" and "Apple Inc. is" do not end sentences.
    """
    text = normalize(text, normalization)
    sentences = []
    for paragraph in _PARAGRAPH_BREAK.split(text):
        start = 0
        for match in _SENTENCE_END.finditer(paragraph):
            if _ends_sentence(paragraph, match.end(), match.group()):
                sentences.append(paragraph[start:match.end()])
                start = match.end()
        sentences.append(paragraph[start:])
    return [sentence.strip() for sentence in sentences if sentence.strip()]


_CHARACTER = re.compile(EMOJI + r"|(?s:.)[\u0300-\u036F\u1AB0-\u1AFF\u1DC0-\u1DFF\u20D0-\u20FF\uFE20-\uFE2F]*")


def char_tokenize(text: str, *, lowercase: bool = False, normalization: str | None = "NFC",
                  keep_whitespace: bool = True) -> list[str]:
    """The characters of ``text``: an emoji sequence (👍🏽, 👨‍👩‍👧) and a letter with its combining
    accents each count as one character."""
    characters = _CHARACTER.findall(normalize(text, normalization, lowercase))
    return characters if keep_whitespace else [character for character in characters if not character.isspace()]


def strip_accents(text: str, method: str = "unicode") -> str:
    """``text`` without accents, as scikit-learn's ``strip_accents``: decompose (NFKD) and drop the
    combining marks ("unicode": "café" → "cafe", other scripts kept), or keep only what is ASCII after
    decomposing ("ascii": faster, drops every non-Latin letter)."""
    if method == "ascii":
        return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    if method != "unicode":
        raise ValueError(f"strip_accents: method must be 'unicode' or 'ascii', got {method!r}")
    if text.isascii():
        return text
    return "".join(character for character in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(character))
