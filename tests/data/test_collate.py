import collections

import numpy as np
import pytest
import torch
from torch.utils.data import default_collate as torch_default_collate
from torch.utils.data import default_convert as torch_default_convert

import glassbox as gb
from glassbox.data import default_collate, default_convert

Point = collections.namedtuple("Point", ["x", "label"])
rng = np.random.default_rng(0)

SAMPLES = {
    "tuple_of_array_int": [(rng.normal(size=(3, 2)).astype(np.float32), i) for i in range(4)],
    "list_of_float_bool": [[float(i) / 3, i % 2 == 0] for i in range(3)],
    "dict": [{"image": rng.normal(size=(2, 2)), "label": i, "name": f"s{i}"} for i in range(3)],
    "nested": [{"pair": (np.int32(i), np.arange(3) * i), "meta": {"w": 0.5 * i}} for i in range(5)],
    "namedtuple": [Point(rng.normal(size=4).astype(np.float32), i) for i in range(3)],
    "numpy_scalars": [np.float32(i) for i in range(6)],
    "uint8_images": [rng.integers(0, 255, size=(1, 4, 4), dtype=np.uint8) for _ in range(2)],
    "tensors": [(gb.tensor(rng.normal(size=(2, 3))), gb.tensor(i)) for i in range(3)],
    "strings": ["a", "bb", "c"],
}


@pytest.mark.parametrize("name", SAMPLES)
def test_default_collate_matches_torch(name, same_batch, torch_sample):
    samples = SAMPLES[name]
    same_batch(default_collate(samples), torch_default_collate([torch_sample(s) for s in samples]))


@pytest.mark.parametrize("name", ["tuple_of_array_int", "dict", "nested", "namedtuple", "numpy_scalars"])
def test_default_convert_matches_torch(name, same_batch):
    for sample in SAMPLES[name]:
        same_batch(default_convert(sample), torch_default_convert(sample))


def test_collate_keeps_the_graph_of_samples_that_need_grad():
    leaves = [gb.tensor([1.0, 2.0], requires_grad=True) for _ in range(3)]
    batch = default_collate(leaves)
    assert batch.shape == (3, 2)
    (batch * gb.tensor([[1.0, 2.0]])).sum().backward()
    for leaf in leaves:
        np.testing.assert_array_equal(leaf.grad.numpy(), [1.0, 2.0])


def test_collate_shares_no_memory_with_samples():
    sample = np.zeros(3, dtype=np.float32)
    batch = default_collate([sample, sample])
    batch.data[0, 0] = 5
    assert sample[0] == 0


def test_shape_mismatch_names_the_samples():
    with pytest.raises(RuntimeError, match=r"sample 0 has \(3,\) and sample 1 has \(4,\)"):
        default_collate([np.zeros(3), np.zeros(4)])


def test_field_count_mismatch():
    with pytest.raises(RuntimeError, match="same number of fields"):
        default_collate([(1, 2), (1, 2, 3)])


def test_key_mismatch():
    with pytest.raises(KeyError, match="sample 1 has keys"):
        default_collate([{"a": 1}, {"b": 1}])


def test_unsupported_types():
    with pytest.raises(TypeError, match="found object"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="strings or objects"):
        default_collate([np.array(["a"]), np.array(["b"])])
    with pytest.raises(TypeError, match="non-empty list"):
        default_collate([])


def test_torch_collates_to_the_same_dtypes():
    # the rules in the module docstring, stated against PyTorch once more on plain numbers
    ours = default_collate([1, 2])
    assert ours.dtype == gb.int64 and torch_default_collate([1, 2]).dtype == torch.int64
    assert default_collate([1.5, 2.0]).dtype == gb.float64
