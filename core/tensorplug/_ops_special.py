"""Trigonometric, hyperbolic, logarithmic and special functions: ``erf``, ``erfc``,
``erfinv``, ``lgamma``, ``digamma``, ``exp2``, ``log2``, ``log10``, ``tan``, ``asin`` ...
``atanh``, ``sinc``, ``logit``, ``xlogy``, ``atan2``, ``hypot``.

Each class: PyTorch's node name, forward (one optional kernel, ``_contract_pointwise``, or a
composition of primitives), backward in ``ops``. ``g`` is the incoming gradient. Integer
inputs are computed in the default float dtype (``float_only``), as in PyTorch.
"""

from __future__ import annotations

import math
from typing import Any

from ._backend import UnsupportedOperation
from ._contract import Array, KernelOps
from ._dispatch import as_operand, binary, unary
from ._elementwise import binary_op, require, tensor_arg, unary_op
from ._graph import OUT, Node
from ._inplace import inplace
from ._tensor import Tensor

_NAN = math.nan
_TWO_BY_SQRT_PI = 2.0 / math.sqrt(math.pi)

# fmt: off


class _Float(Node):
    """A one-input floating op whose kernel has the op's name."""
    elementwise = True
    float_only = True


class ErfBackward0(_Float):
    """``erf(x)``: grad = g * 2 / sqrt(pi) * exp(-x**2)."""
    op = kernel = "erf"
    save = (0,)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        return (ops.mul(g, ops.mul(ops.exp(ops.neg(ops.mul(x, x))), _TWO_BY_SQRT_PI)),)


class ErfcBackward0(_Float):
    """``erfc(x) = 1 - erf(x)``: grad = -g * 2 / sqrt(pi) * exp(-x**2)."""
    op = kernel = "erfc"
    save = (0,)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        return (ops.mul(g, ops.mul(ops.exp(ops.neg(ops.mul(x, x))), -_TWO_BY_SQRT_PI)),)


class ErfinvBackward0(_Float):
    """``erfinv(x)``: grad = g * sqrt(pi) / 2 * exp(out**2)."""
    op = kernel = "erfinv"
    save = (OUT,)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, out: Array) -> tuple[Array]:
        return (ops.mul(g, ops.div(ops.exp(ops.mul(out, out)), _TWO_BY_SQRT_PI)),)


class LgammaBackward0(_Float):
    """``log |Gamma(x)|``: grad = g * digamma(x)."""
    op = kernel = "lgamma"
    save, needs = (0,), ("digamma",)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        return (ops.mul(g, ops.digamma(x)),)


class DigammaBackward0(_Float):
    """``digamma(x) = d/dx lgamma(x)``: grad = g * trigamma(x) (``polygamma(1, x)``)."""
    op = kernel = "digamma"
    save, needs = (0,), ("trigamma",)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        return (ops.mul(g, ops.trigamma(x)),)


class PolygammaBackward0(_Float):
    """``polygamma(n, x)``, digamma's ``n``-th derivative: grad = g * polygamma(n + 1, x).
    ``n`` = 0 and 1 run the ``digamma`` and ``trigamma`` kernels, the rest ``polygamma``."""
    op, save = "polygamma", (0,)

    @staticmethod
    def forward(k: Any, x: Array, n: int) -> Array:
        return k.digamma(x) if n == 0 else k.trigamma(x) if n == 1 else k.polygamma(n, x)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        return (ops.mul(g, ops.polygamma(ctx.args[0] + 1, x)),)


class PolygammaBackward1(PolygammaBackward0):
    """``x.polygamma_(n)``: as ``polygamma``'s (PyTorch names the in-place node apart)."""


class Exp2Backward0(_Float):
    """``2 ** x``: grad = g * out * log(2)."""
    op, save = "exp2", (OUT,)
    forward = staticmethod(lambda k, x: k.pow(2.0, x))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, out: Array) -> tuple[Array]:
        return (ops.mul(g, ops.mul(out, math.log(2.0))),)


class Log2Backward0(_Float):
    """``log2(x)``: grad = g / (x * log(2)); ``Log10Backward0`` with its ``base``."""
    op = kernel = "log2"
    save, base = (0,), 2.0

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        return (ops.div(g, ops.mul(x, math.log(type(ctx).base))),)  # type: ignore[attr-defined]


class Log10Backward0(Log2Backward0):
    """``log10(x)``: grad = g / (x * log(10))."""
    op = kernel = "log10"
    base = 10.0


