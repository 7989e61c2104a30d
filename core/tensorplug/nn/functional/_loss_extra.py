"""More losses, as PyTorch's ``nn.functional`` has them: robust regression (smooth L1, Huber),
divergences and likelihoods (KL, Poisson and Gaussian NLL), and the margin losses (ranking,
hinge embedding, triplet, cosine embedding, multi-label soft margin).

Smooth L1 and Huber are nodes of their own, as in PyTorch; the others are compositions whose
last node is the one PyTorch's composition ends in (``ClampMinBackward0``, ``AddBackward0``...).
Each takes PyTorch's ``reduction`` and, where PyTorch still accepts them, the deprecated
``size_average`` and ``reduce``.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from ..._contract import Array, KernelOps
from ..._dispatch import _broadcast_message, broadcastable, nary
from ..._graph import Node
from ..._ops_clamp import clamp_min
from ..._ops_pointwise import minimum, where
from ..._tensor import Tensor
from ._activation_extra import logsigmoid
from ._distance import pairwise_distance
from ._loss import _reduce

__all__ = [
    "smooth_l1_loss", "huber_loss", "kl_div", "poisson_nll_loss", "gaussian_nll_loss",
    "margin_ranking_loss", "hinge_embedding_loss", "triplet_margin_loss",
    "cosine_embedding_loss", "multilabel_soft_margin_loss",
]  # fmt: skip

_REDUCTIONS = ("none", "mean", "sum")


def _reduction(reduction: str, size_average: bool | None = None, reduce: bool | None = None) -> str:
    """``reduction``, or PyTorch's reading of the deprecated ``size_average``/``reduce``
    (with its warning); a name PyTorch does not know is a ``ValueError``."""
    if size_average is not None or reduce is not None:
        mean = size_average is None or size_average
        reduction = "none" if reduce is not None and not reduce else "mean" if mean else "sum"
        warnings.warn(
            f"size_average and reduce args will be deprecated, please use "
            f"reduction='{reduction}' instead.",
            UserWarning,
            stacklevel=3,
        )
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _size_warning(input: Tensor, target: Tensor) -> None:
    if input.shape != target.shape:
        warnings.warn(
            f"Using a target size ({list(target.shape)}) that is different to the input size "
            f"({list(input.shape)}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.",
            UserWarning,
            stacklevel=3,
        )


def _floating(a: Tensor, b: Tensor, op: str) -> None:
    """PyTorch's kernels of these losses exist for floating-point dtypes only."""
    if not (a.dtype.is_floating_point or b.dtype.is_floating_point):
        raise NotImplementedError(
            f"{op}(): not implemented for {a.dtype.name} and {b.dtype.name} tensors; it needs "
            "a floating-point input (convert with .float())"
        )


def _same_shape(a: Tensor, b: Tensor) -> None:
    """Broadcastable shapes, else PyTorch's message (``where`` alone would say less)."""
    shapes = [list(a.shape), list(b.shape)]
    if not broadcastable(shapes):
        raise RuntimeError(_broadcast_message(shapes))


def _reduced(k: Any, losses: Any, reduction: str) -> Any:
    if reduction == "none":
        return losses
    total = k.sum(losses, None, False)
    return k.div(total, math.prod(losses.shape)) if reduction == "mean" else total


def _pair_grads(ctx: Node, ops: KernelOps, gd: Array) -> tuple[Array | None, Array | None]:
    """``gd`` (the gradient of ``a - b``) per input, each summed to its input's shape."""
    na, nb = ctx.needs_input_grad
    return (ops.sum_to(gd, ctx.shapes[0]) if na else None,
            ops.sum_to(ops.neg(gd), ctx.shapes[1]) if nb else None)  # fmt: skip


def _mean_scale(d: Any, reduction: str) -> float:
    if reduction != "mean":
        return 1.0
    n = 1
    for s in d.shape:
        n *= s
    return 1.0 / n if n else 0.0


# fmt: off
class SmoothL1LossBackward0(Node):
    """``0.5 d**2 / beta`` where ``|d| < beta``, ``|d| - 0.5 beta`` elsewhere (d = a - b),
    reduced: grad a = g * clamp(d / beta, -1, 1) (/ n for the mean), grad b = -grad a."""
    op, save, broadcasts = "smooth_l1_loss", (0, 1), True

    @staticmethod
    def forward(k: Any, a: Any, b: Any, reduction: str, beta: float) -> Any:
        d = k.sub(a, b)
        ad = k.abs(d)
        quad = k.div(k.mul(k.mul(d, d), 0.5), beta)
        return _reduced(k, k.where(k.lt(ad, beta), quad, k.sub(ad, 0.5 * beta)), reduction)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, a: Array, b: Array) -> tuple[Any, ...]:
        reduction, beta = ctx.args
        d = ops.sub(a, b)
        slope = ops.minimum(ops.maximum(ops.div(d, beta), -1.0), 1.0)
        return _pair_grads(ctx, ops, ops.mul(ops.mul(slope, _mean_scale(d, reduction)), g))


