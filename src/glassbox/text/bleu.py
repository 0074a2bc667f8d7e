"""BLEU (Papineni et al., 2002): how close a machine translation is to human references.

The notes: "to measure the machine translation effectiveness, we evaluate the closeness of the machine
translation to human reference translation using a metric known as BLEU - Bilingual Evaluation
Understudy". Over a corpus of hypotheses (system outputs), each with one or more references:

    p_n = Σ_segments Σ_{n-gram g} min(count_hyp(g), max_ref count_ref(g)) / Σ_segments Σ_g count_hyp(g)
                                            modified n-gram precision: a hypothesis n-gram is credited at
                                            most as often as it appears in one reference
    BP  = 1 if c > r else exp(1 - r / c)    brevity penalty; c: hypothesis words, r: for each segment the
                                            reference length closest to its hypothesis (the shorter on a
                                            tie), summed
    BLEU = 100 · BP · exp(Σ_{n=1..N} (1/N) log p_n)             N = 4

so BLEU is the geometric mean of the 1- to 4-gram precisions, penalised when the output is shorter than
the references (precision alone would reward saying little). It is a corpus statistic: counts are
summed over all segments before dividing. ``sentence_bleu`` is the same on one segment, where a
missing 4-gram match would give 0; smoothing (Chen and Cherry, 2014, by sacreBLEU's names) fixes that:

    "none"    p_n = 0 gives BLEU = 0
    "floor"   a zero count becomes ``smooth_value`` (0.1):  p_n = 0.1 / total_n
    "add-k"   for n ≥ 2, add ``smooth_value`` (1) to the matches and the totals
    "exp"     the k-th order with no match gets p_n = 1 / (2^k · total_n)   (mteval-v13a's; the default)

``use_effective_order`` stops at the highest order that has any n-gram at all (sentences shorter
than 4 words). Text is tokenised first, as sacreBLEU does: "13a" (the default: mteval-v13a's rules,
punctuation split off except inside numbers), "intl" (mteval-v14's international rules on Unicode
punctuation and symbols), "char" (every character a token) or "none" (split on whitespace only).
Results equal sacreBLEU's ``corpus_bleu`` and ``sentence_bleu`` with the same arguments.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

MAX_NGRAM_ORDER = 4
SMOOTH_DEFAULTS = {"none": None, "floor": 0.1, "add-k": 1, "exp": None}
_LOG_OF_ZERO = -9999999999  # sacreBLEU floors log(0) to this, so a zero precision gives a score of 0


# ---- tokenisation --------------------------------------------------------------------------------------
_13A_RULES = [
    (re.compile(r"([\{-\~\[-\` -\&\(-\+\:-\@\/])"), r" \1 "),  # symbols and most punctuation
    (re.compile(r"([^0-9])([\.,])"), r"\1 \2 "),  # period and comma, unless preceded by a digit
    (re.compile(r"([\.,])([^0-9])"), r" \1 \2"),  # period and comma, unless followed by a digit
    (re.compile(r"([0-9])(-)"), r"\1 \2 "),  # dash after a digit
]


def tokenize_13a(line: str) -> str:
    """mteval-v13a's tokenisation (WMT's standard): "Hello, world!" → "Hello , world !"."""
    line = line.replace("<skipped>", "").replace("-\n", "").replace("\n", " ")
    if "&" in line:
        line = line.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    line = f" {line} "
    for pattern, replacement in _13A_RULES:
        line = pattern.sub(replacement, line)
    return " ".join(line.split())


@functools.cache
def _unicode_class(prefix: str, negate: bool = False) -> str:
    """A regular-expression class of every code point whose Unicode category starts with ``prefix``
    (P: punctuation, S: symbols, N: numbers), as ``regex``'s \\p{P} (or \\P{N} with ``negate``).
    Planes 4 to 16 hold no punctuation, symbol or number (only tags, variation selectors and private
    use), so the scan stops at plane 3."""
    ranges, start, end = [], None, 0x40000
    for code in range(end + 1):
        inside = code < end and unicodedata.category(chr(code)).startswith(prefix)
        if inside and start is None:
            start = code
        elif not inside and start is not None:
            ranges.append(f"\\U{start:08x}" + (f"-\\U{code - 1:08x}" if code - 1 > start else ""))
            start = None
    return "[" + ("^" if negate else "") + "".join(ranges) + "]"


@functools.cache
def _intl_rules() -> list:
    punctuation, symbol, not_number = _unicode_class("P"), _unicode_class("S"), _unicode_class("N", negate=True)
    return [
        (re.compile(f"({not_number})({punctuation})"), r"\1 \2 "),  # punctuation after a non-digit
        (re.compile(f"({punctuation})({not_number})"), r" \1 \2"),  # punctuation before a non-digit
        (re.compile(f"({symbol})"), r" \1 "),  # every symbol
    ]


def tokenize_intl(line: str) -> str:
    """mteval-v14's international tokenisation: Unicode punctuation split off unless between digits,
    every Unicode symbol split off ("3.5 €, «ok»" → "3.5 € , « ok »")."""
    for pattern, replacement in _intl_rules():
        line = pattern.sub(replacement, line)
    return " ".join(line.split())


def tokenize_char(line: str) -> str:
    """Every character its own token (spaces too become separators): "ab c" → "a b   c"."""
    return " ".join(line)


TOKENIZERS = {"13a": tokenize_13a, "intl": tokenize_intl, "char": tokenize_char, "none": lambda line: line}


# ---- statistics ----------------------------------------------------------------------------------------
def ngram_counts(tokens: list, max_order: int = MAX_NGRAM_ORDER) -> Counter:
    """How often each n-gram (a tuple of tokens) occurs, for n = 1 … max_order."""
    return Counter(tuple(tokens[i:i + n]) for n in range(1, max_order + 1) for i in range(len(tokens) - n + 1))


def closest_reference_length(hypothesis_length: int, reference_lengths: list) -> int:
    """The reference length nearest the hypothesis's; the shorter one on a tie."""
    return min(reference_lengths, key=lambda length: (abs(hypothesis_length - length), length))


