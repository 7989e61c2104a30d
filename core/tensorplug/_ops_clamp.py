"""``clamp``, ``clamp_min``, ``clamp_max`` and ``clamp_``, with number bounds
(``ClampBackward1``, ``ClampMinBackward0``, ``ClampMaxBackward0``) or tensor bounds (PyTorch's
``clamp.Tensor``, ``clamp_min.Tensor`` and ``clamp_max.Tensor``, one node each). Gradients go
by comparison, as PyTorch's do: at a tie the input keeps the gradient (``maximum``/``minimum``
would split it in halves); the in-place form records the same nodes."""

from __future__ import annotations

from typing import Any

from . import _dtype as D
from ._contract import Array, KernelOps, Operand, has_where_zero_owned
from ._dispatch import is_float, nary, unary
from ._dtype import get_default_dtype
from ._graph import Node
from ._inplace import inplace
from ._tensor import Tensor


def _clamp_grad_owned(
    ops: KernelOps, g: Array, x: Array, lo: Operand | None, hi: Operand | None
) -> Array:
    """``clamp_backward`` zeroing ``g`` in place (the engine's alone:
    ``Node.backward_owned``), where the backend can (NumPy); else the fused kernel."""
    if not has_where_zero_owned(ops):
        return ops.clamp_backward(g, x, lo, hi)
    if lo is not None:
        g = ops.where_zero_owned(ops.ge(x, lo), g)
    if hi is not None:
        g = ops.where_zero_owned(ops.le(x, hi), g)
    return g


class ClampBackward1(Node):
    """``clamp(x, min, max)`` with number bounds: grad = g where min <= x <= max."""

    elementwise = True
    op, save = "clamp", (0,)
    kernel = "clamp"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        return (ops.clamp_backward(g, x, *ctx.args),)

    @staticmethod
    def backward_owned(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        return (_clamp_grad_owned(ops, g, x, *ctx.args),)


class ClampMinBackward0(ClampBackward1):
    """``clamp_min(x, min)``: grad = g where x >= min."""

    op = "clamp_min"


class ClampMaxBackward0(ClampBackward1):
    """``clamp_max(x, max)``: grad = g where x <= max."""

    op = "clamp_max"


# fmt: off
class ClampMinBackward1(Node):
    """``clamp_min(x, lo)``, NaN-propagating ``maximum(x, lo)``: grad x = g where x >= lo,
    grad lo = g where x < lo."""
    op, broadcasts, promote, save = "clamp_min", True, True, (0, 1)
    kernel = "maximum"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array, lo: Array) -> tuple[Array, Array]:
        nx, nlo = ctx.needs_input_grad
        return (ops.sum_to(ops.where(ops.ge(x, lo), g, 0.0), ctx.shapes[0]) if nx else None,
                ops.sum_to(ops.where(ops.lt(x, lo), g, 0.0), ctx.shapes[1]) if nlo else None)


class ClampMaxBackward1(Node):
    """``clamp_max(x, hi)``, NaN-propagating ``minimum(x, hi)``: grad x = g where x <= hi,
    grad hi = g where x > hi."""
    op, broadcasts, promote, save = "clamp_max", True, True, (0, 1)
    kernel = "minimum"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array, hi: Array) -> tuple[Array, Array]:
        nx, nhi = ctx.needs_input_grad
        return (ops.sum_to(ops.where(ops.le(x, hi), g, 0.0), ctx.shapes[0]) if nx else None,
                ops.sum_to(ops.where(ops.gt(x, hi), g, 0.0), ctx.shapes[1]) if nhi else None)


class ClampBackward0(Node):
    """``clamp(x, lo, hi)``, ``minimum(maximum(x, lo), hi)`` (``hi`` where ``lo > hi``):
    grad x = g where lo <= x <= hi; grad lo = g where x < lo < hi; grad hi = g where x > hi
    or hi < lo."""
    op, broadcasts, promote, save = "clamp", True, True, (0, 1, 2)
    forward = staticmethod(lambda k, x, lo, hi: k.minimum(k.maximum(x, lo), hi))

    @staticmethod
    def backward(
        ctx: Node, ops: KernelOps, g: Array, x: Array, lo: Array, hi: Array
    ) -> tuple[Array, Array, Array]:
        nx, nlo, nhi = ctx.needs_input_grad
        sx, slo, shi = ctx.shapes
        gx = ops.where(ops.ge(x, lo), ops.where(ops.le(x, hi), g, 0.0), 0.0) if nx else None
        glo = ops.where(ops.lt(x, lo), ops.where(ops.lt(lo, hi), g, 0.0), 0.0) if nlo else None
        ghi = ops.where(ops.gt(x, hi), g, ops.where(ops.lt(hi, lo), g, 0.0)) if nhi else None
        return (None if gx is None else ops.sum_to(gx, sx),
                None if glo is None else ops.sum_to(glo, slo),
                None if ghi is None else ops.sum_to(ghi, shi))


