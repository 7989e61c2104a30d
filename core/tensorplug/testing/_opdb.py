"""The op database: one ``OpInfo`` per public op of ``tensorplug`` and
``tensorplug.nn.functional``, with NumPy float64 references.

Sample names say what they cover (``0d``, ``empty``, ``broadcast_rhs``, ``transposed``...);
``special`` samples (±0, ±inf, NaN) are kept apart from the gradient families. Smooth ops take
values anywhere in their domain; ops with kinks (``abs``, ``relu``, ``clamp``, ``max``) take
values kept away from them, so finite differences are meaningful.
"""

# NumPy's stubs type most compositions of ufuncs as Any; references return arrays.
# mypy: disable-error-code="no-any-return"

from __future__ import annotations

import operator
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

import tensorplug as tp
import tensorplug.nn.functional as F

from .. import _dtype as D
from ._compare import Tol
from ._opinfo import ALL, INTS, NUMERIC, ErrorInput, NoGrad, OpInfo, SampleInput

Gen = np.random.Generator
S = SampleInput

SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.5])
"""±0, ±inf and NaN, plus ordinary values, for the ``special`` group."""

F16_SUM = Tol(1e-3, 1e-2, "float16 accumulation over several terms")
F16_GRAD = Tol(2e-2, 2e-2, "float16 gradient through several rounded steps")


def _u(rng: Gen, shape: tuple[int, ...], lo: float = -2.0, hi: float = 2.0) -> np.ndarray:
    return np.asarray(rng.uniform(lo, hi, shape), dtype=np.float64)


def _away(rng: Gen, shape: tuple[int, ...], margin: float = 0.25) -> np.ndarray:
    """Values in ±[margin, 2], away from the kink at 0 of abs/relu/sign."""
    mag = rng.uniform(margin, 2.0, shape)
    return np.asarray(np.sign(rng.uniform(-1, 1, shape) + 1e-9) * mag, dtype=np.float64)


def _distinct(rng: Gen, shape: tuple[int, ...]) -> np.ndarray:
    """A permutation of well-separated values: no ties for max/min/sort-like ops."""
    n = int(np.prod(shape))
    return (rng.permutation(n).astype(np.float64) * 0.5 - n / 4 + 0.125).reshape(shape)


def unary(
    lo: float = -2.0, hi: float = 2.0, *, kink: bool = False
) -> Callable[[Gen], Iterator[SampleInput]]:
    def gen(rng: Gen) -> Iterator[SampleInput]:
        def x(*shape: int) -> np.ndarray:
            return _away(rng, shape) if kink else _u(rng, shape, lo, hi)

        yield S("nd", (x(3, 4),))
        yield S("0d", (x(),))
        yield S("1d", (x(5),))
        yield S("3d", (x(2, 3, 2),))
        yield S("empty", (x(0, 3),))
        yield S("special", (SPECIAL.copy(),), group="special")

    return gen


def binary(
    lo: float = -2.0,
    hi: float = 2.0,
    rlo: float | None = None,
    rhi: float | None = None,
    *,
    kink: bool = False,
    scalar: Any = 2,
) -> Callable[[Gen], Iterator[SampleInput]]:
    rlo = lo if rlo is None else rlo
    rhi = hi if rhi is None else rhi

    def gen(rng: Gen) -> Iterator[SampleInput]:
        def a(*shape: int) -> np.ndarray:
            return _u(rng, shape, lo, hi)

        def b(*shape: int) -> np.ndarray:
            # Operands of max/min differ by at least 0.25, so no ties.
            # ``np.asarray``: 0-d arithmetic gives NumPy scalars, not arrays.
            return np.asarray(a(*shape) + _away(rng, shape)) if kink else _u(rng, shape, rlo, rhi)

        x = a(3, 4)
        yield S("nd", (x, b(3, 4) if not kink else x + _away(rng, (3, 4))))
        yield S("0d", (a(), b()))
        yield S("1d", (a(5), b(5)))
        r = a(4)
        yield S(
            "broadcast_rhs",
            (a(3, 4) if not kink else r + _away(rng, (3, 4)), b(4) if not kink else r),
            broadcasts=True,
        )
        c = a(3, 1)
        yield S("broadcast_both", (c, b(1, 4) if not kink else c.T + 5.0), broadcasts=True)
        yield S("0d_rhs", (a(2, 3), b() if not kink else np.array(10.0)), broadcasts=True)
        if scalar is not None:
            yield S("scalar_rhs", (a(3, 2), scalar))
        yield S("empty", (a(0, 4), b(0, 4)))
        yield S("special", (SPECIAL.copy(), SPECIAL[::-1].copy()), group="special")

    return gen


def _broadcast_errors() -> Callable[[], Iterator[ErrorInput]]:
    def gen() -> Iterator[ErrorInput]:
        yield ErrorInput(
            S("mismatched_shapes", (np.ones((2, 3)), np.ones((4,)))),
            RuntimeError,
            r"size of tensor a \(3\) must match the size of tensor b \(4\)",
        )

    return gen


def _errors_of(*errors: ErrorInput) -> Callable[[], Iterator[ErrorInput]]:
    return lambda: iter(errors)


def _np_unary(f: Callable[[np.ndarray], np.ndarray]) -> Callable[..., np.ndarray]:
    return lambda x: f(x)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _floatify(d: D.dtype) -> D.dtype:
    return d if d.is_floating_point else D.float32


