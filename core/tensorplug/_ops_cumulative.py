"""Cumulative ops along a dim: ``cumsum``, ``cumprod``, ``cummax``, and their in-place forms."""

from __future__ import annotations

from typing import Any, TypeVar

from . import _dtype as D
from . import return_types as R
from ._contract import Array, KernelOps
from ._dispatch import Named, op_error, unary
from ._graph import Node, new_tensor
from ._inplace import inplace
from ._ops_layout import _roll
from ._tensor import Tensor, _dim


def _along(k: Any, scan: Any, x: Array, axis: int) -> Array:
    """``scan(x, axis)``; a 0-d ``x`` is its own running sum or product (a copy)."""
    return scan(x, axis) if len(x.shape) else k.copy(x)


def _flip(ops: KernelOps, x: Array, axis: int) -> Array:
    return ops.getitem(x, (slice(None),) * axis + (slice(None, None, -1),))


def reversed_cumsum(ops: KernelOps, g: Array, axis: int) -> Array:
    """``sum_{i >= j} g_i`` at each ``j`` along ``axis``: cumsum's gradient."""
    return _flip(ops, ops.cumsum(_flip(ops, g, axis), axis), axis)


# fmt: off
class CumsumBackward0(Node):
    """``y_i = sum_{j <= i} x_j`` along ``dim``: grad x_j = sum_{i >= j} g_i (a reversed
    cumsum)."""
    op = "cumsum"
    forward = staticmethod(lambda k, x, axis: _along(k, k.cumsum, x, axis))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        return (reversed_cumsum(ops, g, ctx.args[0]) if ctx.shapes[0] else g,)


class CumprodBackward0(Node):
    """``y_i = prod_{j <= i} x_j`` along ``dim``: grad x_k = sum_{i >= k} g_i prod_{j <= i,
    j != k} x_j = L_k S_k, with ``L_k = prod_{j < k} x_j`` (a cumprod of x shifted by one)
    and ``S_k = g_k + x_{k+1} S_{k+1}`` (a linear recurrence run backwards, in log2(n)
    doubling steps). No division: exact where x has zeros, and its own derivative too."""
    op, save = "cumprod", (0,)
    forward = staticmethod(lambda k, x, axis: _along(k, k.cumprod, x, axis))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        axis, shape = ctx.args[0], ctx.shapes[0]
        if not shape or shape[axis] < 2:
            return (g,)
        n = shape[axis]
        pos = ops.iota(n, tuple(n if i == axis else 1 for i in range(len(shape))), g)
        before = ops.where(ops.ge(pos, 1), _roll(ops, x, (1,), (axis,)), 1.0)
        after = ops.where(ops.lt(pos, n - 1), _roll(ops, x, (-1,), (axis,)), 0.0)
        return (ops.mul(ops.cumprod(before, axis), _suffix(ops, after, g, axis, pos)),)


def _suffix(ops: KernelOps, a: Array, b: Array, axis: int, pos: Array) -> Array:
    """``S`` with ``S_k = b_k + a_k S_{k+1}`` (0 past the end), by doubling: each step
    holds ``S_k = b_k + a_k S_{k+s}`` and substitutes ``S_{k+s}`` into it."""
    n, s = b.shape[axis], 1
    while s < n:
        keep = ops.lt(pos, n - s)
        b = ops.add(b, ops.mul(a, ops.where(keep, _roll(ops, b, (-s,), (axis,)), 0.0)))
        a = ops.mul(a, ops.where(keep, _roll(ops, a, (-s,), (axis,)), 0.0))
        s *= 2
    return b


class CummaxBackward0(Node):
    """``cummax(x, dim).values``, gathered from x at the running argmax ``idx``: grad x =
    g added into zeros at ``idx`` (repeated indices accumulate)."""
    op = "cummax"
    forward = staticmethod(lambda k, x, axis, idx: k.getitem(x, idx) if idx else k.copy(x))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        if not ctx.shapes[0]:
            return (g,)
        return (ops.index_grad(g, ctx.shapes[0], ctx.args[1], True),)
class CumminBackward0(CummaxBackward0):
    """``cummin(x, dim).values``: as ``cummax``'s, at the running argmin."""
    op = "cummin"
# fmt: on

_R = TypeVar("_R", R.cummax, R.cummin)


def _prepare(input: Tensor, dim: int, dtype: D.dtype | None, op: str) -> tuple[Tensor, int]:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    axis = _dim(dim, input.ndim, op)
    if dtype is not None:
        input = input.to(dtype)
    elif not input.dtype.is_floating_point:
        input = input.to(D.int64)  # as PyTorch: integers and bools accumulate in int64
    return input, axis


