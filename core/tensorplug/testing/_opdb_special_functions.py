"""Op-database entries of ``polygamma`` and of ``tensorplug.special``'s own functions
(``entr``, ``xlog1py``, ``ndtr``, ``ndtri``, ``log_ndtr``, ``multigammaln``), issue 16."""

# NumPy's stubs type most compositions of ufuncs as Any; references return arrays.
# mypy: disable-error-code="no-any-return"

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

import tensorplug as tp
import tensorplug.special as TS

from ._compare import Tol
from ._opdb_special import F16_STEPS, _digamma, _lgamma_scalar
from ._opinfo import ErrorInput, OpInfo, SampleInput, TorchRef, Variant
from ._samples import Gen, S, binary, errors_of, unary, uniform

_erfc = np.vectorize(math.erfc, otypes=[np.float64])


def _polygamma_ref(n: int, x: Any) -> Any:
    """``(-1)^(n+1) n! sum_k 1/(x+k)^(n+1)``: the terms below 40, then the asymptotic series."""
    if n == 0:
        return _digamma(x)
    x = np.asarray(x, dtype=np.float64)
    z, acc = x.copy(), np.zeros_like(x)
    while np.any(z < 40):
        low = z < 40
        acc = acc + np.where(low, 1 / np.where(low, z, 1.0) ** (n + 1), 0)
        z = np.where(low, z + 1, z)
    b2k = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)
    tail = math.factorial(n - 1) / z**n + math.factorial(n) / (2 * z ** (n + 1))
    for k, b in enumerate(b2k, 1):
        tail = tail + b * math.factorial(2 * k + n - 1) / math.factorial(2 * k) / z ** (2 * k + n)
    return (1.0 if n % 2 else -1.0) * (math.factorial(n) * acc + tail)


def _polygamma_samples(rng: Gen) -> Iterator[SampleInput]:
    # n = 1 is trigamma, checked as digamma's gradient (PyTorch's is good to about 4e-9,
    # short of the reference test's 1e-10)
    for n in (0, 2, 3):
        yield S(f"n{n}", (n, uniform(rng, (3, 4), 0.25, 4.0)))
    yield S("n2_negative", (2, -np.floor(uniform(rng, (2, 3), 0.0, 3.0)) - 0.375))
    yield S("n4_0d", (4, np.array(1.75)))
    yield S("n3_empty", (3, uniform(rng, (0, 3), 0.25, 4.0)))
    yield S("poles", (2, np.array([0.0, -1.0, -2.0, 1.0, np.nan])), group="special")


def _polygamma_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(S("negative_n", (-1, np.ones(2))), RuntimeError, "does not support negative n")
    yield ErrorInput(S("float_n", (1.5, np.ones(2))), TypeError, "argument 'n' .* must be int")


def _entr_ref(x: Any) -> Any:
    with np.errstate(divide="ignore", invalid="ignore"):
        inner = np.where(x > 0, -x * np.log(np.where(x > 0, x, 1.0)), 0.0)
    return np.where(x < 0, -np.inf, np.where(np.isnan(x), x, inner))


def _xlog1py_ref(a: Any, b: Any) -> Any:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.isnan(b), np.nan, np.where(a == 0, 0.0, a * np.log1p(b)))


def _xlog1py_samples(rng: Gen) -> Iterator[SampleInput]:
    yield from binary(-2.0, 2.0, -0.75, 3.0, scalar=2.5)(rng)
    a = uniform(rng, (2, 3))
    a[0, 1] = 0.0
    yield S("zero_x", (a, uniform(rng, (2, 3), -0.75, 3.0)))
    yield S("scalar_lhs", (1.5, uniform(rng, (2, 3), -0.75, 3.0)))


def _ndtr_ref(x: Any) -> Any:
    return 0.5 * _erfc(-np.asarray(x) / math.sqrt(2.0))


def _ndtri_ref(p: Any) -> Any:
    """Bisection on ``ndtr`` (60 halvings of [-40, 40])."""
    p = np.asarray(p, dtype=np.float64)
    lo, hi = np.full_like(p, -40.0), np.full_like(p, 40.0)
    for _ in range(80):
        mid = (lo + hi) / 2
        below = _ndtr_ref(mid) < p
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    out = np.where(p == 0, -np.inf, np.where(p == 1, np.inf, (lo + hi) / 2))
    return np.where((p < 0) | (p > 1) | np.isnan(p), np.nan, out)


def _log_ndtr_ref(x: Any) -> Any:
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, np.log1p(-_ndtr_ref(-x)), np.log(_ndtr_ref(x)))


def _multigammaln_ref(x: Any, p: int) -> Any:
    out = sum(_lgamma_scalar(np.asarray(x) - j / 2) for j in range(p))
    return out + p * (p - 1) / 4 * math.log(math.pi)


def _multigammaln_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("p1", (uniform(rng, (3, 4), 0.5, 4.0), 1))
    yield S("p3", (uniform(rng, (3, 4), 1.25, 5.0), 3))
    yield S("0d_p2", (np.array(2.75), 2))


_TRIGAMMA = Tol(1e-8, 1e-10, "PyTorch's trigamma (polygamma(1, x)) is good to about 4e-9")
_NDTR = (("*", "composed as PyTorch's; PyTorch records the product by 0.5 as MulBackward1"),)


def _special(name: str, ref: Any, samples: Callable[[Gen], Iterator[SampleInput]],
             variants: tuple[Variant, ...] = (), other_nodes: Any = (), **kw: Any
             ) -> OpInfo:  # fmt: skip
    return OpInfo(name, getattr(TS, name), ref, samples, namespace="tensorplug.special",
                  torch_ref=TorchRef(f"special.{name}", variants, other_nodes), **kw)  # fmt: skip


def _method_polygamma(n: int, x: Any) -> Any:
    return x.polygamma(n)


def _inplace_polygamma(n: int, x: Any) -> Any:
    return x.clone().polygamma_(n)


def special_function_ops() -> list[OpInfo]:
    return [
        OpInfo("polygamma", tp.polygamma, _polygamma_ref, _polygamma_samples,
               torch_ref=TorchRef("polygamma", (Variant("method_polygamma", _method_polygamma),
                                                Variant("polygamma_", _inplace_polygamma)),
                                  tolerance=_TRIGAMMA),
               errors=_polygamma_errors),
        _special("entr", _entr_ref, unary(0.25, 3.0)),
        _special("xlog1py", _xlog1py_ref, _xlog1py_samples),
        _special("ndtr", _ndtr_ref, unary(), other_nodes=_NDTR, tolerances=F16_STEPS),
        _special("ndtri", _ndtri_ref, unary(0.05, 0.95), tolerances=F16_STEPS),
        _special("log_ndtr", _log_ndtr_ref, unary(-3.0, 3.0)),
        _special("multigammaln", _multigammaln_ref, _multigammaln_samples,
                 (Variant("method_mvlgamma", lambda x, p: x.mvlgamma(p)),),
                 errors=errors_of(ErrorInput(S("p0", (np.ones(2) * 3, 0)), RuntimeError,
                                             "p has to be greater than or equal to 1"))),
    ]  # fmt: skip
