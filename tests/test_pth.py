"""gb.load on files written by torch.save: values, dtypes, strides and offsets as PyTorch
has them, and pickles that would run code refused before anything runs."""

from __future__ import annotations

import collections
import io
import os
import pickle
import zipfile

import numpy as np
import pytest
import torch

import glassbox as gb
from glassbox.pth import UnsafePickleError
from glassbox.serialization import FormatError

FORMATS = ["zip .pth", "zip .pt", "legacy"]


def torch_save(obj, tmp_path, file_format: str):
    path = tmp_path / ("model.pt" if file_format == "zip .pt" else "model.pth")
    torch.save(obj, path, _use_new_zipfile_serialization=file_format != "legacy")
    return path


def assert_matches_torch(loaded, expected):
    """Same structure; tensors with the same values and dtype (bfloat16 read as float32)."""
    if isinstance(expected, torch.Tensor):
        assert isinstance(loaded, gb.Tensor)
        expected_dtype = torch.float32 if expected.dtype == torch.bfloat16 else expected.dtype
        values = expected.detach().to(expected_dtype).numpy()
        assert loaded.dtype == values.dtype and loaded.shape == values.shape
        np.testing.assert_array_equal(loaded.detach().numpy(), values)
        assert loaded.requires_grad == expected.requires_grad
    elif isinstance(expected, dict):
        assert type(loaded) is type(expected) and list(loaded) == list(expected)
        for key in expected:
            assert_matches_torch(loaded[key], expected[key])
    elif isinstance(expected, list | tuple):
        assert type(loaded) is type(expected) and len(loaded) == len(expected)
        for loaded_item, expected_item in zip(loaded, expected, strict=True):
            assert_matches_torch(loaded_item, expected_item)
    else:
        assert type(loaded) is type(expected) and loaded == expected


def small_model_state_dict():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3))
    model(torch.randn(8, 4))  # one training-mode pass so the running statistics are not their defaults
    state = model.state_dict()
    grid = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    state["extra.transposed"] = grid.t()  # stride (1, 6)
    state["extra.sliced"] = grid[1:, ::2]  # storage offset 6, stride (6, 2)
    state["extra.column"] = grid[:, 5]  # offset 5, stride (6,)
    state["extra.float64"] = torch.randn(3, 2, dtype=torch.float64)
    state["extra.int64"] = torch.tensor([-(2**62), 0, 2**62 + 7])
    state["extra.bool"] = torch.tensor([[True, False], [False, True]])
    state["extra.float16"] = torch.randn(5).half()
    state["extra.bfloat16"] = torch.randn(5).bfloat16()
    state["extra.int32"] = torch.tensor([-(2**31), 2**31 - 1], dtype=torch.int32)
    state["extra.int16"] = torch.tensor([-300, 300], dtype=torch.int16)
    state["extra.int8"] = torch.tensor([-128, 127], dtype=torch.int8)
    state["extra.uint8"] = torch.tensor([0, 255], dtype=torch.uint8)
    state["extra.empty"] = torch.zeros(0, 3)
    state["extra.scalar"] = torch.tensor(2.5, dtype=torch.float64)
    state["extra.parameter"] = torch.nn.Parameter(torch.randn(2, 2))
    return state


@pytest.mark.parametrize("file_format", FORMATS)
def test_state_dict_of_a_small_torch_model(tmp_path, file_format):
    state = small_model_state_dict()
    loaded = gb.load(torch_save(state, tmp_path, file_format))
    assert_matches_torch(loaded, state)
    assert loaded["extra.parameter"].requires_grad and not loaded["0.weight"].requires_grad
    assert loaded._metadata == state._metadata  # the version info load_state_dict reads


