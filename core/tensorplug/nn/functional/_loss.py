"""Losses: mean squared and absolute error, negative log-likelihood, cross entropy and binary
cross entropy (from probabilities or from logits), each with PyTorch's ``reduction``."""

from __future__ import annotations

import math
import warnings
from typing import Any

from ... import _ops_reduce as _R
from ..._capture_state import capturing
from ..._contract import Array, KernelOps
from ..._creation import arange
from ..._dispatch import broadcast_shape, nary, unary
from ..._grad_mode import is_grad_enabled
from ..._graph import Node
from ..._ops_pointwise import where
from ..._tensor import Tensor
from ._activation import log_softmax

__all__ = [
    "mse_loss", "l1_loss", "nll_loss", "cross_entropy", "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
]  # fmt: skip


_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction: str, op: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}(): reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    _check_reduction(reduction, "loss")
    return (
        losses if reduction == "none" else (losses.mean() if reduction == "mean" else losses.sum())
    )


# fmt: off
class MseLossBackward0(Node):
    """``mean((a - b)**2)`` (or sum/none): grad a = 2 (a - b) g / n, grad b = -grad a."""
    op, save, broadcasts = "mse_loss", (0, 1), True

    @staticmethod
    def forward(k: Any, a: Any, b: Any, reduction: str) -> Any:
        if reduction != "none":  # fused kernels (issue 21)
            return k.mse_loss_mean(a, b) if reduction == "mean" else k.mse_loss_sum(a, b)
        d = k.sub(a, b)
        return k.mul(d, d)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, a: Array, b: Array) -> tuple[Array, Array]:
        scale = 2.0
        if ctx.args[0] == "mean":
            n = math.prod(broadcast_shape(list(a.shape), list(b.shape)))
            scale = 2.0 / n if n else 0.0
        gd = ops.mse_loss_backward(g, a, b, scale)
        na, nb = ctx.needs_input_grad
        return (ops.sum_to(gd, ctx.shapes[0]) if na else None,
                ops.sum_to(ops.neg(gd), ctx.shapes[1]) if nb else None)
# fmt: on


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error."""
    _check_reduction(reduction, "mse_loss")
    if input.shape != target.shape:
        warnings.warn(
            f"mse_loss(): using a target size ({list(target.shape)}) that is different to the "
            f"input size ({list(input.shape)}). This will likely lead to incorrect results due "
            "to broadcasting.",
            UserWarning,
            stacklevel=2,
        )
    return nary(MseLossBackward0, (input, target), reduction)


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean (or sum, or none) of ``|input - target|``."""
    _check_reduction(reduction, "l1_loss")
    return _reduce((input - target).abs(), reduction)


# fmt: off
class NllLossBackward0(Node):
    """``-sum(w_i * logp[i, t_i]) / sum(w_i)`` over rows (``w_i`` = 0 for ignored rows): grad
    logp = -g * w_i / den at each ``(i, t_i)``, zero elsewhere."""
    op = "nll_loss"

    @staticmethod
    def forward(k: Any, logp: Any, rows: Any, cols: Any, w: Any, reduction: str) -> Any:
        losses = k.nll_loss_terms(logp, rows, cols, w)  # one kernel on a GPU (issue 21)
        if reduction == "none":
            return losses
        total = k.sum(losses, None, False)
        return k.div(total, k.sum(w, None, False)) if reduction == "mean" else total

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        rows, cols, w, reduction = ctx.args
        mean = reduction == "mean"
        return (ops.nll_loss_backward(g, ctx.shapes[0], rows, cols, w, mean),)  # one kernel
