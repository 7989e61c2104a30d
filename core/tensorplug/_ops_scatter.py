"""Gather and scatter along a dimension: ``gather``, ``take_along_dim``, ``scatter``,
``scatter_add``, ``index_select`` and ``index_add``, and the in-place write their ``_``
variants share.

An element picked along ``dim`` is addressed by its position in the flattened input (its
*flat index*, ``flat_index``): gather is then one ``getitem`` of the flattened input, and its
gradient one ``index_grad`` (a scatter-add) into zeros, so the backward of each op is the
forward of the other and double backward comes free.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from . import _dtype as D
from . import _functional_write as fw
from ._backend import Backend, UnsupportedOperation
from ._contract import Array, KernelOps
from ._dispatch import nary, unary
from ._graph import Node
from ._indexing import IndexBackward0
from ._inplace import (
    check_inplace,
    check_writable,
    commit,
    live_views,
    rebase_view,
    records,
    view_write_needs_graph,
)
from ._tensor import Tensor, _dim


def flat_index(be: Backend, index: Array, shape: tuple[int, ...], dim: int) -> Array:
    """The positions in ``x.reshape(-1)`` (``x`` of ``shape``, contiguous) of the elements
    ``index`` picks along ``dim``: ``index * stride[dim] + sum(i_d * stride[d])`` over the
    other dims, as a 1-d int64 array."""
    k = be.k
    strides = [math.prod(shape[d + 1 :]) for d in range(len(shape))]
    ishape = tuple(index.shape)
    lin = index if k.dtype_of(index) is D.int64 else k.astype(index, D.int64)
    if strides[dim] != 1:
        lin = k.mul(lin, strides[dim])
    base = None
    for d, n in enumerate(ishape):
        if d == dim or n == 1:
            continue
        term = k.iota(n, tuple(n if i == d else 1 for i in range(len(ishape))), index)
        term = k.mul(term, strides[d]) if strides[d] != 1 else term
        base = term if base is None else k.add(base, term)
    if base is not None:
        lin = k.add(lin, base)
    return k.reshape(lin, (-1,))


def _take_flat(ops: KernelOps, x: Array, lin: Array, shape: tuple[int, ...]) -> Array:
    return ops.reshape(ops.getitem(ops.reshape(x, (-1,)), lin), shape)


def _put_flat(ops: KernelOps, g: Array, lin: Array, shape: tuple[int, ...]) -> Array:
    """Zeros of ``shape`` with ``g`` added at the flat positions ``lin``."""
    return ops.reshape(ops.index_grad(ops.reshape(g, (-1,)), (math.prod(shape),), lin, True), shape)


def _src_grad(ctx: Node, ops: KernelOps, g: Array, lin: Array, part: Any) -> Array:
    """The gradient of a scattered ``src``: ``g`` gathered at the scattered positions, and
    zeros for the part of ``src`` beyond the index's shape."""
    gs = _take_flat(ops, g, lin, ctx.shapes[1])
    return gs if part is None else ops.index_grad(gs, ctx.shapes[2], part, False)


def _scatter_into(k: Any, x: Array, lin: Array, src: Any, add: bool) -> Array:
    flat = k.reshape(k.copy(x), (-1,))
    if add:
        if hasattr(k, "scatter_add"):
            k.scatter_add(flat, lin, src)
        else:
            flat = k.add(flat, k.index_grad(src, flat.shape, lin, True))
    else:
        flat = fw.put(k, flat, lin, src)
    return k.reshape(flat, x.shape)


def _src_part(k: Any, src: Array, index: Array, part: Any) -> Array:
    return k.reshape(src if part is None else k.getitem(src, part), (-1,))


# fmt: off
class GatherBackward0(Node):
    """``gather(x, dim, index)``: ``out[i][j] = x[i][index[i][j]]`` (dim 1).
    grad x = zeros with g added at the gathered places (a scatter-add)."""
    op, promote = "gather", False

    @staticmethod
    def forward(k: Any, x: Array, index: Array, lin: Array) -> Array:
        return k.reshape(k.getitem(k.reshape(x, (-1,)), lin), index.shape)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array, None]:
        return (_put_flat(ops, g, ctx.args[0], ctx.shapes[0]), None)


class ScatterAddBackward0(Node):
    """``scatter_add(x, dim, index, src)``: ``out = x``, then ``out[i][index[i][j]] +=
    src[i][j]``. grad x = g; grad src = g gathered at index."""
    op, promote = "scatter_add", False

    @staticmethod
    def forward(k: Any, x: Array, index: Array, src: Array, lin: Array, part: Any) -> Array:
        return _scatter_into(k, x, lin, _src_part(k, src, index, part), True)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array, None, Array]:
        lin, part = ctx.args
        return g, None, _src_grad(ctx, ops, g, lin, part) if ctx.needs_input_grad[2] else None


