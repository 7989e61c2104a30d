"""Moving tensors between backends and devices; the gradient of a move is the reverse move."""

from __future__ import annotations

from typing import Any

from ._autograd import Node
from ._backend import Backend, Device
from ._grad_mode import state
from ._plugins import resolve
from ._tensor import Tensor, _wrap


def move_array(arr: Any, src: Backend, dst: Backend, device: Device | None) -> Any:
    """An array of ``src`` as an array of ``dst``: ``dst``'s ``from_foreign`` kernel (DLPack,
    a peer copy), or through host memory when it declines (its default always does)."""
    moved = dst.k.from_foreign(arr, src, device)
    if moved is not None:
        return moved
    return dst.k.from_host(src.k.to_host(arr), None)


class ToCopyBackward0(Node):
    """A move to another backend or device: grad = g moved back."""

    op = "to"

    @staticmethod
    def backward(ctx: Any, ops: Any, g: Any) -> tuple[Any]:
        src, dst, _device = ctx.args
        if isinstance(g, Tensor):
            return (transfer(g, src, None),)
        return (move_array(g, dst, src, None),)


def transfer(t: Tensor, backend: Any, device: Any) -> Tensor:
    """``t`` on ``backend`` and/or ``device``; ``t`` itself if it is already there.

    A multi-device backend has one instance per device (``BackendSpec.on_device``), so "already
    there" is an identity check and the moved array lands on the instance's device.
    """
    dev = Device.parse(device) if device is not None else None
    dst = resolve(backend, dev)
    if dst is t._backend:
        return t
    out = move_array(t._data, t._backend, dst, dev)
    if state.grad_enabled and t._requires_grad:
        return _wrap(out, dst, ToCopyBackward0, (t,), (t._backend, dst, dev))
    return Tensor._make(out, dst)
