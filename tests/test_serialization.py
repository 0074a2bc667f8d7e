"""gb.save / gb.load in the safetensors format: round trips, interchange with the safetensors
library, the checks that catch truncated or corrupt files, and atomic writes."""

from __future__ import annotations

import json
import os
import struct

import numpy as np
import pytest
import safetensors.numpy
import safetensors.torch
import torch

import glassbox as gb
from glassbox import serialization
from glassbox.serialization import FormatError

DTYPES = [
    "float64",
    "float32",
    "float16",
    "int64",
    "int32",
    "int16",
    "int8",
    "uint64",
    "uint32",
    "uint16",
    "uint8",
    "bool",
]
SHAPES = [(2, 3), (), (0,), (2, 0, 3), (4, 1, 5)]


def random_array(dtype: str, shape: tuple, rng: np.random.Generator) -> np.ndarray:
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return np.asarray(rng.random(shape) < 0.5)
    if dtype.kind == "f":
        return np.asarray(rng.standard_normal(shape) * 100, dtype=dtype)
    info = np.iinfo(dtype)  # the extremes catch truncation and sign errors
    return np.asarray(rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True))


def assert_same(loaded, expected):
    """Same structure, same types, and for tensors the same dtype, shape and bits."""
    if isinstance(expected, gb.Tensor | np.ndarray):
        assert isinstance(loaded, gb.Tensor)
        expected = expected.detach().numpy() if isinstance(expected, gb.Tensor) else expected
        actual = loaded.detach().numpy()
        assert actual.dtype == expected.dtype.newbyteorder("=")
        assert actual.shape == expected.shape
        np.testing.assert_array_equal(actual, expected)
        assert actual.flags.writeable and not loaded.requires_grad
    elif isinstance(expected, dict):
        assert isinstance(loaded, dict)
        assert list(loaded) == list(expected)
        for key in expected:
            assert type(key) is type(next(k for k in loaded if k == key))
            assert_same(loaded[key], expected[key])
    elif isinstance(expected, list | tuple):
        assert type(loaded) is type(expected) and len(loaded) == len(expected)
        for loaded_item, expected_item in zip(loaded, expected, strict=True):
            assert_same(loaded_item, expected_item)
    else:
        assert type(loaded) is type(expected) and loaded == expected


def read_header(path) -> dict:
    raw = path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8 : 8 + length])


# ---- round trips ------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_round_trip_every_dtype_and_shape(tmp_path, dtype):
    rng = np.random.default_rng(0)
    state = {f"layer{i}.weight": gb.from_numpy(random_array(dtype, shape, rng)) for i, shape in enumerate(SHAPES)}
    path = tmp_path / "model.safetensors"
    gb.save(state, path)
    assert_same(gb.load(path), state)
    assert_same(serialization.load_file(path), state)


def test_round_trip_of_views_arrays_and_big_endian_data(tmp_path):
    base = np.arange(24, dtype=np.float64).reshape(4, 6)
    state = {
        "transposed": base.T,  # non-contiguous: written in logical order
        "sliced": gb.from_numpy(base[1:, ::2]),
        "big_endian": np.arange(5, dtype=">i4") * -7,
        "nan_and_inf": np.array([np.nan, np.inf, -np.inf, -0.0], dtype=np.float32),
    }
    path = tmp_path / "views.safetensors"
    gb.save(state, path)
    loaded = gb.load(path)
    assert_same(loaded, state)
    assert loaded["big_endian"].dtype == gb.int32
    assert np.signbit(loaded["nan_and_inf"].numpy()[3])


def test_nested_checkpoint_with_plain_values_comes_back_unchanged(tmp_path):
    rng = np.random.default_rng(1)
    checkpoint = {
        "model": {"0.weight": gb.randn(3, 2), "0.bias": gb.zeros(3), "1": {"running_mean": gb.ones(3)}},
        "optimizer": {
            "state": {0: {"step": 4, "exp_avg": gb.from_numpy(random_array("float32", (3, 2), rng))}},
            "param_groups": [
                {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "amsgrad": False, "foreach": None, "params": [0, 1]}
            ],
        },
        "epoch": 7,
        "best_loss": float("inf"),
        "name": "lenet-é",
        "history": [0.5, 0.25, [gb.tensor([1, 2])]],
        "empty": {},
    }
    path = tmp_path / "checkpoint.safetensors"
    gb.save(checkpoint, path)
    assert_same(gb.load(path), checkpoint)


