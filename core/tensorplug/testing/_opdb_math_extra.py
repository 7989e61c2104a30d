"""Op-database entries of issue 16's further elementwise math (``logaddexp``,
``logaddexp2``, ``float_power``, ``fmax``, ``fmin``, ``ldexp``, ``frexp``, ``deg2rad``,
``rad2deg``, ``gcd``, ``lcm``, ``heaviside``) and of the Bessel functions ``i0``,
``special.i0e``, ``special.i1``, ``special.i1e``."""

# NumPy's stubs type most compositions of ufuncs as Any; references return arrays.
# mypy: disable-error-code="no-any-return"

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

import tensorplug as tp
import tensorplug.special as TS

from .. import _dtype as D
from . import _opinfo as OI
from ._compare import Tol
from ._opinfo import INTS, ErrorInput, NoGrad, OpInfo, SampleInput, TorchRef
from ._samples import Gen, S, binary, errors_of, torch_function, unary, uniform

_F32_64 = (D.float32, D.float64)
_F16 = {D.float16: Tol(1e-2, 1e-3, "float16 rounds each of the composed steps")}
_NOT_TENSOR = "must be Tensor, not"


def _i0_ref(x: Any) -> Any:
    """``sum (x/2)^(2k) / (k!)^2``, every term positive (no cancellation), to 200 terms."""
    x = np.asarray(x, dtype=np.float64)
    term, total = np.ones_like(x), np.ones_like(x)
    for k in range(1, 200):
        term = term * (x / 2) ** 2 / (k * k)
        total = total + term
    return total


def _i1_ref(x: Any) -> Any:
    x = np.asarray(x, dtype=np.float64)
    term = x / 2
    total = term.copy()
    for k in range(1, 200):
        term = term * (x / 2) ** 2 / (k * (k + 1))
        total = total + term
    return total


def _bessel_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("nd", (uniform(rng, (3, 4), -3.0, 3.0),))
    yield S("far", (np.array([-12.0, -8.5, 8.5, 20.0]),))
    yield S("0d", (np.array(0.75),))
    yield S("empty", (uniform(rng, (0, 3)),))


def _log_add_ref(base: float) -> Any:
    def ref(a: Any, b: Any) -> Any:
        m = np.maximum(a, b)
        with np.errstate(invalid="ignore"):
            out = m + np.log1p(base ** (-np.abs(a - b))) / math.log(base)
        return np.where(a == b, a + math.log(2) / math.log(base), out)

    return ref


def _tensors_only(op: str) -> Any:
    return errors_of(
        ErrorInput(S("number_other", (np.ones(2), 1.0)), TypeError, _NOT_TENSOR),
    )


def _fmax_samples(rng: Gen) -> Iterator[SampleInput]:
    yield from binary(kink=True, scalar=None)(rng)
    a, b = uniform(rng, (2, 3)), uniform(rng, (2, 3)) + 3.0
    a[0, 1], b[1, 2] = np.nan, np.nan
    yield S("nan_either", (a, b))


def _frexp_ref(x: Any) -> Any:
    m, e = np.frexp(x)
    return m, e.astype(np.int32)


def _frexp_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("nd", (uniform(rng, (3, 4), -40.0, 40.0),))
    yield S("0d", (np.array(0.375),))
    yield S("special", (np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -3.0]),),
            group="special")  # fmt: skip


def _ldexp_samples(rng: Gen) -> Iterator[SampleInput]:
    # PyTorch differentiates a negative integer exponent through an integer power (0)
    yield S("int_exponent", (uniform(rng, (3, 4)), np.array([[1, 2, 3, 0]], dtype=np.int64)))
    yield S("float_exponent", (uniform(rng, (2, 3)), uniform(rng, (2, 3))))


def _gcd_samples(rng: Gen) -> Iterator[SampleInput]:
    a = np.array([[0, -12, 7, 9], [15, 4, -6, 1]], dtype=np.int64)
    b = np.array([[0, 18, 0, 6], [-10, 4, 9, 1]], dtype=np.int64)
    yield S("ints", (a, b))
    yield S("broadcast", (a, np.array([6], dtype=np.int64)), broadcasts=True)