class TanBackward0(_Float):
    """``tan(x)``: grad = g * (1 + out**2)."""
    op = kernel = "tan"
    save = (OUT,)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, out: Array) -> tuple[Array]:
        return (ops.mul(g, ops.add(ops.mul(out, out), 1.0)),)


class SinhBackward0(_Float):
    """``sinh(x)``: grad = g * cosh(x), cosh as ``(exp(x) + exp(-x)) / 2``."""
    op = kernel = "sinh"
    save = (0,)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        return (ops.mul(g, ops.mul(ops.add(ops.exp(x), ops.exp(ops.neg(x))), 0.5)),)


class CoshBackward0(_Float):
    """``cosh(x)``: grad = g * sinh(x), sinh as ``(exp(x) - exp(-x)) / 2``."""
    op = kernel = "cosh"
    save = (0,)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        return (ops.mul(g, ops.mul(ops.sub(ops.exp(x), ops.exp(ops.neg(x))), 0.5)),)


class AsinBackward0(_Float):
    """``asin(x)``: grad = g / sqrt(1 - x**2)."""
    op = kernel = "asin"
    save = (0,)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        return (ops.div(g, ops.sqrt(ops.sub(1.0, ops.mul(x, x)))),)


class AcosBackward0(_Float):
    """``acos(x)``: grad = -g / sqrt(1 - x**2)."""
    op = kernel = "acos"
    save = (0,)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        return (ops.neg(ops.div(g, ops.sqrt(ops.sub(1.0, ops.mul(x, x))))),)


class AtanBackward0(_Float):
    """``atan(x)``: grad = g / (1 + x**2)."""
    op = kernel = "atan"
    save = (0,)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        return (ops.div(g, ops.add(ops.mul(x, x), 1.0)),)


class AsinhBackward0(_Float):
    """``asinh(x)``: grad = g / sqrt(x**2 + 1)."""
    op = kernel = "asinh"
    save = (0,)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        return (ops.div(g, ops.sqrt(ops.add(ops.mul(x, x), 1.0))),)


class AcoshBackward0(_Float):
    """``acosh(x)``: grad = g / sqrt(x**2 - 1)."""
    op = kernel = "acosh"
    save = (0,)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        return (ops.div(g, ops.sqrt(ops.sub(ops.mul(x, x), 1.0))),)


class AtanhBackward0(_Float):
    """``atanh(x)``: grad = g / (1 - x**2)."""
    op = kernel = "atanh"
    save = (0,)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        return (ops.div(g, ops.sub(1.0, ops.mul(x, x))),)


def _no_inplace_derivative(op: str) -> Any:
    raise NotImplementedError(f"the derivative for 'inplace version of {op}' is not implemented.")


class AsinhBackward1(AsinhBackward0):
    """``asinh_``, in place: PyTorch's node for it, which has no derivative (it raises)."""
    backward = staticmethod(lambda ctx, ops, g, x: _no_inplace_derivative("asinh"))


class AcoshBackward1(AcoshBackward0):
    """``acosh_``, in place: PyTorch's node for it, which has no derivative (it raises)."""
    backward = staticmethod(lambda ctx, ops, g, x: _no_inplace_derivative("acosh"))


class AtanhBackward1(AtanhBackward0):
    """``atanh_``, in place: PyTorch's node for it, which has no derivative (it raises)."""
    backward = staticmethod(lambda ctx, ops, g, x: _no_inplace_derivative("atanh"))


class SincBackward0(_Float):
    """``sin(pi x) / (pi x)``, 1 at 0: grad = g * (cos(pi x) - out) / x, 0 at x = 0."""
    op, save = "sinc", (0, OUT)

    @staticmethod
    def forward(k: Any, x: Any) -> Any:
        px = k.mul(x, math.pi)
        zero = k.eq(x, 0)
        return k.where(zero, 1.0, k.div(k.sin(px), k.where(zero, 1.0, px)))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array, out: Array) -> tuple[Array]:
        zero = ops.eq(x, 0)
        d = ops.div(ops.sub(ops.cos(ops.mul(x, math.pi)), out), ops.where(zero, 1.0, x))
        return (ops.where(zero, 0.0, ops.mul(g, d)),)


