import logging
import math
import random

import pytest

from glassbox.text import bleu

sacrebleu = pytest.importorskip("sacrebleu")
logging.getLogger("sacrebleu").setLevel(logging.ERROR)  # its "enable effective_order" advice, once per call

SMOOTHING = ["none", "floor", "add-k", "exp"]
TOKENIZERS = ["13a", "none", "intl", "char"]
WORDS = ("the a cat dog sat on mat . , ! ? ; : 3.5 1,000 12-3 - ( ) \" ' & &amp; <tag> $5 café é « » € — "
         "Über 10% x/y").split()


def random_sentence(rng: random.Random, longest: int) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(0, longest)))


def random_corpus(seed: int):
    """Hypotheses and 1-4 reference streams from a small vocabulary, so that n-grams of every order match."""
    rng = random.Random(seed)
    segments, streams = rng.randint(1, 8), rng.randint(1, 4)
    longest = rng.choice([3, 8, 20, 40])
    hypotheses = [random_sentence(rng, longest) for _ in range(segments)]
    references = [[random_sentence(rng, longest) for _ in range(segments)] for _ in range(streams)]
    return hypotheses, references


def assert_same_score(ours, theirs, compare_counts=True):
    assert ours.score == pytest.approx(theirs.score, abs=1e-6)
    assert ours.bp == pytest.approx(theirs.bp, abs=1e-12)
    assert (ours.sys_len, ours.ref_len) == (theirs.sys_len, theirs.ref_len)
    assert ours.precisions == pytest.approx(theirs.precisions, abs=1e-9)
    if compare_counts:  # sacreBLEU reports add-k's counts after adding k
        assert (list(ours.counts), list(ours.totals)) == (list(theirs.counts), list(theirs.totals))


@pytest.mark.parametrize("seed", range(15))
def test_corpus_bleu_equals_sacrebleu_on_seeded_random_corpora(seed):
    hypotheses, references = random_corpus(seed)
    for tokenize in TOKENIZERS:
        for smooth_method in SMOOTHING:
            for effective_order in (False, True):
                options = {"smooth_method": smooth_method, "tokenize": tokenize, "use_effective_order": effective_order}
                assert_same_score(bleu.corpus_bleu(hypotheses, references, **options),
                                  sacrebleu.corpus_bleu(hypotheses, references, **options),
                                  compare_counts=smooth_method != "add-k")


@pytest.mark.parametrize("seed", range(15))
def test_sentence_bleu_equals_sacrebleu_on_seeded_random_sentences(seed):
    hypotheses, references = random_corpus(seed)
    hypothesis, segment_references = hypotheses[0], [stream[0] for stream in references]
    for tokenize in TOKENIZERS:
        for smooth_method in SMOOTHING:
            for effective_order in (False, True):
                options = {"smooth_method": smooth_method, "tokenize": tokenize, "use_effective_order": effective_order}
                assert_same_score(bleu.sentence_bleu(hypothesis, segment_references, **options),
                                  sacrebleu.sentence_bleu(hypothesis, segment_references, **options),
                                  compare_counts=smooth_method != "add-k")


EDGE_CASES = {
    "empty hypothesis": ([""], [["the cat sat on the mat"]]),
    "empty reference": (["the cat"], [[""]]),
    "both empty": ([""], [[""]]),
    "no matching 4-grams": (["the cat sat on a mat"], [["the cat sat by a mat"]]),
    "nothing matches": (["a b c d e"], [["f g h i j"]]),
    "shorter than 4 words": (["the cat"], [["the cat sat"]]),
    "longer than the reference": (["the the the the the the the"], [["the cat"]]),
    "several references, closest length tie": (["a b c d"], [["a b c"], ["a b c d e"], ["x y z w"]]),
    "clipping by the best reference": (["the the the the"], [["the cat the"], ["the the the dog"]]),
    "punctuation, 13a": (["Hello, world! It costs $3.50 (or 3,50) -- a-b 12-3 &amp; &quot;ok&quot;."],
                         [["Hello , world ! It costs $ 3.50 ( or 3,50 ) -- a-b 12 - 3 & \"ok\" ."]]),
    "unicode punctuation and symbols": (["«Bonjour», dit-il — 3,5 € ; ça va ? 1.000,00 ¥ ©"],
                                        [["« Bonjour » , dit-il — 3,5 € ; ça va ? 1.000,00 ¥ ©"]]),
    "trailing whitespace and newlines": (["the cat \n", "line-\nbreak  "], [["the cat", "linebreak"]]),
    "identical": (["the quick brown fox jumps over the lazy dog"], [["the quick brown fox jumps over the lazy dog"]]),
    "corpus of several segments": (["the cat sat", "", "a dog , a cat .", "on the mat"],
                                   [["the cat sat down", "nothing", "a dog, a cat.", "on a mat"],
                                    ["a cat sat", "nothing at all", "the dog and the cat", "on the mat"]]),
}


