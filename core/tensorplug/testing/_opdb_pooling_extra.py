"""Op-database entries of the pooling, dropout, bag and loss functions PyTorch models use
that issue 16/17's survey found missing: ``adaptive_avg_pool3d``, ``adaptive_max_pool3d``,
``lp_pool1d/2d/3d``, ``max_unpool1d/2d/3d``, ``dropout3d``, ``alpha_dropout``,
``feature_alpha_dropout`` (their deterministic settings), ``embedding_bag`` and the margin
losses, each with a NumPy float64 reference written from the definition."""

# NumPy's stubs type most compositions of ufuncs as Any; references return arrays.
# mypy: disable-error-code="no-any-return"

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from ._opdb_activation_shrink import COMPOSED, _entry, _errors
from ._opdb_layers import _dropout_ref, _dropout_samples
from ._opinfo import NoGrad, OpInfo, SampleInput
from ._samples import distinct, uniform, with_kernels

_SC = ("scatter_add",)
"""The writes at index arrays (unpooling, a bag's rows) and their gradients take it."""

Gen = np.random.Generator
S = SampleInput


def _bins(n_in: int, n_out: int) -> list[tuple[int, int]]:
    return [(i * n_in // n_out, math.ceil((i + 1) * n_in / n_out)) for i in range(n_out)]


def _adaptive3d_ref(kind: str) -> Any:
    def ref(x: np.ndarray, output_size: Any, return_indices: bool = False) -> np.ndarray:
        sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * 3
        sizes = [x.shape[d - 3] if s is None else s for d, s in enumerate(sizes)]
        out = np.zeros((*x.shape[:-3], *sizes))
        for i, (d0, d1) in enumerate(_bins(x.shape[-3], sizes[0])):
            for j, (h0, h1) in enumerate(_bins(x.shape[-2], sizes[1])):
                for k, (w0, w1) in enumerate(_bins(x.shape[-1], sizes[2])):
                    box = x[..., d0:d1, h0:h1, w0:w1]
                    red = box.mean if kind == "avg" else box.max
                    out[..., i, j, k] = red(axis=(-3, -2, -1))
        return out

    return ref


def _adaptive3d_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("batch", (distinct(rng, (2, 2, 4, 5, 3)), (2, 3, 2)))
    yield S("unbatched_none", (distinct(rng, (2, 3, 4, 5)), (2, None, 3)))
    yield S("one", (distinct(rng, (1, 2, 3, 2, 2)), 1))


def _lp_ref(dims: int) -> Any:
    def ref(x: np.ndarray, norm_type: float, kernel_size: Any, stride: Any = None,
            ceil_mode: bool = False) -> np.ndarray:  # fmt: skip
        ks = (kernel_size,) * dims if isinstance(kernel_size, int) else tuple(kernel_size)
        st = ks if stride is None else (stride,) * dims if isinstance(stride, int) else stride
        sp = x.shape[-dims:]
        outs = [(n - k) // s + 1 for n, k, s in zip(sp, ks, st)]
        out = np.zeros((*x.shape[:-dims], *outs))
        for idx in np.ndindex(*outs):
            win: tuple[Any, ...] = (Ellipsis,)
            win += tuple(slice(i * s, i * s + k) for i, s, k in zip(idx, st, ks))
            total = (x[win] ** norm_type).sum(axis=tuple(range(-dims, 0)))
            out[(Ellipsis,) + tuple(idx)] = total ** (1.0 / norm_type)
        return out

    return ref


def _lp_samples(dims: int) -> Any:
    def gen(rng: Gen) -> Iterator[SampleInput]:
        shape = {1: (2, 3, 7), 2: (1, 2, 5, 4), 3: (1, 2, 4, 3, 4)}[dims]
        yield S("p2", (uniform(rng, shape, 0.5, 2.0), 2, 2))
        yield S("p3_stride1", (uniform(rng, shape, 0.5, 2.0), 3.0, 2), {"stride": 1})

    return gen


def _unpool_ref(dims: int, x: np.ndarray, indices: np.ndarray, kernel_size: Any,
                stride: Any = None, padding: Any = 0, output_size: Any = None,
                ) -> np.ndarray:  # fmt: skip
    ks = (kernel_size,) * dims if isinstance(kernel_size, int) else tuple(kernel_size)
    st = ks if stride is None else (stride,) * dims if isinstance(stride, int) else stride
    size = [(n - 1) * s + k for n, s, k in zip(x.shape[-dims:], st, ks)]
    if output_size is not None:
        size = list(output_size)[-dims:]
    lead = x.shape[:-dims]
    out = np.zeros((*lead, math.prod(size)))
    flat_x, flat_i = x.reshape(*lead, -1), indices.reshape(*lead, -1)
    np.put_along_axis(out, flat_i, flat_x, axis=-1)
    return out.reshape(*lead, *size)


def _unpool(dims: int) -> Any:
    return functools.partial(_unpool_ref, dims)


def _unpool_samples(dims: int) -> Any:
    def gen(rng: Gen) -> Iterator[SampleInput]:
        lead = (2, 2)
        pooled = {1: (3,), 2: (2, 3), 3: (2, 2, 1)}[dims]
        full = tuple(2 * p for p in pooled)
        # One index per 2-wide window, anywhere in it: the output a max pool gives.
        offs = [rng.integers(0, 2, (*lead, *pooled)) for _ in range(dims)]
        grids = np.meshgrid(*(np.arange(p) for p in pooled), indexing="ij")
        pos = [2 * g + o for g, o in zip(grids, offs)]
        flat = np.ravel_multi_index(tuple(pos), full).astype(np.int64)
        yield S("kernel2", (uniform(rng, (*lead, *pooled)), flat, 2))
        big = tuple(f + 1 for f in full)
        flat_big = np.ravel_multi_index(tuple(pos), big).astype(np.int64)
        yield S("output_size", (uniform(rng, (*lead, *pooled)), flat_big, 2),
                {"output_size": big})  # fmt: skip

    return gen


def _bag_ref(input: np.ndarray, weight: np.ndarray, offsets: Any = None, max_norm: Any = None,
             norm_type: float = 2, scale_grad_by_freq: bool = False, mode: str = "mean",
             sparse: bool = False, per_sample_weights: Any = None,
             include_last_offset: bool = False, padding_idx: Any = None) -> np.ndarray:  # fmt: skip
    if input.ndim == 2:
        bags = list(input)
        psw = list(per_sample_weights) if per_sample_weights is not None else [None] * len(bags)
    else:
        starts = list(offsets[:-1] if include_last_offset else offsets)
        ends = [*starts[1:], input.shape[0]]
        bags = [input[a:b] for a, b in zip(starts, ends)]
        psw = ([per_sample_weights[a:b] for a, b in zip(starts, ends)]
               if per_sample_weights is not None else [None] * len(bags))  # fmt: skip
    out = np.zeros((len(bags), weight.shape[1]))
    for i, (bag, w) in enumerate(zip(bags, psw)):
        keep = bag != padding_idx if padding_idx is not None else np.ones(len(bag), bool)
        rows = weight[bag[keep]] * (w[keep][:, None] if w is not None else 1.0)
        if rows.shape[0]:
            out[i] = {"sum": rows.sum, "mean": rows.mean, "max": rows.max}[mode](axis=0)
    return out


def _bag_samples(rng: Gen) -> Iterator[SampleInput]:
    idx = np.array([0, 2, 1, 5, 5, 3, 1], np.int64)
    off = np.array([0, 3, 3, 5], np.int64)
    yield S("mean_offsets", (idx, uniform(rng, (6, 3)), off))
    yield S("sum_psw", (idx, uniform(rng, (6, 3)), off),
            {"mode": "sum", "per_sample_weights": uniform(rng, (7,))})  # fmt: skip
    yield S("max_padding", (idx, distinct(rng, (6, 3)), off), {"mode": "max", "padding_idx": 1})
    yield S("2d_sum", (idx[:6].reshape(2, 3), uniform(rng, (6, 3))), {"mode": "sum"})
    yield S("last_offset", (idx, uniform(rng, (6, 3)), np.array([0, 3, 7], np.int64)),
            {"include_last_offset": True, "padding_idx": 5})  # fmt: skip


def _soft_margin_ref(x: np.ndarray, y: np.ndarray, size_average: Any = None, reduce: Any = None,
                     reduction: str = "mean") -> Any:  # fmt: skip
    return _reduce(np.logaddexp(0.0, -y * x), reduction)


def _reduce(losses: np.ndarray, reduction: str) -> Any:
    return {"none": losses, "sum": losses.sum(), "mean": losses.mean()}[reduction]


def _multi_margin_ref(x: np.ndarray, t: np.ndarray, p: int = 1, margin: float = 1.0,
                      weight: Any = None, size_average: Any = None, reduce: Any = None,
                      reduction: str = "mean") -> Any:  # fmt: skip
    x2, t1 = x.reshape(-1, x.shape[-1]), t.reshape(-1)
    n, c = x2.shape
    z = np.maximum(margin - x2[np.arange(n), t1][:, None] + x2, 0) ** p
    if weight is not None:
        z = z * weight[t1][:, None]
    z[np.arange(n), t1] = 0
    losses = z.sum(1) / c
    return _reduce(losses.reshape(()) if x.ndim == 1 else losses, reduction)


def _multilabel_ref(x: np.ndarray, t: np.ndarray, size_average: Any = None, reduce: Any = None,
                    reduction: str = "mean") -> Any:  # fmt: skip
    x2, t2 = x.reshape(-1, x.shape[-1]), t.reshape(-1, t.shape[-1])
    c = x2.shape[1]
    losses = np.zeros(x2.shape[0])
    for i, (row, labels) in enumerate(zip(x2, t2)):
        ys = list(labels[: list(labels).index(-1)] if -1 in labels else labels)
        for j in ys:
            for k in range(c):
                if k not in ys:
                    losses[i] += max(0.0, 1 - (row[j] - row[k]))
    losses /= c
    return _reduce(losses.reshape(()) if x.ndim == 1 else losses, reduction)


def _triplet_ref(
    a: np.ndarray,
    p: np.ndarray,
    n: np.ndarray,
    *,
    distance_function: Any = None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Any:
    def d(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        return np.linalg.norm(u - v + 1e-6, axis=-1)

    d_neg = np.minimum(d(a, n), d(p, n)) if swap else d(a, n)
    return _reduce(np.maximum(margin + d(a, p) - d_neg, 0), reduction)


def _loss_samples(name: str) -> Any:
    def gen(rng: Gen) -> Iterator[SampleInput]:
        if name == "soft_margin_loss":
            signs = NoGrad(np.sign(uniform(rng, (3, 4)) + 1e-9))
            yield S("mean", (uniform(rng, (3, 4)), signs))
            yield S("none", (uniform(rng, (5,)), NoGrad(np.sign(uniform(rng, (5,))))),
                    {"reduction": "none"})  # fmt: skip
        elif name == "multi_margin_loss":
            t = np.array([0, 3, 1, 2], np.int64)
            yield S("p1", (uniform(rng, (4, 4)), t))
            yield S("p2_weight", (uniform(rng, (4, 4)), t),
                    {"p": 2, "margin": 0.5, "weight": NoGrad(uniform(rng, (4,), 0.5, 2.0)),
                     "reduction": "sum"})  # fmt: skip
            yield S("vector", (uniform(rng, (5,)), np.array(2, np.int64)))
        elif name == "multilabel_margin_loss":
            t = np.array([[3, 0, -1, 1], [0, 1, 2, 3], [-1, 0, 0, 0], [2, -1, 0, 0]], np.int64)
            yield S("batch", (distinct(rng, (4, 4)) / 3, t), {"reduction": "none"})
            yield S("vector", (distinct(rng, (4,)) / 3, np.array([1, 2, -1, 0], np.int64)))
        else:
            a, p, n = (uniform(rng, (4, 3)) for _ in range(3))
            yield S("default", (a, p, n))
            yield S("swap_margin", (a, p, n), {"swap": True, "margin": 2.0, "reduction": "sum"})

    return gen


def pooling_extra_ops() -> list[OpInfo]:
    one, i64 = np.ones, np.array
    return [
        _entry("adaptive_avg_pool3d", _adaptive3d_ref("avg"), _adaptive3d_samples,
               other_nodes=COMPOSED,
               errors=_errors(("3d", (one((2, 3, 4)), 2), {}, RuntimeError, "Expected 4D or 5D"))),
        _entry("adaptive_max_pool3d", _adaptive3d_ref("max"), _adaptive3d_samples,
               other_nodes=COMPOSED),
        *(_entry(f"lp_pool{d}d", _lp_ref(d), _lp_samples(d)) for d in (1, 2, 3)),
        *(_entry(f"max_unpool{d}d", _unpool(d), with_kernels(_unpool_samples(d), forward=_SC),
                 other_nodes=COMPOSED,
                 errors=_errors(("float_indices", (one((1, 1, *(2,) * d)), one((1, 1, *(2,) * d)),
                                                   2), {}, RuntimeError, "should be type int64")))
          for d in (1, 2, 3)),
        _entry("dropout3d", _dropout_ref, _dropout_samples(5)),
        _entry("alpha_dropout", _dropout_ref, _dropout_samples(3)),
        _entry("feature_alpha_dropout", _dropout_ref, _dropout_samples(4)),
        _entry("embedding_bag", _bag_ref, with_kernels(_bag_samples, forward=_SC),
               other_nodes=COMPOSED,
               errors=_errors(
                   ("mode", (i64([0, 1]), one((3, 2)), i64([0, 1])), {"mode": "foo"}, ValueError,
                    "mode has to be one of sum, mean or max"),
                   ("offsets_2d", (i64([[0, 1]]), one((3, 2)), i64([0])), {}, ValueError,
                    "offsets has to be None"),
                   ("out_of_range", (i64([0, 9]), one((3, 2)), i64([0, 1])), {}, RuntimeError,
                    "found idx to be 9"))),
        _entry("soft_margin_loss", _soft_margin_ref, _loss_samples("soft_margin_loss"),
               other_nodes=COMPOSED),
        _entry("multi_margin_loss", _multi_margin_ref,
               with_kernels(_loss_samples("multi_margin_loss"), grad=_SC),
               other_nodes=COMPOSED,
               errors=_errors(("p3", (one((2, 3)), i64([0, 1])), {"p": 3}, ValueError,
                               "only p == 1 and p == 2"),
                              ("target_range", (one((2, 3)), i64([0, 5])), {}, RuntimeError,
                               "target out of range"))),
        _entry("multilabel_margin_loss", _multilabel_ref,
               with_kernels(_loss_samples("multilabel_margin_loss"), grad=_SC),
               other_nodes=COMPOSED,
               errors=_errors(("target_shape", (one((2, 3)), i64([[0, 1]] * 2)), {},
                               RuntimeError, "inconsistent target size"))),
        _entry("triplet_margin_with_distance_loss", _triplet_ref, _loss_samples("triplet"),
               errors=_errors(("margin", (one((2, 3)),) * 3, {"margin": -1.0}, ValueError,
                               "margin must be greater than 0"))),
    ]  # fmt: skip
