"""``logcumsumexp``: ``log(cumsum(exp(x)))`` along a dim, without overflow or underflow.

The forward is a running ``logaddexp`` in log2(n) doubling steps (each element combined with
the one ``s`` before it, ``-inf`` past the start), so no element is shifted by a far larger
one as a single shift by the slice's maximum would (``exp`` of a difference below about
-745 is 0, and an early prefix would become ``-inf``).
"""

from __future__ import annotations

import math
from typing import Any

from . import _dtype as D
from ._contract import Array, KernelOps
from ._dispatch import unary
from ._graph import OUT, Node
from ._ops_cumulative import _suffix
from ._ops_layout import _roll
from ._tensor import Tensor, _dim


def _logaddexp(k: Any, a: Array, b: Array, log1p: Any) -> Array:
    d = k.neg(k.abs(k.sub(a, b)))
    out = k.add(k.maximum(a, b), log1p(k.exp(d)))
    return k.where(k.eq(a, b), k.add(a, math.log(2.0)), out)


def _scan(k: Any, x: Array, axis: int, log1p: Any) -> Array:
    n = x.shape[axis]
    pos = k.iota(n, tuple(n if i == axis else 1 for i in range(len(x.shape))), x)
    s = 1
    while s < n:
        before = k.where(k.ge(pos, s), _roll(k, x, (s,), (axis,)), -math.inf)
        x = _logaddexp(k, x, before, log1p)
        s *= 2
    return x


# fmt: off
class LogcumsumexpBackward0(Node):
    """``y_i = log sum_{j <= i} exp(x_j)``: grad x_j = sum_{i >= j} g_i exp(x_j - y_i) =
    exp(x_j - y_j) S_j with ``S_j = g_j + exp(y_j - y_{j+1}) S_{j+1}`` (every factor at
    most 1: a linear recurrence run backwards in doubling steps); 0 where x_j is -inf."""
    op, float_only, save = "logcumsumexp", True, (0, OUT)

    @staticmethod
    def forward(k: Any, x: Array, axis: int) -> Array:
        return _scan(k, x, axis, k.log1p) if x.shape and x.shape[axis] > 1 else k.copy(x)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array, y: Array) -> tuple[Array]:
        (axis,), shape = ctx.args, ctx.shapes[0]
        if not shape or shape[axis] < 2:
            return (ops.where(ops.eq(x, -math.inf), 0.0, g),)
        n = shape[axis]
        pos = ops.iota(n, tuple(n if i == axis else 1 for i in range(len(shape))), g)
        # Exponents masked before ``exp`` where unused (the wrapped last element, -inf - -inf):
        # an inf or NaN there would turn the second derivative's 0 * inf into NaN.
        inside = ops.lt(pos, n - 1)
        after = _roll(ops, y, (-1,), (axis,))
        ok = ops.where(inside, ops.ne(after, -math.inf), False)
        a = ops.where(inside, ops.exp(ops.where(ok, ops.sub(y, after), 0.0)), 0.0)
        s = _suffix(ops, a, g, axis, pos)
        gone = ops.eq(x, -math.inf)
        lead = ops.where(gone, 0.0, ops.exp(ops.where(gone, 0.0, ops.sub(x, y))))
        return (ops.mul(lead, s),)
# fmt: on


def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    """``log(cumsum(exp(input), dim))``, computed stably.

    >>> import tensorplug as tp
    >>> tp.logcumsumexp(tp.tensor([0.0, 0.0]), 0).tolist()[1] == tp.tensor(2.0).log().item()
    True
    """
    if not isinstance(input, Tensor):
        raise TypeError(
            f"logcumsumexp(): argument 'input' must be Tensor, not {type(input).__name__}"
        )
    if input.dtype is D.bool_:
        input = input.to(D.get_default_dtype())
    axis = _dim(dim, max(input.ndim, 1), "logcumsumexp")
    return unary(LogcumsumexpBackward0, input, axis if input.ndim else 0)
