"""The NumPy backend's ``gelu`` and ``gelu_backward``: ``tensorplug._gelu``'s formulas
(``tensorplug.plugins.gelu_formulas``), the same operations in the same order, written in place
into two or three scratch arrays, where the defaults make some 35 (exact) or 12 (tanh) new
arrays of the activation's size.

The exact form's float64, and any array under ``FIT_FROM`` elements, takes ``Phi`` from the
backend's ``erfc`` kernel (SciPy's where installed), as the defaults do; larger float32 and
float16 arrays take the fit of erfc, at float32's own resolution (SciPy's float32 erfc is
several times slower there: docs/performance.md, "GPT training step").
Two more differences, both for speed: the exact form's fit picks ``Phi(-|x|)`` or ``1 - Phi(-|x|)``
arithmetically (``(x >= 0) - tail``, the tail's sign flipped where ``x < 0``), in branch-free
passes where ``np.where`` on a random mask branches per element (docs/performance.md), with
the same results; and float16 is computed in float32 and rounded once
(NumPy's float16 loops convert per operation anyway), so it is more accurate than the default.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensorplug.plugins import gelu_formulas as G

ERFC_C, INV_SQRT_2PI, SQRT_HALF = G.ERFC_C, G.INV_SQRT_2PI, G.SQRT_HALF
TANH_A, TANH_C = G.TANH_A, G.TANH_C


FIT_FROM = 2048
"""Elements from which float32's exact form takes the fit in place rather than ``erfc``:
SciPy's float32 erfc costs about 15 ns an element, the fit about 3 ns plus some 35 calls."""


def _compute(x: Any, fn: Any, *args: Any) -> Any:
    """``fn(x, *args)`` on an array with a dimension (0-d results of ufuncs are scalars, not
    arrays, and cannot be written into), in float32 for float16."""
    shape, dtype = x.shape, x.dtype
    up = dtype == np.float16
    if up:
        x, args = x.astype(np.float32), tuple(a.astype(np.float32) for a in args)
    r = fn(x.reshape(1), *(a.reshape(1) for a in args)) if not shape else fn(x, *args)
    if up:
        r = r.astype(dtype)
    return r.reshape(shape) if not shape else r


def _normal_cdf(x: Any, erfc: Any) -> tuple[Any, Any]:
    """``(Phi(x), scratch)`` as ``tensorplug._gelu.normal_cdf``: from ``erfc`` for float64
    (full accuracy) and for small arrays (one call), else by the fit in place (1.2e-7
    relative, float32's own resolution)."""
    if x.dtype == np.float64 or x.size < FIT_FROM:
        z = np.multiply(x, -SQRT_HALF)
        p = erfc(z)
        p *= 0.5
        return p, z
    z = np.abs(x)
    z *= SQRT_HALF
    t = np.multiply(z, 0.5)
    t += 1.0
    np.divide(1.0, t, out=t)
    p = np.multiply(t, ERFC_C[9])
    for c in ERFC_C[8:0:-1]:
        p += c
        p *= t
    p += ERFC_C[0]
    z *= z
    p -= z
    np.exp(p, out=p)
    p *= t
    p *= 0.5  # Phi(-|x|)
    # x < 0: the tail; else 1 - tail, as (x >= 0) - (tail signed -1 where x < 0)
    neg = np.less(x, 0.0)
    sign = np.multiply(neg, -2.0, dtype=p.dtype)
    sign += 1.0
    p *= sign  # exact: by -1 where x < 0, by 1 elsewhere (np.copysign is no SIMD loop)
    np.logical_not(neg, out=neg)
    np.subtract(neg, p, out=p)
    return p, z


def _gelu_exact(x: Any, erfc: Any) -> Any:
    p = _normal_cdf(x, erfc)[0]
    p *= x
    return p