@pytest.mark.parametrize("file_format", FORMATS)
def test_checkpoint_with_optimizer_state_and_plain_values(tmp_path, file_format):
    torch.manual_seed(1)
    model = torch.nn.Linear(3, 2)
    # The layout of torch.optim.Adam's state_dict (built by hand: constructing a torch optimizer takes seconds).
    optimizer_state = {
        "state": {
            index: {"step": torch.tensor(1.0), "exp_avg": torch.randn_like(p), "exp_avg_sq": torch.rand_like(p)}
            for index, p in enumerate(model.parameters())
        },
        "param_groups": [
            {
                "lr": 0.01,
                "betas": (0.8, 0.99),
                "eps": 1e-08,
                "weight_decay": 0,
                "amsgrad": False,
                "foreach": None,
                "maximize": False,
                "capturable": False,
                "params": [0, 1],
            }
        ],
    }
    checkpoint = {"model": model.state_dict(), "optimizer": optimizer_state, "epoch": 3, "tag": "run-1"}
    loaded = gb.load(torch_save(checkpoint, tmp_path, file_format))
    assert_matches_torch(loaded, checkpoint)
    assert loaded["optimizer"]["param_groups"][0]["betas"] == (0.8, 0.99)
    assert sorted(loaded["optimizer"]["state"]) == [0, 1]


def test_a_loaded_torch_state_dict_saves_and_loads_again_as_safetensors(tmp_path):
    state = small_model_state_dict()
    loaded = gb.load(torch_save(state, tmp_path, "zip .pth"))
    gb.save(loaded, tmp_path / "model.safetensors")
    again = gb.load(tmp_path / "model.safetensors")
    for name in state:
        np.testing.assert_array_equal(again[name].numpy(), loaded[name].detach().numpy())
        assert again[name].dtype == loaded[name].dtype


def test_views_of_one_storage_are_loaded_as_independent_tensors(tmp_path):
    base = torch.arange(10.0)
    loaded = gb.load(torch_save({"head": base[:4], "tail": base[6:], "all": base}, tmp_path, "zip .pth"))
    loaded["all"].data[:] = -1  # one loaded tensor must not write through into another
    np.testing.assert_array_equal(loaded["head"].numpy(), [0, 1, 2, 3])
    np.testing.assert_array_equal(loaded["tail"].numpy(), [6, 7, 8, 9])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.int64, torch.int16])
