"""A tensor's data as the contiguous array a transport moves, and the way back.

An MPI group moves host memory: a NumPy-backend tensor that is contiguous is used in place
(MPI reads and writes its memory); any other (a view with strides, a CuPy tensor on a GPU, an
immutable backend's array) is copied to a contiguous host array first and written back after
the collective, on ``wait()``, through the core's one write path (``_functional_write``).
An NCCL group moves device memory: the tensor's own CuPy array, copied only when it is not
contiguous.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .._functional_write import assign
from .._tensor import Tensor


def check_tensor(t: Any, what: str = "tensor") -> Tensor:
    if not isinstance(t, Tensor):
        raise TypeError(f"{what} must be a tensorplug.Tensor, got {type(t).__name__}")
    return t


def array_of(transport: Any, t: Tensor) -> tuple[Any, bool]:
    """``t``'s data as the transport's contiguous array, and whether that is ``t``'s memory."""
    data = t._data
    if transport.staged:
        host = t._backend.k.to_host(data)  # a NumPy array: the contract's host boundary
        if host is data and host.flags.c_contiguous and host.flags.writeable:
            return host, True  # the NumPy backend's own memory
        usable = host is not data and host.flags.c_contiguous and host.flags.writeable
        return (host if usable else host.copy()), False
    found: tuple[Any, bool] = transport.device_array(t)
    return found


def write(transport: Any, t: Tensor, arr: Any) -> None:
    """Copy ``arr`` (a transport array of ``t``'s shape) into ``t``, as an in-place write."""
    if transport.staged:
        arr = t._backend.k.from_host(arr, t.dtype)
    assign(t, arr.reshape(tuple(t.shape)))  # in place, or rebound on an immutable backend
    t._vc.version += 1


def writer(transport: Any, pairs: Sequence[tuple[Tensor, Any]]) -> Callable[[], None]:
    """The ``finish`` of a collective: each ``(tensor, array)`` copied in, in the caller's
    thread (a CuPy tensor's device is current there)."""

    def finish() -> None:
        for t, arr in pairs:
            write(transport, t, arr)

    return finish


def updated(transport: Any, t: Tensor) -> tuple[Any, Callable[[], None] | None]:
    """``t``'s array for a collective that writes ``t``, and its ``finish`` (None in place)."""
    arr, inplace = array_of(transport, t)
    if inplace:
        t._vc.version += 1
        return arr, None
    return arr, writer(transport, [(t, arr)])


def describe(t: Tensor) -> tuple[tuple[int, ...], str]:
    """What must match across ranks: shape and dtype."""
    return tuple(t.shape), str(t.dtype).removeprefix("tensorplug.")
