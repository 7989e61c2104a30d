"""The measurements behind the code's shape: each case times the way a kernel or an op is
written against the way it is not, so a comment can say why without a number that rots.
docs/performance.md ("Why the code is shaped this way") lists the results and where each
choice is made; rerun this after upgrading NumPy or Python, or on another machine.

Run: python benchmarks/measured_choices.py [--cpu-time] [--only ID ...]

Every time is the best of seven repeats, per call, in µs; ``B / A`` is the second way's
time over the first's. The first way is the one the code takes; where the code switches
between the two at some size (``_clamp``, ``_relu``, ``_where_zero_owned``), the rows span
that size, and below or above it the code takes the other way.
"""

from __future__ import annotations

import math
import time
import timeit
from collections.abc import Callable, Iterator
from typing import Any

import _harness as H
from _harness import np, tp

F32 = np.float32
Case = tuple[str, Callable[[], Any], str, Callable[[], Any]]
"""(way A, its call, way B, its call)."""


def _best(fn: Callable[[], Any], timer: Callable[[], float]) -> float:
    """Seconds per call: the best of seven repeats of about 20 ms each."""
    n, t = 1, 0.0
    while True:
        t = timeit.timeit(fn, number=n, timer=timer)
        if t > 0.02:
            break
        n *= 4 if t < 0.002 else 2
    return min(timeit.repeat(fn, number=n, repeat=7, timer=timer)) / n


def small(shape: tuple[int, ...] = (2, 2)) -> Any:
    return np.full(shape, 0.5, F32)


def _zero_d(value: float) -> Any:
    z = np.array(value, F32)
    z.flags.writeable = False
    return z


# -- the NumPy backend (backends/tensorplug_numpy/_backend.py) ------------------------------


def weak_scalar() -> Iterator[Case]:
    """``_as_0d``: a Python number beside a float array, as a cached 0-d array."""
    a, z = small(), _zero_d(2.5)
    yield (
        "np.multiply(a, 0-d)",
        lambda: np.multiply(a, z),
        "np.multiply(a, 2.5)",
        lambda: np.multiply(a, 2.5),
    )
    c = a > 0.2
    yield (
        "np.where(c, a, 0-d)",
        lambda: np.where(c, a, z),
        "np.where(c, a, 2.5)",
        lambda: np.where(c, a, 2.5),
    )


def fixed_arity() -> Iterator[Case]:
    """``_array``: each ufunc kernel takes a fixed number of arguments, not ``*args``."""
    nd, f, a, b = np.ndarray, np.multiply, small(), small()

    def fixed(x: Any, y: Any) -> Any:
        r = f(x, y)
        return r if r.__class__ is nd else np.asarray(r)

    def starred(*args: Any) -> Any:
        r = f(*args)
        return r if r.__class__ is nd else np.asarray(r)

    yield "kernel(a, b)", lambda: fixed(a, b), "kernel(*args)", lambda: starred(a, b)
    yield "bare np.multiply (for scale)", lambda: f(a, b), "kernel(a, b)", lambda: fixed(a, b)


def branch_free_where() -> Iterator[Case]:
    """``_where``: ``where(mask, g, 0)`` as ``g``'s integer view times the mask."""
    rng = np.random.default_rng(0)
    for n in (64, 256, 3200, 1 << 20):
        x = rng.standard_normal(n).astype(F32)
        m = rng.random(n) > 0.5
        yield (
            f"view * mask, {n} el.",
            lambda x=x, m=m: np.multiply(x.view(np.uint32), m).view(F32),
            "np.where(mask, g, 0)",
            lambda x=x, m=m: np.where(m, x, 0),
        )


def where_zero_owned_small() -> Iterator[Case]:
    """``_where_zero_owned``: under 256 elements a new ``np.where`` array; from there the
    gradient's integer view multiplied by the mask in place (its checks included)."""
    rng = np.random.default_rng(0)
    z = _zero_d(0.0)

    def in_place(m: Any, x: Any) -> Any:
        if x.base is None and x.flags.writeable and m.shape == x.shape:
            xi = x.view(np.uint32)
            np.multiply(xi, m, xi)
        return x

    for n in (4, 128, 256, 1024, 3200):
        x = rng.standard_normal(n).astype(F32)
        m = rng.random(n) > 0.5
        yield (
            f"np.where(mask, g, 0-d), {n} el.",
            lambda x=x, m=m: np.where(m, x, z),
            "view * mask in place",
            lambda x=x, m=m: in_place(m, x),
        )


