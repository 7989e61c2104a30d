"""The formulas behind the fused kernels (issue 21), written once on an ``ops`` namespace.

Each backward formula here is a kernel of the contract (``_contract.FUSED``, derived): a
backward calls ``ops.softmax_backward(g, out, axes)``, and

* on a backend without its own kernel, ``fused_defaults`` runs the formula on the backend's
  kernels (``be.k``): the same launches as before the kernel existed;
* a backend may override it with one fused kernel (CuPy: ``tensorplug_cupy._fused``), which
  must agree with the formula (``tests/backends/test_cupy_fused.py``);
* ``TENSOR_OPS`` (``create_graph=True``) runs the same formula on tensors, recorded, so double
  backward differentiates the formula, never a fused kernel.

The forward kernels ``mse_loss_sum``, ``mse_loss_mean``, ``dropout_mask``, ``dropout``,
``softmax`` and ``log_softmax`` have their defaults here too (``softmax_forward``).
GELU's (``gelu``, ``gelu_backward``, also in ``FUSED``) are ``_gelu``'s formulas, written once
there with the NumPy backend's in-place version beside them (``_backend._gelus``,
``_tensor_ops``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._fused_forward import forward_defaults

if TYPE_CHECKING:
    from ._backend import Backend
    from ._contract import Array, Kernel, KernelOps, Operand, Shape


def relu_backward(ops: KernelOps, g: Array, out: Array) -> Array:
    """``g`` where ``out > 0``, else 0 (NaN in ``out`` gives 0): ReLU's and clamp's
    gradient from the output."""
    return ops.where(ops.gt(out, 0), g, 0.0)


def clamp_backward(
    ops: KernelOps, g: Array, x: Array, lo: Operand | None, hi: Operand | None
) -> Array:
    """``g`` where ``lo <= x <= hi`` (a bound ``None``: none there), else 0 (NaN in ``x``
    gives 0): clamp's gradient, the input keeping it at a tie, as PyTorch's."""
    if lo is not None:
        g = ops.where(ops.ge(x, lo), g, 0.0)
    if hi is not None:
        g = ops.where(ops.le(x, hi), g, 0.0)
    return g


def pow_backward(ops: KernelOps, g: Array, x: Array, e: float) -> Array:
    """``g * e * x**(e - 1)`` for a number ``e`` other than 0; ``g * (x + x)`` for 2, as
    PyTorch computes it (``x + x`` is ``2x`` exactly)."""
    if e == 2:
        return ops.mul(g, ops.add(x, x))
    return ops.mul(ops.mul(g, e), ops.pow(x, e - 1))


def dropout_backward(ops: KernelOps, g: Array, u: Array, p: float, scale: float) -> Array:
    """``g * scale`` where ``u >= p``, else 0: dropout's gradient, its mask made again from
    the uniform samples ``u``."""
    return ops.where(ops.ge(u, p), ops.mul(g, scale), 0.0)


def nll_loss_backward(
    ops: KernelOps, g: Array, shape: Shape, rows: Array, cols: Array, w: Array, mean: bool
) -> Array:
    """``-coef * g`` at ``(rows, cols)`` in zeros of ``shape``, ``coef = w / sum(w)`` for the
    mean, else ``w``."""
    coef = ops.const(w, g)
    if mean:
        coef = ops.div(coef, ops.sum(coef, None, False))
    return ops.index_grad(ops.neg(ops.mul(coef, g)), shape, (rows, cols), True)


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

    return {
        **forward_defaults(be),
        # Backward of tanh and sigmoid from their output, one kernel each as in PyTorch.
        "tanh_backward": lambda g, out: be.k.mul(g, be.k.sub(1, be.k.mul(out, out))),
        "sigmoid_backward": lambda g, out: be.k.mul(be.k.mul(g, out), be.k.sub(1, out)),
        "relu_backward": lambda g, out: relu_backward(be.k, g, out),
        "silu_backward": lambda g, x: silu_backward(be.k, g, x),
        "softmax_backward": lambda g, out, axes: softmax_backward(be.k, g, out, axes),
        "log_softmax_backward": lambda g, out, axes: log_softmax_backward(be.k, g, out, axes),
        "mse_loss_backward": lambda g, a, b, scale: mse_loss_backward(be.k, g, a, b, scale),
        "clamp_backward": lambda g, x, lo, hi: clamp_backward(be.k, g, x, lo, hi),
        "pow_backward": lambda g, x, e: pow_backward(be.k, g, x, e),
        "dropout_backward": lambda g, u, p, scale: dropout_backward(be.k, g, u, p, scale),
        "nll_loss_backward": lambda *a: nll_loss_backward(be.k, *a),
    }


def tensor_formulas(ops: KernelOps) -> dict[str, Any]:
    """The backward formulas on ``TENSOR_OPS`` (recorded, so twice differentiable)."""
    return {
        "clamp_backward": lambda g, x, lo, hi: clamp_backward(ops, g, x, lo, hi),
        "pow_backward": lambda g, x, e: pow_backward(ops, g, x, e),
        "dropout_backward": lambda g, u, p, scale: dropout_backward(ops, g, u, p, scale),
        "nll_loss_backward": lambda *a: nll_loss_backward(ops, *a),
        "relu_backward": lambda g, out: relu_backward(ops, g, out),
        "silu_backward": lambda g, x: silu_backward(ops, g, x),
        "softmax_backward": lambda g, out, axes: softmax_backward(ops, g, out, axes),
        "log_softmax_backward": lambda g, out, axes: log_softmax_backward(ops, g, out, axes),
        "mse_loss_backward": lambda g, a, b, scale: mse_loss_backward(ops, g, a, b, scale),
    }
