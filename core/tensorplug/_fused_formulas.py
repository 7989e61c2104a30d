"""The formulas behind the fused kernels (issue 21), written once on an ``ops`` namespace.

Each backward formula here is a kernel of the contract (``_contract.FUSED``, derived): a
backward calls ``ops.softmax_backward(g, out, axes)``, and

* on a backend without its own kernel, ``fused_defaults`` runs the formula on the backend's
  kernels (``be.k``): the same launches as before the kernel existed;
* a backend may override it with one fused kernel (CuPy: ``tensorplug_cupy._fused``), which
  must agree with the formula (``tests/backends/test_cupy_fused.py``);
* ``TENSOR_OPS`` (``create_graph=True``) runs the same formula on tensors, recorded, so double
  backward differentiates the formula, never a fused kernel.

The forward-only kernels (``gelu``, ``mse_loss_sum``, ``dropout_mask``) have their defaults
here too, GELU's value and derivative (``gelu_value``, ``gelu_grad``) with them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._backend import Backend
    from ._contract import Array, Kernel, KernelOps, Shape

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TANH_C = math.sqrt(2.0 / math.pi)


# erfc by the Chebyshev fit of Numerical Recipes (``erfcc``): relative error < 1.2e-7 for
# every argument, built from primitives only: Phi for a backend without an ``erfc`` kernel.
_ERFC_C = (
    -1.26551223,
    1.00002368,
    0.37409196,
    0.09678418,
    -0.18628806,
    0.27886807,
    -1.13520398,
    1.48851587,
    -0.82215223,
    0.17087277,
)


def _normal_cdf(ops: KernelOps, x: Array) -> Array:
    """``Phi(x) = erfc(-x / sqrt(2)) / 2``, in either ops namespace: from the backend's
    ``erfc`` kernel where it has one (one call, where the polynomial below is about thirty:
    docs/performance.md), or on tensors the recorded ``erfc`` (``create_graph=True``); else
    from primitives to 1.2e-7 relative. The tail ``x < 0`` is computed directly, never as
    ``1 - something``, and stays accurate relative to its size."""
    from ._ops_special import erfc  # here: this module is imported before the ops are
    from ._tensor import Tensor

    kernel = getattr(ops, "erfc", None)  # an optional kernel: KernelOps does not declare it
    if isinstance(x, Tensor):
        kernel = erfc if x._backend.has_kernel("erfc") else None
    if kernel is not None:
        return ops.mul(kernel(ops.mul(x, -_SQRT_HALF)), 0.5)
    z = ops.mul(ops.abs(x), _SQRT_HALF)
    t = ops.div(1.0, ops.add(ops.mul(z, 0.5), 1.0))
    poly = ops.mul(t, _ERFC_C[9])
    for c in _ERFC_C[8:0:-1]:
        poly = ops.mul(ops.add(poly, c), t)
    poly = ops.add(poly, _ERFC_C[0])
    tail = ops.mul(ops.mul(t, ops.exp(ops.sub(poly, ops.mul(z, z)))), 0.5)  # Phi(-|x|)
    return ops.where(ops.lt(x, 0.0), tail, ops.sub(1.0, tail))


def _gelu_tanh(ops: KernelOps, x: Array) -> tuple[Array, Array]:
    """``(x * x, tanh(c (x + 0.044715 x^3)))`` of the tanh form, rounded in PyTorch's order:
    near ``x = -5`` the result is ``1 + tanh(...)``, a difference that magnifies any other
    rounding (``x (c + c a x^2)`` differed from PyTorch by 1e-9 relative there)."""
    x2 = ops.mul(x, x)
    return x2, ops.tanh(ops.mul(ops.add(x, ops.mul(ops.mul(x2, x), 0.044715)), _TANH_C))


def gelu_value(ops: KernelOps, x: Array, approximate: str) -> Array:
    """``gelu(x)`` alone (forward needs no derivative)."""
    if approximate == "tanh":
        th = _gelu_tanh(ops, x)[1]
        return ops.mul(ops.mul(x, ops.add(th, 1.0)), 0.5)
    return ops.mul(x, _normal_cdf(ops, x))


def gelu_grad(ops: KernelOps, x: Array, approximate: str) -> Array:
    """``gelu'(x)``."""
    if approximate == "tanh":
        x2, th = _gelu_tanh(ops, x)
        half = ops.mul(ops.add(th, 1.0), 0.5)
        dinner = ops.add(ops.mul(x2, 3 * 0.044715 * _TANH_C), _TANH_C)
        dth = ops.mul(ops.sub(1.0, ops.mul(th, th)), dinner)
        return ops.add(half, ops.mul(ops.mul(x, dth), 0.5))
    pdf = ops.mul(ops.exp(ops.mul(ops.mul(x, x), -0.5)), _INV_SQRT_2PI)
    return ops.add(_normal_cdf(ops, x), ops.mul(x, pdf))


