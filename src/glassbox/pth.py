"""Reading PyTorch ``.pth``/``.pt`` files without PyTorch and without running pickled code.

``torch.save`` writes a zip archive:

    archive/data.pkl      the pickled object; each tensor is a call
                          torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, ...)
                          whose storage is a persistent id ("storage", torch.FloatStorage, key, location, numel)
    archive/data/<key>    the raw bytes of each storage
    archive/byteorder     "little" or "big"

Older PyTorch (``_use_new_zipfile_serialization=False``) wrote one stream instead:
a pickled magic number, protocol version and system info, the pickled object, the
pickled list of storage keys, then for each key an 8-byte element count and the bytes.

A pickle can call any importable function, so unpickling an untrusted file can run
code. The unpickler here resolves only the names a state dict needs (OrderedDict,
the tensor and parameter rebuilders, the storage types) to glassbox's own
stand-ins and refuses every other name before anything is called. Element ``i`` of
a tensor (its index tuple) is ``storage[storage_offset + sum(i_k * stride_k)]``;
strides and offsets are checked against the storage's size before they are used.
"""

from __future__ import annotations

import _compat_pickle
import collections
import math
import os
import pickle
import struct
import zipfile

import numpy
from numpy.lib.stride_tricks import as_strided

from glassbox import backend
from glassbox.serialization import FormatError, bfloat16_to_float32, format_error
from glassbox.tensor import Tensor

LEGACY_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL_VERSION = 1001
# What pickle writes for LEGACY_MAGIC_NUMBER after the 2-byte PROTO opcode (LONG1, 10 bytes).
_LEGACY_MAGIC_PICKLE = b"\x8a\x0a" + LEGACY_MAGIC_NUMBER.to_bytes(10, "little")

STORAGE_DTYPES = {
    "DoubleStorage": numpy.dtype("float64"),
    "FloatStorage": numpy.dtype("float32"),
    "HalfStorage": numpy.dtype("float16"),
    "BFloat16Storage": numpy.dtype("uint16"),  # widened to float32 once read
    "LongStorage": numpy.dtype("int64"),
    "IntStorage": numpy.dtype("int32"),
    "ShortStorage": numpy.dtype("int16"),
    "CharStorage": numpy.dtype("int8"),
    "ByteStorage": numpy.dtype("uint8"),
    "BoolStorage": numpy.dtype("bool"),
}


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle asked for a global that is not part of a state dict."""


def is_torch_file(start: bytes) -> bool:
    """Whether the first bytes of a file are a torch.save zip archive or a legacy torch.save stream."""
    return start.startswith(b"PK\x03\x04") or (start[:1] == b"\x80" and start[2:14] == _LEGACY_MAGIC_PICKLE)


def load_torch(path, device: str = "cpu"):
    """The object ``torch.save`` wrote to ``path``, with every tensor a glassbox Tensor on ``device``."""
    with open(path, "rb") as file:
        if file.read(4) != b"PK\x03\x04":
            file.seek(0)
            return _load_legacy(file, path, device)
    try:
        return _load_zip(path, device)
    except zipfile.BadZipFile as error:
        raise format_error(path, f"the zip archive is truncated or corrupt ({error})") from None


def _unpickle(unpickler: _RestrictedUnpickler):
    """Run the restricted unpickler, reporting a damaged pickle as a FormatError that names the file."""
    try:
        return unpickler.load()
    except (FormatError, UnsafePickleError):
        raise
    except Exception as error:
        raise unpickler.error(f"the pickled object is corrupt ({type(error).__name__}: {error})") from None


class _StorageType:
    """What a pickled ``torch.FloatStorage`` (etc.) global stands for here: an element type, never callable."""

    __slots__ = ("name", "dtype")

    def __init__(self, name: str):
        self.name, self.dtype = name, STORAGE_DTYPES[name]

    def decode(self, raw: bytes, byteorder: str) -> numpy.ndarray:
        array = numpy.frombuffer(raw, dtype=self.dtype.newbyteorder("<" if byteorder == "little" else ">"))
        if self.name == "BFloat16Storage":
            return bfloat16_to_float32(array)
        return array.astype(self.dtype, copy=False)


class _Storage:
    """One storage of the file: filled with its data once the pickle has been read."""

    __slots__ = ("key", "storage_type", "numel", "array")

    def __init__(self, key: str, storage_type: _StorageType, numel: int):
        self.key, self.storage_type, self.numel, self.array = key, storage_type, numel, None


class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickles tensors, dicts and plain values; refuses every other global by name."""

    def __init__(self, file, path):
        super().__init__(file)
        self.path = os.fspath(path)
        self.storages: dict[str, _Storage] = {}
        self.pending: list = []  # (tensor, storage, offset, size, stride), filled once storages are read

    def find_class(self, module: str, name: str):
        # Protocol 2 pickles spell Python 3 modules the Python 2 way ('__builtin__'); name them as Python does.
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if module == "torch._utils" and name in ("_rebuild_tensor_v2", "_rebuild_tensor"):
            return self.rebuild_tensor
        if module == "torch._utils" and name == "_rebuild_parameter":
            return self.rebuild_parameter
        if module == "torch" and name in STORAGE_DTYPES:
            return _StorageType(name)
        raise UnsafePickleError(
            f"refusing to load {module + '.' + name!r} from {self.path}: only tensors and (ordered) dicts are accepted"
        )

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) in (5, 6) and pid[0] == "storage"):
            raise self.error(f"unexpected persistent id {pid!r}")
        _, storage_type, key, _location, numel = pid[:5]
        if len(pid) == 6 and pid[5] is not None:
            raise self.error("storage views (view_metadata) of very old PyTorch files are not supported")
        if not (isinstance(storage_type, _StorageType) and isinstance(key, str) and _is_count(numel)):
            raise self.error(f"malformed storage reference {pid!r}")
        storage = self.storages.get(key)
        if storage is None:
            storage = self.storages[key] = _Storage(key, storage_type, numel)
        elif storage.storage_type.name != storage_type.name:
            raise self.error(f"storage {key!r} is referenced with two element types")
        return storage

    def rebuild_tensor(
        self, storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, metadata=None
    ):
        """Stand-in for torch._utils._rebuild_tensor_v2: checks the view now, copies the values later."""
        if not isinstance(storage, _Storage):
            raise self.error(f"a tensor was rebuilt from a {type(storage).__name__}, expected a storage")
        size, stride = tuple(size), tuple(stride)
        if not (_is_count(storage_offset) and len(size) == len(stride) and all(map(_is_count, size + stride))):
            raise self.error(f"malformed tensor view: offset {storage_offset!r}, size {size}, stride {stride}")
        if math.prod(size) > 0:
            last = storage_offset + sum((n - 1) * step for n, step in zip(size, stride, strict=True))
            if last >= storage.numel:
                raise self.error(
                    f"a tensor of size {size}, stride {stride}, offset {storage_offset} reaches element {last} "
                    f"of storage {storage.key!r}, which has {storage.numel}"
                )
        floating = storage.storage_type.dtype.kind == "f" or storage.storage_type.name == "BFloat16Storage"
        tensor = Tensor._wrap(None, bool(requires_grad) and floating)
        self.pending.append((tensor, storage, storage_offset, size, stride))
        return tensor

    def rebuild_parameter(self, data, requires_grad, backward_hooks=None):
        """Stand-in for torch._utils._rebuild_parameter: a Parameter loads as a Tensor with its requires_grad."""
        if not isinstance(data, Tensor):
            raise self.error(f"a parameter was rebuilt from a {type(data).__name__}, expected a tensor")
        data.requires_grad = bool(requires_grad)
        return data

    def error(self, problem: str) -> FormatError:
        return format_error(self.path, problem)

    def fill_tensors(self, device: str) -> None:
        for tensor, storage, offset, size, stride in self.pending:
            array = storage.array
            if math.prod(size) == 0:
                values = numpy.empty(size, dtype=array.dtype)
            else:
                values = as_strided(array[offset:], size, [step * array.itemsize for step in stride]).copy()
            tensor.data = backend.to_device(values, device)


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _read_storage(storage: _Storage, raw: bytes, byteorder: str, path) -> None:
    expected = storage.numel * storage.storage_type.dtype.itemsize
    if len(raw) != expected:
        raise format_error(
            path,
            f"storage {storage.key!r} holds {len(raw)} bytes, expected {storage.numel} x "
            f"{storage.storage_type.dtype.itemsize} = {expected} (truncated?)",
        )
    storage.array = storage.storage_type.decode(raw, byteorder)


