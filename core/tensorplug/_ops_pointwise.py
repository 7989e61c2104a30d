"""Elementwise ops. Each class: PyTorch's node name, forward on raw arrays, backward in ``ops``.

In every docstring ``g`` is the incoming gradient; gradients of broadcast inputs are reduced
by ``ops.sum_to``, the one place broadcasting is undone.
"""

from __future__ import annotations

import numbers
from builtins import abs as builtins_abs
from collections.abc import Callable
from typing import Any

from . import _dtype as D
from ._backend import UnsupportedOperation
from ._contract import Array, KernelOps, has_where_zero_owned
from ._dispatch import as_operand, binary, broadcastable, category, nary, unary
from ._dtype import INT, get_default_dtype
from ._graph import OUT, Node, SameShapes
from ._inplace import inplace, zeros_like_grad
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


_NO_BOOL_SUB = (
    "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to "
    "invert a mask, use the `~` or `logical_not()` operator instead."
)


class SubBackward0(Node):
    """``a - b``: grad a = g, grad b = -g."""
    elementwise = True
    op, broadcasts = "sub", True
    kernel = "sub"
    refuses_bool = _NO_BOOL_SUB

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
    refuses_bool = _NO_BOOL_SUB

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
            return (zeros_like_grad(ctx, ops, g),)
        return (ops.pow_backward(g, x, e),)  # one kernel (issue 21): _fused_formulas


class PowBackward1(Node):
    """``a ** b``, both tensors: grad a = g * b * a**(b-1) (0 where b == 0), grad b =
    g * a**b * log(a) (0 where a == 0 and b >= 0), masked as PyTorch masks them."""
    elementwise = True
    op, broadcasts, save = "pow", True, (0, 1, OUT)  # all version-checked, as PyTorch's
    kernel = "pow"

    @staticmethod
    def backward(
        ctx: Node, ops: KernelOps, g: Array, a: Array, b: Array, out: Array
    ) -> tuple[Array, Array]:
        na, nb = ctx.needs_input_grad
        ga = gb = None
        if na:
            ga = ops.mul(ops.mul(g, b), ops.pow(a, ops.sub(b, 1)))
            ga = ops.sum_to(ops.where(ops.eq(b, 0), 0.0, ga), ctx.shapes[0])
        if nb:
            gb = ops.mul(ops.mul(g, out), ops.log(a))
            gb = ops.where(ops.eq(a, 0), ops.where(ops.ge(b, 0), 0.0, gb), gb)
            gb = ops.sum_to(gb, ctx.shapes[1])
        return ga, gb


class PowBackward2(Node):
    """``s ** x`` for a number ``s``: grad x = g * s**x * log(s) (for s == 0: 0 where
    x >= 0, as PyTorch masks it)."""
    elementwise = True
    op, save = "pow", (0, OUT)  # x too: PyTorch saves it, so a later change of x is caught
    forward = staticmethod(lambda k, x, s: k.pow(s, x))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array, out: Array) -> tuple[Array]:
        import math

        s = ctx.args[0]
        if s == 0:
            return (ops.where(ops.lt(x, 0), ops.mul(ops.mul(g, out), -math.inf), 0.0),)
        return (ops.mul(ops.mul(g, out), math.log(s) if s > 0 else float("nan")),)


def _mask_max(
    ops: KernelOps, g: Array, a: Array, b: Array, loses: Callable[[Array, Array], Array]
) -> Array:
    """0 where ``a`` loses (``loses(a, b)``), half of g where they tie, else g: PyTorch's
    rule for max/min, by which a NaN (it neither loses nor ties) gets all of g."""
    return ops.where(loses(a, b), 0.0, ops.where(ops.eq(a, b), ops.mul(g, 0.5), g))


