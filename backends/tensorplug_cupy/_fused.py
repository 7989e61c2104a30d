"""The fused kernels of the CuPy backend (issue 21): one launch where the formula takes several.

Each entry of ``SOURCES`` holds a kernel's CUDA-C source and its *twin*, the same arithmetic
in NumPy, side by side: the CuPy stand-in of the tests runs the twin and refuses a kernel
whose source is not the registered one, and ``tests/backends/test_cupy_fused.py`` checks
every twin against the formula of ``tensorplug._fused_formulas`` (the default kernel) and
checks the source's names and brackets. Only a GPU compiles the source
(``benchmarks/gpu_check.py`` runs the conformance kit on CuPy).

The kernels take float32 and float64 arrays; other dtypes (float16, integers) keep the
formula of the default kernel. Each follows the default's operations in its order, so the
results agree to rounding (GELU's exact form uses CUDA's ``normcdf`` where the default has a
fit accurate to 1.2e-7, in double precision for float32 too, as CUDA's float overloads of
``normcdf`` are not in every CUDA version's headers).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TANH_C = math.sqrt(2.0 / math.pi)
_TANH_A = 0.044715


@dataclass(frozen=True)
class Source:
    """One kernel: its CUDA source (``reduce``: ``(reduce_expr, post_map_expr, identity)``
    for a ``ReductionKernel``, whose ``operation`` is the map expression) and its twin."""

    in_params: str
    out_params: str
    operation: str
    twin: Callable[..., Any]
    reduce: tuple[str, str, str] | None = None

    def cuda(self) -> tuple[str, ...]:
        """The constructor's source arguments, as the stand-in receives them."""
        return (self.in_params, self.out_params, self.operation, *(self.reduce or ()))


def _normcdf(x: Any) -> Any:
    """``(T)normcdf((double)x)``: in double, rounded to ``x``'s dtype."""
    d = x.astype(np.float64)
    return (0.5 * np.vectorize(math.erfc, otypes=[np.float64])(-d * _SQRT_HALF)).astype(x.dtype)


def _gelu_tanh_twin(g: Any, x: Any) -> Any:
    x2 = x * x
    th = np.tanh((x + x2 * x * _TANH_A) * _TANH_C)
    dth = (1 - th * th) * (x2 * (3 * _TANH_A * _TANH_C) + _TANH_C)
    return g * ((th + 1) * 0.5 + x * dth * 0.5)


def _silu_twin(g: Any, x: Any) -> Any:
    s = 1 / (np.exp(-x) + 1)
    return g * s * (x * (1 - s) + 1)


def _squared_error_sum(a: Any, b: Any, axis: Any, keepdims: bool) -> Any:
    return np.sum((a - b) * (a - b), axis=axis, keepdims=keepdims)


def _nll_loss_backward_twin(g: Any, cols: Any, w: Any, den: Any, c: Any, gs: Any,
                            y: Any) -> tuple[Any]:  # fmt: skip
    rows = np.arange(cols.size)
    out = np.zeros_like(y)
    out[rows, cols] = -(w / den * g.reshape(-1)[rows * gs])
    return (out,)


