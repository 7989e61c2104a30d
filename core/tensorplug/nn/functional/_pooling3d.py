"""``max_pool3d`` and ``avg_pool3d``: the 2-D pools' windows (``pool_geometry``, the taps of
``_pooling``) over three spatial dims, under PyTorch's 3-D node names."""

from __future__ import annotations

import math
from typing import Any

from ..._dispatch import nary, unary
from ..._grad_mode import no_grad
from ..._ops_reduce import _index_result
from ..._ops_rounding import floor_divide, remainder
from ..._tensor import Tensor
from ._pooling import (
    AvgPool2DBackward0,
    MaxPool2DWithIndicesBackward0,
    _batched,
    _divisor,
    _MaxTap,
    pool_geometry,
)
from ._windows import Geometry

__all__ = ["avg_pool3d", "max_pool3d"]


# fmt: off
class MaxPool3DWithIndicesBackward0(MaxPool2DWithIndicesBackward0):
    """``max_pool3d``: as ``max_pool2d``'s, over depth, height and width."""
    op = "max_pool3d"


class AvgPool3DBackward0(AvgPool2DBackward0):
    """``avg_pool3d``: as ``avg_pool2d``'s, over depth, height and width."""
    op = "avg_pool3d"
# fmt: on


def max_pool3d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """Max over each window of ``(N, C, D, H, W)`` (or ``(C, D, H, W)``); with
    ``return_indices``, also each maximum's flat index into ``D * H * W``.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.functional.max_pool3d(tp.arange(8.0).reshape(1, 2, 2, 2), 2).tolist()
        [[[[7.0]]]]
    """
    x, unbatched = _batched("max_pool3d", input, 3)
    if not x.dtype.is_floating_point and x.requires_grad:
        raise RuntimeError("max_pool3d(): only floating-point inputs can require grad")
    g = pool_geometry("max_pool3d", x, kernel_size, stride, padding, dilation, ceil_mode)
    tap = _index_result(unary(_MaxTap, x, g))
    out = nary(MaxPool3DWithIndicesBackward0, (x, tap), g)
    if not return_indices:
        return out.squeeze(0) if unbatched else out
    idx = _flat_indices(tap, g)
    return (out.squeeze(0), idx.squeeze(0)) if unbatched else (out, idx)


def _flat_indices(tap: Tensor, g: Geometry) -> Tensor:
    """Each window's tap (its offset in row-major kernel order) as a flat index into the
    input's spatial dims: ``sum_d (o_d * stride_d - pad_d + t_d * dilation_d) * step_d``."""
    with no_grad():
        flat = tap.new_zeros(())
        for d, (k, s, p, dil, n) in enumerate(
            zip(g.kernel, g.stride, g.pad_lo, g.dilation, g.size)
        ):
            t = remainder(floor_divide(tap, math.prod(g.kernel[d + 1 :])), k)
            at = [1] * tap.ndim
            at[2 + d] = g.out[d]
            o = _arange(tap, g.out[d]).reshape(at)
            flat = flat * n + (o * s - p + t * dil)
    return flat


def _arange(like: Tensor, n: int) -> Tensor:
    from ..._creation import arange

    return arange(n, backend=like._backend)


def avg_pool3d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Mean over each window of ``(N, C, D, H, W)`` (or ``(C, D, H, W)``), as PyTorch's:
    the zero padding counted unless ``count_include_pad=False``, ``divisor_override``
    replacing the count.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.functional.avg_pool3d(tp.arange(8.0).reshape(1, 2, 2, 2), 2).tolist()
        [[[[3.5]]]]
    """
    x, unbatched = _batched("avg_pool3d", input, 3)
    if not x.dtype.is_floating_point:
        raise NotImplementedError(f"\"avg_pool3d\" not implemented for '{x.dtype.name}'")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("avg_pool3d(): divisor must be not zero")
    g = pool_geometry("avg_pool3d", x, kernel_size, stride, padding, 1, ceil_mode)
    div = _divisor(x, g, count_include_pad, divisor_override)
    out = unary(AvgPool3DBackward0, x, g, div)
    return out.squeeze(0) if unbatched else out