def relu_backward(ops: KernelOps, g: Array, out: Array) -> Array:
    """``g`` where ``out > 0``, else 0 (NaN in ``out`` gives 0): ReLU's and clamp's
    gradient from the output."""
    return ops.where(ops.gt(out, 0), g, 0.0)


def gelu_backward(ops: KernelOps, g: Array, x: Array, approximate: str) -> Array:
    """``g * gelu'(x)``."""
    return ops.mul(g, gelu_grad(ops, x, approximate))


def silu_backward(ops: KernelOps, g: Array, x: Array) -> Array:
    """``g * s * (1 + x (1 - s))`` with ``s = sigmoid(x)``, in PyTorch's order."""
    s = ops.sigmoid(x)
    return ops.mul(ops.mul(g, s), ops.add(ops.mul(x, ops.sub(1.0, s)), 1.0))


def softmax_backward(ops: KernelOps, g: Array, out: Array, axes: Shape) -> Array:
    """``out * (g - sum(g * out, axes))``."""
    return ops.mul(out, ops.sub(g, ops.sum(ops.mul(g, out), axes, True)))


def log_softmax_backward(ops: KernelOps, g: Array, out: Array, axes: Shape) -> Array:
    """``g - exp(out) * sum(g, axes)``."""
    return ops.sub(g, ops.mul(ops.exp(out), ops.sum(g, axes, True)))


def mse_loss_backward(ops: KernelOps, g: Array, a: Array, b: Array, scale: float) -> Array:
    """``(a - b) * scale * g``: the gradient of the squared error for ``a`` (``-`` it for
    ``b``), ``scale`` 2 or ``2 / n`` for the mean."""
    return ops.mul(ops.mul(ops.sub(a, b), scale), g)


def fused_defaults(be: Backend) -> dict[str, Kernel]:
    """The defaults of ``_contract.FUSED`` (and of ``tanh_backward``, ``sigmoid_backward``,
    which CuPy fuses too): the formulas on the backend's own kernels
    (``be.k``, looked up at the call, so a backend's overrides of the kernels they use
    count)."""

    def mse_loss_sum(a: Array, b: Array) -> Array:
        k = be.k
        d = k.sub(a, b)
        return k.sum(k.mul(d, d), None, False)

    def dropout_mask(u: Array, p: float, scale: float) -> Array:
        k = be.k
        return k.mul(k.astype(k.ge(u, p), k.dtype_of(u)), scale)

    return {
        # Backward of tanh and sigmoid from their output, one kernel each as in PyTorch.
        "tanh_backward": lambda g, out: be.k.mul(g, be.k.sub(1, be.k.mul(out, out))),
        "sigmoid_backward": lambda g, out: be.k.mul(be.k.mul(g, out), be.k.sub(1, out)),
        "relu_backward": lambda g, out: relu_backward(be.k, g, out),
        "gelu_backward": lambda g, x, approximate: gelu_backward(be.k, g, x, approximate),
        "silu_backward": lambda g, x: silu_backward(be.k, g, x),
        "softmax_backward": lambda g, out, axes: softmax_backward(be.k, g, out, axes),
        "log_softmax_backward": lambda g, out, axes: log_softmax_backward(be.k, g, out, axes),
        "mse_loss_backward": lambda g, a, b, scale: mse_loss_backward(be.k, g, a, b, scale),
        "mse_loss_sum": mse_loss_sum,
        "dropout_mask": dropout_mask,
        "gelu": lambda x, approximate: gelu_value(be.k, x, approximate),
    }


def tensor_formulas(ops: KernelOps) -> dict[str, Any]:
    """The backward formulas on ``TENSOR_OPS`` (recorded, so twice differentiable)."""
    return {
        "relu_backward": lambda g, out: relu_backward(ops, g, out),
        "gelu_backward": lambda g, x, approximate: gelu_backward(ops, g, x, approximate),
        "silu_backward": lambda g, x: silu_backward(ops, g, x),
        "softmax_backward": lambda g, out, axes: softmax_backward(ops, g, out, axes),
        "log_softmax_backward": lambda g, out, axes: log_softmax_backward(ops, g, out, axes),
        "mse_loss_backward": lambda g, a, b, scale: mse_loss_backward(ops, g, a, b, scale),
    }
