"""More pooling, as PyTorch's ``nn.functional`` has it: adaptive pooling over three spatial
dims, power-average pooling (``lp_pool1d/2d/3d``) and the partial inverses of max pooling
(``max_unpool1d/2d/3d``).

All are compositions of differentiable ops (PyTorch's ``lp_pool`` is one too): adaptive
pooling over a box is separable (the mean, or the first maximum, over the box is that over
depth of those over each ``H x W`` plane), so the 3-D forms run the 2-D pool on the planes
and the 1-D pool across depth; unpooling scatters each value to its index in a zero output.
"""

from __future__ import annotations

from typing import Any

from ..._creation import zeros
from ..._ops_pointwise import relu
from ..._tensor import Tensor
from ._pooling import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
)
from ._pooling3d import avg_pool3d
from ._windows import ntuple

__all__ = [
    "adaptive_avg_pool3d", "adaptive_max_pool3d", "lp_pool1d", "lp_pool2d", "lp_pool3d",
    "max_unpool1d", "max_unpool2d", "max_unpool3d",
]  # fmt: skip


def _volume(op: str, input: Tensor, output_size: Any) -> tuple[Tensor, tuple[int, ...], bool]:
    """The input as ``(N, C, D, H, W)``, the output's three sizes (``None`` keeps a dim's),
    and whether the input was unbatched."""
    if input.ndim not in (4, 5):
        raise RuntimeError(f"{op}(): Expected 4D or 5D tensor, but got: {list(input.shape)}")
    if any(s == 0 for s in input.shape[-4:]):
        raise RuntimeError(
            f"{op}(): Expected input to have non-zero size for non-batch dimensions, but "
            f"input has sizes {list(input.shape)}"
        )
    sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * 3
    if len(sizes) != 3:
        raise RuntimeError(f"{op}(): internal error: output_size.size() must be 3")
    out = tuple(int(input.shape[d]) if s is None else int(s) for d, s in zip((-3, -2, -1), sizes))
    x = input.unsqueeze(0) if input.ndim == 4 else input
    return x, out, input.ndim == 4


def _across_depth(planes: Tensor, n: int, c: int, d: int) -> Tensor:
    """``(N, C * D, oh, ow)`` -> ``(N, C * oh * ow, D)``: depth last, for a 1-D pool."""
    oh, ow = planes.shape[-2:]
    return planes.reshape(n, c, d, oh * ow).transpose(2, 3).reshape(n, c * oh * ow, d)


def _back(pooled: Tensor, n: int, c: int, oh: int, ow: int) -> Tensor:
    """``(N, C * oh * ow, od)`` -> ``(N, C, od, oh, ow)``."""
    return pooled.reshape(n, c, oh, ow, -1).permute(0, 1, 4, 2, 3)


def adaptive_avg_pool3d(input: Tensor, output_size: Any) -> Tensor:
    """Mean over ``output_size`` near-equal bins per spatial dim of ``(N, C, D, H, W)`` (or
    ``(C, D, H, W)``).

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.functional.adaptive_avg_pool3d(tp.arange(8.0).reshape(1, 2, 2, 2), 1)
        tensor([[[[3.5000]]]])
    """
    x, (od, oh, ow), unbatched = _volume("adaptive_avg_pool3d", input, output_size)
    n, c, d, h, w = x.shape
    planes = adaptive_avg_pool2d(x.reshape(n, c * d, h, w), (oh, ow))
    out = _back(adaptive_avg_pool1d(_across_depth(planes, n, c, d), od), n, c, oh, ow)
    return out.squeeze(0) if unbatched else out


def adaptive_max_pool3d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max over ``output_size`` near-equal bins per spatial dim of ``(N, C, D, H, W)`` (or
    ``(C, D, H, W)``); with ``return_indices``, also each maximum's flat index into
    ``D * H * W``."""
    x, (od, oh, ow), unbatched = _volume("adaptive_max_pool3d", input, output_size)
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"\"adaptive_max_pool3d\" not implemented for '{x.dtype.name}'")
    n, c, d, h, w = x.shape
    planes, flat = adaptive_max_pool2d(x.reshape(n, c * d, h, w), (oh, ow), True)
    values, depth = adaptive_max_pool1d(_across_depth(planes, n, c, d), od, True)
    out = _back(values, n, c, oh, ow)
    if not return_indices:
        return out.squeeze(0) if unbatched else out
    # The plane index of each bin's maximum, read at the depth that won.
    per_depth = flat.reshape(n, c, d, oh, ow).permute(0, 1, 3, 4, 2)
    at = depth.reshape(n, c, oh, ow, od)
    index = (at * (h * w) + per_depth.gather(4, at)).permute(0, 1, 4, 2, 3)
    return (out.squeeze(0), index.squeeze(0)) if unbatched else (out, index)


def _lp(pooled: Tensor, norm_type: float, taps: int) -> Tensor:
    """``(sum of x**p over the window) ** (1 / p)`` from the window's mean of ``x**p``."""
    return (pooled.sign() * relu(pooled.abs())).mul(taps).pow(1.0 / norm_type)


