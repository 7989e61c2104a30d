"""Special functions (``erf``, ``erfc``, ``erfinv``, ``lgamma``, ``digamma``, ``trigamma``)
written once against an Array-API namespace ``xp``: the Array API has none of them, and
SciPy is not a dependency of tensorplug.

Each is a fixed sequence of elementwise array operations (no Python loop over elements), so a
call costs a few dozen kernel launches whatever the size; accurate to a few units in the last
place of float64 (the op database compares them with PyTorch's at ``rtol=1e-10``). A backend
whose library has its own (CuPy's ``cupyx.scipy.special``, SciPy's ufuncs for NumPy where
SciPy is installed) overrides these kernels with one call each.

Sources of the approximations: erf/erfc are Cephes' rational approximations (S. L. Moshier,
``ndtr.c``, public domain) on ``|x| < 1``, ``[1, 8)`` and ``[8, inf)``; erfinv is Winitzki's
closed-form guess refined by three Halley steps on erf (or erfc, near ±1); lgamma is Lanczos'
series (g = 7, 9 terms) with the reflection formula below 0.5; digamma and trigamma shift the
argument past 10 by their recurrences, then sum their asymptotic (Bernoulli) series.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

Array = Any

_T = (9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3,
      7.00332514112805075473e3, 5.55923013010394962768e4)  # fmt: skip
_U = (1.0, 3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3,
      2.26290000613890934246e4, 4.92673942608635921086e4)  # fmt: skip
_P = (2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0,
      4.86371970985681366614e1, 1.96520832956077098242e2, 5.26445194995477358631e2,
      9.34528527171957607540e2, 1.02755188689515710272e3, 5.57535335369399327526e2)  # fmt: skip
_Q = (1.0, 1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2,
      9.75708501743205489753e2, 1.82390916687909736289e3, 2.24633760818710981792e3,
      1.65666309194161350182e3, 5.57535340817727675546e2)  # fmt: skip
_R = (5.64189583547755073984e-1, 1.27536670759978104416e0, 5.01905042251180477414e0,
      6.16021097993053585195e0, 7.40974269950448939160e0, 2.97886665372100240670e0)  # fmt: skip
_S = (1.0, 2.26052863220117276590e0, 9.39603524938001434673e0, 1.20489539808096656605e1,
      1.70814450747565897222e1, 9.60896809063285878198e0, 3.36907645100081516050e0)  # fmt: skip
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012,
            9.9843695780195716e-6, 1.5056327351493116e-7)  # fmt: skip
_DIGAMMA = (1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12)
"""psi(x) ~ log x - 1/(2x) - sum c_k / x^(2k): the Bernoulli numbers B_2k / (2k)."""
_TRIGAMMA = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)
"""psi'(x) ~ 1/x + 1/(2x^2) + sum c_k / x^(2k+1): the Bernoulli numbers B_2k."""
_SHIFT = 10.0
"""digamma and trigamma shift the argument up to here, where 7 series terms are exact."""


def _poly(x: Array, coefs: Sequence[float]) -> Array:
    """Horner's rule, highest power first."""
    y = x * 0.0 + coefs[0]
    for c in coefs[1:]:
        y = y * x + c
    return y


def _where(xp: Any, c: Array, a: Array | float, b: Array | float) -> Array:
    like = a if not isinstance(a, (int, float)) else b
    if isinstance(a, (int, float)):
        a = xp.full_like(like, a)
    if isinstance(b, (int, float)):
        b = xp.full_like(like, b)
    return xp.where(c, a, b)


def _erfc_pos(xp: Any, ax: Array) -> Array:
    """erfc of ``ax >= 1`` (any value below is ignored by the caller); past 30 it is 0,
    and the polynomials are kept finite there (inf / inf would be NaN)."""
    ax = xp.minimum(ax, 30.0)
    big = ax >= 8.0
    p = _where(xp, big, _poly(ax, _R), _poly(ax, _P))
    q = _where(xp, big, _poly(ax, _S), _poly(ax, _Q))
    return xp.exp(-ax * ax) * p / q