def segment_statistics(hypothesis: str, references: list, max_order: int = MAX_NGRAM_ORDER) -> list:
    """[hypothesis length, closest reference length, matches_1 … matches_N, totals_1 … totals_N] of one
    tokenised segment. A reference n-gram's count is its largest over the references (clipping)."""
    reference_counts, reference_lengths = Counter(), []
    for reference in references:
        tokens = reference.split()
        reference_lengths.append(len(tokens))
        for ngram, count in ngram_counts(tokens, max_order).items():
            reference_counts[ngram] = max(reference_counts[ngram], count)
    tokens = hypothesis.split()
    matches, totals = [0] * max_order, [0] * max_order
    for ngram, count in ngram_counts(tokens, max_order).items():
        totals[len(ngram) - 1] += count
        matches[len(ngram) - 1] += min(count, reference_counts.get(ngram, 0))
    return [len(tokens), closest_reference_length(len(tokens), reference_lengths)] + matches + totals


@dataclass
class BLEUScore:
    """A BLEU score (0 … 100) and what it is made of: n-gram matches and totals (before smoothing),
    precisions in percent (after smoothing), brevity penalty, hypothesis and reference lengths."""

    score: float
    counts: list = field(default_factory=list)
    totals: list = field(default_factory=list)
    precisions: list = field(default_factory=list)
    bp: float = 1.0
    sys_len: int = 0
    ref_len: int = 0

    def __str__(self) -> str:
        precisions = "/".join(f"{p:.1f}" for p in self.precisions)
        ratio = self.sys_len / self.ref_len if self.ref_len else 0
        return (f"BLEU = {self.score:.2f} {precisions} (BP = {self.bp:.3f} ratio = {ratio:.3f} "
                f"hyp_len = {self.sys_len} ref_len = {self.ref_len})")


