"""Saving and loading weights: ``save`` / ``load`` as ``torch.save`` / ``torch.load`` for state dicts.

glassbox writes the safetensors format, which holds tensors and never code:

    [8 bytes: N, little-endian unsigned][N bytes: JSON header][raw little-endian tensor bytes]
    header = {"0.weight": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, ...,
              "__metadata__": {"any": "string"}}

``data_offsets`` count from the first byte after the header; the tensors tile the
data exactly (no gaps, no overlaps, nothing after the last one). Nested dicts are
flattened with ``"."`` as PyTorch state dicts already are (``{"0": {"weight": w}}``
is stored as ``"0.weight"``). Anything else in the saved object (an epoch number,
an optimizer's hyper-parameters, integer keys, tuples) goes into the metadata as
JSON under ``"glassbox.tree"``, so ``load`` gives back exactly what was saved.

``load`` also reads PyTorch ``.pth``/``.pt`` files (see ``glassbox.pth``) without
PyTorch and without running any pickled code. It tells the formats apart by their
first bytes, not by the file name.

Files are written atomically: to a temporary file in the same folder, flushed to
disk, then renamed over the target, so an interrupted save never leaves a partial
file where the last good one was.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import struct
import uuid

import numpy

from glassbox import backend
from glassbox.tensor import Tensor

TREE_KEY = "glassbox.tree"

# safetensors dtype code -> NumPy dtype (stored little-endian)
DTYPES = {
    "F64": numpy.dtype("<f8"),
    "F32": numpy.dtype("<f4"),
    "F16": numpy.dtype("<f2"),
    "I64": numpy.dtype("<i8"),
    "I32": numpy.dtype("<i4"),
    "I16": numpy.dtype("<i2"),
    "I8": numpy.dtype("i1"),
    "U64": numpy.dtype("<u8"),
    "U32": numpy.dtype("<u4"),
    "U16": numpy.dtype("<u2"),
    "U8": numpy.dtype("u1"),
    "BOOL": numpy.dtype("bool"),
}
CODES = {dtype.newbyteorder("="): code for code, dtype in DTYPES.items()}
BFLOAT16 = "BF16"  # NumPy has no bfloat16: read as float32 (exact), never written
ITEMSIZES = {**{code: dtype.itemsize for code, dtype in DTYPES.items()}, BFLOAT16: 2}
MAX_HEADER_BYTES = 100_000_000  # the limit the safetensors library itself enforces


class FormatError(ValueError):
    """A file that is truncated, corrupt, or not in a format glassbox reads."""


def format_error(path, problem: str) -> FormatError:
    return FormatError(f"cannot load {os.fspath(path)!r}: {problem}")


# ---- public API ------------------------------------------------------------------------------------
def save(obj: dict, path) -> None:
    """Save a state dict (possibly nested, with non-tensor values) to ``path`` as safetensors.

    ``obj`` maps names to glassbox Tensors or NumPy arrays, nested dicts, and plain
    values (int, float, str, bool, None, lists, tuples) that ``load`` returns unchanged.
    """
    if not isinstance(obj, dict):
        raise TypeError(
            f"gb.save: expected a state dict (a dict of name -> tensor), got {type(obj).__name__}; "
            "to save a model, save model.state_dict()"
        )
    tensors: dict = {}
    tree = _encode(obj, (), tensors)
    plain = all(isinstance(key, str) and _is_array(value) for key, value in obj.items())
    write_safetensors(path, tensors, None if plain else {TREE_KEY: json.dumps(tree)}, caller="gb.save")


def load(path, map_location=None, *, weights_only: bool = True) -> dict:
    """Load what ``save`` wrote, any safetensors file, or a PyTorch ``.pth``/``.pt`` state dict.

    ``map_location``: None or ``"cpu"`` puts the tensors on the CPU, ``"cuda"`` on the GPU.
    Nothing in the file is ever executed, so ``weights_only=False`` is refused.
    """
    if not weights_only:
        raise ValueError("gb.load: weights_only=False is not supported: glassbox never runs code from a file")
    device = _device(map_location)
    with open(path, "rb") as file:
        start = file.read(16)
    from glassbox import pth

    if pth.is_torch_file(start):
        return pth.load_torch(path, device)
    tensors, metadata = read_safetensors(path, device)
    if TREE_KEY not in metadata:
        return tensors
    try:
        tree = json.loads(metadata[TREE_KEY])
    except json.JSONDecodeError as error:
        raise format_error(path, f"the {TREE_KEY!r} metadata is not valid JSON ({error})") from None
    unused = set(tensors)
    result = _decode(tree, tensors, unused, path)
    if unused:
        raise format_error(path, f"tensors {sorted(unused)} are not part of the saved structure")
    return result


def save_file(tensors: dict, filename, metadata: dict | None = None) -> None:
    """safetensors' ``save_file``: a flat dict of name -> tensor (or array), plus a string metadata map."""
    for name, value in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"save_file: tensor names must be strings, got {name!r}")
        if not _is_array(value):
            raise TypeError(f"save_file: {name!r} is a {type(value).__name__}, expected a Tensor or a NumPy array")
    write_safetensors(filename, tensors, metadata, caller="save_file")