def test_flat_state_dict_is_a_plain_safetensors_file(tmp_path):
    rng = np.random.default_rng(2)
    state = {
        name: random_array(dtype, (3, 2), rng)
        for name, dtype in [("a", "uint8"), ("b", "float64"), ("c", "float16"), ("d", "int32")]
    }
    path = tmp_path / "plain.safetensors"
    gb.save(state, path)
    assert serialization.load_metadata(path) == {}
    header = read_header(path)
    assert list(header) == list(state)  # the header keeps the caller's order
    for entry in header.values():  # and every tensor starts aligned to its item size
        assert entry["data_offsets"][0] % serialization.ITEMSIZES[entry["dtype"]] == 0
    (length,) = struct.unpack("<Q", path.read_bytes()[:8])
    assert length % 8 == 0
    read_by_safetensors = safetensors.numpy.load_file(path)
    assert sorted(read_by_safetensors) == sorted(state)
    for name, array in state.items():
        assert read_by_safetensors[name].dtype == array.dtype
        np.testing.assert_array_equal(read_by_safetensors[name], array)


def test_nested_file_is_readable_by_safetensors_with_flattened_names(tmp_path):
    checkpoint = {
        "model": {"0": {"weight": gb.randn(2, 2)}},
        "optimizer": {"state": {3: {"exp_avg": gb.ones(2)}}},
        "epoch": 2,
    }
    path = tmp_path / "nested.safetensors"
    gb.save(checkpoint, path)
    read_by_safetensors = safetensors.numpy.load_file(path)
    assert sorted(read_by_safetensors) == ["model.0.weight", "optimizer.state.3.exp_avg"]
    np.testing.assert_array_equal(read_by_safetensors["model.0.weight"], checkpoint["model"]["0"]["weight"].numpy())
    assert serialization.TREE_KEY in serialization.load_metadata(path)


@pytest.mark.parametrize("dtype", DTYPES)
def test_reads_files_written_by_safetensors_numpy(tmp_path, dtype):
    rng = np.random.default_rng(3)
    arrays = {f"t{i}": random_array(dtype, shape, rng) for i, shape in enumerate(SHAPES)}
    path = tmp_path / "from_safetensors.safetensors"
    safetensors.numpy.save_file(arrays, path, metadata={"format": "np", "epoch": "3"})
    assert_same(gb.load(path), arrays)  # metadata that glassbox did not write is left aside
    assert serialization.load_metadata(path) == {"format": "np", "epoch": "3"}


def test_reads_files_written_by_safetensors_torch_including_bfloat16(tmp_path):
    generator = torch.Generator().manual_seed(4)
    tensors = {
        "weight": torch.randn(3, 4, generator=generator),
        "half": torch.randn(5, generator=generator).half(),
        "bf16": torch.randn(2, 3, generator=generator).bfloat16(),
        "steps": torch.tensor(12),
        "mask": torch.tensor([True, False, True]),
        "ids": torch.arange(-3, 3, dtype=torch.int64),
    }
    path = tmp_path / "from_torch.safetensors"
    safetensors.torch.save_file(tensors, path)
    loaded = gb.load(path)
    assert sorted(loaded) == sorted(tensors)
    for name, tensor in tensors.items():
        expected = (tensor.float() if tensor.dtype == torch.bfloat16 else tensor).numpy()
        assert_same(loaded[name], expected)  # bfloat16 is widened to float32 exactly