SOURCES: dict[str, Source] = {
    "tp_tanh_backward": Source(
        "T g, T out", "T y", "y = g * (1 - out * out)", lambda g, out: g * (1 - out * out)
    ),
    "tp_sigmoid_backward": Source(
        "T g, T out", "T y", "y = g * out * (1 - out)", lambda g, out: g * out * (1 - out)
    ),
    "tp_relu_backward": Source(
        "T g, T out", "T y", "y = out > 0 ? g : (T)0", lambda g, out: np.where(out > 0, g, 0)
    ),
    "tp_silu_backward": Source(
        "T g, T x",
        "T y",
        "T s = 1 / (exp(-x) + 1); y = g * s * (x * (1 - s) + 1)",
        _silu_twin,
    ),
    "tp_gelu_backward": Source(
        "T g, T x",
        "T y",
        f"y = g * ((T)normcdf((double)x) + x * (exp(x * x * -0.5) * {_INV_SQRT_2PI!r}))",
        lambda g, x: g * (_normcdf(x) + x * (np.exp(x * x * -0.5) * _INV_SQRT_2PI)),
    ),
    "tp_gelu_tanh_backward": Source(
        "T g, T x",
        "T y",
        f"T x2 = x * x; T th = tanh((x + x2 * x * {_TANH_A!r}) * {_TANH_C!r}); "
        f"T dth = (1 - th * th) * (x2 * {3 * _TANH_A * _TANH_C!r} + {_TANH_C!r}); "
        "y = g * ((th + 1) * 0.5 + x * dth * 0.5)",
        _gelu_tanh_twin,
    ),
    "tp_gelu": Source("T x", "T y", "y = x * (T)normcdf((double)x)", lambda x: x * _normcdf(x)),
    "tp_gelu_tanh": Source(
        "T x",
        "T y",
        f"T th = tanh((x + x * x * x * {_TANH_A!r}) * {_TANH_C!r}); y = x * (th + 1) * 0.5",
        lambda x: x * (np.tanh((x + x * x * x * _TANH_A) * _TANH_C) + 1) * 0.5,
    ),
    "tp_softmax_backward": Source(
        "T g, T out, T s", "T y", "y = out * (g - s)", lambda g, out, s: out * (g - s)
    ),
    "tp_log_softmax_backward": Source(
        "T g, T out, T s", "T y", "y = g - exp(out) * s", lambda g, out, s: g - np.exp(out) * s
    ),
    "tp_mse_loss_backward": Source(
        "T g, T a, T b, T scale",
        "T y",
        "y = (a - b) * scale * g",
        lambda g, a, b, scale: (a - b) * scale * g,
    ),
    "tp_dropout_mask": Source(
        "T u, T p, T scale",
        "T m",
        "m = u >= p ? scale : (T)0",
        lambda u, p, scale: np.where(u >= p, scale, 0),
    ),
    "tp_clamp_backward": Source(
        "T g, T x, T lo, T hi",
        "T y",
        "y = x >= lo && x <= hi ? g : (T)0",
        lambda g, x, lo, hi: np.where((x >= lo) & (x <= hi), g, 0),
    ),
    "tp_pow2_backward": Source("T g, T x", "T y", "y = g * (x + x)", lambda g, x: g * (x + x)),
    "tp_pow_backward": Source(
        "T g, T x, T e, T em1",
        "T y",
        "y = g * e * pow(x, em1)",
        lambda g, x, e, em1: g * e * np.power(x, em1),
    ),
    "tp_dropout": Source(
        "T x, T u, T p, T scale",
        "T y",
        "y = x * (u >= p ? scale : (T)0)",
        lambda x, u, p, scale: x * np.where(u >= p, scale, x.dtype.type(0)),
    ),
    "tp_dropout_backward": Source(
        "T g, T u, T p, T scale",
        "T y",
        "y = u >= p ? g * scale : (T)0",
        lambda g, u, p, scale: np.where(u >= p, g * scale, g.dtype.type(0)),
    ),
    "tp_softmax": Source(
        "T x, T m, T s", "T y", "y = exp(x - m) / s", lambda x, m, s: np.exp(x - m) / s
    ),
    "tp_log_softmax": Source(
        "T x, T m, T s", "T y", "y = x - m - log(s)", lambda x, m, s: x - m - np.log(s)
    ),
    # ``i``: the output's index, a row; ``logp`` C-contiguous, ``c`` its columns.
    "tp_nll_loss_terms": Source(
        "raw T logp, I cols, T w, int64 c",
        "T y",
        "y = -(logp[i * c + cols] * w)",
        lambda logp, cols, w, c: -(logp.reshape(-1)[np.arange(cols.size) * c + cols] * w),
    ),
    "tp_nll_loss_weights": Source(
        "I t, I ignore",
        "I cols, T w",
        "bool keep = t != ignore; cols = keep ? t : (I)0; w = keep ? (T)1 : (T)0",
        lambda t, ignore, cols, w: (np.where(t != ignore, t, 0), (t != ignore).astype(w.dtype)),
    ),
    # Over the (N, C) gradient: ``r`` the row, ``i % c`` the column; ``g`` one value (``gs``
    # 0) or one per row (``gs`` 1).
    "tp_nll_loss_backward": Source(
        "raw T g, raw I cols, raw T w, T den, int64 c, int64 gs",
        "T y",
        "ptrdiff_t r = i / c; y = i % c == cols[r] ? -(w[r] / den * g[r * gs]) : (T)0",
        _nll_loss_backward_twin,
    ),
    # Reductions: map, then ``a + b`` over the axes.
    "tp_sum_exp_shifted": Source(
        "T x, T m",
        "T s",
        "exp(x - m)",
        lambda x, m, axis, keepdims: np.sum(np.exp(x - m), axis=axis, keepdims=keepdims),
        reduce=("a + b", "s = a", "0"),
    ),
    "tp_squared_error_mean": Source(
        "T a, T b, T n",
        "T s",
        "(a - b) * (a - b)",
        lambda a, b, n, axis, keepdims: _squared_error_sum(a, b, axis, keepdims) / n,
        reduce=("a + b", "s = a / n", "0"),
    ),
    "tp_sum_of_products": Source(
        "T g, T out",
        "T s",
        "g * out",
        lambda g, out, axis, keepdims: np.sum(g * out, axis=axis, keepdims=keepdims),
        reduce=("a + b", "s = a", "0"),
    ),
    "tp_squared_error_sum": Source(
        "T a, T b",
        "T s",
        "(a - b) * (a - b)",
        lambda a, b, axis, keepdims: _squared_error_sum(a, b, axis, keepdims),
        reduce=("a + b", "s = a", "0"),
    ),
}
"""Every fused kernel by name: CUDA source and NumPy twin together."""