class ScatterBackward0(Node):
    """``scatter(x, dim, index, src)``: ``out = x``, then ``out[i][index[i][j]] = src[i][j]``.
    grad x = g zeroed where written; grad src = g gathered at index."""
    op, promote = "scatter", False

    @staticmethod
    def forward(k: Any, x: Array, index: Array, src: Array, lin: Array, part: Any) -> Array:
        return _scatter_into(k, x, lin, _src_part(k, src, index, part), False)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array, None, Array | None]:
        lin, part = ctx.args
        gx = _unwritten(ctx, ops, g, lin) if ctx.needs_input_grad[0] else None
        return gx, None, _src_grad(ctx, ops, g, lin, part) if ctx.needs_input_grad[2] else None


class ScatterBackward1(Node):
    """``scatter(x, dim, index, value)``: ``out[i][index[i][j]] = value``.
    grad x = g zeroed where written."""
    op, promote = "scatter", False

    @staticmethod
    def forward(k: Any, x: Array, index: Array, lin: Array, value: Any) -> Array:
        return _scatter_into(k, x, lin, value, False)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array, None]:
        return (_unwritten(ctx, ops, g, ctx.args[0]), None)


class IndexSelectBackward0(IndexBackward0):
    """``index_select(x, dim, index)``: grad x = zeros with g added at the selected rows."""
    op = "index_select"

    @staticmethod
    def forward(k: Any, x: Array, where: Any, advanced: bool) -> Array:
        # The index array alone on the first axis: an Array-API library need not take an
        # integer array beside slices (array-api-strict refuses ``x[:, idx]``).
        d = len(where) - 1
        if d == 0:
            return k.getitem(x, where)
        order = (d, *range(d), *range(d + 1, len(x.shape)))
        back = (*range(1, d + 1), 0, *range(d + 1, len(x.shape)))
        return k.permute(k.getitem(k.permute(x, order), (where[d],)), back)


class IndexAddBackward0(Node):
    """``index_add(x, dim, index, source, alpha)``: ``out = x``, then ``out[.., index[i], ..]
    += alpha * source[.., i, ..]``. grad x = g; grad source = alpha * g[.., index, ..]."""
    op, promote = "index_add", False

    @staticmethod
    def forward(k: Any, x: Array, index: Array, source: Array, where: Any, alpha: Any) -> Array:
        src = source if alpha == 1 else k.mul(source, alpha)
        if hasattr(k, "scatter_add"):
            out = k.copy(x)
            k.scatter_add(out, where, src)
            return out
        if hasattr(k, "index_add"):  # an immutable backend's functional scatter_add
            return k.index_add(x, where, src)
        return k.add(x, k.index_grad(src, x.shape, where, True))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array, None, Array | None]:
        where, alpha = ctx.args
        if not ctx.needs_input_grad[2]:
            return g, None, None
        gs = ops.getitem(g, where)
        return g, None, gs if alpha == 1 else ops.mul(gs, alpha)
# fmt: on


def _unwritten(ctx: Node, ops: KernelOps, g: Array, lin: Array) -> Array:
    """``g`` with zeros at the flat positions ``lin`` (those a scatter overwrote)."""
    k = ctx._backend.k
    shape = ctx.shapes[0]
    mask = k.full((math.prod(shape),), False, D.bool_)
    mask = fw.put(k, mask, lin, True)
    return ops.where(ops.const(k.reshape(mask, shape), g), 0.0, g)


# -- checks ---------------------------------------------------------------------------------


def _check_index(op: str, index: Any, ints: tuple[D.dtype, ...] = (D.int64,)) -> Tensor:
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): index must be a Tensor, got {type(index).__name__}")
    if index.dtype not in ints:
        raise RuntimeError(f"{op}(): Expected dtype int64 for index")
    return index


def check_range(index: Tensor, size: int, dim: int) -> None:
    """Every entry of ``index`` in ``[0, size)`` (PyTorch's words otherwise)."""
    if not index.numel():
        return
    k = index._backend.k
    lo, hi = int(k.amin(index._data, None, False)), int(k.amax(index._data, None, False))
    if lo < 0 or hi >= size:
        bad = lo if lo < 0 else hi
        raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size {size}")