def _to_bool(d: D.dtype) -> D.dtype:
    return D.bool_


def _to_int64(d: D.dtype) -> D.dtype:
    return D.int64


def _sum_dtype(d: D.dtype) -> D.dtype:
    return D.int64 if d in (D.bool_, *INTS) else d


def _pointwise() -> list[OpInfo]:
    ops = [
        OpInfo("add", tp.add, np.add, binary(), dtypes=NUMERIC, errors=_broadcast_errors()),
        OpInfo("sub", tp.sub, np.subtract, binary(), dtypes=NUMERIC, aliases=("subtract",)),
        OpInfo("mul", tp.mul, np.multiply, binary(), dtypes=NUMERIC, aliases=("multiply",)),
        OpInfo(
            "div",
            tp.div,
            np.divide,
            binary(rlo=0.5, rhi=2.0),
            aliases=("divide", "true_divide"),
            errors=_errors_of(
                ErrorInput(
                    S("rounding_mode", (np.ones(2), np.ones(2)), {"rounding_mode": "floor"}),
                    NotImplementedError,
                    "rounding_mode",
                )
            ),
        ),
        OpInfo("pow", tp.pow, np.power, binary(0.5, 2.0, -1.5, 1.5, scalar=3)),
        OpInfo("maximum", tp.maximum, np.maximum, binary(kink=True, scalar=None), dtypes=NUMERIC),
        OpInfo("minimum", tp.minimum, np.minimum, binary(kink=True, scalar=None), dtypes=NUMERIC),
        OpInfo("neg", tp.neg, np.negative, unary(), dtypes=NUMERIC, aliases=("negative",)),
        OpInfo("exp", tp.exp, np.exp, unary()),
        OpInfo("log", tp.log, np.log, unary(0.25, 3.0)),
        OpInfo("log1p", tp.log1p, np.log1p, unary(-0.5, 2.0)),
        OpInfo("expm1", tp.expm1, np.expm1, unary()),
        OpInfo("sqrt", tp.sqrt, np.sqrt, unary(0.25, 3.0)),
        OpInfo("rsqrt", tp.rsqrt, lambda x: 1.0 / np.sqrt(x), unary(0.25, 3.0)),
        OpInfo("reciprocal", tp.reciprocal, lambda x: 1.0 / x, unary(kink=True)),
        OpInfo("abs", tp.abs, np.abs, unary(kink=True), dtypes=NUMERIC),
        OpInfo("sin", tp.sin, np.sin, unary()),
        OpInfo("cos", tp.cos, np.cos, unary()),
        OpInfo("tanh", tp.tanh, np.tanh, unary()),
        OpInfo("sigmoid", tp.sigmoid, _sigmoid, unary()),
        OpInfo("relu", tp.relu, lambda x: np.maximum(x, 0.0), unary(kink=True), dtypes=NUMERIC),
        OpInfo("sign", tp.sign, np.sign, unary(kink=True), dtypes=NUMERIC),
        OpInfo("square", tp.square, np.square, unary(), dtypes=NUMERIC),
        OpInfo(
            "clamp",
            tp.clamp,
            _clamp_ref,
            _clamp_samples,
            dtypes=NUMERIC,
            aliases=("clip",),
            errors=_errors_of(
                ErrorInput(
                    S("no_bounds", (np.ones(2),)),
                    RuntimeError,
                    "(?i)at least one of 'min' or 'max'",
                )
            ),
        ),
        OpInfo(
            "clamp_min", tp.clamp_min, lambda x, m: np.maximum(x, m), _clamp_one(), dtypes=NUMERIC
        ),
        OpInfo(
            "clamp_max", tp.clamp_max, lambda x, m: np.minimum(x, m), _clamp_one(), dtypes=NUMERIC
        ),
        OpInfo("where", tp.where, np.where, _where_samples, dtypes=NUMERIC),
    ]
    for name, f in [
        ("eq", np.equal),
        ("ne", np.not_equal),
        ("lt", np.less),
        ("le", np.less_equal),
        ("gt", np.greater),
        ("ge", np.greater_equal),
    ]:
        ops.append(
            OpInfo(
                name,
                getattr(tp, name),
                f,
                _compare_samples,
                dtypes=NUMERIC,
                grad_dtypes=(),
                supports_autograd=False,
                result_dtype=_to_bool,
            )
        )
    return ops


def _clamp_ref(x: np.ndarray, min: Any = None, max: Any = None) -> np.ndarray:
    if min is not None:
        x = np.maximum(x, min)
    if max is not None:
        x = np.minimum(x, max)
    return x


def _clamp_samples(rng: Gen) -> Iterator[SampleInput]:
    # Bounds sit between the sample values (which are multiples of 0.5 plus 0.125).
    # Integer bounds keep integer inputs integer.
    yield S("nd_both", (_distinct(rng, (3, 4)),), {"min": -1, "max": 1})
    yield S("min_only", (_distinct(rng, (5,)),), {"min": 0})
    yield S("max_only", (_distinct(rng, (2, 3)),), {"max": 0})
    yield S("0d", (np.array(1.625),), {"min": -1, "max": 1})
    yield S("empty", (np.ones((0, 2)),), {"min": -1, "max": 1})
    yield S("special", (SPECIAL.copy(),), {"min": -1.0, "max": 1.0}, group="special")


