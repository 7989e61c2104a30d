"""Resampling along spatial dims by a linear map per dim: ``interpolate`` (nearest,
nearest-exact, linear, bilinear, bicubic, trilinear) and adaptive average pooling.

Each of these maps dim ``d`` of the input by a fixed matrix ``M_d`` (out x in): output index
``i`` is ``sum_j M_d[i, j] x[j]``, with a few nonzero taps per row (PyTorch's source indices
and weights, computed here in Python for each output index). The maps of different dims
commute, so an op is one node holding its matrices: the forward multiplies by them (BLAS does
the work), the backward by their transposes, on either kernel namespace, so the second
derivative is the forward again. An input holding inf or NaN is gathered tap by tap instead,
so a non-finite value reaches only the outputs PyTorch's would (``0 * inf`` in a dense row
would spread NaN across it).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from typing import Any, NamedTuple

from ... import _dtype as D
from ..._backend import Backend
from ..._contract import Array, KernelOps
from ..._dispatch import unary
from ..._graph import Node
from ..._tensor import Tensor

__all__ = ["interpolate"]

Taps = list[tuple[list[int], list[float]]]
"""One dim's map as taps: for each tap, the source index and the weight of every output."""


class Axis(NamedTuple):
    """The map of one spatial dim (``dim``, counted from the end): the dense matrix ``m``
    (out x in), and its ``taps`` as index and weight arrays (``exact``: weights that are
    zero must not read their element, as in a mean over a bin)."""

    dim: int
    m: Array
    taps: tuple[tuple[Array, Array], ...]
    exact: bool


def _along(ops: KernelOps, x: Array, m: Array, dim: int) -> Array:
    """``x`` with dim ``dim`` (negative) multiplied by ``m`` (out x in)."""
    if dim == -1:
        return ops.matmul(x, ops.permute(m, (1, 0)))
    shape = tuple(x.shape)
    ax = len(shape) + dim
    rest = math.prod(shape[ax + 1 :])
    x3 = ops.reshape(x, (math.prod(shape[:ax]), shape[ax], rest))
    return ops.reshape(ops.matmul(m, x3), (*shape[:ax], m.shape[0], *shape[ax + 1 :]))


def _gather(k: Any, x: Array, a: Axis) -> Array:
    """``x`` mapped along ``a.dim`` tap by tap: ``sum_t x[idx_t] * w_t`` (exact: zero-weight
    taps left out), for inputs that hold inf or NaN."""
    trail = (slice(None),) * (-a.dim - 1)
    acc = None
    for idx, w in a.taps:
        wshape = (w.shape[0],) + (1,) * (-a.dim - 1)
        vals = k.getitem(x, (Ellipsis, idx, *trail))
        w = k.reshape(w, wshape)
        term = k.where(k.ne(w, 0), k.mul(vals, w), 0) if a.exact else k.mul(vals, w)
        acc = term if acc is None else k.add(acc, term)
    return acc


# fmt: off
class _Resample(Node):
    """``x`` with each of ``axes``' dims multiplied by its matrix M (out x in); grad = g with
    the same dims multiplied by M^T."""
    op, float_only = "interpolate", True

    @staticmethod
    def forward(k: Any, x: Any, axes: tuple[Axis, ...]) -> Any:
        if not axes:
            return k.copy(x)  # every dim kept its size: still a new tensor, as PyTorch's
        dense = not k.any_nonfinite(x)
        for a in axes:
            x = _along(k, x, a.m, a.dim) if dense else _gather(k, x, a)
        return x

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        for a in reversed(ctx.args[0]):
            g = _along(ops, g, ops.permute(ops.const(a.m, g), (1, 0)), a.dim)
        return (g,)


