"""Op-database entries of issue 16's order statistics and statistics: ``median``,
``nanmedian``, ``kthvalue``, ``msort``, ``quantile``, ``nanquantile``, ``nansum``,
``nanmean``, ``aminmax``, ``logcumsumexp``, ``cov``, ``corrcoef`` and ``histc``."""

# NumPy's stubs type most compositions of ufuncs as Any; references return arrays.
# mypy: disable-error-code="no-any-return"

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

import tensorplug as tp

from .. import _dtype as D
from ._opinfo import ErrorInput, NoGrad, OpInfo, SampleInput, TorchRef
from ._samples import Gen, S, distinct, errors_of, torch_function, uniform

_F32_64 = (D.float32, D.float64)
_COMPOSED = (("*", "composed of other ops (sort, gather, lerp, sums), as tensorplug builds it; "
                   "PyTorch records its own node"),)  # fmt: skip


def _first(out: Any) -> Any:
    return out[0] if isinstance(out, tuple) else out


def _pick(x: Any, pos: Any, dim: int | None, keepdim: bool) -> Any:
    """``(values, indices)`` of sorted position ``pos`` (per slice) along ``dim``."""
    if dim is None:
        flat = x.reshape(-1)
        i = np.argsort(flat, kind="stable")[pos(flat, 0)]
        return flat[i]
    order = np.argsort(x, axis=dim, kind="stable")
    p = np.expand_dims(pos(x, dim), dim)
    idx = np.take_along_axis(order, p, dim)
    vals = np.take_along_axis(x, idx, dim)
    if not keepdim:
        vals, idx = np.squeeze(vals, dim), np.squeeze(idx, dim)
    return vals, idx