def _exact_derivative(x: Any, p: Any, z: Any) -> Any:
    """``gelu'(x) = Phi(x) + x phi(x)`` into ``z``, from ``p = Phi(x)``."""
    # phi(x) = exp(-x^2 / 2) / sqrt(2 pi), and x^2 / 2 = z * z, rounded as the default's
    np.multiply(x, x, out=z)
    z *= -0.5
    np.exp(z, out=z)
    z *= INV_SQRT_2PI
    z *= x
    z += p
    return z


def _gelu_exact_backward(g: Any, x: Any, erfc: Any) -> Any:
    z = _exact_derivative(x, *_normal_cdf(x, erfc))
    z *= g
    return z


def _gelu_exact_pair(x: Any, erfc: Any) -> tuple[Any, Any]:
    p, z = _normal_cdf(x, erfc)
    return np.multiply(p, x), _exact_derivative(x, p, z)


def _tanh_parts(x: Any) -> tuple[Any, Any]:
    """``(x * x, tanh(c (x + a x^3)))`` in ``tensorplug._gelu._tanh_parts``'s order."""
    x2 = np.multiply(x, x)
    th = np.multiply(x2, x)
    th *= TANH_A
    th += x
    th *= TANH_C
    np.tanh(th, out=th)
    return x2, th


def _gelu_tanh(x: Any) -> Any:
    th = _tanh_parts(x)[1]
    th += 1.0
    np.multiply(x, th, out=th)
    th *= 0.5
    return th


def _tanh_derivative(x: Any, x2: Any, th: Any) -> Any:
    """The tanh form's ``gelu'(x)`` from ``_tanh_parts``, in the default's order (into new
    arrays and ``x2``, ``th``)."""
    x2 *= 3 * TANH_A * TANH_C
    x2 += TANH_C  # dinner
    dth = np.multiply(th, th)
    np.subtract(1.0, dth, out=dth)
    dth *= x2
    th += 1.0
    th *= 0.5  # half
    np.multiply(x, dth, out=dth)
    dth *= 0.5
    dth += th
    return dth


def _gelu_tanh_backward(g: Any, x: Any) -> Any:
    dth = _tanh_derivative(x, *_tanh_parts(x))
    dth *= g
    return dth


def _gelu_tanh_pair(x: Any) -> tuple[Any, Any]:
    x2, th = _tanh_parts(x)
    y = np.add(th, 1.0)
    np.multiply(x, y, out=y)
    y *= 0.5
    return y, _tanh_derivative(x, x2, th)


def gelu_kernels(erfc: Any) -> dict[str, Any]:
    """``gelu`` and ``gelu_backward`` in place into scratch arrays, the exact form's float64
    from the backend's ``erfc`` kernel."""

    def gelu(x: Any, approximate: str) -> Any:
        """``x * Phi(x)`` (``"tanh"``: its tanh form)."""
        if approximate == "tanh":
            return _compute(x, _gelu_tanh)
        return _compute(x, lambda xx: _gelu_exact(xx, erfc))

    def gelu_backward(g: Any, x: Any, approximate: str) -> Any:
        """``g * gelu'(x)``."""
        if g.shape != x.shape:  # a broadcast gradient: the default's broadcasting result
            g, x = np.broadcast_arrays(g, x)
        if approximate == "tanh":
            return _compute(x, lambda xx, gg: _gelu_tanh_backward(gg, xx), g)
        return _compute(x, lambda xx, gg: _gelu_exact_backward(gg, xx, erfc), g)

    def gelu_with_derivative(x: Any, approximate: str) -> tuple[Any, Any]:
        """``(gelu(x), gelu'(x))`` sharing ``Phi`` (or the tanh form's parts); float16's
        derivative None (``g * gelu'(x)`` is computed in float32 by ``gelu_backward``)."""
        if x.dtype == np.float16 or not x.shape:
            return gelu(x, approximate), None
        if approximate == "tanh":
            return _gelu_tanh_pair(x)
        return _gelu_exact_pair(x, erfc)

    return {
        "gelu": gelu,
        "gelu_backward": gelu_backward,
        "gelu_with_derivative": gelu_with_derivative,
    }