def _erf(xp: Any, x: Array) -> Array:
    ax = xp.abs(x)
    z = x * x
    small = x * _poly(z, _T) / _poly(z, _U)
    tail = 1.0 - _erfc_pos(xp, xp.maximum(ax, 1.0))
    out = _where(xp, ax < 1.0, small, _where(xp, x < 0, -tail, tail))
    return _where(xp, xp.isnan(x), x, out)


def _erfc(xp: Any, x: Array) -> Array:
    ax = xp.abs(x)
    z = x * x
    small = 1.0 - x * _poly(z, _T) / _poly(z, _U)
    tail = _erfc_pos(xp, xp.maximum(ax, 1.0))
    out = _where(xp, ax < 1.0, small, _where(xp, x < 0, 2.0 - tail, tail))
    return _where(xp, xp.isnan(x), x, out)


def _erfinv(xp: Any, y: Array) -> Array:
    ay = xp.abs(y)
    inside = ay < 1.0
    a = xp.where(inside, ay, xp.zeros_like(ay))
    # Winitzki's guess (relative error about 2e-3), then three Halley steps.
    ln = xp.log1p(-a * a)
    h = 2.0 / (math.pi * 0.147) + ln / 2.0
    x = xp.sqrt(xp.sqrt(h * h - ln / 0.147) - h)
    tail = a >= 0.5  # near 1, solve _erfc(xp, x) = 1 - a: 1 - a is exact there
    for _ in range(3):
        f = _where(xp, tail, (1.0 - a) - _erfc(xp, x), _erf(xp, x) - a)
        step = f / (2.0 / math.sqrt(math.pi) * xp.exp(-x * x))
        x = x - step / (1.0 + x * step)
    edge = xp.where(ay == 1.0, xp.full_like(ay, math.inf), xp.full_like(ay, math.nan))
    x = _where(xp, inside, x, edge)
    x = _where(xp, xp.isnan(y), y, x)
    return _where(xp, y < 0, -x, x)


def _lgamma(xp: Any, x: Array) -> Array:
    reflect = x < 0.5
    z = _where(xp, reflect, 1.0 - x, x) - 1.0
    s = z * 0.0 + _LANCZOS[0]
    for i, c in enumerate(_LANCZOS[1:], 1):
        s = s + c / (z + i)
    t = z + 7.5
    pos = 0.5 * math.log(2 * math.pi) + (z + 0.5) * xp.log(t) - t + xp.log(s)
    # lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x); sin(pi x) from x's fraction,
    # so that a large negative x keeps its accuracy and an integer gives exactly 0.
    frac = x - xp.round(x)
    neg = math.log(math.pi) - xp.log(xp.abs(xp.sin(math.pi * frac))) - pos
    out = _where(xp, reflect, neg, pos)
    return _where(xp, xp.isinf(x), math.inf, out)


def _shifted(xp: Any, x: Array, term: Callable[[Array], Array]) -> tuple[Array, Array]:
    """``x`` raised by whole steps to at least ``_SHIFT``, and the sum of ``term`` over
    the values it passed."""
    acc = x * 0.0
    for _ in range(int(_SHIFT)):
        low = x < _SHIFT
        acc = acc + _where(xp, low, term(x), 0.0)
        x = _where(xp, low, x + 1.0, x)
    return x, acc


def _digamma(xp: Any, x: Array) -> Array:
    reflect = x < 0.5
    z = _where(xp, reflect, 1.0 - x, x)
    z, acc = _shifted(xp, z, lambda v: 1.0 / v)
    w = 1.0 / (z * z)
    psi = xp.log(z) - 0.5 / z - w * _poly(w, _DIGAMMA[::-1]) - acc
    frac = x - xp.round(x)
    psi = _where(xp, reflect, psi - math.pi / xp.tan(math.pi * frac), psi)
    pole = (x == xp.round(x)) & (x <= 0)
    zero = _where(xp, xp.signbit(x), math.inf, x * 0.0 - math.inf)  # digamma(-0.0) is +inf
    psi = _where(xp, pole, _where(xp, x == 0, zero, math.nan), psi)
    return _where(xp, x == math.inf, math.inf, psi)


