"""More of ``torch.special`` (issue 16): ``erfcx``, ``zeta``, ``gammainc``/``gammaincc``
(with gradients where PyTorch has them), and the forward-only ``bessel_j0``, ``bessel_j1``,
``spherical_bessel_j0``, ``modified_bessel_i0``, ``modified_bessel_i1`` (PyTorch records no
gradient for these).

Forwards compose primitive kernels and the optional ``erfc``/``lgamma`` kernels: Cephes'
rational approximations for ``J0``/``J1`` and its Euler-Maclaurin sum for the Hurwitz zeta
(the algorithms PyTorch's kernels use), and for the incomplete gamma functions the power
series below ``x = a + 1`` and Lentz's continued fraction above, run to convergence.
"""

from __future__ import annotations

import math
from typing import Any

from . import _dtype as D
from ._contract import Array, KernelOps
from ._dispatch import binary, promote
from ._elementwise import require, tensor_arg
from ._graph import OUT, Node
from ._ops_bessel import i0 as _i0
from ._ops_bessel import i1 as _i1
from ._tensor import Tensor

_EPS = 1.11022302462515654042e-16
_SQRT_PI = math.sqrt(math.pi)
_ZETA_A = (12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9,
           7.47242496e10, -2.950130727918164224e12, 1.1646782814350067249e14,
           -4.5979787224074726105e15, 1.8152105401943546773e17,
           -7.1661652561756670113e18)  # fmt: skip


def _erfcx(k: Any, x: Array) -> Array:
    """``exp(x**2) erfc(x)``: directly below 8 (for negative x: ``2 exp(x**2) -
    erfcx(-x)``), its asymptotic series from 8 on (before float32's ``exp(x**2)``
    overflows; 15 terms there are within 2e-16)."""
    ax = k.abs(x)
    near = k.where(k.lt(ax, 8.0), ax, 0.0)
    direct = k.mul(k.exp(k.mul(near, near)), k.erfc(near))
    far = k.where(k.lt(ax, 8.0), 8.0, ax)
    w = k.div(1.0, k.mul(k.mul(far, far), 2.0))
    series: Any = 1.0
    term: Any = 1.0
    for n in range(1, 16):
        term = k.mul(term, k.mul(w, -(2 * n - 1)))
        series = k.add(series, term)
    asym = k.div(series, k.mul(far, _SQRT_PI))
    pos = k.where(k.lt(ax, 8.0), direct, asym)
    neg = k.sub(k.mul(k.exp(k.mul(x, x)), 2.0), pos)
    return k.where(k.lt(x, 0.0), neg, pos)


def _zeta(k: Any, x: Array, q: Array, n_direct: int) -> Array:
    """The Hurwitz zeta ``sum_k (q + k)**-x`` as Cephes sums it: ``n_direct`` terms, then
    the Euler-Maclaurin tail (elements already converged keep their sum)."""
    s = k.pow(q, k.neg(x))
    a = q
    b = s
    done = k.ne(x, x)  # all False
    for _ in range(n_direct):
        a = k.add(a, 1.0)
        b = k.pow(a, k.neg(x))
        s = k.where(done, s, k.add(s, b))
        done = k.where(done, True, k.lt(k.abs(b), k.mul(k.abs(s), _EPS)))
    w = a
    tail = k.sub(k.div(k.mul(b, w), k.sub(x, 1.0)), k.mul(b, 0.5))
    fac: Any = 1.0
    kk = 0.0
    for c in _ZETA_A:
        fac = k.mul(fac, k.add(x, kk))
        b = k.div(b, w)
        tail = k.add(tail, k.div(k.mul(fac, b), c))
        kk += 1.0
        fac = k.mul(fac, k.add(x, kk))
        b = k.div(b, w)
        kk += 1.0
    return k.where(done, s, k.add(s, tail))


def _n_direct(k: Any, q: Array) -> int:
    """Cephes adds terms while fewer than 9 or ``q + i <= 9``: enough for the smallest q."""
    if not hasattr(q, "shape"):  # a number
        lowest = float(q)
    elif not math.prod(q.shape):
        return 9
    else:
        lowest = -float(k.amax(k.neg(q), None, False))
    if not math.isfinite(lowest):
        return 9
    return max(9, math.ceil(9.0 - lowest) + 1)


def _zeta_domain(k: Any, x: Array, q: Array, value: Array) -> Array:
    pole = k.where(k.le(q, 0.0), k.eq(q, k.floor(q)), False)
    bad = k.where(k.le(q, 0.0), k.ne(x, k.floor(x)), False)
    out = k.where(bad, math.nan, k.where(pole, math.inf, value))
    return k.where(k.eq(x, 1.0), math.inf, k.where(k.lt(x, 1.0), math.nan, out))


