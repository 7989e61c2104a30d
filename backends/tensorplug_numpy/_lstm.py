"""The NumPy backend's ``lstm_layer`` and ``lstm_layer_backward``: ``tensorplug._lstm_formulas``
(``tensorplug.plugins.lstm_formulas``), the same operations in the same order on the same
ufuncs, so the same bits, with the time loops written into preallocated buffers (``out=``)
where the formulas make a dozen new arrays per step and stack them at the end.

Per step the forward makes its product straight into that step's slice of the gate buffer
and the states into their slices of the output; the backward writes each step's gate
gradients into its slice of one (T, B, 4H) array, which is then the input's gradient and the
left factor of ``W_hh``'s. On the benchmark's layer (hidden 256, batch 20) the per-step work
other than the product is small arrays (20 x 256), where a ufunc call's fixed cost and a new
array's allocation dominate (docs/performance.md, "LSTM training step").
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensorplug.plugins import lstm_formulas as F

_BLAS = (np.dtype(np.float32), np.dtype(np.float64))


def _product(dtype: Any) -> Any:
    """``matmul(a, b, out=)`` as the backend's ``matmul`` computes it: ``np.dot`` (the same
    BLAS call) for float32 and float64, else ``np.matmul``."""
    return np.dot if dtype in _BLAS else np.matmul


def _sigmoid_(a: Any) -> None:
    """``a = 1 / (1 + exp(-a))`` in place, the backend's ``sigmoid``'s operations."""
    np.negative(a, out=a)
    np.exp(a, out=a)
    np.add(a, 1, out=a)
    np.true_divide(1, a, out=a)


def lstm_layer(xw: Any, w_hh: Any, h0: Any, c0: Any, reverse: bool) -> tuple[Any, Any, Any]:
    """``lstm_formulas.lstm_layer`` written into three preallocated arrays."""
    steps, n = xw.shape[0], h0.shape[-1]
    dtype = np.result_type(xw, w_hh, h0, c0)
    dot = _product(dtype)
    out = np.empty((2, steps, *h0.shape), dtype)
    s = np.empty((steps, *h0.shape[:-1], 4 * n), dtype)
    g = np.empty((steps, *h0.shape), dtype)
    ig = np.empty(h0.shape, dtype)
    a_t = np.empty((4 * n, *h0.shape[:-1]), dtype)  # the product, transposed
    h, c = h0, c0
    for t in F.time_steps(steps, reverse):
        a, h_t, c_t = s[t], out[0, t], out[1, t]
        dot(w_hh, h.T, out=a_t)
        np.add(xw[t], a_t.T, out=a)
        np.tanh(a[..., 2 * n : 3 * n], out=g[t])
        _sigmoid_(a)  # i, f and o; g's columns are tanh's
        np.multiply(a[..., n : 2 * n], c, out=c_t)
        np.multiply(a[..., :n], g[t], out=ig)
        np.add(c_t, ig, out=c_t)
        np.tanh(c_t, out=h_t)
        np.multiply(a[..., 3 * n :], h_t, out=h_t)
        h, c = h_t, c_t
    return out, s, g


class _Kernels:
    """The backend's kernel table (a dict, complete by the first call) as an ``ops``
    namespace for ``lstm_formulas.gate_factors``."""

    __slots__ = ("table",)

    def __init__(self, table: dict[str, Any]) -> None:
        self.table = table

    def __getattr__(self, name: str) -> Any:
        return self.table[name]


def lstm_kernels(table: dict[str, Any]) -> dict[str, Any]:
    """``lstm_layer`` and ``lstm_layer_backward`` in place; ``table``, the backend's kernels,
    computes the backward's factors for the whole sequence (``lstm_formulas.gate_factors``:
    a few calls on large arrays)."""
    ops = _Kernels(table)

    # fmt: off
    def lstm_layer_backward(
        grad: Any, w_hh: Any, h0: Any, c0: Any, out: Any, s: Any, g: Any, reverse: bool
    ) -> tuple[Any, Any, Any, Any]:
        """``lstm_formulas.lstm_layer_backward``, each step's gate gradients written into
        their slice of one array."""
        steps, batch, n = s.shape[0], h0.shape[0], h0.shape[-1]
        dtype = s.dtype
        dot = _product(dtype)
        hs, cs = out[0], out[1]
        f, po, ko, ki, kf, kg = F.gate_factors(ops, s, g, cs, F.previous(ops, cs, c0, reverse))
        dgates = np.empty(s.shape, dtype)
        gh, gc, dc, dh = (np.empty(h0.shape, dtype) for _ in range(4))
        first = True
        for t in F.time_steps(steps, not reverse):
            d = dgates[t]
            if first:
                np.copyto(gh, grad[0, t])
            else:
                np.add(grad[0, t], dh, out=gh)
            np.multiply(gh, po[t], out=gc)
            np.add(grad[1, t], gc, out=gc)
            if not first:
                np.add(gc, dc, out=gc)
            np.multiply(gc, ki[t], out=d[..., :n])
            np.multiply(gc, kf[t], out=d[..., n : 2 * n])
            np.multiply(gc, kg[t], out=d[..., 2 * n : 3 * n])
            np.multiply(gh, ko[t], out=d[..., 3 * n :])
            np.multiply(gc, f[t], out=dc)
            dot(d, w_hh, out=dh)
            first = False
        flat = dgates.reshape(steps * batch, 4 * n)
        dw_hh = dot(flat.T, F.previous(ops, hs, h0, reverse).reshape(steps * batch, n))
        return dgates, dw_hh, dh, dc
    # fmt: on

    return {"lstm_layer": lstm_layer, "lstm_layer_backward": lstm_layer_backward}
