"""One-launch optimizer updates of the CuPy backend (issue 21): Adam/AdamW and SGD over a
group's flat buffers (``tensorplug.optim._foreach``), each one ``ElementwiseKernel`` that
writes the parameters and the state in place (the contract's optional ``adam_update`` and
``sgd_update``).

As in ``_fused``, each source has its NumPy twin beside it, and the stand-in of the tests
runs the twin; the twins are ``_foreach``'s composed step operation by operation, in its
order, so the stand-in's results equal the composed path's to the last bit, and a GPU's to
rounding (CUDA may contract a multiply and an add into one FMA). A flag that the composed
path tests in Python (``wd != 0``, ``decay != 1``, ``nesterov``, the side of ``lerp``) is
tested in the kernel on the same number.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._fused import Source, _same_float

_ADAM_IN = (
    "T g, T decay, T wd, T w1, T w1c, T beta2, T b2c, T eps, float64 lr, float64 beta1d, "
    "float64 beta2d, S t"
)
# The bias corrections from the step count ``t`` (a number, or the device's count when
# ``capturable``) in double precision, as the composed step computes them on the host.
_ADAM_HEAD = (
    "double bc1 = 1 - pow(beta1d, (double)t); T step_size = (T)(-(lr / bc1)); "
    "T bias2_sqrt = (T)sqrt(1 - pow(beta2d, (double)t)); "
    "T gg = wd != 0 ? g + p * wd : g; T pd = decay != 1 ? p * decay : p; "
    "m = w1 < 0.5 ? m + (gg - m) * w1 : gg - (gg - m) * w1c; v = v * beta2 + gg * b2c * gg; "
)


def _lerp(m: Any, g: Any, w1: Any, w1c: Any) -> Any:
    return m + (g - m) * w1 if w1 < 0.5 else g - (g - m) * w1c


def _adam_twin(amsgrad: bool) -> Callable[..., Any]:
    def twin(g: Any, decay: Any, wd: Any, w1: Any, w1c: Any, beta2: Any, b2c: Any, eps: Any,
             lr: Any, beta1d: Any, beta2d: Any, t: Any, p: Any, m: Any, v: Any,
             *vmax: Any) -> tuple[Any, ...]:  # fmt: skip
        t = np.float64(np.asarray(t).reshape(-1)[0])
        tt = p.dtype.type
        step_size = tt(-(lr / (1 - np.float64(beta1d) ** t)))
        bias2_sqrt = tt(np.sqrt(1 - np.float64(beta2d) ** t))
        gg = g + p * wd if wd != 0 else g
        pd = p * decay if decay != 1 else p
        m = _lerp(m, gg, w1, w1c)
        v = v * beta2 + gg * b2c * gg
        if amsgrad:
            vm = np.maximum(vmax[0], v)
            return pd + m * step_size / (np.sqrt(vm) / bias2_sqrt + eps), m, v, vm
        return pd + m * step_size / (np.sqrt(v) / bias2_sqrt + eps), m, v

    return twin


def _sgd_twin(g: Any, wd: Any, momentum: Any, dc: Any, nesterov: Any, neg_lr: Any, p: Any,
              buf: Any) -> tuple[Any, Any]:  # fmt: skip
    gg = g + p * wd if wd != 0 else g
    buf = buf * momentum + gg * dc
    d = gg + buf * momentum if nesterov != 0 else buf
    return p + d * neg_lr, buf


OPTIM_SOURCES: dict[str, Source] = {
    "tp_adam": Source(
        _ADAM_IN,
        "T p, T m, T v",
        _ADAM_HEAD + "p = pd + m * step_size / (sqrt(v) / bias2_sqrt + eps)",
        _adam_twin(False),
    ),
    "tp_adam_amsgrad": Source(
        _ADAM_IN,
        "T p, T m, T v, T vmax",
        _ADAM_HEAD + "vmax = v != v || v > vmax ? v : vmax; "
        "p = pd + m * step_size / (sqrt(vmax) / bias2_sqrt + eps)",
        _adam_twin(True),
    ),
    "tp_sgd_momentum": Source(
        "T g, T wd, T momentum, T dc, T nesterov, T neg_lr",
        "T p, T buf",
        "T gg = wd != 0 ? g + p * wd : g; buf = buf * momentum + gg * dc; "
        "T d = nesterov != 0 ? gg + buf * momentum : buf; p = p + d * neg_lr",
        _sgd_twin,
    ),
}
"""The optimizer kernels by name: CUDA source and NumPy twin together."""


def _check(*arrays: Any) -> None:
    if not _same_float(*arrays):  # the core calls these for one float dtype only
        raise TypeError(f"optimizer update: buffers of {[str(a.dtype) for a in arrays]}")


def optim_kernels(cp: Any) -> dict[str, Callable[..., None]]:
    """``adam_update`` and ``sgd_update`` (float32 or float64, every buffer one dtype)."""
    k = {name: cp.ElementwiseKernel(s.in_params, s.out_params, s.operation, name)
         for name, s in OPTIM_SOURCES.items()}  # fmt: skip

    def adam_update(p: Any, g: Any, m: Any, v: Any, vmax: Any, decay: float, wd: float,
                    beta1: float, beta2: float, lr: float, step: Any,
                    eps: float) -> None:  # fmt: skip
        _check(*((p, g, m, v) if vmax is None else (p, g, m, v, vmax)))
        t, w1 = p.dtype.type, 1 - beta1  # lerp's weight, and 1 - it, as _update.lerp has them
        f = np.float64
        count = step if hasattr(step, "dtype") else f(step)  # on the device when capturable
        args = (g, t(decay), t(wd), t(w1), t(1 - w1), t(beta2), t(1 - beta2), t(eps), f(lr),
                f(beta1), f(beta2), count, p, m, v)  # fmt: skip
        if vmax is None:
            k["tp_adam"](*args)
        else:
            k["tp_adam_amsgrad"](*args, vmax)

    def sgd_update(p: Any, g: Any, buf: Any, wd: float, momentum: float, dampening: float,
                   nesterov: bool, lr: float) -> None:  # fmt: skip
        _check(p, g, buf)
        t = p.dtype.type
        k["tp_sgd_momentum"](g, t(wd), t(momentum), t(1 - dampening), t(nesterov), t(-lr), p,
                             buf)  # fmt: skip

    return {"adam_update": adam_update, "sgd_update": sgd_update}
