"""Rounding and remainders: ``floor``, ``ceil``, ``trunc``/``fix``, ``round`` (``decimals``),
``frac``, ``remainder`` (``%``), ``fmod``, ``floor_divide`` (``//``), ``copysign``,
``signbit`` and ``nan_to_num``.

Rounding has gradient 0 (PyTorch's rule); integer tensors round to themselves. Integer
``remainder``, ``fmod`` and ``floor_divide`` by 0 raise PyTorch's ``ZeroDivisionError``
(``RuntimeError``); floats give IEEE's NaN or ±inf. ``g`` is the incoming gradient.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from . import _dtype as D
from ._contract import Array, KernelOps
from ._dispatch import _binary, _unary, binary, is_float, unary
from ._elementwise import binary_op, require, tensor_arg, unary_op
from ._graph import OUT, Node
from ._tensor import Tensor

_TORCH_NAMES = {"bool": "Bool", "int8": "Char", "uint8": "Byte", "int16": "Short",
                "int32": "Int", "int64": "Long", "float16": "Half", "bfloat16": "BFloat16",
                "float32": "Float", "float64": "Double"}  # fmt: skip
"""PyTorch's names of the dtypes, as its "not implemented for" messages spell them."""


def refuse(op: str, t: Tensor) -> NotImplementedError:
    """PyTorch's error for an op its kernels do not define on ``t``'s dtype."""
    name = _TORCH_NAMES.get(t.dtype.name, t.dtype.name)
    return NotImplementedError(f"\"{op}\" not implemented for '{name}'")


_LARGEST = {"float16": 65504.0, "bfloat16": 3.3895313892515355e38,
            "float32": 3.4028234663852886e38, "float64": 1.7976931348623157e308}  # fmt: skip
"""The largest finite value of each floating dtype: ``nan_to_num``'s default for +inf."""

# fmt: off


class FloorBackward0(Node):
    """``floor(x)``: grad = 0."""
    elementwise = True
    op = kernel = "floor"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        return (ops.mul(g, 0),)


class CeilBackward0(FloorBackward0):
    """``ceil(x)``: grad = 0."""
    op = kernel = "ceil"


class TruncBackward0(FloorBackward0):
    """``trunc(x)``: grad = 0."""
    op = kernel = "trunc"


class RoundBackward0(FloorBackward0):
    """``round(x)``, halves to even: grad = 0."""
    op = kernel = "round"


class RoundBackward1(FloorBackward0):
    """``round(x * 10**d) / 10**d`` (``decimals=d``; for d < 0, by ``10**-d`` the other way):
    grad = 0."""
    op, kernel, needs = "round", "", ("round",)

    @staticmethod
    def forward(k: Any, x: Any, decimals: int) -> Any:
        scale = 10.0 ** abs(decimals)
        if decimals >= 0:
            return k.div(k.round(k.mul(x, scale)), scale)
        return k.mul(k.round(k.div(x, scale)), scale)


class FracBackward0(Node):
    """``x - trunc(x)``: grad = g."""
    elementwise = True
    op, needs = "frac", ("trunc",)
    forward = staticmethod(lambda k, x: k.sub(x, k.trunc(x)))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        return (g,)


class RemainderBackward1(Node):
    """``a - b * floor(a / b)``: grad a = g, grad b = -g * floor(a / b), the quotient taken
    as ``(a - out) / b`` (the kernels of a backward have no floor; its derivative is 0)."""
    elementwise = True
    op, broadcasts, save = "remainder", True, (0, 1, OUT)
    kernel = "remainder"

    @staticmethod
    def backward(
        ctx: Node, ops: KernelOps, g: Array, a: Array, b: Array, out: Array
    ) -> tuple[Array, Array]:
        na, nb = ctx.needs_input_grad
        gb = ops.neg(ops.mul(g, ops.div(ops.sub(a, out), b))) if nb else None
        return (ops.sum_to(g, ctx.shapes[0]) if na else None,
                ops.sum_to(gb, ctx.shapes[1]) if nb else None)