def _build(cp: Any) -> dict[str, Any]:
    """The kernels compiled by CuPy (lazily, at their first call, by CuPy itself)."""
    out = {}
    for name, s in SOURCES.items():
        if s.reduce is None:
            out[name] = cp.ElementwiseKernel(s.in_params, s.out_params, s.operation, name)
        else:
            out[name] = cp.ReductionKernel(
                s.in_params, s.out_params, s.operation, *s.reduce, name=name
            )
    return out


def fused_kernels(cp: Any, fallback: Any) -> dict[str, Callable[..., Any]]:
    """The contract's fused kernels (``_contract.FUSED``, ``tanh_backward`` and
    ``sigmoid_backward``) on CuPy, each falling back to ``fallback`` (the backend's ``k``,
    whose defaults are the formulas) for dtypes other than float32 and float64."""
    k = _build(cp)
    floats = (np.dtype(np.float32), np.dtype(np.float64))

    def pair(name: str, kernel: str) -> Callable[[Any, Any], Any]:
        def run(a: Any, b: Any) -> Any:
            if a.dtype in floats and a.dtype == b.dtype:
                return k[kernel](a, b)
            return getattr(fallback(), name)(a, b)

        run.__name__ = name
        return run

    def gelu_backward(g: Any, x: Any, approximate: str) -> Any:
        if g.dtype in floats and g.dtype == x.dtype:
            name = "tp_gelu_tanh_backward" if approximate == "tanh" else "tp_gelu_backward"
            return k[name](g, x)
        return fallback().gelu_backward(g, x, approximate)

    def gelu(x: Any, approximate: str) -> Any:
        if x.dtype in floats:
            return k["tp_gelu_tanh" if approximate == "tanh" else "tp_gelu"](x)
        return fallback().gelu(x, approximate)

    def softmax_backward(g: Any, out: Any, axes: tuple[int, ...]) -> Any:
        if g.dtype in floats and g.dtype == out.dtype:
            s = k["tp_sum_of_products"](g, out, axis=axes, keepdims=True)
            return k["tp_softmax_backward"](g, out, s)
        return fallback().softmax_backward(g, out, axes)

    def log_softmax_backward(g: Any, out: Any, axes: tuple[int, ...]) -> Any:
        if g.dtype in floats and g.dtype == out.dtype:
            s = cp.sum(g, axis=axes, keepdims=True)
            return k["tp_log_softmax_backward"](g, out, s)
        return fallback().log_softmax_backward(g, out, axes)

    def mse_loss_backward(g: Any, a: Any, b: Any, scale: float) -> Any:
        if a.dtype in floats and a.dtype == b.dtype == g.dtype:
            return k["tp_mse_loss_backward"](g, a, b, a.dtype.type(scale))
        return fallback().mse_loss_backward(g, a, b, scale)

    return {
        **_forward_kernels(cp, k, fallback),
        **_more_backward_kernels(k, fallback),
        "tanh_backward": pair("tanh_backward", "tp_tanh_backward"),
        "sigmoid_backward": pair("sigmoid_backward", "tp_sigmoid_backward"),
        "relu_backward": pair("relu_backward", "tp_relu_backward"),
        "silu_backward": pair("silu_backward", "tp_silu_backward"),
        "gelu_backward": gelu_backward,
        "gelu": gelu,
        "softmax_backward": softmax_backward,
        "log_softmax_backward": log_softmax_backward,
        "mse_loss_backward": mse_loss_backward,
    }


