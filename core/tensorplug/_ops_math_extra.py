"""More elementwise math (issue 16): ``logaddexp``, ``logaddexp2``, ``float_power``,
``fmax``, ``fmin``, ``ldexp``, ``frexp``, ``deg2rad``, ``rad2deg``, and the integer and
step functions without a gradient: ``gcd``, ``lcm``, ``heaviside``.

Every forward composes primitive kernels; the differentiable ones are one node each, named
as PyTorch's, with their backward beside them.
"""

# Composed of tensorplug's public ops and of Tensor methods bound at import (_methods),
# which the checker sees as Any:
# mypy: disable-error-code="no-any-return, attr-defined, arg-type"

from __future__ import annotations

import math
from typing import Any

from . import _dtype as D
from . import return_types as R
from ._contract import Array, KernelOps
from ._dispatch import binary, promote, unary
from ._elementwise import binary_op, tensor_arg, unary_op
from ._graph import OUT, Node
from ._ops_pointwise import pow as _pow
from ._tensor import Tensor

_LN2 = math.log(2.0)


# fmt: off
class LogaddexpBackward0(Node):
    """``log(exp(a) + exp(b))``, as ``max + log1p(exp(-|a - b|))``:
    grad a = g / (1 + exp(b - a)), grad b = g / (1 + exp(a - b))."""
    elementwise = True
    op, broadcasts, float_only, save = "logaddexp", True, True, (0, 1)
    base = math.e

    @staticmethod
    def forward(k: Any, a: Array, b: Array) -> Array:
        return _log_add(k, a, b, 1.0)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, a: Array, b: Array) -> tuple[Array, Array]:
        return _log_add_grads(ctx, ops, g, a, b, 1.0)


class Logaddexp2Backward0(Node):
    """``log2(2**a + 2**b)``: grad a = g / (1 + 2**(b - a)), grad b = g / (1 + 2**(a - b))."""
    elementwise = True
    op, broadcasts, float_only, save = "logaddexp2", True, True, (0, 1)

    @staticmethod
    def forward(k: Any, a: Array, b: Array) -> Array:
        return _log_add(k, a, b, _LN2)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, a: Array, b: Array) -> tuple[Array, Array]:
        return _log_add_grads(ctx, ops, g, a, b, _LN2)


def _log_add(k: Any, a: Array, b: Array, ln_base: float) -> Array:
    """``log_base(base**a + base**b)``; ``a == b`` apart, where infinities make ``a - b`` NaN."""
    d = k.mul(k.abs(k.sub(a, b)), -ln_base)
    out = k.add(k.maximum(a, b), k.div(k.log1p(k.exp(d)), ln_base))
    return k.where(k.eq(a, b), k.add(a, _LN2 / ln_base), out)


def _log_add_grads(ctx: Node, ops: KernelOps, g: Array, a: Array, b: Array,
                   ln_base: float) -> tuple[Array, Array]:  # fmt: skip
    na, nb = ctx.needs_input_grad
    ga = gb = None
    if na:
        ga = ops.div(g, ops.add(ops.exp(ops.mul(ops.sub(b, a), ln_base)), 1.0))
        ga = ops.sum_to(ga, ctx.shapes[0])
    if nb:
        gb = ops.div(g, ops.add(ops.exp(ops.mul(ops.sub(a, b), ln_base)), 1.0))
        gb = ops.sum_to(gb, ctx.shapes[1])
    return ga, gb


class FmaxBackward0(Node):
    """The larger of ``a`` and ``b``, the other where one is NaN: grad a = g where
    ``a >= b`` or ``b`` is NaN, grad b = g elsewhere."""
    elementwise = True
    op, broadcasts, save = "fmax", True, (0, 1)
    larger = True

    @staticmethod
    def forward(k: Any, a: Array, b: Array) -> Array:
        return k.where(k.ne(b, b), a, k.where(k.ne(a, a), b, k.maximum(a, b)))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, a: Array, b: Array) -> tuple[Array, Array]:
        first = ops.ge(a, b) if type(ctx).larger else ops.le(a, b)
        keep = ops.where(ops.ne(b, b), True, first)
        na, nb = ctx.needs_input_grad
        return (ops.sum_to(ops.where(keep, g, 0.0), ctx.shapes[0]) if na else None,
                ops.sum_to(ops.where(keep, 0.0, g), ctx.shapes[1]) if nb else None)


