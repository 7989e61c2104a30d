"""Distances and similarities between vectors: ``normalize``, ``cosine_similarity`` and
``pairwise_distance``, as PyTorch's ``nn.functional`` has them (and ``triplet_margin_loss``
and ``cosine_embedding_loss`` build on)."""

from __future__ import annotations

from ..._dispatch import _broadcast_message, broadcast_shape, broadcastable, unary
from ..._ops_clamp import clamp_min
from ..._ops_reduce import LinalgVectorNormBackward0, dims_of, norm
from ..._tensor import Tensor

__all__ = ["normalize", "cosine_similarity", "pairwise_distance"]


class NormBackward1(LinalgVectorNormBackward0):
    """``norm(x, p, dim)``, the node ``pairwise_distance`` records in PyTorch (its C++ calls
    ``at::norm``): the same forward and gradient as ``LinalgVectorNormBackward0``."""


def _check_p(p: float, op: str) -> float:
    """Any real ``p``, as PyTorch's: 0 counts the nonzero elements, a negative ``p`` gives
    ``(sum |x|**p)**(1/p)`` (0 where an element is 0), ``-inf`` the smallest ``|x|``."""
    if not isinstance(p, (int, float)) or isinstance(p, bool):
        raise TypeError(f"{op}(): argument 'p' must be a number, not {type(p).__name__}")
    return float(p)


def normalize(
    input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Tensor | None = None
) -> Tensor:
    """``input / max(||input||_p, eps)`` along ``dim``."""
    if out is not None:
        raise NotImplementedError("normalize(): out= is not supported; use the returned tensor")
    if not input.dtype.is_floating_point:
        raise RuntimeError(
            f"normalize(): expected a floating-point input, got {input.dtype.name} "
            "(convert with .float())"
        )
    axes = dims_of(dim, input.ndim, "normalize")
    n = unary(LinalgVectorNormBackward0, input, _check_p(p, "normalize"), axes, True)
    return input / clamp_min(n, eps)


def _clamped_norm(x: Tensor, dim: int, eps: float) -> Tensor:
    """``||x||`` along ``dim`` (kept), its value at least ``eps``; PyTorch clamps it under
    ``no_grad``, so the gradient is the unclamped norm's."""
    n = norm(x, 2, dim, keepdim=True)
    held = n.detach()
    return n + (clamp_min(held, eps) - held)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``sum(x1 * x2, dim) / (max(||x1||, eps) * max(||x2||, eps))``, broadcasting."""
    if not (x1.dtype.is_floating_point or x2.dtype.is_floating_point):
        raise RuntimeError(
            f"cosine_similarity(): expected floating-point inputs, got {x1.dtype.name} and "
            f"{x2.dtype.name} (convert with .float())"
        )
    if x1.shape != x2.shape:
        shapes = [list(x1.shape), list(x2.shape)]
        if not broadcastable(shapes):
            raise RuntimeError(_broadcast_message(shapes))
        shape = broadcast_shape(x1.shape, x2.shape)
        x1, x2 = x1.expand(*shape), x2.expand(*shape)
    return ((x1 / _clamped_norm(x1, dim, eps)) * (x2 / _clamped_norm(x2, dim, eps))).sum(dim)


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """``||x1 - x2 + eps||_p`` over the last dimension, broadcasting."""
    diff = x1 - x2 + eps
    axes = dims_of(max(x1.ndim, x2.ndim) - 1, diff.ndim, "pairwise_distance")
    return unary(NormBackward1, diff, _check_p(p, "pairwise_distance"), axes, keepdim)
