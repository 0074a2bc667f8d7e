import json

import numpy as np
import pytest

import glassbox as gb
from glassbox import nn
from glassbox.text.vocabulary import Vocabulary

CORPUS = [["good", "boy"], ["good", "girl"], ["boy", "girl", "good"], ["a", "boy"]]


def test_specials_first_then_by_frequency_ties_alphabetical():
    vocabulary = Vocabulary.build(CORPUS)
    assert vocabulary.get_itos() == ["<pad>", "<unk>", "<bos>", "<eos>", "boy", "good", "girl", "a"]
    assert (vocabulary.pad_index, vocabulary.unk_index, vocabulary.bos_index, vocabulary.eos_index) == (0, 1, 2, 3)
    assert vocabulary.frequencies == {"boy": 3, "good": 3, "girl": 2, "a": 1}
    assert len(vocabulary) == 8 and "girl" in vocabulary and "cat" not in vocabulary
    assert vocabulary.get_stoi()["girl"] == 6 and list(vocabulary)[4] == "boy"


def test_same_order_as_torchtexts_build_vocab_from_iterator():
    # torchtext sorts by (-frequency, token) and puts the specials first; max_tokens counts the specials
    corpus = [sentence.split() for sentence in ["the cat sat on the mat", "the dog sat", "a cat and a dog", "on it"]]
    counts = {}
    for tokens in corpus:
        for token in tokens:
            counts[token] = counts.get(token, 0) + 1
    expected = ["<pad>", "<unk>"] + sorted(counts, key=lambda token: (-counts[token], token))
    vocabulary = Vocabulary.build(corpus, bos_token=None, eos_token=None)
    assert vocabulary.get_itos() == expected
    assert Vocabulary.build(corpus, bos_token=None, eos_token=None, max_size=5).get_itos() == expected[:5]


def test_min_freq_max_size_and_extra_specials():
    vocabulary = Vocabulary.build(CORPUS, min_freq=2, extra_specials=["<mask>"])
    assert vocabulary.get_itos() == ["<pad>", "<unk>", "<bos>", "<eos>", "<mask>", "boy", "good", "girl"]
    assert Vocabulary.build(CORPUS, max_size=6).get_itos()[4:] == ["boy", "good"]
    bare = Vocabulary.build(CORPUS, pad_token=None, unk_token=None, bos_token=None, eos_token=None)
    assert bare.get_itos() == ["boy", "good", "girl", "a"] and bare.pad_index is None
    # a special token that also occurs in the corpus keeps its fixed index
    assert Vocabulary.build([["<unk>", "x", "<unk>"]]).get_itos() == ["<pad>", "<unk>", "<bos>", "<eos>", "x"]


def test_encode_decode_and_unknown_tokens():
    vocabulary = Vocabulary.build(CORPUS)
    assert vocabulary.encode(["good", "cat", "boy"]) == [5, 1, 4]
    assert vocabulary["cat"] == vocabulary.unk_index
    assert vocabulary.encode(["girl"], add_bos=True, add_eos=True) == [2, 6, 3]
    assert vocabulary.decode([2, 6, 1, 3, 0]) == ["<bos>", "girl", "<unk>", "<eos>", "<pad>"]
    assert vocabulary.decode(np.array([2, 6, 3]), skip_special=True) == ["girl"]
    assert vocabulary.decode(gb.tensor([5, 4])) == ["good", "boy"]
    assert vocabulary.lookup_token(7) == "a" and vocabulary.lookup_indices(["a"]) == [7]
    no_unknown = Vocabulary.build(CORPUS, unk_token=None)
    with pytest.raises(KeyError, match="'cat' is not in the vocabulary, which has no unknown token"):
        no_unknown.encode(["cat"])


