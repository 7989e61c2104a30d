"""Convolution and pooling, all built on ``unfold`` (im2col, this module's one node class):
``conv2d`` multiplies the weight with the columns, and the pools reduce over them."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from ..._contract import Array, KernelOps
from ..._creation import arange, ones
from ..._dispatch import unary
from ..._graph import Node
from ..._linalg import matmul
from ..._ops_pointwise import where
from ..._tensor import Tensor

__all__ = ["unfold", "conv2d", "max_pool2d", "avg_pool2d"]


class _Geom(NamedTuple):
    """Kernel, dilation, padding and stride of an unfold, and its output size (ho, wo)."""

    kh: int
    kw: int
    dh: int
    dw: int
    ph: int
    pw: int
    sh: int
    sw: int
    ho: int
    wo: int


def _window(i: int, j: int, geom: _Geom) -> tuple[slice, ...]:
    """The strided slice of the padded input that window offset (i, j) reads."""
    r, q = i * geom.dh, j * geom.dw
    return (
        slice(None),
        slice(None),
        slice(r, r + geom.sh * (geom.ho - 1) + 1, geom.sh),
        slice(q, q + geom.sw * (geom.wo - 1) + 1, geom.sw),
    )


def _pair(v: Any, name: str, op: str) -> tuple[int, int]:
    if isinstance(v, int):
        return (v, v)
    if isinstance(v, (tuple, list)) and len(v) == 2 and all(isinstance(a, int) for a in v):
        return (int(v[0]), int(v[1]))
    raise TypeError(f"{op}(): {name} must be an int or a pair of ints, got {v!r}")


def _geometry(
    x: Tensor, kernel_size: Any, dilation: Any, padding: Any, stride: Any, op: str
) -> _Geom:
    if not isinstance(x, Tensor) or x.ndim != 4:
        shape = list(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"{op}(): expected a 4-D input (N, C, H, W), got {shape}")
    kh, kw = _pair(kernel_size, "kernel_size", op)
    dh, dw = _pair(dilation, "dilation", op)
    ph, pw = _pair(padding, "padding", op)
    sh, sw = _pair(stride, "stride", op)
    if min(kh, kw, dh, dw, sh, sw) <= 0 or min(ph, pw) < 0:
        raise ValueError(
            f"{op}(): kernel_size, dilation and stride must be positive and padding "
            f"non-negative, got kernel_size={(kh, kw)}, dilation={(dh, dw)}, "
            f"stride={(sh, sw)}, padding={(ph, pw)}"
        )
    h, w = x.shape[2] + 2 * ph, x.shape[3] + 2 * pw
    ho = (h - dh * (kh - 1) - 1) // sh + 1
    wo = (w - dw * (kw - 1) - 1) // sw + 1
    if ho <= 0 or wo <= 0:
        raise ValueError(
            f"{op}(): input of spatial size {list(x.shape[2:])} (padded to {[h, w]}) is "
            f"smaller than the kernel {[kh, kw]} with dilation {[dh, dw]}"
        )
    return _Geom(kh, kw, dh, dw, ph, pw, sh, sw, ho, wo)


# fmt: off
class Im2ColBackward0(Node):
    """``unfold``: the sliding (kh, kw) windows of a padded (N, C, H, W) input as columns
    (N, C*kh*kw, L); grad = each window's g added back at its place (col2im), padding cropped."""
    op, float_only = "unfold", True

    @staticmethod
    def forward(k: Any, x: Any, geom: _Geom, fill: float) -> Any:
        kh, kw, ph, pw = geom.kh, geom.kw, geom.ph, geom.pw
        n, c, h, w = x.shape
        if ph or pw:
            xp = k.full((n, c, h + 2 * ph, w + 2 * pw), fill, k.dtype_of(x))
            k.setitem(xp, (slice(None), slice(None), slice(ph, ph + h), slice(pw, pw + w)), x)
            x = xp
        patches = [k.getitem(x, _window(i, j, geom)) for i in range(kh) for j in range(kw)]
        return k.reshape(k.stack(patches, 2), (n, c * kh * kw, geom.ho * geom.wo))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        geom = ctx.args[0]
        kh, kw, ph, pw = geom.kh, geom.kw, geom.ph, geom.pw
        n, c, h, w = ctx.shapes[0]
        padded = (n, c, h + 2 * ph, w + 2 * pw)
        g = ops.reshape(g, (n, c, kh * kw, geom.ho, geom.wo))
        acc = None
        for i in range(kh):
            for j in range(kw):
                part = ops.getitem(g, (slice(None), slice(None), i * kw + j))
                back = ops.index_grad(part, padded, _window(i, j, geom), False)
                acc = back if acc is None else ops.add(acc, back)
        if ph or pw:
            acc = ops.getitem(acc, (slice(None), slice(None), slice(ph, ph + h),
                                    slice(pw, pw + w)))
        return (acc,)
