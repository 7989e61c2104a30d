"""``layer_norm`` with a weight and a bias as one node, as PyTorch records it
(``NativeLayerNormBackward0``): where the composition of ``_normalization.py`` records eleven
nodes (two means, the centring, the variance, ``rsqrt``, two reshapes, the affine map), this is
one node with one backward, which a small model's step pays per op (docs/performance.md).

Forward keeps the standardised input and ``1 / std`` (as PyTorch keeps the mean and ``rstd``);
a ``create_graph`` backward recomputes them from the input as tensor ops, so the backward,
written with ``ops``, is differentiable again.
"""

from __future__ import annotations

from typing import Any

from ..._contract import Array, KernelOps
from ..._dispatch import nary
from ..._graph import Node
from ..._tensor import Tensor
from ..._tensor_ops import TENSOR_OPS


def _standardized(k: Any, x: Array, axes: tuple[int, ...], n: int, eps: float) -> Any:
    """``((x - mean) * rstd, rstd)`` over ``axes`` (biased variance), ``rstd`` with dims kept."""
    centered = k.sub(x, k.mul(k.sum(x, axes, True), 1.0 / n))
    var = k.mul(k.sum(k.mul(centered, centered), axes, True), 1.0 / n)
    rstd = k.div(1.0, k.sqrt(k.add(var, eps)))  # (KernelOps has no rsqrt)
    return k.mul(centered, rstd), rstd


# fmt: off
class NativeLayerNormBackward0(Node):
    """``y = xhat w + b``, ``xhat = (x - mean) rstd``, ``rstd = 1 / sqrt(var + eps)`` over the
    trailing ``axes`` (``n`` elements each): with ``gw = g w``, grad x = rstd (gw - mean(gw) -
    xhat mean(gw xhat)), grad w = sum of g xhat over the leading dims, grad b = sum of g."""
    op, float_only = "layer_norm", True
    save = (0, 1, 2)

    @staticmethod
    def forward(k: Any, x: Array, w: Array, b: Array, axes: tuple[int, ...], n: int,
                eps: float, kept: list[Any]) -> Array:
        kept[:] = _standardized(k, x, axes, n, eps)
        return k.add(k.mul(kept[0], w), b)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array, w: Array,
                 b: Array) -> tuple[Any, ...]:
        axes, n, eps, kept = ctx.args
        nx, nw, nb = ctx.needs_input_grad
        # kept by forward; recomputed as tensor ops for a differentiable backward
        xhat, rstd = _standardized(ops, x, axes, n, eps) if ops is TENSOR_OPS else kept
        dx = None
        if nx:
            gw = ops.mul(g, w)
            mean_gw = ops.mul(ops.sum(gw, axes, True), 1.0 / n)
            mean_gwx = ops.mul(ops.sum(ops.mul(gw, xhat), axes, True), 1.0 / n)
            dx = ops.mul(ops.sub(ops.sub(gw, mean_gw), ops.mul(xhat, mean_gwx)), rstd)
        return (dx, ops.sum_to(ops.mul(g, xhat), ctx.shapes[1]) if nw else None,
                ops.sum_to(g, ctx.shapes[2]) if nb else None)
# fmt: on


def fused_layer_norm(
    input: Tensor, shape: tuple[int, ...], weight: Any, bias: Any, eps: float
) -> Tensor | None:
    """``layer_norm`` as one node where it applies (a weight and a bias of the normalised
    shape and one dtype, a non-empty input); ``None`` where the composition serves."""
    if (
        not isinstance(weight, Tensor)
        or not isinstance(bias, Tensor)
        or tuple(weight.shape) != shape
        or tuple(bias.shape) != shape
        or not input.numel()
        or not input.dtype == weight.dtype == bias.dtype
        or not input.dtype.is_floating_point
    ):
        return None
    n = 1
    for s in shape:
        n *= s
    axes = tuple(range(input.ndim - len(shape), input.ndim))
    return nary(NativeLayerNormBackward0, (input, weight, bias), axes, n, eps, [])