def _lcm_ref(a: Any, b: Any) -> Any:
    return np.lcm(a, b)


def _heaviside_samples(rng: Gen) -> Iterator[SampleInput]:
    # NoGrad: PyTorch records a node without a derivative, tensorplug none (as ``unique``)
    x = NoGrad(np.round(uniform(rng, (3, 4))))
    yield S("nd", (x, NoGrad(np.array([0.5]))))
    yield S("values_full", (x, NoGrad(uniform(rng, (3, 4)))))


def _nextafter_samples(rng: Gen) -> Iterator[SampleInput]:
    yield from binary(scalar=None)(rng)
    # (from ±inf the step lands on the dtype's largest: tests/ops/test_math_surface.py)
    edges = np.array([0.0, 0.0, 1.0, 1.0, -1.0, 2.0, np.nan, 3.0])
    towards = np.array([1.0, -1.0, 0.0, 2.0, 0.0, 0.0, 0.0, 3.0])
    yield S("edges", (edges, towards), group="special")


def _int_errors(op: str) -> Any:
    bools = np.array([True, False])  # (float data would be cast to the integer dtype tested)
    return errors_of(ErrorInput(S("bools", (bools, bools)), NotImplementedError,
                                f"\"{op}_cpu\" not implemented for 'Bool'"))  # fmt: skip


def _bessel(name: str, fn: Any, ref: Any, torch_name: str, variants: Any = (), **kw: Any
            ) -> OpInfo:  # fmt: skip
    return OpInfo(name, fn, ref, _bessel_samples, dtypes=_F32_64, grad_dtypes=_F32_64,
                  torch_ref=TorchRef(torch_name, variants), **kw)  # fmt: skip


_erfc = np.vectorize(math.erfc, otypes=[np.float64])


def _erfcx_ref(x: Any) -> Any:
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(x == np.inf, 0.0, np.exp(x * x) * _erfc(x))


def _zeta_ref(x: Any, q: Any) -> Any:
    """30 terms, then Euler-Maclaurin's integral, half term and two Bernoulli corrections."""
    x, q = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(q, dtype=np.float64))
    s = sum((q + k) ** -x for k in range(30))
    z = q + 30
    s = s + z ** (1 - x) / (x - 1) + z**-x / 2 + x * z ** (-x - 1) / 12
    s = s - x * (x + 1) * (x + 2) * z ** (-x - 3) / 720
    pole = (q <= 0) & (q == np.floor(q))  # Cephes' domain, as PyTorch's
    s = np.where((q <= 0) & (x != np.floor(x)), np.nan, np.where(pole, np.inf, s))
    return np.where(x == 1, np.inf, np.where(x < 1, np.nan, s))


def _gammainc_scalar(a: float, x: float) -> float:
    if x < 0 or a < 0 or (a == 0 and x == 0) or (math.isinf(a) and math.isinf(x)):
        return math.nan
    if a == 0 or math.isinf(x):
        return 1.0
    if x == 0 or math.isinf(a):
        return 0.0
    if x < a + 1:  # the series
        term = total = 1.0 / a
        n = a
        while abs(term) > abs(total) * 1e-17:
            n += 1
            term *= x / n
            total += term
        return total * math.exp(a * math.log(x) - x - math.lgamma(a))
    b, c, d = x + 1 - a, 1e300, 1 / (x + 1 - a)  # the continued fraction for Q
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2
        d = 1 / (an * d + b)
        c = b + an / c
        h *= d * c
        if abs(d * c - 1) < 1e-17:
            break
    return 1 - h * math.exp(a * math.log(x) - x - math.lgamma(a))


_gammainc_ref = np.vectorize(_gammainc_scalar, otypes=[np.float64])