def cumsum(input: Tensor, dim: int, *, dtype: D.dtype | None = None) -> Tensor:
    """Running sum along ``dim``; integer and bool inputs give int64 (or ``dtype``).

    >>> import tensorplug as tp
    >>> tp.cumsum(tp.tensor([1, 2, 3]), 0).tolist()
    [1, 3, 6]
    """
    x, axis = _prepare(input, dim, dtype, "cumsum")
    return unary(CumsumBackward0, x, axis)


def cumprod(input: Tensor, dim: int, *, dtype: D.dtype | None = None) -> Tensor:
    """Running product along ``dim``; its gradient is exact where the input has zeros.

    >>> import tensorplug as tp
    >>> tp.cumprod(tp.tensor([1.0, 2.0, 3.0]), 0).tolist()
    [1.0, 2.0, 6.0]
    """
    x, axis = _prepare(input, dim, dtype, "cumprod")
    return unary(CumprodBackward0, x, axis)


def _check_inplace_dtype(self: Tensor, dtype: D.dtype | None) -> None:
    if dtype is not None and dtype != self.dtype:
        raise RuntimeError(
            f"Bad in-place call: input tensor dtype {self.dtype.name} and output tensor dtype "
            f"{dtype.name} should match"
        )


def cumsum_(self: Tensor, dim: int, *, dtype: D.dtype | None = None) -> Tensor:
    _check_inplace_dtype(self, dtype)
    return inplace(CumsumBackward0, self, args=(_dim(dim, self.ndim, "cumsum_"),))


def cumprod_(self: Tensor, dim: int, *, dtype: D.dtype | None = None) -> Tensor:
    _check_inplace_dtype(self, dtype)
    return inplace(CumprodBackward0, self, args=(_dim(dim, self.ndim, "cumprod_"),))


def _running(k: Any, combine: Any, x: Array, axis: int) -> Array:
    """The running ``combine`` (``k.maximum``, ``k.minimum``) along ``axis`` in log2(n) steps;
    NaN propagates. Padding with the leading elements themselves is exact, as ``max(a, a) =
    a``."""
    n = x.shape[axis]
    lead = (slice(None),) * axis
    s = 1
    while s < n:
        shifted = k.concat(
            [k.getitem(x, (*lead, slice(0, s))), k.getitem(x, (*lead, slice(0, n - s)))], axis
        )
        x = combine(x, shifted)
        s *= 2
    return x


def _cum_index(k: Any, combine: Any, x: Array, axis: int) -> tuple[Array, tuple[Array, ...]]:
    """The running argmax (argmin: ``combine`` is ``k.minimum``): the last place of the
    extreme so far, or of a NaN, as PyTorch; and the full index that gathers the values."""
    shape = tuple(x.shape)

    def iota(d: int) -> Array:
        return k.iota(shape[d], tuple(n if i == d else 1 for i, n in enumerate(shape)), x)

    m = _running(k, combine, x, axis)
    record = k.where(k.ne(x, x), True, k.eq(x, m))  # a new extreme, or a NaN
    idx = _running(k, k.maximum, k.where(record, iota(axis), 0), axis)
    full = tuple(idx if d == axis else iota(d) for d in range(len(shape)))
    return idx, full


def cummax(input: Tensor, dim: int) -> R.cummax:
    """The running maximum along ``dim`` and where it was found: ``(values, indices)``.

    >>> import tensorplug as tp
    >>> tp.cummax(tp.tensor([1.0, 3.0, 2.0]), 0).indices.tolist()
    [0, 1, 1]
    """
    return _cum_extreme(R.cummax, CummaxBackward0, "maximum", input, dim)


def cummin(input: Tensor, dim: int) -> R.cummin:
    """The running minimum along ``dim`` and where it was found: ``(values, indices)``.

    >>> import tensorplug as tp
    >>> tp.cummin(tp.tensor([3.0, 1.0, 2.0]), 0).values.tolist()
    [3.0, 1.0, 1.0]
    """
    return _cum_extreme(R.cummin, CumminBackward0, "minimum", input, dim)


def _cum_extreme(result: type[_R], cls: type[Node], combine: str, input: Tensor, dim: int) -> _R:
    if not isinstance(input, Tensor):
        raise TypeError(f"{cls.op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    axis = _dim(dim, input.ndim, cls.op)
    be = input._backend
    if input.ndim == 0:
        zero = new_tensor(Tensor, be.k.full((), 0, D.int64), be)
        return result((unary(cls, input, axis, ()), zero))
    try:
        idx, full = _cum_index(be.k, getattr(be.k, combine), input._data, axis)
    except Exception as e:
        raise op_error(Named(cls.op), (input,), e) from e
    values = unary(cls, input, axis, full)
    return result((values, new_tensor(Tensor, idx, be)))