class FminBackward0(FmaxBackward0):
    """The smaller of ``a`` and ``b``, the other where one is NaN: grad a = g where
    ``a <= b`` or ``b`` is NaN, grad b = g elsewhere."""
    op, larger = "fmin", False

    @staticmethod
    def forward(k: Any, a: Array, b: Array) -> Array:
        return k.where(k.ne(b, b), a, k.where(k.ne(a, a), b, k.minimum(a, b)))


class LdexpBackward0(Node):
    """``a * 2**e``: grad a = g * 2**e, grad e = g * out * log(2)."""
    elementwise = True
    op, broadcasts, float_only, save = "ldexp", True, True, (1, OUT)

    @staticmethod
    def forward(k: Any, a: Array, e: Array) -> Array:
        return k.mul(a, k.pow(2.0, e))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, e: Array, out: Array) -> tuple[Array, Array]:
        na, ne = ctx.needs_input_grad
        return (ops.sum_to(ops.mul(g, ops.pow(2.0, e)), ctx.shapes[0]) if na else None,
                ops.sum_to(ops.mul(ops.mul(g, out), _LN2), ctx.shapes[1]) if ne else None)


class FrexpBackward0(Node):
    """The mantissa ``m = x / 2**e`` (``0.5 <= |m| < 1``): grad = g / 2**e, that is
    ``g * m / x`` (``g`` where ``x`` is 0 or not finite, ``e`` being 0 there)."""
    elementwise = True
    op, save = "frexp", (0, OUT)

    @staticmethod
    def forward(k: Any, x: Array) -> Array:
        return _frexp(k, x)[0]

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array, m: Array) -> tuple[Array]:
        plain = _zero_or_nonfinite(ops, x)
        return (ops.where(plain, g, ops.div(ops.mul(g, m), ops.where(plain, 1.0, x))),)


class NextafterBackward0(Node):
    """The next float after ``a`` towards ``b``: grad a = g, grad b = 0 (as PyTorch)."""
    elementwise = True
    op, broadcasts, float_only = "nextafter", True, True

    @staticmethod
    def forward(k: Any, a: Array, b: Array) -> Array:
        return _nextafter(k, a, b)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array, Array]:
        na, nb = ctx.needs_input_grad
        return (ops.sum_to(g, ctx.shapes[0]) if na else None,
                ops.sum_to(ops.mul(g, 0.0), ctx.shapes[1]) if nb else None)


class Deg2RadBackward0(Node):
    """``x * pi / 180``: grad = g * pi / 180 (``Rad2DegBackward0``: its ``scale``)."""
    elementwise, float_only = True, True
    op, scale = "deg2rad", math.pi / 180.0

    @staticmethod
    def forward(k: Any, x: Array) -> Array:
        return k.mul(x, math.pi / 180.0)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        return (ops.mul(g, type(ctx).scale),)


class Rad2DegBackward0(Deg2RadBackward0):
    """``x * 180 / pi``: grad = g * 180 / pi."""
    op, scale = "rad2deg", 180.0 / math.pi

    @staticmethod
    def forward(k: Any, x: Array) -> Array:
        return k.mul(x, 180.0 / math.pi)
# fmt: on


def _zero_or_nonfinite(k: Any, x: Array) -> Array:
    """Where ``frexp`` keeps ``x`` with exponent 0 (``x - x`` is NaN just off the finite)."""
    return k.where(k.eq(k.sub(x, x), 0), k.eq(x, 0), True)


def _frexp(k: Any, x: Array) -> tuple[Array, Array]:
    """``(mantissa, exponent)``: ``e = floor(log2 |x|) + 1`` corrected by one where rounding
    missed, and ``x * 2**-e`` in two halves (a subnormal's ``2**-e`` overflows)."""
    plain = _zero_or_nonfinite(k, x)
    ax = k.where(plain, 1.0, k.abs(x))
    e = k.add(k.floor(k.log2(ax)), 1.0)
    for _ in range(2):
        h = k.floor(k.mul(e, -0.5))
        m = k.mul(k.mul(ax, k.pow(2.0, h)), k.pow(2.0, k.sub(k.neg(e), h)))
        e = k.where(k.ge(m, 1.0), k.add(e, 1.0), k.where(k.lt(m, 0.5), k.sub(e, 1.0), e))
    h = k.floor(k.mul(e, -0.5))
    m = k.mul(k.mul(x, k.pow(2.0, h)), k.pow(2.0, k.sub(k.neg(e), h)))
    return k.where(plain, x, m), k.astype(k.where(plain, 0.0, e), D.int32)


