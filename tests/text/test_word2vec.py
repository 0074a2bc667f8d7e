from pathlib import Path

import numpy as np
import pytest
import torch

import glassbox as gb
from glassbox.text import corpus, word2vec
from glassbox.text.word2vec import AverageWord2Vec, KeyedVectors, Word2Vec, negative_sampling_loss
from oracle import check, finite_difference_check

needs_wordnet = pytest.mark.skipif(
    not (Path(corpus.DEFAULT_WORDNET_PATH) / "data.noun").is_file(),
    reason="WordNet 3.0 is not installed at /usr/share/wordnet (Debian package wordnet-base: `make system-deps`)",
)
TOY = [["the", "dog", "barked", "at", "the", "cat"], ["the", "cat", "sat"], ["a", "dog", "and", "a", "cat", "ran"]] * 20


def torch_negative_sampling(hidden, output_vectors, targets, reduction="mean"):
    rows = output_vectors[targets]  # (B, 1+K, d)
    scores = torch.einsum("bd,bkd->bk", hidden, rows)
    logsigmoid = torch.nn.functional.logsigmoid
    loss = -(logsigmoid(scores[:, 0]) + logsigmoid(-scores[:, 1:]).sum(1))
    return {"none": loss, "sum": loss.sum(), "mean": loss.mean()}[reduction]


def composed_negative_sampling(hidden, output_vectors, targets, reduction="mean"):
    """The same loss from glassbox's own ops: gather, multiply, sum, softplus (log σ(x) = -softplus(-x))."""
    rows = output_vectors[targets]  # (B, 1+K, d), GetItem scatters its gradient with add.at
    scores = (rows * hidden.reshape(hidden.shape[0], 1, hidden.shape[1])).sum(-1)
    loss = gb.softplus(-scores[:, 0]) + gb.softplus(scores[:, 1:]).sum(1)
    return {"none": loss, "sum": loss.sum(), "mean": loss.mean()}[reduction]


def loss_inputs(dtype, batch=7, negatives=4, vocabulary=6, dimension=5, seed=0):
    rng = np.random.default_rng(seed)
    hidden = rng.normal(0, 1, (batch, dimension)).astype(dtype)
    output_vectors = rng.normal(0, 1, (vocabulary, dimension)).astype(dtype)
    targets = rng.integers(0, vocabulary, (batch, 1 + negatives))  # a small vocabulary: rows repeat
    return [hidden, output_vectors, targets]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_fused_negative_sampling_loss_matches_pytorch(dtype, reduction):
    check(lambda h, u, t: negative_sampling_loss(h, u, t, reduction=reduction),
          torch_fn=lambda h, u, t: torch_negative_sampling(h, u, t, reduction), inputs=loss_inputs(dtype), dtype=dtype)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_fused_negative_sampling_loss_matches_the_loss_composed_from_glassbox_ops(reduction):
    hidden, vectors, targets = loss_inputs("float64", seed=3)
    results = []
    for loss_function in (negative_sampling_loss, composed_negative_sampling):
        h, u = gb.tensor(hidden, requires_grad=True), gb.tensor(vectors, requires_grad=True)
        loss = loss_function(h, u, gb.tensor(targets), reduction=reduction)
        weight = gb.tensor(np.random.default_rng(1).uniform(-1, 1, loss.shape))
        (loss * weight).sum().backward()
        results.append((loss.detach().numpy(), h.grad.numpy(), u.grad.numpy()))
    for fused, composed in zip(*results, strict=True):
        np.testing.assert_allclose(fused, composed, rtol=1e-12, atol=1e-12)


def test_fused_negative_sampling_loss_gradients_match_finite_differences():
    finite_difference_check(lambda h, u, t: negative_sampling_loss(h, u, t, reduction="sum"),
                            inputs=loss_inputs("float64", batch=4, negatives=3, seed=5))


