"""Op-database entries for the layers of issue 16 in ``tensorplug.nn.functional``: the 1-D and
transposed convolutions, padding, resampling, the 1-D and adaptive pools, channel dropout and
the group, instance and local response normalisations, each with a NumPy float64 reference
written from the op's definition (not from tensorplug's way of computing it)."""

# NumPy's stubs type most compositions of ufuncs as Any; references return arrays.
# mypy: disable-error-code="no-any-return"

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

import tensorplug.nn.functional as F

from .. import _dtype as D
from ._compare import Tol
from ._opdb_nn import _conv2d_ref
from ._opinfo import ErrorInput, OpInfo, SampleInput, TorchRef
from ._samples import distinct, uniform

Gen = np.random.Generator
S = SampleInput
NN = "tensorplug.nn.functional"
F16 = Tol(1e-3, 1e-2, "float16 accumulation over several terms")
F16_GRAD = Tol(2e-2, 2e-2, "float16 gradient through several rounded steps")
COMPOSED = (("*", "a composition of tensor ops here; PyTorch has a node of its own"),)


def _n(v: Any, n: int) -> tuple[int, ...]:
    return (v,) * n if isinstance(v, int) else tuple(int(a) for a in v) * (n // len(v))


# -- convolutions ----------------------------------------------------------------------------


def _conv1d_ref(x: np.ndarray, w: np.ndarray, b: Any = None, stride: Any = 1, padding: Any = 0,
                dilation: Any = 1, groups: int = 1) -> np.ndarray:  # fmt: skip
    if x.ndim == 2:
        return _conv1d_ref(x[None], w, b, stride, padding, dilation, groups)[0]
    if isinstance(padding, str):
        total = _n(dilation, 1)[0] * (w.shape[-1] - 1) if padding == "same" else 0
        x = np.pad(x, ((0, 0), (0, 0), (total // 2, total - total // 2)))
        padding = 0
    out = _conv2d_ref(
        x[:, :, None], w[:, :, None], b, (1, _n(stride, 1)[0]), (0, _n(padding, 1)[0]),
        (1, _n(dilation, 1)[0]), groups,
    )  # fmt: skip
    return out[:, :, 0]


def _conv_t_ref(
    x: np.ndarray,
    w: np.ndarray,
    b: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> np.ndarray:
    """Every input element scattered, times the kernel, onto the output (the definition)."""
    dims = x.ndim - 2
    st, pd, op, dl = (_n(v, dims) for v in (stride, padding, output_padding, dilation))
    n, c = x.shape[:2]
    o = w.shape[1] * groups
    kernel = w.shape[2:]
    full = [(i - 1) * s + d * (k - 1) + 1 + e for i, s, d, k, e in
            zip(x.shape[2:], st, dl, kernel, op)]  # fmt: skip
    out = np.zeros((n, o, *full))
    cg, og = c // groups, o // groups
    for g in range(groups):
        xs, ws = x[:, g * cg : (g + 1) * cg], w[g * cg : (g + 1) * cg]
        for tap in np.ndindex(*kernel):
            contrib = np.einsum("nc...,co->no...", xs, ws[(slice(None), slice(None)) + tuple(tap)])
            at = tuple(slice(t * d, t * d + s * (i - 1) + 1, s)
                       for t, d, s, i in zip(tap, dl, st, x.shape[2:]))  # fmt: skip
            out[(slice(None), slice(g * og, (g + 1) * og)) + at] += contrib
    crop = tuple(slice(p, f - p) for p, f in zip(pd, full))
    out = out[(slice(None), slice(None)) + crop]
    return out if b is None else out + b.reshape(1, -1, *([1] * dims))


def _conv1d_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("basic_bias", (uniform(rng, (2, 2, 7)), uniform(rng, (3, 2, 3)), uniform(rng, (3,))))
    yield S(
        "stride_padding_dilation_groups",
        (uniform(rng, (1, 4, 9)), uniform(rng, (4, 2, 2))),
        {"stride": 2, "padding": 1, "dilation": 2, "groups": 2},
    )
    yield S(
        "same_dilation",
        (uniform(rng, (1, 2, 6)), uniform(rng, (2, 2, 3))),
        {"padding": "same", "dilation": 2},
    )
    yield S("unbatched", (uniform(rng, (2, 5)), uniform(rng, (3, 2, 2))))


def _conv_t1d_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("basic_bias", (uniform(rng, (2, 2, 4)), uniform(rng, (2, 3, 3)), uniform(rng, (3,))))
    yield S(
        "stride_padding_output_padding",
        (uniform(rng, (1, 2, 4)), uniform(rng, (2, 2, 3))),
        {"stride": 3, "padding": 1, "output_padding": 2},
    )
    yield S(
        "groups_dilation",
        (uniform(rng, (1, 4, 3)), uniform(rng, (4, 1, 2)), uniform(rng, (2,))),
        {"groups": 2, "dilation": 2},
    )


def _conv_t2d_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S(
        "basic_bias", (uniform(rng, (2, 2, 3, 3)), uniform(rng, (2, 3, 2, 2)), uniform(rng, (3,)))
    )
    yield S(
        "stride_padding_output_padding",
        (uniform(rng, (1, 2, 3, 2)), uniform(rng, (2, 2, 3, 2))),
        {"stride": (2, 3), "padding": (1, 0), "output_padding": (1, 2)},
    )
    yield S(
        "groups_dilation",
        (uniform(rng, (1, 4, 2, 3)), uniform(rng, (4, 1, 2, 2))),
        {"groups": 2, "dilation": (2, 1)},
    )
    yield S(
        "stride_1_output_padding",
        (uniform(rng, (1, 2, 3, 3)), uniform(rng, (2, 2, 3, 2))),
        {"padding": (1, 0), "output_padding": 1, "dilation": 2},
    )


def _conv_errors(op: str, dims: int) -> Any:
    def gen() -> Iterator[ErrorInput]:
        sp = (4,) * dims
        yield ErrorInput(
            S("channel_mismatch", (np.ones((1, 3, *sp)), np.ones((2, 2, *(2,) * dims)))),
            RuntimeError,
            "channels",
        )
        yield ErrorInput(
            S("weight_rank", (np.ones((1, 2, *sp)), np.ones((2, 2)))), RuntimeError, "weight"
        )
        if op.startswith("conv_transpose"):
            yield ErrorInput(
                S("output_padding_too_big", (np.ones((1, 2, *sp)), np.ones((2, 2, *(2,) * dims))),
                  {"stride": 2, "output_padding": 2}),
                RuntimeError,
                "output padding must be smaller",
            )  # fmt: skip
        else:
            yield ErrorInput(
                S("kernel_too_big", (np.ones((1, 2, *sp)), np.ones((2, 2, *(5,) * dims)))),
                RuntimeError,
                "Kernel size can't be greater than actual input size",
            )

    return gen


# -- padding ---------------------------------------------------------------------------------

_NP_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _pad_ref(x: np.ndarray, pad: Any, mode: str = "constant", value: Any = None) -> np.ndarray:
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        lo, hi = pad[2 * i], pad[2 * i + 1]
        d = x.ndim - 1 - i
        x = x[(slice(None),) * d + (slice(max(-lo, 0), x.shape[d] - max(-hi, 0)),)]
        widths[d] = (max(lo, 0), max(hi, 0))
    if mode == "constant":
        return np.pad(x, widths, constant_values=0.0 if value is None else value)
    return np.pad(x, widths, mode=_NP_MODES[mode])  # type: ignore[call-overload]


def _pad_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("constant_2d", (uniform(rng, (2, 3, 4)), (1, 2, 0, 1)), {"value": 1.5})
    yield S("constant_crop", (uniform(rng, (2, 5, 4)), (-1, 2, 1, -2)))
    yield S("constant_any_rank", (uniform(rng, (3,)), (2, 1)))
    for mode in ("reflect", "replicate", "circular"):
        yield S(f"{mode}_1d", (uniform(rng, (2, 3, 5)), (2, 3)), {"mode": mode})
        yield S(f"{mode}_2d", (uniform(rng, (1, 2, 4, 5)), (1, 2, 3, 0)), {"mode": mode})
        yield S(f"{mode}_3d", (uniform(rng, (1, 1, 3, 3, 4)), (1, 1, 0, 2, 2, 1)), {"mode": mode})


def _pad_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(S("odd_length", (np.ones((2, 3)), (1, 2, 3))), RuntimeError, "divisible by 2")
    yield ErrorInput(
        S("reflect_too_wide", (np.ones((1, 2, 3)), (3, 0)), {"mode": "reflect"}),
        RuntimeError,
        "Padding size should be less than the corresponding input dimension",
    )
    yield ErrorInput(
        S("too_many", (np.ones((2, 3)), (1, 1, 1, 1, 1, 1))),
        RuntimeError,
        "Padding length should be less than or equal to two times the input dimension",
    )


# -- resampling ------------------------------------------------------------------------------


def _src_linear(i: int, n_in: int, n_out: int, scale: Any, corners: bool) -> float:
    if corners:
        return i * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    return (1.0 / scale if scale else n_in / n_out) * (i + 0.5) - 0.5


def _cubic(t: float) -> list[float]:
    a = -0.75

    def near(x: float) -> float:
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x: float) -> float:
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _matrix(mode: str, n_in: int, n_out: int, scale: Any, corners: bool) -> np.ndarray:
    """The interpolation of one dim as an (out x in) matrix, by PyTorch's definitions."""
    m = np.zeros((n_out, n_in))
    for i in range(n_out):
        if mode in ("nearest", "nearest-exact"):
            s = np.float32(1.0 / scale if scale else n_in / n_out)
            shift = np.float32(0.5 if mode == "nearest-exact" else 0.0)
            m[i, min(int(np.floor(np.float32(i + shift) * s)), n_in - 1)] = 1.0
        elif mode == "area":
            lo, hi = (i * n_in) // n_out, -(-((i + 1) * n_in) // n_out)
            m[i, lo:hi] = 1.0 / (hi - lo)
        elif mode == "bicubic":
            src = _src_linear(i, n_in, n_out, scale, corners)
            lo = math.floor(src)
            for j, wt in enumerate(_cubic(src - lo)):
                m[i, min(max(lo - 1 + j, 0), n_in - 1)] += wt
        else:
            src = max(_src_linear(i, n_in, n_out, scale, corners), 0.0)
            lo = min(math.floor(src), n_in - 1)
            lam = src - lo
            m[i, lo] += 1 - lam
            m[i, min(lo + 1, n_in - 1)] += lam
    return m


def _interpolate_ref(x: np.ndarray, size: Any = None, scale_factor: Any = None,
                     mode: str = "nearest", align_corners: Any = None) -> np.ndarray:  # fmt: skip
    dims = x.ndim - 2
    scales = [scale_factor] * dims if not isinstance(scale_factor, (tuple, list)) else scale_factor
    if size is None:
        sizes = [math.floor(n * s) for n, s in zip(x.shape[2:], scales)]
    else:
        sizes = list(size) if isinstance(size, (tuple, list)) else [size] * dims
        scales = [None] * dims
    for d in range(dims):
        m = _matrix(mode, x.shape[2 + d], sizes[d], scales[d], bool(align_corners))
        x = np.moveaxis(np.tensordot(x, m, axes=([2 + d], [1])), -1, 2 + d)
    return x


def _interpolate_samples(rng: Gen) -> Iterator[SampleInput]:
    x4 = uniform(rng, (2, 2, 3, 4))
    yield S("nearest_size", (x4,), {"size": (5, 7)})
    yield S("nearest_scale", (x4,), {"scale_factor": 2})
    yield S("nearest_down", (uniform(rng, (1, 2, 7, 6)),), {"size": (3, 4)})
    yield S("nearest_exact", (x4,), {"size": (5, 3), "mode": "nearest-exact"})
    yield S("linear", (uniform(rng, (2, 2, 5)),), {"scale_factor": 1.5, "mode": "linear"})
    yield S("bilinear", (x4,), {"size": (6, 5), "mode": "bilinear"})
    yield S(
        "bilinear_align_corners",
        (x4,),
        {"scale_factor": 2, "mode": "bilinear", "align_corners": True},
    )
    yield S("bilinear_down", (uniform(rng, (1, 1, 7, 6)),), {"size": (3, 4), "mode": "bilinear"})
    yield S("bicubic", (x4,), {"size": (5, 6), "mode": "bicubic"})
    yield S("bicubic_align_corners", (x4,), {"size": (6, 5), "mode": "bicubic",
                                              "align_corners": True})  # fmt: skip
    yield S("area", (uniform(rng, (1, 2, 7, 5)),), {"size": (3, 2), "mode": "area"})


def _interpolate_errors() -> Iterator[ErrorInput]:
    x = np.ones((1, 1, 2, 2))
    yield ErrorInput(
        S("size_and_scale", (x,), {"size": 3, "scale_factor": 2}), ValueError, "only one of"
    )
    yield ErrorInput(
        S("corners_with_nearest", (x,), {"size": 3, "align_corners": True}),
        ValueError,
        "align_corners option can only be set",
    )
    yield ErrorInput(
        S("linear_of_4d", (x,), {"size": 3, "mode": "linear"}), NotImplementedError, "3D input"
    )


# -- pooling ---------------------------------------------------------------------------------


def _windows(x: np.ndarray, k: int, s: int, p: int, d: int, fill: float, ceil: bool) -> np.ndarray:
    """``(N, C, out, k)`` windows along the last dim, padding (and a ceil window's overhang)
    read as ``fill``."""
    n = x.shape[-1]
    span = n + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil else 0)) // s + 1
    if ceil and (out - 1) * s >= n + p:
        out -= 1
    xp = np.full((*x.shape[:-1], n + 2 * p + s * k * d), fill)
    xp[..., p : p + n] = x
    return np.stack([xp[..., i * s : i * s + d * (k - 1) + 1 : d] for i in range(out)], -2)


def _max_pool1d_ref(x: np.ndarray, kernel_size: Any, stride: Any = None, padding: Any = 0,
                    dilation: Any = 1, ceil_mode: bool = False) -> np.ndarray:  # fmt: skip
    k = _n(kernel_size, 1)[0]
    s = k if stride is None else _n(stride, 1)[0]
    return _windows(x, k, s, _n(padding, 1)[0], _n(dilation, 1)[0], -np.inf, ceil_mode).max(-1)


def _avg_pool1d_ref(
    x: np.ndarray,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> np.ndarray:
    k = _n(kernel_size, 1)[0]
    s, p = k if stride is None else _n(stride, 1)[0], _n(padding, 1)[0]
    total = _windows(x, k, s, p, 1, 0.0, ceil_mode).sum(-1)
    n = x.shape[-1]
    starts = [i * s - p for i in range(total.shape[-1])]
    if count_include_pad:  # PyTorch's count: the window clipped to the padded input
        count = [min(a + k, n + p) - a for a in starts]
    else:
        count = [min(a + k, n) - max(a, 0) for a in starts]
    return total / np.array(count, dtype=np.float64)


def _pool1d_samples(kind: str) -> Any:
    def gen(rng: Gen) -> Iterator[SampleInput]:
        def x(*shape: int) -> np.ndarray:
            return distinct(rng, shape) if kind == "max" else uniform(rng, shape)

        yield S("k2", (x(2, 3, 8), 2))
        yield S("k3_stride2_padding1", (x(1, 2, 9), 3), {"stride": 2, "padding": 1})
        yield S("ceil_mode", (x(1, 2, 8), 3), {"stride": 2, "ceil_mode": True})
        yield S("unbatched", (x(3, 7), 3), {"stride": 1})
        if kind == "max":
            yield S("dilation", (x(1, 2, 9), 2), {"stride": 1, "dilation": 3})
        else:
            yield S(
                "exclude_pad_ceil",
                (x(1, 1, 8), 3),
                {"stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
            )

    return gen


def _bins(n_in: int, n_out: int) -> list[tuple[int, int]]:
    return [((i * n_in) // n_out, -(-((i + 1) * n_in) // n_out)) for i in range(n_out)]


def _adaptive_ref(kind: str, dims: int) -> Any:
    def ref(x: np.ndarray, output_size: Any, return_indices: bool = False) -> Any:
        sizes = _n(output_size, dims) if not isinstance(output_size, (tuple, list)) else output_size
        sizes = [x.shape[-dims + i] if s is None else s for i, s in enumerate(sizes)]
        rows = _bins(x.shape[-dims], sizes[0])
        cols = _bins(x.shape[-1], sizes[-1]) if dims == 2 else [(0, 1)]
        xs = x if dims == 2 else x[..., None]
        out = np.empty((*x.shape[:-dims], len(rows), len(cols)))
        idx = np.empty(out.shape, np.int64)
        for i, (a, b) in enumerate(rows):
            for j, (c, e) in enumerate(cols):
                win = xs[..., a:b, c:e]
                flat = win.reshape(*win.shape[:-2], -1)
                if kind == "avg":
                    out[..., i, j] = flat.mean(-1)
                    continue
                t = flat.argmax(-1)
                out[..., i, j] = flat.max(-1)
                idx[..., i, j] = (a + t // (e - c)) * xs.shape[-1] + c + t % (e - c)
        out, idx = (out, idx) if dims == 2 else (out[..., 0], idx[..., 0])
        return (out, idx) if return_indices else out

    return ref


def _adaptive_samples(kind: str, dims: int) -> Any:
    def gen(rng: Gen) -> Iterator[SampleInput]:
        def x(*shape: int) -> np.ndarray:
            return distinct(rng, shape) if kind == "max" else uniform(rng, shape)

        sp = (7, 5)[:dims] if dims == 2 else (7,)
        yield S("shrink", (x(2, 2, *sp), (3, 2) if dims == 2 else 3))
        yield S("grow", (x(1, 2, *(3,) * dims), (5, 4) if dims == 2 else 5))
        yield S("one", (x(1, 3, *sp), 1))
        yield S("unbatched", (x(2, *sp), (2, 3) if dims == 2 else 2))
        if dims == 2:
            yield S("keep_one_dim", (x(1, 2, *sp), (None, 2)))
        if kind == "max":
            shape, size = ((1, 2, 5, 6), (2, 4)) if dims == 2 else ((1, 2, 9), 4)
            yield S("return_indices", (x(*shape), size), {"return_indices": True})

    return gen


# -- normalisation and dropout ---------------------------------------------------------------


def _affine(y: np.ndarray, w: Any, b: Any) -> np.ndarray:
    shape = (1, -1) + (1,) * (y.ndim - 2)
    y = y if w is None else y * w.reshape(shape)
    return y if b is None else y + b.reshape(shape)


def _group_norm_ref(x: np.ndarray, num_groups: int, weight: Any = None, bias: Any = None,
                    eps: float = 1e-5) -> np.ndarray:  # fmt: skip
    g = x.reshape(x.shape[0], num_groups, -1)
    y = (g - g.mean(-1, keepdims=True)) / np.sqrt(g.var(-1, keepdims=True) + eps)
    return _affine(y.reshape(x.shape), weight, bias)


def _instance_norm_ref(x: np.ndarray, running_mean: Any = None, running_var: Any = None,
                       weight: Any = None, bias: Any = None, use_input_stats: bool = True,
                       momentum: float = 0.1, eps: float = 1e-5) -> np.ndarray:  # fmt: skip
    axes = tuple(range(2, x.ndim))
    y = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + eps)
    return _affine(y, weight, bias)


def _lrn_ref(x: np.ndarray, size: int, alpha: float = 1e-4, beta: float = 0.75,
             k: float = 1.0) -> np.ndarray:  # fmt: skip
    c = x.shape[1]
    sq = np.pad(x * x, [(0, 0), (size // 2, (size - 1) // 2)] + [(0, 0)] * (x.ndim - 2))
    div = np.stack([sq[:, i : i + size].sum(1) / size for i in range(c)], 1)
    return x / (k + alpha * div) ** beta


def _norm_samples(op: str) -> Any:
    def gen(rng: Gen) -> Iterator[SampleInput]:
        if op == "group_norm":
            yield S("affine", (uniform(rng, (2, 4, 3)), 2, uniform(rng, (4,)), uniform(rng, (4,))))
            yield S("plain_4d", (uniform(rng, (2, 6, 2, 2)), 3))
            yield S("one_group", (uniform(rng, (3, 2, 4)), 1), {"eps": 1e-3})
        elif op == "instance_norm":
            yield S("plain", (uniform(rng, (2, 3, 4)),))
            yield S(
                "affine_4d",
                (uniform(rng, (2, 2, 3, 3)),),
                {"weight": uniform(rng, (2,)), "bias": uniform(rng, (2,))},
            )
        else:
            yield S("size2", (uniform(rng, (2, 5, 3)), 2))
            yield S(
                "size3_4d", (uniform(rng, (1, 4, 2, 3)), 3), {"alpha": 0.5, "beta": 0.6, "k": 2.0}
            )

    return gen


def _norm_errors(op: str) -> Any:
    def gen() -> Iterator[ErrorInput]:
        if op == "group_norm":
            yield ErrorInput(
                S("groups_not_dividing", (np.ones((2, 4, 3)), 3)),
                RuntimeError,
                "divisible by num_groups",
            )

    return gen


def _dropout_ref(x: np.ndarray, p: float = 0.5, training: bool = True,
                 inplace: bool = False) -> np.ndarray:  # fmt: skip
    return x


def _dropout_samples(rank: int) -> Any:
    def gen(rng: Gen) -> Iterator[SampleInput]:
        # Only the deterministic settings: the random mask is a backend's RNG, not a formula.
        yield S("eval", (uniform(rng, (2, 3, *(4,) * (rank - 2))),), {"training": False})
        yield S("p0_training", (uniform(rng, (2, 3, *(2,) * (rank - 2))),), {"p": 0.0})

    return gen


def _entry(name: str, ref: Any, samples: Any, **kw: Any) -> OpInfo:
    nodes = kw.pop("other_nodes", ())
    tol = {D.float16: F16}
    return OpInfo(
        name, getattr(F, name), ref, samples, namespace=NN, tolerances=tol,
        grad_tolerances={D.float16: F16_GRAD},
        torch_ref=TorchRef(f"nn.functional.{name}", other_nodes=nodes), **kw,
    )  # fmt: skip


def layer_ops() -> list[OpInfo]:
    return [
        _entry("conv1d", _conv1d_ref, _conv1d_samples, errors=_conv_errors("conv1d", 1)),
        _entry("conv_transpose1d", _conv_t_ref, _conv_t1d_samples,
               errors=_conv_errors("conv_transpose1d", 1)),
        _entry("conv_transpose2d", _conv_t_ref, _conv_t2d_samples,
               errors=_conv_errors("conv_transpose2d", 2)),
        _entry("pad", _pad_ref, _pad_samples, errors=_pad_errors,
               other_nodes=(("circular_*", "PyTorch pads circularly with CopySlices"),)),
        _entry("interpolate", _interpolate_ref, _interpolate_samples, errors=_interpolate_errors),
        _entry("max_pool1d", _max_pool1d_ref, _pool1d_samples("max")),
        _entry("avg_pool1d", _avg_pool1d_ref, _pool1d_samples("avg")),
        _entry("adaptive_avg_pool1d", _adaptive_ref("avg", 1), _adaptive_samples("avg", 1)),
        _entry("adaptive_avg_pool2d", _adaptive_ref("avg", 2), _adaptive_samples("avg", 2)),
        _entry("adaptive_max_pool1d", _adaptive_ref("max", 1), _adaptive_samples("max", 1),
               grad_outputs=lambda out: out[0] if isinstance(out, tuple) else out),
        _entry("adaptive_max_pool2d", _adaptive_ref("max", 2), _adaptive_samples("max", 2),
               grad_outputs=lambda out: out[0] if isinstance(out, tuple) else out),
        _entry("group_norm", _group_norm_ref, _norm_samples("group_norm"),
               errors=_norm_errors("group_norm"), other_nodes=COMPOSED),
        _entry("instance_norm", _instance_norm_ref, _norm_samples("instance_norm"),
               other_nodes=COMPOSED),
        _entry("local_response_norm", _lrn_ref, _norm_samples("lrn")),
        _entry("dropout1d", _dropout_ref, _dropout_samples(3)),
        _entry("dropout2d", _dropout_ref, _dropout_samples(4)),
    ]  # fmt: skip
