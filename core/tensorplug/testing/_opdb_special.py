"""Op-database entries of the trigonometric, hyperbolic, logarithmic and special functions:
erf, erfc, erfinv, lgamma, digamma, exp2, log2, log10, tan, sinh, cosh, asin, acos, atan,
asinh, acosh, atanh, sinc, logit, xlogy, atan2, hypot."""

# NumPy's stubs type most compositions of ufuncs as Any; references return arrays.
# mypy: disable-error-code="no-any-return"

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

import tensorplug as tp

from .. import _dtype as D
from ._compare import Tol
from ._opinfo import ErrorInput, OpInfo, SampleInput, inplace
from ._samples import Gen, S, binary, errors_of, torch_function, unary, uniform

F16_STEPS = {D.float16: Tol(1e-2, 1e-3, "several float16 steps (PyTorch computes in float32)")}

_erf = np.vectorize(math.erf, otypes=[np.float64])
_erfc = np.vectorize(math.erfc, otypes=[np.float64])
_lgamma_scalar = np.vectorize(
    lambda x: math.inf if math.isinf(x) or (x <= 0 and x == math.floor(x)) else math.lgamma(x),
    otypes=[np.float64],
)


def _erfinv(y: Any) -> Any:
    """Bisection on math.erf: slow, exact enough, and independent of tensorplug's kernel."""
    y = np.asarray(y, dtype=np.float64)
    lo, hi = np.full(y.shape, -7.0), np.full(y.shape, 7.0)
    for _ in range(80):
        mid = (lo + hi) / 2
        below = _erf(mid) < y
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    out = (lo + hi) / 2
    out = np.where(y == 1, np.inf, np.where(y == -1, -np.inf, out))
    return np.where((np.abs(y) > 1) | np.isnan(y), np.nan, out)


def _digamma(x: Any) -> Any:
    """The derivative of math.lgamma by a high-order central difference is too coarse; the
    series ``-gamma + sum 1/(k+1) - 1/(k+x)`` after shifting ``x`` above 40 is exact enough."""
    x = np.asarray(x, dtype=np.float64)
    acc = np.zeros_like(x)
    z = x.copy()
    refl = z < 0.5
    z = np.where(refl, 1 - z, z)
    while np.any(z < 40):
        low = z < 40
        acc = acc - np.where(low, 1 / z, 0)
        z = np.where(low, z + 1, z)
    w = 1 / (z * z)
    psi = np.log(z) - 0.5 / z - w * (1 / 12 - w * (1 / 120 - w * (1 / 252 - w / 240))) + acc
    psi = np.where(refl, psi - np.pi / np.tan(np.pi * x), psi)
    pole = (x <= 0) & (x == np.floor(x))
    return np.where(pole, np.where(x == 0, np.where(np.signbit(x), np.inf, -np.inf), np.nan), psi)


def _sinc(x: Any) -> Any:
    return np.sinc(x)


def _logit_ref(x: Any, eps: Any = None) -> Any:
    z = x if eps is None else np.clip(x, eps, 1 - eps)
    return np.log(z / (1 - z))


def _xlogy_ref(a: Any, b: Any) -> Any:
    return np.where(np.isnan(b), np.nan, np.where(a == 0, 0.0, a * np.log(b)))


def _with_negative(lo: float, hi: float) -> Callable[[Gen], Iterator[SampleInput]]:
    """``unary`` samples, and non-integer negative arguments (lgamma, digamma's reflection)."""

    def gen(rng: Gen) -> Iterator[SampleInput]:
        yield from unary(lo, hi)(rng)
        yield S("negative", (-np.floor(uniform(rng, (2, 3), 0.0, 3.0)) - 0.375,))
        yield S("poles", (np.array([0.0, -1.0, -2.0, 1.0, 2.0]),), group="special")

    return gen


def _logit_samples(rng: Gen) -> Iterator[SampleInput]:
    yield from unary(0.1, 0.9)(rng)
    x = np.array([0.05, 0.15, 0.3, 0.5, 0.85, 0.97])
    yield S("eps", (x,), {"eps": 0.1})


def _xlogy_samples(rng: Gen) -> Iterator[SampleInput]:
    yield from binary(-2.0, 2.0, 0.25, 3.0, scalar=2.5)(rng)
    a = uniform(rng, (2, 3))
    a[0, 1] = 0.0
    yield S("zero_x", (a, uniform(rng, (2, 3), 0.25, 3.0)))


def _number() -> Callable[[], Iterator[ErrorInput]]:
    return errors_of(ErrorInput(S("number", (np.ones(2), 2.0)), TypeError, "must be Tensor"))


_NO_INPLACE_DERIVATIVE = ("asinh", "acosh", "atanh")
"""PyTorch's ``asinh_`` and friends have no derivative (their backward raises, here too:
``tests/ops/test_pointwise_families.py``): their in-place form is not compared here."""


def _fn(name: str, ref: Any, samples: Any, **kw: Any) -> OpInfo:
    spellings = () if name in _NO_INPLACE_DERIVATIVE else (inplace(name + "_"),)
    return OpInfo(
        name, getattr(tp, name), ref, samples, torch_ref=torch_function(name, *spellings), **kw
    )


def special_ops() -> list[OpInfo]:
    return [
        _fn("erf", _erf, unary()),
        _fn("erfc", _erfc, unary()),
        _fn("erfinv", _erfinv, unary(-0.9, 0.9)),
        _fn("lgamma", _lgamma_scalar, _with_negative(0.25, 4.0)),
        _fn("digamma", _digamma, _with_negative(0.25, 4.0)),
        _fn("exp2", np.exp2, unary()),
        _fn("log2", np.log2, unary(0.25, 3.0)),
        _fn("log10", np.log10, unary(0.25, 3.0)),
        _fn("tan", np.tan, unary(-1.2, 1.2)),
        _fn("sinh", np.sinh, unary()),
        _fn("cosh", np.cosh, unary()),
        _fn("asin", np.arcsin, unary(-0.9, 0.9), aliases=("arcsin",)),
        _fn("acos", np.arccos, unary(-0.9, 0.9), aliases=("arccos",)),
        _fn("atan", np.arctan, unary(), aliases=("arctan",)),
        _fn("asinh", np.arcsinh, unary(), aliases=("arcsinh",)),
        _fn("acosh", np.arccosh, unary(1.2, 3.0), aliases=("arccosh",)),
        _fn("atanh", np.arctanh, unary(-0.9, 0.9), aliases=("arctanh",)),
        _fn("sinc", _sinc, unary(), tolerances=F16_STEPS),
        _fn("logit", _logit_ref, _logit_samples, tolerances=F16_STEPS),
        _fn("xlogy", _xlogy_ref, _xlogy_samples),
        _fn("atan2", np.arctan2, binary(scalar=None), aliases=("arctan2",), errors=_number()),
        _fn("hypot", np.hypot, binary(scalar=None), errors=_number()),
    ]
