"""Activations: softmax and log-softmax, GELU, SiLU, softplus and leaky ReLU, with ReLU,
sigmoid and tanh (the core's ops) re-exported, as PyTorch's ``nn.functional`` has them."""

from __future__ import annotations

from typing import Any

from ... import _dtype as D
from ..._contract import Array, KernelOps
from ..._dispatch import unary
from ..._graph import OUT, Node
from ..._inplace import inplace as _inplace
from ..._ops_pointwise import relu, sigmoid, tanh, where
from ..._tensor import Tensor, _dim

__all__ = [
    "relu", "sigmoid", "tanh", "softmax", "log_softmax", "gelu", "silu", "softplus",
    "leaky_relu",
]  # fmt: skip


# fmt: off
class SoftmaxBackward0(Node):
    """``exp(x) / sum(exp(x), dim)``: grad = out * (g - sum(g * out, dim))."""
    op, float_only, save = "softmax", True, (OUT,)

    forward = staticmethod(lambda k, x, axes: k.softmax(x, axes))  # fused: _fused_forward

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, out: Array) -> tuple[Array]:
        return (ops.softmax_backward(g, out, ctx.args[0]),)
# fmt: on


def _softmax_axes(input: Tensor, dim: int, dtype: D.dtype | None, op: str) -> tuple[int, ...]:
    """``dim`` as the axes to normalise over (none for a 0-d tensor, which is its own
    softmax), after PyTorch's checks: an integer or bool tensor needs a float ``dtype``."""
    d = _dim(dim, input.ndim, op)  # first, as PyTorch checks it
    if dtype is None and not input.dtype.is_floating_point:
        raise NotImplementedError(f'"{op}_kernel_impl" not implemented for {input.dtype.name}')
    return (d,) if input.ndim else ()


def softmax(input: Tensor, dim: int, dtype: D.dtype | None = None) -> Tensor:
    """Softmax along ``dim`` (shifted by the max, so large inputs don't overflow)."""
    axes = _softmax_axes(input, dim, dtype, "softmax")
    if dtype is not None:
        input = input.to(dtype)
    return unary(SoftmaxBackward0, input, axes)


# fmt: off
class LogSoftmaxBackward0(Node):
    """``x - logsumexp(x, dim)``: grad = g - exp(out) * sum(g, dim)."""
    op, float_only, save = "log_softmax", True, (OUT,)

    forward = staticmethod(lambda k, x, axes: k.log_softmax(x, axes))  # fused: _fused_forward

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, out: Array) -> tuple[Array]:
        return (ops.log_softmax_backward(g, out, ctx.args[0]),)
# fmt: on


def log_softmax(input: Tensor, dim: int, dtype: D.dtype | None = None) -> Tensor:
    """``log(softmax(input, dim))`` computed stably."""
    axes = _softmax_axes(input, dim, dtype, "log_softmax")
    if dtype is not None:
        input = input.to(dtype)
    return unary(LogSoftmaxBackward0, input, axes)


# fmt: off
class GeluBackward0(Node):
    """``x * Phi(x)`` (or its tanh approximation): grad = g * (Phi(x) + x * phi(x))."""
    op, float_only, save = "gelu", True, (0,)

    @staticmethod
    def forward(k: Any, x: Any, approximate: str) -> Any:
        return k.gelu(x, approximate)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        return (ops.gelu_backward(g, x, ctx.args[0]),)
# fmt: on


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``x * Phi(x)``, Phi the standard normal CDF (``approximate="tanh"``: Hendrycks' tanh
    form). The kernels ``gelu`` and ``gelu_backward``, whose defaults are ``tensorplug._gelu``'s
    formulas: the exact form's normal CDF is the backend's ``erfc`` where it has that kernel,
    else accurate to 1.2e-7 (relative), built from primitive kernels."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu(): approximate must be 'none' or 'tanh', got {approximate!r}")
    return unary(GeluBackward0, input, approximate)


# fmt: off
class SiluBackward0(Node):
    """``x * sigmoid(x)``, computed as PyTorch's ``x / (1 + exp(-x))``: grad = g * s * (1 +
    x * (1 - s)), ``s = sigmoid(x)``."""
    elementwise = True
    op, float_only, save = "silu", True, (0,)

    @staticmethod
    def forward(k: Any, x: Any) -> Any:
        return k.div(x, k.add(k.exp(k.neg(x)), 1.0))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        return (ops.silu_backward(g, x),)
# fmt: on


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)`` (one node, ``SiluBackward0``, as PyTorch's); ``inplace`` writes it
    into ``input``. Floating-point only, as in PyTorch."""
    _floating(input, "silu")
    if inplace:
        return _inplace(SiluBackward0, input)
    return unary(SiluBackward0, input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta x)) / beta``, linear above ``threshold`` as in PyTorch."""
    bx = input * beta
    soft = ((-bx.abs()).exp().log1p() + bx.relu()) / beta
    return where(bx > threshold, input, soft)


# fmt: off
class LeakyReluBackward0(Node):
    """``x`` where x > 0, ``negative_slope * x`` elsewhere: grad = g where x > 0, else
    g * negative_slope."""
    elementwise = True
    op, save = "leaky_relu", (0,)

    @staticmethod
    def forward(k: Any, x: Any, slope: float) -> Any:
        # One ``maximum`` (or ``minimum``) picks the branch where the slope is in (0, 1] (or
        # above 1): no mask and no ``where``, the costliest kernel on a small array. Both
        # propagate NaN, as PyTorch's. A slope of 0 (inf * 0 is NaN) or below needs the mask.
        if 0.0 < slope <= 1.0:
            return k.maximum(x, k.mul(x, slope))
        if slope > 1.0:
            return k.minimum(x, k.mul(x, slope))
        return k.where(k.gt(x, 0.0), x, k.mul(x, slope))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        return (ops.where(ops.gt(x, 0.0), g, ops.mul(g, ctx.args[0])),)


class LeakyReluBackward1(LeakyReluBackward0):
    """In-place ``leaky_relu_``: the gradient of ``LeakyReluBackward0`` (the in-place
    machinery keeps the input's old value for it)."""
# fmt: on


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` where positive, ``negative_slope * x`` elsewhere. Floating-point only, as in
    PyTorch: a fractional slope has no integer result to give."""
    _floating(input, "leaky_relu")
    if inplace:
        return _inplace(LeakyReluBackward1, input, args=(float(negative_slope),))
    return unary(LeakyReluBackward0, input, float(negative_slope))


def _floating(input: Tensor, op: str) -> None:
    if isinstance(input, Tensor) and not input.dtype.is_floating_point:
        raise NotImplementedError(
            f"{op}(): not implemented for {input.dtype.name} tensors; it needs a "
            "floating-point input (convert with .float())"
        )
