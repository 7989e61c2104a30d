"""Op-database entries of rounding and remainders: floor, ceil, trunc, round, frac,
remainder (``%``), fmod, floor_divide (``//``), copysign, signbit, nan_to_num."""

# NumPy's stubs type most compositions of ufuncs as Any; references return arrays.
# mypy: disable-error-code="no-any-return"

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

import tensorplug as tp

from ._opinfo import (
    FLOATS,
    NUMERIC,
    ErrorInput,
    NoGrad,
    OpInfo,
    SampleInput,
    TorchRef,
    Variant,
    inplace,
    method,
)
from ._samples import SPECIAL, Gen, S, away, distinct, errors_of, to_bool, torch_function


def _off_integers(rng: Gen) -> Callable[..., np.ndarray]:
    """Values a quarter or more from every integer and half-integer: no rounding step within
    a finite difference's reach."""

    def x(*shape: int) -> np.ndarray:
        return distinct(rng, shape) if shape else np.array(rng.integers(-4, 4) + 0.375)

    return x


def _rounding_samples(rng: Gen) -> Iterator[SampleInput]:
    x = _off_integers(rng)
    yield S("nd", (x(3, 4),))
    yield S("0d", (x(),))
    yield S("1d", (x(5),))
    yield S("empty", (np.ones((0, 3)),))
    yield S("special", (SPECIAL.copy(),), group="special")


def _decimals_samples(rng: Gen) -> Iterator[SampleInput]:
    yield from _rounding_samples(rng)
    yield S("decimals", (distinct(rng, (3, 4)) / 4,), {"decimals": 1})
    yield S("negative_decimals", (distinct(rng, (2, 3)) * 10,), {"decimals": -1})


def _quotients(rng: Gen, shape: tuple[int, ...], bshape: tuple[int, ...]) -> tuple[Any, Any]:
    """``(a, b)`` with ``|b|`` in [1.2, 2.4] (never 0 as an integer) and ``a / b`` a quarter
    or more from every integer: remainder's and fmod's steps stay out of reach."""
    b = np.sign(rng.uniform(-1, 1, bshape) + 1e-9) * rng.uniform(1.2, 2.4, bshape)
    out = np.broadcast_shapes(shape, bshape)
    q = rng.integers(-3, 3, out) + rng.uniform(0.25, 0.75, out)
    return np.asarray(q * b, dtype=np.float64), np.asarray(b, dtype=np.float64)


def _remainder_samples(rng: Gen) -> Iterator[SampleInput]:
    a, b = _quotients(rng, (3, 4), (3, 4))
    yield S("nd", (a, b))
    a, b = _quotients(rng, (), ())
    yield S("0d", (a, b))
    a, b = _quotients(rng, (3, 4), (4,))
    yield S("broadcast_rhs", (a, b), broadcasts=True)
    yield S("scalar_rhs", (np.array([[0.3, -1.3, 2.2], [3.1, -0.7, 1.4]]), 2))
    yield S("negative_scalar", (np.array([0.3, -1.3, 2.2, -2.9]), -2))
    yield S("empty", (np.ones((0, 3)), np.ones((0, 3))))
    yield S("special", (SPECIAL.copy(), SPECIAL[::-1].copy()), group="special")


def _int_zero_divisor() -> Callable[[], Iterator[ErrorInput]]:
    i64 = np.array
    return errors_of(
        ErrorInput(S("int_by_zero", (i64([5, 3]), i64([2, 0]))), RuntimeError, "ZeroDivisionError"),
        ErrorInput(S("int_by_zero_number", (i64([5, 3]), 0)), RuntimeError, "ZeroDivisionError"),
        ErrorInput(
            S("bools", (i64([True]), i64([True]))), NotImplementedError, "not implemented for"
        ),
    )


def _floor_divide_samples(rng: Gen) -> Iterator[SampleInput]:
    """PyTorch defines no derivative for ``//``: inputs that never require grad."""
    for s in _remainder_samples(rng):
        yield S(
            s.name,
            tuple(NoGrad(a) if isinstance(a, np.ndarray) else a for a in s.args),
            group=s.group,
            broadcasts=s.broadcasts,
        )
    yield S("ints", (np.array([7, -7, 6, -1]), np.array([2, 2, -4, 3])))


def with_rounding_modes(
    gen: Callable[[Gen], Iterator[SampleInput]],
) -> Callable[[Gen], Iterator[SampleInput]]:
    """``div``'s samples, and its ``rounding_mode``s on quotients away from integers (their
    gradient is 0, and no step is within a finite difference's reach)."""

    def samples(rng: Gen) -> Iterator[SampleInput]:
        yield from gen(rng)
        for mode in ("trunc", "floor"):
            a, b = _quotients(rng, (3, 4), (4,))
            yield S(f"rounding_{mode}", (a, b), {"rounding_mode": mode}, broadcasts=True)
            yield S(f"rounding_{mode}_number", (a, -2), {"rounding_mode": mode})

    return samples


def div_ref(a: Any, b: Any, rounding_mode: str | None = None) -> Any:
    q = np.divide(a, b)
    if rounding_mode is None:
        return q
    return np.floor_divide(a, b) if rounding_mode == "floor" else np.trunc(q)