# ---- what save refuses ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "obj, error, words",
    [
        (gb.ones(2), TypeError, "expected a state dict"),
        ([gb.ones(2)], TypeError, "expected a state dict"),
        ({"layer": object()}, TypeError, "cannot save a object at 'layer'"),
        ({"weight": np.ones(2, dtype=np.complex64)}, TypeError, "complex64"),
        ({"a.b": gb.ones(1), "a": {"b": gb.ones(1)}}, ValueError, "'a.b'"),
        ({("a", 1): gb.ones(1)}, TypeError, "keys must be str or int"),
        ({"__metadata__": gb.ones(1)}, ValueError, "reserved"),
    ],
)
def test_save_refuses_what_it_cannot_store_and_writes_nothing(tmp_path, obj, error, words):
    with pytest.raises(error, match="gb.save|save_file") as raised:
        gb.save(obj, tmp_path / "out.safetensors")
    assert words in str(raised.value)
    assert os.listdir(tmp_path) == []


def test_save_file_checks_names_values_and_metadata(tmp_path):
    path = tmp_path / "out.safetensors"
    with pytest.raises(TypeError, match="metadata must map strings to strings"):
        serialization.save_file({"a": gb.ones(1)}, path, metadata={"epoch": 3})
    with pytest.raises(TypeError, match="names must be strings"):
        serialization.save_file({1: gb.ones(1)}, path)
    with pytest.raises(TypeError, match="expected a Tensor or a NumPy array"):
        serialization.save_file({"a": 1.0}, path)
    serialization.save_file({"a": gb.ones(2)}, path, metadata={"epoch": "3"})
    assert serialization.load_metadata(path) == {"epoch": "3"}
    assert_same(serialization.load_file(path), {"a": gb.ones(2)})


def test_load_options(tmp_path):
    path = tmp_path / "model.safetensors"
    gb.save({"w": gb.ones(2)}, path)
    assert_same(gb.load(path, map_location="cpu"), {"w": gb.ones(2)})
    with pytest.raises(ValueError, match="weights_only=False"):
        gb.load(path, weights_only=False)
    with pytest.raises(TypeError, match="map_location"):
        gb.load(path, map_location={"cuda:0": "cpu"})
    if gb.cuda.is_available():
        assert gb.load(path, map_location="cuda")["w"].device == "cuda"


# ---- truncated and corrupt files --------------------------------------------------------------------
def write_raw(path, header, data: bytes = b"", header_length: int | None = None):
    header_bytes = header if isinstance(header, bytes) else json.dumps(header).encode()
    length = len(header_bytes) if header_length is None else header_length
    path.write_bytes(struct.pack("<Q", length) + header_bytes + data)


@pytest.mark.parametrize("keep", ["4 bytes", "half the header", "half the data", "all but one byte"])
def test_truncated_file_gives_a_clear_error(tmp_path, keep):
    path = tmp_path / "model.safetensors"
    gb.save({"weight": gb.randn(4, 4), "bias": gb.randn(4)}, path)
    raw = path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    cut = {
        "4 bytes": 4,
        "half the header": 8 + length // 2,
        "half the data": (8 + length + len(raw)) // 2,
        "all but one byte": len(raw) - 1,
    }[keep]
    path.write_bytes(raw[:cut])
    with pytest.raises(FormatError, match="truncated") as raised:
        gb.load(path)
    assert str(path) in str(raised.value)


F32_2x3 = {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}


