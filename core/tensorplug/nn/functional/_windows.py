"""Sliding windows over the spatial dims of an ``(N, C, *spatial)`` batch: their geometry,
``im2col`` (every window's values as a column) and its adjoint ``col2im`` (columns added back
where they came from).

Both are written once against a kernel namespace (``KernelOps``), so the forwards of the
convolutions and pools (on raw kernels) and their backwards (raw kernels, or recorded tensor
ops under ``create_graph=True``) share them: ``col2im`` is the gradient of ``im2col`` and
the other way round, so a second derivative needs nothing new. ``unfold`` is ``im2col`` as an
op (``Im2ColBackward0``, PyTorch's node).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple, TypeGuard

from ..._contract import Array, BackendOps, KernelOps
from ..._dispatch import unary
from ..._graph import Node
from ..._tensor import Tensor

__all__ = ["unfold"]


class Geometry(NamedTuple):
    """Windows of ``kernel`` taps spaced ``dilation`` apart, one every ``stride`` elements, over
    ``size`` padded by ``pad_lo`` before and ``pad_hi`` after: ``out`` windows per dim. Every
    field has one entry per spatial dim.

    ``size`` is always the larger side: a convolution's input, a transposed convolution's
    output (``out`` is then its input's size, and the windows need not reach the end of the
    padded size: an ``output_padding``).
    """

    kernel: tuple[int, ...]
    dilation: tuple[int, ...]
    stride: tuple[int, ...]
    pad_lo: tuple[int, ...]
    pad_hi: tuple[int, ...]
    size: tuple[int, ...]
    out: tuple[int, ...]

    @property
    def padded(self) -> tuple[int, ...]:
        return tuple(lo + s + hi for lo, s, hi in zip(self.pad_lo, self.size, self.pad_hi))

    @property
    def taps(self) -> int:
        """Elements per window (per channel)."""
        return math.prod(self.kernel)

    @property
    def windows(self) -> int:
        """Windows per channel."""
        return math.prod(self.out)

    def offsets(self) -> Iterator[tuple[int, ...]]:
        """Each tap's position in the kernel, in row-major order (the columns' order)."""
        return itertools.product(*(range(k) for k in self.kernel))

    def window(self, offset: tuple[int, ...]) -> tuple[slice, ...]:
        """The strided slice of the padded input that tap ``offset`` reads in every window."""
        spatial = (
            slice(o * d, o * d + s * (n - 1) + 1, s)
            for o, d, s, n in zip(offset, self.dilation, self.stride, self.out)
        )
        return (slice(None), slice(None), *spatial)

    def inner(self) -> tuple[slice, ...]:
        """Where the unpadded input lies in the padded one."""
        return (
            slice(None),
            slice(None),
            *(slice(lo, lo + s) for lo, s in zip(self.pad_lo, self.size)),
        )


def ntuple(value: Any, n: int, name: str, op: str) -> tuple[int, ...]:
    """An int, or a sequence of ``n`` ints (one per spatial dim), as a tuple of ``n`` ints."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,) * n
    if (
        isinstance(value, (tuple, list))
        and len(value) in (1, n)
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return tuple(int(v) for v in value) * (n if len(value) == 1 else 1)
    raise TypeError(f"{op}(): {name} must be an int or a tuple of {n} ints, got {value!r}")


def sliding(
    op: str,
    size: Sequence[int],
    kernel: tuple[int, ...],
    dilation: tuple[int, ...],
    stride: tuple[int, ...],
    pad_lo: tuple[int, ...],
    pad_hi: tuple[int, ...] | None = None,
) -> Geometry:
    """The geometry of windows over an input of spatial ``size`` (``pad_hi`` defaults to
    ``pad_lo``), with PyTorch's errors for sizes that give no window."""
    pad_hi = pad_lo if pad_hi is None else pad_hi
    if min(stride) <= 0:
        raise RuntimeError(f"{op}(): non-positive stride is not supported, got {list(stride)}")
    if min(dilation) <= 0 or min(kernel) <= 0:
        raise RuntimeError(
            f"{op}(): kernel size and dilation must be positive, got kernel_size={list(kernel)} "
            f"and dilation={list(dilation)}"
        )
    if min(pad_lo + pad_hi) < 0:
        raise RuntimeError(f"{op}(): negative padding is not supported")
    padded = [lo + s + hi for lo, s, hi in zip(pad_lo, size, pad_hi)]
    reach = [d * (k - 1) + 1 for d, k in zip(dilation, kernel)]
    if any(r > p for r, p in zip(reach, padded)):
        raise RuntimeError(
            f"{op}(): calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
            f"Kernel size: ({' x '.join(map(str, reach))}). Kernel size can't be greater than "
            "actual input size"
        )
    out = tuple((p - r) // s + 1 for p, r, s in zip(padded, reach, stride))
    return Geometry(kernel, dilation, stride, pad_lo, pad_hi, tuple(size), out)


def im2col(ops: KernelOps, x: Array, g: Geometry) -> Array:
    """``(N, C, *size)`` -> ``(N, C * taps, count)``: column ``l`` holds window ``l``'s values,
    channel-major then tap by tap (PyTorch's ``unfold`` layout). Padding reads as zeros."""
    n, c = x.shape[0], x.shape[1]
    if any(g.pad_lo) or any(g.pad_hi):
        x = ops.index_grad(x, (n, c, *g.padded), g.inner(), False)  # zeros, x at its place
    if g.taps == 1 and all(s == 1 for s in g.stride) and tuple(x.shape[2:]) == g.out:
        return ops.reshape(x, (n, c, g.windows))  # a 1x1 kernel over everything: no copy
    unit = (n, c, 1, *g.out)
    parts = [ops.reshape(ops.getitem(x, g.window(o)), unit) for o in g.offsets()]
    cols = parts[0] if len(parts) == 1 else ops.concat(parts, 2)
    return ops.reshape(cols, (n, c * g.taps, g.windows))


def col2im(ops: KernelOps, cols: Array, g: Geometry) -> Array:
    """The adjoint of ``im2col``: ``(N, C * taps, windows)`` -> ``(N, C, *size)``, each
    column's values added back at the places its window read (what fell on padding is
    dropped)."""
    n, c = cols.shape[0], cols.shape[1] // g.taps
    padded = (n, c, *g.padded)
    if g.taps == 1 and all(s == 1 for s in g.stride) and g.padded == g.out:
        acc = ops.reshape(cols, padded)
    else:
        cols = ops.reshape(cols, (n, c, g.taps, *g.out))
        parts = [ops.getitem(cols, (slice(None), slice(None), t)) for t in range(g.taps)]
        if _writable(ops):  # raw kernels: one buffer, each part added into its window
            acc = ops.full(padded, 0, ops.dtype_of(cols))
            # In place where the backend has ``scatter_add`` (one pass; NumPy's adds into a
            # view for slices); else a new sum copied back (views may be copies).
            add_at = getattr(ops, "scatter_add", None)
            for part, offset in zip(parts, g.offsets()):
                win = g.window(offset)
                if add_at is not None:
                    add_at(acc, win, part)
                else:
                    ops.setitem(acc, win, ops.add(ops.getitem(acc, win), part))
        else:  # recorded ops (a second derivative): each part placed, then summed
            acc = None
            for part, offset in zip(parts, g.offsets()):
                back = ops.index_grad(part, padded, g.window(offset), False)
                acc = back if acc is None else ops.add(acc, back)
    if any(g.pad_lo) or any(g.pad_hi):
        acc = ops.getitem(acc, g.inner())
    return acc


def _writable(ops: KernelOps) -> TypeGuard[BackendOps]:
    """Whether ``ops`` are a backend's raw kernels (which write in place), not the recorded
    tensor ops of a backward that builds a graph."""
    return hasattr(ops, "setitem")


# fmt: off
class Im2ColBackward0(Node):
    """``unfold``: the sliding windows of a padded ``(N, C, *size)`` input as columns
    ``(N, C * taps, count)`` (im2col); grad = each column added back where its window read
    (col2im), padding dropped."""
    op, float_only = "unfold", True

    @staticmethod
    def forward(k: Any, x: Any, g: Geometry) -> Any:
        return im2col(k, x, g)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, grad: Array) -> tuple[Array]:
        return (col2im(ops, grad, ctx.args[0]),)
# fmt: on


def unfold(
    input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1
) -> Tensor:
    """Sliding local blocks of a ``(N, C, H, W)`` batch (or one ``(C, H, W)`` image) as
    columns ``(N, C * kh * kw, L)`` (im2col).

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.functional.unfold(tp.ones(1, 2, 3, 3), 2).shape
        (1, 8, 4)
    """
    if not isinstance(input, Tensor) or input.ndim not in (3, 4):
        shape = list(input.shape) if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(
            "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other "
            f"non-zero dimensions for input, but got: {shape}"
        )
    g = sliding(
        "unfold",
        input.shape[-2:],
        ntuple(kernel_size, 2, "kernel_size", "unfold"),
        ntuple(dilation, 2, "dilation", "unfold"),
        ntuple(stride, 2, "stride", "unfold"),
        ntuple(padding, 2, "padding", "unfold"),
    )
    if input.ndim == 3:
        return unary(Im2ColBackward0, input.unsqueeze(0), g).squeeze(0)
    return unary(Im2ColBackward0, input, g)