class _ClampLow(ClampMinBackward1):
    """``clamp(x, min=lo)`` with a tensor ``lo`` alone: PyTorch names it ``ClampBackward0``."""
    op = "clamp"


class _ClampHigh(ClampMaxBackward1):
    """``clamp(x, max=hi)`` with a tensor ``hi`` alone: PyTorch names it ``ClampBackward0``."""
    op = "clamp"
# fmt: on


_ClampLow.__name__ = _ClampLow.__qualname__ = "ClampBackward0"
_ClampHigh.__name__ = _ClampHigh.__qualname__ = "ClampBackward0"


def number_bounds(op: str, min: Any, max: Any) -> tuple[Any, Any] | None:
    """``min``/``max`` as numbers where PyTorch takes them so (a 0-d tensor outside the graph
    beside a number reads as that number); None where they are tensors (or None), as
    ``clamp`` takes them. A tensor beside a number otherwise is PyTorch's TypeError."""
    tensors = [b for b in (min, max) if isinstance(b, Tensor)]
    numbers = [b for b in (min, max) if b is not None and not isinstance(b, Tensor)]
    if not numbers:
        return None
    if all(t.ndim == 0 and not t.requires_grad for t in tensors):
        lo, hi = (b.item() if isinstance(b, Tensor) else b for b in (min, max))
        return lo, hi
    raise TypeError(
        f"{op}(): the bounds must be both numbers or both tensors (or None), got "
        f"{type(min).__name__} and {type(max).__name__}"
    )


def _form(op: str, min: Any, max: Any) -> tuple[type[Node] | None, tuple[Any, ...]]:
    """``clamp``'s (and ``clamp_``'s) node for tensor bounds with those bounds, as PyTorch
    records all three forms (``ClampBackward0``); or None and the number bounds."""
    if min is None and max is None:
        raise RuntimeError(f"{op}(): at least one of 'min' or 'max' must not be None")
    if not (isinstance(min, Tensor) or isinstance(max, Tensor)):
        return None, (min, max)
    numbers = number_bounds(op, min, max)
    if numbers is not None:
        return None, numbers
    if max is None:
        return _ClampLow, (min,)
    if min is None:
        return _ClampHigh, (max,)
    return ClampBackward0, (min, max)


def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """Limit values to ``[min, max]``; either bound may be omitted, or both be tensors."""
    cls, bounds = _form("clamp", min, max)
    if cls is ClampBackward0 and all(t.dtype is D.bool_ for t in (input, *bounds)):
        raise NotImplementedError("\"clamp_cpu\" not implemented for 'Bool'")
    if cls is not None:
        return nary(cls, (input, *bounds))
    return unary(ClampBackward1, _bounds_dtype(input, *bounds), *bounds)


clip = clamp


def _bounds_dtype(input: Tensor, *bounds: Any) -> Tensor:
    """An integer tensor clamped to a float bound becomes the default float, as in PyTorch
    (a Python scalar never promotes a tensor within its category)."""
    for b in bounds:  # a loop, not any(...): measurably faster (docs/performance.md)
        if isinstance(b, float):
            if not is_float(input._backend, input._data):
                return input.to(get_default_dtype())
            break
    return input


def clamp_min(input: Tensor, min: Any) -> Tensor:
    """``max(input, min)``; PyTorch records it as ``ClampMinBackward0`` (``clamp`` with one
    bound stays ``ClampBackward1``)."""
    if isinstance(min, Tensor):
        return nary(ClampMinBackward1, (input, min))
    return unary(ClampMinBackward0, _bounds_dtype(input, min), min, None)


def clamp_max(input: Tensor, max: Any) -> Tensor:
    """``min(input, max)``, recorded as ``ClampMaxBackward0``."""
    if isinstance(max, Tensor):
        return nary(ClampMaxBackward1, (input, max))
    return unary(ClampMaxBackward0, _bounds_dtype(input, max), None, max)


def clamp_(self: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """``clamp`` in place, with number or tensor bounds (the same nodes as ``clamp``)."""
    cls, bounds = _form("clamp_", min, max)
    if cls is not None:
        return inplace(cls, self, *bounds)
    return inplace(ClampBackward1, self, args=bounds)
