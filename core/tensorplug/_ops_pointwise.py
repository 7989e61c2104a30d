"""Elementwise ops. Each class: PyTorch's node name, forward on raw arrays, backward in ``ops``.

In every docstring ``g`` is the incoming gradient; gradients of broadcast inputs are reduced
by ``ops.sum_to``, the one place broadcasting is undone.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

from ._backend import UnsupportedOperation
from ._contract import Array, KernelOps, Operand, has_where_zero_owned
from ._dispatch import as_operand, binary, is_float, nary, unary
from ._dtype import INT, get_default_dtype
from ._graph import OUT, Node, SameShapes
from ._inplace import check_fits, inplace
from ._tensor import Tensor

# fmt: off
# -- binary arithmetic ----------------------------------------------------------------------


class AddBackward0(Node):
    """``a + b``: grad a = g, grad b = g."""
    elementwise = True
    op, broadcasts = "add", True
    kernel = "add"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array, Array]:
        na, nb = ctx.needs_input_grad
        if ctx.shapes.__class__ is SameShapes:  # nothing was broadcast
            return (g if na else None, g if nb else None)
        return (ops.sum_to(g, ctx.shapes[0]) if na else None,
                ops.sum_to(g, ctx.shapes[1]) if nb else None)


class SubBackward0(Node):
    """``a - b``: grad a = g, grad b = -g."""
    elementwise = True
    op, broadcasts = "sub", True
    kernel = "sub"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array, Array]:
        na, nb = ctx.needs_input_grad
        if ctx.shapes.__class__ is SameShapes:
            return (g if na else None, ops.neg(g) if nb else None)
        return (ops.sum_to(g, ctx.shapes[0]) if na else None,
                ops.sum_to(ops.neg(g), ctx.shapes[1]) if nb else None)


class RsubBackward1(Node):
    """``s - a`` for a scalar ``s`` (``b`` here): grad a = -g."""
    elementwise = True
    op = "rsub"
    forward = staticmethod(lambda k, a, s: k.sub(s, a))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array, None]:
        return (ops.neg(g), None)


class MulBackward0(Node):
    """``a * b``: grad a = g * b, grad b = g * a."""
    elementwise = True
    op, broadcasts, save = "mul", True, (0, 1)
    saved_for = ((1,), (0,))  # a for b's gradient, b for a's
    kernel = "mul"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, a: Array, b: Array) -> tuple[Array, Array]:
        na, nb = ctx.needs_input_grad
        if ctx.shapes.__class__ is SameShapes:
            return (ops.mul(g, b) if na else None, ops.mul(g, a) if nb else None)
        return (ops.sum_to(ops.mul(g, b), ctx.shapes[0]) if na else None,
                ops.sum_to(ops.mul(g, a), ctx.shapes[1]) if nb else None)


class DivBackward0(Node):
    """``a / b``: grad a = g / b, grad b = -(g / b) * (a / b), which is -g * a / b**2 with
    grad a's quotient reused (one kernel fewer) and no b**2 to overflow or underflow."""
    elementwise = True
    op, broadcasts, float_only, save = "div", True, True, (0, 1)
    saved_for = ((1,), (0, 1))
    kernel = "div"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, a: Array, b: Array) -> tuple[Array, Array]:
        na, nb = ctx.needs_input_grad
        ga = ops.div(g, b)
        gb = ops.neg(ops.mul(ga, ops.div(a, b))) if nb else None
        if ctx.shapes.__class__ is SameShapes:
            return (ga if na else None, gb)
        return (ops.sum_to(ga, ctx.shapes[0]) if na else None,
                ops.sum_to(gb, ctx.shapes[1]) if nb else None)


class PowBackward0(Node):
    """``x ** e`` for a number ``e``: grad x = g * e * x**(e-1) (zero when e == 0)."""
    elementwise = True
    op, save = "pow", (0,)
    kernel = "pow"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        e = ctx.args[0]
        if e == 0:
            return (ops.mul(g, 0),)
        if e == 2:  # g * 2x, as PyTorch computes it; x + x is 2x exactly, and cheaper
            return (ops.mul(g, ops.add(x, x)),)  # than an op with a Python scalar (the loss)
        return (ops.mul(ops.mul(g, e), ops.pow(x, e - 1)),)


