"""Memory layout queries: ``Tensor.stride()``, ``is_contiguous()`` and ``contiguous()``.

A tensor's strides are its backend array's (the ``strides`` kernel, in elements). A library
that does not expose them (the kernel's default gives ``None``) has its arrays counted as
row-major where ``reshape_view`` can flatten them as a view: the one layout question the
core can always ask. ``contiguous()`` returns the tensor itself when it is contiguous, else a
row-major copy recorded as ``CloneBackward0``, as PyTorch does.
"""

from __future__ import annotations

from typing import Any

from ._tensor import Tensor, _dim
from ._view_strides import layout_strides, row_major

__all__ = [
    "contiguous", "contiguous_format", "is_contiguous", "memory_format", "preserve_format",
    "stride",
]  # fmt: skip


class memory_format:  # noqa: N801 - PyTorch's name
    """A memory layout (``torch.memory_format``): tensorplug's tensors are row-major
    (``contiguous_format``); ``preserve_format`` keeps a tensor's own layout."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return f"tensorplug.{self._name}"

    def __reduce__(self) -> str:
        return self._name


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")


def _check_format(op: str, fmt: Any) -> None:
    if not isinstance(fmt, memory_format):
        raise TypeError(
            f"{op}(): argument 'memory_format' must be tensorplug.memory_format, "
            f"not {type(fmt).__name__}"
        )


def stride(input: Tensor, dim: Any = None) -> Any:
    """The step in elements between neighbours along each dim (``dim``: that one's, an int).

    >>> import tensorplug as tp
    >>> tp.zeros(2, 3).t().stride()
    (1, 3)
    """
    shape = tuple(input.shape)
    steps = layout_strides(input)
    if steps is None:
        steps = row_major(shape)
    if dim is None:
        return steps
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise TypeError(f"stride(): argument 'dim' must be int, not {type(dim).__name__}")
    return steps[_dim(dim, input.ndim, "stride")]


def is_contiguous(input: Tensor, memory_format: memory_format = contiguous_format) -> bool:
    """Whether ``input``'s elements lie in row-major order without gaps (dims of size 1
    may have any stride; an empty tensor always is), as PyTorch's rule.

    >>> import tensorplug as tp
    >>> x = tp.zeros(2, 3)
    >>> x.is_contiguous(), x.t().is_contiguous(), x.t().contiguous().is_contiguous()
    (True, False, True)
    """
    _check_format("is_contiguous", memory_format)
    steps = layout_strides(input)
    if steps is None:
        return input._backend.k.reshape_view(input._data, (input.numel(),)) is not None
    shape = tuple(input.shape)
    if 0 in shape:
        return True
    expected = 1
    for n, s in zip(reversed(shape), reversed(steps)):
        if n != 1:
            if s != expected:
                return False
            expected *= n
    return True


def contiguous(input: Tensor, memory_format: memory_format = contiguous_format) -> Tensor:
    """``input`` itself where it is contiguous, else a row-major copy (``CloneBackward0``)."""
    _check_format("contiguous", memory_format)
    from ._ops_shape import clone

    return input if is_contiguous(input) else clone(input)