def _gamma_samples(rng: Gen) -> Iterator[SampleInput]:
    a = NoGrad(uniform(rng, (3, 4), 0.5, 6.0))  # no gradient in a (PyTorch raises)
    yield S("series_and_fraction", (a, uniform(rng, (3, 4), 0.1, 12.0)))
    yield S("broadcast", (NoGrad(np.array([[1.5], [4.0]])), uniform(rng, (2, 3), 0.5, 8.0)),
            broadcasts=True)  # fmt: skip
    yield S("bounds", (np.array([0.0, 1.0, 2.0, -1.0, 1.0]),
                       np.array([1.0, 0.0, np.inf, 1.0, -1.0])), group="special")  # fmt: skip


def _zeta_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("nd", (NoGrad(uniform(rng, (3, 4), 1.5, 5.0)), uniform(rng, (3, 4), 0.5, 4.0)))
    yield S("scalar_x", (2.0, uniform(rng, (2, 3), 0.5, 3.0)))
    # no gradient in x (PyTorch raises) and q a number: nothing to differentiate
    yield S("scalar_q", (NoGrad(uniform(rng, (2, 3), 1.5, 4.0)), 1.5), group="forward_only")
    yield S("poles", (np.array([1.0, 0.5, 2.0, 2.0, 3.0]),
                      np.array([1.0, 1.0, 0.0, -1.5, -2.0])), group="special")  # fmt: skip


def _j_ref(order: int) -> Any:
    def ref(x: Any) -> Any:
        x = np.asarray(x, dtype=np.float64)
        term = (x / 2) ** order / math.factorial(order)
        total = term.copy()
        for k in range(1, 80):
            term = -term * (x / 2) ** 2 / (k * (k + order))
            total = total + term
        return total

    return ref


def _forward_only_samples(lo: float, hi: float) -> Any:
    def gen(rng: Gen) -> Iterator[SampleInput]:
        yield S("nd", (NoGrad(uniform(rng, (3, 4), lo, hi)),))
        yield S("0d", (NoGrad(np.array(0.75)),))

    return gen


def _special_fwd(name: str, ref: Any, lo: float = -8.0, hi: float = 8.0) -> OpInfo:
    return OpInfo(name, getattr(TS, name), ref, _forward_only_samples(lo, hi),
                  dtypes=_F32_64, supports_autograd=False, namespace="tensorplug.special",
                  torch_ref=TorchRef(f"special.{name}"))  # fmt: skip


def _method(name: str) -> Any:
    return (OI.Variant(f"method_{name}", lambda a, b: getattr(a, name)(b)), OI.inplace(f"{name}_"))