class PowBackward1(Node):
    """``a ** b``, both tensors: grad a = g * b * a**(b-1), grad b = g * a**b * log(a)."""
    elementwise = True
    op, broadcasts, save = "pow", True, (0, 1, OUT)
    saved_for = ((0, 1), (0,), (1,))
    kernel = "pow"

    @staticmethod
    def backward(
        ctx: Node, ops: KernelOps, g: Array, a: Array, b: Array, out: Array
    ) -> tuple[Array, Array]:
        na, nb = ctx.needs_input_grad
        ga = gb = None
        if na:
            ga = ops.sum_to(ops.mul(ops.mul(g, b), ops.pow(a, ops.sub(b, 1))), ctx.shapes[0])
        if nb:
            # 0 ** b contributes no gradient to b (PyTorch masks log(0) the same way)
            logs = ops.where(ops.eq(a, 0), 0.0, ops.log(a))
            gb = ops.sum_to(ops.mul(ops.mul(g, out), logs), ctx.shapes[1])
        return ga, gb


class PowBackward2(Node):
    """``s ** x`` for a number ``s``: grad x = g * s**x * log(s)."""
    elementwise = True
    op, save = "pow", (OUT,)
    forward = staticmethod(lambda k, x, s: k.pow(s, x))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, out: Array) -> tuple[Array]:
        import math

        s = ctx.args[0]
        return (ops.mul(ops.mul(g, out), math.log(s) if s > 0 else float("nan")),)


def _mask_max(
    ops: KernelOps, g: Array, a: Array, b: Array, cmp: Callable[[Array, Array], Array]
) -> Array:
    """g where ``cmp(a, b)``, half of g where they tie (PyTorch's rule for max/min)."""
    return ops.where(cmp(a, b), g, ops.where(ops.eq(a, b), ops.mul(g, 0.5), 0.0))


class MaximumBackward0(Node):
    """``maximum(a, b)``: g goes to the larger input, half to each on ties."""
    elementwise = True
    op, broadcasts, save = "maximum", True, (0, 1)
    kernel = "maximum"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, a: Array, b: Array) -> tuple[Array, Array]:
        na, nb = ctx.needs_input_grad
        return (ops.sum_to(_mask_max(ops, g, a, b, ops.gt), ctx.shapes[0]) if na else None,
                ops.sum_to(_mask_max(ops, g, b, a, ops.gt), ctx.shapes[1]) if nb else None)


class MinimumBackward0(Node):
    """``minimum(a, b)``: g goes to the smaller input, half to each on ties."""
    elementwise = True
    op, broadcasts, save = "minimum", True, (0, 1)
    kernel = "minimum"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, a: Array, b: Array) -> tuple[Array, Array]:
        na, nb = ctx.needs_input_grad
        return (ops.sum_to(_mask_max(ops, g, a, b, ops.lt), ctx.shapes[0]) if na else None,
                ops.sum_to(_mask_max(ops, g, b, a, ops.lt), ctx.shapes[1]) if nb else None)


class WhereBackward0(Node):
    """``where(c, x, y)``: grad x = g where c, grad y = g where not c. The condition is an
    argument, not an input: it has no edge, as in PyTorch's graph."""
    op, broadcasts = "where", True
    forward = staticmethod(lambda k, x, y, c: k.where(c, x, y))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array, Array]:
        nx, ny = ctx.needs_input_grad
        c = ops.const(ctx.args[0], g)
        return (ops.sum_to(ops.where(c, g, 0.0), ctx.shapes[0]) if nx else None,
                ops.sum_to(ops.where(c, 0.0, g), ctx.shapes[1]) if ny else None)


# -- unary ----------------------------------------------------------------------------------


class NegBackward0(Node):
    """``-x``: grad = -g."""
    elementwise = True
    op = "neg"
    kernel = "neg"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        return (ops.neg(g),)


class ExpBackward0(Node):
    """``exp(x)``: grad = g * exp(x)."""
    elementwise = True
    op, float_only, save = "exp", True, (OUT,)
    kernel = "exp"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, out: Array) -> tuple[Array]:
        return (ops.mul(g, out),)


class LogBackward0(Node):
    """``log(x)``: grad = g / x."""
    elementwise = True
    op, float_only, save = "log", True, (0,)
    kernel = "log"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        return (ops.div(g, x),)


class Log1PBackward0(Node):
    """``log1p(x)``: grad = g / (1 + x)."""
    elementwise = True
    op, float_only, save = "log1p", True, (0,)
    kernel = "log1p"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        return (ops.div(g, ops.add(x, 1)),)


