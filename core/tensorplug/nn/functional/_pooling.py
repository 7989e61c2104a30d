"""Pooling: a max or mean over each sliding window (``max_pool1d/2d``, ``avg_pool1d/2d``) or
over near-equal bins (``adaptive_avg_pool1d/2d``, ``adaptive_max_pool2d``).

The windows are ``_windows``' (``im2col``/``col2im``); a max pool first finds which tap of
each window holds its maximum (an integer tensor, outside the graph, as ``max(dim=)``'s
indices), and its node sends each gradient back to that tap. The 1-D forms are the 2-D ones
over a height-1 input, as PyTorch builds them (hence its ``SqueezeBackward1`` nodes).
"""

from __future__ import annotations

import itertools
import math
from typing import Any, NamedTuple

from ... import _dtype as D
from ... import _functional_write as fw
from ..._contract import Array, KernelOps
from ..._dispatch import nary, unary
from ..._graph import Node
from ..._ops_reduce import _index_result
from ..._tensor import Tensor
from ._resample import AdaptiveAvgPool2DBackward0, _along, _bins, adaptive_plans, axis, resample
from ._windows import Geometry, col2im, im2col, ntuple

__all__ = [
    "max_pool1d",
    "max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
]


def pool_geometry(
    op: str, x: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any, ceil: bool
) -> Geometry:
    """The windows of a pool over ``x`` ``(N, C, *spatial)``, PyTorch's output size and
    errors (``ceil_mode``: a last window that starts inside the input or its left padding)."""
    n = x.ndim - 2
    ksize = ntuple(kernel_size, n, "kernel_size", op)
    st = (
        ksize if stride is None or stride == [] or stride == () else ntuple(stride, n, "stride", op)
    )
    pad = ntuple(padding, n, "padding", op)
    dil = ntuple(dilation, n, "dilation", op)
    if min(ksize) <= 0 or min(st) <= 0 or min(dil) <= 0:
        raise RuntimeError(
            f"{op}(): kernel_size, stride and dilation must be greater than zero, but got "
            f"kernel_size={list(ksize)}, stride={list(st)} and dilation={list(dil)}"
        )
    if any(p < 0 or p > k // 2 for p, k in zip(pad, ksize)):
        raise RuntimeError(
            f"{op}(): pad should be at most half of effective ksize size, but got "
            f"pad={list(pad)}, kernel_size={list(ksize)} and dilation={list(dil)}"
        )
    size = tuple(x.shape[2:])
    outs, his = [], []
    for n, k, s, p, d in zip(size, ksize, st, pad, dil):
        span = n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)
        o = span // s + 1 if span >= 0 else 0
        if ceil and o > 0 and (o - 1) * s >= n + p:
            o -= 1
        outs.append(o)
        his.append(max(p, (o - 1) * s + d * (k - 1) + 1 - n - p))
    if min(outs) <= 0:
        raise RuntimeError(
            f"{op}(): Given input size: ({'x'.join(map(str, x.shape[1:]))}). Calculated output "
            f"size: ({'x'.join(map(str, (x.shape[1], *outs)))}). Output size is too small"
        )
    return Geometry(ksize, dil, st, pad, tuple(his), size, tuple(outs))


def _taps(k: Any, x: Array, g: Geometry) -> Array:
    """``(N, C, taps, *out)``: every window's values, padding read as -inf."""
    n, c = x.shape[0], x.shape[1]
    if any(g.pad_lo) or any(g.pad_hi):
        xp = k.full((n, c, *g.padded), -math.inf, k.dtype_of(x))
        x = fw.put(k, xp, g.inner(), x)
    unit = (n, c, 1, *g.out)
    return k.concat([k.reshape(k.getitem(x, g.window(o)), unit) for o in g.offsets()], 2)


# fmt: off
class _MaxTap(Node):
    """Which tap of each window holds its (first) maximum: int64 ``(N, C, *out)``."""
    differentiable = False
    op = "max_pool2d"

    @staticmethod
    def forward(k: Any, x: Any, g: Geometry) -> Any:
        return k.argmax(_taps(k, x, g), 2, False)