class UpsampleNearest1DBackward0(_Resample): pass  # noqa: E701 - PyTorch's node names
class UpsampleNearest2DBackward0(_Resample): pass  # noqa: E701
class UpsampleNearest3DBackward0(_Resample): pass  # noqa: E701
class UpsampleNearestExact1DBackward0(_Resample): pass  # noqa: E701
class UpsampleNearestExact2DBackward0(_Resample): pass  # noqa: E701
class UpsampleNearestExact3DBackward0(_Resample): pass  # noqa: E701
class UpsampleLinear1DBackward0(_Resample): pass  # noqa: E701
class UpsampleBilinear2DBackward0(_Resample): pass  # noqa: E701
class UpsampleBicubic2DBackward0(_Resample): pass  # noqa: E701
class UpsampleTrilinear3DBackward0(_Resample): pass  # noqa: E701


class AdaptiveAvgPool2DBackward0(_Resample):
    """``adaptive_avg_pool2d``: the mean of each of ``out`` near-equal bins per dim, a map by
    the bins' averaging matrices; grad = g spread evenly over each bin."""
    op = "adaptive_avg_pool2d"
# fmt: on


_NODES: dict[tuple[str, int], type[_Resample]] = {
    ("nearest", 1): UpsampleNearest1DBackward0,
    ("nearest", 2): UpsampleNearest2DBackward0,
    ("nearest", 3): UpsampleNearest3DBackward0,
    ("nearest-exact", 1): UpsampleNearestExact1DBackward0,
    ("nearest-exact", 2): UpsampleNearestExact2DBackward0,
    ("nearest-exact", 3): UpsampleNearestExact3DBackward0,
    ("linear", 1): UpsampleLinear1DBackward0,
    ("bilinear", 2): UpsampleBilinear2DBackward0,
    ("bicubic", 2): UpsampleBicubic2DBackward0,
    ("trilinear", 3): UpsampleTrilinear3DBackward0,
}


# -- each dim's taps, as PyTorch's CPU kernels compute them ----------------------------------


def _f32(v: float) -> float:
    """``v`` rounded to float32 (PyTorch computes nearest indices in float)."""
    return float(struct.unpack("f", struct.pack("f", v))[0])


def _nearest(n_in: int, n_out: int, scale: float | None, exact: bool) -> Taps:
    if n_out == n_in:
        return [(list(range(n_out)), [1.0] * n_out)]
    if n_out == 2 * n_in and not exact:
        return [([i >> 1 for i in range(n_out)], [1.0] * n_out)]
    s = _f32(1.0 / scale if scale else n_in / n_out)
    shift = 0.5 if exact else 0.0
    idx = [min(math.floor(_f32((i + shift) * s)), n_in - 1) for i in range(n_out)]
    return [(idx, [1.0] * n_out)]


def _source(
    i: int, n_in: int, n_out: int, scale: float | None, corners: bool, cubic: bool
) -> float:
    """PyTorch's ``area_pixel_compute_source_index`` (with its scale)."""
    if corners:
        return i * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    s = 1.0 / scale if scale else n_in / n_out
    src = s * (i + 0.5) - 0.5
    return max(src, 0.0) if not cubic else src


def _linear(n_in: int, n_out: int, scale: float | None, corners: bool) -> Taps:
    i0, i1, w0, w1 = [], [], [], []
    for i in range(n_out):
        src = _source(i, n_in, n_out, scale, corners, False)
        lo = min(math.floor(src), n_in - 1)
        lam = min(max(src - lo, 0.0), 1.0)
        i0.append(lo)
        i1.append(lo + 1 if lo < n_in - 1 else lo)
        w0.append(1.0 - lam)
        w1.append(lam)
    return [(i0, w0), (i1, w1)]


def _cubic_weights(t: float, a: float = -0.75) -> tuple[float, float, float, float]:
    """Keys' cubic convolution weights of the four taps around ``t`` in [0, 1]."""

    def near(x: float) -> float:
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x: float) -> float:
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return far(t + 1.0), near(t), near(1.0 - t), far(2.0 - t)


