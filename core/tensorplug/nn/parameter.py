"""``nn.Parameter``: a tensor that a ``Module`` registers as one of its parameters."""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad and is found by ``Module.parameters()``.

    It shares ``data``'s array: no copy is made, as in PyTorch.

    Example:
        >>> import tensorplug as tp
        >>> p = tp.nn.Parameter(tp.zeros(2))
        >>> p.requires_grad, p.is_leaf
        (True, True)
    """

    __slots__ = ()

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Parameter:
        if data is None:
            from .._creation import empty

            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): data must be a Tensor, got {type(data).__name__}")
        p = cls._make(data._data, data._backend)
        p._vc = data._vc
        p._meta = data._meta
        p.requires_grad = requires_grad
        return p  # type: ignore[return-value]

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        pass  # everything happens in __new__; Tensor.__init__ would refuse

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo: dict[int, Any]) -> Parameter:
        """A parameter with its own copy of the data (and of ``grad``), as in PyTorch."""
        if id(self) in memo:
            return memo[id(self)]  # type: ignore[no-any-return]
        k = self._backend.k
        out = Parameter(Tensor._make(k.copy(self._data), self._backend), self._requires_grad)
        if self._grad is not None:
            out._grad = Tensor._make(k.copy(self._grad._data), self._grad._backend)
        memo[id(self)] = out
        return out

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise TypeError("tensorplug parameters are not pickled; use tensorplug.save")