def blas_dot() -> Iterator[Case]:
    """``_matmul``: ``ndarray.dot`` for two float matrices; an outer product multiplied."""
    a, b = small((100, 3)), small((3, 32))
    yield "a.dot(b) 100x3 @ 3x32", lambda: a.dot(b), "np.matmul(a, b)", lambda: np.matmul(a, b)
    u, v = small((1024, 1)), small((1, 1024))
    yield "np.multiply outer 1024", lambda: np.multiply(u, v), "u.dot(v)", lambda: u.dot(v)
    yield (
        "np.multiply outer 1024",
        lambda: np.multiply(u, v),
        "np.matmul(u, v)",
        lambda: np.matmul(u, v),
    )


def clamp_two_passes() -> Iterator[Case]:
    """``_clamp``: ``maximum`` then ``minimum`` below 1 024 elements, ``np.clip`` above."""
    lo, hi = _zero_d(-0.25), _zero_d(0.25)
    for n in (4, 256, 1024, 4096, 1 << 16):
        x = np.linspace(-1, 1, n, dtype=F32)
        yield (
            f"maximum+minimum, {n} el.",
            lambda x=x: np.minimum(np.maximum(x, lo), hi),
            "np.clip",
            lambda x=x: np.clip(x, -0.25, 0.25),
        )


def relu_two_arrays() -> Iterator[Case]:
    """``_relu``: from 1 024 elements, ``maximum`` against fresh zeros used as its output."""
    z0 = _zero_d(0.0)
    for n in (256, 1024, 3200, 1 << 20):
        x = np.linspace(-1, 1, n, dtype=F32)

        def fresh(x: Any = x) -> Any:
            z = np.zeros(x.shape, x.dtype)
            return np.maximum(x, z, out=z)

        yield (
            f"zeros as operand+out, {n} el.",
            fresh,
            "maximum(x, 0-d)",
            lambda x=x: np.maximum(x, z0),
        )


def sigmoid_one_kernel() -> Iterator[Case]:
    """``_sigmoid``: four bare ufunc calls in one kernel, not four kernels."""
    k, x, one = tp.get_backend("numpy").kernels, small(), _zero_d(1.0)
    neg, exp, add, div = k["neg"], k["exp"], k["add"], k["div"]
    yield (
        "one kernel (4 ufuncs)",
        lambda: np.true_divide(one, np.add(np.exp(np.negative(x)), one)),
        "four kernels",
        lambda: div(1, add(exp(neg(x)), 1)),
    )


def square() -> Iterator[Case]:
    """``_pow``: ``x ** 2`` on floats as ``np.square``."""
    a = small()
    yield "np.square(a)", lambda: np.square(a), "np.power(a, 2)", lambda: np.power(a, 2)


def sum_to_blas() -> Iterator[Case]:
    """``_sum_to``: leading axes summed as a product with a row of ones."""
    for rows, cols in ((100, 32), (4096, 1024), (4096, 10), (64, 4096)):
        x, ones = small((rows, cols)), np.ones((1, rows), F32)
        yield (
            f"ones.dot(x), {rows}x{cols}",
            lambda x=x, ones=ones: ones.dot(x),
            "np.add.reduce(axis=0)",
            lambda x=x: np.add.reduce(x, axis=0, keepdims=True),
        )


def broadcast_one() -> Iterator[Case]:
    """``_broadcast_to``: a one-element array's read-only zero-stride view from the ``ndarray``
    constructor, not from ``np.broadcast_to`` (both views: ``expand()`` must alias)."""
    a = small((1, 1))
    for shape in ((2, 2), (100, 32)):

        def constructed(shape: tuple[int, ...] = shape) -> Any:
            r = np.ndarray(shape, a.dtype, a, 0, (0,) * len(shape))
            r.flags.writeable = False
            return r

        yield (
            f"ndarray(buffer=a), {shape}",
            constructed,
            "np.broadcast_to",
            lambda shape=shape: np.broadcast_to(a, shape),
        )


def out_by_position() -> Iterator[Case]:
    """In-place kernels: ``out`` passed by position, not as a keyword."""
    d, s = small(), small()
    yield (
        "np.add(d, s, d)",
        lambda: np.add(d, s, d),
        "np.add(d, s, out=d)",
        lambda: np.add(d, s, out=d),
    )