def _cubic(n_in: int, n_out: int, scale: float | None, corners: bool) -> Taps:
    taps: Taps = [([], []) for _ in range(4)]
    for i in range(n_out):
        src = _source(i, n_in, n_out, scale, corners, True)
        lo = min(math.floor(src), n_in - 1)
        ws = _cubic_weights(min(max(src - lo, 0.0), 1.0))
        for j, (idx, w) in enumerate(taps):
            idx.append(max(min(lo - 1 + j, n_in - 1), 0))
            w.append(ws[j])
    return taps


def _bins(n_in: int, n_out: int) -> Taps:
    """Adaptive pooling's bins ``[floor(i in / out), ceil((i + 1) in / out))``, each tap
    weighted by ``1 / len`` (zero beyond a shorter bin's end)."""
    bounds = [((i * n_in) // n_out, -(-((i + 1) * n_in) // n_out)) for i in range(n_out)]
    width = max(hi - lo for lo, hi in bounds)
    return [
        ([min(lo + t, hi - 1) for lo, hi in bounds], [1.0 / (hi - lo) if lo + t < hi else 0.0
                                                      for lo, hi in bounds])
        for t in range(width)
    ]  # fmt: skip


def axis(be: Backend, dtype: D.dtype, dim: int, n_in: int, taps: Taps, exact: bool) -> Axis:
    """The arrays of one dim's map on ``be``: each tap's indices and weights, and the dense
    matrix they add up to."""
    k = be.k
    cols = k.iota(n_in, (1, n_in), k.full((1,), 0, dtype))
    m = None
    arrays = []
    for idx, w in taps:
        ia = k.from_host(idx, D.int64)
        wa = k.from_host(w, dtype)
        arrays.append((ia, wa))
        col = (len(idx), 1)
        hit = k.where(k.eq(k.reshape(ia, col), cols), k.reshape(wa, col), 0.0)
        m = hit if m is None else k.add(m, hit)
    return Axis(dim, m, tuple(arrays), exact)


def resample(
    cls: type[_Resample], input: Tensor, plans: Sequence[tuple[int, Taps, bool]]
) -> Tensor:
    """``input`` mapped along each ``(dim, taps, exact)`` of ``plans`` by node ``cls``."""
    dtype = input.dtype if input.dtype.is_floating_point else D.get_default_dtype()
    be = input._backend
    axes = tuple(axis(be, dtype, d, input.shape[d], taps, exact) for d, taps, exact in plans)
    return unary(cls, input, axes)


def adaptive_plans(
    op: str, input: Tensor, output_size: Any, dims: int
) -> list[tuple[int, Taps, bool]]:
    """The averaging maps of adaptive average pooling to ``output_size`` over the last
    ``dims`` dims (``None`` in ``output_size``: that dim's size is kept)."""
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(
            f"{op}(): Expected {dims + 1}D or {dims + 2}D tensor, but got {list(input.shape)}"
        )
    sizes = list(output_size) if isinstance(output_size, (tuple, list)) else [output_size] * dims
    if len(sizes) != dims:
        raise RuntimeError(f"{op}(): output_size must be {dims} ints, got {output_size!r}")
    if any(s == 0 for s in input.shape[-dims:]):
        raise RuntimeError(
            f"{op}(): Expected input to have non-zero size for non-batch dimensions, but "
            f"input has sizes {list(input.shape)}"
        )
    plans = []
    for i, s in enumerate(sizes):
        d = i - dims
        n_in = input.shape[d]
        n_out = n_in if s is None else int(s)
        if n_out < 0:
            raise RuntimeError(f"{op}(): elements of output_size must be non-negative")
        if n_out != n_in:
            plans.append((d, _bins(n_in, n_out), True))
    return plans


# -- interpolate -----------------------------------------------------------------------------


_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")


def _output_size(
    input: Tensor, size: Any, scale_factor: Any, recompute: bool | None
) -> tuple[list[int], list[float | None]]:
    dims = input.ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if recompute:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        sizes = list(size) if isinstance(size, (list, tuple)) else [size] * dims
        if len(sizes) != dims:
            raise ValueError(
                "Input and output must have the same number of spatial dimensions, but got "
                f"input with spatial dimensions of {list(input.shape[2:])} and output size of "
                f"{size}."
            )
        if not all(isinstance(s, int) and not isinstance(s, bool) for s in sizes):
            raise TypeError(f"expected size to be an int or a tuple of ints, got {size!r}")
        return sizes, [None] * dims
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    scales = (
        list(scale_factor) if isinstance(scale_factor, (list, tuple)) else [scale_factor] * dims
    )
    if len(scales) != dims:
        raise ValueError(
            "Input and scale_factor must have the same number of spatial dimensions, but got "
            f"input with spatial dimensions of {list(input.shape[2:])} and scale_factor of "
            f"shape {scale_factor}."
        )
    sizes = [math.floor(n * float(s)) for n, s in zip(input.shape[2:], scales)]
    return sizes, [None] * dims if recompute else [float(s) for s in scales]


def _check_mode(input: Tensor, mode: str, align_corners: bool | None, antialias: bool) -> None:
    if mode not in _MODES:
        raise NotImplementedError(
            f"interpolate(): mode must be one of {', '.join(_MODES)}, got {mode!r}"
        )
    if mode in ("nearest", "area", "nearest-exact") and align_corners is not None:
        raise ValueError(
            "align_corners option can only be set with the interpolating modes: "
            "linear | bilinear | bicubic | trilinear"
        )
    if antialias:
        raise NotImplementedError("interpolate(): antialias=True is not supported")
    dims = input.ndim - 2
    need = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}.get(mode)
    if not 1 <= dims <= 3:
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
            f"the modes: nearest | linear | bilinear | bicubic | trilinear | area | "
            f"nearest-exact (got {mode})"
        )
    if need is not None and need != dims:
        raise NotImplementedError(
            f"Got {input.ndim}D input, but {mode} mode needs {need + 2}D input"
        )


