"""Sorting and searching: ``sort``, ``argsort``, ``topk``, ``unique``, ``bincount`` and
``searchsorted``, with PyTorch's named tuples (``values``, ``indices``).

The order itself comes from an optional kernel (``argsort``, ``topk``, ``unique``,
``searchsorted``: docs/backend-guide.md); the values are then a ``gather`` of the input at
those indices, whose gradient is a scatter-add back (``_ops_scatter``).
"""

from __future__ import annotations

import builtins
from typing import Any

from . import _dtype as D
from . import return_types as R
from ._backend import UnsupportedOperation
from ._contract import Array
from ._dispatch import nary
from ._graph import Node
from ._ops_scatter import GatherBackward0, check_range, flat_index
from ._tensor import Tensor, _dim


# fmt: off
class SortBackward0(GatherBackward0):
    """``sort(x, dim)`` values: ``x`` gathered at the sorting indices.
    grad x = g scattered back to where each value came from."""
    op = "sort"


class SortBackward1(SortBackward0):
    """``sort(x, dim, stable=...)``: PyTorch's node for the overload with ``stable``."""


class TopkBackward0(GatherBackward0):
    """``topk(x, k, dim)`` values: ``x`` gathered at the top-k indices.
    grad x = zeros with g scattered back to where each value came from."""
    op = "topk"
# fmt: on


def _kernel(x: Tensor, name: str, op: str) -> Any:
    be = x._backend
    if not be.has_kernel(name):
        raise UnsupportedOperation(
            f"{op}(): backend '{be.name}' has no {name} kernel (an optional kernel: "
            "docs/backend-guide.md)"
        )
    return getattr(be.k, name)


def _indices(x: Tensor, data: Array) -> Tensor:
    return Tensor._make(data, x._backend)


def _values(cls: type[Node], x: Tensor, idx: Tensor, axis: int) -> Tensor:
    lin = flat_index(x._backend, idx._data, tuple(x.shape), axis)
    return nary(cls, (x, idx), lin)


def _check_tensor(op: str, x: Any) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(x).__name__}")
    return x