def _median_pos(x: Any, dim: int) -> Any:
    n = x.shape[dim]
    nans = np.isnan(x).sum(axis=dim)
    return np.where(nans > 0, n - nans, (n - 1) // 2)


def _nanmedian_pos(x: Any, dim: int) -> Any:
    valid = x.shape[dim] - np.isnan(x).sum(axis=dim)
    return np.maximum(valid - 1, 0) // 2


def _median_ref(pos: Any) -> Any:
    def ref(x: Any, dim: int | None = None, keepdim: bool = False) -> Any:
        if dim is None and x.size == 0:
            return np.array(np.nan)
        return _pick(x, pos, dim if dim is None else dim % max(x.ndim, 1), keepdim)

    return ref


def _median_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("all", (distinct(rng, (3, 4)),))
    yield S("dim1", (distinct(rng, (3, 4)), 1))
    yield S("dim0_keepdim", (distinct(rng, (4, 3)), 0, True))
    yield S("even_1d", (distinct(rng, (6,)), 0))
    yield S("empty_all", (uniform(rng, (0, 3)),), group="special")  # NaN: no gradient check
    x = distinct(rng, (3, 5))
    x[0, 1], x[2, 0], x[2, 3] = np.nan, np.nan, np.nan
    yield S("nan_rows", (x, 1), group="special")
    yield S("nan_all", (x,), group="special")


def _kthvalue_ref(x: Any, k: int, dim: int = -1, keepdim: bool = False) -> Any:
    return _pick(x, lambda a, d: np.full(np.delete(a.shape, d), k - 1), dim % x.ndim, keepdim)


def _kthvalue_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("k2", (distinct(rng, (3, 5)), 2))
    yield S("dim0_keepdim", (distinct(rng, (4, 3)), 4, 0, True))
    yield S("k1_1d", (distinct(rng, (5,)), 1))


def _dim_errors(op: str) -> Any:
    match = f"{op}\\(\\): Expected reduction dim 1 to have non-zero size"
    return errors_of(ErrorInput(S("empty_dim", (np.ones((2, 0)), 1)), IndexError, match))


_QUANTILE_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile_ref(nan: bool) -> Any:
    fn: Any = np.nanquantile if nan else np.quantile  # method= typed as a Literal

    def ref(x: Any, q: Any, dim: int | None = None, keepdim: bool = False, *,
            interpolation: str = "linear") -> Any:  # fmt: skip
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices
            return fn(x, q, axis=dim, keepdims=keepdim, method=interpolation)

    return ref


def _quantile_samples(rng: Gen) -> Iterator[SampleInput]:
    x = distinct(rng, (3, 5))
    q = NoGrad(np.array([0.0, 0.3, 0.5, 1.0]))
    yield S("scalar_q_all", (x, 0.4))
    yield S("tensor_q_dim1", (x, q, 1))
    yield S("keepdim_dim0", (x, q, 0, True))
    for how in _QUANTILE_METHODS[1:]:
        yield S(f"{how}_dim1", (x, 0.35, 1), {"interpolation": how})
    y = x.copy()
    y[0, 2], y[2, 0], y[2, 4] = np.nan, np.nan, np.nan
    yield S("nan_rows", (y, q, 1), group="special")


def _quantile_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(S("q_out_of_range", (np.ones(3), 1.5)), RuntimeError,
                     r"q values must be in the range \[0, 1\]")  # fmt: skip
    yield ErrorInput(S("bad_interpolation", (np.ones(3), 0.5), {"interpolation": "cubic"}),
                     RuntimeError, "interpolation must be one of")  # fmt: skip


def _nan_data(rng: Gen, shape: tuple[int, ...]) -> Any:
    x = uniform(rng, shape)
    x.reshape(-1)[::3] = np.nan
    return x


def _nan_reduce_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("all", (uniform(rng, (3, 4)),))
    yield S("dim1_keepdim", (uniform(rng, (3, 4)), 1, True))
    yield S("dims", (uniform(rng, (2, 3, 2)), (0, 2)))
    yield S("nans", (_nan_data(rng, (3, 4)), 1), group="special")


def _aminmax_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("all", (distinct(rng, (3, 4)),))
    yield S("dim1", (distinct(rng, (3, 4)),), {"dim": 1})
    yield S("dim0_keepdim", (distinct(rng, (3, 4)),), {"dim": 0, "keepdim": True})


def _aminmax_ref(x: Any, *, dim: int | None = None, keepdim: bool = False) -> Any:
    return np.min(x, axis=dim, keepdims=keepdim), np.max(x, axis=dim, keepdims=keepdim)


def _logcumsumexp_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("dim1", (uniform(rng, (3, 4), -5.0, 5.0), 1))
    yield S("dim0", (uniform(rng, (3, 4), -5.0, 5.0), 0))
    yield S("far_apart", (np.array([-300.0, 500.0, 520.0, -100.0, 800.0]), 0))
    yield S("0d", (np.array(1.5), 0))
    yield S("minus_inf", (np.array([-np.inf, -np.inf, 1.0, -np.inf, 2.0]), 0), group="special")


def _cov_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("rows", (uniform(rng, (3, 5)),))
    yield S("1d", (uniform(rng, (6,)),))
    yield S("correction0", (uniform(rng, (2, 4)),), {"correction": 0})
    fw = np.array([1, 2, 1, 3], dtype=np.int64)
    aw = NoGrad(uniform(rng, (4,), 0.5, 2.0))
    yield S("weights", (uniform(rng, (2, 4)),), {"fweights": fw, "aweights": aw})


def _cov_ref(x: Any, *, correction: int = 1, fweights: Any = None, aweights: Any = None) -> Any:
    return np.cov(x, ddof=correction, fweights=fweights, aweights=aweights)


def _cov_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(S("3d", (np.ones((2, 2, 2)),)), RuntimeError,
                     "expected input to have two or fewer dimensions")  # fmt: skip
    yield ErrorInput(S("fweights_count", (np.ones((2, 3)),),
                       {"fweights": np.array([1, 2], dtype=np.int64)}),
                     RuntimeError, "expected fweights to have the same numel")  # fmt: skip


def _histc_samples(rng: Gen) -> Iterator[SampleInput]:
    x = NoGrad(np.array([0.25, 1.0, 2.5, 2.5, 3.0, -1.0, 0.5]))
    yield S("range", (x, 4, 0.0, 3.0))
    yield S("data_range", (x, 5))


def _histc_ref(x: Any, bins: int = 100, min: float = 0, max: float = 0) -> Any:
    lo, hi = (x.min(), x.max()) if min == max else (min, max)
    return np.histogram(x, bins, range=(lo, hi))[0].astype(np.float64)


def _mode_ref(x: Any, dim: int = -1, keepdim: bool = False) -> Any:
    d = dim % max(x.ndim, 1)
    moved = np.moveaxis(x.reshape(1) if x.ndim == 0 else x, d, -1)
    vals = np.empty(moved.shape[:-1])
    idx = np.empty(moved.shape[:-1], dtype=np.int64)
    for pos in np.ndindex(*moved.shape[:-1]):
        row = moved[pos]
        uniq, counts = np.unique(row, return_counts=True)
        v = uniq[np.argmax(counts)]  # the smallest of the most frequent
        vals[pos], idx[pos] = v, np.nonzero(row == v)[0][-1]
    if keepdim and x.ndim:
        vals, idx = np.expand_dims(vals, d), np.expand_dims(idx, d)
    return (vals, idx) if x.ndim else (vals.reshape(()), idx.reshape(()))


def _mode_samples(rng: Gen) -> Iterator[SampleInput]:
    base = np.array(
        [[1.0, 2.0, 2.0, 1.0, 3.0], [5.0, 4.0, 4.0, 5.0, 4.0], [0.5, 1.5, 2.5, 3.5, 4.5]]
    )
    # Repeated values: the gradient picks one copy, which finite differences cannot see
    yield S("rows", (base,), group="forward_only")
    yield S("dim0_keepdim", (base.T.copy(), 0, True), group="forward_only")
    yield S("distinct", (distinct(rng, (3, 4)), 1))  # all once: the smallest
    yield S("0d", (np.array(2.5),))


def _unique_consecutive_ref(x: Any, return_inverse: bool = False, return_counts: bool = False,
                            dim: int | None = None) -> Any:  # fmt: skip
    src = x.reshape(-1) if dim is None else np.moveaxis(x, dim, 0)
    keep = [0] + [i for i in range(1, len(src)) if not np.array_equal(src[i], src[i - 1])]
    vals = src[keep] if dim is None else np.moveaxis(src[keep], 0, dim)
    inverse = np.cumsum(np.isin(np.arange(len(src)), keep)) - 1
    counts = np.diff(np.array(keep + [len(src)]))
    out = (vals,) + ((inverse.reshape(x.shape) if dim is None else inverse,)
                     if return_inverse else ()) + ((counts,) if return_counts else ())  # fmt: skip
    return out if len(out) > 1 else vals


def _unique_consecutive_samples(rng: Gen) -> Iterator[SampleInput]:
    # NoGrad: PyTorch records a node without a derivative, tensorplug none (as ``unique``)
    x = NoGrad(np.array([[1.0, 1.0, 2.0], [2.0, 3.0, 1.0]]))
    yield S("flat", (x,))
    yield S("all_outputs", (x,), {"return_inverse": True, "return_counts": True})
    rows = NoGrad(np.array([[1.0, 2.0], [1.0, 2.0], [0.0, 1.0]]))
    yield S("dim0", (rows,), {"dim": 0, "return_inverse": True, "return_counts": True})


def _histogram_ref(x: Any, bins: Any, *, range: Any = None, weight: Any = None,
                   density: bool = False) -> Any:  # fmt: skip
    hist, edges = np.histogram(x, bins, range=range, weights=weight, density=density)
    return hist.astype(np.float64), edges


def _histogram_samples(rng: Gen) -> Iterator[SampleInput]:
    x = NoGrad(np.array([0.25, 1.0, 2.5, 2.5, 3.0, -1.0, 0.5]))
    yield S("range", (x, 4), {"range": (0.0, 3.0)})
    yield S("edges_weighted", (x, NoGrad(np.array([0.0, 1.0, 2.0, 3.0]))),
            {"weight": NoGrad(np.arange(7.0)), "density": True})  # fmt: skip
    yield S("data_range", (x, 5))


def statistics_ops() -> list[OpInfo]:
    no_grad: dict[str, Any] = {"supports_autograd": False}
    return [
        OpInfo("median", tp.median, _median_ref(_median_pos), _median_samples,
               grad_outputs=_first, torch_ref=torch_function("median"),
               errors=_dim_errors("median")),
        OpInfo("nanmedian", tp.nanmedian, _median_ref(_nanmedian_pos), _median_samples,
               grad_outputs=_first, torch_ref=torch_function("nanmedian"),
               errors=_dim_errors("nanmedian")),
        OpInfo("kthvalue", tp.kthvalue, _kthvalue_ref, _kthvalue_samples, grad_outputs=_first,
               torch_ref=torch_function("kthvalue"),
               errors=errors_of(ErrorInput(S("k_too_big", (np.ones((2, 3)), 4)), RuntimeError,
                                           "selected number k out of range"))),
        OpInfo("mode", tp.mode, _mode_ref, _mode_samples, grad_outputs=_first,
               torch_ref=torch_function("mode"), errors=_dim_errors("mode")),
        OpInfo("unique_consecutive", tp.unique_consecutive, _unique_consecutive_ref,
               _unique_consecutive_samples, dtypes=(D.int64, *_F32_64),
               torch_ref=torch_function("unique_consecutive"), **no_grad),
        OpInfo("histogram", tp.histogram, _histogram_ref, _histogram_samples, dtypes=_F32_64,
               torch_ref=torch_function("histogram"), **no_grad),
        OpInfo("msort", tp.msort, lambda x: np.sort(x, 0),
               lambda rng: iter([S("2d", (distinct(rng, (4, 3)),))]),
               torch_ref=torch_function("msort")),
        OpInfo("quantile", tp.quantile, _quantile_ref(False), _quantile_samples,
               dtypes=_F32_64, grad_dtypes=_F32_64,
               torch_ref=TorchRef("quantile", other_nodes=_COMPOSED), errors=_quantile_errors),
        OpInfo("nanquantile", tp.nanquantile, _quantile_ref(True), _quantile_samples,
               dtypes=_F32_64, grad_dtypes=_F32_64,
               torch_ref=TorchRef("nanquantile", other_nodes=_COMPOSED)),
        OpInfo("nansum", tp.nansum, lambda x, dim=None, keepdim=False:
               np.nansum(x, axis=dim, keepdims=keepdim), _nan_reduce_samples,
               dtypes=_F32_64, grad_dtypes=_F32_64,
               torch_ref=TorchRef("nansum", other_nodes=_COMPOSED)),
        OpInfo("nanmean", tp.nanmean, lambda x, dim=None, keepdim=False:
               np.nanmean(x, axis=dim, keepdims=keepdim), _nan_reduce_samples,
               dtypes=_F32_64, grad_dtypes=_F32_64, torch_ref=TorchRef("nanmean")),
        OpInfo("aminmax", tp.aminmax, _aminmax_ref, _aminmax_samples,
               grad_outputs=lambda r: r[0] + r[1],
               torch_ref=TorchRef("aminmax", other_nodes=_COMPOSED)),
        OpInfo("logcumsumexp", tp.logcumsumexp,
               lambda x, dim: np.logaddexp.accumulate(x, axis=dim) if x.ndim else x,
               _logcumsumexp_samples,
               dtypes=_F32_64, grad_dtypes=_F32_64,
               torch_ref=torch_function("logcumsumexp")),
        OpInfo("cov", tp.cov, _cov_ref, _cov_samples, dtypes=_F32_64, grad_dtypes=_F32_64,
               torch_ref=TorchRef("cov"), errors=_cov_errors),
        OpInfo("corrcoef", tp.corrcoef, np.corrcoef,
               lambda rng: iter([S("rows", (uniform(rng, (3, 5)),))]),
               dtypes=_F32_64, grad_dtypes=_F32_64, torch_ref=TorchRef("corrcoef")),
        OpInfo("histc", tp.histc, _histc_ref, _histc_samples, dtypes=_F32_64,
               torch_ref=TorchRef("histc"), **no_grad),
    ]  # fmt: skip