class Expm1Backward0(Node):
    """``expm1(x)``: grad = g * (expm1(x) + 1)."""
    elementwise = True
    op, float_only, save = "expm1", True, (OUT,)
    kernel = "expm1"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, out: Array) -> tuple[Array]:
        return (ops.mul(g, ops.add(out, 1)),)


class SqrtBackward0(Node):
    """``sqrt(x)``: grad = g / (2 sqrt(x))."""
    elementwise = True
    op, float_only, save = "sqrt", True, (OUT,)
    kernel = "sqrt"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, out: Array) -> tuple[Array]:
        return (ops.div(g, ops.mul(out, 2)),)


class RsqrtBackward0(Node):
    """``1 / sqrt(x)``: grad = -g * out**3 / 2."""
    elementwise = True
    op, float_only, save = "rsqrt", True, (OUT,)
    kernel = "rsqrt"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, out: Array) -> tuple[Array]:
        return (ops.mul(ops.mul(g, -0.5), ops.pow(out, 3)),)


class ReciprocalBackward0(Node):
    """``1 / x``: grad = -g * out**2."""
    elementwise = True
    op, float_only, save = "reciprocal", True, (OUT,)
    kernel = "reciprocal"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, out: Array) -> tuple[Array]:
        return (ops.neg(ops.mul(g, ops.mul(out, out))),)


class AbsBackward0(Node):
    """``|x|``: grad = g * sign(x)."""
    elementwise = True
    op, save = "abs", (0,)
    kernel = "abs"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        return (ops.mul(g, ops.sign(x)),)


class SinBackward0(Node):
    """``sin(x)``: grad = g * cos(x)."""
    elementwise = True
    op, float_only, save = "sin", True, (0,)
    kernel = "sin"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        return (ops.mul(g, ops.cos(x)),)


class CosBackward0(Node):
    """``cos(x)``: grad = -g * sin(x)."""
    elementwise = True
    op, float_only, save = "cos", True, (0,)
    kernel = "cos"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        return (ops.neg(ops.mul(g, ops.sin(x))),)


class TanhBackward0(Node):
    """``tanh(x)``: grad = g * (1 - out**2)."""
    elementwise = True
    op, float_only, save = "tanh", True, (OUT,)
    kernel = "tanh"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, out: Array) -> tuple[Array]:
        return (ops.tanh_backward(g, out),)


class SigmoidBackward0(Node):
    """``1 / (1 + exp(-x))``: grad = g * out * (1 - out)."""
    elementwise = True
    op, float_only, save = "sigmoid", True, (OUT,)
    kernel = "sigmoid"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, out: Array) -> tuple[Array]:
        return (ops.sigmoid_backward(g, out),)


class ReluBackward0(Node):
    """``max(x, 0)``: grad = g where out > 0."""
    elementwise = True
    op, save = "relu", (OUT,)
    kernel = "relu"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, out: Array) -> tuple[Array]:
        return (ops.where(ops.gt(out, 0), g, 0.0),)

    @staticmethod
    def backward_owned(ctx: Node, ops: KernelOps, g: Array, out: Array) -> tuple[Array]:
        # g is the engine's alone: zero it in place where out <= 0 (no second full buffer).
        if not has_where_zero_owned(ops):
            return ReluBackward0.backward(ctx, ops, g, out)
        return (ops.where_zero_owned(ops.gt(out, 0), g),)


class SignBackward0(Node):
    """``sign(x)``: -1, 0 or 1, and 0 for NaN, as PyTorch (the kernel's is NaN); grad = 0."""
    elementwise = True
    op = "sign"

    @staticmethod
    def forward(k: Any, x: Any) -> Any:
        return k.where(k.ne(x, x), 0, k.sign(x))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        return (ops.mul(g, 0),)


def _clamp_grad(
    ops: KernelOps, g: Array, x: Array, lo: Operand | None, hi: Operand | None
) -> Array:
    if lo is not None:
        g = ops.where(ops.ge(x, lo), g, 0.0)
    if hi is not None:
        g = ops.where(ops.le(x, hi), g, 0.0)
    return g


