"""Order statistics picked out of a sort: ``median``, ``nanmedian`` (the lower median, as
PyTorch's) and ``kthvalue``, with PyTorch's named tuples ``(values, indices)``.

The sorting order comes from the optional ``argsort`` kernel (stable: NaN last, equal values
in their order); the chosen position of each slice is picked from it, and the values are a
gather of the input there (its gradient a scatter back: ``_ops_scatter.GatherBackward0``).
"""

# Composed of tensorplug's public ops and of Tensor methods bound at import (_methods),
# which the checker sees as Any:
# mypy: disable-error-code="no-any-return, attr-defined, arg-type"

from __future__ import annotations

import builtins
import math
from typing import Any

from . import _dtype as D
from . import return_types as R
from ._contract import Array, KernelOps
from ._dispatch import nary, unary
from ._graph import Node
from ._ops_scatter import GatherBackward0, flat_index
from ._ops_sort import _check_tensor, _kernel
from ._tensor import Tensor, _dim


# fmt: off
class MedianBackward0(GatherBackward0):
    """``median(x)`` of all elements: the lower middle one.
    grad x = g at the element chosen, 0 elsewhere."""
    op = "median"


class MedianBackward1(MedianBackward0):
    """``median(x, dim)``: grad x = g scattered back to where each median came from."""


class NanmedianBackward0(MedianBackward0):
    """``nanmedian(x)``: the lower middle of the non-NaN elements (NaN if all are).
    grad x = g at the element chosen."""
    op = "nanmedian"


class NanmedianBackward1(NanmedianBackward0):
    """``nanmedian(x, dim)``: grad x = g scattered back to where each came from."""


class ModeBackward0(MedianBackward0):
    """``mode(x, dim)``: the most frequent value (the smallest of equally frequent ones), at
    its last occurrence. grad x = g scattered back to there."""
    op = "mode"


class KthvalueBackward0(MedianBackward0):
    """``kthvalue(x, k, dim)``: the k-th smallest. grad x = g scattered back to where each
    value came from."""
    op = "kthvalue"


class _EmptyMedian(Node):
    """The median of no elements: NaN (as PyTorch); grad = zeros of the input's shape."""
    op = "median"

    @staticmethod
    def forward(k: Any, x: Array) -> Array:
        return k.full((), math.nan, k.dtype_of(x))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        return (ops.mul(ops.broadcast_to(g, ctx.shapes[0]), 0.0),)


class _EmptyNanmedian(_EmptyMedian):
    op = "nanmedian"


# PyTorch's names for these nodes (the classes differ from the gathers above).
_EmptyMedian.__name__ = _EmptyMedian.__qualname__ = "MedianBackward0"
_EmptyNanmedian.__name__ = _EmptyNanmedian.__qualname__ = "NanmedianBackward0"
# fmt: on


def _mode_position(be: Any, x: Array, order: Array, axis: int) -> Array:
    """The sorted position ending the first longest run of equal values: a run's length so
    far is the position less where the run started (a running max of the starts)."""
    from ._ops_cumulative import _running

    k = be.k
    shape = tuple(x.shape)
    n = shape[axis]
    v = k.reshape(k.getitem(k.reshape(x, (-1,)), flat_index(be, order, shape, axis)), shape)
    pos = k.iota(n, tuple(n if d == axis else 1 for d in range(len(shape))), order)
    lead = (slice(None),) * axis
    prev = k.concat([k.getitem(v, (*lead, slice(0, 1))), k.getitem(v, (*lead, slice(0, n - 1)))],
                    axis)  # fmt: skip
    new = k.where(k.eq(pos, 0), True, k.ne(v, prev))
    start = _running(k, k.maximum, k.where(new, pos, 0), axis)
    return k.argmax(k.sub(pos, start), axis, True)


