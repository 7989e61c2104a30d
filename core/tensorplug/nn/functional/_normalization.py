"""Normalisation: ``layer_norm`` over the trailing dims, ``batch_norm`` per channel,
``group_norm`` per group of channels, ``instance_norm`` per channel of each sample and
``local_response_norm`` across neighbouring channels, composed from differentiable ops."""

from __future__ import annotations

from typing import Any

from ..._grad_mode import no_grad
from ..._tensor import Tensor
from ._layer_norm import fused_layer_norm

__all__ = ["layer_norm", "batch_norm", "group_norm", "instance_norm", "local_response_norm"]


def _standardize(x: Tensor, dims: tuple[int, ...], eps: float) -> tuple[Tensor, Tensor, Tensor]:
    """``(x - mean) / sqrt(var + eps)`` over ``dims`` (biased variance), with the mean and
    variance (dims kept)."""
    mu = x.mean(dims, keepdim=True)
    centered = x - mu
    var = (centered * centered).mean(dims, keepdim=True)
    return centered * (var + eps).rsqrt(), mu, var


def _affine(out: Tensor, weight: Tensor | None, bias: Tensor | None, shape: Any) -> Tensor:
    """``out * weight + bias``, each reshaped to ``shape`` (``None``: left out)."""
    if weight is not None:
        out = out * weight.reshape(shape)
    return out if bias is None else out + bias.reshape(shape)


def layer_norm(
    input: Tensor,
    normalized_shape: Any,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` dims, then scale and shift."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(shape) :]) != shape:
        raise RuntimeError(
            f"layer_norm(): expected input with trailing shape {list(shape)}, got "
            f"{list(input.shape)}"
        )
    fused = fused_layer_norm(input, shape, weight, bias, eps)  # one node, as PyTorch's
    if fused is not None:
        return fused
    out, _, _ = _standardize(input, tuple(range(input.ndim - len(shape), input.ndim)), eps)
    return _affine(out, weight, bias, shape)


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel (dim 1) of an ``(N, C, *)`` input by batch statistics (training:
    also updates the running estimates in place, the variance unbiased) or by the running
    estimates (eval)."""
    if input.ndim < 2:
        raise ValueError(
            f"batch_norm(): expected input of shape (N, C, *), got {list(input.shape)}"
        )
    c = input.shape[1]
    for name, t in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        if t is not None and t.numel() != c:
            raise RuntimeError(
                f"batch_norm(): {name} should contain {c} elements, one per channel of the "
                f"input of shape {list(input.shape)}; got {name} of shape {list(t.shape)}"
            )
    dims = (0, *range(2, input.ndim))
    bshape = (1, -1) + (1,) * (input.ndim - 2)
    if training:
        count = input.numel() // input.shape[1]
        if count <= 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size "
                f"{list(input.shape)}"
            )
        out, mu, var = _standardize(input, dims, eps)
        if running_mean is not None and running_var is not None:
            with no_grad():
                running_mean.mul_(1 - momentum).add_(mu.reshape(-1).detach() * momentum)
                unbiased = var.reshape(-1).detach() * (count / (count - 1))
                running_var.mul_(1 - momentum).add_(unbiased * momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm(): running_mean and running_var are needed in eval mode")
        out = (input - running_mean.reshape(bshape)) * (running_var.reshape(bshape) + eps).rsqrt()
    return _affine(out, weight, bias, bshape)


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each of ``num_groups`` groups of channels of ``(N, C, *)`` over its channels
    and spatial positions, then scale and shift per channel.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.functional.group_norm(tp.arange(8.0).reshape(1, 4, 2), 2).shape
        (1, 4, 2)
    """
    if input.ndim < 2:
        raise RuntimeError(
            f"Expected at least 2 dimensions for input tensor but received {input.ndim}"
        )
    n, c = input.shape[0], input.shape[1]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(
            f"Expected number of channels in input to be divisible by num_groups, but got "
            f"input of shape {list(input.shape)} and num_groups={num_groups}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.ndim != 1 or t.shape[0] != c):
            raise RuntimeError(
                f"Expected {name} to be a vector of size equal to the number of channels in "
                f"input, but got {name} of shape {list(t.shape)} and input of shape "
                f"{list(input.shape)}"
            )
    out, _, _ = _standardize(input.reshape(n, num_groups, -1), (2,), eps)
    return _affine(out.reshape(input.shape), weight, bias, (1, c) + (1,) * (input.ndim - 2))


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel of each sample of ``(N, C, *)`` over its spatial positions
    (``use_input_stats``; the running estimates, averaged over the batch, updated in place)
    or by the running estimates, then scale and shift per channel.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.functional.instance_norm(tp.arange(8.0).reshape(1, 2, 4)).shape
        (1, 2, 4)
    """
    if input.ndim < 3:
        raise ValueError(
            f"instance_norm(): expected an input of shape (N, C, *spatial), got {list(input.shape)}"
        )
    c = input.shape[1]
    bshape = (1, c) + (1,) * (input.ndim - 2)
    if use_input_stats:
        dims = tuple(range(2, input.ndim))
        count = input.numel() // (input.shape[0] * c) if input.numel() else 0
        if count <= 1:
            raise ValueError(
                f"Expected more than 1 spatial element when training, got input size "
                f"{list(input.shape)}"
            )
        out, mu, var = _standardize(input, dims, eps)
        if running_mean is not None and running_var is not None:
            with no_grad():
                running_mean.mul_(1 - momentum).add_(mu.mean(0).reshape(-1) * momentum)
                unbiased = var.mean(0).reshape(-1) * (count / (count - 1))
                running_var.mul_(1 - momentum).add_(unbiased * momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError(
                "Expected running_mean and running_var to be defined when use_input_stats is false"
            )
        out = (input - running_mean.reshape(bshape)) * (running_var.reshape(bshape) + eps).rsqrt()
    return _affine(out, weight, bias, bshape)


def local_response_norm(
    input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> Tensor:
    """Divide each element of ``(N, C, *)`` by ``(k + alpha * mean of the squares over
    the ``size`` neighbouring channels) ** beta``, as PyTorch's (zero channels beyond the
    ends counted in the mean).

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.functional.local_response_norm(tp.ones(1, 3, 2), 2).shape
        (1, 3, 2)
    """
    from ._padding import pad
    from ._pooling import avg_pool2d

    if input.ndim < 3:
        raise ValueError(
            f"Expected 3D or higher dimensionality input (got {input.ndim} dimensions)"
        )
    if input.numel() == 0:
        return input
    n, c = input.shape[0], input.shape[1]
    sq = (input * input).reshape(n, 1, c, -1)
    sq = pad(sq, (0, 0, size // 2, (size - 1) // 2))
    div = avg_pool2d(sq, (size, 1), stride=1).reshape(input.shape)
    return input / (div * alpha + k) ** beta