def _nextafter(k: Any, a: Array, b: Array) -> Array:
    """``a`` moved by one unit in the last place towards ``b``: the unit from ``frexp``'s
    exponent (halved when stepping down from a power of two), never below the smallest
    subnormal; ``a == b`` gives ``b``, a NaN gives NaN."""
    d = k.dtype_of(a)
    digits, tiny = {D.float64: (53, 2.0**-1074), D.float16: (11, 2.0**-24)}.get(d, (24, 2.0**-149))
    largest = D.finfo(d).max
    m, e = _frexp(k, a)
    e = k.astype(e, d)
    ulp = k.maximum(k.pow(2.0, k.sub(e, float(digits))), tiny)
    up = k.gt(b, a)
    away = k.where(k.gt(a, 0.0), up, k.where(k.lt(a, 0.0), k.eq(up, False), True))
    power_of_two = k.eq(k.abs(m), 0.5)
    ulp = k.where(k.where(away, False, power_of_two), k.maximum(k.mul(ulp, 0.5), tiny), ulp)
    step = k.where(up, ulp, k.neg(ulp))
    out = k.where(k.eq(a, 0.0), k.where(up, tiny, -tiny), k.add(a, step))
    out = k.where(k.eq(k.abs(a), math.inf), k.where(k.gt(a, 0.0), largest, -largest), out)
    out = k.where(k.eq(a, b), b, out)
    out = k.where(k.ne(a, a), a, k.where(k.ne(b, b), b, out))
    return k.astype(out, d)  # the choices between two numbers above are float64


logaddexp = binary_op(LogaddexpBackward0, "``log(exp(input) + exp(other))``, without overflow.",
                      tensors=True)  # fmt: skip
logaddexp2 = binary_op(Logaddexp2Backward0, "``log2(2**input + 2**other)``.", tensors=True)
fmax = binary_op(FmaxBackward0, "The larger of the two, ignoring a NaN (NaN if both are).",
                 tensors=True)  # fmt: skip
fmin = binary_op(FminBackward0, "The smaller of the two, ignoring a NaN (NaN if both are).",
                 tensors=True)  # fmt: skip
deg2rad = unary_op(Deg2RadBackward0, "Degrees to radians.")
nextafter = binary_op(NextafterBackward0, "The next float after ``input`` towards ``other``.",
                      tensors=True)  # fmt: skip
rad2deg = unary_op(Rad2DegBackward0, "Radians to degrees.")


def _floats_only(op: str, *tensors: Tensor) -> None:
    for t in tensors:
        if not t.dtype.is_floating_point:
            name = "Bool" if t.dtype is D.bool_ else t.dtype.name.capitalize()
            raise NotImplementedError(f"\"{op}_cpu\" not implemented for '{_torch_name(name)}'")


def _torch_name(name: str) -> str:
    return {"Int64": "Long", "Int32": "Int", "Float32": "Float", "Float64": "Double"}.get(
        name, name
    )


def _log_add_op(fn: Any, op: str) -> Any:
    def checked(input: Tensor, other: Tensor) -> Tensor:
        out: Tensor = fn(input, other)  # the type checks first, then PyTorch's dtype refusal
        _floats_only(op, input, other)
        return out

    checked.__name__ = checked.__qualname__ = op
    checked.__doc__ = fn.__doc__
    return checked


logaddexp = _log_add_op(logaddexp, "logaddexp")
logaddexp2 = _log_add_op(logaddexp2, "logaddexp2")


def float_power(input: Any, exponent: Any) -> Tensor:
    """``input ** exponent`` computed in float64 (the result is float64 whatever the inputs).

    >>> import tensorplug as tp
    >>> tp.float_power(tp.tensor([2]), 3).dtype
    tensorplug.float64
    """
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        raise TypeError("float_power(): expected a Tensor argument")
    a = input.to(D.float64) if isinstance(input, Tensor) else float(input)
    b = exponent.to(D.float64) if isinstance(exponent, Tensor) else float(exponent)
    return _pow(a, b)