class LogitBackward0(_Float):
    """``log(z / (1 - z))``, z = x clamped to ``[eps, 1 - eps]`` when ``eps`` is given:
    grad = g / (x (1 - x)); 0 outside ``[eps, 1 - eps]`` (NaN outside ``[0, 1]`` without eps)."""
    op, save = "logit", (0,)

    @staticmethod
    def forward(k: Any, x: Any, eps: float | None) -> Any:
        z = x if eps is None else k.clamp(x, eps, 1.0 - eps)
        return k.log(k.div(z, k.sub(1.0, z)))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        eps = ctx.args[0]
        grad = ops.div(g, ops.mul(x, ops.sub(1.0, x)))
        lo, hi, fill = (0.0, 1.0, _NAN) if eps is None else (eps, 1.0 - eps, 0.0)
        return (ops.where(ops.lt(x, lo), fill, ops.where(ops.gt(x, hi), fill, grad)),)


def _xlogy_a(ops: KernelOps, g: Array, a: Array, log_b: Array | float, b_le_0: Any) -> Array:
    """xlogy's gradient for ``a``: ``g * log(b)``, 0 where g is 0 or where a == 0 and b <= 0."""
    ga = ops.where(ops.eq(g, 0), 0.0, ops.mul(g, log_b))
    return ops.where(ops.eq(a, 0), ops.where(b_le_0, 0.0, ga), ga)


class XlogyBackward0(Node):
    """``a * log(b)``, 0 where a == 0 (unless b is NaN): grad a = g * log(b) (0 where a == 0
    and b <= 0), grad b = g * a / b."""
    elementwise = True
    op, broadcasts, float_only, save = "xlogy", True, True, (0, 1)

    @staticmethod
    def forward(k: Any, a: Any, b: Any) -> Any:
        return k.where(k.ne(b, b), _NAN, k.where(k.eq(a, 0), 0.0, k.mul(a, k.log(b))))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, a: Array, b: Array) -> tuple[Array, Array]:
        na, nb = ctx.needs_input_grad
        ga = gb = None
        if na:
            ga = ops.sum_to(_xlogy_a(ops, g, a, ops.log(b), ops.le(b, 0)), ctx.shapes[0])
        if nb:
            gb = ops.sum_to(ops.div(ops.mul(g, a), b), ctx.shapes[1])
        return ga, gb


class XlogyBackward2(XlogyBackward0):
    """``xlogy(a, s)`` for a number ``s``: grad a = g * log(s) (0 where a == 0, s <= 0)."""

    @staticmethod
    def forward(k: Any, a: Any, s: float) -> Any:
        # log(s) as a Python number: a 0-d array of it would promote float32 to float64
        if s != s:
            return k.add(k.mul(a, 0.0), _NAN)
        log_s = math.log(s) if s > 0 else (-math.inf if s == 0 else _NAN)
        return k.where(k.eq(a, 0), 0.0, k.mul(a, log_s))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, a: Array, s: Any) -> tuple[Array, None]:
        log_s = math.log(s) if s > 0 else (-math.inf if s == 0 else _NAN)
        return (_xlogy_a(ops, g, a, log_s, ops.eq(a, a) if s <= 0 else ops.ne(a, a)), None)


class XlogyBackward1(XlogyBackward0):
    """``xlogy(s, b)`` for a number ``s`` (a constant here): grad b = g * s / b."""


class Atan2Backward0(Node):
    """``atan2(a, b)``: grad a = g * b / (a**2 + b**2), grad b = -g * a / (a**2 + b**2)."""
    elementwise = True
    op, broadcasts, float_only, save = "atan2", True, True, (0, 1)
    kernel = "atan2"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, a: Array, b: Array) -> tuple[Array, Array]:
        na, nb = ctx.needs_input_grad
        r = ops.div(g, ops.add(ops.mul(a, a), ops.mul(b, b)))
        return (ops.sum_to(ops.mul(r, b), ctx.shapes[0]) if na else None,
                ops.sum_to(ops.neg(ops.mul(r, a)), ctx.shapes[1]) if nb else None)


class HypotBackward0(Node):
    """``sqrt(a**2 + b**2)``: grad a = g * a / out, grad b = g * b / out."""
    elementwise = True
    op, broadcasts, float_only, save = "hypot", True, True, (0, 1, OUT)
    kernel = "hypot"

    @staticmethod
    def backward(
        ctx: Node, ops: KernelOps, g: Array, a: Array, b: Array, out: Array
    ) -> tuple[Array, Array]:
        na, nb = ctx.needs_input_grad
        r = ops.div(g, out)
        return (ops.sum_to(ops.mul(r, a), ctx.shapes[0]) if na else None,
                ops.sum_to(ops.mul(r, b), ctx.shapes[1]) if nb else None)
