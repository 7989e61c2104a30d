"""Op-database entries of value tests, logic and bits: isnan, isinf, isposinf, isneginf,
isfinite, isclose, logical_and/or/xor/not, bitwise_and/or/xor/not and the shifts.

The integer ops' samples hold integer and bool arrays, which keep their dtype under every
dtype the suite runs (``SampleInput``): PyTorch's promotion of bool and integer operands is
what they check; floating operands are the error inputs."""

# NumPy's stubs type most compositions of ufuncs as Any; references return arrays.
# mypy: disable-error-code="no-any-return"

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

import tensorplug as tp

from .. import _dtype as D
from ._opinfo import NUMERIC, ErrorInput, OpInfo, SampleInput, TorchRef, Variant, method
from ._samples import SPECIAL, Gen, S, errors_of, to_bool, torch_function, uniform


def _test_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("nd", (np.round(uniform(rng, (3, 4))),))
    yield S("0d", (np.array(1.0),))
    yield S("empty", (np.ones((0, 2)),))
    yield S("special", (SPECIAL.copy(),), group="special")


def _test(name: str, ref: Callable[..., Any], samples: Any = _test_samples) -> OpInfo:
    """An op with a bool result and no gradient, on every numeric dtype."""
    return OpInfo(
        name, getattr(tp, name), ref, samples, dtypes=NUMERIC, grad_dtypes=(),
        supports_autograd=False, result_dtype=to_bool, torch_ref=torch_function(name),
    )  # fmt: skip


def _isclose_samples(rng: Gen) -> Iterator[SampleInput]:
    a = uniform(rng, (3, 4))
    b = a + np.where(rng.uniform(size=(3, 4)) > 0.5, 1e-7, 1e-3)
    yield S("nd", (a, b))
    yield S("broadcast", (a, b[0]), broadcasts=True)
    yield S("tolerances", (a, b), {"rtol": 0.0, "atol": 1e-4})
    yield S("special", (SPECIAL.copy(), SPECIAL.copy()), group="special")
    yield S("equal_nan", (SPECIAL.copy(), SPECIAL.copy()), {"equal_nan": True}, group="special")


def _logical_samples(rng: Gen) -> Iterator[SampleInput]:
    a = np.round(uniform(rng, (3, 4)))  # some zeros
    b = np.round(uniform(rng, (3, 4)))
    yield S("nd", (a, b))
    yield S("broadcast", (a, b[1]), broadcasts=True)
    yield S("mixed_kinds", (a, np.array([True, False, True, True])), broadcasts=True)
    yield S("empty", (np.ones((0, 2)), np.ones((0, 2))))
    yield S("special", (SPECIAL.copy(), SPECIAL[::-1].copy()), group="special")


I64, I32 = np.int64, np.int32
F32 = np.ones(2, np.float32)
"""A floating operand that stays floating under every tested dtype (float64 is data)."""


def _bits(rng: Gen, *shape: int, dtype: Any = I64) -> np.ndarray:
    return rng.integers(-50, 50, shape).astype(dtype)


def _bitwise_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("int64", (_bits(rng, 3, 4), _bits(rng, 3, 4)))
    yield S("broadcast", (_bits(rng, 3, 4), _bits(rng, 4, dtype=I32)), broadcasts=True)
    yield S("bools", (rng.uniform(size=(2, 3)) > 0.5, rng.uniform(size=(2, 3)) > 0.5))
    yield S("bool_int32", (np.array([True, False, True]), _bits(rng, 3, dtype=I32)))
    yield S("number", (_bits(rng, 2, 3), 5))
    yield S("bool_number", (np.array([True, False]), 3))
    yield S("0d", (np.array(6, I64), np.array(3, I64)))


def _shift_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("int64", (_bits(rng, 3, 4), rng.integers(0, 8, (3, 4))))
    yield S("int32", (_bits(rng, 4, dtype=I32), rng.integers(0, 8, (4,)).astype(I32)))
    yield S("broadcast", (_bits(rng, 3, 4), rng.integers(0, 8, (4,))), broadcasts=True)
    yield S("number", (_bits(rng, 2, 3), 3))
    yield S("bool_int", (np.array([True, False]), np.array([2, 1], I32)))
    yield S("past_width", (np.array([1, -8, 5]), np.array([64, 70, 3])))


