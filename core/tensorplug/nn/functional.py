"""``tensorplug.nn.functional``: activations and losses with PyTorch's signatures."""

from __future__ import annotations

from typing import Any

from .. import _dtype as D
from .._autograd import OUT, Node
from .._creation import arange
from .._ops_pointwise import relu, sigmoid, tanh, where
from .._ops_shape import matmul
from .._tensor import Tensor, _dim, nary, unary


# fmt: off
class SoftmaxBackward0(Node):
    """``exp(x) / sum(exp(x), dim)``: grad = out * (g - sum(g * out, dim))."""
    op, float_only, save = "softmax", True, (OUT,)

    @staticmethod
    def forward(k: Any, x: Any, dim: int) -> Any:
        e = k.exp(k.sub(x, k.amax(x, (dim,), True)))
        return k.div(e, k.sum(e, (dim,), True))

    @staticmethod
    def backward(ctx: Any, ops: Any, g: Any, out: Any) -> tuple[Any]:
        dim = ctx.args[0]
        return (ops.mul(out, ops.sub(g, ops.sum(ops.mul(g, out), (dim,), True))),)


class LogSoftmaxBackward0(Node):
    """``x - logsumexp(x, dim)``: grad = g - exp(out) * sum(g, dim)."""
    op, float_only, save = "log_softmax", True, (OUT,)

    @staticmethod
    def forward(k: Any, x: Any, dim: int) -> Any:
        shifted = k.sub(x, k.amax(x, (dim,), True))
        return k.sub(shifted, k.log(k.sum(k.exp(shifted), (dim,), True)))

    @staticmethod
    def backward(ctx: Any, ops: Any, g: Any, out: Any) -> tuple[Any]:
        dim = ctx.args[0]
        return (ops.sub(g, ops.mul(ops.exp(out), ops.sum(g, (dim,), True))),)


class MseLossBackward0(Node):
    """``mean((a - b)**2)`` (or sum/none): grad a = 2 (a - b) g / n, grad b = -grad a."""
    op, save, broadcasts = "mse_loss", (0, 1), True

    @staticmethod
    def forward(k: Any, a: Any, b: Any, reduction: str) -> Any:
        d = k.sub(a, b)
        sq = k.mul(d, d)
        if reduction == "none":
            return sq
        total = k.sum(sq, None, False)
        return k.div(total, sq.size) if reduction == "mean" else total

    @staticmethod
    def backward(ctx: Any, ops: Any, g: Any, a: Any, b: Any) -> tuple[Any, Any]:
        reduction = ctx.args[0]
        d = ops.sub(a, b)
        scale = 2.0
        if reduction == "mean":
            n = 1
            for s in d.shape:
                n *= s
            scale = 2.0 / n if n else 0.0
        gd = ops.mul(ops.mul(d, scale), g)
        na, nb = ctx.needs_input_grad
        return (ops.sum_to(gd, ctx.shapes[0]) if na else None,
                ops.sum_to(ops.neg(gd), ctx.shapes[1]) if nb else None)


class NllLossBackward0(Node):
    """``-sum(w_i * logp[i, t_i]) / sum(w_i)`` over rows (``w_i`` = 0 for ignored rows): grad
    logp = -g * w_i / den at each ``(i, t_i)``, zero elsewhere."""
    op = "nll_loss"

    @staticmethod
    def forward(k: Any, logp: Any, rows: Any, cols: Any, w: Any, reduction: str) -> Any:
        losses = k.neg(k.mul(k.getitem(logp, (rows, cols)), w))
        if reduction == "none":
            return losses
        total = k.sum(losses, None, False)
        return k.div(total, k.sum(w, None, False)) if reduction == "mean" else total

    @staticmethod
    def backward(ctx: Any, ops: Any, g: Any) -> tuple[Any]:
        rows, cols, w, reduction = ctx.args
        coef = ops.const(w, g)
        if reduction == "mean":
            coef = ops.div(coef, ops.sum(coef, None, False))
        return (ops.index_grad(ops.neg(ops.mul(coef, g)), ctx.shapes[0], (rows, cols), True),)
# fmt: on


def softmax(input: Tensor, dim: int, dtype: D.dtype | None = None) -> Tensor:
    """Softmax along ``dim`` (shifted by the max, so large inputs don't overflow)."""
    if dtype is not None:
        input = input.to(dtype)
    return unary(SoftmaxBackward0, input, _dim(dim, input.ndim, "softmax"))


def log_softmax(input: Tensor, dim: int, dtype: D.dtype | None = None) -> Tensor:
    """``log(softmax(input, dim))`` computed stably."""
    if dtype is not None:
        input = input.to(dtype)
    return unary(LogSoftmaxBackward0, input, _dim(dim, input.ndim, "log_softmax"))


_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction: str, op: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}(): reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error."""
    _check_reduction(reduction, "mse_loss")
    if input.shape != target.shape:
        import warnings

        warnings.warn(
            f"mse_loss(): using a target size ({list(target.shape)}) that is different to the "
            f"input size ({list(input.shape)}). This will likely lead to incorrect results due "
            "to broadcasting.", UserWarning, stacklevel=2)
    return nary(MseLossBackward0, (input, target), reduction)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices ``target`` under log-probabilities ``input``."""
    _check_reduction(reduction, "nll_loss")
    if input.ndim != 2 or target.ndim != 1:
        raise ValueError(
            f"nll_loss(): expected input of shape (N, C) and target of shape (N,), got "
            f"{list(input.shape)} and {list(target.shape)}")
    if target.dtype.is_floating_point:
        raise RuntimeError(
            f"nll_loss(): expected target of integer dtype (class indices), got "
            f"{target.dtype.name}")
    if input.shape[0] != target.shape[0]:
        raise ValueError(
            f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
            f"({target.shape[0]}).")
    c = input.shape[1]
    tl = target.tolist()
    bad = [t for t in tl if t != ignore_index and not 0 <= t < c]
    if bad:
        raise IndexError(f"nll_loss(): target {bad[0]} is out of bounds for {c} classes")
    keep = target != ignore_index
    cols = where(keep, target, 0)
    w = keep.to(input.dtype) if weight is None else where(keep, weight.to(input.dtype)[cols], 0.0)
    rows = arange(input.shape[0], backend=input._backend)
    return unary(NllLossBackward0, input, rows._data, cols._data, w._data, reduction)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy of logits ``input`` (N, C) against class indices or probabilities."""
    logp = log_softmax(input, 1)
    if target.dtype.is_floating_point:
        if target.shape != input.shape:
            raise ValueError(
                f"cross_entropy(): probability targets must have the input's shape "
                f"{list(input.shape)}, got {list(target.shape)}")
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
        denom = keep.sum() if weight is None else (
            weight[target.clamp(min=0)] * keep).sum()
        smooth_loss = smooth.sum() / denom if reduction == "mean" else _reduce(smooth, reduction)
        loss = loss * (1 - label_smoothing) + smooth_loss * label_smoothing
    return loss


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    _check_reduction(reduction, "loss")
    return losses if reduction == "none" else (
        losses.mean() if reduction == "mean" else losses.sum())


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``."""
    out = matmul(input, weight.t() if weight.ndim == 2 else weight)
    return out if bias is None else out + bias


__all__ = [
    "cross_entropy", "linear", "log_softmax", "mse_loss", "nll_loss", "relu", "sigmoid",
    "softmax", "tanh",
]  # fmt: skip