def sort(
    input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool | None = None
) -> R.sort:
    """``(values, indices)``: ``input`` sorted along ``dim`` (NaN the largest);
    ``stable`` keeps equal values in their order.

    Example:
        >>> import tensorplug as tp
        >>> tp.sort(tp.tensor([3.0, 1.0, 2.0])).indices.tolist()
        [1, 2, 0]
    """
    x = _check_tensor("sort", input)
    axis = _dim(dim, builtins.max(x.ndim, 1), "sort")
    if x.ndim == 0:
        return R.sort((x.clone(), _indices(x, x._backend.k.full((), 0, D.int64))))
    order = _kernel(x, "argsort", "sort")(x._data, axis, descending, bool(stable))
    idx = _indices(x, order)
    cls = SortBackward0 if stable is None else SortBackward1
    return R.sort((_values(cls, x, idx, axis), idx))


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (``sort(...).indices``)."""
    x = _check_tensor("argsort", input)
    axis = _dim(dim, builtins.max(x.ndim, 1), "argsort")
    if x.ndim == 0:
        return _indices(x, x._backend.k.full((), 0, D.int64))
    return _indices(x, _kernel(x, "argsort", "argsort")(x._data, axis, descending, stable))


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> R.topk:
    """``(values, indices)`` of the ``k`` largest (``largest=False``: smallest) elements
    along ``dim``, largest first (always sorted here, which ``sorted=False`` allows).

    Example:
        >>> import tensorplug as tp
        >>> tp.topk(tp.tensor([1.0, 5.0, 3.0]), 2).values.tolist()
        [5.0, 3.0]
    """
    x = _check_tensor("topk", input)
    axis = _dim(dim, builtins.max(x.ndim, 1), "topk")
    n = x.shape[axis] if x.ndim else 1
    if not isinstance(k, int) or isinstance(k, bool):
        raise TypeError(f"topk(): argument 'k' must be int, not {type(k).__name__}")
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    if x.ndim == 0:
        values, indices = topk(x.reshape(1), k, 0, largest)
        return R.topk((values.reshape(()) if k else values, indices.reshape(()) if k else indices))
    idx = _indices(x, _kernel(x, "topk", "topk")(x._data, k, axis, largest))
    return R.topk((_values(TopkBackward0, x, idx, axis), idx))


def unique(
    input: Tensor,
    sorted: bool = True,
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
) -> Any:
    """The distinct elements of ``input`` (``dim``: the distinct slices along it), sorted;
    with the inverse (where each element went) and the counts when asked. Forward only, as
    in PyTorch."""
    x = _check_tensor("unique", input)
    axis = None if dim is None else _dim(dim, builtins.max(x.ndim, 1), "unique")
    zero = [d for d, n in enumerate(x.shape) if n == 0]
    if axis is not None and zero:
        if len(zero) > 1:
            raise RuntimeError(
                "Number of zero sized dimensions is more than one, so unique cannot be applied "
            )
        if zero != [axis]:
            raise RuntimeError(
                "There are 0 sized dimensions, and they aren't selected, so unique cannot be "
                "applied"
            )
    values, inverse, counts = _kernel(x, "unique", "unique")(x._data, axis)
    out = Tensor._make(values, x._backend)
    if not (return_inverse or return_counts):
        return out
    inv = _indices(x, inverse)
    inv = inv.reshape(x.shape if axis is None else (x.shape[axis] if x.ndim else 1,))
    result: tuple[Tensor, ...] = (out,)
    if return_inverse:
        result += (inv,)
    if return_counts:
        result += (_indices(x, counts),)
    return result


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """How often each value ``0..max`` occurs in the 1-d non-negative integer ``input``
    (with ``weights``: their sums), at least ``minlength`` entries."""
    x = _check_tensor("bincount", input)
    if x.ndim != 1 or x.dtype.is_floating_point or x.dtype is D.bool_:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    k = x._backend.k
    if x.numel() and int(k.amin(x._data, None, False)) < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    n = builtins.max(int(k.amax(x._data, None, False)) + 1 if x.numel() else 0, minlength)
    if weights is None:
        w = k.full(tuple(x.shape), 1, D.int64)
    else:
        if not isinstance(weights, Tensor) or tuple(weights.shape) != tuple(x.shape):
            raise RuntimeError("weights should be 1-d and have the same length as input")
        d = weights.dtype if weights.dtype in (D.float32, D.float64) else D.float64
        w = k.astype(weights._data, d)
    out = k.index_grad(w, (n,), k.astype(x._data, D.int64), True)
    return Tensor._make(out, x._backend)


def searchsorted(
    sorted_sequence: Tensor,
    values: Any,
    *,
    out_int32: bool = False,
    right: bool = False,
    side: str | None = None,
    sorter: Tensor | None = None,
) -> Tensor:
    """Where each of ``values`` would be inserted into ``sorted_sequence`` (sorted
    along its last dim) to keep it sorted; ``right``/``side='right'``: after equal values."""
    seq = _check_tensor("searchsorted", sorted_sequence)
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(
                f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}"
            )
        if right and side == "left":
            raise RuntimeError(
                "torch.searchsorted(): side and right can't be set to opposites, got side of "
                "left while right was True"
            )
        right = side == "right"
    if sorter is not None:
        if tuple(sorter.shape) != tuple(seq.shape):
            raise RuntimeError(
                "torch.searchsorted(): boundary and sorter must have the same size, but got "
                f"boundary tensor {list(seq.shape)}and got sorter tensor {list(sorter.shape)}"
            )
        check_range(sorter, seq.shape[-1], seq.ndim - 1)
        k = seq._backend.k
        lin = flat_index(seq._backend, sorter._data, tuple(seq.shape), seq.ndim - 1)
        seq = Tensor._make(k.reshape(k.getitem(k.reshape(seq._data, (-1,)), lin), seq.shape),
                           seq._backend)  # fmt: skip
    from ._creation import tensor

    if not isinstance(values, Tensor):
        values = tensor(values, dtype=seq.dtype, backend=seq._backend)
    if seq.ndim == 0:
        raise RuntimeError(
            "torch.searchsorted(): boundaries tensor should have positive dimension, but got 0 "
            "dimension"
        )
    if seq.ndim > 1 and tuple(seq.shape[:-1]) != tuple(values.shape[:-1]):
        raise RuntimeError(
            "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
            "dimensions of boundaries tensor and input value tensor must match, but we got "
            f"boundaries tensor {list(seq.shape)} and input value tensor {list(values.shape)}"
        )
    k = seq._backend.k
    vals = values._data if values.dtype is seq.dtype else k.astype(values._data, seq.dtype)
    out = _kernel(seq, "searchsorted", "searchsorted")(seq._data, vals, right)
    if out_int32:
        out = k.astype(out, D.int32)
    return Tensor._make(out, seq._backend)
