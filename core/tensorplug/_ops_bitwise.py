"""Bitwise ops beyond ``&`` and ``|`` (``_ops_pointwise.bitwise``): ``bitwise_xor`` (``^``),
``bitwise_not`` (``~``) and the shifts ``bitwise_left_shift`` (``<<``) and
``bitwise_right_shift`` (``>>``), with PyTorch's promotion of bool and integer operands
(``bool ^ int32`` is int32); floating operands raise PyTorch's ``NotImplementedError``, and
so do shifts of two bools. None has a gradient (no integer tensor has one).
"""

from __future__ import annotations

from typing import Any

from . import _dtype as D
from . import _ops_pointwise as P
from ._backend import UnsupportedOperation
from ._dispatch import as_operand, unary
from ._elementwise import reflected, tensor_arg
from ._graph import Node
from ._ops_rounding import refuse
from ._tensor import Tensor


class _BitwiseXor(P._BitwiseAnd):
    """``a ^ b`` of integer (and bool) tensors."""

    op = kernel = "bitwise_xor"


class _LeftShift(P._BitwiseAnd):
    """``a << b`` of integer tensors."""

    op = kernel = "bitwise_left_shift"


class _RightShift(P._BitwiseAnd):
    """``a >> b`` of integer tensors (arithmetic: the sign is kept)."""

    op = kernel = "bitwise_right_shift"


class _BitwiseNot(Node):
    """``~x`` of an integer tensor."""

    elementwise = True
    op, kernel = "bitwise_not", "bitwise_invert"


def bitwise_and(input: Tensor, other: Any) -> Tensor:
    """``input & other``, bit by bit (logical for bools)."""
    return P.bitwise(P._BitwiseAnd, tensor_arg(P._BitwiseAnd, input), other)


def bitwise_or(input: Tensor, other: Any) -> Tensor:
    """``input | other``, bit by bit (logical for bools)."""
    return P.bitwise(P._BitwiseOr, tensor_arg(P._BitwiseOr, input), other)


def bitwise_xor(input: Tensor, other: Any) -> Tensor:
    """``input ^ other``, bit by bit (logical for bools)."""
    return P.bitwise(_BitwiseXor, tensor_arg(_BitwiseXor, input), other)


def _shift(cls: type[Node], doc: str) -> Any:
    def fn(input: Any, other: Any) -> Tensor:
        if not isinstance(input, Tensor):  # ``1 << t``: the number beside the tensor
            t = tensor_arg(cls, other)
            input = as_operand(input, t, cls)
        bools = input.dtype is D.bool_ and (
            other.__class__ is bool or (isinstance(other, Tensor) and other.dtype is D.bool_)
        )
        if bools:
            raise refuse(cls.op, input)
        if input.dtype is D.bool_ and not isinstance(other, Tensor):
            input = input.to(D.int64)  # bool << 1 is int64 << 1, as in PyTorch
        return P.bitwise(cls, input, other)

    fn.__name__ = fn.__qualname__ = cls.op
    fn.__doc__ = doc
    return fn


bitwise_left_shift = _shift(_LeftShift, "``input << other``: ``input * 2**other`` in bits.")
bitwise_right_shift = _shift(_RightShift, "``input >> other``, keeping the sign.")


def bitwise_not(input: Tensor) -> Tensor:
    """``~input``, bit by bit (``not`` for bools); floats raise, as in PyTorch."""
    x = tensor_arg(_BitwiseNot, input)
    if x.dtype is D.bool_:
        return P.eq(x, False)
    if x.dtype.is_floating_point:
        raise refuse("bitwise_not", x)
    if not x._backend.has_kernel("bitwise_invert"):
        raise UnsupportedOperation(
            f"bitwise_not: backend '{x._backend.name}' has no bitwise_invert kernel"
        )
    return unary(_BitwiseNot, x)


def invert(self: Tensor) -> Tensor:
    """``~self``: floats raise PyTorch's ``TypeError`` for the operator."""
    if self.dtype.is_floating_point:
        raise TypeError(
            "~ (operator.invert) is only implemented on integer and Boolean-type tensors"
        )
    return bitwise_not(self)


rlshift = reflected(bitwise_left_shift)
rrshift = reflected(bitwise_right_shift)