def _gamma_p_q(k: Any, a: Array, x: Array) -> tuple[Array, Array]:
    """``(P(a, x), Q(a, x))``, the regularised incomplete gamma functions: where ``x < a + 1``
    the series ``P = x^a e^-x / Gamma(a+1) sum_n x^n / ((a+1)...(a+n))``, elsewhere Lentz's
    continued fraction for ``Q``; each run until every element's next term is below 1e-16."""
    series_side = k.lt(x, k.add(a, 1.0))
    xs = k.where(series_side, x, 0.0)
    safe_a = k.where(k.gt(a, 0.0), a, 1.0)
    log_front = k.sub(k.mul(safe_a, k.log(k.where(k.gt(x, 0.0), x, 1.0))), x)
    # the series
    term = k.div(1.0, safe_a)
    total = term
    ap = safe_a
    for i in range(2000):
        ap = k.add(ap, 1.0)
        term = k.mul(term, k.div(xs, ap))
        total = k.add(total, term)
        if i % 16 == 15 and not any_true(k, k.gt(k.abs(term), k.mul(k.abs(total), _EPS))):
            break
    p_series = k.mul(total, k.exp(k.sub(log_front, k.lgamma(safe_a))))
    # the continued fraction (modified Lentz)
    xc = k.where(series_side, k.add(safe_a, 2.0), x)
    tiny = 1e-300
    b = k.add(k.sub(xc, safe_a), 1.0)
    c = k.add(k.mul(b, 0.0), 1.0 / tiny)
    d = k.div(1.0, b)
    h = d
    for i in range(1, 2000):
        an = k.mul(-float(i), k.sub(float(i), safe_a))
        b = k.add(b, 2.0)
        d = k.add(k.mul(an, d), b)
        d = k.where(k.lt(k.abs(d), tiny), tiny, d)
        c = k.add(b, k.div(an, c))
        c = k.where(k.lt(k.abs(c), tiny), tiny, c)
        d = k.div(1.0, d)
        delta = k.mul(d, c)
        h = k.mul(h, delta)
        if i % 16 == 0 and not any_true(k, k.gt(k.abs(k.sub(delta, 1.0)), _EPS)):
            break
    q_frac = k.mul(h, k.exp(k.sub(k.sub(log_front, k.lgamma(safe_a)), 0.0)))
    p = k.where(series_side, p_series, k.sub(1.0, q_frac))
    q = k.where(series_side, k.sub(1.0, p_series), q_frac)
    return _gamma_domain(k, a, x, p, 1.0), _gamma_domain(k, a, x, q, 0.0)


def any_true(k: Any, mask: Array) -> bool:
    """Whether any element of ``mask`` holds, through the kernels every backend has (the
    infinity a 0-d array: a ``where`` of two numbers has no dtype under the standard)."""
    return bool(k.any_nonfinite(k.where(mask, k.full((), math.inf, D.float32), 0.0)))


def _gamma_domain(k: Any, a: Array, x: Array, value: Array, at_inf: float) -> Array:
    """SciPy's boundary values (as PyTorch): NaN for negative arguments; ``a = 0``: 1 (P)
    for ``x > 0``; ``x = 0``: 0 (P); ``a = inf``: 0 (P) unless ``x = inf``; ``x = inf``: 1 (P)."""
    one, zero = (1.0, 0.0) if at_inf == 1.0 else (0.0, 1.0)  # P's 1 and 0, or Q's
    nan = k.full((), math.nan, k.dtype_of(value))  # an array: ``where`` of two numbers has
    out = k.where(k.eq(x, math.inf), one, value)  # no dtype under the standard
    out = k.where(k.eq(a, math.inf), k.where(k.eq(x, math.inf), nan, zero), out)
    out = k.where(k.eq(x, 0.0), zero, out)
    out = k.where(k.eq(a, 0.0), k.where(k.gt(x, 0.0), one, nan), out)
    out = k.where(k.where(k.lt(x, 0.0), True, k.lt(a, 0.0)), math.nan, out)
    return k.astype(out, k.dtype_of(value))


def _lgamma_const(ops: KernelOps, a: Any) -> Any:
    """``lgamma(a)`` as a constant of the gradient in ``x`` (PyTorch has none in ``a``):
    computed by the backend's kernel on the raw array also when ``ops`` records."""
    if isinstance(a, Tensor):
        return Tensor._make(a._backend.k.lgamma(a._data), a._backend)  # type: ignore[attr-defined]
    return ops.lgamma(a)  # type: ignore[attr-defined]