def ldexp(input: Tensor, other: Tensor) -> Tensor:
    """``input * 2**other``."""
    tensor_arg(LdexpBackward0, input)
    if not isinstance(other, Tensor):
        raise TypeError(
            f"ldexp(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}"
        )
    return binary(LdexpBackward0, input, other)


def frexp(input: Tensor) -> R.frexp:
    """``(mantissa, exponent)`` with ``input = mantissa * 2**exponent``, ``0.5 <= |mantissa|
    < 1`` (0, inf and NaN keep themselves with exponent 0); the exponent is int32.

    >>> import tensorplug as tp
    >>> tp.frexp(tp.tensor([8.0])).exponent.tolist()
    [4]
    """
    x = tensor_arg(FrexpBackward0, input)
    if not x.dtype.is_floating_point:
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    exponent = Tensor._make(_frexp(x._backend.k, x._data)[1], x._backend)
    return R.frexp((unary(FrexpBackward0, x), exponent))


def _integers(op: str, a: Any, b: Any) -> tuple[Any, Any, Any]:
    x = tensor_arg(_Named(op), a)
    if not isinstance(b, Tensor):
        raise TypeError(f"{op}(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(b).__name__}")  # fmt: skip
    for t in (x, b):
        if t.dtype.is_floating_point or t.dtype is D.bool_:
            name = "Bool" if t.dtype is D.bool_ else _torch_name(t.dtype.name.capitalize())
            raise NotImplementedError(f"\"{op}_cpu\" not implemented for '{name}'")
    da, db = promote(_Named(op), x, b)
    return x._backend.k, da, db


class _Named:
    refuses_bool = None
    float_only = False

    def __init__(self, op: str) -> None:
        self.op = op


def _gcd(k: Any, a: Array, b: Array) -> Array:
    """Euclid's algorithm on all elements at once, until every remainder is 0."""
    a, b = k.abs(a), k.abs(b)
    a, b = k.add(a, k.mul(b, 0)), k.add(b, k.mul(a, 0))  # broadcast both
    while bool(k.any_nonfinite(k.where(k.ne(b, 0), math.inf, 0.0))):
        nz = k.ne(b, 0)
        r = k.remainder(a, k.where(nz, b, 1))
        a, b = k.where(nz, b, a), k.where(nz, r, 0)
    return a


def gcd(input: Tensor, other: Tensor) -> Tensor:
    """The greatest common divisor of integers, elementwise (``gcd(0, 0) = 0``).

    >>> import tensorplug as tp
    >>> tp.gcd(tp.tensor([12, 7]), tp.tensor([18, 0])).tolist()
    [6, 7]
    """
    k, a, b = _integers("gcd", input, other)
    return Tensor._make(_gcd(k, a, b), input._backend)


def lcm(input: Tensor, other: Tensor) -> Tensor:
    """The least common multiple of integers, elementwise (0 where either is 0)."""
    k, a, b = _integers("lcm", input, other)
    g = _gcd(k, a, b)
    out = k.abs(k.mul(k.floor_divide(a, k.where(k.eq(g, 0), 1, g)), b))
    return Tensor._make(k.where(k.eq(g, 0), 0, out), input._backend)


def heaviside(input: Tensor, values: Tensor) -> Tensor:
    """The step function: 0 below 0, ``values`` at 0, 1 above (no gradient, as PyTorch).

    >>> import tensorplug as tp
    >>> tp.heaviside(tp.tensor([-1.0, 0.0, 2.0]), tp.tensor([0.5])).tolist()
    [0.0, 0.5, 1.0]
    """
    x = tensor_arg(_Named("heaviside"), input)
    if not isinstance(values, Tensor):
        raise TypeError(f"heaviside(): argument 'values' (position 2) must be Tensor, not "
                        f"{type(values).__name__}")  # fmt: skip
    if values.dtype is not x.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    k = x._backend.k
    step = k.astype(k.gt(x._data, 0), x.dtype)
    return Tensor._make(k.where(k.eq(x._data, 0), values._data, step), x._backend)