# fmt: on


def unfold(
    input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1
) -> Tensor:
    """Sliding local blocks of a (N, C, H, W) batch as columns (N, C*kh*kw, L) (im2col).

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.functional.unfold(tp.ones(1, 2, 3, 3), 2).shape
        (1, 8, 4)
    """
    geom = _geometry(input, kernel_size, dilation, padding, stride, "unfold")
    return unary(Im2ColBackward0, input, geom, 0.0)


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation as PyTorch's, computed as ``weight @ unfold(input)``."""
    if weight.ndim != 4:
        raise ValueError(
            f"conv2d(): weight must be 4-D (out, in/groups, kh, kw), got {list(weight.shape)}"
        )
    if isinstance(padding, str):
        raise ValueError("conv2d(): string padding ('same'/'valid') is not supported; pass ints")
    o, cg, kh, kw = weight.shape
    if input.ndim == 4 and (input.shape[1] != cg * groups or o % groups):
        raise RuntimeError(
            f"conv2d(): input with {input.shape[1]} channels does not match weight "
            f"{list(weight.shape)} with groups={groups} (expected {cg * groups} channels, and "
            f"out channels divisible by groups)"
        )
    geom = _geometry(input, (kh, kw), dilation, padding, stride, "conv2d")
    n = input.shape[0]
    cols = unary(Im2ColBackward0, input, geom, 0.0)
    ho, wo = geom[8], geom[9]
    if groups == 1:
        out = matmul(weight.reshape(o, cg * kh * kw), cols)
    else:
        cols = cols.reshape(n, groups, cg * kh * kw, ho * wo)
        out = matmul(weight.reshape(groups, o // groups, cg * kh * kw), cols)
    out = out.reshape(n, o, ho, wo)
    return out if bias is None else out + bias.reshape(1, o, 1, 1)


def _pool_windows(
    input: Tensor,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    ceil_mode: bool,
    fill: float,
    op: str,
) -> tuple[Tensor, _Geom]:
    if ceil_mode:
        raise ValueError(f"{op}(): ceil_mode=True is not supported")
    stride = kernel_size if stride is None or stride == [] else stride
    geom = _geometry(input, kernel_size, dilation, padding, stride, op)
    kh, kw, _, _, ph, pw = geom[:6]
    if ph > kh // 2 or pw > kw // 2:
        raise ValueError(
            f"{op}(): pad should be at most half of the effective kernel size, "
            f"got padding={(ph, pw)} and kernel_size={(kh, kw)}"
        )
    n, c = input.shape[:2]
    cols = unary(Im2ColBackward0, input, geom, fill)
    return cols.reshape(n, c, kh * kw, geom[8] * geom[9]), geom


def max_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor:
    """Max over each window; the gradient goes to the first maximum, as in PyTorch."""
    if return_indices:
        raise ValueError("max_pool2d(): return_indices=True is not supported")
    cols, geom = _pool_windows(
        input, kernel_size, stride, padding, dilation, ceil_mode, -math.inf, "max_pool2d"
    )
    first = cols.argmax(2, keepdim=True)
    slot = arange(cols.shape[2], backend=cols._backend).reshape(1, 1, -1, 1)
    out = where(slot == first, cols, 0.0).sum(2)
    return out.reshape(*input.shape[:2], geom[8], geom[9])


def avg_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Mean over each window (zero padding counted unless ``count_include_pad=False``)."""
    cols, geom = _pool_windows(input, kernel_size, stride, padding, 1, ceil_mode, 0.0, "avg_pool2d")
    total = cols.sum(2)
    if divisor_override:
        out = total / divisor_override
    elif count_include_pad or not (geom[4] or geom[5]):
        out = total / (geom[0] * geom[1])
    else:
        ones_in = ones(1, 1, *input.shape[2:], dtype=total.dtype, backend=input._backend)
        counts = unary(Im2ColBackward0, ones_in, geom, 0.0).sum(1)
        out = total / counts
    return out.reshape(*input.shape[:2], geom[8], geom[9])
