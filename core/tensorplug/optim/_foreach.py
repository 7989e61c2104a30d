"""Multi-tensor optimizer steps (``foreach=True``/``fused=True``, issue 21): a group's update
in a constant number of kernel launches, whatever its number of parameters.

The parameters of a group that share a backend and a dtype are moved, on their first such
step, into one contiguous buffer, and each parameter's array becomes a view of its slice
(its values, shape and identity as a tensor unchanged); so are the optimizer's state tensors
of those parameters. A step then concatenates the gradients once and runs the update's
elementwise kernels on the whole buffers: SGD with momentum 7 launches, Adam 16 (counted on
the CuPy stand-in), for 4 parameters or 400, where the per-parameter loop makes about that
many per parameter.

The update is the per-parameter one (``sgd.py``, ``adam.py``, ``_update.py``) operation by
operation on the concatenation, so the results are the same to the last bit (the tests
compare at rtol 1e-12 in float64).

Only for backends whose arrays are mutable (``Backend.mutable``): the views are the point,
and the update writes through them with the in-place kernels. An immutable backend (JAX)
keeps the per-parameter path, which writes through the core's functional updates. A
parameter that is a view of another tensor, or a group whose parameters changed (a
gradient missing this step, ``load_state_dict``, a parameter's array replaced), is
regrouped or falls back to the per-parameter path for that step; nothing is ever wrong, only
slower.

One thing differs from PyTorch: a parameter's array is replaced by the view on its first
multi-tensor step, so a tensor sharing the parameter's old array from before that step
(``p.detach()`` kept aside, a NumPy view from ``p.numpy()``) no longer follows it. Take such
references after the first step.
"""

from __future__ import annotations

import weakref
from typing import Any

from .._capture_state import capturing
from .._dtype import float32, float64
from .._tensor import Tensor
from ._update import addcmul, as_float, bump, lerp

Array = Any

_buckets: weakref.WeakKeyDictionary[Any, dict[tuple[int, ...], _Bucket]] = (
    weakref.WeakKeyDictionary()
)


def enabled(group: dict[str, Any], p: Tensor) -> bool:
    """Whether ``group``'s step takes this path: ``foreach`` or ``fused`` true, or both
    ``None`` (the default) on a GPU backend, or ``capturable`` while capturing; never for an
    immutable backend nor with ``differentiable``."""
    be = p._backend
    if not be.mutable or group.get("differentiable"):
        return False
    foreach, fused = group.get("foreach"), group.get("fused")
    if group.get("capturable") and capturing():
        return True  # the step count on the device: only this path has it
    if foreach is None and fused is None:
        return be.device_type != "cpu"  # measured on NumPy: docs/performance.md
    return bool(foreach or fused)


class _Bucket:
    """Parameters of one backend and dtype in one flat buffer, with their states'."""

    __slots__ = ("params", "flat", "views", "states", "state_views")

    def __init__(self, params: list[Tensor]) -> None:
        self.params = params
        self.flat, self.views = _flatten([p._data for p in params], params[0])
        self.states: dict[str, Array] = {}
        self.state_views: dict[str, list[Array]] = {}
        for p, v in zip(params, self.views, strict=True):
            p._data = v

    def valid(self) -> bool:
        return all(p._data is v for p, v in zip(self.params, self.views, strict=True))

    def state(self, opt: Any, name: str) -> Array | None:
        """The flat buffer of state ``name``, its tensors made views of it; ``None`` when
        some parameter has no such state yet."""
        tensors = [opt.state[p].get(name) for p in self.params]
        if any(t is None for t in tensors):
            return None
        views = self.state_views.get(name)
        if views is None or any(t._data is not v for t, v in zip(tensors, views, strict=True)):
            flat, views = _flatten([t._data for t in tensors], self.params[0])
            for t, v in zip(tensors, views, strict=True):
                t._data = v
            self.states[name], self.state_views[name] = flat, views
        return self.states[name]

    def adopt(self, opt: Any, name: str, flat: Array) -> Array:
        """Make the new buffer ``flat`` state ``name`` of every parameter (as views)."""
        p0 = self.params[0]
        views = _views(flat, [tuple(p.shape) for p in self.params], p0)
        for p, v in zip(self.params, views, strict=True):
            opt.state[p][name] = Tensor._make(v, p0._backend)
        self.states[name], self.state_views[name] = flat, views
        return flat


def _flatten(arrays: list[Array], like: Tensor) -> tuple[Array, list[Array]]:
    """One new buffer holding ``arrays`` one after the other, and a view of it shaped as
    each."""
    k = like._backend.k
    flat = k.concat([k.reshape(a, (-1,)) for a in arrays], 0)
    return flat, _views(flat, [tuple(a.shape) for a in arrays], like)