def test_fused_negative_sampling_loss_is_finite_for_huge_scores():
    hidden = gb.tensor([[100.0, -100.0]], requires_grad=True)
    output_vectors = gb.tensor([[1.0, -1.0], [-1.0, 1.0]], requires_grad=True)
    loss = negative_sampling_loss(hidden, output_vectors, [[0, 1]], reduction="sum")
    assert loss.item() == 0.0
    loss.backward()
    assert np.isfinite(hidden.grad.numpy()).all() and np.isfinite(output_vectors.grad.numpy()).all()
    wrong = negative_sampling_loss(hidden, output_vectors, [[1, 0]], reduction="sum")
    assert wrong.item() == pytest.approx(400.0)  # -log σ(-200) for the true pair, -log σ(-200) for the negative


def test_a_negative_that_is_the_true_word_is_skipped():
    model = Word2Vec(min_count=1, negative=4, seed=0).build_vocab([["a", "b"] * 10])
    positives = np.zeros(200, dtype=np.int32)
    targets, weights = model._targets(positives)
    assert targets.shape == (200, 5) and (targets[:, 0] == 0).all()
    np.testing.assert_array_equal(weights[:, 1:], targets[:, 1:] != 0)  # half the draws are word 0 itself
    scores = np.random.default_rng(0).normal(size=(200, 5))
    loss, dscores = word2vec.negative_sampling_parts(scores, weights)
    kept_loss, _ = word2vec.negative_sampling_parts(scores)
    expected = kept_loss - np.where(weights == 0, np.logaddexp(0, scores), 0).sum(1)
    np.testing.assert_allclose(loss, expected, rtol=1e-12)
    assert (dscores[weights == 0] == 0).all()


def test_fused_negative_sampling_loss_rejects_bad_shapes():
    hidden, vectors = gb.zeros(3, 4), gb.zeros(5, 4)
    with pytest.raises(ValueError, match=r"targets must be integers of shape \(3, 1\+K\)"):
        negative_sampling_loss(hidden, vectors, np.zeros((2, 3), dtype=np.int64))
    with pytest.raises(ValueError, match=r"hidden must be \(B, d\) and output_vectors \(V, d\)"):
        negative_sampling_loss(hidden, gb.zeros(5, 3), np.zeros((3, 2), dtype=np.int64))
    with pytest.raises(IndexError, match=r"targets must lie in \[0, 5\)"):
        negative_sampling_loss(hidden, vectors, np.full((3, 2), 5))
    with pytest.raises(ValueError, match="reduction"):
        negative_sampling_loss(hidden, vectors, np.zeros((3, 2), dtype=np.int64), reduction="max")


@pytest.mark.parametrize("method", ["in place", "sparse product", "add.at"])
def test_scatter_add_rows_adds_every_repeated_row(method, monkeypatch):
    monkeypatch.setattr(word2vec, "SCATTER_METHOD", [method])
    rng = np.random.default_rng(0)
    matrix = rng.normal(size=(9, 4)).astype(np.float32)
    vectors = rng.normal(size=(6, 4)).astype(np.float32)
    items = np.sort(rng.integers(0, 6, 40))
    rows = rng.integers(0, 9, 40)
    rows[:5] = 2  # a row hit many times
    coefficients = rng.normal(size=40).astype(np.float32)
    expected = matrix.copy()
    for row, item, coefficient in zip(rows, items, coefficients, strict=True):
        expected[row] += coefficient * vectors[item]
    word2vec.scatter_add_rows(matrix, rows, items, coefficients, vectors)
    np.testing.assert_allclose(matrix, expected, rtol=1e-5, atol=1e-5)


def test_window_pairs_match_a_loop_over_the_reduced_windows():
    rng = np.random.default_rng(1)
    sentence_ids = np.sort(rng.integers(0, 6, 50))
    reduced = rng.integers(1, 4, 50)
    centres, contexts = word2vec.window_pairs(sentence_ids, reduced, 10, 40, window=3)
    expected = [(i, j) for i in range(10, 40) for j in range(i - 3, i + 4)
                if j != i and 0 <= j < 50 and abs(j - i) <= reduced[i] and sentence_ids[j] == sentence_ids[i]]
    assert sorted(zip(centres.tolist(), contexts.tolist(), strict=True)) == sorted(expected)
    assert np.all(np.diff(centres) >= 0)  # sorted by centre, as the scatter needs