def _trigamma(xp: Any, x: Array) -> Array:
    reflect = x < 0.5
    z = _where(xp, reflect, 1.0 - x, x)
    z, acc = _shifted(xp, z, lambda v: 1.0 / (v * v))
    w = 1.0 / (z * z)
    psi1 = 1.0 / z + 0.5 * w + w / z * _poly(w, _TRIGAMMA[::-1]) + acc
    s = xp.sin(math.pi * (x - xp.round(x)))
    psi1 = _where(xp, reflect, math.pi * math.pi / (s * s) - psi1, psi1)
    pole = (x == xp.round(x)) & (x <= 0)
    return _where(xp, pole, math.inf, _where(xp, x == math.inf, 0.0, psi1))


_B2K = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510,
        43867 / 798, -174611 / 330)  # fmt: skip
"""The Bernoulli numbers B_2k, k = 1..10, of polygamma's asymptotic series."""


def _polygamma(xp: Any, n: int, x: Array) -> Array:
    """``psi^(n)(x) = (-1)^(n+1) n! sum_k 1/(x+k)^(n+1)``: the sum's terms below the shift
    point, then its asymptotic series ``(n-1)!/z^n + n!/(2z^(n+1)) + sum B_2k (2k+n-1)! /
    ((2k)! z^(2k+n))``. A negative ``x`` takes about ``|x|`` steps to reach the shift point.
    Poles, infinities and NaN as PyTorch (``n! zeta(n+1, x)``): ``+inf`` gives NaN."""
    if n == 0:
        return _digamma(xp, x)
    if n == 1:
        return _trigamma(xp, x)
    shift, sign = max(_SHIFT, 2.0 * n + 10.0), (1.0 if n % 2 else -1.0)
    z = _where(xp, xp.isfinite(x), x, shift)
    lo = float(xp.min(z)) if math.prod(z.shape) else shift
    acc = z * 0.0
    for _ in range(max(0, math.ceil(shift - lo))):
        low = z < shift
        acc = acc + _where(xp, low, z ** -(n + 1.0), 0.0)
        z = _where(xp, low, z + 1.0, z)
    w = 1.0 / z
    tail = math.factorial(n - 1) * w**n + math.factorial(n) / 2 * w ** (n + 1)
    for k, b in enumerate(_B2K, 1):
        tail = tail + b * math.factorial(2 * k + n - 1) / math.factorial(2 * k) * w ** (2 * k + n)
    out = sign * (math.factorial(n) * acc + tail)
    pole = ((x == xp.round(x)) & (x <= 0)) | (x == -math.inf)
    out = _where(xp, pole, sign * math.inf, out)
    return _where(xp, (x == math.inf) | xp.isnan(x), math.nan, out)


def special_kernels(xp: Any) -> dict[str, Callable[..., Array]]:
    """The special-function kernels on ``xp``'s floating arrays, each computed in float64 and
    returned in its input's dtype (float16's range could not hold the coefficients, and
    float32 would lose the Halley steps' accuracy)."""

    def in_float64(f: Callable[..., Array]) -> Callable[[Array], Array]:
        def kernel(x: Array) -> Array:
            if x.dtype == xp.float64:
                return f(xp, x)
            return xp.astype(f(xp, xp.astype(x, xp.float64)), x.dtype)

        kernel.__name__ = f.__name__.lstrip("_")
        return kernel

    def polygamma(n: int, x: Array) -> Array:
        if x.dtype == xp.float64:
            return _polygamma(xp, n, x)
        return xp.astype(_polygamma(xp, n, xp.astype(x, xp.float64)), x.dtype)

    return {
        "polygamma": polygamma,
        **{
            name: in_float64(f)
            for name, f in [
            ("erf", _erf), ("erfc", _erfc), ("erfinv", _erfinv), ("lgamma", _lgamma),
            ("digamma", _digamma), ("trigamma", _trigamma),
            ]
        },
    }  # fmt: skip