def _views(flat: Array, shapes: list[tuple[int, ...]], like: Tensor) -> list[Array]:
    """Views of the 1-d ``flat``, one per shape, one after the other."""
    k = like._backend.k
    views, start = [], 0
    for shape in shapes:
        n = 1
        for s in shape:
            n *= s
        v = k.reshape_view(k.getitem(flat, slice(start, start + n)), shape)
        if v is None:
            raise RuntimeError("foreach: the backend gave no view of its buffer")
        views.append(v)
        start += n
    return views


def buckets(opt: Any, group: dict[str, Any]) -> tuple[list[_Bucket], list[Tensor]]:
    """The buckets of ``group``'s parameters with a gradient, and the parameters left to
    the per-parameter path."""
    cache = _buckets.setdefault(opt, {})
    parts: dict[Any, list[Tensor]] = {}
    rest: list[Tensor] = []
    for p in group["params"]:
        if p._grad is None:
            continue
        if p._base is not None or not enabled(group, p) or p._grad._backend is not p._backend:
            rest.append(p)
        else:
            parts.setdefault((id(p._backend), p.dtype), []).append(p)
    out = []
    for ps in parts.values():
        key = tuple(id(p) for p in ps)
        b = cache.get(key)
        if b is None or not b.valid():
            b = cache[key] = _Bucket(ps)
        out.append(b)
    return out, rest


def flat_grad(b: _Bucket, maximize: bool) -> Array:
    """The bucket's gradients in one buffer (one launch), negated to maximize."""
    k = b.params[0]._backend.k
    grads = []
    for p in b.params:
        g = p._grad
        assert g is not None  # a bucket holds parameters with a gradient
        if tuple(g.shape) != tuple(p.shape):
            raise RuntimeError(
                f"optimizer step: the gradient ({list(g.shape)}) does not match its "
                f"parameter ({list(p.shape)})"
            )
        grads.append(k.reshape(g._data, (-1,)))
    g = k.concat(grads, 0)
    return k.neg(g) if maximize else g


def one_kernel(group: dict[str, Any], b: _Bucket, name: str) -> Any:
    """The backend's one-launch update ``name`` (``adam_update``, ``sgd_update``: optional
    kernels, CuPy's) where the group takes it: ``fused=True``, or neither ``fused`` nor
    ``foreach`` given (the default on a GPU); ``foreach=True`` composes the step. ``None``
    where not."""
    fused, p = group.get("fused"), b.params[0]
    if not (fused or (fused is None and group.get("foreach") is None)):
        return None
    return getattr(p._backend.k, name, None) if p.dtype in (float32, float64) else None


def bump_versions(tensors: list[Tensor]) -> None:
    for t in tensors:
        t._vc.version += 1


def sgd_step(opt: Any, b: _Bucket, group: dict[str, Any]) -> bool:
    """SGD on a bucket; ``False`` (nothing done) when its parameters' momentum buffers are
    not all there or all missing."""
    k = b.params[0]._backend.k
    lr, momentum, wd = as_float(group["lr"]), group["momentum"], group["weight_decay"]
    if momentum != 0:
        bufs = [opt.state[p].get("momentum_buffer") for p in b.params]
        if any(x is None for x in bufs) and any(x is not None for x in bufs):
            return False
    g = flat_grad(b, group["maximize"])
    buf = b.state(opt, "momentum_buffer") if momentum != 0 else None
    update = one_kernel(group, b, "sgd_update")
    args = (float(wd), momentum, group["dampening"], group["nesterov"], lr)
    if buf is not None and update is not None:
        update(b.flat, g, buf, *args)
        bump_versions([opt.state[p]["momentum_buffer"] for p in b.params])
        bump_versions(b.params)
        return True
    if wd != 0:
        g = k.add(g, k.mul(b.flat, float(wd)))
    if momentum != 0:
        if buf is None:  # the first step: the buffer is the gradient
            buf = b.adopt(opt, "momentum_buffer", k.copy(g))
        else:
            k.assign(buf, k.add(k.mul(buf, momentum), k.mul(g, 1 - group["dampening"])))
            bump_versions([opt.state[p]["momentum_buffer"] for p in b.params])
        g = k.add(g, k.mul(buf, momentum)) if group["nesterov"] else buf
    k.iadd(b.flat, k.mul(g, -lr))
    bump_versions(b.params)
    return True


def _host_step(opt: Any, b: _Bucket) -> float | None:
    """Count the step on the host (``state["step"]`` on the CPU): the new step number, or
    ``None`` (and nothing counted) when the bucket's parameters are at different steps."""
    steps = [bump(opt.state[p]) for p in b.params]
    if any(t != steps[0] for t in steps):
        for p in b.params:  # undo: the per-parameter path counts the step again
            st = opt.state[p]["step"]
            st._backend.k.assign(st._data, st._backend.k.sub(st._data, 1.0))
        return None
    return steps[0]


