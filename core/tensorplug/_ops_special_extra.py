"""The functions of ``torch.special`` that are not ``torch`` functions under another name:
``entr``, ``xlog1py``, ``ndtr``, ``ndtri``, ``log_ndtr`` and ``multigammaln``
(``torch.mvlgamma``). Their forwards compose the special-function kernels (``erfc``,
``erfinv``, ``lgamma``: optional, ``_contract_pointwise``); ``tensorplug.special`` gathers
them with the rest.
"""

from __future__ import annotations

import math
from typing import Any

from ._contract import Array, KernelOps
from ._dispatch import as_operand, binary, unary
from ._elementwise import require, tensor_arg
from ._graph import OUT, Node
from ._tensor import Tensor

_SQRT2 = math.sqrt(2.0)
_SQRT2PI = math.sqrt(2.0 * math.pi)
_LOG_SQRT2PI = 0.5 * math.log(2.0 * math.pi)


# fmt: off
class SpecialEntrBackward0(Node):
    """``-x log x`` (0 at 0, -inf below): grad = -g (1 + log x)."""
    elementwise, float_only = True, True
    op, save = "special_entr", (0,)

    @staticmethod
    def forward(k: Any, x: Array) -> Array:
        inner = k.where(k.gt(x, 0), k.mul(k.neg(x), k.log(k.where(k.gt(x, 0), x, 1.0))), 0.0)
        return k.where(k.lt(x, 0), -math.inf, k.where(k.ne(x, x), x, inner))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        return (ops.mul(g, ops.neg(ops.add(ops.log(x), 1.0))),)


class SpecialXlog1PyBackward0(Node):
    """``a * log1p(b)``, 0 where a == 0 (unless b is NaN): grad a = g * log1p(b) (even where
    a == 0, as PyTorch's), grad b = g * a / (1 + b)."""
    elementwise = True
    op, broadcasts, float_only, save = "special_xlog1py", True, True, (0, 1)

    @staticmethod
    def forward(k: Any, a: Any, b: Any) -> Any:
        return k.where(k.ne(b, b), math.nan, k.where(k.eq(a, 0), 0.0, k.mul(a, k.log1p(b))))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, a: Array, b: Array) -> tuple[Array, Array]:
        na, nb = ctx.needs_input_grad
        ga = gb = None
        if na:
            ga = ops.sum_to(ops.mul(g, ops.log(ops.add(b, 1.0))), ctx.shapes[0])
        if nb:
            gb = ops.sum_to(ops.div(ops.mul(g, a), ops.add(b, 1.0)), ctx.shapes[1])
        return ga, gb


class SpecialXlog1PyBackward2(SpecialXlog1PyBackward0):
    """``xlog1py(a, s)`` for a number ``s``: grad a = g * log1p(s)."""


class SpecialXlog1PyBackward1(SpecialXlog1PyBackward0):
    """``xlog1py(s, b)`` for a number ``s``: grad b = g * s / (1 + b)."""


class SpecialNdtriBackward0(Node):
    """``ndtri(p)``, the standard normal quantile: in the lower half (``q = min(p, 1 - p)``,
    exact), Abramowitz and Stegun's 26.2.23 guess (error < 5e-4) refined by three Newton
    steps on ``ndtr`` (through ``erfc``), on its log below 0.01 (tiny ``q`` keep their
    digits):
    grad = g * sqrt(2 pi) * exp(out**2 / 2)."""
    elementwise, float_only = True, True
    op, save = "special_ndtri", (OUT,)
    needs = ("erfc",)

    @staticmethod
    def forward(k: Any, p: Array) -> Array:
        upper = k.gt(p, 0.5)
        q = k.where(upper, k.sub(1.0, p), p)
        inside = k.gt(q, 0.0)  # else the pole, or NaN outside [0, 1]
        qs = k.where(inside, q, 0.5)
        t = k.sqrt(k.mul(k.log(qs), -2.0))
        num = k.add(2.515517, k.mul(t, k.add(0.802853, k.mul(t, 0.010328))))
        den = k.add(1.0, k.mul(t, k.add(1.432788, k.mul(t, k.add(0.189269, k.mul(t, 0.001308))))))
        x = k.sub(k.div(num, den), t)
        log_q, mid = k.log(qs), k.gt(qs, 0.01)  # in the middle, steps on ndtr itself
        for _ in range(3):
            nd = k.mul(k.erfc(k.div(x, -_SQRT2)), 0.5)
            lnd = k.log(nd)
            miss = k.where(mid, k.sub(nd, qs), k.mul(k.sub(lnd, log_q), nd))
            step = k.mul(miss, k.exp(k.mul(k.mul(x, x), 0.5)))
            # erfc underflows below q ~ 1e-308: a subnormal q keeps the guess (5e-4 off)
            x = k.sub(x, k.where(k.isfinite(step), k.mul(step, _SQRT2PI), 0.0))
        x = k.where(inside, x, k.where(k.eq(q, 0.0), -math.inf, k.mul(x, math.nan)))
        return k.where(upper, k.neg(x), x)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, out: Array) -> tuple[Array]:
        return (ops.mul(g, ops.mul(ops.exp(ops.mul(ops.mul(out, out), 0.5)), _SQRT2PI)),)


