"""``Tensor.to``: casting, and moving tensors between backends and devices (the gradient of a
move is the reverse move)."""

from __future__ import annotations

from typing import Any

from . import _dtype as D
from ._backend import Backend, Device
from ._contract import Array, KernelOps
from ._dispatch import unary
from ._grad_mode import state
from ._graph import Node, new_tensor, record
from ._ops_shape import ToCopyBackward0 as CastBackward
from ._plugins import REGISTRY, resolve
from ._tensor import Tensor


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
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
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
    moved = new_tensor(Tensor, move_array(t._data, t._backend, dst, dev), dst)
    if state.grad_enabled and t._requires_grad:
        record(ToCopyBackward0, (t,), moved, (t._backend, dst, dev))
    return moved


def to(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """``to(dtype)``, ``to("cuda:0")``, ``to("numpy")`` (a backend), ``to(other_tensor)``,
    or ``to(device=..., dtype=..., backend=...)``; differentiable."""
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    backend = kwargs.pop("backend", None)
    kwargs.pop("copy", None)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            dtype, backend = a.dtype, a._backend
        elif isinstance(a, D.dtype) or a in (float, int, bool):
            dtype = a
        elif isinstance(a, str) and a in REGISTRY.specs:
            backend = a
        elif a is not None:
            device = a
    out = self
    if backend is not None or device is not None:
        out = transfer(out, backend, device)
    if dtype is not None:
        d = D.as_dtype(dtype)
        if d is not out.dtype:
            out._backend.native_dtype(d, "to")
            out = unary(CastBackward, out, d, out.dtype)
            if not d.is_floating_point and out._grad_fn is not None:
                # Integer and bool tensors never require grad (PyTorch returns them detached).
                out._grad_fn = None
                out._requires_grad = False
    return out