class MaxPool2DWithIndicesBackward0(Node):
    """``out = max over each window of x``; grad = g sent to the window's maximum (the tap
    ``tap`` names; windows that share it add up)."""
    op, save, promote = "max_pool2d", (1,), False

    @staticmethod
    def forward(k: Any, x: Any, tap: Any, g: Geometry) -> Any:
        return k.amax(_taps(k, x, g), (2,), False)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, grad: Array, tap: Array) -> tuple[Array, None]:
        g: Geometry = ctx.args[0]
        n, c = grad.shape[0], grad.shape[1]
        slots = ops.iota(g.taps, (1, 1, g.taps, *([1] * len(g.out))), grad)
        hit = ops.eq(slots, ops.reshape(tap, (n, c, 1, *g.out)))
        cols = ops.where(hit, ops.reshape(grad, (n, c, 1, *g.out)), 0.0)
        return col2im(ops, ops.reshape(cols, (n, c * g.taps, g.windows)), g), None


class AvgPool2DBackward0(Node):
    """``out = sum over each window of x / div`` (``div``: the window's count, per output
    position); grad = g / div spread over each window's elements."""
    op, float_only = "avg_pool2d", True

    @staticmethod
    def forward(k: Any, x: Any, g: Geometry, div: Any) -> Any:
        n, c = x.shape[0], x.shape[1]
        cols = k.reshape(im2col(k, x, g), (n, c, g.taps, *g.out))
        return k.div(k.sum(cols, (2,), False), div)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, grad: Array) -> tuple[Array]:
        g: Geometry = ctx.args[0]
        n, c = grad.shape[0], grad.shape[1]
        share = ops.reshape(ops.div(grad, ops.const(ctx.args[1], grad)), (n, c, 1, g.windows))
        cols = ops.broadcast_to(share, (n, c, g.taps, g.windows))
        return (col2im(ops, ops.reshape(cols, (n, c * g.taps, g.windows)), g),)


class _TapIndex(Node):
    """Tap ``i * len(cols) + j`` of each output as the flat input index ``rows[i][oh] *
    width + cols[j][ow]`` (int64, ``(N, C, oh, ow)``)."""
    differentiable = False
    op = "max_pool2d"

    @staticmethod
    def forward(k: Any, tap: Any, rows: list[list[int]], cols: list[list[int]], width: int) -> Any:
        acc = k.full(tap.shape, 0, D.int64)
        for i, r in enumerate(rows):
            r_arr = k.reshape(k.mul(k.from_host(r, D.int64), width), (len(r), 1))
            for j, c in enumerate(cols):
                flat = k.add(r_arr, k.from_host(c, D.int64))
                acc = k.where(k.eq(tap, i * len(cols) + j), flat, acc)
        return acc


class _AdaptiveMaxTap(Node):
    """Which tap of each bin holds its (first) maximum: int64 ``(N, C, oh, ow)``."""
    differentiable = False
    op = "adaptive_max_pool2d"

    @staticmethod
    def forward(k: Any, x: Any, rows: tuple[Any, ...], cols: tuple[Any, ...]) -> Any:
        return k.argmax(_bin_values(k, x, rows, cols), len(x.shape) - 2, False)


class AdaptiveMaxPool2DBackward0(Node):
    """``out = max over each bin of x``; grad = g sent to the bin's maximum (by the 0/1 maps
    of each (row, column) tap, their transposes in the backward)."""
    op, save, promote = "adaptive_max_pool2d", (1,), False

    @staticmethod
    def forward(k: Any, x: Any, tap: Any, rows: tuple[Any, ...], cols: tuple[Any, ...]) -> Any:
        return k.amax(_bin_values(k, x, rows, cols), (len(x.shape) - 2,), False)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, grad: Array, tap: Array) -> tuple[Array, None]:
        rows, cols = ctx.args
        acc = None
        for i, mh in enumerate(rows):
            mh_t = ops.permute(ops.const(mh, grad), (1, 0))
            for j, mw in enumerate(cols):
                part = ops.where(ops.eq(tap, i * len(cols) + j), grad, 0.0)
                part = _along(ops, _along(ops, part, mh_t, -2),
                              ops.permute(ops.const(mw, grad), (1, 0)), -1)
                acc = part if acc is None else ops.add(acc, part)
        return acc, None