# fmt: off
class SpecialErfcxBackward0(Node):
    """``exp(x**2) erfc(x)``: grad = g * (2 x out - 2 / sqrt(pi))."""
    elementwise, float_only = True, True
    op, save, needs = "special_erfcx", (0, OUT), ("erfc",)
    forward = staticmethod(_erfcx)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array, out: Array) -> tuple[Array]:
        return (ops.mul(g, ops.sub(ops.mul(ops.mul(x, out), 2.0), 2.0 / _SQRT_PI)),)


class SpecialZetaBackward0(Node):
    """``zeta(x, q) = sum_k (q + k)**-x``: grad q = -g x zeta(x + 1, q); none for x (as
    PyTorch, which raises for it)."""
    elementwise = True
    op, broadcasts, float_only, save = "special_zeta", True, True, (0, 1)

    @staticmethod
    def forward(k: Any, x: Array, q: Array) -> Array:
        if isinstance(q, (int, float)):  # a number operand: a 0-d array of the other's dtype
            q = k.full((), float(q), k.dtype_of(x))  # (the standard adds no two numbers)
        elif isinstance(x, (int, float)):
            x = k.full((), float(x), k.dtype_of(q))
        return k.astype(_zeta_domain(k, x, q, _zeta(k, x, q, _n_direct(k, q))), k.dtype_of(x))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array, q: Array) -> tuple[Array, Array]:
        if ctx.needs_input_grad[0]:
            raise NotImplementedError("the derivative for 'zeta' is not implemented.")
        k = q._backend.k if isinstance(q, Tensor) else ops
        n = _n_direct(k, q._data if isinstance(q, Tensor) else q)
        dz = _zeta(ops, ops.add(x, 1.0), q, n)
        return None, ops.sum_to(ops.neg(ops.mul(ops.mul(g, x), dz)), ctx.shapes[1])


class SpecialZetaBackward1(SpecialZetaBackward0):
    """``zeta(s, q)`` for a number ``s``: grad q = -g s zeta(s + 1, q)."""


class SpecialZetaBackward2(SpecialZetaBackward0):
    """``zeta(x, s)`` for a number ``s``: x has no gradient (PyTorch raises)."""


class IgammaBackward0(Node):
    """``P(a, x)``, the regularised lower incomplete gamma function: grad x = g x**(a-1)
    e**-x / Gamma(a); none for a (as PyTorch, which raises for it)."""
    elementwise = True
    op, broadcasts, float_only, save = "igamma", True, True, (0, 1)
    needs, sign = ("lgamma",), 1.0

    @staticmethod
    def forward(k: Any, a: Array, x: Array) -> Array:
        return _gamma_p_q(k, a, x)[0]

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, a: Array, x: Array) -> tuple[Array, Array]:
        if ctx.needs_input_grad[0]:
            raise NotImplementedError(
                f"the derivative for '{ctx.op}: input' is not implemented.")
        log_d = ops.sub(ops.sub(ops.mul(ops.sub(a, 1.0), ops.log(x)), x), _lgamma_const(ops, a))
        d = ops.mul(ops.exp(log_d), type(ctx).sign)  # type: ignore[attr-defined]
        return None, ops.sum_to(ops.mul(g, d), ctx.shapes[1])


class IgammacBackward0(IgammaBackward0):
    """``Q(a, x) = 1 - P(a, x)``: grad x = -g x**(a-1) e**-x / Gamma(a)."""
    op, sign = "igammac", -1.0

    @staticmethod
    def forward(k: Any, a: Array, x: Array) -> Array:
        return _gamma_p_q(k, a, x)[1]
# fmt: on


def erfcx(input: Tensor) -> Tensor:
    """The scaled complementary error function ``exp(x**2) * erfc(x)``.

    >>> import tensorplug as tp
    >>> round(tp.special.erfcx(tp.tensor([1.0], dtype=tp.float64)).item(), 6)
    0.427584
    """
    x = tensor_arg(SpecialErfcxBackward0, input)
    require(SpecialErfcxBackward0, x)
    from ._dispatch import unary

    return unary(SpecialErfcxBackward0, x)


def _two(cls: type[Node], op: str, a: Any, b: Any, number_first: Any, number_second: Any
         ) -> Tensor:  # fmt: skip
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(f"{op}(): expected a Tensor argument")
    for t in (a, b):
        if isinstance(t, Tensor) and t.dtype is D.bool_:
            raise RuntimeError(f"\"{op}\" not implemented for 'Bool'")
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        return binary(cls, a, b)
    if isinstance(a, Tensor):
        return binary(number_second, a, float(b))
    return binary(number_first, float(a), b)