def test_encode_batch_pads_for_embedding():
    vocabulary = Vocabulary.build(CORPUS)
    batch, lengths = vocabulary.encode_batch([["good", "boy"], ["girl"], []], add_eos=True, return_lengths=True)
    assert batch.dtype == gb.int64 and batch.shape == (3, 3)
    assert batch.numpy().tolist() == [[5, 4, 3], [6, 3, 0], [3, 0, 0]]
    assert lengths.numpy().tolist() == [3, 2, 1]
    left = vocabulary.encode_batch([["good", "boy"], ["girl"]], padding_side="left")
    assert left.numpy().tolist() == [[5, 4], [0, 6]]
    cut = vocabulary.encode_batch([["good", "boy", "girl", "a"], ["boy"]], add_bos=True, add_eos=True, max_length=4)
    assert cut.numpy().tolist() == [[2, 5, 4, 3], [2, 4, 3, 0]]  # <eos> kept last, padded to max_length
    assert vocabulary.decode_batch(cut) == [["good", "boy"], ["boy"]]
    # the padded batch feeds nn.Embedding, whose padding row stays zero
    gb.manual_seed(0)
    embedding = nn.Embedding(len(vocabulary), 4, padding_idx=vocabulary.pad_index)
    vectors = embedding(batch)
    assert vectors.shape == (3, 3, 4)
    assert np.all(vectors.detach().numpy()[2, 1:] == 0)


def test_save_and_load_round_trip(tmp_path):
    vocabulary = Vocabulary.build(CORPUS + [["naïve", "日本"]], extra_specials=["<mask>"])
    path = tmp_path / "vocabulary.json"
    vocabulary.save(path)
    loaded = Vocabulary.load(path)
    assert loaded == vocabulary and loaded.frequencies == vocabulary.frequencies
    assert loaded.encode(["naïve", "zzz"]) == vocabulary.encode(["naïve", "zzz"])
    state = json.loads(path.read_text(encoding="utf-8"))
    assert state["format"] == "glassbox.text.Vocabulary" and state["unk_token"] == "<unk>"
    assert [entry.name for entry in tmp_path.iterdir()] == ["vocabulary.json"]  # no temporary file left


def test_load_rejects_other_files(tmp_path):
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"tokens": ["a"]}))
    with pytest.raises(ValueError, match="not a saved Vocabulary"):
        Vocabulary.load(path)
    path.write_text("{not json")
    with pytest.raises(ValueError, match="is not valid JSON"):
        Vocabulary.load(path)
    path.write_text(json.dumps({"format": "glassbox.text.Vocabulary", "version": 1, "tokens": ["a", "a"],
                                "pad_token": None, "unk_token": None, "bos_token": None, "eos_token": None}))
    with pytest.raises(ValueError, match=r"duplicate tokens \['a'\]"):
        Vocabulary.load(path)


def test_bad_input():
    with pytest.raises(TypeError, match="sequence 1 is a str; expected a list of str tokens"):
        Vocabulary.build([["ok"], "not tokenized"])
    with pytest.raises(TypeError, match="sequence 0 holds 3 \\(int\\); tokens must be str"):
        Vocabulary.build([["ok", 3]])
    with pytest.raises(TypeError, match="expected a list of token lists, got a str"):
        Vocabulary.build("text")
    with pytest.raises(ValueError, match="min_freq must be an integer >= 1"):
        Vocabulary.build(CORPUS, min_freq=0)
    with pytest.raises(ValueError, match="max_size must be an integer >= the 4 special tokens"):
        Vocabulary.build(CORPUS, max_size=3)
    with pytest.raises(ValueError, match="unk_token '<unk>' is not among the tokens"):
        Vocabulary(["<pad>", "a"], bos_token=None, eos_token=None)
    vocabulary = Vocabulary.build(CORPUS)
    with pytest.raises(IndexError, match="index 99 is outside 0..7"):
        vocabulary.decode([99])
    with pytest.raises(TypeError, match="indices must be integers"):
        vocabulary.decode([1.5])
    with pytest.raises(ValueError, match="no pad_token to pad with"):
        Vocabulary.build(CORPUS, pad_token=None).encode_batch([["a"]])
    with pytest.raises(ValueError, match="add_bos=True but the vocabulary has no bos_token"):
        Vocabulary.build(CORPUS, bos_token=None).encode(["a"], add_bos=True)
    with pytest.raises(ValueError, match="max_length must be an integer >= 3"):
        vocabulary.encode_batch([["a"]], add_bos=True, add_eos=True, max_length=2)