def rounding_mode_errors() -> Callable[[], Iterator[ErrorInput]]:
    return errors_of(
        ErrorInput(
            S("rounding_mode", (np.ones(2), np.ones(2)), {"rounding_mode": "round"}),
            RuntimeError,
            "rounding_mode to be one of None, 'trunc', or 'floor'",
        ),
        ErrorInput(
            S("int_by_zero", (np.array([5, 3]), 0), {"rounding_mode": "trunc"}),
            RuntimeError,
            "ZeroDivisionError",
        ),
    )


def _away_pair(rng: Gen) -> Iterator[SampleInput]:
    yield S("nd", (away(rng, (3, 4)), away(rng, (3, 4))))
    yield S("broadcast_rhs", (away(rng, (3, 4)), away(rng, (4,))), broadcasts=True)
    yield S("0d", (away(rng, ()), away(rng, ())))
    yield S("scalar_rhs", (away(rng, (2, 3)), -2.0))
    yield S("empty", (np.ones((0, 2)), np.ones((0, 2))))
    yield S("special", (SPECIAL.copy(), SPECIAL[::-1].copy()), group="special")


def _nan_to_num_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("nd", (away(rng, (3, 4)),))
    yield S("0d", (away(rng, ()),))
    yield S("empty", (np.ones((0, 2)),))
    # Explicit bounds: the defaults are the tested dtype's largest values, which a float64
    # reference cannot know (test_pointwise_families checks them).
    yield S("special", (SPECIAL.copy(),), {"posinf": 9.0, "neginf": -9.0}, group="special")
    yield S("special_values", (SPECIAL.copy(), 1.5, 9.0, -3.0), group="special")


def _nan_to_num_ref(x: Any, nan: float = 0.0, posinf: Any = None, neginf: Any = None) -> Any:
    return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


def _round_ref(x: Any, decimals: int = 0) -> Any:
    if decimals >= 0:
        return np.rint(x * 10.0**decimals) / 10.0**decimals
    return np.rint(x / 10.0**-decimals) * 10.0**-decimals


def _imod(a: Any, b: Any) -> Any:
    a = a.clone()
    a %= b
    return a


def _ifloordiv(a: Any, b: Any) -> Any:
    a = a.clone()
    a //= b
    return a


def _rounding(name: str, ref: Any, **kw: Any) -> OpInfo:
    return OpInfo(
        name,
        getattr(tp, name),
        ref,
        kw.pop("samples", _rounding_samples),
        torch_ref=torch_function(name, inplace(name + "_")),
        **{"dtypes": NUMERIC, **kw},
    )


def rounding_ops() -> list[OpInfo]:
    return [
        _rounding("floor", np.floor),
        _rounding("ceil", np.ceil),
        _rounding("trunc", np.trunc, aliases=("fix",)),
        # decimals: floating tensors only (PyTorch refuses integers; test_pointwise_families)
        _rounding("round", _round_ref, samples=_decimals_samples, dtypes=FLOATS),
        OpInfo(
            "frac",
            tp.frac,
            lambda x: x - np.trunc(x),
            _rounding_samples,
            torch_ref=torch_function("frac", inplace("frac_")),
        ),
        OpInfo(
            "remainder",
            tp.remainder,
            np.remainder,
            _remainder_samples,
            dtypes=NUMERIC,
            errors=_int_zero_divisor(),
            torch_ref=TorchRef(
                "remainder",
                (
                    method("remainder"),
                    Variant("operator", operator.mod),
                    inplace("remainder_"),
                    Variant("operator_inplace", _imod),
                ),
            ),
        ),
        OpInfo(
            "fmod",
            tp.fmod,
            np.fmod,
            _remainder_samples,
            dtypes=NUMERIC,
            errors=_int_zero_divisor(),
            torch_ref=torch_function("fmod", inplace("fmod_")),
        ),
        OpInfo(
            "floor_divide",
            tp.floor_divide,
            np.floor_divide,
            _floor_divide_samples,
            dtypes=NUMERIC,
            supports_autograd=False,
            errors=_int_zero_divisor(),
            torch_ref=TorchRef(
                "floor_divide",
                (
                    method("floor_divide"),
                    Variant("operator", operator.floordiv),
                    Variant("reflected", lambda a, b: 7 // a),
                    inplace("floor_divide_"),
                    Variant("operator_inplace", _ifloordiv),
                ),
            ),
        ),
        OpInfo(
            "copysign",
            tp.copysign,
            np.copysign,
            _away_pair,
            torch_ref=torch_function("copysign", inplace("copysign_")),
        ),
        OpInfo(
            "signbit",
            tp.signbit,
            np.signbit,
            lambda rng: iter(
                [S("nd", (away(rng, (3, 4)),)), S("special", (SPECIAL.copy(),), group="special")]
            ),
            dtypes=NUMERIC,
            grad_dtypes=(),
            supports_autograd=False,
            result_dtype=to_bool,
            torch_ref=torch_function("signbit"),
        ),
        OpInfo(
            "nan_to_num",
            tp.nan_to_num,
            _nan_to_num_ref,
            _nan_to_num_samples,
            dtypes=FLOATS,
            torch_ref=torch_function("nan_to_num", inplace("nan_to_num_")),
        ),
    ]