def test_big_endian_archive(tmp_path, dtype):
    """A file written on a big-endian machine says so in archive/byteorder; its storages are byte-swapped."""
    tensor = (torch.arange(-6, 6).reshape(3, 4) * 3).to(dtype).t()
    little = torch_save({"x": tensor}, tmp_path, "zip .pth")
    big = tmp_path / "big.pth"
    with zipfile.ZipFile(little) as source, zipfile.ZipFile(big, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name.endswith("/byteorder"):
                data = b"big"
            elif "/data/" in name:
                data = np.frombuffer(data, dtype=str(dtype).replace("torch.", "")).byteswap().tobytes()
            target.writestr(name, data)
    assert_matches_torch(gb.load(big), {"x": tensor})


# ---- crafted archives --------------------------------------------------------------------------------
def write_torch_archive(path, pickled: bytes, storages: dict | None = None, byteorder: str = "little"):
    """A zip laid out as torch.save lays it out, around any pickle."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", pickled)
        archive.writestr("archive/byteorder", byteorder)
        for key, data in (storages or {}).items():
            archive.writestr(f"archive/data/{key}", data)


class RunsShellCommand:
    """Unpickling this runs a shell command: what a malicious checkpoint does."""

    def __init__(self, command: str):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


class CallsEval:
    def __init__(self, source: str):
        self.source = source

    def __reduce__(self):
        return eval, (self.source,)


@pytest.mark.parametrize(
    "make_payload, refused",
    [
        (lambda marker: RunsShellCommand(f"touch {marker}"), f"{os.system.__module__}.system"),
        (lambda marker: CallsEval(f"open({str(marker)!r}, 'w')"), "builtins.eval"),
        (
            lambda marker: collections.OrderedDict(weight=torch.ones(2), bias=RunsShellCommand(f"touch {marker}")),
            f"{os.system.__module__}.system",
        ),
    ],
    ids=["os.system", "eval", "inside a state dict"],
)
@pytest.mark.parametrize("file_format", ["zip", "legacy"])
def test_a_pickle_that_would_run_code_is_refused_and_nothing_runs(tmp_path, make_payload, refused, file_format):
    # The payload is real: plain pickle runs it.
    proof = tmp_path / "proof"
    pickle.loads(pickle.dumps(make_payload(proof), protocol=2))
    assert proof.exists()

    marker = tmp_path / "marker"
    path = tmp_path / "evil.pth"
    if file_format == "zip":
        buffer = io.BytesIO()
        torch.save(make_payload(marker), buffer)  # torch writes the storages, the pickle carries the payload
        path.write_bytes(buffer.getvalue())
    else:
        torch.save(make_payload(marker), path, _use_new_zipfile_serialization=False)
    with pytest.raises(UnsafePickleError) as raised:
        gb.load(path)
    assert str(raised.value) == (
        f"refusing to load '{refused}' from {path}: only tensors and (ordered) dicts are accepted"
    )
    assert not marker.exists()


def test_a_whole_pickled_module_is_refused_by_name(tmp_path):
    path = tmp_path / "model.pth"
    torch.save(torch.nn.Linear(2, 2), path)
    with pytest.raises(UnsafePickleError, match="'torch.nn.modules.linear.Linear'"):
        gb.load(path)


class StorageReference:
    def __init__(self, key: str, numel: int):
        self.key, self.numel = key, numel


class TensorView:
    """Pickles as torch.save pickles a tensor, with any view parameters (even impossible ones)."""

    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, size, stride, False, collections.OrderedDict())

    def __reduce__(self):
        return torch._utils._rebuild_tensor_v2, self.args


class TorchLikePickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, StorageReference):
            return ("storage", torch.FloatStorage, obj.key, "cpu", obj.numel)
        return None


def crafted_archive(path, tensors: dict, storage_bytes: bytes, numel: int = 4):
    buffer = io.BytesIO()
    storage = StorageReference("0", numel)
    TorchLikePickler(buffer, protocol=2).dump({name: TensorView(storage, *view) for name, view in tensors.items()})
    write_torch_archive(path, buffer.getvalue(), {"0": storage_bytes})


def test_crafted_archive_reads_like_torch(tmp_path):
    """The crafted archives below differ from this valid one by one parameter each."""
    path = tmp_path / "crafted.pth"
    values = np.arange(4, dtype=np.float32)
    crafted_archive(path, {"x": (1, (2, 2), (0, 1))}, values.tobytes())
    np.testing.assert_array_equal(gb.load(path)["x"].numpy(), [[1, 2], [1, 2]])


@pytest.mark.parametrize(
    "view, storage_bytes, words",
    [
        ((0, (10,), (1,)), bytes(16), "reaches element 9 of storage '0', which has 4"),
        ((3, (2,), (1,)), bytes(16), "reaches element 4"),
        ((0, (2, 2), (3, 1)), bytes(16), "reaches element 4"),
        ((-1, (2,), (1,)), bytes(16), "malformed tensor view"),
        ((0, (2,), (-1,)), bytes(16), "malformed tensor view"),
        ((0, (2, 2), (1,)), bytes(16), "malformed tensor view"),
        ((0, (4,), (1,)), bytes(12), "holds 12 bytes, expected 4 x 4 = 16"),
    ],
)
def test_impossible_views_and_short_storages_are_refused(tmp_path, view, storage_bytes, words):
    path = tmp_path / "crafted.pth"
    crafted_archive(path, {"x": view}, storage_bytes)
    with pytest.raises(FormatError) as raised:
        gb.load(path)
    assert words in str(raised.value) and str(path) in str(raised.value)


def test_missing_storage_record_and_bad_byteorder(tmp_path):
    path = tmp_path / "crafted.pth"
    buffer = io.BytesIO()
    TorchLikePickler(buffer, protocol=2).dump({"x": TensorView(StorageReference("7", 4), 0, (4,), (1,))})
    write_torch_archive(path, buffer.getvalue(), {})
    with pytest.raises(FormatError, match="no record 'archive/data/7'"):
        gb.load(path)
    write_torch_archive(path, buffer.getvalue(), {"7": bytes(16)}, byteorder="middle")
    with pytest.raises(FormatError, match="unknown byteorder 'middle'"):
        gb.load(path)


@pytest.mark.parametrize("file_format", ["zip .pth", "legacy"])
def test_truncated_or_corrupt_torch_files_give_clear_errors(tmp_path, file_format):
    path = torch_save(small_model_state_dict(), tmp_path, file_format)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(FormatError) as raised:
        gb.load(path)
    assert str(path) in str(raised.value)


def test_corrupt_pickle_in_an_archive(tmp_path):
    path = tmp_path / "corrupt.pth"
    write_torch_archive(path, b"\x80\x02}q\x00(X\x01\x00\x00\x00a")  # cut off in the middle of a dict
    with pytest.raises(FormatError, match="the pickled object is corrupt"):
        gb.load(path)