def _clamp_one() -> Callable[[Gen], Iterator[SampleInput]]:
    def gen(rng: Gen) -> Iterator[SampleInput]:
        yield S("nd", (_distinct(rng, (3, 4)), 0))
        yield S("0d", (np.array(-1.375), 0))
        yield S("empty", (np.ones((0, 2)), 0))
        yield S("special", (SPECIAL.copy(), 0.5), group="special")

    return gen


def _where_samples(rng: Gen) -> Iterator[SampleInput]:
    cond = rng.uniform(size=(3, 4)) > 0.5
    yield S("nd", (cond, _u(rng, (3, 4)), _u(rng, (3, 4))))
    yield S("broadcast", (cond[:, :1], _u(rng, (3, 4)), _u(rng, (4,))), broadcasts=True)
    yield S("scalar_other", (cond, _u(rng, (3, 4)), 2))
    yield S("0d", (np.array(True), _u(rng, ()), _u(rng, ())))
    yield S("empty", (np.zeros((0, 2), bool), _u(rng, (0, 2)), _u(rng, (0, 2))))
    yield S("special", (cond[0, :], SPECIAL[:4].copy(), SPECIAL[3:].copy()), group="special")


def _compare_samples(rng: Gen) -> Iterator[SampleInput]:
    a = np.round(_u(rng, (3, 4)))
    b = a.copy()
    b[0] += 1.0  # some equal, some not
    yield S("nd", (a, b))
    yield S("broadcast_rhs", (a, b[1]), broadcasts=True)
    yield S("scalar_rhs", (a, 1))
    yield S("0d", (np.array(1.0), np.array(1.0)))
    yield S("empty", (np.ones((0, 3)), np.ones((0, 3))))
    yield S("special", (SPECIAL.copy(), SPECIAL[::-1].copy()), group="special")


# -- reductions ------------------------------------------------------------------------------


def _axis(dim: Any) -> Any:
    return tuple(dim) if isinstance(dim, list) else dim


def _reduction_samples(
    *,
    empty: bool = True,
    multi: bool = True,
    distinct: bool = False,
    dim_required: bool = False,
    empty_is_nan: bool = False,
) -> Callable[[Gen], Iterator[SampleInput]]:
    def gen(rng: Gen) -> Iterator[SampleInput]:
        def x(*shape: int) -> np.ndarray:
            return _distinct(rng, shape) if distinct else _u(rng, shape)

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
    yield S("all", (_u(rng, (3, 4)),))
    yield S("dim1", (_u(rng, (3, 4)),), {"dim": 1})
    yield S("dims_keepdim", (_u(rng, (2, 3, 4)),), {"dim": (0, 2), "keepdim": True})
    yield S("correction0", (_u(rng, (5,)),), {"dim": 0, "correction": 0})
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
    yield S("all", (_distinct(rng, (3, 4)),))
    yield S("dim1", (_distinct(rng, (3, 4)),), {"dim": 1})
    yield S("dim0_keepdim", (_distinct(rng, (3, 4)),), {"dim": 0, "keepdim": True})
    yield S("0d", (np.array(0.625),))
    yield S("1d_dim", (_distinct(rng, (5,)),), {"dim": 0})
    yield S("special", (SPECIAL[[0, 2, 3, 5]].copy(),), group="special")


def _maxmin_errors() -> Callable[[], Iterator[ErrorInput]]:
    return _errors_of(
        ErrorInput(
            S("empty", (np.ones((0,)),)),
            (RuntimeError, IndexError),
            r"(empty|zero-size|numel\(\) == 0)",
        )
    )


def _first(out: Any) -> Any:
    return out[0] if isinstance(out, tuple) else out


def _arg_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("all", (_distinct(rng, (3, 4)),))
    yield S("dim1", (_distinct(rng, (3, 4)),), {"dim": 1})
    yield S("dim0_keepdim", (_distinct(rng, (3, 4)),), {"dim": 0, "keepdim": True})
    yield S("1d", (_distinct(rng, (6,)),), {"dim": 0})


