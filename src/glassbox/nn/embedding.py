"""Embedding: a learned lookup table from token ids to dense vectors.

Row i of the weight (num_embeddings, embedding_dim) is the vector of token i,
so ``embedding(ids)`` is ``weight[ids]``: the same as multiplying a one-hot
vector by the weight, without building the one-hot vector. The notes' word
embeddings (word2vec) are such a table, and a small one: a vector of a few
hundred numbers per word instead of a vocabulary-sized one-hot vector.

The gradient of a lookup adds each output row's gradient into the row it was
read from (a token used twice gets the sum of both gradients). The row
``padding_idx``, if given, stands for "no token": it starts at zero and never
receives a gradient, so it stays zero during training.
"""

from __future__ import annotations

from glassbox import backend, creation, dtypes
from glassbox.autograd import Function, no_grad
from glassbox.tensor import Tensor

from . import init
from .module import Module
from .parameter import Parameter


class EmbeddingLookup(Function):
    """weight[indices]; backward scatters-adds the gradient into the rows read, except ``padding_idx``."""

    def forward(self, weight, indices, padding_idx, scale_grad_by_freq):
        self.indices, self.weight_shape, self.weight_dtype = indices, weight.shape, weight.dtype
        self.padding_idx, self.scale_grad_by_freq = padding_idx, scale_grad_by_freq
        return weight[indices]  # indices.shape + (embedding_dim,)

    def backward(self, grad):
        xp = backend.module_of(grad)
        flat_indices = self.indices.reshape(-1)
        flat_grad = grad.reshape(-1, self.weight_shape[1])  # one row per lookup
        if self.scale_grad_by_freq:
            # each row's gradient divided by how often its token appears in the batch
            counts = xp.bincount(flat_indices, minlength=self.weight_shape[0])
            flat_grad = flat_grad / counts[flat_indices][:, None]
        # add.at over flat element positions (row · D + column) is several times faster than over rows
        columns = self.weight_shape[1]
        positions = (flat_indices.astype(xp.int64)[:, None] * columns + xp.arange(columns)).reshape(-1)
        grad_weight = xp.zeros(self.weight_shape[0] * columns, dtype=grad.dtype)
        backend.add_at(grad_weight, positions, flat_grad.reshape(-1))
        grad_weight = grad_weight.reshape(self.weight_shape)
        if self.padding_idx is not None:
            grad_weight[self.padding_idx] = 0
        return grad_weight


def _renorm_rows_(weight: Tensor, indices, max_norm: float, norm_type: float) -> None:
    """Scale in place every row read whose ``norm_type``-norm exceeds ``max_norm`` down to ``max_norm`` (PyTorch's
    embedding_renorm_: factor max_norm / (norm + 1e-7))."""
    xp = backend.module_of(weight.data)
    rows = xp.unique(indices.reshape(-1))
    norms = (xp.abs(weight.data[rows]) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    too_long = norms > max_norm
    if bool(too_long.any()):
        scale = (max_norm / (norms[too_long] + 1e-7)).astype(weight.dtype)
        with no_grad():
            weight.data[rows[too_long]] *= scale[:, None]


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` at the integer ids ``input``: output shape input.shape + (embedding_dim,).

    Gradients are always dense (``sparse`` is accepted for compatibility and changes nothing).
    """
    indices = input.data if isinstance(input, Tensor) else backend.module_of(weight.data).asarray(input)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be an integer tensor (long or int), got dtype {indices.dtype}")
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got {tuple(weight.shape)}")
    num_embeddings = weight.shape[0]
    if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= num_embeddings):
        raise IndexError(f"embedding: index out of range: ids must lie in [0, {num_embeddings - 1}], got ids from "
                         f"{int(indices.min())} to {int(indices.max())}")
    if padding_idx is not None:
        if not -num_embeddings <= padding_idx < num_embeddings:
            raise ValueError(f"embedding: padding_idx {padding_idx} must be within num_embeddings {num_embeddings}")
        padding_idx = padding_idx % num_embeddings
    if max_norm is not None:
        _renorm_rows_(weight, indices, max_norm, norm_type)
    return EmbeddingLookup.apply(weight, indices=indices, padding_idx=padding_idx,
                                 scale_grad_by_freq=scale_grad_by_freq)


class Embedding(Module):
    """A table of ``num_embeddings`` vectors of size ``embedding_dim``, initialised N(0, 1) like PyTorch's."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 sparse: bool = False, _weight: Tensor | None = None, _freeze: bool = False, device=None, dtype=None):
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: padding_idx {padding_idx} must be within num_embeddings "
                                 f"{num_embeddings}")
            padding_idx = padding_idx % num_embeddings
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            dtype = dtypes.as_dtype(dtype) or dtypes.default_float
            self.weight = Parameter(creation.zeros(num_embeddings, embedding_dim, dtype=dtype, device=device or "cpu"),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(f"Embedding: _weight has shape {tuple(_weight.shape)}, expected "
                                 f"({num_embeddings}, {embedding_dim})")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    def forward(self, input: Tensor) -> Tensor:
        return embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                         self.scale_grad_by_freq, self.sparse)

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, padding_idx: int | None = None,
                        max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> Embedding:
        """An Embedding holding a copy of the given (num_embeddings, embedding_dim) vectors (e.g. word2vec's),
        frozen unless ``freeze=False``. The padding row keeps its given values but receives no gradient."""
        weight = embeddings.detach() if isinstance(embeddings, Tensor) else Tensor(embeddings)
        if weight.ndim != 2:
            raise ValueError(f"Embeddings parameter is expected to be 2-dimensional, got shape {tuple(weight.shape)}")
        rows, columns = weight.shape
        return cls(rows, columns, _weight=Tensor._wrap(weight.data.copy()), _freeze=freeze, padding_idx=padding_idx,
                   max_norm=max_norm, norm_type=norm_type, scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            text += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        if self.sparse is not False:
            text += ", sparse=True"
        return text