# fmt: on


def _bin_values(k: Any, x: Any, rows: tuple[Any, ...], cols: tuple[Any, ...]) -> Any:
    """``(N, C, taps, oh, ow)``: each bin's values, tap ``i * len(cols) + j`` from the 0/1
    maps ``rows[i]`` (oh x H) and ``cols[j]`` (ow x W); a shorter bin repeats its last one."""
    parts = []
    for mh in rows:
        xr = _along(k, x, mh, -2)
        for mw in cols:
            parts.append(_along(k, xr, mw, -1))
    *lead, oh, ow = parts[0].shape
    return k.concat([k.reshape(p, (*lead, 1, oh, ow)) for p in parts], len(lead))


def _batched(op: str, input: Tensor, dims: int) -> tuple[Tensor, bool]:
    if not isinstance(input, Tensor) or input.ndim not in (dims + 1, dims + 2):
        shape = list(input.shape) if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(
            f"{op}(): Expected {dims + 1}D or {dims + 2}D (batch mode) tensor, but got {shape}"
        )
    if any(s == 0 for s in input.shape[-dims:]) or (input.ndim == dims + 2 and not input.shape[1]):
        raise RuntimeError(
            f"{op}(): Expected input's non-batch dimensions to have positive length, but "
            f"input has a shape of {list(input.shape)}"
        )
    return (input.unsqueeze(0), True) if input.ndim == dims + 1 else (input, False)


def max_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """Max over each window of ``(N, C, H, W)`` (or ``(C, H, W)``); with ``return_indices``,
    also each maximum's flat index into ``H * W``. The gradient goes to the first maximum.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.functional.max_pool2d(tp.arange(16.0).reshape(1, 4, 4), 2)
        tensor([[[ 5.,  7.],
                 [13., 15.]]])
    """
    x, unbatched = _batched("max_pool2d", input, 2)
    if not x.dtype.is_floating_point and x.requires_grad:
        raise RuntimeError("max_pool2d(): only floating-point inputs can require grad")
    g = pool_geometry("max_pool2d", x, kernel_size, stride, padding, dilation, ceil_mode)
    tap = _index_result(unary(_MaxTap, x, g))
    out = nary(MaxPool2DWithIndicesBackward0, (x, tap), g)
    if unbatched:
        out = out.squeeze(0)
    if not return_indices:
        return out
    idx = _flat_indices(x, tap, g)
    return out, idx.squeeze(0) if unbatched else idx


def _flat_indices(x: Tensor, tap: Tensor, g: Geometry) -> Tensor:
    """Each window's tap as a flat index into ``H * W`` (PyTorch's ``return_indices``)."""
    per_dim = [
        [[o * s - p + t * d for o in range(n)] for t in range(k)]
        for k, d, s, p, n in zip(g.kernel, g.dilation, g.stride, g.pad_lo, g.out)
    ]
    return _index_result(unary(_TapIndex, tap, per_dim[0], per_dim[1], g.size[1]))


def max_pool1d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """Max over each window of ``(N, C, L)`` (or ``(C, L)``): ``max_pool2d`` over height 1.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.functional.max_pool1d(tp.tensor([[1.0, 3.0, 2.0, 0.0]]), 2)
        tensor([[3., 2.]])
    """
    _batched("max_pool1d", input, 1)
    ks, s, p, d = _one("max_pool1d", kernel_size, stride, padding, dilation)
    res = max_pool2d(input.unsqueeze(-2), ks, s, p, d, ceil_mode, return_indices)
    if return_indices:
        return res[0].squeeze(-2), res[1].squeeze(-2)
    return res.squeeze(-2)