class MaximumBackward0(Node):
    """``maximum(a, b)``: g goes to the larger input, half to each on ties."""
    elementwise = True
    op, broadcasts, save = "maximum", True, (0, 1)
    kernel = "maximum"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, a: Array, b: Array) -> tuple[Array, Array]:
        na, nb = ctx.needs_input_grad
        return (ops.sum_to(_mask_max(ops, g, a, b, ops.lt), ctx.shapes[0]) if na else None,
                ops.sum_to(_mask_max(ops, g, b, a, ops.lt), ctx.shapes[1]) if nb else None)


class MinimumBackward0(Node):
    """``minimum(a, b)``: g goes to the smaller input, half to each on ties."""
    elementwise = True
    op, broadcasts, save = "minimum", True, (0, 1)
    kernel = "minimum"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, a: Array, b: Array) -> tuple[Array, Array]:
        na, nb = ctx.needs_input_grad
        return (ops.sum_to(_mask_max(ops, g, a, b, ops.gt), ctx.shapes[0]) if na else None,
                ops.sum_to(_mask_max(ops, g, b, a, ops.gt), ctx.shapes[1]) if nb else None)


class WhereBackward0(Node):
    """``where(c, x, y)``: grad x = g where c, grad y = g where not c. The condition is an
    argument, not an input: it has no edge, as in PyTorch's graph. It comes with its version
    counter and version, so a condition changed in place since is refused, as PyTorch
    refuses a saved tensor changed in place (never a gradient masked by the new values)."""
    op, broadcasts = "where", True
    forward = staticmethod(lambda k, x, y, c, vc, version: k.where(c, x, y))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array, Array]:
        nx, ny = ctx.needs_input_grad
        cond, vc, version = ctx.args
        if vc.version != version:
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: the condition of where, is at version {vc.version}; "
                f"expected version {version} instead"
            )
        c = ops.const(cond, g)
        return (ops.sum_to(ops.where(c, g, 0.0), ctx.shapes[0]) if nx else None,
                ops.sum_to(ops.where(c, 0.0, g), ctx.shapes[1]) if ny else None)


# -- unary ----------------------------------------------------------------------------------


class NegBackward0(Node):
    """``-x``: grad = -g."""
    elementwise = True
    op = "neg"
    kernel = "neg"
    refuses_bool = (
        "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
        "invert a mask, use the `~` or `logical_not()` operator instead."
    )

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
    """``|x|``: grad = g * sign(x) (0 at NaN, as PyTorch's sgn)."""
    elementwise = True
    op, save = "abs", (0,)
    kernel = "abs"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        return (ops.mul(g, ops.where(ops.ne(x, x), 0.0, ops.sign(x))),)


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
        return (ops.relu_backward(g, out),)

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
        return (zeros_like_grad(ctx, ops, g),)


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
    if alpha != 1 or alpha is True:
        other = _scaled(input, other, alpha)
    return binary(AddBackward0, input, other)


def _scaled(input: Any, other: Any, alpha: Any) -> Any:
    """``alpha * other`` for ``add``/``sub``'s ``alpha``, in the dtype of ``input op other``
    (``alpha`` takes no part in promotion, as in PyTorch, and must fit that dtype)."""
    kinds = [
        (x.dtype, 2 if x.ndim else 1) if isinstance(x, Tensor) else (D.scalar_dtype(x), 0)
        for x in (input, other)
    ]
    target = D.result_type(*kinds)
    if isinstance(alpha, bool) and target is not D.bool_:
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if isinstance(alpha, float) and not target.is_floating_point:
        raise RuntimeError(
            "For integral input tensors, argument alpha must not be a floating point number."
        )
    if not isinstance(other, Tensor):
        return other * alpha
    scaled = mul(other if other.dtype is target else other.to(target), alpha)
    return scaled if scaled.dtype is target else scaled.to(target)  # a bool result stays bool


