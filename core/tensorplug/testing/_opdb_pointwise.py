"""Op-database entries of the pointwise ops: arithmetic, functions, comparisons, clamps."""

# NumPy's stubs type most compositions of ufuncs as Any; references return arrays.
# mypy: disable-error-code="no-any-return"

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

import tensorplug as tp

from ._opinfo import NUMERIC, ErrorInput, OpInfo, SampleInput
from ._samples import (
    SPECIAL,
    Gen,
    S,
    binary,
    broadcast_errors,
    distinct,
    errors_of,
    sigmoid_ref,
    to_bool,
    unary,
    uniform,
)


def pointwise_ops() -> list[OpInfo]:
    ops = [
        OpInfo("add", tp.add, np.add, binary(), dtypes=NUMERIC, errors=broadcast_errors()),
        OpInfo("sub", tp.sub, np.subtract, binary(), dtypes=NUMERIC, aliases=("subtract",)),
        OpInfo("mul", tp.mul, np.multiply, binary(), dtypes=NUMERIC, aliases=("multiply",)),
        OpInfo(
            "div",
            tp.div,
            np.divide,
            binary(rlo=0.5, rhi=2.0),
            aliases=("divide", "true_divide"),
            errors=errors_of(
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
        OpInfo("sigmoid", tp.sigmoid, sigmoid_ref, unary()),
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
            errors=errors_of(
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
                result_dtype=to_bool,
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
    yield S("nd_both", (distinct(rng, (3, 4)),), {"min": -1, "max": 1})
    yield S("min_only", (distinct(rng, (5,)),), {"min": 0})
    yield S("max_only", (distinct(rng, (2, 3)),), {"max": 0})
    yield S("0d", (np.array(1.625),), {"min": -1, "max": 1})
    yield S("empty", (np.ones((0, 2)),), {"min": -1, "max": 1})
    yield S("special", (SPECIAL.copy(),), {"min": -1.0, "max": 1.0}, group="special")


def _clamp_one() -> Callable[[Gen], Iterator[SampleInput]]:
    def gen(rng: Gen) -> Iterator[SampleInput]:
        yield S("nd", (distinct(rng, (3, 4)), 0))
        yield S("0d", (np.array(-1.375), 0))
        yield S("empty", (np.ones((0, 2)), 0))
        yield S("special", (SPECIAL.copy(), 0.5), group="special")

    return gen


def _where_samples(rng: Gen) -> Iterator[SampleInput]:
    cond = rng.uniform(size=(3, 4)) > 0.5
    yield S("nd", (cond, uniform(rng, (3, 4)), uniform(rng, (3, 4))))
    yield S("broadcast", (cond[:, :1], uniform(rng, (3, 4)), uniform(rng, (4,))), broadcasts=True)
    yield S("scalar_other", (cond, uniform(rng, (3, 4)), 2))
    yield S("0d", (np.array(True), uniform(rng, ()), uniform(rng, ())))
    yield S("empty", (np.zeros((0, 2), bool), uniform(rng, (0, 2)), uniform(rng, (0, 2))))
    yield S("special", (cond[0, :], SPECIAL[:4].copy(), SPECIAL[3:].copy()), group="special")


def _compare_samples(rng: Gen) -> Iterator[SampleInput]:
    a = np.round(uniform(rng, (3, 4)))
    b = a.copy()
    b[0] += 1.0  # some equal, some not
    yield S("nd", (a, b))
    yield S("broadcast_rhs", (a, b[1]), broadcasts=True)
    yield S("scalar_rhs", (a, 1))
    yield S("0d", (np.array(1.0), np.array(1.0)))
    yield S("empty", (np.ones((0, 3)), np.ones((0, 3))))
    yield S("special", (SPECIAL.copy(), SPECIAL[::-1].copy()), group="special")