def _one(op: str, kernel_size: Any, stride: Any, padding: Any, dilation: Any) -> tuple[Any, ...]:
    """1-D pooling arguments as the 2-D ones over a height-1 input."""
    ks = ntuple(kernel_size, 1, "kernel_size", op)
    s = ks if stride is None or stride == [] or stride == () else ntuple(stride, 1, "stride", op)
    p = ntuple(padding, 1, "padding", op)
    d = ntuple(dilation, 1, "dilation", op)
    return (1, ks[0]), (1, s[0]), (0, p[0]), (1, d[0])


def avg_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Mean over each window of ``(N, C, H, W)`` (or ``(C, H, W)``), as PyTorch's: the
    zero padding counted unless ``count_include_pad=False``, ``divisor_override`` replacing
    the count.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.functional.avg_pool2d(tp.arange(16.0).reshape(1, 4, 4), 2)
        tensor([[[ 2.5000,  4.5000],
                 [10.5000, 12.5000]]])
    """
    x, unbatched = _batched("avg_pool2d", input, 2)
    if not x.dtype.is_floating_point:
        raise NotImplementedError(f"\"avg_pool2d\" not implemented for '{x.dtype.name}'")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("avg_pool2d(): divisor must be not zero")
    g = pool_geometry("avg_pool2d", x, kernel_size, stride, padding, 1, ceil_mode)
    div = _divisor(x, g, count_include_pad, divisor_override)
    out = unary(AvgPool2DBackward0, x, g, div)
    return out.squeeze(0) if unbatched else out


def _divisor(x: Tensor, g: Geometry, include_pad: bool, override: int | None) -> Any:
    """Each window's divisor (``g.out``) as PyTorch's ``avg_pool2d``/``3d`` count it: its
    part inside the padded input (``include_pad``) or inside the input, per dim, multiplied."""
    per_dim = []
    for n, k, s, p, o in zip(g.size, g.kernel, g.stride, g.pad_lo, g.out):
        counts = []
        for i in range(o):
            lo = i * s - p
            hi = min(lo + k, n + p)
            counts.append(hi - lo if include_pad else min(hi, n) - max(lo, 0))
        per_dim.append(counts)
    flat = [float(override or math.prod(c)) for c in itertools.product(*per_dim)]
    kernels = x._backend.k
    return kernels.reshape(kernels.from_host(flat, x.dtype), g.out)


def avg_pool1d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """Mean over each window of ``(N, C, L)`` (or ``(C, L)``): ``avg_pool2d`` over height 1.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.functional.avg_pool1d(tp.tensor([[1.0, 3.0, 2.0, 0.0]]), 2)
        tensor([[2., 1.]])
    """
    _batched("avg_pool1d", input, 1)
    ks, s, p, _ = _one("avg_pool1d", kernel_size, stride, padding, 1)
    out = avg_pool2d(input.unsqueeze(-2), ks, s, p, ceil_mode, count_include_pad)
    return out.squeeze(-2)


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Mean over ``output_size`` near-equal bins per spatial dim of ``(N, C, H, W)`` (or
    ``(C, H, W)``); ``None`` in ``output_size`` keeps that dim.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.functional.adaptive_avg_pool2d(tp.arange(16.0).reshape(1, 4, 4), 1)
        tensor([[[7.5000]]])
    """
    plans = adaptive_plans("adaptive_avg_pool2d", input, output_size, 2)
    if len(plans) == 2 and input.shape[-2:] != (1, 1) and _is_one(output_size):
        return input.mean((-2, -1), keepdim=True)  # as PyTorch's (a MeanBackward1 node)
    return resample(AdaptiveAvgPool2DBackward0, input, plans)


