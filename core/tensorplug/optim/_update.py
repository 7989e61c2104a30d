"""The raw-array steps every optimizer's update is written with.

An optimizer step runs a dozen elementwise operations per parameter. They work on the backend
arrays directly (``p._backend.k``), not through the tensor layer, whose per-op checks and
recording would cost more than the arithmetic on small parameters; the results are written
into the tensors' own arrays, so parameters and state keep their identity and storage, and
their version counters move on as an in-place tensor op's would.

Each formula follows PyTorch's for-loop (``foreach=False``) implementation operation by
operation, in its order, so that float64 results agree to the last few bits.
"""

from __future__ import annotations

from typing import Any

from .. import _functional_write as fw
from .._creation import tensor
from .._dtype import float32, float64, get_default_dtype
from .._plugins import backend_for_device
from .._tensor import Tensor

Array = Any
"""A backend array (opaque to the core)."""


def write(t: Tensor, array: Array) -> None:
    """Store ``array`` into ``t``'s own array, in place, and bump ``t``'s version."""
    be = t._backend
    if be.mutable:  # the common case inline: a dozen of these per parameter and step
        be.k.assign(t._data, array)
    else:
        fw.assign(t, array)
    t._vc.version += 1


def add_to(t: Tensor, array: Array) -> None:
    """``t += array`` in place (PyTorch's ``t.add_(x, alpha=a)`` with ``array = a * x``)."""
    be = t._backend
    if be.mutable:
        be.k.iadd(t._data, array)
    else:
        fw.iadd(t, array)
    t._vc.version += 1


def lerp(k: Any, start: Array, end: Array, weight: float) -> Array:
    """``start + weight * (end - start)``, evaluated as PyTorch's ``lerp`` kernel does: from
    the nearer end, so a weight close to 1 loses no precision."""
    if weight < 0.5:
        return k.add(start, k.mul(k.sub(end, start), weight))
    return k.sub(end, k.mul(k.sub(end, start), 1 - weight))


def addcmul(k: Any, x: Array, value: float, a: Array, b: Array) -> Array:
    """``x + value * a * b`` in PyTorch's ``addcmul`` order."""
    return k.add(x, k.mul(k.mul(a, value), b))


def addcdiv(k: Any, x: Array, value: float, a: Array, b: Array) -> Array:
    """``x + value * a / b`` in PyTorch's ``addcdiv`` order."""
    return k.add(x, k.div(k.mul(a, value), b))


def grad_of(p: Tensor, maximize: bool) -> Array:
    """The raw gradient array of ``p`` (negated to maximize), checked to live with ``p``."""
    g = p._grad
    assert g is not None  # steps skip parameters without a gradient
    if g._backend is not p._backend or g.shape != p.shape:
        raise RuntimeError(
            f"optimizer step: the gradient ({g.backend}, {list(g.shape)}) does not match its "
            f"parameter ({p.backend}, {list(p.shape)})"
        )
    return p._backend.k.neg(g._data) if maximize else g._data


def decayed(p: Tensor, g: Array, weight_decay: float) -> Array:
    """``g + weight_decay * p`` (L2 weight decay folded into the gradient), or ``g``."""
    if weight_decay == 0:
        return g
    k = p._backend.k
    return k.add(g, k.mul(p._data, float(weight_decay)))


def scalar_tensor(value: float, p: Tensor, on_param: bool = False, fused: bool = False) -> Tensor:
    """A 0-d counter as PyTorch keeps ``state["step"]`` (and NAdam's ``mu_product``): on the
    CPU, float64 when that is the default dtype and float32 otherwise; on the parameter's
    device when ``capturable`` or ``fused`` (float32 when ``fused``)."""
    d = float32 if fused else (float64 if get_default_dtype() is float64 else float32)
    backend = p._backend if on_param or fused else backend_for_device("cpu")
    return tensor(value, dtype=d, backend=backend)


def bump(state: dict[str, Any]) -> float:
    """Increment ``state["step"]`` and return its new value as a Python number."""
    step = state["step"]
    k = step._backend.k
    write(step, k.add(step._data, 1.0))
    return float(k.to_host(step._data))


def as_float(x: Any) -> float:
    """A hyper-parameter as a Python number (``lr`` may be a one-element tensor)."""
    return float(x) if isinstance(x, Tensor) else x


def decay_weights(p: Tensor, g: Array, group: dict[str, Any]) -> Array:
    """Weight decay as the group asks: decoupled (``p *= 1 - lr * weight_decay``, AdamW's)
    when ``decoupled_weight_decay``, else L2 (``g + weight_decay * p``)."""
    wd = group["weight_decay"]
    if not group.get("decoupled_weight_decay"):
        return decayed(p, g, wd)
    if wd != 0:
        write(p, p._backend.k.mul(p._data, as_float(1 - group["lr"] * wd)))
    return g


def adam_moments(
    p: Tensor, state: dict[str, Any], group: dict[str, Any]
) -> tuple[float, Array, float, float]:
    """The start of an Adam-family step: count it, take the gradient (negated to maximize,
    weight decay applied) and move Adam's moments, ``m = lerp(m, g, 1 - beta1)`` and
    ``v = beta2 v + (1 - beta2) g^2``. Returns the step number, the gradient used and the
    betas as numbers."""
    b1, b2 = group["betas"]
    beta1, beta2 = as_float(b1), as_float(b2)
    t = bump(state)
    k = p._backend.k
    g = decay_weights(p, grad_of(p, group["maximize"]), group)
    m, v = state["exp_avg"], state["exp_avg_sq"]
    write(m, lerp(k, m._data, g, 1 - beta1))
    write(v, addcmul(k, k.mul(v._data, beta2), 1 - beta2, g, g))
    return t, g, beta1, beta2
