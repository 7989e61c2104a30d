"""Op-database entries of the reductions (``sum`` ... ``norm``, ``max``/``min`` with indices)."""

# NumPy's stubs type most compositions of ufuncs as Any; references return arrays.
# mypy: disable-error-code="no-any-return"

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

import tensorplug as tp

from .. import _dtype as D
from ._opinfo import ALL, NUMERIC, ErrorInput, OpInfo, SampleInput
from ._samples import (
    F16_GRAD,
    F16_SUM,
    SPECIAL,
    Gen,
    S,
    away,
    distinct,
    errors_of,
    sum_dtype,
    to_int64,
    uniform,
)


def _axis(dim: Any) -> Any:
    return tuple(dim) if isinstance(dim, list) else dim


def _reduction_samples(
    *,
    empty: bool = True,
    multi: bool = True,
    no_ties: bool = False,
    dim_required: bool = False,
    empty_is_nan: bool = False,
) -> Callable[[Gen], Iterator[SampleInput]]:
    def gen(rng: Gen) -> Iterator[SampleInput]:
        def x(*shape: int) -> np.ndarray:
            return distinct(rng, shape) if no_ties else uniform(rng, shape)

        if not dim_required:
            yield S("all", (x(3, 4),))
        yield S("dim0", (x(3, 4),), {"dim": 0})
        yield S("dim_neg_keepdim", (x(2, 3, 4),), {"dim": -1, "keepdim": True})
        if multi:
            yield S("dims_0_2", (x(2, 3, 4),), {"dim": (0, 2)})
        if not dim_required:
            yield S("0d", (x(),))
        yield S("1d", (x(5),), {"dim": 0})
        if empty:
            # The mean of nothing is NaN: a forward-only, special-value case.
            yield S(
                "empty_reduced",
                (x(0, 3),),
                {"dim": 0},
                group="special" if empty_is_nan else "basic",
            )
        yield S("special", (SPECIAL.reshape(1, -1).copy(),), {"dim": 1}, group="special")

    return gen


def _ref_reduce(f: Callable[..., np.ndarray], **extra: Any) -> Callable[..., np.ndarray]:
    def ref(x: np.ndarray, dim: Any = None, keepdim: bool = False) -> np.ndarray:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # "Mean of empty slice"
            return np.asarray(f(x, axis=_axis(dim), keepdims=keepdim, **extra))

    return ref


def _ref_var(std: bool) -> Callable[..., np.ndarray]:
    def ref(
        x: np.ndarray, dim: Any = None, keepdim: bool = False, correction: float = 1
    ) -> np.ndarray:
        with np.errstate(all="ignore"):
            v = np.var(x, axis=_axis(dim), keepdims=keepdim, ddof=correction)
        return np.sqrt(v) if std else v

    return ref


def _var_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("all", (uniform(rng, (3, 4)),))
    yield S("dim1", (uniform(rng, (3, 4)),), {"dim": 1})
    yield S("dims_keepdim", (uniform(rng, (2, 3, 4)),), {"dim": (0, 2), "keepdim": True})
    yield S("correction0", (uniform(rng, (5,)),), {"dim": 0, "correction": 0})
    yield S("special", (SPECIAL.reshape(1, -1).copy(),), {"dim": 1}, group="special")


def _ref_maxmin(f: Callable[..., np.ndarray], arg: Callable[..., np.ndarray]) -> Callable[..., Any]:
    def ref(x: np.ndarray, dim: Any = None, keepdim: bool = False) -> Any:
        if dim is None:
            return np.asarray(f(x))
        return (
            np.asarray(f(x, axis=dim, keepdims=keepdim)),
            np.asarray(arg(x, axis=dim, keepdims=keepdim)),
        )

    return ref


def _maxmin_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("all", (distinct(rng, (3, 4)),))
    yield S("dim1", (distinct(rng, (3, 4)),), {"dim": 1})
    yield S("dim0_keepdim", (distinct(rng, (3, 4)),), {"dim": 0, "keepdim": True})
    yield S("0d", (np.array(0.625),))
    yield S("1d_dim", (distinct(rng, (5,)),), {"dim": 0})
    yield S("special", (SPECIAL[[0, 2, 3, 5]].copy(),), group="special")


def _maxmin_errors() -> Callable[[], Iterator[ErrorInput]]:
    return errors_of(
        ErrorInput(
            S("empty", (np.ones((0,)),)),
            (RuntimeError, IndexError),
            r"(empty|zero-size|numel\(\) == 0)",
        )
    )


def _first(out: Any) -> Any:
    return out[0] if isinstance(out, tuple) else out


def _arg_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("all", (distinct(rng, (3, 4)),))
    yield S("dim1", (distinct(rng, (3, 4)),), {"dim": 1})
    yield S("dim0_keepdim", (distinct(rng, (3, 4)),), {"dim": 0, "keepdim": True})
    yield S("1d", (distinct(rng, (6,)),), {"dim": 0})