_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _fits(value: int, dtype: Any) -> bool:
    """Whether integer ``value`` is one of ``dtype``'s (``ignore_index=-100`` of a uint8)."""
    info = np.iinfo(dtype)
    return bool(info.min <= value <= info.max)


def _same_float(*arrays: Any) -> bool:
    """Whether the arrays share a dtype the kernels take (float32 or float64)."""
    d = arrays[0].dtype
    return d in _FLOATS and all(a.dtype == d for a in arrays)


def _forward_kernels(
    cp: Any, k: dict[str, Any], fallback: Callable[[], Any]
) -> dict[str, Callable[..., Any]]:
    """Softmax and log-softmax in three launches (the maximum, the sum of the shifted
    exponentials, the output) where the formula takes five and six; the squared error's sum
    and mean, and dropout, in one."""

    def shifted(x: Any, axes: tuple[int, ...]) -> tuple[Any, Any]:
        m = cp.max(x, axis=axes, keepdims=True)  # NaN-propagating, as the amax kernel
        return m, k["tp_sum_exp_shifted"](x, m, axis=axes, keepdims=True)

    def softmax(x: Any, axes: tuple[int, ...]) -> Any:
        if not (_same_float(x) and axes and x.size):
            return fallback().softmax(x, axes)
        return k["tp_softmax"](x, *shifted(x, axes))

    def log_softmax(x: Any, axes: tuple[int, ...]) -> Any:
        if not (_same_float(x) and axes and x.size):
            return fallback().log_softmax(x, axes)
        return k["tp_log_softmax"](x, *shifted(x, axes))

    def mse_loss_sum(a: Any, b: Any) -> Any:
        if _same_float(a, b):
            return k["tp_squared_error_sum"](a, b)
        return fallback().mse_loss_sum(a, b)

    def mse_loss_mean(a: Any, b: Any) -> Any:
        if _same_float(a, b):
            n = math.prod(np.broadcast_shapes(a.shape, b.shape))
            return k["tp_squared_error_mean"](a, b, a.dtype.type(n))
        return fallback().mse_loss_mean(a, b)

    def dropout_mask(u: Any, p: float, scale: float) -> Any:
        if _same_float(u):
            t = u.dtype.type
            return k["tp_dropout_mask"](u, t(p), t(scale))
        return fallback().dropout_mask(u, p, scale)

    def nll_loss_terms(logp: Any, rows: Any, cols: Any, w: Any) -> Any:
        if _same_float(logp, w) and logp.ndim == 2 and logp.flags.c_contiguous:
            return k["tp_nll_loss_terms"](logp, cols, w, np.int64(logp.shape[1]))
        return fallback().nll_loss_terms(logp, rows, cols, w)

    def nll_loss_weights(target: Any, ignore_index: int, like: Any) -> Any:
        if not (_same_float(like) and target.dtype.kind in "iu"):
            return fallback().nll_loss_weights(target, ignore_index, like)
        cols, w = cp.empty_like(target), cp.empty(target.shape, like.dtype)
        ignore = target.dtype.type(ignore_index) if _fits(ignore_index, target.dtype) else None
        if ignore is None:  # no target can equal it: every row counts
            return fallback().nll_loss_weights(target, ignore_index, like)
        return k["tp_nll_loss_weights"](target, ignore, cols, w)

    def nll_loss_backward(g: Any, shape: Any, rows: Any, cols: Any, w: Any, mean: bool) -> Any:
        if not (_same_float(g, w) and len(shape) == 2):
            return fallback().nll_loss_backward(g, shape, rows, cols, w, mean)
        den = cp.sum(w) if mean else w.dtype.type(1)
        y = cp.empty(shape, w.dtype)
        per_row = np.int64(g.ndim == 1)
        kernel = k["tp_nll_loss_backward"]
        return kernel(g.reshape(-1), cols, w, den, np.int64(shape[1]), per_row, y)

    return {"softmax": softmax, "log_softmax": log_softmax, "mse_loss_sum": mse_loss_sum,
            "mse_loss_mean": mse_loss_mean, "dropout_mask": dropout_mask,
            "dropout": _dropout(k, fallback, "dropout"),
            "nll_loss_terms": nll_loss_terms, "nll_loss_backward": nll_loss_backward,
            "nll_loss_weights": nll_loss_weights}  # fmt: skip


