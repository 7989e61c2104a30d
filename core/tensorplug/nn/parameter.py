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


_UNINITIALIZED = (
    "Can't access the shape of an uninitialized parameter or buffer. This error usually "
    "happens in `load_state_dict` when trying to load an uninitialized parameter into an "
    "initialized one. Call `forward` to initialize the parameters before accessing their "
    "attributes."
)


class _Uninitialized:
    """What the placeholders of lazy modules share: no shape until ``materialize``, which
    gives them storage of a shape and turns them into the class they stand for."""

    __slots__ = ()
    cls_to_become: type[Tensor] = Tensor

    @property
    def shape(self) -> tuple[int, ...]:
        raise RuntimeError(_UNINITIALIZED)

    def materialize(self, shape: Any, device: Any = None, dtype: Any = None) -> None:
        """Give the placeholder uninitialised storage of ``shape`` (its own dtype and backend
        unless given) and make it a ``cls_to_become``."""
        from .._creation import empty

        me: Any = self
        placeholder = Tensor._make(me._data, me._backend)
        dims = (shape,) if isinstance(shape, int) else tuple(shape)
        data = empty(*dims, dtype=dtype or placeholder.dtype, device=device,
                     backend=None if device is not None else placeholder._backend)  # fmt: skip
        me._data, me._meta = data._data, None
        me.__class__ = self.cls_to_become

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class UninitializedParameter(_Uninitialized, Parameter):
    """A parameter of a lazy module whose shape is not known yet (``LazyLinear``'s weight
    before the first call): it becomes a ``Parameter`` on ``materialize``.

    Example:
        >>> import tensorplug as tp
        >>> p = tp.nn.parameter.UninitializedParameter()
        >>> p.materialize((2, 3))
        >>> type(p).__name__, p.shape
        ('Parameter', (2, 3))
    """

    __slots__ = ()
    cls_to_become = Parameter

    def __new__(
        cls, requires_grad: bool = True, device: Any = None, dtype: Any = None, *,
        backend: Any = None,
    ) -> UninitializedParameter:  # fmt: skip
        from .._creation import empty

        placeholder = empty(0, device=device, dtype=dtype, backend=backend)
        return Parameter.__new__(cls, placeholder, requires_grad)  # type: ignore[return-value]

    def __init__(
        self, requires_grad: bool = True, device: Any = None, dtype: Any = None, *,
        backend: Any = None,
    ) -> None:  # fmt: skip
        pass


class UninitializedBuffer(_Uninitialized, Tensor):
    """A buffer of a lazy module whose shape is not known yet (``LazyBatchNorm1d``'s running
    statistics): it becomes a plain tensor on ``materialize``."""

    __slots__ = ()

    def __new__(
        cls, requires_grad: bool = False, device: Any = None, dtype: Any = None, *,
        backend: Any = None,
    ) -> UninitializedBuffer:  # fmt: skip
        from .._creation import empty

        placeholder = empty(0, device=device, dtype=dtype, backend=backend)
        return cls._make(placeholder._data, placeholder._backend)  # type: ignore[return-value]

    def __init__(
        self, requires_grad: bool = False, device: Any = None, dtype: Any = None, *,
        backend: Any = None,
    ) -> None:  # fmt: skip
        pass