class HuberLossBackward0(Node):
    """``0.5 d**2`` where ``|d| < delta``, ``delta (|d| - 0.5 delta)`` elsewhere (d = a - b),
    reduced: grad a = g * clamp(d, -delta, delta) (/ n for the mean), grad b = -grad a."""
    op, save, broadcasts = "huber_loss", (0, 1), True

    @staticmethod
    def forward(k: Any, a: Any, b: Any, reduction: str, delta: float) -> Any:
        d = k.sub(a, b)
        ad = k.abs(d)
        lin = k.mul(k.sub(ad, 0.5 * delta), delta)
        return _reduced(k, k.where(k.lt(ad, delta), k.mul(k.mul(d, d), 0.5), lin), reduction)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, a: Array, b: Array) -> tuple[Any, ...]:
        reduction, delta = ctx.args
        d = ops.sub(a, b)
        slope = ops.minimum(ops.maximum(d, -delta), delta)
        return _pair_grads(ctx, ops, ops.mul(ops.mul(slope, _mean_scale(d, reduction)), g))
# fmt: on


def smooth_l1_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """Quadratic below ``beta``, linear above (Girshick's Fast R-CNN loss); ``beta=0`` is L1."""
    _size_warning(input, target)
    reduction = _reduction(reduction, size_average, reduce)
    _floating(input, target, "smooth_l1_loss")
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return _reduce((input - target).abs(), reduction)
    return nary(SmoothL1LossBackward0, (input, target), reduction, float(beta))


def huber_loss(
    input: Tensor,
    target: Tensor,
    reduction: str = "mean",
    delta: float = 1.0,
    weight: Tensor | None = None,
) -> Tensor:
    """Quadratic below ``delta``, ``delta``-scaled linear above; ``weight`` scales each
    element's loss before the reduction."""
    _size_warning(input, target)
    _floating(input, target, "huber_loss")
    if weight is None:
        reduction = _reduction(reduction)
        if delta <= 0:
            raise RuntimeError("huber_loss does not support non-positive values for delta.")
        return nary(HuberLossBackward0, (input, target), reduction, float(delta))
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'."
        )
    return _reduce(huber_loss(input, target, "none", delta) * weight, reduction)


def _xlogx(t: Tensor) -> Tensor:
    """``t * log(t)``, 0 at t = 0 (``xlogy(t, t)``)."""
    zero = t == 0
    return where(zero, 0.0, t * where(zero, 1.0, t).log())


def kl_div(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """``target * (log(target) - input)`` pointwise (``input`` holds log-probabilities;
    ``log_target``: so does ``target``); ``reduction="batchmean"`` divides the sum by the
    batch size, the KL divergence's definition."""
    if size_average is not None or reduce is not None:
        reduction = _reduction(reduction, size_average, reduce)
    elif reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.",
            UserWarning,
            stacklevel=2,
        )
    elif reduction != "batchmean":
        _reduction(reduction)
    if not (input.dtype.is_floating_point and target.dtype.is_floating_point):
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if log_target:
        losses = target.exp() * (target - input)
    else:
        losses = _xlogx(target) - target * input
    if reduction == "batchmean":
        total = losses.sum()
        return total / input.shape[0] if input.ndim else total
    return _reduce(losses, reduction)


