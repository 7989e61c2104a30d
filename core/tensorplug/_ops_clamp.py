"""``clamp`` with tensor bounds: PyTorch's ``clamp.Tensor``, ``clamp_min.Tensor`` and
``clamp_max.Tensor``, one node each. Their gradients go by comparison, as PyTorch's do: at a
tie the input keeps the gradient (``maximum``/``minimum`` would split it in halves)."""

from __future__ import annotations

from typing import Any

from ._contract import Array, KernelOps
from ._dispatch import nary
from ._graph import Node
from ._tensor import Tensor


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


def clamp_tensors(input: Tensor, min: Any, max: Any) -> Tensor:
    """``clamp`` where a bound is a tensor: both bounds tensors (or None), as PyTorch takes
    them."""
    for b in (min, max):
        if b is not None and not isinstance(b, Tensor):
            raise TypeError(
                "clamp(): the bounds must be both numbers or both tensors (or None), got "
                f"{type(min).__name__} and {type(max).__name__}"
            )
    if max is None:
        return nary(_ClampLow, (input, min))
    if min is None:
        return nary(_ClampHigh, (input, max))
    return nary(ClampBackward0, (input, min, max))


def clamp_min_tensor(input: Tensor, min: Tensor) -> Tensor:
    return nary(ClampMinBackward1, (input, min))


def clamp_max_tensor(input: Tensor, max: Tensor) -> Tensor:
    return nary(ClampMaxBackward1, (input, max))