# fmt: on

# -- public functions -----------------------------------------------------------------------

erf = unary_op(ErfBackward0, "The error function ``2/sqrt(pi) * integral of exp(-t**2)``.")
erfc = unary_op(ErfcBackward0, "``1 - erf(input)``, accurate where it is small.")
erfinv = unary_op(ErfinvBackward0, "The inverse error function (±inf at ±1).")
lgamma = unary_op(LgammaBackward0, "``log |Gamma(input)|``.")
digamma = unary_op(DigammaBackward0, "``d/dx lgamma(x)`` (-inf at 0, NaN at -1, -2, ...).")


def polygamma(n: int, input: Tensor) -> Tensor:
    """The ``n``-th derivative of ``digamma`` (``n >= 0``; a pole at 0, -1, -2, ...).

    >>> import tensorplug as tp
    >>> round(tp.polygamma(2, tp.tensor([1.0], dtype=tp.float64)).item(), 6)  # -2 zeta(3)
    -2.404114
    """
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(
            f"polygamma(): argument 'n' (position 1) must be int, not {type(n).__name__}"
        )
    tensor_arg(PolygammaBackward0, input)
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    kernel = ("digamma", "trigamma")[n] if n < 2 else "polygamma"
    if not input._backend.has_kernel(kernel):
        raise UnsupportedOperation(
            f"polygamma: backend '{input._backend.name}' has no {kernel} kernel (an optional "
            "kernel: docs/backend-guide.md)"
        )
    return unary(PolygammaBackward0, input, n)


def trigamma(input: Tensor) -> Tensor:
    """``polygamma(1, input)``: digamma's derivative."""
    return polygamma(1, input)


def polygamma_(self: Tensor, n: int) -> Tensor:
    """In place: ``self = polygamma(n, self)``."""
    polygamma(n, self)  # the checks
    return inplace(PolygammaBackward1, self, args=(n,))


exp2 = unary_op(Exp2Backward0, "``2 ** input``.")
log2 = unary_op(Log2Backward0, "Base-2 logarithm.")
log10 = unary_op(Log10Backward0, "Base-10 logarithm.")
tan = unary_op(TanBackward0, "Tangent.")
sinh = unary_op(SinhBackward0, "Hyperbolic sine.")
cosh = unary_op(CoshBackward0, "Hyperbolic cosine.")
asin = unary_op(AsinBackward0, "Inverse sine.")
acos = unary_op(AcosBackward0, "Inverse cosine.")
atan = unary_op(AtanBackward0, "Inverse tangent.")
asinh = unary_op(AsinhBackward0, "Inverse hyperbolic sine.")
acosh = unary_op(AcoshBackward0, "Inverse hyperbolic cosine.")
atanh = unary_op(AtanhBackward0, "Inverse hyperbolic tangent.")
arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh
sinc = unary_op(SincBackward0, "Normalized sinc, ``sin(pi x) / (pi x)``, 1 at 0.")


def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """``log(p / (1 - p))``; ``eps`` clamps ``input`` to ``[eps, 1 - eps]`` first.

    Example:
        >>> import tensorplug as tp
        >>> tp.logit(tp.tensor([0.5, 0.0]), eps=1e-6).tolist()[0]
        0.0
    """
    x = tensor_arg(LogitBackward0, input)
    return unary(LogitBackward0, x, None if eps is None else float(eps))


def xlogy(input: Any, other: Any) -> Tensor:
    """``input * log(other)``, 0 where ``input`` is 0 (unless ``other`` is NaN)."""
    if isinstance(other, Tensor):
        return binary(XlogyBackward0 if isinstance(input, Tensor) else XlogyBackward1, input, other)
    x = tensor_arg(XlogyBackward0, input)
    if isinstance(other, (bool, int, float)):
        return binary(XlogyBackward2, x, float(other))
    return binary(XlogyBackward0, x, as_operand(other, x, XlogyBackward0))


atan2 = binary_op(
    Atan2Backward0, "The angle of the point ``(other, input)``, by quadrant.", tensors=True
)
arctan2 = atan2
hypot = binary_op(HypotBackward0, "``sqrt(input**2 + other**2)`` without overflow.", tensors=True)


def logit_(self: Tensor, eps: float | None = None) -> Tensor:
    from ._inplace import inplace

    require(LogitBackward0, self)
    return inplace(LogitBackward0, self, args=(None if eps is None else float(eps),))
