"""Writes into a region picked by indices, and reads by flat index, as PyTorch spells them
(issue 16): ``index_fill``, ``index_copy``, ``index_put`` (``accumulate``), ``put``
(``accumulate``), ``take``, ``masked_scatter``, ``select_scatter``, ``slice_scatter``,
``diagonal_scatter`` and ``fill_diagonal_``, with their in-place forms.

A write replaces a region of ``self`` and goes through ``_indexing.write_index`` under the
node PyTorch records (a ``CopySlices`` subclass: grad self = g, 0 where written; grad value =
g's region summed to the value's shape); the out-of-place form writes into a clone. Adding at
repeated indices (``accumulate=True``) and the flat reads and writes have nodes of their own.
"""

from __future__ import annotations

import math
from typing import Any

from . import _dtype as D
from . import _functional_write as fw
from . import _ops_layout as LY
from . import _ops_rounding as RD
from . import _ops_shape as S
from ._contract import Array, KernelOps
from ._creation import arange, zeros
from ._dispatch import unary
from ._graph import Node
from ._indexing import (
    CopySlices,
    IndexPutBackward0,
    _check_array_write,
    _normalize_index,
    sum_to_value,
    write_index,
)
from ._inplace import inplace
from ._tensor import Tensor, _dim


# fmt: off
class IndexFillBackward0(CopySlices):
    """``index_fill(dim, index, number)``: grad self = g, 0 at the filled slices."""
    op = "index_fill_"


class IndexFillBackward1(CopySlices):
    """``index_fill(dim, index, 0-d tensor)``: grad value = g summed over the filled slices."""
    op = "index_fill_"


class IndexCopyBackward0(CopySlices):
    """``index_copy(dim, index, source)``: grad source = g at the copied slices."""
    op = "index_copy_"


class MaskedScatterBackward0(CopySlices):
    """``masked_scatter(mask, source)``: grad source (its first elements) = g where mask."""
    op = "masked_scatter_"


class SelectScatterBackward0(CopySlices):
    """``select_scatter(src, dim, index)``: grad src = g.select(dim, index)."""
    op = "select_scatter"


class SliceScatterBackward0(CopySlices):
    """``slice_scatter(src, dim, start, end, step)``: grad src = g's slice."""
    op = "slice_scatter"


class DiagonalScatterBackward0(CopySlices):
    """``diagonal_scatter(src, offset, dim1, dim2)``: grad src = g's diagonal."""
    op = "diagonal_scatter"


class _IndexPutAccumulate(Node):
    """``index_put(indices, values, accumulate=True)``: values added at the indices, repeated
    ones adding up; grad self = g, grad values = g at the indices summed to values' shape."""
    op, save = "index_put_", ()
    forward = staticmethod(lambda k, x, v, idx, region: k.add(
        x, k.index_grad(k.astype(k.broadcast_to(v, region), k.dtype_of(x)),
                        tuple(x.shape), idx, True)))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array, Array | None]:
        gv = sum_to_value(ops, ops.getitem(g, ctx.args[0]), ctx.shapes[1])
        return g, gv if ctx.needs_input_grad[1] else None


_IndexPutAccumulate.__name__ = _IndexPutAccumulate.__qualname__ = "IndexPutBackward0"


class TakeBackward0(Node):
    """``take(x, index)``: ``x`` flattened, read at ``index``; grad x = g added back at
    ``index`` (repeats adding up)."""
    op = "take"
    forward = staticmethod(lambda k, x, idx: k.getitem(k.reshape(x, (-1,)), (idx,)))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        shape = ctx.shapes[0]
        flat = ops.index_grad(g, (math.prod(shape),), (ctx.args[0],), True)
        return (ops.reshape(flat, shape),)


class PutBackward0(Node):
    """``put(index, source, accumulate)``: ``self`` flattened, ``source`` written (or added)
    at ``index``; grad self = g (0 where written, unless added), grad source = g flattened
    at ``index``."""
    op = "put_"

    @staticmethod
    def forward(k: Any, x: Any, src: Any, idx: Any, accumulate: bool) -> Any:
        flat = k.reshape(x, (-1,))
        src = k.astype(k.reshape(src, (-1,)), k.dtype_of(x))
        if accumulate:
            out = k.add(flat, k.index_grad(src, tuple(flat.shape), (idx,), True))
        else:
            out = fw.put(k, k.copy(flat), (idx,), src)
        return k.reshape(out, tuple(x.shape))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array | None, Array | None]:
        idx, accumulate = ctx.args
        nx, ns = ctx.needs_input_grad
        flat = ops.reshape(g, (-1,))
        gx = gs = None
        if nx:
            gx = g
            if not accumulate:
                ones = ops.getitem(ops.add(ops.mul(flat, 0), 1), (idx,))
                written = ops.index_grad(ones, tuple(flat.shape), (idx,), True)
                gx = ops.reshape(ops.where(ops.ne(written, 0), 0, flat), ctx.shapes[0])
        if ns:
            gs = ops.reshape(ops.getitem(flat, (idx,)), ctx.shapes[1])
        return gx, gs