def poisson_nll_loss(
    input: Tensor,
    target: Tensor,
    log_input: bool = True,
    full: bool = False,
    size_average: bool | None = None,
    eps: float = 1e-8,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """``exp(input) - target * input`` (``log_input``), else ``input - target * log(input +
    eps)``; ``full`` adds Stirling's ``t log t - t + log(2 pi t) / 2`` where ``t > 1``."""
    reduction = _reduction(reduction, size_average, reduce)
    if log_input:
        losses = input.exp() - target * input
    else:
        losses = input - target * (input + eps).log()
    if full:
        big = target > 1
        safe = where(big, target, 2.0)
        stirling = safe * safe.log() - safe + (safe * (2 * math.pi)).log() * 0.5
        losses = losses + where(big, stirling, 0.0)
    return _reduce(losses, reduction)


def _gaussian_var(input: Tensor, var: Tensor | float) -> Tensor:
    """``var`` checked and shaped as PyTorch does (one per element, or one per row)."""
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        return input.new_full(input.shape, float(var))
    if (var.detach() < 0).any().item():
        raise ValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            return var.unsqueeze(-1)
        mismatched = [v for i, v in zip(input.shape, var.shape) if i != v]
        if not (input.ndim == var.ndim and sum(mismatched) == 1):
            raise ValueError("var is of incorrect size")
    return var


def gaussian_nll_loss(
    input: Tensor,
    target: Tensor,
    var: Tensor | float,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """``(log(var) + (input - target)**2 / var) / 2`` (+ ``log(2 pi) / 2`` if ``full``);
    ``var`` is clamped at ``eps`` for its value only, as PyTorch does it under ``no_grad``."""
    v = _gaussian_var(input, var)
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    held = v.detach()
    v = v + (clamp_min(held, eps) - held)
    losses = 0.5 * (v.log() + (input - target) ** 2 / v)
    if full:
        losses = losses + 0.5 * math.log(2 * math.pi)
    return _reduce(losses, reduction)


def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """``max(0, -target * (input1 - input2) + margin)``; ``target`` is 1 or -1."""
    reduction = _reduction(reduction, size_average, reduce)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(
            "margin_ranking_loss : All input tensors should have same dimension but got "
            f"sizes: input1: {list(input1.shape)}, input2: {list(input2.shape)}, target: "
            f"{list(target.shape)} "
        )
    return _reduce(clamp_min(-target * (input1 - input2) + margin, 0), reduction)


def hinge_embedding_loss(
    input: Tensor,
    target: Tensor,
    margin: float = 1.0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """``input`` where ``target`` is 1, ``max(0, margin - input)`` where it is -1."""
    reduction = _reduction(reduction, size_average, reduce)
    _same_shape(input, target)
    zeros = input.new_zeros(())
    over = where(target != 1, clamp_min(margin - input, 0), zeros)
    return _reduce(over + where(target != -1, input, zeros), reduction)


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """``max(0, margin + d(anchor, positive) - d(anchor, negative))``, ``d`` the p-norm
    ``pairwise_distance``; ``swap`` uses ``min(d(a, n), d(p, n))`` for the negative."""
    reduction = _reduction(reduction, size_average, reduce)
    return triplet(anchor, positive, negative, lambda a, b: pairwise_distance(a, b, p, eps),
                   margin, swap, reduction)  # fmt: skip


def triplet(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    d: Any,
    margin: float,
    swap: bool,
    reduction: str,
) -> Tensor:
    """``max(0, margin + d(anchor, positive) - d(anchor, negative))`` after PyTorch's checks
    (``swap``: ``min(d(a, n), d(p, n))`` for the negative), reduced."""
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number "
            f"of dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, and "
            f"negative {negative.ndim}D inputs"
        )
    d_pos, d_neg = d(anchor, positive), d(anchor, negative)
    if swap:
        d_neg = minimum(d_neg, d(positive, negative))
    return _reduce(clamp_min(margin + d_pos - d_neg, 0), reduction)


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """``1 - cos(x1, x2)`` where ``target`` is 1, ``max(0, cos(x1, x2) - margin)`` where it
    is -1 (rows of 2-D inputs, or two vectors with a 0-d target)."""
    reduction = _reduction(reduction, size_average, reduce)
    if target.ndim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    want = target.ndim + 1
    if input1.ndim != want or input2.ndim != want:
        raise RuntimeError(
            f"{target.ndim}D target tensor expects {want}D input tensors, but found inputs "
            f"with sizes {list(input1.shape)} and {list(input2.shape)}."
        )
    d = target.ndim
    mag = ((input1 * input1).sum(d) + 1e-12) * ((input2 * input2).sum(d) + 1e-12)
    cos = (input1 * input2).sum(d) / mag.sqrt()
    _same_shape(cos, target)
    zeros = cos.new_zeros(())
    pos = where(target == 1, 1 - cos, zeros)
    return _reduce(pos + where(target == -1, clamp_min(cos - margin, 0), zeros), reduction)


def multilabel_soft_margin_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Binary cross entropy of ``sigmoid(input)`` against 0/1 ``target`` per class, averaged
    over the classes (the last dimension)."""
    reduction = _reduction(reduction, size_average, reduce)
    losses = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        losses = losses * weight
    c = input.ndim - 1
    return _reduce(losses.sum(c) / input.shape[c], reduction)
