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
from ._opinfo import ALL, NUMERIC, ErrorInput, OpInfo, SampleInput, TorchRef, method
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
    torch_function,
    uniform,
)


def _axis(dim: Any) -> Any:
    """A dim as NumPy's ``axis``: ``()``, which reduces nothing in NumPy, is every dim."""
    if isinstance(dim, (tuple, list)) and not dim:
        return None
    return tuple(dim) if isinstance(dim, list) else dim


def _reduction_samples(
    *,
    empty: bool = True,
    multi: bool = True,
    no_ties: bool = False,
    dim_required: bool = False,
    empty_is_nan: bool = False,
    no_dims: bool = False,
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
        # An empty tensor over a dim of nonzero size: an empty result, even for amax.
        yield S("empty_kept", (x(2, 0),), {"dim": 0})
        if multi:
            yield S("dims_keepdim", (x(2, 3, 4),), {"dim": (1, 2), "keepdim": True})
        if no_dims:  # dim=(): every dim, as in PyTorch (NumPy's axis=() is none)
            yield S("no_dims_keepdim", (x(2, 3),), {"dim": (), "keepdim": True})
        # A 0-d tensor has one dimension to name, as 0 or -1; keepdim keeps it 0-d.
        yield S("0d_dim", (x(),), {"dim": 0})
        yield S("0d_dim_keepdim", (x(),), {"dim": -1, "keepdim": True})

    return gen


def _ref_reduce(f: Callable[..., np.ndarray], **extra: Any) -> Callable[..., np.ndarray]:
    def ref(x: np.ndarray, dim: Any = None, keepdim: bool = False) -> np.ndarray:
        if x.ndim == 0 and dim is not None:
            return np.asarray(f(x.reshape(1), axis=0, **extra))
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # "Mean of empty slice"
            return np.asarray(f(x, axis=_axis(dim), keepdims=keepdim, **extra))

    return ref


def _ref_var(std: bool) -> Callable[..., np.ndarray]:
    def ref(
        x: np.ndarray,
        dim: Any = None,
        keepdim: bool = False,
        correction: float = 1,
        unbiased: bool | None = None,
    ) -> np.ndarray:
        if unbiased is not None:
            correction = int(unbiased)
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
    yield S("unbiased_false", (uniform(rng, (3, 4)), 0), {"unbiased": False})
    yield S(
        "dims_correction0_keepdim",
        (uniform(rng, (2, 3, 4)),),
        {"dim": (0, 1), "correction": 0, "keepdim": True},
    )
    yield S("no_dims", (np.arange(12.0).reshape(3, 4) / 7,), {"dim": ()})  # every dim


def _std_samples(rng: Gen) -> Iterator[SampleInput]:
    yield from _var_samples(rng)
    # No spread: std is 0, and its gradient NaN (0/0) as in PyTorch, by design, not a
    # derivative that finite differences could confirm.
    rows = np.repeat(uniform(rng, (1, 4)), 3, axis=0)
    yield S("equal_values", (rows,), {"dim": 0}, group="forward_only")


def _ref_maxmin(
    f: Callable[..., np.ndarray], arg: Callable[..., np.ndarray], pair: Callable[..., np.ndarray]
) -> Callable[..., Any]:
    def ref(x: np.ndarray, dim: Any = None, keepdim: bool = False) -> Any:
        if isinstance(dim, np.ndarray):  # max(x, other): the elementwise maximum
            return np.asarray(pair(x, dim))
        if dim is None:
            return np.asarray(f(x))
        if x.ndim == 0:
            return x.copy(), np.asarray(0)
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
    x = distinct(rng, (3, 4))
    yield S("other_tensor", (x, x[::-1] + 0.25))  # elementwise; no ties
    yield S("0d_dim", (np.array(-0.375),), {"dim": 0})


def _prod_samples(rng: Gen) -> Iterator[SampleInput]:
    yield from _reduction_samples(multi=False)(rng)
    x = uniform(rng, (4, 3))
    x[0, 1] = x[1, :2] = x[3, :] = 0.0  # rows of one, two, no and all zeros
    yield S("zeros", (x,), {"dim": 1})
    yield S("zeros_all", (x,))


def _maxmin_errors() -> Callable[[], Iterator[ErrorInput]]:
    return errors_of(
        ErrorInput(
            S("empty", (np.ones((0,)),)),
            (RuntimeError, IndexError),
            r"(empty|zero-size|numel\(\) == 0)",
        ),
        ErrorInput(
            S("empty_dim", (np.ones((2, 0)), 1)),
            IndexError,
            r"Expected reduction dim 1 to have non-zero size",
        ),
    )


def _first(out: Any) -> Any:
    return out[0] if isinstance(out, tuple) else out


def _arg_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("all", (distinct(rng, (3, 4)),))
    yield S("dim1", (distinct(rng, (3, 4)),), {"dim": 1})
    yield S("dim0_keepdim", (distinct(rng, (3, 4)),), {"dim": 0, "keepdim": True})
    yield S("1d", (distinct(rng, (6,)),), {"dim": 0})
    yield S("0d_dim", (np.array(0.625),), {"dim": 0})
    yield S("empty_kept", (np.ones((2, 0)),), {"dim": 0})


def _ref_arg(f: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    def ref(x: np.ndarray, dim: int | None = None, keepdim: bool = False) -> np.ndarray:
        if x.ndim == 0:
            return np.asarray(0)
        return np.asarray(f(x, axis=dim, keepdims=keepdim))

    return ref


def _truth_samples(rng: Gen) -> Iterator[SampleInput]:
    x = rng.integers(0, 2, (3, 4)).astype(np.float64) * distinct(rng, (3, 4))
    yield S("all", (x,))
    yield S("dim1", (x,), {"dim": 1})
    yield S("dim0_keepdim", (x,), {"dim": 0, "keepdim": True})
    yield S("empty", (np.zeros((0, 3)),))
    yield S("empty_dim", (np.zeros((0, 3)),), {"dim": 0})  # over nothing: all True, any False


def _ref_truth(f: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    def ref(x: np.ndarray, dim: int | None = None, keepdim: bool = False) -> np.ndarray:
        return np.asarray(f(x != 0, axis=dim, keepdims=keepdim))  # dim=(): none, in PyTorch

    return ref


def _logsumexp_ref(x: np.ndarray, dim: Any, keepdim: bool = False) -> np.ndarray:
    if x.ndim == 0:
        return x.copy()
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
    yield S("dim1", (away(rng, (3, 4)),), {"dim": 1})
    yield S("p1", (away(rng, (3, 4)),), {"p": 1})
    yield S("p3_positional_dim0_keepdim", (away(rng, (3, 4)), 3), {"dim": 0, "keepdim": True})
    yield S("no_dims", (away(rng, (3, 4)),), {"dim": ()})


def _logsumexp_samples(rng: Gen) -> Iterator[SampleInput]:
    yield from _reduction_samples(empty=False, dim_required=True)(rng)
    yield S("large_values", (uniform(rng, (3, 4), -1000.0, 1000.0),), {"dim": -1})


def _no_dims_differ(name: str) -> TorchRef:
    why = "PyTorch's gradient for dim=() counts no elements: inf"
    return TorchRef(name, (method(name),), known_differences=(("*no_dims", why),))


def reduction_ops() -> list[OpInfo]:
    sum_tol = {D.float16: F16_SUM}
    return [
        OpInfo(
            "sum",
            tp.sum,
            _ref_reduce(np.sum),
            _reduction_samples(no_dims=True),
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
            torch_ref=torch_function("sum"),
        ),
        OpInfo(
            "mean",
            tp.mean,
            _ref_reduce(np.mean),
            _reduction_samples(empty_is_nan=True, no_dims=True),
            tolerances=sum_tol,
            errors=errors_of(
                ErrorInput(S("int_input", (np.arange(3),)), RuntimeError, "floating point")
            ),
            torch_ref=torch_function("mean"),
        ),
        OpInfo(
            "prod",
            tp.prod,
            _ref_reduce(np.prod),
            _prod_samples,
            dtypes=NUMERIC,
            result_dtype=sum_dtype,
            tolerances=sum_tol,
            grad_tolerances={D.float16: F16_GRAD},
            torch_ref=torch_function("prod"),
        ),
        OpInfo(
            "amax",
            tp.amax,
            _ref_reduce(np.max),
            _reduction_samples(empty=False, no_ties=True, no_dims=True),
            dtypes=NUMERIC,
            torch_ref=torch_function("amax"),
        ),
        OpInfo(
            "amin",
            tp.amin,
            _ref_reduce(np.min),
            _reduction_samples(empty=False, no_ties=True),
            dtypes=NUMERIC,
            torch_ref=torch_function("amin"),
        ),
        OpInfo(
            "max",
            tp.max,
            _ref_maxmin(np.max, np.argmax, np.maximum),
            _maxmin_samples,
            dtypes=NUMERIC,
            grad_outputs=_first,
            errors=_maxmin_errors(),
            torch_ref=torch_function("max"),
        ),
        OpInfo(
            "min",
            tp.min,
            _ref_maxmin(np.min, np.argmin, np.minimum),
            _maxmin_samples,
            dtypes=NUMERIC,
            grad_outputs=_first,
            errors=_maxmin_errors(),
            torch_ref=torch_function("min"),
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
            torch_ref=torch_function("argmax"),
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
            torch_ref=torch_function("argmin"),
        ),
        OpInfo(
            "var",
            tp.var,
            _ref_var(False),
            _var_samples,
            tolerances=sum_tol,
            grad_tolerances={D.float16: F16_GRAD},
            errors=errors_of(
                ErrorInput(S("int_input", (np.arange(3),)), RuntimeError, "floating point")
            ),
            torch_ref=_no_dims_differ("var"),
        ),
        OpInfo(
            "std",
            tp.std,
            _ref_var(True),
            _std_samples,
            tolerances=sum_tol,
            grad_tolerances={D.float16: F16_GRAD},
            errors=errors_of(
                ErrorInput(S("int_input", (np.arange(3),)), RuntimeError, "floating point")
            ),
            torch_ref=_no_dims_differ("std"),
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
                torch_ref=torch_function(name),
            )
            for name, fn, ref in (("all", tp.all, np.all), ("any", tp.any, np.any))
        ),
        OpInfo(
            "logsumexp",
            tp.logsumexp,
            _logsumexp_ref,
            _logsumexp_samples,
            tolerances=sum_tol,
            torch_ref=torch_function("logsumexp"),
        ),
        OpInfo(
            "norm",
            tp.norm,
            _norm_ref,
            _norm_samples,
            tolerances=sum_tol,
            grad_tolerances={D.float16: F16_GRAD},
            errors=errors_of(
                ErrorInput(S("int_input", (np.arange(3),)), RuntimeError, "floating point")
            ),
            torch_ref=torch_function("norm"),
        ),
    ]
