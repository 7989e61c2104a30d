"""The public functions, methods and in-place forms of elementwise node classes whose kernel
is optional (``_contract_pointwise``): each checks its first call on a backend for the kernel,
so a backend without it gets ``UnsupportedOperation`` naming the op, never an
``AttributeError``; every later call goes straight to dispatch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._backend import UnsupportedOperation
from ._dispatch import _binary, _unary
from ._graph import Node
from ._inplace import inplace
from ._tensor import Tensor


def require(cls: type[Node], x: Tensor) -> None:
    """Refuse op ``cls`` on a backend without its kernel (or kernels: ``needs``)."""
    be = x._backend
    for name in (cls.kernel, *getattr(cls, "needs", ())):
        if name and not be.has_kernel(name):
            raise UnsupportedOperation(
                f"{cls.op}: backend '{be.name}' has no {name} kernel (an optional kernel: "
                "docs/backend-guide.md)"
            )


def tensor_arg(cls: type[Node], input: Any) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{cls.op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    return input


def unary_op(cls: type[Node], doc: str, name: str | None = None) -> Callable[[Tensor], Tensor]:
    """``name(input)`` for a one-input node class (its ``op`` by default)."""
    spec = cls._spec

    def fn(input: Tensor) -> Tensor:
        if not isinstance(input, Tensor):
            tensor_arg(cls, input)  # raises
        if input._backend not in spec.forwards:
            require(cls, input)
        return _unary(cls, spec, input, ())

    fn.__name__ = fn.__qualname__ = name or cls.op
    fn.__doc__ = doc
    return fn


def binary_op(
    cls: type[Node], doc: str, name: str | None = None, tensors: bool = False
) -> Callable[[Any, Any], Tensor]:
    """``name(input, other)`` for a two-input node class; either may be a number (the
    reflected operators pass the number first) unless ``tensors`` (PyTorch's ``atan2``)."""
    spec = cls._spec

    def fn(input: Any, other: Any) -> Tensor:
        if tensors and not isinstance(other, Tensor):
            raise TypeError(
                f"{cls.op}(): argument 'other' (position 2) must be Tensor, not "
                f"{type(other).__name__}"
            )
        x = input if isinstance(input, Tensor) else other
        if isinstance(x, Tensor) and x._backend not in spec.forwards:
            require(cls, x)
        return _binary(cls, spec, input, other, ())

    fn.__name__ = fn.__qualname__ = name or cls.op
    fn.__doc__ = doc
    return fn


def inplace_op(cls: type[Node], fn: Callable[..., Tensor]) -> Callable[[Tensor], Tensor]:
    """``self.name_()`` for a one-input op: the kernel checked for on a first call, then the
    op written into ``self`` (its dtype must hold the result, as in PyTorch)."""

    def method(self: Tensor) -> Tensor:
        if self._backend not in cls._spec.forwards:
            require(cls, self)
        return inplace(cls, self)

    method.__name__ = method.__qualname__ = fn.__name__ + "_"
    method.__doc__ = f"``{fn.__name__}`` in place."
    return method


def reflected(fn: Callable[[Any, Any], Tensor]) -> Callable[[Tensor, Any], Tensor]:
    """``other OP self``: Python's ``__rOP__`` with the operands back in order."""

    def method(self: Tensor, other: Any) -> Tensor:
        return fn(other, self)

    method.__doc__ = f"``{fn.__name__}(other, self)``."
    return method