def _dropout(k: dict[str, Any], fallback: Callable[[], Any], name: str) -> Callable[..., Any]:
    """``dropout(x, u, p, scale)`` or ``dropout_backward(g, u, p, scale)``, one launch."""

    def run(a: Any, u: Any, p: float, scale: float) -> Any:
        if _same_float(a, u):
            t = a.dtype.type
            return k[f"tp_{name}"](a, u, t(p), t(scale))
        return getattr(fallback(), name)(a, u, p, scale)

    run.__name__ = name
    return run


def _more_backward_kernels(
    k: dict[str, Any], fallback: Callable[[], Any]
) -> dict[str, Callable[..., Any]]:
    """Clamp's, ``pow``'s (by a number) and dropout's gradients, one launch each."""
    inf = float("inf")

    def clamp_backward(g: Any, x: Any, lo: Any, hi: Any) -> Any:
        if _same_float(g, x):
            t = x.dtype.type
            return k["tp_clamp_backward"](g, x, t(-inf if lo is None else lo),
                                          t(inf if hi is None else hi))  # fmt: skip
        return fallback().clamp_backward(g, x, lo, hi)

    def pow_backward(g: Any, x: Any, e: Any) -> Any:
        if _same_float(g, x) and not isinstance(e, complex):
            if e == 2:
                return k["tp_pow2_backward"](g, x)
            t = x.dtype.type
            return k["tp_pow_backward"](g, x, t(e), t(e - 1))
        return fallback().pow_backward(g, x, e)

    return {"clamp_backward": clamp_backward, "pow_backward": pow_backward,
            "dropout_backward": _dropout(k, fallback, "dropout_backward")}  # fmt: skip