def _load_zip(path, device: str):
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        pickles = sorted(name for name in names if name.endswith("/data.pkl") and name.count("/") == 1)
        if len(pickles) != 1:
            raise format_error(path, f"a torch.save archive holds one <name>/data.pkl, found {pickles or 'none'}")
        prefix = pickles[0][: -len("data.pkl")]
        byteorder = "little"
        if prefix + "byteorder" in names:
            byteorder = archive.read(prefix + "byteorder").decode("ascii", "replace").strip()
            if byteorder not in ("little", "big"):
                raise format_error(path, f"unknown byteorder {byteorder!r}, expected 'little' or 'big'")
        with archive.open(pickles[0]) as pickled:
            unpickler = _RestrictedUnpickler(pickled, path)
            result = _unpickle(unpickler)
        for storage in unpickler.storages.values():
            record = f"{prefix}data/{storage.key}"
            if record not in names:
                raise format_error(path, f"the archive has no record {record!r} for storage {storage.key!r}")
            _read_storage(storage, archive.read(record), byteorder, path)
    unpickler.fill_tensors(device)
    return result


def _load_legacy(file, path, device: str):
    def plain_load():
        return _unpickle(_RestrictedUnpickler(file, path))

    magic_number, protocol_version, system_info = plain_load(), plain_load(), plain_load()
    if magic_number != LEGACY_MAGIC_NUMBER or protocol_version != LEGACY_PROTOCOL_VERSION:
        raise format_error(path, "not a torch.save file: wrong magic number or protocol version")
    byteorder = "little" if not isinstance(system_info, dict) or system_info.get("little_endian", True) else "big"
    unpickler = _RestrictedUnpickler(file, path)
    result = _unpickle(unpickler)
    keys = plain_load()
    if not isinstance(keys, list) or set(keys) != set(unpickler.storages):
        raise format_error(path, "the list of storage keys does not match the storages the object uses")
    for key in keys:
        storage = unpickler.storages[key]
        count_bytes = file.read(8)
        if len(count_bytes) != 8:
            raise format_error(path, f"the file ends before storage {key!r} (truncated?)")
        (count,) = struct.unpack("<q" if byteorder == "little" else ">q", count_bytes)
        if count != storage.numel:
            raise format_error(path, f"storage {key!r} holds {count} elements, the object expects {storage.numel}")
        _read_storage(storage, file.read(count * storage.storage_type.dtype.itemsize), byteorder, path)
    unpickler.fill_tensors(device)
    return result