class RemainderBackward0(Node):
    """``remainder(x, s)`` for a number ``s``: grad x = g."""
    elementwise = True
    op = kernel = "remainder"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array, None]:
        return (g, None)


class FmodBackward1(RemainderBackward1):
    """``a - b * trunc(a / b)``: grad a = g, grad b = -g * trunc(a / b), the quotient taken
    as ``(a - out) / b``."""
    op = kernel = "fmod"


class FmodBackward0(RemainderBackward0):
    """``fmod(x, s)`` for a number ``s``: grad x = g."""
    op = kernel = "fmod"


class NoDerivative(Node):
    """An op PyTorch records without a derivative (``floor_divide``, ``number % tensor``): its
    node is PyTorch's ``torch::autograd::NotImplemented`` and its backward raises."""
    elementwise = True
    op, broadcasts = "floor_divide", True
    kernel = "floor_divide"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array, Array]:
        raise RuntimeError(f"derivative for aten::{ctx.op} is not implemented")


NoDerivative.__name__ = "torch::autograd::NotImplemented"


class _RemainderNoDerivative(NoDerivative):
    """``number % tensor``: PyTorch has no derivative for it either."""
    op = kernel = "remainder"


_RemainderNoDerivative.__name__ = NoDerivative.__name__

class DivBackward2(Node):
    """``div(a, b, rounding_mode=m)``: ``floor(a / b)`` (``"floor"``, as ``//``) or
    ``trunc(a / b)`` (``"trunc"``), in the operands' dtype: grad a = grad b = 0."""
    elementwise = True
    op, broadcasts, needs = "div", True, ("floor_divide", "trunc")

    @staticmethod
    def forward(k: Any, a: Any, b: Any, mode: str) -> Any:
        if mode == "floor":
            return k.floor_divide(a, b)
        if k.dtype_of(a if not isinstance(a, (int, float)) else b).is_floating_point:
            return k.trunc(k.div(a, b))
        # integers: the quotient of the magnitudes, with the sign of the true quotient
        q = k.floor_divide(k.abs(a), k.abs(b))
        return k.where(k.eq(k.lt(a, 0), k.lt(b, 0)), q, k.neg(q))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array, Array]:
        na, nb = ctx.needs_input_grad
        zero = ops.mul(g, 0)
        return (ops.sum_to(zero, ctx.shapes[0]) if na else None,
                ops.sum_to(zero, ctx.shapes[1]) if nb else None)


class CopysignBackward0(Node):
    """``|a|`` with ``b``'s sign: grad a = g * out / a (0 where a == 0), grad b = 0."""
    elementwise = True
    op, broadcasts, float_only, save = "copysign", True, True, (0, OUT)
    kernel = "copysign"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, a: Array, out: Array) -> tuple[Array, Array]:
        na, nb = ctx.needs_input_grad
        ga = ops.where(ops.eq(a, 0), 0.0, ops.mul(g, ops.div(out, a))) if na else None
        return (ops.sum_to(ga, ctx.shapes[0]) if na else None,
                ops.sum_to(ops.mul(g, 0), ctx.shapes[1]) if nb else None)


class CopysignBackward1(CopysignBackward0):
    """``copysign(a, s)`` for a number ``s``: grad a = g * out / a (0 where a == 0)."""


class NanToNumBackward0(Node):
    """NaN, +inf and -inf replaced by numbers: grad = g where x is finite, else 0."""
    elementwise = True
    op, save = "nan_to_num", (0,)

    @staticmethod
    def forward(k: Any, x: Any, nan: float, posinf: float, neginf: float) -> Any:
        out = k.where(k.ne(x, x), nan, x)
        return k.where(k.eq(x, math.inf), posinf, k.where(k.eq(x, -math.inf), neginf, out))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        return (ops.where(ops.eq(ops.sub(x, x), 0), g, 0.0),)  # inf - inf and NaN are NaN


