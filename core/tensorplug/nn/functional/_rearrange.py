"""Layers that only move elements: ``pixel_shuffle`` / ``pixel_unshuffle`` (sub-pixel
convolution, Shi et al. 2016), ``channel_shuffle`` (ShuffleNet) and ``fold`` (col2im, the
adjoint of ``unfold``).

Each is a node of its own, as in PyTorch (``PixelShuffleBackward0``, ``Col2ImBackward0``...):
a reshape, a permutation and a reshape forward, and the inverse rearrangement backward.
"""

from __future__ import annotations

from typing import Any

from ..._contract import Array, KernelOps
from ..._dispatch import unary
from ..._graph import Node
from ..._tensor import Tensor
from ._windows import Geometry, col2im, im2col, ntuple, sliding

__all__ = ["pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "fold"]


def _shuffle(k: Any, x: Any, r: int) -> Any:
    """``(*, C r r, H, W)`` -> ``(*, C, H r, W r)``."""
    *lead, c, h, w = x.shape
    y = k.reshape(x, (-1, c // (r * r), r, r, h, w))
    y = k.permute(y, (0, 1, 4, 2, 5, 3))
    return k.reshape(y, (*lead, c // (r * r), h * r, w * r))


def _unshuffle(k: Any, x: Any, r: int) -> Any:
    """``(*, C, H r, W r)`` -> ``(*, C r r, H, W)``."""
    *lead, c, h, w = x.shape
    y = k.reshape(x, (-1, c, h // r, r, w // r, r))
    y = k.permute(y, (0, 1, 3, 5, 2, 4))
    return k.reshape(y, (*lead, c * r * r, h // r, w // r))


def _channels(k: Any, x: Any, groups: int) -> Any:
    """``(N, C, *)``: channel ``g * (C / groups) + i`` moved to ``i * groups + g``."""
    n, c = x.shape[0], x.shape[1]
    y = k.reshape(x, (n, groups, c // groups, -1))
    return k.reshape(k.permute(y, (0, 2, 1, 3)), x.shape)


# fmt: off
class PixelShuffleBackward0(Node):
    """``(*, C r^2, H, W)`` -> ``(*, C, H r, W r)``: grad = ``pixel_unshuffle(g, r)``."""
    op = "pixel_shuffle"

    @staticmethod
    def forward(k: Any, x: Any, r: int) -> Any:
        return _shuffle(k, x, r)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        return (_unshuffle(ops, g, ctx.args[0]),)


class PixelUnshuffleBackward0(Node):
    """``(*, C, H r, W r)`` -> ``(*, C r^2, H, W)``: grad = ``pixel_shuffle(g, r)``."""
    op = "pixel_unshuffle"

    @staticmethod
    def forward(k: Any, x: Any, r: int) -> Any:
        return _unshuffle(k, x, r)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        return (_shuffle(ops, g, ctx.args[0]),)


class ChannelShuffleBackward0(Node):
    """Channels regrouped: ``(N, groups, C / groups, *)`` read as ``(N, C / groups, groups,
    *)``; grad = the inverse shuffle, with ``C / groups`` groups."""
    op = "channel_shuffle"

    @staticmethod
    def forward(k: Any, x: Any, groups: int) -> Any:
        return _channels(k, x, groups)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        return (_channels(ops, g, g.shape[1] // ctx.args[0]),)


class Col2ImBackward0(Node):
    """``fold``: columns ``(N, C * taps, L)`` summed into a ``(N, C, *output_size)`` image
    where their windows lie (col2im); grad = the windows of g as columns (im2col)."""
    op, float_only = "fold", True

    @staticmethod
    def forward(k: Any, x: Any, g: Geometry) -> Any:
        return col2im(k, x, g)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, grad: Array) -> tuple[Array]:
        return (im2col(ops, grad, ctx.args[0]),)
# fmt: on


def _factor(input: Tensor, factor: int, op: str, name: str) -> None:
    if input.ndim < 3:
        raise RuntimeError(
            f"{op} expects input to have at least 3 dimensions, but got input with "
            f"{input.ndim} dimension(s)"
        )
    if factor <= 0:
        raise RuntimeError(f"{op} expects a positive {name}, but got {factor}")


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """``(*, C r^2, H, W)`` -> ``(*, C, H r, W r)``, ``r = upscale_factor``.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.functional.pixel_shuffle(tp.ones(1, 8, 2, 3), 2).shape
        (1, 2, 4, 6)
    """
    r = upscale_factor
    _factor(input, r, "pixel_shuffle", "upscale_factor")
    if input.shape[-3] % (r * r):
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the "
            f"square of upscale_factor, but input.size(-3)={input.shape[-3]} is not divisible "
            f"by {r * r}"
        )
    return unary(PixelShuffleBackward0, input, r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """``(*, C, H r, W r)`` -> ``(*, C r^2, H, W)``, ``r = downscale_factor``: the inverse of
    ``pixel_shuffle``."""
    r = downscale_factor
    _factor(input, r, "pixel_unshuffle", "downscale_factor")
    for dim, name in ((-2, "height"), (-1, "width")):
        if input.shape[dim] % r:
            raise RuntimeError(
                f"pixel_unshuffle expects {name} to be divisible by downscale_factor, but "
                f"input.size({dim})={input.shape[dim]} is not divisible by {r}"
            )
    return unary(PixelUnshuffleBackward0, input, r)


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """Interleave the channels (dim 1) of ``groups`` groups: channel ``g * (C / groups) + i``
    goes to ``i * groups + g``."""
    if input.ndim <= 2:
        raise RuntimeError(
            f"channel_shuffle expects input with > 2 dims, but got input with sizes "
            f"{list(input.shape)}"
        )
    if groups <= 0:
        raise RuntimeError(
            f"Number of groups to divide channels in must be positive. Value of groups:{groups}"
        )
    if input.shape[1] % groups:
        raise RuntimeError(
            f"Number of channels must be divisible by groups. Got {input.shape[1]} channels "
            f"and {groups} groups."
        )
    return unary(ChannelShuffleBackward0, input, groups)


def fold(
    input: Tensor,
    output_size: Any,
    kernel_size: Any,
    dilation: Any = 1,
    padding: Any = 0,
    stride: Any = 1,
) -> Tensor:
    """Sum columns ``(N, C * kh * kw, L)`` (or ``(C * kh * kw, L)``) back into an image
    ``(N, C, *output_size)``: the adjoint of ``unfold`` (overlaps add up).

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.functional.fold(tp.ones(1, 4, 4), (3, 3), 2)
        tensor([[[[1., 2., 1.],
                  [2., 4., 2.],
                  [1., 2., 1.]]]])
    """
    if input.ndim not in (2, 3):
        raise RuntimeError(
            "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and "
            f"non-zero dimensions for input, but got: {list(input.shape)}"
        )
    size = ntuple(output_size, 2, "output_size", "fold")
    taps = ntuple(kernel_size, 2, "kernel_size", "fold")
    dil, pad = ntuple(dilation, 2, "dilation", "fold"), ntuple(padding, 2, "padding", "fold")
    st = ntuple(stride, 2, "stride", "fold")
    g = sliding("fold", size, taps, dil, st, pad)
    rows = input.shape[-2]
    if rows % g.taps:
        raise RuntimeError(
            "Expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={rows} and kernel_size={taps}."
        )
    if input.shape[-1] != g.windows:
        raise RuntimeError(
            f"Given output_size={size}, kernel_size={taps}, dilation={dil}, padding={pad}, "
            f"stride={st}, expected size of input's dimension 2 to match the calculated number "
            f"of sliding blocks {' * '.join(map(str, g.out))} = {g.windows}, but got "
            f"input.size(2)={input.shape[-1]}."
        )
    if input.ndim == 2:
        return unary(Col2ImBackward0, input.unsqueeze(0), g).squeeze(0)
    return unary(Col2ImBackward0, input, g)
