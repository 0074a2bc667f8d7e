"""Tensor: an n-dimensional array (NumPy on the CPU, CuPy on the GPU) that remembers how it was computed.

Its operations are ``glassbox.ops``; the Functions they apply, the graph they record and the backward
pass that differentiates it are ``glassbox.autograd``.
"""

from __future__ import annotations

import numpy

from glassbox import backend, dtypes
from glassbox.autograd import is_grad_enabled, run_backward


class Tensor:
    """An n-dimensional array that remembers how it was computed, so it can be differentiated."""

    __slots__ = ("data", "requires_grad", "grad", "_ctx", "_retains_grad", "__weakref__")
    __array_priority__ = 1000  # numpy scalars defer to Tensor's reflected operators

    def __init__(self, data, dtype=None, requires_grad: bool = False, device=None):
        dtype = dtypes.as_dtype(dtype)
        if isinstance(data, Tensor):
            data = data.data
        device = backend.normalize_device(device) if device is not None else None
        if device is not None and backend.device_of(data) != device:
            data = backend.to_device(numpy.asarray(data) if device == "cuda" else data, device)
        xp = backend.module_of(data)
        if isinstance(data, numpy.ndarray | numpy.generic) or hasattr(data, "__cuda_array_interface__"):
            array = data.astype(dtype, copy=False) if dtype is not None else xp.asarray(data)
        else:
            array = _array_from_python(data, dtype)
            if device == "cuda":
                array = backend.to_device(array, "cuda")
        if not hasattr(array, "shape") or isinstance(array, numpy.generic):
            array = xp.asarray(array)
        self.data = array
        self.grad = None
        self._ctx = None
        self._retains_grad = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, array, requires_grad: bool = False) -> Tensor:
        """Make a tensor around an array without any checking: the fast path for op outputs."""
        if isinstance(array, numpy.generic):  # NumPy turns 0-d results into scalars; keep arrays
            array = numpy.asarray(array)
        out = object.__new__(cls)
        out.data = array
        out.requires_grad = requires_grad
        out.grad = None
        out._ctx = None
        out._retains_grad = False
        return out

    # ---- properties -------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def dtype(self) -> numpy.dtype:
        return self.data.dtype

    @property
    def device(self) -> str:
        return backend.device_of(self.data)

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def grad_fn(self):
        return self._ctx

    @property
    def is_cuda(self) -> bool:
        return self.device == "cuda"

    def dim(self) -> int:
        return self.data.ndim

    def size(self, dim: int | None = None):
        return self.data.shape if dim is None else self.data.shape[dim]

    def numel(self) -> int:
        return int(self.data.size)

    def element_size(self) -> int:
        return self.data.itemsize

    def is_floating_point(self) -> bool:
        return self.data.dtype.kind == "f"

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    # ---- conversions ------------------------------------------------------------------------------
    def numpy(self) -> numpy.ndarray:
        if self.requires_grad:
            raise RuntimeError(
                "Can't call numpy() on a Tensor that requires grad: use tensor.detach().numpy()"
            )
        return backend.to_numpy(self.data)

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.reshape(()).item()

    def tolist(self):
        return backend.to_numpy(self.data).tolist()

    def detach(self) -> Tensor:
        """The same values, cut off from the graph (shares memory, like PyTorch)."""
        return Tensor._wrap(self.data)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad and self.data.dtype.kind != "f":
            raise RuntimeError(
                f"only tensors of floating point dtype can require gradients, got {self.data.dtype}"
            )
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad can only be switched off on a leaf tensor: use detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this intermediate tensor after backward (leaves keep theirs anyway)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad")
        self._retains_grad = True

    def to(self, *args, dtype=None, device=None, copy: bool = False) -> Tensor:
        """``to(device)``, ``to(dtype)``, ``to(device, dtype)`` or ``to(other_tensor)``, as in PyTorch."""
        for arg in args:
            if isinstance(arg, Tensor):
                device, dtype = arg.device, arg.dtype
            elif isinstance(arg, str) and _looks_like_device(arg):
                device = arg
            else:
                dtype = arg
        out = self
        if dtype is not None and dtypes.as_dtype(dtype) != self.dtype:
            out = out.type(dtype)
        if device is not None and backend.normalize_device(device) != out.device:
            from glassbox.ops.movement import to_device

            out = to_device(out, backend.normalize_device(device))
        if copy and out is self:
            out = Tensor._wrap(self.data.copy(), self.requires_grad)
        return out

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self) -> Tensor:
        return self.to("cuda")

    # ---- autograd ---------------------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph: bool = False) -> None:
        """Compute d(self)/d(leaf) for every leaf that requires grad, adding into ``leaf.grad``.

        Walks the recorded graph in reverse topological order (iteratively, so a
        chain of any length works) and frees it afterwards unless ``retain_graph``.
        """
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad and has no grad_fn")
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without a gradient is only defined for a scalar output, got shape "
                    f"{self.shape}: pass gradient= (the dL/d(output) to start from), or reduce first"
                )
            seed = backend.module_of(self.data).ones_like(self.data)
        else:
            seed = gradient.data if isinstance(gradient, Tensor) else backend.module_of(self.data).asarray(
                gradient, dtype=self.dtype
            )
            if seed.shape != self.shape:
                raise RuntimeError(f"backward(): gradient has shape {seed.shape}, the tensor has {self.shape}")
        run_backward(self, seed, retain_graph)

    # ---- in-place helpers -------------------------------------------------------------------------
    def _check_inplace(self, op: str) -> None:
        if self.requires_grad and is_grad_enabled():
            kind = "a leaf tensor" if self._ctx is None else "a tensor that is part of a graph"
            raise RuntimeError(
                f"{op}: in-place change of {kind} that requires grad; wrap it in gb.no_grad() "
                f"or use the out-of-place form"
            )

    def __repr__(self) -> str:
        body = numpy.array2string(
            backend.to_numpy(self.data), separator=", ", precision=4, prefix="tensor("
        )
        extras = []
        if self.data.dtype not in (dtypes.float32, dtypes.int64, dtypes.bool):
            extras.append(f"dtype=gb.{self.data.dtype}")
        if self.device != "cpu":
            extras.append(f"device='{self.device}'")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{self._ctx.name}Backward>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(f"the truth value of a tensor with {self.data.size} elements is ambiguous")
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self.item())

    def __array__(self, dtype=None, copy=None):
        array = backend.to_numpy(self.data)
        return array if dtype is None else array.astype(dtype)

    __hash__ = object.__hash__


def _looks_like_device(name: str) -> bool:
    lowered = name.lower()
    return lowered in ("cpu", "cuda", "gpu") or lowered.startswith("cuda:")


def _array_from_python(data, dtype):
    """Python numbers and (nested) lists: floats become the default float, ints int64, bools bool."""
    if dtype is not None:
        return numpy.asarray(data, dtype=dtype)
    array = numpy.asarray(data)
    if array.dtype.kind == "f":
        return array.astype(dtypes.default_float)
    if array.dtype.kind in "iu":
        return array.astype(dtypes.int64)
    if array.dtype.kind == "b":
        return array
    if array.dtype == object:
        raise TypeError("cannot make a tensor from a ragged or mixed-type sequence")
    if array.size == 0:
        return array.astype(dtypes.default_float)
    raise TypeError(f"cannot make a tensor from data of type {array.dtype}")