def zeta(input: Any, other: Any) -> Tensor:
    """The Hurwitz zeta function ``sum_k (other + k) ** -input``.

    >>> import tensorplug as tp
    >>> round(tp.special.zeta(tp.tensor([2.0], dtype=tp.float64), 1.0).item(), 6)
    1.644934
    """
    return _two(SpecialZetaBackward0, "zeta", input, other, SpecialZetaBackward1,
                SpecialZetaBackward2)  # fmt: skip


def _gamma(cls: type[Node], op: str, input: Any, other: Any) -> Tensor:
    a = tensor_arg(cls, input)
    if not isinstance(other, Tensor):
        raise TypeError(f"{op}(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")  # fmt: skip
    require(cls, a)
    promote(cls, a, other)  # the dtype checks
    return binary(cls, a, other)


def gammainc(input: Tensor, other: Tensor) -> Tensor:
    """The regularised lower incomplete gamma function ``P(input, other)``.

    >>> import tensorplug as tp
    >>> one = tp.tensor([1.0], dtype=tp.float64)
    >>> round(tp.special.gammainc(one, one).item(), 6)
    0.632121
    """
    return _gamma(IgammaBackward0, "gammainc", input, other)


def gammaincc(input: Tensor, other: Tensor) -> Tensor:
    """The regularised upper incomplete gamma function ``Q(input, other) = 1 - P``."""
    return _gamma(IgammacBackward0, "gammaincc", input, other)


_J0_PP = (7.96936729297347051624e-04, 8.28352392107440799803e-02, 1.23953371646414299388e+00,
          5.44725003058768775090e+00, 8.74716500199817011941e+00, 5.30324038235394892183e+00,
          9.99999999999999997821e-01)  # fmt: skip
_J0_PQ = (9.24408810558863637013e-04, 8.56288474354474431428e-02, 1.25352743901058953537e+00,
          5.47097740330417105182e+00, 8.76190883237069594232e+00, 5.30605288235394617618e+00,
          1.00000000000000000218e+00)  # fmt: skip
_J0_QP = (-1.13663838898469149931e-02, -1.28252718670509318512e+00, -1.95539544257735972385e+01,
          -9.32060152123768231369e+01, -1.77681167980488050595e+02, -1.47077505154951170175e+02,
          -5.14105326766599330220e+01, -6.05014350600728481186e+00)  # fmt: skip
_J0_QQ = (6.43178256118178023184e+01, 8.56430025976980587198e+02, 3.88240183605401609683e+03,
          7.24046774195652478189e+03, 5.93072701187316984827e+03, 2.06209331660327847417e+03,
          2.42005740240291393179e+02)  # fmt: skip
_J0_RP = (-4.79443220978201773821e+09, 1.95617491946556577543e+12, -2.49248344360967716204e+14,
          9.70862251047306323952e+15)  # fmt: skip
_J0_RQ = (4.99563147152651017219e+02, 1.73785401676374683123e+05, 4.84409658339962045305e+07,
          1.11855537045356834862e+10, 2.11277520115489217587e+12, 3.10518229857422583814e+14,
          3.18121955943204943306e+16, 1.71086294081043136091e+18)  # fmt: skip
_J1_PP = (7.62125616208173112003e-04, 7.31397056940917570436e-02, 1.12719608129684925192e+00,
          5.11207951146807644818e+00, 8.42404590141772420927e+00, 5.21451598682361504063e+00,
          1.00000000000000000254e+00)  # fmt: skip
_J1_PQ = (5.71323128072548699714e-04, 6.88455908754495404082e-02, 1.10514232634061696926e+00,
          5.07386386128601488557e+00, 8.39985554327604159757e+00, 5.20982848682361821619e+00,
          9.99999999999999997461e-01)  # fmt: skip
_J1_QP = (5.10862594750176621635e-02, 4.98213872951233449420e+00, 7.58238284132545283818e+01,
          3.66779609360150777800e+02, 7.10856304998926107277e+02, 5.97489612400613639965e+02,
          2.11688757100572135698e+02, 2.52070205858023719784e+01)  # fmt: skip
_J1_QQ = (7.42373277035675149943e+01, 1.05644886038262816351e+03, 4.98641058337653607651e+03,
          9.56231892404756170795e+03, 7.99704160447350683650e+03, 2.82619278517639096600e+03,
          3.36093607810698293419e+02)  # fmt: skip
_J1_RP = (-8.99971225705559398224e+08, 4.52228297998194034323e+11, -7.27494245221818276015e+13,
          3.68295732863852883286e+15)  # fmt: skip
