"""The margin losses of classification and metric learning that PyTorch's ``nn.functional``
has beyond issue 16's first set: ``soft_margin_loss`` (two-class logistic),
``multi_margin_loss`` (multi-class hinge), ``multilabel_margin_loss`` (multi-class
multi-label hinge) and ``triplet_margin_with_distance_loss`` (any distance).

Each is a composition of differentiable tensor ops (so its backward, and double backward,
come from theirs); PyTorch records the first three as nodes of their own
(``SoftMarginLossBackward0``...), which the op database notes.
"""

from __future__ import annotations

from collections.abc import Callable

from ..._ops_clamp import clamp_min
from ..._tensor import Tensor
from ._activation import softplus
from ._distance import pairwise_distance
from ._loss import _reduce
from ._loss_extra import _reduction, triplet
from ._sparse import one_hot

__all__ = [
    "soft_margin_loss", "multi_margin_loss", "multilabel_margin_loss",
    "triplet_margin_with_distance_loss",
]  # fmt: skip


def soft_margin_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """``log(1 + exp(-target * input))``, ``target`` 1 or -1.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.functional.soft_margin_loss(tp.tensor([0.0]), tp.tensor([1.0]))
        tensor(0.6931)
    """
    reduction = _reduction(reduction, size_average, reduce)
    return _reduce(softplus(-target * input), reduction)


def _classes(input: Tensor, target: Tensor, op: str) -> tuple[Tensor, Tensor, bool]:
    """``(N, C)`` input (a ``(C,)`` one as a batch of one) and its ``(N, ...)`` target."""
    if input.ndim > 2 or (input.numel() == 0 and input.ndim != 2):
        raise RuntimeError(
            "Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
            f"{list(input.shape)}"
        )
    if target.dtype.is_floating_point or target.dtype.name == "bool":
        raise RuntimeError(f"{op}: expected an integer (class index) target, got {target.dtype}")
    single = input.ndim < 2
    if single:
        return input.reshape(1, -1), target.reshape(1, -1), True
    return input, target, False


def multi_margin_loss(
    input: Tensor,
    target: Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-class hinge: ``sum_{j != y} max(0, margin - x[y] + x[j])**p * weight[y] / C``
    per sample, ``y`` its class."""
    reduction = _reduction(reduction, size_average, reduce)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    x, t, single = _classes(input, target, "multi_margin_loss")
    n, c = x.shape
    t = t.reshape(-1)
    if (target.ndim > 1 or (target.ndim == 1 and single)) or t.shape[0] != n:
        raise RuntimeError(
            "multi_margin_loss: target tensor should be 1-D with size equal to the number of "
            f"input samples (batch size). Expected target size [{n}], but got "
            f"{list(target.shape)}. Input has shape {list(input.shape)}."
        )
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != c):
        raise RuntimeError(f"inconsistent weight size, expected {c} but got {list(weight.shape)}")
    if t.numel() and (int(t.min().item()) < 0 or int(t.max().item()) >= c):
        raise RuntimeError("target out of range")
    index = t.reshape(n, 1)
    z = clamp_min(x - x.gather(1, index) + margin, 0)
    z = z * z if p == 2 else z
    if weight is not None:
        z = z * weight[t].reshape(n, 1)
    others = 1 - one_hot(t, c).to(x.dtype)  # the class itself takes no loss
    losses = (z * others).sum(1) / c
    return _reduce(losses.reshape(()) if single else losses, reduction)


def multilabel_margin_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-label hinge: ``sum_{j in y, i not in y} max(0, 1 - (x[j] - x[i])) / C`` per
    sample, its labels ``y`` the target's entries before the first -1."""
    reduction = _reduction(reduction, size_average, reduce)
    x, t, single = _classes(input, target, "multilabel_margin_loss")
    if tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(
            f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}"
        )
    c = x.shape[1]
    if t.numel() and (int(t.min().item()) < -1 or int(t.max().item()) >= c):
        raise RuntimeError("argument #2 'target' is out of range")
    valid = (t != -1).to(x.dtype).cumprod(1)  # 1 up to the first -1
    label = t.clamp(min=0)
    is_label = ((one_hot(label, c).to(x.dtype) * valid.unsqueeze(2)).sum(1) > 0).to(x.dtype)
    x_label = x.gather(1, label)  # (N, C): the score of each listed label
    hinge = clamp_min(1 - x_label.unsqueeze(2) + x.unsqueeze(1), 0)  # (N, label, class)
    pairs = valid.unsqueeze(2) * (1 - is_label).unsqueeze(1)
    losses = (hinge * pairs).sum((1, 2)) / c
    return _reduce(losses.reshape(()) if single else losses, reduction)


def triplet_margin_with_distance_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    *,
    distance_function: Callable[[Tensor, Tensor], Tensor] | None = None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """``max(0, margin + d(anchor, positive) - d(anchor, negative))`` with any distance
    ``d`` (default ``pairwise_distance``); ``swap`` uses ``min(d(a, n), d(p, n))``."""
    d = pairwise_distance if distance_function is None else distance_function
    return triplet(anchor, positive, negative, d, margin, swap, _reduction(reduction))