def _is_one(output_size: Any) -> bool:
    sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * 2
    return tuple(sizes) == (1, 1)


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    """Mean over ``output_size`` near-equal bins of ``(N, C, L)`` (or ``(C, L)``).

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.functional.adaptive_avg_pool1d(tp.tensor([[1.0, 3.0, 2.0]]), 2)
        tensor([[2.0000, 2.5000]])
    """
    size = ntuple(output_size, 1, "output_size", "adaptive_avg_pool1d")
    adaptive_plans("adaptive_avg_pool1d", input, size, 1)  # its checks, on the 1-D input
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, size[0])).squeeze(-2)


class _Maps(NamedTuple):
    rows: tuple[Any, ...]
    cols: tuple[Any, ...]


def _bin_maps(x: Tensor, sizes: list[int]) -> _Maps:
    """Each dim's bins as 0/1 maps, one per tap (a shorter bin repeats its last element)."""
    maps = []
    for d, n_out in zip((-2, -1), sizes):
        taps = [(idx, [1.0] * len(idx)) for idx, _ in _bins(x.shape[d], n_out)]
        maps.append(tuple(axis(x._backend, x.dtype, d, x.shape[d], [t], False).m for t in taps))
    return _Maps(*maps)


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max over ``output_size`` near-equal bins per spatial dim of ``(N, C, H, W)`` (or
    ``(C, H, W)``); with ``return_indices``, also each maximum's flat index into ``H * W``.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.functional.adaptive_max_pool2d(tp.arange(16.0).reshape(1, 4, 4), 1)
        tensor([[[15.]]])
    """
    x, _ = _batched("adaptive_max_pool2d", input, 2)
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"\"adaptive_max_pool2d\" not implemented for '{x.dtype.name}'")
    sizes = list(output_size) if isinstance(output_size, (tuple, list)) else [output_size] * 2
    if len(sizes) != 2:
        raise RuntimeError(
            f"adaptive_max_pool2d(): internal error: output_size.size() must be 2, got "
            f"{output_size!r}"
        )
    sizes = [input.shape[d] if s is None else int(s) for d, s in zip((-2, -1), sizes)]
    if min(sizes) < 0:
        raise RuntimeError("adaptive_max_pool2d(): elements of output_size must be non-negative")
    maps = _bin_maps(input, sizes)
    tap = _index_result(unary(_AdaptiveMaxTap, input, maps.rows, maps.cols))
    out = nary(AdaptiveMaxPool2DBackward0, (input, tap), maps.rows, maps.cols)
    if not return_indices:
        return out
    return out, _adaptive_indices(input, tap, sizes)


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max over ``output_size`` near-equal bins of ``(N, C, L)`` (or ``(C, L)``): the 2-D
    one over height 1, as PyTorch builds it; with ``return_indices``, each maximum's index.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.functional.adaptive_max_pool1d(tp.tensor([[1.0, 3.0, 2.0]]), 2)
        tensor([[3., 3.]])
    """
    if not isinstance(input, Tensor) or input.ndim not in (2, 3):
        dims = input.ndim if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(
            f"Expected 2 to 3 dimensions, but got {dims}-dimensional tensor for argument #1 "
            "'self' (while checking arguments for adaptive_max_pool1d)"
        )
    size = ntuple(output_size, 1, "output_size", "adaptive_max_pool1d")
    res = adaptive_max_pool2d(input.unsqueeze(-2), (1, size[0]), return_indices)
    if return_indices:
        return res[0].squeeze(-2), res[1].squeeze(-2)
    return res.squeeze(-2)


def _adaptive_indices(x: Tensor, tap: Tensor, sizes: list[int]) -> Tensor:
    """Each bin's tap as a flat index into ``H * W``."""
    h, w = x.shape[-2:]
    rows = [idx for idx, _ in _bins(h, sizes[0])]
    cols = [idx for idx, _ in _bins(w, sizes[1])]
    return _index_result(unary(_TapIndex, tap, rows, cols, w))