def _check_gather(op: str, x: Tensor, dim: int, index: Tensor, src: Tensor | None) -> None:
    if index.ndim != x.ndim and not (index.ndim <= 1 and x.ndim <= 1):
        raise RuntimeError(
            f"{op}(): Index tensor must have the same number of dimensions as "
            f"{'self' if src is None else 'self tensor'}"
        )
    for d, (n, m) in enumerate(zip(index.shape, x.shape)):
        if d != dim and n > m:
            raise RuntimeError(
                f"Size does not match at dimension {d} expected index {list(index.shape)} to "
                f"be smaller than self {list(x.shape)} apart from dimension {dim}"
            )
    if src is not None:
        if src.dtype is not x.dtype:
            raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
        for d, (n, m) in enumerate(zip(index.shape, src.shape)):
            if n > m:
                raise RuntimeError(
                    f"Size does not match at dimension {d} expected index {list(index.shape)} "
                    f"to be smaller than src {list(src.shape)}"
                )
    check_range(index, x.shape[dim] if x.ndim else 1, dim)


def _as_1d(t: Tensor) -> Tensor:
    return t.reshape(1) if t.ndim == 0 else t


def _prepare(
    op: str, x: Tensor, dim: int, index: Any, src: Tensor | None = None
) -> tuple[Tensor, int, Tensor, Tensor | None, Array, Any]:
    """Checks; 0-d operands as 1-d; the flat index and the slice of ``src`` it covers."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): input must be a Tensor, got {type(x).__name__}")
    index = _check_index(op, index)
    axis = _dim(dim, max(x.ndim, 1), op)
    _check_gather(op, x, axis, index, src)
    xs, ix = _as_1d(x), _as_1d(index)
    part = None
    if src is not None:
        src = _as_1d(src)
        if tuple(src.shape) != tuple(ix.shape):
            part = tuple(slice(0, n) for n in ix.shape)
    return xs, axis, ix, src, flat_index(x._backend, ix._data, tuple(xs.shape), axis), part


# -- functions ------------------------------------------------------------------------------


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """Values of ``input`` along ``dim`` at ``index`` (``index``'s shape).

    Example:
        >>> import tensorplug as tp
        >>> tp.gather(tp.tensor([[1, 2], [3, 4]]), 1, tp.tensor([[1], [0]])).tolist()
        [[2], [3]]
    """
    xs, _, ix, _, lin, _ = _prepare("gather", input, dim, index)
    out = nary(GatherBackward0, (xs, ix), lin)
    return out.reshape(index.shape) if index.ndim == 0 else out


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """``gather`` with ``input`` and ``indices`` broadcast against each other outside
    ``dim``; with no ``dim``, along the flattened input."""
    if dim is None:
        return gather(input.reshape(-1), 0, _check_index("take_along_dim", indices).reshape(-1))
    if input.ndim != indices.ndim:
        raise RuntimeError(
            "torch.take_along_dim(): input and indices should have the same number of "
            f"dimensions, but got {input.ndim} dimensions for input, and {indices.ndim} "
            "dimensions for indices"
        )
    axis = _dim(dim, max(input.ndim, 1), "take_along_dim")
    from ._dispatch import broadcast_shape

    shape = broadcast_shape(list(input.shape), list(indices.shape))
    xs = [*shape[:axis], input.shape[axis], *shape[axis + 1 :]] if input.ndim else []
    ixs = [*shape[:axis], indices.shape[axis], *shape[axis + 1 :]] if indices.ndim else []
    x = input if list(input.shape) == xs else input.expand(*xs)
    ix = indices if list(indices.shape) == ixs else indices.expand(*ixs)
    return gather(x, axis, ix)


def scatter(
    input: Tensor,
    dim: int,
    index: Tensor,
    src: Any = None,
    *,
    value: Any = None,
    reduce: str | None = None,
) -> Tensor:
    """A copy of ``input`` with ``src`` (or the number ``value``) written along ``dim`` at
    ``index``: ``out[i][index[i][j]] = src[i][j]`` (dim 1); ``reduce='add'``/``'multiply'``
    adds or multiplies instead (``_ops_scatter_reduce``)."""
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter(): expected a src tensor or a value")
    if reduce is not None:
        from ._ops_scatter_reduce import scatter_with_reduce

        return scatter_with_reduce(input, dim, index, src, reduce)
    be = getattr(input, "_backend", None)
    if be is not None and not fw.can_add_at(be):  # its writes are indexed by arrays
        raise UnsupportedOperation(
            f"scatter(): backend '{be.name}' has no scatter_add kernel, which declares the "
            "writes at integer-array indices that scatter makes"
        )
    cls = ScatterBackward0 if isinstance(src, Tensor) else ScatterBackward1
    tsrc = src if isinstance(src, Tensor) else None
    xs, _, ix, s, lin, part = _prepare("scatter", input, dim, index, tsrc)
    if s is None:
        out = nary(cls, (xs, ix), lin, src)
    else:
        out = nary(cls, (xs, ix, s), lin, part)
    return out.reshape(()) if input.ndim == 0 else out


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of ``input`` with ``src`` added along ``dim`` at ``index`` (repeated indices
    accumulate): ``out[i][index[i][j]] += src[i][j]`` (dim 1)."""
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add(): src must be a Tensor, got {type(src).__name__}")
    xs, _, ix, s, lin, part = _prepare("scatter_add", input, dim, index, src)
    out = nary(ScatterAddBackward0, (xs, ix, s), lin, part)
    return out.reshape(()) if input.ndim == 0 else out


def _index_where(op: str, x: Tensor, dim: int, index: Any) -> tuple[int, Tensor, tuple[Any, ...]]:
    index = _check_index(op, index, (D.int64, D.int32))
    if index.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector")
    axis = _dim(dim, max(x.ndim, 1), op)
    check_range(index.reshape(-1), x.shape[axis] if x.ndim else 1, axis)
    return axis, index, (slice(None),) * axis + (index.reshape(-1)._data,)


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The slices of ``input`` along ``dim`` at the positions ``index`` (1-d)."""
    _, _, where = _index_where("index_select", input, dim, index)
    if input.ndim == 0:
        return unary(IndexSelectBackward0, input.reshape(1), where, True).reshape(())
    return unary(IndexSelectBackward0, input, where, True)


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Any = 1) -> Tensor:
    """A copy of ``input`` with ``alpha * source`` added at the slices ``index`` along
    ``dim`` (repeated indices accumulate)."""
    axis, index, where = _index_where("index_add", input, dim, index)
    if not isinstance(source, Tensor):
        raise TypeError(f"index_add(): source must be a Tensor, got {type(source).__name__}")
    if source.dtype is not input.dtype:
        raise RuntimeError(
            f"index_add_(): self ({input.dtype.name}) and source ({source.dtype.name}) must "
            "have the same scalar type"
        )
    n = index.numel()
    got = source.shape[axis] if source.ndim else 1
    if got != n:
        raise RuntimeError(
            f"index_add_(): Number of indices ({n}) should be equal to source.size(dim): "
            f"({got}), for dim: {axis}"
        )
    rest = [m for d, m in enumerate(source.shape) if d != axis]
    same = source.ndim == input.ndim and rest == [m for d, m in enumerate(input.shape) if d != axis]
    if not same and not (input.ndim == 0 and source.numel() == 1):
        raise RuntimeError(
            "source tensor shape must match self tensor shape, excluding the specified "
            f"dimension. Got self.shape = {list(input.shape)} source.shape = {list(source.shape)}"
        )
    x, s = _as_1d(input), _as_1d(source)
    out = nary(IndexAddBackward0, (x, index, s), where, alpha)
    return out.reshape(()) if input.ndim == 0 else out


# -- in place -------------------------------------------------------------------------------


def write_in_place(
    t: Tensor, op: str, compute: Callable[[Tensor], Tensor], operands: tuple[Any, ...]
) -> Tensor:
    """``t`` overwritten with ``compute(t)``, an out-of-place op whose node does not save
    ``t``, its history rebased on that node as ``_inplace.inplace`` does."""
    if t._view_ops is not None:
        check_writable(t, op)
    if view_write_needs_graph(t, *operands):
        rebase_view(t, compute(t), op)
        return t
    check_inplace(t, op)
    recorded = records(t, operands)
    views = live_views(t) if recorded and t._views else None
    return commit(t, compute(t), op, recorded, views)


def scatter_(
    self: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None,
    reduce: str | None = None,
) -> Tensor:  # fmt: skip
    def compute(t: Tensor) -> Tensor:
        return scatter(t, dim, index, src, value=value, reduce=reduce)

    return write_in_place(self, "scatter_", compute, (src,))


def scatter_add_(self: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    return write_in_place(self, "scatter_add_", lambda t: scatter_add(t, dim, index, src), (src,))


def index_add_(self: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Any = 1) -> Tensor:
    def compute(t: Tensor) -> Tensor:
        return index_add(t, dim, index, source, alpha=alpha)

    return write_in_place(self, "index_add_", compute, (source,))