def _device_step(opt: Any, b: _Bucket, group: dict[str, Any]) -> tuple[Array, Array]:
    """``capturable``: count the step on the device (the parameters' step tensors, one
    buffer) and return ``-lr / (1 - beta1^t)`` and ``sqrt(1 - beta2^t)`` as device arrays,
    so that a captured step reads the count when it runs, not when it was captured. The
    bucket's parameters step together (they are one bucket only while they all have a
    gradient), so the first one's count serves all."""
    k = b.params[0]._backend.k
    steps = b.state(opt, "step")
    assert steps is not None  # made with the parameters' state
    k.iadd(steps, 1.0)
    t = k.getitem(steps, slice(0, 1))
    beta1, beta2 = (as_float(x) for x in group["betas"])
    neg_step_size = k.div(-as_float(group["lr"]), k.sub(1.0, k.pow(beta1, t)))
    return neg_step_size, k.sqrt(k.sub(1.0, k.pow(beta2, t)))


def adam_step(opt: Any, b: _Bucket, group: dict[str, Any]) -> bool:
    """Adam (AdamW with ``decoupled_weight_decay``) on a bucket; ``False`` when its
    parameters are at different steps."""
    update = one_kernel(group, b, "adam_update")
    if update is not None:
        return _one_launch(opt, b, group, update)
    k = b.params[0]._backend.k
    beta1, beta2 = (as_float(x) for x in group["betas"])
    lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
    neg_step_size: Any
    bias_correction2_sqrt: Any
    if group.get("capturable"):
        neg_step_size, bias_correction2_sqrt = _device_step(opt, b, group)
    else:
        t = _host_step(opt, b)
        if t is None:
            return False
        neg_step_size = -as_float(lr / (1 - beta1**t))
        bias_correction2_sqrt = (1 - beta2**t) ** 0.5
    g = flat_grad(b, group["maximize"])
    if group.get("decoupled_weight_decay"):
        if wd != 0:
            k.assign(b.flat, k.mul(b.flat, as_float(1 - lr * wd)))
    elif wd != 0:
        g = k.add(g, k.mul(b.flat, float(wd)))
    m, v = b.state(opt, "exp_avg"), b.state(opt, "exp_avg_sq")
    k.assign(m, lerp(k, m, g, 1 - beta1))
    k.assign(v, addcmul(k, k.mul(v, beta2), 1 - beta2, g, g))
    if group["amsgrad"]:
        vmax = b.state(opt, "max_exp_avg_sq")
        k.assign(vmax, k.maximum(vmax, v))
        v = vmax
    denom = k.add(k.div(k.sqrt(v), bias_correction2_sqrt), eps)
    k.iadd(b.flat, k.div(k.mul(m, neg_step_size), denom))
    _bump_adam(opt, b)
    return True


def _bump_adam(opt: Any, b: _Bucket) -> None:
    names = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    bump_versions([opt.state[p][n] for p in b.params for n in names if n in opt.state[p]])
    bump_versions(b.params)


def _one_launch(opt: Any, b: _Bucket, group: dict[str, Any], update: Any) -> bool:
    """Adam's update as the backend's one kernel (``adam_update``), after counting the
    step: on the device when ``capturable`` (the kernel reads the count when it runs), else
    as a number; ``False`` (nothing done) when the parameters are at different steps."""
    k = b.params[0]._backend.k
    step: Any
    if group.get("capturable"):
        steps = b.state(opt, "step")
        assert steps is not None  # made with the parameters' state
        k.iadd(steps, 1.0)
        step = k.getitem(steps, slice(0, 1))
    else:
        step = _counted(opt, b)
        if step is None:
            return False
    lr, wd = as_float(group["lr"]), group["weight_decay"]
    decoupled = group.get("decoupled_weight_decay")
    decay = as_float(1 - lr * wd) if decoupled and wd != 0 else 1.0
    beta1, beta2 = (as_float(x) for x in group["betas"])
    vmax = b.state(opt, "max_exp_avg_sq") if group["amsgrad"] else None
    m, v = b.state(opt, "exp_avg"), b.state(opt, "exp_avg_sq")
    g = flat_grad(b, group["maximize"])
    l2 = 0.0 if decoupled else float(wd)
    update(b.flat, g, m, v, vmax, decay, l2, beta1, beta2, lr, step, group["eps"])
    _bump_adam(opt, b)
    return True


def _counted(opt: Any, b: _Bucket) -> float | None:
    """The step counted as ``_host_step`` does; for counts on the device (``fused=True``
    keeps them there, as PyTorch's) in one launch and one read back, not one per
    parameter."""
    counts = [opt.state[p]["step"] for p in b.params]
    if counts[0]._backend is not b.params[0]._backend:
        return _host_step(opt, b)
    k = b.params[0]._backend.k
    steps = b.state(opt, "step")
    assert steps is not None  # made with the parameters' state
    k.iadd(steps, 1.0)
    values = [float(x) for x in k.to_host(steps)]
    if any(x != values[0] for x in values):
        k.iadd(steps, -1.0)  # undo: the per-parameter path counts the step again
        return None
    bump_versions(counts)
    return values[0]