def interpolate(
    input: Tensor,
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize the spatial dims of ``(N, C, *spatial)`` to ``size`` (or by ``scale_factor``),
    as PyTorch's: ``nearest``, ``nearest-exact``, ``linear`` (3-D input), ``bilinear`` and
    ``bicubic`` (4-D), ``trilinear`` (5-D) and ``area`` (adaptive average pooling).

    Example:
        >>> import tensorplug as tp
        >>> x = tp.tensor([[[0.0, 1.0, 2.0]]])
        >>> tp.nn.functional.interpolate(x, scale_factor=2, mode="linear")
        tensor([[[0.0000, 0.2500, 0.7500, 1.2500, 1.7500, 2.0000]]])
    """
    _check_mode(input, mode, align_corners, antialias)
    recompute = recompute_scale_factor or (mode == "area" and size is None)
    sizes, scales = _output_size(input, size, scale_factor, recompute)
    dims = input.ndim - 2
    if mode == "area":
        from ._pooling import adaptive_avg_pool1d, adaptive_avg_pool2d

        pool = adaptive_avg_pool1d if dims == 1 else adaptive_avg_pool2d
        if dims == 3:
            raise NotImplementedError("interpolate(): mode='area' of a 5-D input is not supported")
        return pool(input, sizes if dims > 1 else sizes[0])
    if any(s <= 0 for s in sizes) or any(n <= 0 for n in input.shape[2:]):
        raise RuntimeError(
            f"interpolate(): input and output sizes should be greater than 0, but got input "
            f"size {list(input.shape[2:])} and output size {sizes}"
        )
    corners = bool(align_corners)
    plans = []
    for i, (n_out, scale) in enumerate(zip(sizes, scales)):
        d = i - dims
        n_in = input.shape[d]
        if mode in ("nearest", "nearest-exact"):
            taps = _nearest(n_in, n_out, scale, mode == "nearest-exact")
        elif mode == "bicubic":
            taps = _cubic(n_in, n_out, scale, corners)
        else:
            taps = _linear(n_in, n_out, scale, corners)
        if n_out != n_in or scale not in (None, 1.0):
            plans.append((d, taps, False))  # a dim that keeps its size maps to itself
    return resample(_NODES[(mode, dims)], input, plans)