@pytest.mark.parametrize(
    "header, data, header_length, words",
    [
        ({"a": F32_2x3}, bytes(24), 2**40, "header length field says"),
        (b"{not json", b"", None, "not valid JSON"),
        (b"\xff\xfe{}", b"", None, "not valid JSON"),
        ([1, 2], b"", None, "expected an object"),
        ({"a": {"dtype": "F32", "shape": [2, 3]}}, bytes(24), None, "needs 'dtype', 'shape' and 'data_offsets'"),
        ({"a": {**F32_2x3, "dtype": "F8_E4M3"}}, bytes(24), None, "dtype 'F8_E4M3'"),
        ({"a": {**F32_2x3, "shape": [2, -3]}}, bytes(24), None, "non-negative ints"),
        ({"a": {**F32_2x3, "data_offsets": [0, 20]}}, bytes(20), None, "span 20"),
        ({"a": {**F32_2x3, "data_offsets": [24, 0]}}, bytes(24), None, "span -24"),
        ({"a": {**F32_2x3, "data_offsets": [0]}}, bytes(24), None, "expected [begin, end]"),
        ({"a": F32_2x3, "b": {**F32_2x3, "data_offsets": [12, 36]}}, bytes(36), None, "overlaps"),
        ({"a": {**F32_2x3, "data_offsets": [8, 32]}}, bytes(32), None, "gap"),
        ({"a": F32_2x3}, bytes(30), None, "6 unexpected bytes"),
        ({"a": F32_2x3, "__metadata__": {"epoch": 3}}, bytes(24), None, "'__metadata__' must map strings"),
        ({"m": {"dtype": "BOOL", "shape": [2], "data_offsets": [0, 2]}}, b"\x01\x02", None, "other than 0 and 1"),
        (
            {"a": F32_2x3, "__metadata__": {"glassbox.tree": '{"__dict__": [["b", {"__tensor__": "b"}]]}'}},
            bytes(24),
            None,
            "tensor 'b' that is not in the file",
        ),
        (
            {"a": F32_2x3, "__metadata__": {"glassbox.tree": '{"__dict__": []}'}},
            bytes(24),
            None,
            "not part of the saved structure",
        ),
        ({"a": F32_2x3, "__metadata__": {"glassbox.tree": "{oops"}}, bytes(24), None, "not valid JSON"),
        ({"a": F32_2x3, "__metadata__": {"glassbox.tree": '{"__dict__": [[["a"], 1]]}'}}, bytes(24), None, "malformed"),
    ],
)
def test_corrupt_file_gives_a_clear_error(tmp_path, header, data, header_length, words):
    path = tmp_path / "corrupt.safetensors"
    write_raw(path, header, data, header_length)
    with pytest.raises(FormatError) as raised:
        gb.load(path)
    assert words in str(raised.value) and str(path) in str(raised.value)


def test_the_checks_accept_what_they_should(tmp_path):
    """The corrupt-file cases above differ from this valid file by one field each."""
    path = tmp_path / "valid.safetensors"
    write_raw(path, {"a": F32_2x3, "e": {"dtype": "I64", "shape": [0], "data_offsets": [24, 24]}}, bytes(24))
    assert_same(gb.load(path), {"a": np.zeros((2, 3), np.float32), "e": np.zeros(0, np.int64)})


# ---- atomic writes ----------------------------------------------------------------------------------
class FailingFile:
    """A file that writes its first chunk to disk, then fails as a full disk or Ctrl-C would."""

    def __init__(self, file, error):
        self.file, self.error, self.writes = file, error, 0

    def write(self, data):
        self.writes += 1
        if self.writes > 1:
            raise self.error
        return self.file.write(data)

    def __getattr__(self, name):
        return getattr(self.file, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.file.close()


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_interrupted_save_keeps_the_last_good_file(tmp_path, monkeypatch, error):
    path = tmp_path / "model.safetensors"
    gb.save({"weight": gb.ones(3)}, path)
    last_good = path.read_bytes()
    opened = []
    real_fdopen = os.fdopen

    def failing_fdopen(*args, **kwargs):
        opened.append(FailingFile(real_fdopen(*args, **kwargs), error))
        return opened[-1]

    monkeypatch.setattr(os, "fdopen", failing_fdopen)
    with pytest.raises(type(error)):
        gb.save({"weight": gb.zeros(1000), "bias": gb.zeros(10)}, path)
    monkeypatch.undo()
    assert opened and opened[0].writes == 2  # the failure really happened midway through the write
    assert path.read_bytes() == last_good
    assert os.listdir(tmp_path) == ["model.safetensors"]
    assert_same(gb.load(path), {"weight": gb.ones(3)})


def test_save_replaces_the_old_file_and_respects_the_umask(tmp_path):
    path = tmp_path / "model.safetensors"
    gb.save({"weight": gb.ones(3)}, path)
    gb.save({"weight": gb.full((2,), 5.0), "epoch": 2}, str(path))
    assert_same(gb.load(str(path)), {"weight": gb.full((2,), 5.0), "epoch": 2})
    assert os.listdir(tmp_path) == ["model.safetensors"]
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
