"""Tests of values and logic: ``isnan``, ``isinf``, ``isposinf``, ``isneginf``,
``isfinite``, ``isclose``, ``allclose``, ``equal`` and ``logical_and/or/xor/not``.

Every result is a bool tensor outside the graph (or a Python bool), and every one is a
composition of primitive kernels (``ne(x, x)`` is NaN's test), so every backend has them.
"""

from __future__ import annotations

import math
from typing import Any

from ._dispatch import binary, nary, unary
from ._elementwise import tensor_arg
from ._graph import Node
from ._tensor import Tensor


class _Test(Node):
    """An op whose bool result has no gradient."""

    elementwise = True
    broadcasts = True
    differentiable = False


def _detached(out: Tensor) -> Tensor:
    out._grad_fn = None
    out._requires_grad = False
    return out


def _falsy(k: Any, x: Any) -> Any:
    """``x == 0`` (``not x`` for bools) as a bool array."""
    return k.eq(x, False) if k.dtype_of(x).category == 0 else k.eq(x, 0)


# fmt: off
class _IsNan(_Test):
    op = "isnan"
    forward = staticmethod(lambda k, x: k.ne(x, x))


class _IsFinite(_Test):
    op = kernel = "isfinite"


class _Equals(_Test):
    """``x == value`` for a number (``isposinf``: +inf)."""
    op = "eq"
    forward = staticmethod(lambda k, x, v: k.eq(x, v))


class _IsInf(_Test):
    op = "isinf"
    forward = staticmethod(lambda k, x: k.eq(k.abs(x), math.inf))


class _IsClose(_Test):
    """``|a - b| <= atol + rtol * |b|``, or equal (infinities), or both NaN if asked."""
    op = "isclose"

    @staticmethod
    def forward(k: Any, a: Any, b: Any, rtol: float, atol: float, equal_nan: bool) -> Any:
        close = k.le(k.abs(k.sub(a, b)), k.add(k.mul(k.abs(b), rtol), atol))
        out = k.where(k.eq(a, b), True, close)
        if equal_nan:
            out = k.where(k.ne(a, a), k.ne(b, b), out)
        return out


class _LogicalAnd(_Test):
    op = "logical_and"
    forward = staticmethod(lambda k, a, b: k.where(_falsy(k, a), False, k.eq(_falsy(k, b), False)))


class _LogicalOr(_Test):
    op = "logical_or"
    forward = staticmethod(lambda k, a, b: k.where(_falsy(k, a), k.eq(_falsy(k, b), False), True))


class _LogicalXor(_Test):
    op = "logical_xor"
    forward = staticmethod(lambda k, a, b: k.ne(_falsy(k, a), _falsy(k, b)))


class _LogicalNot(_Test):
    op = "logical_not"
    forward = staticmethod(_falsy)
# fmt: on


def isnan(input: Tensor) -> Tensor:
    """Whether each element is NaN (never, for integers)."""
    return _detached(unary(_IsNan, tensor_arg(_IsNan, input)))


def isinf(input: Tensor) -> Tensor:
    """Whether each element is +inf or -inf."""
    x = tensor_arg(_IsInf, input)
    if not x.dtype.is_floating_point:
        return _detached(unary(_IsNan, x))  # all false
    return _detached(unary(_IsInf, x))


def _signed_inf(name: str, value: float) -> Any:
    def fn(input: Tensor) -> Tensor:
        x = tensor_arg(_Equals, input)
        if not x.dtype.is_floating_point:
            return _detached(unary(_IsNan, x))
        return _detached(unary(_Equals, x, value))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Whether each element is {'+' if value > 0 else '-'}inf."
    return fn


isposinf = _signed_inf("isposinf", math.inf)
isneginf = _signed_inf("isneginf", -math.inf)


def isfinite(input: Tensor) -> Tensor:
    """Whether each element is neither infinite nor NaN (always, for integers)."""
    x = tensor_arg(_IsFinite, input)
    if not x.dtype.is_floating_point:
        return _detached(unary(_LogicalNot, _detached(unary(_IsNan, x))))
    return _detached(unary(_IsFinite, x))


def isclose(
    input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> Tensor:
    """Elementwise ``|input - other| <= atol + rtol * |other|`` (equal infinities are close;
    NaNs only with ``equal_nan``), broadcasting.

    Example:
        >>> import tensorplug as tp
        >>> tp.isclose(tp.tensor([1.0, 2.0]), tp.tensor([1.0 + 1e-9, 2.1])).tolist()
        [True, False]
    """
    a, b = tensor_arg(_IsClose, input), tensor_arg(_IsClose, other)
    if a.dtype is not b.dtype:
        raise RuntimeError(
            f"{a.dtype.name} did not match {b.dtype.name}: isclose() needs both inputs of one dtype"
        )
    if rtol < 0 or atol < 0:
        raise RuntimeError(
            f"isclose(): rtol and atol must be non-negative, got rtol={rtol} and atol={atol}"
        )
    return _detached(nary(_IsClose, (a, b), float(rtol), float(atol), bool(equal_nan)))


def allclose(
    input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> bool:
    """Whether ``isclose`` holds everywhere: a Python bool."""
    return bool(isclose(input, other, rtol, atol, equal_nan).all())


def equal(input: Tensor, other: Tensor) -> bool:
    """Whether both have the same shape and the same values: a Python bool."""
    a, b = tensor_arg(_Equals, input), tensor_arg(_Equals, other)
    return a.shape == b.shape and bool((a == b).all())


def _logical(cls: type[Node], doc: str) -> Any:
    def fn(input: Tensor, other: Tensor) -> Tensor:
        return _detached(binary(cls, tensor_arg(cls, input), tensor_arg(cls, other)))

    fn.__name__ = fn.__qualname__ = cls.op
    fn.__doc__ = doc
    return fn


logical_and = _logical(_LogicalAnd, "Whether both elements are nonzero; a bool tensor.")
logical_or = _logical(_LogicalOr, "Whether either element is nonzero; a bool tensor.")
logical_xor = _logical(_LogicalXor, "Whether exactly one element is nonzero; a bool tensor.")


def logical_not(input: Tensor) -> Tensor:
    """Whether each element is zero; a bool tensor."""
    return _detached(unary(_LogicalNot, tensor_arg(_LogicalNot, input)))