def test_vocabulary_subsampling_and_negative_table_follow_the_formulas():
    sentences = [["a"] * 50 + ["b"] * 20 + ["c"] * 5 + ["d"]] * 4
    model = Word2Vec(min_count=5, sample=0.01, vector_size=8).build_vocab(sentences)
    assert model.wv.index_to_key == ["a", "b", "c"]  # d, seen 4 times, is dropped
    counts = np.array([200.0, 80.0, 20.0])
    threshold = 0.01 * counts.sum()
    expected_keep = np.minimum((np.sqrt(counts / threshold) + 1) * threshold / counts, 1)
    np.testing.assert_allclose(model.keep_probability, expected_keep)
    shares = np.bincount(model.negative_table, minlength=3) / len(model.negative_table)
    np.testing.assert_allclose(shares, counts**0.75 / (counts**0.75).sum(), atol=2 / len(model.negative_table))
    assert model.syn1neg.shape == (3, 8) and not model.syn1neg.any()  # output vectors start at zero
    assert np.abs(model.wv.vectors).max() <= 0.5 / 8


def test_the_vocabulary_and_subsampling_agree_with_gensim():
    gensim = pytest.importorskip("gensim")
    sentences = [sentence + [f"w{i % 7}", f"v{i % 3}"] for i, sentence in enumerate(TOY)]
    ours = Word2Vec(min_count=3, sample=1e-2).build_vocab(sentences)
    theirs = gensim.models.Word2Vec(min_count=3, sample=1e-2)
    theirs.build_vocab(sentences)
    assert ours.wv.index_to_key == theirs.wv.index_to_key
    sample_int = np.array([theirs.wv.get_vecattr(word, "sample_int") for word in theirs.wv.index_to_key])
    np.testing.assert_allclose(ours.keep_probability, sample_int / 2**32, rtol=1e-6)


@pytest.mark.parametrize("sg", [1, 0])
def test_training_is_reproducible_and_the_loss_falls(sg):
    settings = dict(vector_size=10, min_count=1, sg=sg, epochs=20, sample=0, alpha=0.05, seed=3)
    first, second = Word2Vec(TOY, **settings), Word2Vec(TOY, **settings)
    np.testing.assert_array_equal(first.wv.vectors, second.wv.vectors)
    assert first.epoch_losses == second.epoch_losses
    assert first.epoch_losses[-1] < 0.8 * first.epoch_losses[0]
    assert not np.array_equal(first.wv.vectors, Word2Vec(TOY, vector_size=10, min_count=1, sg=sg, seed=4).wv.vectors)


def test_bad_corpora_and_settings_are_refused_clearly():
    with pytest.raises(ValueError, match="the corpus is empty"):
        Word2Vec([])
    with pytest.raises(ValueError, match="the corpus is empty"):
        Word2Vec([[], []])
    with pytest.raises(TypeError, match=r"sentence 1 holds the token 3 of type int, expected str"):
        Word2Vec([["a", "b"], ["c", 3]], min_count=1)
    with pytest.raises(TypeError, match="sentence 0 is a str, expected a list of tokens"):
        Word2Vec(["the dog barked"], min_count=1)
    with pytest.raises(ValueError, match="no word occurs min_count=100 times"):
        Word2Vec(TOY, min_count=100)
    with pytest.raises(ValueError, match="invalid window=0"):
        Word2Vec(window=0)
    with pytest.raises(ValueError, match="invalid sg=2"):
        Word2Vec(sg=2)
    model = Word2Vec(min_count=1).build_vocab(TOY)
    with pytest.raises(ValueError, match="none of the sentences holds a word of the vocabulary"):
        model.train([["unseen", "words"]])
    with pytest.raises(RuntimeError, match="build_vocab"):
        Word2Vec().train(TOY)