# fmt: on


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of class indices ``target`` under log-probabilities ``input``."""
    _check_reduction(reduction, "nll_loss")
    if input.ndim != 2 or target.ndim != 1:
        raise ValueError(
            f"nll_loss(): expected input of shape (N, C) and target of shape (N,), got "
            f"{list(input.shape)} and {list(target.shape)}"
        )
    if target.dtype.is_floating_point:
        raise RuntimeError(
            f"nll_loss(): expected target of integer dtype (class indices), got {target.dtype.name}"
        )
    if input.shape[0] != target.shape[0]:
        raise ValueError(
            f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
            f"({target.shape[0]})."
        )
    if weight is not None and weight.requires_grad and is_grad_enabled():
        # PyTorch's nll_loss has no derivative for ``weight`` and refuses it rather than
        # silently leaving ``weight.grad`` empty; so does this one.
        raise RuntimeError(
            "nll_loss(): the function is not differentiable with respect to argument "
            "'weight'; this input cannot have requires_grad=True (pass weight.detach(), or "
            "compute the loss under no_grad())"
        )
    c = input.shape[1]
    tl = [] if capturing() else target.tolist()  # a graph cannot read the targets back
    bad = [t for t in tl if t != ignore_index and not 0 <= t < c]
    if bad:
        raise IndexError(f"nll_loss(): target {bad[0]} is out of bounds for {c} classes")
    rows = arange(input.shape[0], backend=input._backend)
    if weight is None:  # one kernel on a GPU (issue 21)
        cols, w = input._backend.k.nll_loss_weights(target._data, ignore_index, input._data)
        return unary(NllLossBackward0, input, rows._data, cols, w, reduction)
    keep = target != ignore_index
    cols_t = where(keep, target, 0)
    w_t = where(keep, weight.to(input.dtype)[cols_t], 0.0)
    return unary(NllLossBackward0, input, rows._data, cols_t._data, w_t._data, reduction)


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross entropy of logits ``input`` (N, C) against class indices or probabilities."""
    logp = log_softmax(input, 1)
    if target.dtype.is_floating_point:
        if target.shape != input.shape:
            raise ValueError(
                f"cross_entropy(): probability targets must have the input's shape "
                f"{list(input.shape)}, got {list(target.shape)}"
            )
        c = input.shape[1]
        if label_smoothing:
            target = target * (1 - label_smoothing) + label_smoothing / c
        losses = -(logp * target if weight is None else logp * target * weight).sum(1)
        return _reduce(losses, reduction)
    loss = nll_loss(logp, target, weight, ignore_index, reduction)
    if label_smoothing:
        c = input.shape[1]
        keep = (target != ignore_index).to(logp.dtype)
        smooth = -(logp if weight is None else logp * weight).sum(1) * keep / c
        denom = keep.sum() if weight is None else (weight[target.clamp(min=0)] * keep).sum()
        smooth_loss = smooth.sum() / denom if reduction == "mean" else _reduce(smooth, reduction)
        loss = loss * (1 - label_smoothing) + smooth_loss * label_smoothing
    return loss


def binary_cross_entropy(
    input: Tensor, target: Tensor, weight: Tensor | None = None, reduction: str = "mean"
) -> Tensor:
    """``-(t log(x) + (1 - t) log(1 - x))`` for probabilities ``x``; each log is clamped at
    -100 as PyTorch does, so a 0 or 1 gives a finite loss."""
    _check_reduction(reduction, "binary_cross_entropy")
    if input.shape != target.shape:
        raise ValueError(
            f"binary_cross_entropy(): target size ({list(target.shape)}) must be the same as "
            f"input size ({list(input.shape)})"
        )
    lo, hi = _R.amin(input.detach()).item(), _R.amax(input.detach()).item()
    if input.numel() and (lo < 0 or hi > 1):
        raise RuntimeError(
            "binary_cross_entropy(): all elements of input should be between "
            f"0 and 1, got values in [{lo}, {hi}]"
        )
    log_x = input.log().clamp(min=-100)
    log_1mx = (1 - input).log().clamp(min=-100)
    losses = -(target * log_x + (1 - target) * log_1mx)
    if weight is not None:
        losses = losses * weight
    return _reduce(losses, reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """``binary_cross_entropy(sigmoid(x), t)`` computed stably from logits:
    ``(1 - t) x + lw * softplus(-x)`` with ``lw = 1 + (pos_weight - 1) t``."""
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    if input.shape != target.shape:
        raise ValueError(
            f"binary_cross_entropy_with_logits(): target size ({list(target.shape)}) must be "
            f"the same as input size ({list(input.shape)})"
        )
    softplus_neg = (-input.abs()).exp().log1p() + (-input).relu()
    if pos_weight is not None:
        softplus_neg = softplus_neg * ((pos_weight - 1) * target + 1)
    losses = (1 - target) * input + softplus_neg
    if weight is not None:
        losses = losses * weight
    return _reduce(losses, reduction)