def load_file(filename, device="cpu") -> dict:
    """safetensors' ``load_file``: the dict of name -> Tensor, metadata left aside."""
    return read_safetensors(filename, _device(device))[0]


def load_metadata(filename) -> dict:
    """The ``__metadata__`` string map of a safetensors file (empty when it has none)."""
    return read_safetensors(filename, "cpu", with_data=False)[1]


# ---- nested objects <-> flat tensors + JSON tree ----------------------------------------------------
def _is_array(value) -> bool:
    return isinstance(value, Tensor | numpy.ndarray)


def _encode(value, key_path: tuple, tensors: dict):
    """A JSON tree of ``value`` with every tensor replaced by its flat name (collected in ``tensors``)."""
    where = ".".join(key_path) or "the top level"
    if _is_array(value):
        name = ".".join(key_path)
        if name in tensors:
            raise ValueError(f"gb.save: two tensors would both be stored under the name {name!r}")
        tensors[name] = value
        return {"__tensor__": name}
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            if not (key is None or isinstance(key, str | int | float)):
                raise TypeError(f"gb.save: key {key!r} in {where} is a {type(key).__name__}; keys must be str or int")
            items.append([key, _encode(item, (*key_path, str(key)), tensors)])
        return {"__dict__": items}
    if isinstance(value, list):
        return [_encode(item, (*key_path, str(index)), tensors) for index, item in enumerate(value)]
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(item, (*key_path, str(index)), tensors) for index, item in enumerate(value)]}
    if isinstance(value, numpy.generic):
        return value.item()
    if value is None or isinstance(value, str | int | float):
        return value
    raise TypeError(
        f"gb.save: cannot save a {type(value).__name__} at {where!r}: only tensors, arrays, dicts, lists, "
        "tuples, str, int, float, bool and None are stored (no pickled objects)"
    )


def _decode(tree, tensors: dict, unused: set, path):
    """Rebuild the saved object from its JSON tree, taking each tensor out of ``tensors``."""
    if isinstance(tree, list):
        return [_decode(item, tensors, unused, path) for item in tree]
    if not isinstance(tree, dict):
        return tree
    if "__tensor__" in tree:
        name = tree["__tensor__"]
        if name not in tensors:
            raise format_error(path, f"the saved structure refers to a tensor {name!r} that is not in the file")
        unused.discard(name)
        return tensors[name]
    if "__tuple__" in tree:
        return tuple(_decode(item, tensors, unused, path) for item in tree["__tuple__"])
    if "__dict__" in tree:
        items = tree["__dict__"]
        if not all(
            isinstance(item, list) and len(item) == 2 and not isinstance(item[0], list | dict) for item in items
        ):
            raise format_error(path, f"malformed dict node {tree!r} in the {TREE_KEY!r} metadata")
        return {key: _decode(item, tensors, unused, path) for key, item in items}
    raise format_error(path, f"unexpected node {tree!r} in the {TREE_KEY!r} metadata")