def assign() -> Iterator[Case]:
    """``_assign``: indexed assignment rather than ``np.copyto(casting="unsafe")``."""
    d, s = small(), np.full((2, 2), 0.25)

    def indexed() -> None:
        d[...] = s

    yield "d[...] = s", indexed, "np.copyto(unsafe)", lambda: np.copyto(d, s, casting="unsafe")


def errstate_once() -> Iterator[Case]:
    """``make_backend``: floating-point warnings off once, not an ``np.errstate`` per call."""
    a, b = small(), small()

    def guarded() -> Any:
        with np.errstate(all="ignore"):
            return np.add(a, b)

    yield "np.add(a, b)", lambda: np.add(a, b), "np.errstate + np.add", guarded


# -- the core ---------------------------------------------------------------------------------


def pow_shortcut() -> Iterator[Case]:
    """``Tensor.__pow__`` (``_methods._pow``): ``x ** n`` for an int ``n`` straight to
    ``unary``, past ``pow``'s checks of its arguments' kinds."""
    x = tp.full((2, 2), 0.5, requires_grad=True)
    y = x * 1.0
    yield "y ** 2", lambda: y**2, "tp.pow(y, 2)", lambda: tp.pow(y, 2)


def whole_float_reduction() -> Iterator[Case]:
    """``_ops_reduce._whole_float``: ``sum()``/``mean()`` of a whole float tensor go straight
    to ``unary``; the other path normalises ``dim`` and checks the dtype first."""
    from tensorplug import _ops_reduce as R

    x = tp.full((2, 2), 0.5, requires_grad=True)
    y = x * 1.0

    def general() -> Any:  # ``mean``'s path without the shortcut, step by step
        if not y.dtype.is_floating_point:
            raise AssertionError
        return R._reduce(R.MeanBackward0, R.MeanBackward1, y, None, False)

    yield "y.mean()", lambda: y.mean(), "the general path", general


def loop_not_generator() -> Iterator[Case]:
    """``_ops_pointwise._bounds_dtype`` and ``_ops_reduce._count``: small loops rather than
    generator expressions, beside the op they serve."""
    bounds = (-1, 1)

    def loop() -> bool:
        for b in bounds:  # noqa: SIM110 - the loop is what is measured
            if isinstance(b, float):
                return True
        return False

    yield (
        "for-loop over bounds",
        loop,
        "any(generator)",
        lambda: any(isinstance(b, float) for b in bounds),
    )
    shape, axes = (2, 2), (0, 1)

    def count() -> int:
        n = 1
        for a in axes:
            n *= shape[a]
        return n

    yield "for-loop count", count, "math.prod(generator)", lambda: math.prod(shape[a] for a in axes)
    x = tp.full((2, 2), 0.5, requires_grad=True)
    y = x * 1.0
    yield "(scale) y.clamp(-1, 1)", lambda: y.clamp(-1, 1), "(scale) y.mean()", lambda: y.mean()


CASES: dict[str, Callable[[], Iterator[Case]]] = {
    f.__name__: f
    for f in (
        weak_scalar, fixed_arity, branch_free_where, where_zero_owned_small, blas_dot,
        clamp_two_passes, relu_two_arrays, sigmoid_one_kernel, square, sum_to_blas,
        broadcast_one, out_by_position, assign, errstate_once, pow_shortcut,
        whole_float_reduction, loop_not_generator,
    )
}  # fmt: skip


def main() -> None:
    p = H.common_args(__doc__)
    p.add_argument("--only", nargs="*", choices=sorted(CASES), help="the cases to run")
    args = p.parse_args()
    H.print_env(H.setup())
    timer = time.process_time if H.TIMER is time.process_time else time.perf_counter
    print(f"{'case':24s} {'A':34s} {'µs':>9s}   {'B':24s} {'µs':>9s}  B / A")
    for name in args.only or CASES:
        for ours, f, other, g in CASES[name]():
            a, b = _best(f, timer), _best(g, timer)
            print(
                f"{name:24s} {ours:34s} {a * 1e6:9.3f}   {other:24s} {b * 1e6:9.3f}  {b / a:5.2f}"
            )


if __name__ == "__main__":
    main()