def sub(input: Any, other: Any, *, alpha: float = 1) -> Tensor:
    """``input - alpha * other``, broadcasting."""
    if other.__class__ is bool or D.bool_ in (
        getattr(input, "dtype", None),
        getattr(other, "dtype", None),
    ):
        raise RuntimeError(_NO_BOOL_SUB)  # before alpha scales it into a number
    if alpha != 1 or alpha is True:
        other = _scaled(input, other, alpha)
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
        if not exponent.dtype.is_floating_point:
            return _integer_pow(input, exponent)
        return unary(PowBackward2, exponent, input)
    if isinstance(exponent, Tensor) and not (
        input.dtype.is_floating_point or exponent.dtype.is_floating_point
    ):
        if input.dtype is D.bool_ and exponent.dtype is D.bool_:
            raise NotImplementedError("\"pow\" not implemented for 'Bool'")
        return _integer_pow(input, exponent)
    return binary(PowBackward1, input, exponent)


def _integer_pow(base: Any, exponent: Tensor) -> Tensor:
    """``base ** exponent`` in integers, as PyTorch computes it: a negative exponent gives 1
    for a base of 1, +-1 for -1, 0 otherwise (NumPy refuses it)."""
    if exponent.dtype is D.bool_:  # never negative
        return (
            binary(PowBackward1, base, exponent)
            if isinstance(base, Tensor)
            else unary(PowBackward2, exponent, base)
        )
    negative = lt(exponent, 0)
    if not isinstance(base, Tensor):
        p = unary(PowBackward2, abs(exponent), base)
        return p if builtins_abs(base) == 1 else where(negative, 0, p)
    p = binary(PowBackward1, base, abs(exponent))
    unit = eq(base if base.dtype is D.bool_ else abs(base), 1)
    return where(negative, where(unit, p, 0), p)


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
    shapes = [list(t.shape) for t in (condition, input, other) if isinstance(t, Tensor)]
    if not broadcastable(shapes):  # the condition too (an argument the kernel would refuse)
        from ._dispatch import _broadcast_message

        raise RuntimeError(f"where(): {_broadcast_message(shapes)}")
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
    vc = condition._vc
    return nary(WhereBackward0, (input, other), condition._data, vc, vc.version)


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


def relu(input: Tensor) -> Tensor:
    """``max(input, 0)`` (not defined for bool tensors, as in PyTorch)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"relu(): expected a Tensor, got {type(input).__name__}")
    if category(input._backend, input._data) == D.BOOL:
        raise RuntimeError("Boolean inputs not supported for relu")
    return unary(ReluBackward0, input)


def sign(input: Tensor) -> Tensor:
    """-1, 0 or 1 by the sign of each element (a bool tensor's own values)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"sign(): expected a Tensor, got {type(input).__name__}")
    if input.dtype is D.bool_:
        return input.clone()
    return unary(SignBackward0, input)


def square(input: Tensor) -> Tensor:
    """``input ** 2`` (recorded as ``PowBackward0``, as PyTorch does)."""
    return pow(input, 2)


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
    scaled = alpha != 1 or alpha is True
    return inplace(AddBackward0, self, _scaled(self, other, alpha) if scaled else other)


def sub_(self: Tensor, other: Any, *, alpha: float = 1) -> Tensor:
    scaled = alpha != 1 or alpha is True
    if other.__class__ is bool or D.bool_ in (self.dtype, getattr(other, "dtype", None)):
        raise RuntimeError(_NO_BOOL_SUB)  # before the in-place kernel, which would compute it
    return inplace(SubBackward0, self, _scaled(self, other, alpha) if scaled else other)


def mul_(self: Tensor, other: Any) -> Tensor:
    return inplace(MulBackward0, self, other)


def div_(self: Tensor, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    if rounding_mode is not None:
        from ._ops_rounding import DivBackward2, check_rounding

        check_rounding(self, other, rounding_mode)
        return inplace(DivBackward2, self, other, args=(rounding_mode,))
    return inplace(DivBackward0, self, other)