_J1_RQ = (6.20836478118054335476e+02, 2.56987256757748830383e+05, 8.35146791431949253037e+07,
          2.21511595479792499675e+10, 4.74914122079991414898e+12, 7.84369607876235854894e+14,
          8.95222336184627338078e+16, 5.32278620332680085395e+18)  # fmt: skip


def _poly(k: Any, z: Array, coeffs: tuple[float, ...]) -> Array:
    out: Any = 0.0
    for c in coeffs:
        out = k.add(k.mul(out, z), c)
    return out


def _j(k: Any, x: Array, order: int) -> Array:
    """Cephes' ``j0``/``j1``: a rational function of x**2 up to 5, the Hankel asymptotic form
    (two rational functions of 25 / x**2) beyond."""
    pp, pq, qp, qq, rp, rq = ((_J0_PP, _J0_PQ, _J0_QP, _J0_QQ, _J0_RP, _J0_RQ) if order == 0
                              else (_J1_PP, _J1_PQ, _J1_QP, _J1_QQ, _J1_RP, _J1_RQ))  # fmt: skip
    ax = k.abs(x)
    small = k.le(ax, 5.0)
    xs = k.where(small, ax, 0.0)
    z = k.mul(xs, xs)
    if order == 0:
        roots = k.mul(k.sub(z, 5.78318596294678452118e00), k.sub(z, 3.04712623436620863991e01))
        near = k.mul(roots, k.div(_poly(k, z, rp), _poly(k, z, rq)))
    else:
        near = k.mul(k.mul(k.mul(k.div(_poly(k, z, rp), _poly(k, z, rq)), xs),
                           k.sub(z, 1.46819706421238932572e01)),
                     k.sub(z, 4.92184563216946036703e01))  # fmt: skip
    xf = k.where(small, 5.0, ax)
    w = k.div(25.0, k.mul(xf, xf))
    shift = 0.785398163397448309615660845819875721 * (1 + 2 * order)
    p = k.div(_poly(k, w, pp), _poly(k, w, pq))
    q = k.div(_poly(k, w, qp), _poly(k, w, qq))
    phase = k.sub(xf, shift)
    far = k.sub(k.mul(p, k.cos(phase)), k.mul(k.mul(k.div(5.0, xf), q), k.sin(phase)))
    far = k.div(k.mul(far, 0.797884560802865355879892119868763737), k.sqrt(xf))
    out = k.where(small, near, far)
    if order == 1:
        out = k.where(k.lt(x, 0.0), k.neg(out), out)
    return out


def _forward_only(input: Any, op: str, fn: Any) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    x = input if input.dtype.is_floating_point else input.to(D.get_default_dtype())
    return Tensor._make(fn(x._backend.k, x._data), x._backend)


def bessel_j0(input: Tensor) -> Tensor:
    """The Bessel function of the first kind of order 0 (no gradient, as PyTorch)."""
    return _forward_only(input, "bessel_j0", lambda k, x: _j(k, x, 0))


def bessel_j1(input: Tensor) -> Tensor:
    """The Bessel function of the first kind of order 1 (no gradient, as PyTorch)."""
    return _forward_only(input, "bessel_j1", lambda k, x: _j(k, x, 1))


def _sph_j0(k: Any, x: Array) -> Array:
    small = k.lt(k.abs(x), 0.5)
    xs = k.where(small, 1.0, x)
    z = k.mul(x, x)
    series = k.add(
        1.0,
        k.mul(
            z,
            k.add(
                -1.0 / 6,
                k.mul(
                    z,
                    k.add(
                        1.0 / 120,
                        k.mul(
                            z,
                            k.add(
                                -1.0 / 5040,
                                k.mul(z, k.add(1.0 / 362880, k.mul(z, -1.0 / 39916800))),
                            ),
                        ),
                    ),
                ),
            ),
        ),
    )
    out = k.div(k.sin(xs), xs)
    return k.where(small, series, k.where(k.eq(k.abs(x), math.inf), 0.0, out))


def spherical_bessel_j0(input: Tensor) -> Tensor:
    """``sin(x) / x`` (1 at 0; no gradient, as PyTorch)."""
    return _forward_only(input, "spherical_bessel_j0", _sph_j0)


def modified_bessel_i0(input: Tensor) -> Tensor:
    """``I0`` as ``torch.special.modified_bessel_i0`` (no gradient, as PyTorch)."""
    return _forward_only(input, "modified_bessel_i0", _i0)


def modified_bessel_i1(input: Tensor) -> Tensor:
    """``I1`` as ``torch.special.modified_bessel_i1`` (no gradient, as PyTorch)."""
    return _forward_only(input, "modified_bessel_i1", _i1)
