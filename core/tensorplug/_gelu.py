"""GELU's value and gradient written once against an ops namespace: the defaults of the
derived kernels ``gelu`` and ``gelu_backward`` (``_backend.default_kernels``), and
``gelu_backward`` on tensors for a ``create_graph=True`` backward (``_tensor_ops``).

The exact form's normal CDF is ``erfc(-x / sqrt(2)) / 2`` from the backend's ``erfc`` kernel
where it has one (passed as ``erfc``: one call, full accuracy), else the Chebyshev fit of erfc
of Numerical Recipes (``erfcc``), 1.2e-7 relative for every argument and built from primitives
only. A backend overrides the two kernels only to be faster (the NumPy backend's work in place:
``tensorplug_numpy._gelu``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from ._contract import Array, KernelOps

Erfc = Callable[[Array], Array] | None
"""The namespace's ``erfc`` (a kernel, or the recorded op on tensors), or None: the fit."""

SQRT_HALF = math.sqrt(0.5)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
TANH_C = math.sqrt(2.0 / math.pi)
TANH_A = 0.044715
"""The tanh form's ``tanh(TANH_C (x + TANH_A x^3))``."""

ERFC_C = (
    -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398,
    1.48851587, -0.82215223, 0.17087277,
)  # fmt: skip
"""``erfc(z) = t exp(-z^2 + sum_i ERFC_C[i] t^i)``, ``t = 1 / (1 + z / 2)``, for ``z >= 0``."""


def normal_cdf(ops: KernelOps, x: Array, erfc: Erfc = None) -> Array:
    """``Phi(x) = erfc(-x / sqrt(2)) / 2``: by ``erfc`` where given, else to 1.2e-7 relative.
    The tail ``x < 0`` is computed directly, never as ``1 - something``."""
    if erfc is not None:
        return ops.mul(erfc(ops.mul(x, -SQRT_HALF)), 0.5)
    z = ops.mul(ops.abs(x), SQRT_HALF)
    t = ops.div(1.0, ops.add(ops.mul(z, 0.5), 1.0))
    poly = ops.mul(t, ERFC_C[9])
    for c in ERFC_C[8:0:-1]:
        poly = ops.mul(ops.add(poly, c), t)
    poly = ops.add(poly, ERFC_C[0])
    tail = ops.mul(ops.mul(t, ops.exp(ops.sub(poly, ops.mul(z, z)))), 0.5)  # Phi(-|x|)
    return ops.where(ops.lt(x, 0.0), tail, ops.sub(1.0, tail))


def _tanh_parts(ops: KernelOps, x: Array) -> tuple[Array, Array]:
    """``(x * x, tanh(c (x + 0.044715 x^3)))`` of the tanh form, rounded in PyTorch's order:
    near ``x = -5`` the result is ``1 + tanh(...)``, a difference that magnifies any other
    rounding (``x (c + c a x^2)`` differed from PyTorch by 1e-9 relative there)."""
    x2 = ops.mul(x, x)
    return x2, ops.tanh(ops.mul(ops.add(x, ops.mul(ops.mul(x2, x), TANH_A)), TANH_C))


def gelu(ops: KernelOps, x: Array, approximate: str, erfc: Erfc = None) -> Array:
    """``gelu(x) = x Phi(x)`` (``"tanh"``: ``x (1 + tanh(c (x + 0.044715 x^3))) / 2``)."""
    if approximate == "tanh":
        th = _tanh_parts(ops, x)[1]
        return ops.mul(ops.mul(x, ops.add(th, 1.0)), 0.5)
    return ops.mul(x, normal_cdf(ops, x, erfc))


def gelu_derivative(ops: KernelOps, x: Array, approximate: str, erfc: Erfc = None) -> Array:
    """``gelu'(x) = Phi(x) + x phi(x)`` (or the tanh form's derivative)."""
    if approximate == "tanh":
        x2, th = _tanh_parts(ops, x)
        half = ops.mul(ops.add(th, 1.0), 0.5)
        dinner = ops.add(ops.mul(x2, 3 * TANH_A * TANH_C), TANH_C)
        dth = ops.mul(ops.sub(1.0, ops.mul(th, th)), dinner)
        return ops.add(half, ops.mul(ops.mul(x, dth), 0.5))
    pdf = ops.mul(ops.exp(ops.mul(ops.mul(x, x), -0.5)), INV_SQRT_2PI)
    return ops.add(normal_cdf(ops, x, erfc), ops.mul(x, pdf))


def gelu_backward(ops: KernelOps, g: Array, x: Array, approximate: str, erfc: Erfc = None) -> Array:
    """``g * gelu'(x)``."""
    return ops.mul(g, gelu_derivative(ops, x, approximate, erfc))