# ---- writing ---------------------------------------------------------------------------------------
def _little_endian_array(name: str, value, caller: str) -> numpy.ndarray:
    array = backend.to_numpy(value.data if isinstance(value, Tensor) else value)
    native = array.dtype.newbyteorder("=")
    if native not in CODES:
        raise TypeError(
            f"{caller}: tensor {name!r} has dtype {array.dtype}, which safetensors cannot hold "
            f"(expected one of {', '.join(str(dtype) for dtype in CODES)})"
        )
    return array.astype(DTYPES[CODES[native]], order="C", copy=False)


def write_safetensors(path, tensors: dict, metadata: dict | None, caller: str = "save_file") -> None:
    """Write ``tensors`` (name -> Tensor or array) and a string ``metadata`` map, atomically."""
    if metadata is not None and not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise TypeError(f"{caller}: metadata must map strings to strings, got {metadata!r}")
    if "__metadata__" in tensors:
        raise ValueError(f"{caller}: '__metadata__' is reserved by the safetensors format and cannot name a tensor")
    arrays = {name: _little_endian_array(name, value, caller) for name, value in tensors.items()}
    # Widest items first: with the header padded to 8 bytes, every tensor then starts aligned to its item size.
    layout = sorted(arrays, key=lambda name: -arrays[name].dtype.itemsize)
    offsets, position = {}, 0
    for name in layout:
        offsets[name] = [position, position + arrays[name].nbytes]
        position += arrays[name].nbytes
    header: dict = {"__metadata__": metadata} if metadata else {}
    for name, array in arrays.items():
        code = CODES[array.dtype.newbyteorder("=")]
        header[name] = {"dtype": code, "shape": list(array.shape), "data_offsets": offsets[name]}
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)

    def write_contents(file):
        file.write(struct.pack("<Q", len(header_bytes)))
        file.write(header_bytes)
        for name in layout:
            file.write(arrays[name].reshape(-1).view(numpy.uint8))

    atomic_write(path, write_contents)