def _clamp_grad_owned(
    ops: KernelOps, g: Array, x: Array, lo: Operand | None, hi: Operand | None
) -> Array:
    """``_clamp_grad`` zeroing ``g`` in place (the engine's alone: ``Node.backward_owned``)."""
    if not has_where_zero_owned(ops):
        return _clamp_grad(ops, g, x, lo, hi)
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
        return (_clamp_grad(ops, g, x, *ctx.args),)

    @staticmethod
    def backward_owned(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        return (_clamp_grad_owned(ops, g, x, *ctx.args),)


class ClampMinBackward0(ClampBackward1):
    """``clamp_min(x, min)``: grad = g where x >= min."""
    op = "clamp_min"


class ClampMaxBackward0(ClampBackward1):
    """``clamp_max(x, max)``: grad = g where x <= max."""
    op = "clamp_max"


class _Compare(Node):
    op, broadcasts = "compare", True
    differentiable = False


def _cmp_class(name: str) -> type[Node]:
    return type(name, (_Compare,), {
        "op": name, "__slots__": (),
        "forward": staticmethod(lambda k, a, b, _n=name: getattr(k, _n)(a, b))})


_CMP = {n: _cmp_class(n) for n in ("eq", "ne", "lt", "le", "gt", "ge")}


class _BitwiseAnd(Node):
    """``a & b`` of integer (and bool) tensors: no gradient, as no such tensor has one."""
    op, broadcasts = "bitwise_and", True
    kernel = "bitwise_and"


class _BitwiseOr(_BitwiseAnd):
    """``a | b`` of integer (and bool) tensors."""
    op = "bitwise_or"
    kernel = "bitwise_or"
# fmt: on

# -- public functions -----------------------------------------------------------------------


def add(input: Any, other: Any, *, alpha: float = 1) -> Tensor:
    """``input + alpha * other``, broadcasting."""
    if alpha != 1:
        other = _scaled(other, alpha)
    return binary(AddBackward0, input, other)


def _scaled(other: Any, alpha: float) -> Any:
    """``alpha * other`` for ``add``/``sub``'s ``alpha``: plain arithmetic on a number."""
    return mul(other, alpha) if isinstance(other, Tensor) else other * alpha


def sub(input: Any, other: Any, *, alpha: float = 1) -> Tensor:
    """``input - alpha * other``, broadcasting."""
    if alpha != 1:
        other = _scaled(other, alpha)
    if not isinstance(input, Tensor) and isinstance(input, (int, float)):
        return binary(RsubBackward1, other, input)
    return binary(SubBackward0, input, other)


subtract = sub


def mul(input: Any, other: Any) -> Tensor:
    """``input * other``, broadcasting."""
    if not isinstance(input, Tensor):
        input, other = other, input
    return binary(MulBackward0, input, other)


multiply = mul


def div(input: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """True division ``input / other`` (integers give floats, as in PyTorch); with
    ``rounding_mode`` ``"trunc"`` or ``"floor"``, the rounded quotient in the operands' dtype
    (``_ops_rounding.DivBackward2``)."""
    if rounding_mode is not None:
        from ._ops_rounding import div_rounding

        return div_rounding(input, other, rounding_mode)
    return binary(DivBackward0, input, other)


divide = true_divide = div


def pow(input: Any, exponent: Any) -> Tensor:
    """``input ** exponent``; either may be a number."""
    if exponent.__class__ is bool and isinstance(input, Tensor):
        if input.dtype.category == 0:  # bool ** bool stays bool: x, or all True for ** False
            return where(input, True, not exponent)
        exponent = int(exponent)  # a number of the lowest kind: the tensor keeps its dtype
    if isinstance(exponent, (int, float)) and not isinstance(exponent, bool):
        # A NumPy float (a float subclass) acts as the Python number, as in PyTorch: NumPy
        # itself would let a float64 scalar promote the result.
        exponent = float(exponent) if isinstance(exponent, float) else exponent
        if not isinstance(input, Tensor):
            raise TypeError("pow(): expected a Tensor argument")
        if isinstance(exponent, int) and exponent < 0 and not input.dtype.is_floating_point:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        if isinstance(exponent, float) and not input.dtype.is_floating_point:
            input = input.float()
        return unary(PowBackward0, input, exponent)
    if not isinstance(input, Tensor):
        if isinstance(input, numbers.Real) and not isinstance(input, int):
            input = float(input)  # a NumPy float acts as the Python number (see above)
        if isinstance(input, float) and not exponent.dtype.is_floating_point:
            exponent = exponent.to(get_default_dtype())  # 2.0 ** int tensor is a float tensor
        return unary(PowBackward2, exponent, input)
    return binary(PowBackward1, input, exponent)


def maximum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise maximum (NaN-propagating)."""
    return binary(MaximumBackward0, input, other)


def minimum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise minimum (NaN-propagating)."""
    return binary(MinimumBackward0, input, other)


def where(condition: Tensor, input: Any, other: Any) -> Tensor:
    """``input`` where ``condition`` is true, else ``other``; broadcasting."""
    if not isinstance(condition, Tensor):
        raise TypeError(f"where(): condition must be a bool Tensor, got {type(condition)}")
    if condition.dtype.name != "bool":
        raise TypeError(f"where(): condition must be a bool tensor, got {condition.dtype.name}")
    if isinstance(input, Tensor) and isinstance(other, Tensor) and input.dtype is not other.dtype:
        from ._dtype import result_type

        d = result_type(
            (input.dtype, 2 if input.ndim else 1), (other.dtype, 2 if other.ndim else 1)
        )
        input, other = input.to(d), other.to(d)
    elif not isinstance(input, Tensor) and not isinstance(other, Tensor):
        from ._dispatch import as_operand

        input = as_operand(input, condition, WhereBackward0)
    elif isinstance(input, Tensor) is not isinstance(other, Tensor):
        # A number beside a tensor must fit the tensor's integer dtype: NumPy before 2.5 wraps
        # it around silently in ``where``.
        n, t = (input, other) if isinstance(other, Tensor) else (other, input)
        if isinstance(n, int) and not isinstance(n, bool) and t.dtype.category == INT:
            bits = 8 * t.dtype.itemsize - 1
            if not -(1 << bits) <= n < 1 << bits:
                raise RuntimeError(
                    f"where(): value {n} cannot be converted to type {t.dtype.name} without "
                    "overflow"
                )
    if condition._backend is not (input if isinstance(input, Tensor) else other)._backend:
        from ._dispatch import mismatch_error

        raise mismatch_error(
            WhereBackward0, condition, input if isinstance(input, Tensor) else other
        )
    return nary(WhereBackward0, (input, other), condition._data)


def _unary_fn(cls: type[Node], doc: str) -> Callable[[Tensor], Tensor]:
    def fn(input: Tensor) -> Tensor:
        if not isinstance(input, Tensor):
            raise TypeError(f"{cls.op}(): expected a Tensor, got {type(input).__name__}")
        return unary(cls, input)

    fn.__name__ = fn.__qualname__ = cls.op
    fn.__doc__ = doc
    return fn


neg = _unary_fn(NegBackward0, "``-input``.")
negative = neg
exp = _unary_fn(ExpBackward0, "Elementwise ``e ** input``.")
log = _unary_fn(LogBackward0, "Natural logarithm.")
log1p = _unary_fn(Log1PBackward0, "``log(1 + input)``, accurate near 0.")
expm1 = _unary_fn(Expm1Backward0, "``exp(input) - 1``, accurate near 0.")
sqrt = _unary_fn(SqrtBackward0, "Square root.")
rsqrt = _unary_fn(RsqrtBackward0, "``1 / sqrt(input)``.")
reciprocal = _unary_fn(ReciprocalBackward0, "``1 / input``.")


def abs(input: Tensor) -> Tensor:
    """Absolute value (not defined for bool tensors, as in PyTorch)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"abs(): expected a Tensor, got {type(input).__name__}")
    if input.dtype.category == 0:
        raise NotImplementedError("abs(): not implemented for bool tensors")
    return unary(AbsBackward0, input)


sin = _unary_fn(SinBackward0, "Sine.")
cos = _unary_fn(CosBackward0, "Cosine.")
tanh = _unary_fn(TanhBackward0, "Hyperbolic tangent.")
sigmoid = _unary_fn(SigmoidBackward0, "Logistic sigmoid ``1 / (1 + exp(-input))``.")
relu = _unary_fn(ReluBackward0, "``max(input, 0)``.")
sign = _unary_fn(SignBackward0, "-1, 0 or 1 by the sign of each element.")


def square(input: Tensor) -> Tensor:
    """``input ** 2`` (recorded as ``PowBackward0``, as PyTorch does)."""
    return pow(input, 2)


def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """Limit values to ``[min, max]``; either bound may be omitted or be a tensor."""
    if min is None and max is None:
        raise RuntimeError("clamp(): at least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = input
        if min is not None:
            out = maximum(out, min if isinstance(min, Tensor) else _bound(min, input))
        if max is not None:
            out = minimum(out, max if isinstance(max, Tensor) else _bound(max, input))
        return out
    return unary(ClampBackward1, _bounds_dtype(input, min, max), min, max)


clip = clamp


def _bound(number: Any, input: Tensor) -> Tensor:
    """A number bound beside a tensor one: a 0-d tensor of the number's kind (a float bound
    makes an integer tensor's result float, as in PyTorch, never a truncated bound)."""
    return as_operand(number, input, ClampBackward1)


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
        return clamp(input, min=min)
    return unary(ClampMinBackward0, _bounds_dtype(input, min), min, None)


def clamp_max(input: Tensor, max: Any) -> Tensor:
    """``min(input, max)``, recorded as ``ClampMaxBackward0``."""
    if isinstance(max, Tensor):
        return clamp(input, max=max)
    return unary(ClampMaxBackward0, _bounds_dtype(input, max), None, max)


def _compare(name: str) -> Callable[[Any, Any], Tensor]:
    cls = _CMP[name]

    def fn(input: Any, other: Any) -> Tensor:
        out = binary(cls, input, other)
        out._grad_fn = None
        out._requires_grad = False
        return out

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}`` comparison; a bool tensor, not differentiable."
    return fn


eq, ne, lt, le, gt, ge = (_compare(n) for n in ("eq", "ne", "lt", "le", "gt", "ge"))


greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def bitwise(cls: type[Node], input: Tensor, other: Any) -> Tensor:
    """``input & other`` (``_BitwiseAnd``) or ``|`` of bool and integer tensors and numbers,
    promoted as PyTorch promotes them (``bool | int32`` is int32, ``bool | 1`` int64); two
    bools give the logical op (``where``: no kernel needed), the rest the backend's kernel."""
    if not isinstance(other, (Tensor, bool, int)):
        other = as_operand(other, input, cls)
    for x in (input, other):
        kind = x.dtype if isinstance(x, Tensor) else None
        if kind is not None and kind.is_floating_point:
            raise NotImplementedError(f"\"{cls.op}\" not implemented for '{kind.name}'")
    bools = input.dtype.category == 0 and (
        other.__class__ is bool or (isinstance(other, Tensor) and other.dtype.category == 0)
    )
    if bools:
        if cls is _BitwiseAnd:
            return where(input, other, False)
        if cls is _BitwiseOr:
            return where(input, True, other)
        return ne(input, other)  # ``^``: the one other bitwise op defined on two bools
    if not input._backend.has_kernel(cls.kernel):
        raise UnsupportedOperation(
            f"{cls.op}: backend '{input._backend.name}' has no {cls.kernel} kernel, needed "
            "for integer tensors"
        )
    return binary(cls, input, other)


# -- in-place forms -------------------------------------------------------------------------


def add_(self: Tensor, other: Any, *, alpha: float = 1) -> Tensor:
    return inplace(AddBackward0, self, other if alpha == 1 else _scaled(other, alpha))


def sub_(self: Tensor, other: Any, *, alpha: float = 1) -> Tensor:
    return inplace(SubBackward0, self, other if alpha == 1 else _scaled(other, alpha))


def mul_(self: Tensor, other: Any) -> Tensor:
    return inplace(MulBackward0, self, other)


def div_(self: Tensor, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    if rounding_mode is not None:
        from ._ops_rounding import DivBackward2, check_rounding

        check_rounding(self, other, rounding_mode)
        return inplace(DivBackward2, self, other, args=(rounding_mode,))
    return inplace(DivBackward0, self, other)


def clamp_(self: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """``clamp`` in place; tensor bounds as ``clamp``'s: ``maximum``, then ``minimum``."""
    if min is None and max is None:
        raise RuntimeError("clamp_(): at least one of 'min' or 'max' must not be None")
    if not isinstance(min, Tensor) and not isinstance(max, Tensor):
        return inplace(ClampBackward1, self, args=(min, max))
    bounds = [b if isinstance(b, Tensor) else _bound(b, self) for b in (min, max) if b is not None]
    for b in bounds:  # both fit before either is written: never half a clamp
        check_fits(self, b, "clamp_")
    if min is not None:
        inplace(MaximumBackward0, self, bounds[0])
    if max is not None:
        inplace(MinimumBackward0, self, bounds[-1])
    return self