def _positions(k: Any, x: Array, axis: int, how: str, kth: int) -> Array:
    """Each slice's position in sorted order (shape of ``x`` with ``axis`` as 1)."""
    n = x.shape[axis]
    if how == "kth":
        return k.full(tuple(1 if d == axis else s for d, s in enumerate(x.shape)), kth, D.int64)
    nans = k.sum(k.astype(k.ne(x, x), D.int64), (axis,), True)
    if how == "median":  # NaN propagates: the first NaN is chosen where there is one
        return k.where(k.gt(nans, 0), k.sub(n, nans), (n - 1) // 2)
    valid = k.sub(n, nans)  # nanmedian: the lower middle of the others (the first NaN if none)
    return k.floor_divide(k.maximum(k.sub(valid, 1), 0), 2)


def _select(cls: Any, x: Tensor, axis: int | None, keepdim: bool, how: str, kth: int = 0
            ) -> tuple[Tensor, Tensor]:  # fmt: skip
    """``(values, indices)`` of the chosen element along ``axis`` (``None``: of all)."""
    be = x._backend
    k = be.k
    data = x._data
    shape = tuple(x.shape)
    if axis is None or x.ndim == 0:
        data, shape, ax = k.reshape(data, (-1,)), (builtins.max(x.numel(), 1),), 0
        if x.ndim == 0:
            data = k.reshape(data, (1,))
    else:
        ax = axis
    order = _kernel(x, "argsort", cls.op)(data, ax, False, True)
    if how == "mode":
        pos = _mode_position(be, data, order, ax)
    else:
        pos = _positions(k, data, ax, how, kth)
    keep_shape = tuple(1 if d == ax else s for d, s in enumerate(shape))
    picked = k.reshape(k.getitem(k.reshape(order, (-1,)), flat_index(be, pos, shape, ax)),
                       keep_shape)  # fmt: skip
    if axis is None or x.ndim == 0:
        out_shape: tuple[int, ...] = ()
    elif keepdim:
        out_shape = keep_shape
    else:
        out_shape = tuple(s for d, s in enumerate(shape) if d != ax)
    lin = flat_index(be, picked, shape, ax)
    index = Tensor._make(k.reshape(picked, out_shape), be)
    return nary(cls, (x, index), lin), index


def _check_dim(x: Tensor, dim: int, op: str) -> int:
    axis = _dim(dim, builtins.max(x.ndim, 1), op)
    if x.ndim and x.shape[axis] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {axis} to have non-zero size.")
    return axis


def _whole(cls: Any, x: Tensor, how: str) -> Tensor:
    if x.numel() == 0:
        return unary(_EmptyMedian if how == "median" else _EmptyNanmedian, x)
    return _select(cls, x, None, False, how)[0]


def median(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """The lower median: of all elements (a tensor), or along ``dim`` (``(values,
    indices)``); NaN where a slice holds one.

    >>> import tensorplug as tp
    >>> tp.median(tp.tensor([4.0, 1.0, 3.0, 2.0])).item()
    2.0
    """
    x = _check_tensor("median", input)
    if dim is None:
        return _whole(MedianBackward0, x, "median")
    axis = _check_dim(x, dim, "median")
    return R.median(_select(MedianBackward1, x, axis, keepdim, "median"))


def nanmedian(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """``median`` ignoring NaN (NaN only where a slice is all NaN)."""
    x = _check_tensor("nanmedian", input)
    if dim is None:
        return _whole(NanmedianBackward0, x, "nanmedian")
    axis = _check_dim(x, dim, "nanmedian")
    return R.nanmedian(_select(NanmedianBackward1, x, axis, keepdim, "nanmedian"))


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> R.kthvalue:
    """``(values, indices)`` of the ``k``-th smallest element (from 1) along ``dim``.

    >>> import tensorplug as tp
    >>> tp.kthvalue(tp.tensor([3.0, 1.0, 2.0]), 2).values.item()
    2.0
    """
    x = _check_tensor("kthvalue", input)
    if not isinstance(k, int) or isinstance(k, bool):
        raise TypeError(f"kthvalue(): argument 'k' (position 2) must be int, not "
                        f"{type(k).__name__}")  # fmt: skip
    axis = _dim(dim, builtins.max(x.ndim, 1), "kthvalue")
    n = x.shape[axis] if x.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {axis}")
    return R.kthvalue(_select(KthvalueBackward0, x, axis, keepdim, "kth", k - 1))


def mode(input: Tensor, dim: int = -1, keepdim: bool = False) -> R.mode:
    """``(values, indices)``: the most frequent value along ``dim`` (the smallest of equally
    frequent ones) and its last index.

    >>> import tensorplug as tp
    >>> tp.mode(tp.tensor([1.0, 2.0, 2.0, 1.0, 3.0])).indices.item()
    3
    """
    x = _check_tensor("mode", input)
    axis = _check_dim(x, dim, "mode")
    return R.mode(_select(ModeBackward0, x, axis, keepdim, "mode"))


def msort(input: Tensor) -> Tensor:
    """``sort(input, dim=0).values``."""
    from ._ops_sort import sort

    return sort(_check_tensor("msort", input), 0).values