class _Signbit(Node):
    """The sign bit of a float (true for -0.0 and negative NaNs): no gradient."""
    elementwise = True
    op = kernel = "signbit"
    differentiable = False
# fmt: on


# -- public functions -----------------------------------------------------------------------


def _rounding(cls: type[Node], doc: str, name: str | None = None) -> Callable[[Tensor], Tensor]:
    """A rounding function: an integer tensor is its own result (a copy), a bool one is
    refused, as in PyTorch."""
    float_fn = unary_op(cls, doc, name)
    spec = cls._spec

    def fn(input: Tensor) -> Tensor:
        # The floating case first, as cheap as any unary op's call (docs/performance.md).
        if isinstance(input, Tensor) and is_float(input._backend, input._data):
            if input._backend in spec.forwards:
                return _unary(cls, spec, input, ())
            return float_fn(input)
        x = tensor_arg(cls, input)
        if x.dtype is D.bool_:
            raise refuse(cls.op, x)
        return x.clone()

    fn.__name__ = fn.__qualname__ = name or cls.op
    fn.__doc__ = doc
    return fn


floor = _rounding(FloorBackward0, "Largest integer not above each element.")
ceil = _rounding(CeilBackward0, "Smallest integer not below each element.")
trunc = _rounding(TruncBackward0, "Each element rounded toward zero.")
fix = trunc
_round0 = _rounding(RoundBackward0, "Round half to even.")


def round(input: Tensor, *, decimals: int = 0) -> Tensor:
    """Round half to even, to ``decimals`` decimal places (negative: to tens, hundreds...).

    Example:
        >>> import tensorplug as tp
        >>> tp.round(tp.tensor([0.5, 1.5, 1.25]), decimals=1).tolist()
        [0.5, 1.5, 1.2000000476837158]
    """
    if decimals == 0:
        return _round0(input)
    x = tensor_arg(RoundBackward1, input)
    if not x.dtype.is_floating_point:
        raise refuse("round", x)
    require(RoundBackward1, x)
    return unary(RoundBackward1, x, int(decimals))


def frac(input: Tensor) -> Tensor:
    """The fractional part, ``input - trunc(input)``, with ``input``'s sign."""
    x = tensor_arg(FracBackward0, input)
    if not x.dtype.is_floating_point:
        raise refuse("frac", x)
    require(FracBackward0, x)
    return unary(FracBackward0, x)


def check_divisor(op: str, input: Any, other: Any) -> None:
    """Integer division by zero raises, as PyTorch's ``ZeroDivisionError``; two bool
    operands are refused. Floating operands (or a float number) are left to IEEE."""
    kinds = [a.dtype for a in (input, other) if isinstance(a, Tensor)]
    if any(d.is_floating_point for d in kinds) or float in (type(input), type(other)):
        return
    if all(d is D.bool_ for d in kinds) and not any(type(a) is int for a in (input, other)):
        raise refuse(op, input if isinstance(input, Tensor) else other)
    if isinstance(other, Tensor):
        zero = other.numel() > 0 and bool((other == 0).any())
    else:
        zero = other == 0
    if zero:
        raise RuntimeError("ZeroDivisionError")


def _quotient_op(tensor_cls: type[Node], scalar_cls: type[Node], doc: str) -> Any:
    """``remainder``/``fmod``: the node by the kind of ``other`` (PyTorch's Backward1 for a
    tensor, Backward0 for a number; a number first has no derivative), after the integer
    checks."""
    by_tensor = binary_op(tensor_cls, doc)
    by_number = binary_op(scalar_cls, doc)
    number_first = binary_op(_RemainderNoDerivative, doc)
    spec_t, spec_n = tensor_cls._spec, scalar_cls._spec

    def fn(input: Any, other: Any) -> Tensor:
        if isinstance(input, Tensor) and is_float(input._backend, input._data):
            # A floating dividend: no integer checks, and straight to dispatch once the
            # backend is known to have the kernel.
            if isinstance(other, Tensor):
                if input._backend in spec_t.forwards:
                    return _binary(tensor_cls, spec_t, input, other, ())
                return by_tensor(input, other)
            if input._backend in spec_n.forwards:
                return _binary(scalar_cls, spec_n, input, other, ())
            return by_number(input, other)
        check_divisor(tensor_cls.op, input, other)
        if not isinstance(input, Tensor):
            return number_first(input, other)
        return (by_tensor if isinstance(other, Tensor) else by_number)(input, other)

    fn.__name__ = fn.__qualname__ = tensor_cls.op
    fn.__doc__ = doc
    return fn