@pytest.mark.parametrize("case", EDGE_CASES)
def test_edge_cases_equal_sacrebleu(case):
    hypotheses, references = EDGE_CASES[case]
    for tokenize in TOKENIZERS:
        for smooth_method, smooth_value in [("none", None), ("floor", None), ("floor", 0.5), ("add-k", None),
                                            ("add-k", 2), ("exp", None)]:
            for lowercase in (False, True):
                options = {"smooth_method": smooth_method, "smooth_value": smooth_value, "tokenize": tokenize,
                           "lowercase": lowercase}
                assert_same_score(bleu.corpus_bleu(hypotheses, references, **options),
                                  sacrebleu.corpus_bleu(hypotheses, references, **options),
                                  compare_counts=smooth_method != "add-k")
                segment_references = [stream[0] for stream in references]
                assert_same_score(bleu.sentence_bleu(hypotheses[0], segment_references, **options),
                                  sacrebleu.sentence_bleu(hypotheses[0], segment_references, **options),
                                  compare_counts=smooth_method != "add-k")


def test_a_missing_reference_leaves_that_segment_with_fewer_references():
    hypotheses = ["the cat sat", "a dog ran", "on the mat"]
    references = [["the cat sat", "a dog walked", "on a mat"], ["a cat sat", None, "on the mat"]]
    assert_same_score(bleu.corpus_bleu(hypotheses, references), sacrebleu.corpus_bleu(hypotheses, references))


@pytest.mark.parametrize("tokenize", TOKENIZERS)
def test_tokenizers_equal_sacrebleus(tokenize):
    from sacrebleu.metrics.bleu import _get_tokenizer

    theirs = _get_tokenizer(tokenize)()
    rng = random.Random(7)
    lines = [case[0][0] for case in EDGE_CASES.values()] + [random_sentence(rng, 30) for _ in range(200)]
    lines += ["x.y,z", "1.5.", "a.b 3.", "(1)", "[a]{b}", "e-mail 2-3 -4", "&lt;tag&gt;", "<skipped> kept",
              "naïve 東京 😀 ‰ ‹a› “q” ¿que?"]
    for line in lines:
        assert bleu.TOKENIZERS[tokenize](line) == theirs(line), line


def test_the_formula_by_hand():
    # hypothesis 6 words, reference 6 words: matches 5/6 unigrams, 3/5 bigrams, 1/4 trigrams, 0/3 4-grams
    hypothesis, reference = "the cat sat on the mat", "the cat is on the mat"
    score = bleu.sentence_bleu(hypothesis, [reference], smooth_method="floor", smooth_value=0.1)
    assert score.counts == [5, 3, 1, 0] and score.totals == [6, 5, 4, 3]
    expected = math.exp((math.log(5 / 6) + math.log(3 / 5) + math.log(1 / 4) + math.log(0.1 / 3)) / 4)
    assert score.bp == 1.0
    assert score.score == pytest.approx(100 * expected, rel=1e-12)
    # exp smoothing: the first order without a match gets 1 / (2 · total)
    exp_score = bleu.sentence_bleu(hypothesis, [reference], smooth_method="exp")
    assert exp_score.precisions[3] == pytest.approx(100 / (2 * 3))
    # brevity penalty exp(1 - r / c) for a hypothesis shorter than its reference
    short = bleu.sentence_bleu("the cat", ["the cat sat on the mat"], smooth_method="none", use_effective_order=True)
    assert short.bp == pytest.approx(math.exp(1 - 6 / 2))
    assert short.score == pytest.approx(100 * math.exp(1 - 6 / 2))
    # without effective order a 2-word sentence has no 3-grams: BLEU 0
    assert bleu.sentence_bleu("the cat", ["the cat"], smooth_method="none", use_effective_order=False).score == 0.0


def test_bad_arguments_fail_clearly():
    with pytest.raises(ValueError, match="smooth_method"):
        bleu.corpus_bleu(["a"], [["a"]], smooth_method="laplace")
    with pytest.raises(ValueError, match="tokenize"):
        bleu.corpus_bleu(["a"], [["a"]], tokenize="moses")
    with pytest.raises(ValueError, match="reference stream 0 has 1 segments"):
        bleu.corpus_bleu(["a", "b"], [["a"]])
    with pytest.raises(TypeError, match="reference streams"):
        bleu.corpus_bleu(["a"], ["a"])
    with pytest.raises(TypeError, match="hypotheses"):
        bleu.corpus_bleu("a", [["a"]])
    with pytest.raises(ValueError, match="no reference"):
        bleu.corpus_bleu(["a"], [[None]])
    with pytest.raises(TypeError, match="non-empty list"):
        bleu.sentence_bleu("a", [])


def test_score_prints_like_sacrebleu():
    score = bleu.corpus_bleu(["the cat sat on the mat"], [["the cat sat on a mat"]])
    theirs = sacrebleu.corpus_bleu(["the cat sat on the mat"], [["the cat sat on a mat"]])
    assert str(score) == f"BLEU = {theirs.score:.2f} {theirs._verbose}"