# fmt: on


def _index(self: Tensor, index: Any, op: str) -> Tensor:
    if not isinstance(index, Tensor) or index.dtype is not D.int64:
        raise IndexError(f"{op}(): Expected dtype int64 for index.")
    if index.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector")
    return index


def _along(self: Tensor, dim: int, index: Tensor) -> tuple[Any, bool]:
    d = _dim(dim, max(self.ndim, 1), "index")
    idx, advanced, _ = _normalize_index(self, (slice(None),) * d + (index,))
    return idx, advanced


def _written(self: Tensor, idx: Any, advanced: bool, value: Any, node: type[Node]) -> Tensor:
    write_index(self, idx, advanced, value, node)
    return self


def index_fill_(self: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    """Fill the slices at ``index`` along ``dim`` with ``value`` (a number or 0-d tensor)."""
    d = _dim(dim, max(self.ndim, 1), "index_fill_")
    _along(self, d, _index(self, index, "index_fill_"))  # PyTorch's error for a bad index
    # A mask, so that a repeated index fills (and takes the value's gradient) once.
    mask = zeros(self.shape[d] if self.ndim else 1, dtype=D.bool_, backend=self._backend)
    mask[index] = True
    idx, adv, _ = _normalize_index(self, (slice(None),) * d + (mask,))
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(
                "index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value.ndim} dimension(s)."
            )
        return _written(self, idx, adv, value, IndexFillBackward1)
    return _written(self, idx, adv, value, IndexFillBackward0)


def index_copy_(self: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """Copy the slices of ``source`` along ``dim`` to the positions ``index``."""
    index = _index(self, index, "index_copy_")
    d = _dim(dim, max(self.ndim, 1), "index_copy_")
    n = index.numel()
    if source.ndim and source.shape[d] != n:
        raise IndexError(
            f"index_copy_(): Number of indices ({n}) should be equal to source.size(dim) "
            f"({source.shape[d]})"
        )
    idx, adv = _along(self, d, index)
    return _written(self, idx, adv, source, IndexCopyBackward0)


def index_put_(
    self: Tensor, indices: Any, values: Tensor, accumulate: bool = False
) -> Tensor:  # fmt: skip
    """``self[indices] = values`` (``+=``, repeated indices adding up, with ``accumulate``)."""
    idx, adv, _ = _normalize_index(self, tuple(indices))
    if not accumulate:
        return _written(self, idx, adv, values, IndexPutBackward0)
    if adv and not fw.can_add_at(self._backend):
        _check_array_write(self._backend, idx, "index_put_")
    region = tuple(self._backend.k.getitem(self._data, idx).shape)
    return inplace(_IndexPutAccumulate, self, values, args=(idx, region))


def _tensor_arg(op: str, name: str, position: int, value: Any) -> None:
    if not isinstance(value, Tensor):
        raise TypeError(
            f"{op}(): argument '{name}' (position {position}) must be Tensor, not "
            f"{type(value).__name__}"
        )


def take(input: Tensor, index: Tensor) -> Tensor:
    """``input`` flattened, read at ``index`` (the result has ``index``'s shape)."""
    _tensor_arg("take", "index", 2, index)
    n = input.numel()
    if index.numel():
        lo, hi = int(index.min().item()), int(index.max().item())
        if lo < -n or hi >= n:
            bad = hi if hi >= n else lo
            raise IndexError(
                f"out of range: tried to access index {bad} on a tensor of {n} elements."
            )
    idx, _, _ = _normalize_index(S.reshape(input.detach(), -1), (index,))
    return unary(TakeBackward0, input, idx[0])


def put_(self: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """``self`` flattened, ``source`` written (added) at ``index``."""
    _tensor_arg("put_", "index", 1, index)
    _tensor_arg("put_", "source", 2, source)
    if index.numel() != source.numel():
        raise RuntimeError(
            f"put_(): Expected source and index to have the same number of elements, but got "
            f"source.numel() = {source.numel()}, index.numel() = {index.numel()}"
        )
    idx, _, _ = _normalize_index(S.reshape(self.detach(), -1), (index,))
    if not fw.can_add_at(self._backend):
        _check_array_write(self._backend, idx, "put_")
    return inplace(PutBackward0, self, source, args=(idx[0], bool(accumulate)))


def masked_scatter_(self: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """The first elements of ``source``, in order, written where ``mask`` is True."""
    if mask.dtype is not D.bool_:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got {mask.dtype}")
    if source.dtype is not self.dtype:
        raise RuntimeError(
            "masked_scatter: expected self and source to have same dtypes but got "
            f"{self.dtype.name} and {source.dtype.name}"
        )
    full = S.broadcast_to(mask, self.shape) if mask.shape != self.shape else mask
    count = int(full.sum().item())
    if source.numel() < count:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    idx, adv, _ = _normalize_index(self, (full,))
    values = S.reshape(source, -1)[:count]
    return _written(self, idx, adv, values, MaskedScatterBackward0)


def _scatter_into(input: Tensor, src: Tensor, index: tuple[Any, ...], node: type[Node]) -> Tensor:
    """``input`` with ``input[index]`` replaced by ``src``, whose shape must be the region's."""
    idx, adv, _ = _normalize_index(input, index)
    region = list(input._backend.k.getitem(input._data, idx).shape)
    if list(src.shape) != region:
        raise RuntimeError(
            f"expected src to have a size equal to the slice of self. src size = "
            f"{list(src.shape)}, slice size = {region}"
        )
    return _written(input.clone(), idx, adv, src, node)


def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:
    """``input`` with ``input.select(dim, index)`` replaced by ``src``."""
    d = _dim(dim, input.ndim, "select_scatter")
    return _scatter_into(input, src, (slice(None),) * d + (index,), SelectScatterBackward0)


def slice_scatter(
    input: Tensor, src: Tensor, dim: int = 0, start: int | None = None,
    end: int | None = None, step: int = 1,
) -> Tensor:  # fmt: skip
    """``input`` with its slice ``start:end:step`` along ``dim`` replaced by ``src``."""
    d = _dim(dim, input.ndim, "slice_scatter")
    index = (slice(None),) * d + (slice(start, end, step),)
    return _scatter_into(input, src, index, SliceScatterBackward0)


def _diagonal_index(x: Tensor, offset: int, dim1: int, dim2: int) -> tuple[tuple[Any, ...], int]:
    """The index of ``x.diagonal(offset, dim1, dim2)`` as index arrays, and where advanced
    indexing puts the diagonal's dim (``diagonal`` puts it last)."""
    a, b = _dim(dim1, x.ndim, "diagonal"), _dim(dim2, x.ndim, "diagonal")
    rows = max(0, min(x.shape[a] + min(offset, 0), x.shape[b] - max(offset, 0)))
    i = arange(rows, backend=x._backend)
    index: list[Any] = [slice(None)] * x.ndim
    index[a], index[b] = i - min(offset, 0), i + max(offset, 0)
    return tuple(index), min(a, b) if abs(a - b) == 1 else 0


def diagonal_scatter(
    input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1
) -> Tensor:
    """``input`` with its diagonal (as ``diagonal`` takes it) replaced by ``src``."""
    index, at = _diagonal_index(input, offset, dim1, dim2)
    want = LY.diagonal(input.detach(), offset, dim1, dim2).shape
    if src.shape != want:
        raise RuntimeError(
            f"expected src to have a size equal to the slice of self. src size = "
            f"{list(src.shape)}, slice size = {list(want)}"
        )
    return _scatter_into(input, LY.movedim(src, -1, at), index, DiagonalScatterBackward0)


def fill_diagonal_(self: Tensor, fill_value: Any, wrap: bool = False) -> Tensor:
    """Fill the main diagonal (of a tall matrix, restarting below it with ``wrap``)."""
    if self.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if self.ndim > 2 and len(set(self.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    if self.ndim == 2:
        n, m = self.shape
        end = n * m if wrap else min(n, m) * m
        flat = arange(0, end, m + 1, backend=self._backend)
        index: tuple[Any, ...] = (RD.floor_divide(flat, m), RD.remainder(flat, m))
    else:
        index = (arange(self.shape[0], backend=self._backend),) * self.ndim
    idx, adv, _ = _normalize_index(self, index)
    return _written(self, idx, adv, fill_value, CopySlices)


def _out_of_place(inplace_fn: Any, name: str) -> Any:
    def fn(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        out: Tensor = inplace_fn(input.clone(), *args, **kwargs)
        return out

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``{inplace_fn.__name__}`` on a copy of ``input``."
    return fn


index_fill = _out_of_place(index_fill_, "index_fill")
index_copy = _out_of_place(index_copy_, "index_copy")
index_put = _out_of_place(index_put_, "index_put")
put = _out_of_place(put_, "put")
masked_scatter = _out_of_place(masked_scatter_, "masked_scatter")

FUNCTIONS: dict[str, Any] = {
    "index_fill": index_fill, "index_copy": index_copy, "index_put": index_put,
    "index_put_": index_put_, "put": put, "take": take, "masked_scatter": masked_scatter,
    "select_scatter": select_scatter, "slice_scatter": slice_scatter,
    "diagonal_scatter": diagonal_scatter,
}  # fmt: skip
"""The ``tensorplug`` functions (PyTorch's ``torch.NAME``)."""

METHODS: dict[str, Any] = {
    **FUNCTIONS, "index_fill_": index_fill_, "index_copy_": index_copy_, "put_": put_,
    "masked_scatter_": masked_scatter_, "fill_diagonal_": fill_diagonal_,
}  # fmt: skip
"""The ``Tensor`` methods."""