remainder = _quotient_op(
    RemainderBackward1, RemainderBackward0, "``input - other * floor(input / other)`` (``%``)."
)
fmod = _quotient_op(FmodBackward1, FmodBackward0, "``input - other * trunc(input / other)``.")
_floor_divide = binary_op(NoDerivative, "``floor(input / other)``.", "floor_divide")


def floor_divide(input: Any, other: Any) -> Tensor:
    """``floor(input / other)`` (``//``), in the operands' promoted dtype. PyTorch defines no
    derivative: a result that requires grad raises in backward."""
    if not (isinstance(input, Tensor) and is_float(input._backend, input._data)):
        check_divisor("floor_divide", input, other)
    return _floor_divide(input, other)


def div_rounding(input: Any, other: Any, rounding_mode: str) -> Tensor:
    """``div(input, other, rounding_mode=...)`` for ``"trunc"`` and ``"floor"``."""
    check_rounding(input, other, rounding_mode)
    return binary(DivBackward2, input, other, rounding_mode)


def check_rounding(input: Any, other: Any, rounding_mode: str) -> None:
    """``div``'s checks for a ``rounding_mode``: a known mode, the kernels, no integer 0."""
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError(
            "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
            f"'{rounding_mode}'"
        )
    t = input if isinstance(input, Tensor) else tensor_arg(DivBackward2, other)
    require(DivBackward2, t)
    if not (isinstance(input, Tensor) and is_float(input._backend, input._data)):
        check_divisor("div", input, other)


copysign_tensor = binary_op(CopysignBackward0, "``|input|`` with ``other``'s sign.", "copysign")
_copysign_number = binary_op(CopysignBackward1, "``|input|`` with ``other``'s sign.", "copysign")


def copysign(input: Tensor, other: Any) -> Tensor:
    """``|input|`` with the sign of ``other`` (integers become the default float)."""
    fn = copysign_tensor if isinstance(other, Tensor) else _copysign_number
    return fn(tensor_arg(CopysignBackward0, input), other)


def signbit(input: Tensor) -> Tensor:
    """Whether each element's sign bit is set (true for -0.0); a bool tensor."""
    x = tensor_arg(_Signbit, input)
    if not x.dtype.is_floating_point:
        from ._ops_pointwise import lt

        return lt(x, 0)
    require(_Signbit, x)
    out = unary(_Signbit, x)
    out._grad_fn = None
    out._requires_grad = False
    return out


def nan_to_num(
    input: Tensor,
    nan: float = 0.0,
    posinf: float | None = None,
    neginf: float | None = None,
) -> Tensor:
    """NaN, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (by default 0 and
    the dtype's largest and lowest finite values)."""
    x = tensor_arg(NanToNumBackward0, input)
    if not x.dtype.is_floating_point:
        return x.clone()
    return unary(NanToNumBackward0, x, *nan_to_num_args(x, nan, posinf, neginf))


def nan_to_num_args(
    x: Tensor, nan: float, posinf: float | None, neginf: float | None
) -> tuple[float, float, float]:
    """``NanToNumBackward0``'s arguments: the replacements, the defaults filled in."""
    big = _LARGEST[x.dtype.name]
    hi = big if posinf is None else float(posinf)
    lo = -big if neginf is None else float(neginf)
    return float(nan), hi, lo
