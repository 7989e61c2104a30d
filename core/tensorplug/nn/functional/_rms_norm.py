"""Root-mean-square layer normalisation (Zhang and Sennrich, 2019), as PyTorch's
``F.rms_norm``: a composition ending in ``MulBackward0``, as PyTorch's."""

from __future__ import annotations

from typing import Any

from ... import _dtype as D
from ..._tensor import Tensor

__all__ = ["rms_norm"]


def normalized(normalized_shape: Any) -> tuple[int, ...]:
    """``normalized_shape`` (an int or a sequence of ints) as a tuple."""
    if isinstance(normalized_shape, int):
        return (normalized_shape,)
    return tuple(int(s) for s in normalized_shape)


def rms_norm(
    input: Tensor,
    normalized_shape: Any,
    weight: Tensor | None = None,
    eps: float | None = None,
) -> Tensor:
    """``x / sqrt(mean(x**2) + eps) * weight``, the mean over the trailing
    ``normalized_shape`` dims; ``eps=None`` is the machine epsilon of the input's dtype.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.functional.rms_norm(tp.tensor([[3.0, 4.0]]), (2,), eps=0.0)
        tensor([[0.8485, 1.1314]])
    """
    if isinstance(normalized_shape, int):
        raise TypeError(
            "rms_norm(): argument 'normalized_shape' (position 2) must be a tuple of ints, not int"
        )
    shape = normalized(normalized_shape)
    if weight is not None and tuple(weight.shape) != shape:
        raise RuntimeError(
            "Expected weight to be of same shape as normalized_shape, but got weight of shape "
            f"{list(weight.shape)} and normalized_shape = {list(shape)}"
        )
    n = len(shape)
    if n == 0 or input.ndim < n or tuple(input.shape[input.ndim - n :]) != shape:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape "
            f"[*{', '.join(map(str, shape))}], but got input of size{list(input.shape)}"
        )
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"rms_norm: expected a floating-point input, got {input.dtype.name}")
    if eps is None:
        eps = D.finfo(input.dtype).eps
    dims = tuple(range(input.ndim - n, input.ndim))
    out = input * (input * input).mean(dims, keepdim=True).add(eps).rsqrt()
    return out if weight is None else out * weight