def small_vectors():
    keys = ["king", "queen", "man", "woman", "apple"]
    vectors = np.array([[1, 1, 0], [1, 1, 1], [1, 0, 0], [1, 0, 1], [-1, 0, 0.1]], dtype=np.float32)
    return KeyedVectors(keys, vectors, counts=[5, 4, 3, 2, 1])


def test_most_similar_ranks_by_cosine_and_leaves_out_the_query_words():
    wv = small_vectors()
    unit = wv.vectors / np.linalg.norm(wv.vectors, axis=1, keepdims=True)
    analogy = wv.most_similar(positive=["king", "woman"], negative=["man"], topn=2)
    query = unit[0] + unit[3] - unit[2]
    query /= np.linalg.norm(query)
    assert analogy[0][0] == "queen"
    assert analogy[0][1] == pytest.approx(float(unit[1] @ query), rel=1e-6)
    assert [word for word, _ in wv.most_similar("king", topn=10)] == ["queen", "man", "woman", "apple"]
    assert wv.most_similar("king", topn=None).shape == (5,)
    assert wv.similarity("man", "woman") == pytest.approx(1 / np.sqrt(2), rel=1e-6)
    assert wv.doesnt_match(["king", "queen", "man", "apple"]) == "apple"
    np.testing.assert_array_equal(wv["queen"], [1, 1, 1])
    assert wv[["man", "woman"]].shape == (2, 3) and "king" in wv and "prince" not in wv and len(wv) == 5


def test_unknown_words_raise_a_key_error_naming_the_word():
    wv = small_vectors()
    with pytest.raises(KeyError, match="'prince' not present"):
        wv.most_similar(positive=["king", "prince"])
    with pytest.raises(KeyError, match="'duke' not present"):
        wv.most_similar(positive=["king"], negative=["duke"])
    with pytest.raises(KeyError, match="'prince' not present"):
        wv.similarity("prince", "king")
    with pytest.raises(KeyError, match="'prince' not present"):
        wv["prince"]
    with pytest.raises(ValueError, match="at least one"):
        wv.most_similar()


def test_document_vectors_average_the_known_words():
    wv = small_vectors()
    np.testing.assert_allclose(wv.document_vector(["king", "man", "unknown"]), [1, 0.5, 0])
    np.testing.assert_array_equal(wv.document_vector(["nothing", "known"]), [0, 0, 0])
    transformer = AverageWord2Vec(keyed_vectors=wv).fit(None)
    features = transformer.transform([["queen", "apple"], "King man", []])
    np.testing.assert_allclose(features, [[0, 0.5, 0.55], [1, 0.5, 0], [0, 0, 0]], rtol=1e-6)
    trained = AverageWord2Vec(vector_size=6, min_count=1, epochs=2).fit_transform(TOY[:3] * 5)
    assert trained.shape == (15, 6) and trained.dtype == np.float32
    with pytest.raises(RuntimeError, match="call fit first"):
        AverageWord2Vec().transform([["a"]])


def test_average_word2vec_works_in_a_scikit_learn_pipeline():
    pipeline_module = pytest.importorskip("sklearn.pipeline")
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    documents = [["dog", "barked", "at", "the", "cat"], ["the", "cat", "sat"]] * 10 + [["stocks", "fell"]] * 10
    labels = [0] * 20 + [1] * 10
    pipeline = pipeline_module.make_pipeline(AverageWord2Vec(vector_size=8, min_count=1, epochs=3),
                                             StandardScaler(), LogisticRegression())  # young vectors are tiny
    assert pipeline.fit(documents, labels).score(documents, labels) == 1.0
    from sklearn.base import clone

    assert clone(pipeline).steps[0][1].get_params()["vector_size"] == 8


@pytest.mark.parametrize("binary", [False, True])
def test_word2vec_format_round_trips_exactly(tmp_path, binary):
    model = Word2Vec(TOY, vector_size=7, min_count=1, epochs=2)
    path = tmp_path / ("vectors.bin" if binary else "vectors.txt")
    model.wv.save_word2vec_format(path, binary=binary)
    header = path.read_bytes().split(b"\n", 1)[0]
    assert header == f"{len(model.wv)} 7".encode()
    loaded = KeyedVectors.load_word2vec_format(path, binary=binary)
    assert loaded.index_to_key == model.wv.index_to_key
    np.testing.assert_array_equal(loaded.vectors, model.wv.vectors)