class SpecialLogNdtrBackward0(Node):
    """``log(ndtr(x))``: ``log(erfc(-x/sqrt 2) / 2)``, ``log1p(-ndtr(-x))`` above 0 and the
    asymptotic series below -30 (where erfc underflows). grad = g * phi(x) / ndtr(x) =
    g * exp(-x**2/2 - out) / sqrt(2 pi)."""
    elementwise, float_only = True, True
    op, save = "special_log_ndtr", (0, OUT)
    needs = ("erfc",)

    @staticmethod
    def forward(k: Any, x: Array) -> Array:
        low = k.log(k.mul(k.erfc(k.div(k.neg(x), _SQRT2)), 0.5))
        high = k.log1p(k.mul(k.erfc(k.div(x, _SQRT2)), -0.5))
        far = k.where(k.lt(x, -30.0), x, -30.0)  # the series only where it is used
        w = k.div(1.0, k.mul(far, far))
        series = k.add(1.0, k.mul(w, k.add(-1.0, k.mul(w, k.add(3.0, k.mul(w, k.add(
            -15.0, k.mul(w, 105.0))))))))
        tail = k.sub(k.sub(k.mul(k.mul(far, far), -0.5), k.log(k.neg(far))), _LOG_SQRT2PI)
        tail = k.add(tail, k.log(series))
        return k.where(k.lt(x, -30.0), tail, k.where(k.gt(x, 0), high, low))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array, out: Array) -> tuple[Array]:
        e = ops.exp(ops.sub(ops.mul(ops.mul(x, x), -0.5), out))
        return (ops.mul(g, ops.div(e, _SQRT2PI)),)


class MvlgammaBackward0(Node):
    """``multigammaln(x, p) = p(p-1)/4 log(pi) + sum_{j<p} lgamma(x - j/2)``:
    grad = g * sum_{j<p} digamma(x - j/2)."""
    elementwise, float_only = True, True
    op, save = "mvlgamma", (0,)
    needs = ("lgamma", "digamma")

    @staticmethod
    def forward(k: Any, x: Array, p: int) -> Array:
        out = k.lgamma(x)
        for j in range(1, p):
            out = k.add(out, k.lgamma(k.sub(x, j / 2)))
        return k.add(out, p * (p - 1) / 4 * math.log(math.pi))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        s = ops.digamma(x)
        for j in range(1, ctx.args[0]):
            s = ops.add(s, ops.digamma(ops.sub(x, j / 2)))
        return (ops.mul(g, s),)
# fmt: on


def _unary(cls: type[Node], input: Any, *args: Any) -> Tensor:
    x = tensor_arg(cls, input)
    require(cls, x)
    return unary(cls, x, *args)


def entr(input: Tensor) -> Tensor:
    """``-input * log(input)`` elementwise (0 at 0, -inf below 0): the entropy's terms."""
    return _unary(SpecialEntrBackward0, input)


def ndtri(input: Tensor) -> Tensor:
    """The standard normal quantile: ``x`` with ``ndtr(x) = input``."""
    return _unary(SpecialNdtriBackward0, input)


def log_ndtr(input: Tensor) -> Tensor:
    """``log(ndtr(input))``, accurate far into both tails."""
    return _unary(SpecialLogNdtrBackward0, input)


def ndtr(input: Tensor) -> Tensor:
    """The standard normal CDF ``(1 + erf(input / sqrt 2)) / 2`` (composed, as PyTorch's).

    >>> import tensorplug as tp
    >>> tp.special.ndtr(tp.tensor([0.0])).tolist()
    [0.5]
    """
    from ._ops_special import erfc

    x = tensor_arg(SpecialEntrBackward0, input)
    if not x.dtype.is_floating_point:
        x = x.float()
    return erfc(x * (-1.0 / _SQRT2)) * 0.5


def multigammaln(input: Tensor, p: int) -> Tensor:
    """The log of the multivariate gamma function of dimension ``p``."""
    if not isinstance(p, int) or isinstance(p, bool):
        raise TypeError(f"multigammaln(): argument 'p' must be int, not {type(p).__name__}")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    return _unary(MvlgammaBackward0, input, p)


def xlog1py(input: Any, other: Any) -> Tensor:
    """``input * log1p(other)``, 0 where ``input`` is 0 (unless ``other`` is NaN)."""
    if isinstance(other, Tensor):
        if isinstance(input, Tensor):
            return binary(SpecialXlog1PyBackward0, input, other)
        s = as_operand(input, other, SpecialXlog1PyBackward1)
        return binary(SpecialXlog1PyBackward1, s, other)
    x = tensor_arg(SpecialXlog1PyBackward0, input)
    return binary(SpecialXlog1PyBackward2, x, as_operand(other, x, SpecialXlog1PyBackward2))