def _ref_arg(f: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    def ref(x: np.ndarray, dim: int | None = None, keepdim: bool = False) -> np.ndarray:
        return np.asarray(f(x, axis=dim, keepdims=keepdim))

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
    yield S("fro", (_away(rng, (3, 4)),))
    yield S("p2_dim1", (_away(rng, (3, 4)),), {"p": 2, "dim": 1})
    yield S("p1_dim0_keepdim", (_away(rng, (3, 4)),), {"p": 1, "dim": 0, "keepdim": True})
    yield S("p3", (_away(rng, (5,)),), {"p": 3})
    yield S("pinf", (_distinct(rng, (2, 3)),), {"p": float("inf")})
    yield S("special", (SPECIAL.copy(),), group="special")


def _reductions() -> list[OpInfo]:
    sum_tol = {D.float16: F16_SUM}
    return [
        OpInfo(
            "sum",
            tp.sum,
            _ref_reduce(np.sum),
            _reduction_samples(),
            dtypes=ALL,
            result_dtype=_sum_dtype,
            tolerances=sum_tol,
            errors=_errors_of(
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
            errors=_errors_of(
                ErrorInput(S("int_input", (np.arange(3),)), RuntimeError, "floating point")
            ),
        ),
        OpInfo(
            "prod",
            tp.prod,
            _ref_reduce(np.prod),
            _reduction_samples(multi=False),
            dtypes=NUMERIC,
            result_dtype=_sum_dtype,
            tolerances=sum_tol,
            grad_tolerances={D.float16: F16_GRAD},
        ),
        OpInfo(
            "amax",
            tp.amax,
            _ref_reduce(np.max),
            _reduction_samples(empty=False, distinct=True),
            dtypes=NUMERIC,
        ),
        OpInfo(
            "amin",
            tp.amin,
            _ref_reduce(np.min),
            _reduction_samples(empty=False, distinct=True),
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
            result_dtype=_to_int64,
        ),
        OpInfo(
            "argmin",
            tp.argmin,
            _ref_arg(np.argmin),
            _arg_samples,
            dtypes=NUMERIC,
            grad_dtypes=(),
            supports_autograd=False,
            result_dtype=_to_int64,
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


# -- shapes, joins and linear algebra --------------------------------------------------------


def _view_samples(
    shape: tuple[int, ...], *calls: tuple[str, tuple[Any, ...], dict[str, Any]]
) -> Callable[[Gen], Iterator[SampleInput]]:
    def gen(rng: Gen) -> Iterator[SampleInput]:
        for name, args, kwargs in calls:
            sh = kwargs.get("_shape", shape)
            kw = {k: v for k, v in kwargs.items() if k != "_shape"}
            yield S(name, (_u(rng, sh), *args), kw)

    return gen


def _reshape_ref(x: np.ndarray, *shape: Any) -> np.ndarray:
    return np.reshape(x, shape[0] if len(shape) == 1 and isinstance(shape[0], tuple) else shape)


def _flatten_ref(x: np.ndarray, start_dim: int = 0, end_dim: int = -1) -> np.ndarray:
    if x.ndim == 0:
        return x.reshape(1)
    s, e = start_dim % x.ndim, end_dim % x.ndim
    return (
        x.reshape(x.shape[:s] + (-1,) + x.shape[e + 1 :])
        if x.size
        else x.reshape(x.shape[:s] + (int(np.prod(x.shape[s : e + 1])),) + x.shape[e + 1 :])
    )


def _squeeze_ref(x: np.ndarray, dim: Any = None) -> np.ndarray:
    if dim is None:
        return np.squeeze(x)
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    return np.squeeze(x, axis=tuple(d for d in dims if x.shape[d] == 1))


def _split_ref(x: np.ndarray, size: Any, dim: int = 0) -> tuple[np.ndarray, ...]:
    n = x.shape[dim]
    if isinstance(size, int):
        cuts = list(range(size, n, size))
    else:
        cuts = list(np.cumsum(size)[:-1])
    return tuple(np.split(x, cuts, axis=dim))


def _chunk_ref(x: np.ndarray, chunks: int, dim: int = 0) -> tuple[np.ndarray, ...]:
    n = x.shape[dim]
    size = -(-n // chunks)
    return _split_ref(x, size, dim)


def _join_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("dim0", ([_u(rng, (2, 3)), _u(rng, (1, 3)), _u(rng, (2, 3))],))
    yield S("dim1", ([_u(rng, (2, 3)), _u(rng, (2, 1))],), {"dim": 1})
    yield S("dim_neg", ([_u(rng, (2, 2, 1)), _u(rng, (2, 2, 2))],), {"dim": -1})
    yield S("1d_with_empty", ([_u(rng, (3,)), _u(rng, (0,))],))
    yield S("single", ([_u(rng, (4,))],))


def _stack_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("dim0", ([_u(rng, (2, 3)), _u(rng, (2, 3)), _u(rng, (2, 3))],))
    yield S("dim_last", ([_u(rng, (2, 3)), _u(rng, (2, 3))],), {"dim": -1})
    yield S("0d", ([_u(rng, ()), _u(rng, ())],))
    yield S("empty", ([_u(rng, (0, 2)), _u(rng, (0, 2))],), {"dim": 1})


def _join_errors() -> Callable[[], Iterator[ErrorInput]]:
    def gen() -> Iterator[ErrorInput]:
        yield ErrorInput(
            S("shape_mismatch", ([np.ones((2, 3)), np.ones((2, 4))],)),
            RuntimeError,
            r"(?i)sizes of tensors must match|shape",
        )
        yield ErrorInput(
            S("empty_list", ([],)),
            (ValueError, RuntimeError),
            r"(?i)non-empty|expected a non-empty|empty",
        )

    return gen


def _mm_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("nd", (_u(rng, (3, 4)), _u(rng, (4, 2))))
    yield S("vector_like", (_u(rng, (1, 5)), _u(rng, (5, 1))))
    yield S("empty_inner", (_u(rng, (3, 0)), _u(rng, (0, 2))))
    yield S("empty_outer", (_u(rng, (0, 3)), _u(rng, (3, 2))))


def _matmul_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("2d_2d", (_u(rng, (3, 4)), _u(rng, (4, 2))))
    yield S("1d_1d", (_u(rng, (4,)), _u(rng, (4,))))
    yield S("2d_1d", (_u(rng, (3, 4)), _u(rng, (4,))))
    yield S("1d_2d", (_u(rng, (4,)), _u(rng, (4, 2))))
    yield S("batched_broadcast", (_u(rng, (2, 3, 4)), _u(rng, (4, 2))))
    yield S("batched_both", (_u(rng, (2, 1, 2, 3)), _u(rng, (3, 3, 2))))
    yield S("empty_inner", (_u(rng, (3, 0)), _u(rng, (0, 2))))


def _mm_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(
        S("inner_mismatch", (np.ones((2, 3)), np.ones((4, 2)))),
        RuntimeError,
        r"cannot be multiplied|shapes",
    )
    yield ErrorInput(
        S("not_2d", (np.ones((2, 3, 4)), np.ones((4, 2)))), RuntimeError, r"(?i)2D|2-D|matrix|dim"
    )


def _getitem_samples(rng: Gen) -> Iterator[SampleInput]:
    sc = ("scatter_add",)
    yield S("int", (_u(rng, (3, 4)), 1))
    yield S("slice", (_u(rng, (3, 4)), slice(1, 3)))
    yield S("column", (_u(rng, (3, 4)), (slice(None), 1)))
    yield S("steps", (_u(rng, (4, 5)), (slice(None, None, 2), slice(1, None))))
    yield S("none_ellipsis", (_u(rng, (2, 3, 4)), (None, Ellipsis, 0)))
    yield S("negative", (_u(rng, (3, 4)), -1))
    yield S("ellipsis_0d", (_u(rng, ()), Ellipsis))
    yield S("int_tensor_repeated", (_u(rng, (3, 4)), np.array([0, 2, 0])), needs_kernels=sc)
    yield S("bool_mask", (_u(rng, (3, 4)), rng.uniform(size=(3, 4)) > 0.5), needs_kernels=sc)


def _getitem_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(
        S("out_of_bounds", (np.ones((3, 4)), 5)),
        IndexError,
        "index 5 is out of bounds for axis 0 with size 3",
    )
    yield ErrorInput(S("too_many", (np.ones((3, 4)), (0, 0, 0))), IndexError, "too many indices")


def _shape_ops() -> list[OpInfo]:
    mm_tol = {D.float16: F16_SUM}
    return [
        OpInfo(
            "reshape",
            tp.reshape,
            _reshape_ref,
            _view_samples(
                (3, 4),
                ("to_2d", ((2, 6),), {}),
                ("infer", ((-1,),), {}),
                ("to_3d", ((2, 3, 2),), {}),
                ("0d", ((1,),), {"_shape": ()}),
                ("empty", ((3, 0),), {"_shape": (0, 3)}),
            ),
            dtypes=ALL,
            errors=_errors_of(
                ErrorInput(
                    S("bad_size", (np.ones((2, 3)), (4, 2))),
                    RuntimeError,
                    r"shape '\[4, 2\]' is invalid",
                )
            ),
        ),
        OpInfo(
            "flatten",
            tp.flatten,
            _flatten_ref,
            _view_samples(
                (2, 3, 4),
                ("all", (), {}),
                ("start1", (1,), {}),
                ("middle", (0, 1), {}),
                ("0d", (), {"_shape": ()}),
            ),
            dtypes=ALL,
        ),
        OpInfo(
            "squeeze",
            tp.squeeze,
            _squeeze_ref,
            _view_samples(
                (2, 1, 3, 1),
                ("all", (), {}),
                ("dim1", (1,), {}),
                ("dim_not_one", (0,), {}),
                ("dims", ((1, 3),), {}),
            ),
            dtypes=ALL,
            errors=_errors_of(
                ErrorInput(
                    S("dim_out_of_range", (np.ones((2, 1)), 2)),
                    IndexError,
                    "Dimension out of range",
                )
            ),
        ),
        OpInfo(
            "unsqueeze",
            tp.unsqueeze,
            lambda x, d: np.expand_dims(x, d),
            _view_samples(
                (3, 4),
                ("dim0", (0,), {}),
                ("dim_last", (-1,), {}),
                ("middle", (1,), {}),
                ("0d", (0,), {"_shape": ()}),
            ),
            dtypes=ALL,
            errors=_errors_of(
                ErrorInput(
                    S("dim_out_of_range", (np.ones((2, 1)), 4)),
                    IndexError,
                    "Dimension out of range",
                )
            ),
        ),
        OpInfo(
            "permute",
            tp.permute,
            lambda x, *d: np.transpose(x, d[0] if len(d) == 1 and isinstance(d[0], tuple) else d),
            _view_samples(
                (2, 3, 4),
                ("reverse", (2, 1, 0), {}),
                ("tuple", ((1, 2, 0),), {}),
                ("negative", (-1, 0, 1), {}),
            ),
            dtypes=ALL,
            errors=_errors_of(
                ErrorInput(
                    S("repeated_dim", (np.ones((2, 3)), 0, 0)),
                    RuntimeError,
                    r"(?i)repeated|duplicate",
                )
            ),
        ),
        OpInfo(
            "transpose",
            tp.transpose,
            lambda x, a, b: np.swapaxes(x, a, b),
            _view_samples(
                (2, 3, 4), ("0_2", (0, 2), {}), ("negative", (-1, -2), {}), ("same", (1, 1), {})
            ),
            dtypes=ALL,
        ),
        OpInfo(
            "t",
            tp.t,
            lambda x: x.T,
            _view_samples(
                (3, 4), ("2d", (), {}), ("1d", (), {"_shape": (4,)}), ("0d", (), {"_shape": ()})
            ),
            dtypes=ALL,
            errors=_errors_of(ErrorInput(S("3d", (np.ones((2, 3, 4)),)), RuntimeError, r"<= 2")),
        ),
        OpInfo(
            "expand",
            tp.expand,
            lambda x, *s: np.broadcast_to(
                x, tuple(o if n == -1 else n for o, n in zip((1,) * (len(s) - x.ndim) + x.shape, s))
            ),
            _view_samples(
                (3, 1),
                ("expand_1", (3, 4), {}),
                ("new_leading", (2, 3, 4), {}),
                ("keep_minus1", (-1, 5), {}),
                ("0d", (2, 2), {"_shape": ()}),
            ),
            dtypes=ALL,
            errors=_errors_of(
                ErrorInput(S("bad_size", (np.ones((3, 2)), 3, 4)), RuntimeError, r"(?i)expand")
            ),
        ),
        OpInfo(
            "broadcast_to",
            tp.broadcast_to,
            lambda x, s: np.broadcast_to(x, s),
            _view_samples((3, 1), ("expand_1", ((3, 4),), {}), ("new_leading", ((2, 3, 4),), {})),
            dtypes=ALL,
        ),
        OpInfo(
            "cat",
            tp.cat,
            lambda xs, dim=0: np.concatenate(xs, axis=dim),
            _join_samples,
            dtypes=ALL,
            aliases=("concat",),
            errors=_join_errors(),
        ),
        OpInfo(
            "stack", tp.stack, lambda xs, dim=0: np.stack(xs, axis=dim), _stack_samples, dtypes=ALL
        ),
        OpInfo(
            "split",
            tp.split,
            _split_ref,
            _view_samples(
                (5, 4),
                ("size2", (2,), {}),
                ("sections", ([1, 3, 1],), {}),
                ("dim1", (3,), {"dim": 1}),
            ),
            dtypes=ALL,
        ),
        OpInfo(
            "chunk",
            tp.chunk,
            _chunk_ref,
            _view_samples(
                (5, 4),
                ("chunks2", (2,), {}),
                ("chunks3_dim1", (3,), {"dim": 1}),
                ("even", (5,), {}),
            ),
            dtypes=ALL,
        ),
        OpInfo(
            "clone",
            tp.clone,
            np.copy,
            _view_samples(
                (3, 4),
                ("nd", (), {}),
                ("0d", (), {"_shape": ()}),
                ("empty", (), {"_shape": (0, 2)}),
            ),
            dtypes=ALL,
        ),
        OpInfo(
            "getitem",
            operator.getitem,
            operator.getitem,
            _getitem_samples,
            dtypes=ALL,
            namespace="tensorplug.Tensor.__getitem__",
            errors=lambda: _getitem_errors(),
        ),
        OpInfo("mm", tp.mm, np.matmul, _mm_samples, tolerances=mm_tol, errors=lambda: _mm_errors()),
        OpInfo("matmul", tp.matmul, np.matmul, _matmul_samples, tolerances=mm_tol),
        OpInfo(
            "bmm",
            tp.bmm,
            np.matmul,
            lambda rng: iter(
                [
                    S("nd", (_u(rng, (2, 3, 4)), _u(rng, (2, 4, 2)))),
                    S("empty_batch", (_u(rng, (0, 3, 4)), _u(rng, (0, 4, 2)))),
                ]
            ),
            tolerances=mm_tol,
        ),
        OpInfo(
            "dot",
            tp.dot,
            np.dot,
            lambda rng: iter(
                [
                    S("nd", (_u(rng, (5,)), _u(rng, (5,)))),
                    S("empty", (_u(rng, (0,)), _u(rng, (0,)))),
                ]
            ),
            tolerances=mm_tol,
        ),
    ]


# -- nn.functional ---------------------------------------------------------------------------


def _softmax_ref(log: bool) -> Callable[..., np.ndarray]:
    def ref(x: np.ndarray, dim: int) -> np.ndarray:
        s = x - np.max(x, axis=dim, keepdims=True)
        lse = np.log(np.sum(np.exp(s), axis=dim, keepdims=True))
        return s - lse if log else np.exp(s - lse)

    return ref


def _softmax_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("dim1", (_u(rng, (3, 4)), 1))
    yield S("dim0", (_u(rng, (3, 4)), 0))
    yield S("3d_neg", (_u(rng, (2, 3, 4)), -1))
    yield S("large_values", (_u(rng, (2, 3), 500.0, 510.0), 1))


def _mse_ref(a: np.ndarray, b: np.ndarray, reduction: str = "mean") -> np.ndarray:
    sq = (a - b) ** 2
    return (
        sq
        if reduction == "none"
        else np.asarray(np.mean(sq) if reduction == "mean" else np.sum(sq))
    )


def _mse_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("mean", (_u(rng, (3, 4)), _u(rng, (3, 4))))
    yield S("sum", (_u(rng, (5,)), _u(rng, (5,))), {"reduction": "sum"})
    yield S("none", (_u(rng, (2, 3)), _u(rng, (2, 3))), {"reduction": "none"})
    yield S("0d", (_u(rng, ()), _u(rng, ())))


def _nll_ref(
    logp: np.ndarray,
    target: np.ndarray,
    weight: np.ndarray | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> np.ndarray:
    n = logp.shape[0]
    keep = target != ignore_index
    cols = np.where(keep, target, 0)
    w = keep.astype(np.float64) if weight is None else np.where(keep, weight[cols], 0.0)
    losses = -logp[np.arange(n), cols] * w
    if reduction == "none":
        return losses
    return np.asarray(losses.sum() / w.sum() if reduction == "mean" else losses.sum())


def _nll_samples(rng: Gen) -> Iterator[SampleInput]:
    sc = ("scatter_add",)
    t = np.array([0, 2, 1, 2])
    yield S("mean", (_u(rng, (4, 3)), t), needs_kernels=sc)
    yield S(
        "sum_weighted",
        (_u(rng, (4, 3)), t),
        {"weight": NoGrad(_u(rng, (3,), 0.5, 2.0)), "reduction": "sum"},
        needs_kernels=sc,
    )
    yield S(
        "none_ignore",
        (_u(rng, (4, 3)), np.array([0, -100, 1, 2])),
        {"reduction": "none"},
        needs_kernels=sc,
    )


def _nll_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(
        S("target_out_of_bounds", (np.ones((2, 3)), np.array([0, 3]))), IndexError, "out of bounds"
    )
    yield ErrorInput(
        S("batch_mismatch", (np.ones((2, 3)), np.array([0, 1, 2]))), ValueError, "batch_size"
    )


def _ce_ref(
    x: np.ndarray,
    target: np.ndarray,
    weight: np.ndarray | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> np.ndarray:
    logp = _softmax_ref(True)(x, 1)
    c = x.shape[1]
    if target.dtype.kind == "f":
        t = target * (1 - label_smoothing) + label_smoothing / c
        losses = -(logp * t * (1.0 if weight is None else weight)).sum(1)
        return (
            losses
            if reduction == "none"
            else np.asarray(losses.mean() if reduction == "mean" else losses.sum())
        )
    loss = _nll_ref(logp, target, weight, ignore_index, reduction)
    if label_smoothing:
        keep = (target != ignore_index).astype(np.float64)
        wl = logp if weight is None else logp * weight
        smooth = -wl.sum(1) * keep / c
        denom = keep.sum() if weight is None else (weight[np.clip(target, 0, None)] * keep).sum()
        sl = (
            smooth.sum() / denom
            if reduction == "mean"
            else (smooth if reduction == "none" else smooth.sum())
        )
        loss = loss * (1 - label_smoothing) + sl * label_smoothing
    return np.asarray(loss)


def _ce_samples(rng: Gen) -> Iterator[SampleInput]:
    sc = ("scatter_add",)
    t = np.array([1, 0, 2])
    yield S("indices_mean", (_u(rng, (3, 3)), t), needs_kernels=sc)
    yield S("indices_smoothing", (_u(rng, (3, 3)), t), {"label_smoothing": 0.1}, needs_kernels=sc)
    yield S(
        "indices_weight_sum",
        (_u(rng, (3, 3)), t),
        {"weight": NoGrad(_u(rng, (3,), 0.5, 2.0)), "reduction": "sum"},
        needs_kernels=sc,
    )
    p = rng.uniform(0.1, 1.0, (2, 4))
    yield S("probabilities", (_u(rng, (2, 4)), p / p.sum(1, keepdims=True)))


def _linear_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("bias", (_u(rng, (3, 4)), _u(rng, (2, 4)), _u(rng, (2,))))
    yield S("no_bias", (_u(rng, (3, 4)), _u(rng, (2, 4))))
    yield S("batched", (_u(rng, (2, 3, 4)), _u(rng, (2, 4)), _u(rng, (2,))))
    yield S("1d_input", (_u(rng, (4,)), _u(rng, (2, 4)), _u(rng, (2,))))


def _linear_ref(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    out = x @ w.T
    return out if b is None else out + b


def _functional() -> list[OpInfo]:
    nn = "tensorplug.nn.functional"
    return [
        OpInfo(
            "softmax",
            F.softmax,
            _softmax_ref(False),
            _softmax_samples,
            namespace=nn,
            tolerances={D.float16: F16_SUM},
        ),
        OpInfo(
            "log_softmax",
            F.log_softmax,
            _softmax_ref(True),
            _softmax_samples,
            namespace=nn,
            tolerances={D.float16: F16_SUM},
        ),
        OpInfo(
            "mse_loss",
            F.mse_loss,
            _mse_ref,
            _mse_samples,
            namespace=nn,
            tolerances={D.float16: F16_SUM},
            errors=_errors_of(
                ErrorInput(
                    S("bad_reduction", (np.ones(2), np.ones(2)), {"reduction": "avg"}),
                    ValueError,
                    "reduction must be one of",
                )
            ),
        ),
        OpInfo(
            "nll_loss",
            F.nll_loss,
            _nll_ref,
            _nll_samples,
            namespace=nn,
            tolerances={D.float16: F16_SUM},
            errors=lambda: _nll_errors(),
        ),
        OpInfo(
            "cross_entropy",
            F.cross_entropy,
            _ce_ref,
            _ce_samples,
            namespace=nn,
            tolerances={D.float16: F16_SUM},
            grad_tolerances={D.float16: F16_GRAD},
        ),
        OpInfo(
            "linear",
            F.linear,
            _linear_ref,
            _linear_samples,
            namespace=nn,
            tolerances={D.float16: F16_SUM},
        ),
    ]


def _more_errors() -> dict[str, list[ErrorInput]]:
    """Error inputs of ops whose entries above have none: (exception, message regex)."""
    one, i64 = np.ones, np.array
    broadcast = r"size of tensor a \(3\) must match the size of tensor b \(4\)"
    dim = "Dimension out of range"

    def e(name: str, args: tuple[Any, ...], exc: Any, match: str, **kw: Any) -> ErrorInput:
        return ErrorInput(S(name, args, kw), exc, match)

    return {
        "mul": [e("mismatched_shapes", (one((2, 3)), one(4)), RuntimeError, broadcast)],
        "maximum": [e("mismatched_shapes", (one((2, 3)), one(4)), RuntimeError, broadcast)],
        "pow": [e("mismatched_shapes", (one((2, 3)), one(4)), RuntimeError, broadcast)],
        "where": [
            e("mismatched_shapes", (one((2, 3)) > 0, one((2, 3)), one(4)), RuntimeError, broadcast)
        ],
        "matmul": [
            e(
                "inner_mismatch",
                (one((2, 3)), one((4, 2))),
                RuntimeError,
                r"shapes cannot be multiplied \(2x3 and 4x2\)",
            ),
            e("0d", (one(()), one(3)), RuntimeError, "at least 1D"),
        ],
        "bmm": [e("2d", (one((2, 3)), one((3, 2))), RuntimeError, "must be a 3D tensor")],
        "dot": [
            e("2d", (one((2, 3)), one(3)), RuntimeError, "1D tensors expected"),
            e("length_mismatch", (one(2), one(3)), RuntimeError, "inconsistent tensor size"),
        ],
        "transpose": [e("dim_out_of_range", (one((2, 3)), 0, 2), IndexError, dim)],
        "flatten": [
            e(
                "start_after_end",
                (one((2, 3)), 1, 0),
                RuntimeError,
                "start_dim cannot come after end_dim",
            )
        ],
        "stack": [
            e(
                "shape_mismatch",
                ([one(2), one(3)],),
                RuntimeError,
                "stack expects each tensor to be equal size",
            )
        ],
        "split": [
            e(
                "sizes_not_summing",
                (one(4), [1, 2]),
                RuntimeError,
                "split_sizes to sum exactly to 4",
            )
        ],
        "chunk": [e("zero_chunks", (one(4), 0), RuntimeError, "greater than 0")],
        "logsumexp": [e("dim_out_of_range", (one((2, 3)), 3), IndexError, dim)],
        "var": [e("dim_out_of_range", (one((2, 3)), 5), IndexError, dim)],
        "argmax": [e("dim_out_of_range", (one((2, 3)), 5), IndexError, dim)],
        "amax": [e("empty_no_dim", (one((0, 3)),), IndexError, "numel\\(\\) == 0")],
        "softmax": [e("dim_out_of_range", (one((2, 3)), 2), IndexError, dim)],
        "log_softmax": [e("dim_out_of_range", (one((2, 3)), 2), IndexError, dim)],
        "cross_entropy": [
            e(
                "probability_shape",
                (one((2, 3)), one((2, 4))),
                ValueError,
                "probability targets must have the input's shape",
            )
        ],
        "linear": [
            e(
                "in_features_mismatch",
                (one((2, 3)), one((4, 5))),
                RuntimeError,
                "cannot be multiplied",
            )
        ],
        "layer_norm": [
            e(
                "trailing_shape",
                (one((2, 3)), (4,)),
                RuntimeError,
                r"expected input with trailing shape \[4\]",
            )
        ],
        "embedding": [
            e(
                "index_out_of_range",
                (i64([0, 7]), one((3, 2))),
                IndexError,
                "index 7 is out of range for a table of 3 rows",
            ),
            e("float_indices", (one(2), one((3, 2))), RuntimeError, "integer tensor"),
        ],
        "max_pool2d": [
            e("kernel_too_big", (one((1, 1, 2, 2)), 3), ValueError, "smaller than the kernel")
        ],
        "unfold": [e("3d_input", (one((3, 4, 4)), 2), ValueError, "expected a 4-D input")],
        "binary_cross_entropy": [
            e("input_out_of_range", (one(1) * 1.5, one(1)), RuntimeError, "between 0 and 1")
        ],
        "dropout": [
            e("p_out_of_range", (one(3), 1.5), ValueError, "probability has to be between 0 and 1")
        ],
        "expand": [e("fewer_sizes", (one((2, 3)), 3), RuntimeError, "number of sizes provided")],
        "nll_loss": [
            e(
                "3d_input",
                (one((2, 3, 4)), i64([0, 1])),
                ValueError,
                r"expected input of shape \(N, C\)",
            )
        ],
    }


def _chain(
    own: Callable[[], Iterable[ErrorInput]] | None, extra: list[ErrorInput]
) -> Callable[[], list[ErrorInput]]:
    return lambda: [*(own() if own is not None else []), *extra]


def build_op_db() -> list[OpInfo]:
    """A fresh list of every ``OpInfo``."""
    from ._opdb_nn import nn_ops

    db = _pointwise() + _reductions() + _shape_ops() + _functional() + nn_ops()
    more = _more_errors()
    for info in db:
        if info.name in more:
            info.errors = _chain(info.errors, more[info.name])
    return db


op_db: list[OpInfo] = build_op_db()
"""The op database, in a stable order."""

OPS: dict[str, OpInfo] = {info.name: info for info in op_db}