def _ref_arg(f: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    def ref(x: np.ndarray, dim: int | None = None, keepdim: bool = False) -> np.ndarray:
        return np.asarray(f(x, axis=dim, keepdims=keepdim))

    return ref


def _truth_samples(rng: Gen) -> Iterator[SampleInput]:
    x = rng.integers(0, 2, (3, 4)).astype(np.float64) * distinct(rng, (3, 4))
    yield S("all", (x,))
    yield S("dim1", (x,), {"dim": 1})
    yield S("dim0_keepdim", (x,), {"dim": 0, "keepdim": True})
    yield S("empty", (np.zeros((0, 3)),))


def _ref_truth(f: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    def ref(x: np.ndarray, dim: int | None = None, keepdim: bool = False) -> np.ndarray:
        return np.asarray(f(x != 0, axis=dim, keepdims=keepdim))

    return ref


def _logsumexp_ref(x: np.ndarray, dim: Any, keepdim: bool = False) -> np.ndarray:
    ax = _axis(dim)
    m = np.max(x, axis=ax, keepdims=True) if x.size else np.zeros(())
    with np.errstate(all="ignore"):
        m = np.where(np.isfinite(m), m, 0.0)
        r = np.log(np.sum(np.exp(x - m), axis=ax, keepdims=True)) + m
    return r if keepdim else np.squeeze(r, axis=ax)


def _norm_ref(x: np.ndarray, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> np.ndarray:
    ax = _axis(dim)
    a = np.abs(x)
    if p in ("fro", 2, 2.0):
        return np.asarray(np.sqrt(np.sum(a * a, axis=ax, keepdims=keepdim)))
    if p == np.inf:
        return np.asarray(np.max(a, axis=ax, keepdims=keepdim))
    return np.asarray(np.sum(a**p, axis=ax, keepdims=keepdim) ** (1.0 / p))


def _norm_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("fro", (away(rng, (3, 4)),))
    yield S("p2_dim1", (away(rng, (3, 4)),), {"p": 2, "dim": 1})
    yield S("p1_dim0_keepdim", (away(rng, (3, 4)),), {"p": 1, "dim": 0, "keepdim": True})
    yield S("p3", (away(rng, (5,)),), {"p": 3})
    yield S("pinf", (distinct(rng, (2, 3)),), {"p": float("inf")})
    yield S("special", (SPECIAL.copy(),), group="special")


def reduction_ops() -> list[OpInfo]:
    sum_tol = {D.float16: F16_SUM}
    return [
        OpInfo(
            "sum",
            tp.sum,
            _ref_reduce(np.sum),
            _reduction_samples(),
            dtypes=ALL,
            result_dtype=sum_dtype,
            tolerances=sum_tol,
            errors=errors_of(
                ErrorInput(
                    S("dim_out_of_range", (np.ones((2, 3)),), {"dim": 2}),
                    IndexError,
                    "Dimension out of range",
                )
            ),
        ),
        OpInfo(
            "mean",
            tp.mean,
            _ref_reduce(np.mean),
            _reduction_samples(empty_is_nan=True),
            tolerances=sum_tol,
            errors=errors_of(
                ErrorInput(S("int_input", (np.arange(3),)), RuntimeError, "floating point")
            ),
        ),
        OpInfo(
            "prod",
            tp.prod,
            _ref_reduce(np.prod),
            _reduction_samples(multi=False),
            dtypes=NUMERIC,
            result_dtype=sum_dtype,
            tolerances=sum_tol,
            grad_tolerances={D.float16: F16_GRAD},
        ),
        OpInfo(
            "amax",
            tp.amax,
            _ref_reduce(np.max),
            _reduction_samples(empty=False, no_ties=True),
            dtypes=NUMERIC,
        ),
        OpInfo(
            "amin",
            tp.amin,
            _ref_reduce(np.min),
            _reduction_samples(empty=False, no_ties=True),
            dtypes=NUMERIC,
        ),
        OpInfo(
            "max",
            tp.max,
            _ref_maxmin(np.max, np.argmax),
            _maxmin_samples,
            dtypes=NUMERIC,
            grad_outputs=_first,
            errors=_maxmin_errors(),
        ),
        OpInfo(
            "min",
            tp.min,
            _ref_maxmin(np.min, np.argmin),
            _maxmin_samples,
            dtypes=NUMERIC,
            grad_outputs=_first,
            errors=_maxmin_errors(),
        ),
        OpInfo(
            "argmax",
            tp.argmax,
            _ref_arg(np.argmax),
            _arg_samples,
            dtypes=NUMERIC,
            grad_dtypes=(),
            supports_autograd=False,
            result_dtype=to_int64,
        ),
        OpInfo(
            "argmin",
            tp.argmin,
            _ref_arg(np.argmin),
            _arg_samples,
            dtypes=NUMERIC,
            grad_dtypes=(),
            supports_autograd=False,
            result_dtype=to_int64,
        ),
        OpInfo(
            "var",
            tp.var,
            _ref_var(False),
            _var_samples,
            tolerances=sum_tol,
            grad_tolerances={D.float16: F16_GRAD},
        ),
        OpInfo(
            "std",
            tp.std,
            _ref_var(True),
            _var_samples,
            tolerances=sum_tol,
            grad_tolerances={D.float16: F16_GRAD},
        ),
        *(
            OpInfo(
                name,
                fn,
                _ref_truth(ref),
                _truth_samples,
                dtypes=ALL,
                grad_dtypes=(),
                supports_autograd=False,
                result_dtype=lambda d: D.bool_,
            )
            for name, fn, ref in (("all", tp.all, np.all), ("any", tp.any, np.any))
        ),
        OpInfo(
            "logsumexp",
            tp.logsumexp,
            _logsumexp_ref,
            _reduction_samples(empty=False, dim_required=True),
            tolerances=sum_tol,
        ),
        OpInfo(
            "norm",
            tp.norm,
            _norm_ref,
            _norm_samples,
            tolerances=sum_tol,
            grad_tolerances={D.float16: F16_GRAD},
        ),
    ]