def lp_pool1d(
    input: Tensor, norm_type: float, kernel_size: int, stride: Any = None, ceil_mode: bool = False
) -> Tensor:
    """Power-average pooling over ``(N, C, L)``: ``(sum of x**p over each window) ** (1/p)``.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.functional.lp_pool1d(tp.tensor([[3.0, 4.0]]), 2, 2)
        tensor([[5.]])
    """
    (k,) = ntuple(kernel_size, 1, "kernel_size", "lp_pool1d")
    pooled = avg_pool1d(input.pow(norm_type), k, stride, 0, ceil_mode)
    return _lp(pooled, norm_type, k)


def lp_pool2d(
    input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False
) -> Tensor:
    """Power-average pooling over ``(N, C, H, W)``: ``(sum of x**p over each window) **
    (1/p)``."""
    kh, kw = ntuple(kernel_size, 2, "kernel_size", "lp_pool2d")
    pooled = avg_pool2d(input.pow(norm_type), (kh, kw), stride, 0, ceil_mode)
    return _lp(pooled, norm_type, kh * kw)


def lp_pool3d(
    input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False
) -> Tensor:
    """Power-average pooling over ``(N, C, D, H, W)``."""
    kd, kh, kw = ntuple(kernel_size, 3, "kernel_size", "lp_pool3d")
    pooled = avg_pool3d(input.pow(norm_type), (kd, kh, kw), stride, 0, ceil_mode)
    return _lp(pooled, norm_type, kd * kh * kw)


def _unpool_size(
    input: Tensor, dims: int, kernel: Any, stride: Any, padding: Any, output_size: Any, op: str
) -> tuple[int, ...]:
    ks = ntuple(kernel, dims, "kernel_size", op)
    st = ks if stride is None else ntuple(stride, dims, "stride", op)
    pd = ntuple(padding, dims, "padding", op)
    spatial = input.shape[-dims:]
    default = tuple((i - 1) * s - 2 * p + k for i, k, s, p in zip(spatial, ks, st, pd))
    if output_size is None:
        return default
    size = tuple(int(s) for s in output_size)
    if len(size) == dims + 2:
        size = size[2:]
    if len(size) != dims:
        raise ValueError(
            f"output_size should be a sequence containing {dims} or {dims + 2} elements, but "
            f"it has a length of '{len(size)}'"
        )
    for i, (s, mid) in enumerate(zip(size, default)):
        if not mid - st[i] < s < mid + st[i]:
            raise ValueError(
                f'invalid output_size "{size}" (dim {i} must be between {mid - st[i]} and '
                f"{mid + st[i]})"
            )
    return size


def _unpool(
    input: Tensor,
    indices: Tensor,
    dims: int,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    output_size: Any,
    op: str,
) -> Tensor:
    if indices.dtype.name != "int64":
        raise RuntimeError(
            f"elements in indices should be type int64 but got: {indices.dtype.name}"
        )
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(
            "Expected shape of indices to be same as that of the input tensor "
            f"({list(input.shape)}) but got indices tensor with shape: {list(indices.shape)}"
        )
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(
            f"{op}(): Expected {dims + 1}D or {dims + 2}D input, but got {list(input.shape)}"
        )
    size = _unpool_size(input, dims, kernel_size, stride, padding, output_size, op)
    lead = input.shape[:-dims]
    volume = 1
    for s in size:
        volume *= s
    flat_index = indices.reshape(*lead, -1)
    if flat_index.numel() and (
        int(flat_index.min().item()) < 0 or int(flat_index.max().item()) >= volume
    ):
        bad = int(flat_index.max().item()) if int(flat_index.min().item()) >= 0 else -1
        raise RuntimeError(
            f"Found an invalid max index: {bad} (output volumes are of size "
            f"{'x'.join(map(str, size))})"
        )
    out = zeros(*lead, volume, dtype=input.dtype, backend=input._backend)
    out = out.scatter(input.ndim - dims, flat_index, input.reshape(*lead, -1))
    return out.reshape(*lead, *size)


def max_unpool1d(
    input: Tensor,
    indices: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Any = None,
) -> Tensor:
    """The partial inverse of ``max_pool1d``: each value put back at its ``indices`` (those
    ``max_pool1d(..., return_indices=True)`` gives), zeros elsewhere."""
    return _unpool(input, indices, 1, kernel_size, stride, padding, output_size, "max_unpool1d")


def max_unpool2d(
    input: Tensor,
    indices: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Any = None,
) -> Tensor:
    """The partial inverse of ``max_pool2d``: each value put back at its flat ``indices``
    into ``H * W``, zeros elsewhere.

    Example:
        >>> import tensorplug as tp
        >>> F = tp.nn.functional
        >>> out, idx = F.max_pool2d(tp.tensor([[[1.0, 2.0], [4.0, 3.0]]]), 2, return_indices=True)
        >>> F.max_unpool2d(out, idx, 2)
        tensor([[[0., 0.],
                 [4., 0.]]])
    """
    return _unpool(input, indices, 2, kernel_size, stride, padding, output_size, "max_unpool2d")


def max_unpool3d(
    input: Tensor,
    indices: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Any = None,
) -> Tensor:
    """The partial inverse of ``max_pool3d``: each value put back at its flat ``indices``
    into ``D * H * W``, zeros elsewhere."""
    return _unpool(input, indices, 3, kernel_size, stride, padding, output_size, "max_unpool3d")