def math_extra_ops() -> list[OpInfo]:
    e = math.e
    return [
        OpInfo("logaddexp", tp.logaddexp, _log_add_ref(e), binary(scalar=None),
               tolerances=_F16, torch_ref=torch_function("logaddexp"),
               errors=_tensors_only("logaddexp")),
        OpInfo("logaddexp2", tp.logaddexp2, _log_add_ref(2.0), binary(scalar=None),
               tolerances=_F16, torch_ref=torch_function("logaddexp2"),
               errors=_tensors_only("logaddexp2")),
        OpInfo("float_power", tp.float_power, lambda a, b: np.power(a, b),
               binary(0.25, 2.0, -2.0, 2.0), result_dtype=lambda d: D.float64,
               torch_ref=torch_function("float_power", OI.inplace("float_power_"))),
        OpInfo("fmax", tp.fmax, np.fmax, _fmax_samples, torch_ref=torch_function("fmax"),
               errors=_tensors_only("fmax")),
        OpInfo("fmin", tp.fmin, np.fmin, _fmax_samples, torch_ref=torch_function("fmin"),
               errors=_tensors_only("fmin")),
        OpInfo("ldexp", tp.ldexp, lambda a, b: a * 2.0**b, _ldexp_samples,
               torch_ref=torch_function("ldexp", OI.inplace("ldexp_")),
               errors=_tensors_only("ldexp")),
        OpInfo("frexp", tp.frexp, _frexp_ref, _frexp_samples, grad_outputs=lambda r: r[0],
               torch_ref=torch_function("frexp"),
               errors=errors_of(ErrorInput(S("int", (np.array([1, 2]),)), RuntimeError,
                                           "only supports floating-point dtypes"))),
        OpInfo("nextafter", tp.nextafter, np.nextafter, _nextafter_samples,
               torch_ref=torch_function("nextafter", OI.inplace("nextafter_")),
               errors=_tensors_only("nextafter")),
        OpInfo("deg2rad", tp.deg2rad, np.deg2rad, unary(-400.0, 400.0),
               torch_ref=torch_function("deg2rad", OI.inplace("deg2rad_"))),
        OpInfo("rad2deg", tp.rad2deg, np.rad2deg, unary(),
               torch_ref=torch_function("rad2deg", OI.inplace("rad2deg_"))),
        OpInfo("gcd", tp.gcd, np.gcd, _gcd_samples, dtypes=INTS, supports_autograd=False,
               torch_ref=torch_function("gcd", OI.inplace("gcd_")), errors=_int_errors("gcd")),
        OpInfo("lcm", tp.lcm, _lcm_ref, _gcd_samples, dtypes=INTS, supports_autograd=False,
               torch_ref=torch_function("lcm", OI.inplace("lcm_")), errors=_int_errors("lcm")),
        OpInfo("heaviside", tp.heaviside, np.heaviside, _heaviside_samples,
               supports_autograd=False,
               torch_ref=torch_function("heaviside", OI.inplace("heaviside_")),
               errors=errors_of(ErrorInput(S("dtypes", (np.ones(2), np.array([1]))),
                                           RuntimeError, "different dtypes"))),
        _bessel("i0", tp.i0, _i0_ref, "i0", variants=(OI.method("i0"), OI.inplace("i0_"))),
        _bessel("i0e", TS.i0e, lambda x: np.exp(-np.abs(x)) * _i0_ref(x), "special.i0e",
                namespace="tensorplug.special"),
        _bessel("i1", TS.i1, _i1_ref, "special.i1", namespace="tensorplug.special"),
        _bessel("i1e", TS.i1e, lambda x: np.exp(-np.abs(x)) * _i1_ref(x),
                "special.i1e", namespace="tensorplug.special"),
        OpInfo("erfcx", TS.erfcx, _erfcx_ref, unary(-3.0, 10.0), dtypes=_F32_64,
               grad_dtypes=_F32_64, namespace="tensorplug.special",
               torch_ref=TorchRef("special.erfcx")),
        OpInfo("zeta", TS.zeta, _zeta_ref, _zeta_samples, dtypes=_F32_64, grad_dtypes=_F32_64,
               namespace="tensorplug.special", torch_ref=TorchRef("special.zeta")),
        OpInfo("igamma", tp.igamma, _gammainc_ref, _gamma_samples, dtypes=_F32_64,
               grad_dtypes=_F32_64, torch_ref=TorchRef("igamma", _method("igamma"))),
        OpInfo("igammac", tp.igammac, lambda a, x: 1.0 - _gammainc_ref(a, x), _gamma_samples,
               dtypes=_F32_64, grad_dtypes=_F32_64,
               torch_ref=TorchRef("igammac", _method("igammac"))),
        # Cephes' j0/j1 (PyTorch's, and tensorplug's: the same rational functions) are good
        # to about 1e-8 absolute beyond 3, short of the reference test's 1e-10: the power
        # series reference is held to them where they agree to 1e-12
        _special_fwd("bessel_j0", _j_ref(0), -2.5, 2.5),
        _special_fwd("bessel_j1", _j_ref(1), -2.5, 2.5),
        _special_fwd("spherical_bessel_j0", lambda x: np.sinc(x / np.pi)),
        _special_fwd("modified_bessel_i0", _i0_ref),
        _special_fwd("modified_bessel_i1", _i1_ref),
    ]  # fmt: skip