@pytest.mark.parametrize("binary", [False, True])
def test_gensim_reads_our_files_and_we_read_gensims(tmp_path, binary):
    gensim = pytest.importorskip("gensim")
    model = Word2Vec(TOY, vector_size=7, min_count=1, epochs=2)
    ours_path, theirs_path = tmp_path / "ours", tmp_path / "theirs"
    model.wv.save_word2vec_format(ours_path, binary=binary)
    theirs = gensim.models.KeyedVectors.load_word2vec_format(str(ours_path), binary=binary)
    assert theirs.index_to_key == model.wv.index_to_key
    np.testing.assert_array_equal(theirs.vectors, model.wv.vectors)
    assert theirs.similarity("dog", "cat") == pytest.approx(model.wv.similarity("dog", "cat"), rel=1e-6)
    assert [w for w, _ in theirs.most_similar("dog", topn=4)] == [w for w, _ in model.wv.most_similar("dog", topn=4)]
    theirs.save_word2vec_format(str(theirs_path), binary=binary)
    np.testing.assert_array_equal(KeyedVectors.load_word2vec_format(theirs_path, binary=binary).vectors, theirs.vectors)


def test_malformed_files_and_unwritable_keys_are_reported(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("hello world\n")
    with pytest.raises(ValueError, match="'count dimension' header"):
        KeyedVectors.load_word2vec_format(bad)
    bad.write_text("2 3\ndog 1 2 3\ncat 1 2\n")
    with pytest.raises(ValueError, match="line 3 .* has 2 values, expected 3"):
        KeyedVectors.load_word2vec_format(bad)
    with pytest.raises(ValueError, match="cannot be written"):
        KeyedVectors(["new york"], np.zeros((1, 2))).save_word2vec_format(tmp_path / "x.txt")


RELATED = [("dog", "cat"), ("king", "queen"), ("man", "woman"), ("water", "liquid"), ("red", "blue")]


@needs_wordnet
def test_on_wordnet_glosses_the_loss_falls_and_related_words_end_up_closer_than_random_ones():
    # the glosses that use one of the words under test (8,700 sentences, 92,000 words): a small slice
    words = {word for pair in RELATED for word in pair}
    sentences = [sentence for gloss in corpus.iterate_wordnet_glosses()
                 if words & ({w for part in gloss.definitions + gloss.examples for w in part} | set(gloss.lemmas))
                 for sentence in corpus.gloss_sentences(gloss)]
    assert 80_000 < sum(len(sentence) for sentence in sentences) < 100_000
    model = Word2Vec(sentences, vector_size=32, min_count=3, sg=0, epochs=12, alpha=0.08, seed=0)
    assert model.epoch_losses[-1] < 0.6 * model.epoch_losses[0]
    wv = model.wv
    related = np.mean([wv.similarity(a, b) for a, b in RELATED])
    pairs = np.random.default_rng(0).integers(0, 3000, (300, 2))
    random_pairs = np.mean([wv.similarity(wv.index_to_key[i], wv.index_to_key[j]) for i, j in pairs if i != j])
    assert related > random_pairs + 0.15, (related, random_pairs)
    neighbours = {word: {w for w, _ in wv.most_similar(word, topn=10)} for word in ("red", "dog", "woman")}
    assert len(neighbours["red"] & {"scarlet", "crimson", "orange", "reddish", "ruby", "carmine", "pink", "blue",
                                    "yellow", "green", "purple", "brown", "brownish"}) >= 2
    assert neighbours["dog"] & {"dogs", "breed", "cat", "retriever", "hound", "puppy", "terrier"}
    assert neighbours["woman"] & {"girl", "man", "lady", "person", "female", "child"}