def compute_bleu(matches: list, totals: list, sys_len: int, ref_len: int, smooth_method: str = "none",
                 smooth_value: float | None = None, effective_order: bool = False,
                 max_order: int = MAX_NGRAM_ORDER) -> BLEUScore:
    """BLEU from summed statistics (the formula of the module docstring, with the smoothing asked for)."""
    if smooth_method not in SMOOTH_DEFAULTS:
        raise ValueError(f"bleu: unknown smooth_method {smooth_method!r}, expected one of {list(SMOOTH_DEFAULTS)}")
    if smooth_value is None:
        smooth_value = SMOOTH_DEFAULTS[smooth_method]
    brevity_penalty = 1.0
    if sys_len < ref_len:
        brevity_penalty = math.exp(1 - ref_len / sys_len) if sys_len > 0 else 0.0
    precisions = [0.0] * max_order
    result = BLEUScore(0.0, list(matches), list(totals), precisions, brevity_penalty, sys_len, ref_len)
    if not any(matches):
        return result
    matches, totals = list(matches), list(totals)
    doubling, order = 1.0, max_order
    for n in range(1, max_order + 1):
        if smooth_method == "add-k" and n > 1:
            matches[n - 1] += smooth_value
            totals[n - 1] += smooth_value
        if totals[n - 1] == 0:
            break
        if effective_order:
            order = n
        if matches[n - 1] == 0:
            if smooth_method == "exp":
                doubling *= 2
                precisions[n - 1] = 100.0 / (doubling * totals[n - 1])
            elif smooth_method == "floor":
                precisions[n - 1] = 100.0 * smooth_value / totals[n - 1]
        else:
            precisions[n - 1] = 100.0 * matches[n - 1] / totals[n - 1]
    logs = [math.log(p) if p != 0.0 else _LOG_OF_ZERO for p in precisions[:order]]
    result.score = brevity_penalty * math.exp(sum(logs) / order)
    return result


# ---- the public functions ------------------------------------------------------------------------------
def _preprocess(tokenize: str, lowercase: bool):
    if tokenize not in TOKENIZERS:
        raise ValueError(f"bleu: unknown tokenize {tokenize!r}, expected one of {list(TOKENIZERS)}")
    tokenizer = TOKENIZERS[tokenize]
    return lambda text: tokenizer((text.lower() if lowercase else text).rstrip())


def corpus_bleu(hypotheses, references, smooth_method: str = "exp", smooth_value: float | None = None,
                force: bool = False, lowercase: bool = False, tokenize: str = "13a",
                use_effective_order: bool = False, max_ngram_order: int = MAX_NGRAM_ORDER) -> BLEUScore:
    """Corpus BLEU of ``hypotheses`` (a list of strings) against ``references``: a list of reference
    *streams*, each holding one reference per hypothesis (sacreBLEU's layout: ``[refs_1, refs_2]``
    for two references per segment); a ``None`` entry means that segment has one reference fewer.
    ``force`` is accepted for sacreBLEU compatibility (it only silences sacreBLEU's warnings)."""
    if isinstance(hypotheses, str) or not all(isinstance(h, str) for h in hypotheses):
        raise TypeError("corpus_bleu: hypotheses must be a list of strings")
    if isinstance(references, str) or not references or any(isinstance(s, str) for s in references):
        raise TypeError("corpus_bleu: references must be a non-empty list of reference streams (lists of strings), "
                        "e.g. [[ref_1_of_segment_1, ref_1_of_segment_2, …]]")
    for position, stream in enumerate(references):
        if len(stream) != len(hypotheses):
            raise ValueError(f"corpus_bleu: reference stream {position} has {len(stream)} segments, the hypotheses "
                             f"{len(hypotheses)}")
    preprocess = _preprocess(tokenize, lowercase)
    totals = [0] * (2 + 2 * max_ngram_order)
    for position, hypothesis in enumerate(hypotheses):
        segment_references = [preprocess(stream[position]) for stream in references if stream[position] is not None]
        if not segment_references:
            raise ValueError(f"corpus_bleu: segment {position} has no reference")
        statistics = segment_statistics(preprocess(hypothesis), segment_references, max_ngram_order)
        totals = [a + b for a, b in zip(totals, statistics, strict=True)]
    return compute_bleu(totals[2:2 + max_ngram_order], totals[2 + max_ngram_order:], totals[0], totals[1],
                        smooth_method, smooth_value, use_effective_order, max_ngram_order)


def sentence_bleu(hypothesis: str, references, smooth_method: str = "exp", smooth_value: float | None = None,
                  lowercase: bool = False, tokenize: str = "13a", use_effective_order: bool = True,
                  max_ngram_order: int = MAX_NGRAM_ORDER) -> BLEUScore:
    """BLEU of one hypothesis against its references (a list of strings), effective order on by default
    as in sacreBLEU's ``sentence_bleu``."""
    if not isinstance(hypothesis, str):
        raise TypeError(f"sentence_bleu: the hypothesis must be a string, got {type(hypothesis).__name__}")
    if isinstance(references, str) or not references:
        raise TypeError("sentence_bleu: references must be a non-empty list of strings")
    return corpus_bleu([hypothesis], [[reference] for reference in references], smooth_method, smooth_value,
                       lowercase=lowercase, tokenize=tokenize, use_effective_order=use_effective_order,
                       max_ngram_order=max_ngram_order)