def _float_errors(*extra: ErrorInput) -> Callable[[], Iterator[ErrorInput]]:
    return errors_of(
        ErrorInput(S("floats", (F32, F32)), NotImplementedError, "not implemented"),
        ErrorInput(S("float_number", (np.array([1, 2]), 1.5)), NotImplementedError, "not impl"),
        *extra,
    )


def _shift_ref(f: Any, width_fill: Callable[[Any], Any]) -> Any:
    def ref(a: Any, b: Any) -> Any:
        a, b = np.asarray(a), np.asarray(b)
        kind = np.result_type(a, b)
        out = f(a, np.minimum(b, 8 * a.dtype.itemsize - 1))
        return np.where(b >= 8 * kind.itemsize, width_fill(a), out).astype(kind)

    return ref


def _bitwise(name: str, f: Any, op: Any, samples: Any, ref: Any = None, **kw: Any) -> OpInfo:
    rop = Variant("reflected_operator", lambda a, b: op(b, a) if not isinstance(b, int) else a)
    return OpInfo(
        name,
        getattr(tp, name),
        ref or f,
        samples,
        dtypes=(D.int64,),
        grad_dtypes=(),
        supports_autograd=False,
        torch_ref=TorchRef(name, (method(name), Variant("operator", op), rop)),
        **kw,
    )


def logic_ops() -> list[OpInfo]:
    bool_shift = ErrorInput(
        S("bools", (np.array([True]), np.array([True]))), NotImplementedError, "not implemented"
    )
    return [
        _test("isnan", np.isnan),
        _test("isinf", np.isinf),
        _test("isposinf", np.isposinf),
        _test("isneginf", np.isneginf),
        _test("isfinite", np.isfinite),
        OpInfo(
            "isclose",
            tp.isclose,
            np.isclose,
            _isclose_samples,
            grad_dtypes=(),
            supports_autograd=False,
            result_dtype=to_bool,
            torch_ref=torch_function("isclose"),
        ),
        _test("logical_and", np.logical_and, _logical_samples),
        _test("logical_or", np.logical_or, _logical_samples),
        _test("logical_xor", np.logical_xor, _logical_samples),
        _test("logical_not", np.logical_not),
        _bitwise(
            "bitwise_and", np.bitwise_and, operator.and_, _bitwise_samples, errors=_float_errors()
        ),
        _bitwise(
            "bitwise_or", np.bitwise_or, operator.or_, _bitwise_samples, errors=_float_errors()
        ),
        _bitwise(
            "bitwise_xor", np.bitwise_xor, operator.xor, _bitwise_samples, errors=_float_errors()
        ),
        _bitwise(
            "bitwise_left_shift",
            np.left_shift,
            operator.lshift,
            _shift_samples,
            _shift_ref(np.left_shift, np.zeros_like),
            errors=_float_errors(bool_shift),
        ),
        _bitwise(
            "bitwise_right_shift",
            np.right_shift,
            operator.rshift,
            _shift_samples,
            _shift_ref(np.right_shift, lambda a: np.where(a < 0, -1, 0)),
            errors=_float_errors(bool_shift),
        ),
        OpInfo(
            "bitwise_not",
            tp.bitwise_not,
            np.invert,
            lambda rng: iter(
                [
                    S("int64", (_bits(rng, 3, 4),)),
                    S("bools", (np.array([True, False]),)),
                    S("int32", (_bits(rng, 5, dtype=I32),)),
                ]
            ),
            dtypes=(D.int64,),
            grad_dtypes=(),
            supports_autograd=False,
            torch_ref=torch_function("bitwise_not", Variant("operator", operator.invert)),
            errors=errors_of(
                ErrorInput(S("floats", (F32,)), NotImplementedError, "not implemented")
            ),
        ),
    ]