def atomic_write(path, write_contents) -> None:
    """Call ``write_contents(file)`` on a temporary file beside ``path``, then rename it over ``path``.

    The rename is atomic, so ``path`` holds either the old file or the complete new one;
    on any failure (an exception, Ctrl-C) the temporary file is removed.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(directory, f".{os.path.basename(path)}.{uuid.uuid4().hex[:12]}.tmp")
    # os.open with 0o666 lets the umask decide the permissions, as a plain open() would.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        file = os.fdopen(descriptor, "wb")
    except BaseException:
        os.close(descriptor)
        os.unlink(temporary)
        raise
    try:
        with file:
            write_contents(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    # Make the rename itself durable; not every system can open a folder, which only costs durability.
    with contextlib.suppress(OSError):
        folder = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


# ---- reading ---------------------------------------------------------------------------------------
def read_safetensors(path, device: str, with_data: bool = True) -> tuple[dict, dict]:
    """(name -> Tensor, metadata) of a safetensors file, after checking its header against its size."""
    with open(path, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        if size < 8:
            raise format_error(path, f"the file has {size} bytes, fewer than the 8-byte header length (truncated?)")
        (header_length,) = struct.unpack("<Q", file.read(8))
        if header_length > size - 8 or header_length > MAX_HEADER_BYTES:
            raise format_error(
                path,
                f"the header length field says {header_length} bytes but only {size - 8} follow it "
                "(truncated, or not a safetensors file)",
            )
        try:
            header = json.loads(file.read(header_length).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise format_error(path, f"the header is not valid JSON ({error}); the file is corrupt") from None
        if not isinstance(header, dict):
            raise format_error(path, f"the header is a JSON {type(header).__name__}, expected an object")
        metadata = header.pop("__metadata__", None) or {}
        if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
            raise format_error(path, f"'__metadata__' must map strings to strings, got {metadata!r}")
        entries = _check_entries(header, size - 8 - header_length, path)
        if not with_data:
            return {}, metadata
        tensors = {}
        for name, (code, shape, begin, end) in entries.items():
            file.seek(8 + header_length + begin)
            raw = numpy.empty(end - begin, dtype=numpy.uint8)
            if file.readinto(raw) != raw.size:
                raise format_error(path, f"tensor {name!r} ends past the end of the file (truncated?)")
            tensors[name] = Tensor._wrap(backend.to_device(_array_from_bytes(raw, code, shape, name, path), device))
    return tensors, metadata


def _check_entries(header: dict, data_size: int, path) -> dict:
    """name -> (dtype code, shape, begin, end), once every entry is well formed and they tile the data."""
    entries = {}
    for name, entry in header.items():
        if not isinstance(entry, dict) or not {"dtype", "shape", "data_offsets"} <= entry.keys():
            raise format_error(path, f"entry {name!r} needs 'dtype', 'shape' and 'data_offsets', got {entry!r}")
        code, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        if code not in ITEMSIZES:
            raise format_error(path, f"tensor {name!r} has dtype {code!r}; glassbox reads {', '.join(ITEMSIZES)}")
        if not isinstance(shape, list) or not all(_is_count(n) for n in shape):
            raise format_error(path, f"tensor {name!r} has shape {shape!r}, expected a list of non-negative ints")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_count(n) for n in offsets)):
            raise format_error(path, f"tensor {name!r} has data_offsets {offsets!r}, expected [begin, end]")
        begin, end = offsets
        expected = math.prod(shape) * ITEMSIZES[code]
        if end - begin != expected:
            raise format_error(
                path,
                f"tensor {name!r}: shape {shape} x {ITEMSIZES[code]} bytes ({code}) = {expected} bytes, "
                f"but its data_offsets [{begin}, {end}] span {end - begin}",
            )
        entries[name] = (code, tuple(shape), begin, end)
    position = 0
    for name, (_, _, begin, end) in sorted(entries.items(), key=lambda item: item[1][2:]):
        if begin != position:
            problem = "overlaps the previous tensor" if begin < position else f"leaves a gap after byte {position}"
            raise format_error(path, f"tensor {name!r} starts at byte {begin} and {problem}: the header is corrupt")
        position = end
    if position > data_size:
        raise format_error(path, f"the tensors need {position} bytes of data, the file holds {data_size} (truncated?)")
    if position < data_size:
        raise format_error(path, f"{data_size - position} unexpected bytes follow the last tensor: the file is corrupt")
    return entries


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _array_from_bytes(raw: numpy.ndarray, code: str, shape: tuple, name: str, path) -> numpy.ndarray:
    if code == BFLOAT16:
        return bfloat16_to_float32(raw.view("<u2")).reshape(shape)
    array = raw.view(DTYPES[code]).reshape(shape)
    if code == "BOOL" and raw.size and raw.max() > 1:
        raise format_error(path, f"bool tensor {name!r} holds bytes other than 0 and 1: the file is corrupt")
    return array.astype(array.dtype.newbyteorder("="), copy=False)


def bfloat16_to_float32(bits: numpy.ndarray) -> numpy.ndarray:
    """bfloat16 is the top half of a float32, so widening is a 16-bit shift (exact)."""
    return (bits.astype(numpy.uint32) << 16).view(numpy.float32)


def _device(map_location) -> str:
    if map_location is None:
        return "cpu"
    if isinstance(map_location, dict) or callable(map_location):
        raise TypeError(f"gb.load: map_location must be None, 'cpu' or 'cuda', got {map_location!r}")
    return backend.normalize_device(map_location)
