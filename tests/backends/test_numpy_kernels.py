"""The NumPy backend's fast paths (benchmarks/README.md says why each exists) against the plain
NumPy call they replace: the same bits where they claim it, the same accuracy or better where
they sum in another order, and the plain call whenever their conditions do not hold."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tensorplug as tp

RNG = np.random.default_rng(11)
K = tp.ones(1)._backend.k
FLOATS = [np.float16, np.float32, np.float64]
SCALARS = [1.01, 0.5, 2, -3, 0, 0.0, -0.0, 1e6, -1e-30, float("inf"), float("nan"), True, 2**60]


def _same_bits(got: np.ndarray, want: np.ndarray) -> None:
    assert type(got) is np.ndarray
    assert got.dtype == want.dtype and got.shape == want.shape
    raw = np.ascontiguousarray  # 0-d arrays have no byte view: reshape them first
    np.testing.assert_array_equal(
        raw(got).reshape(-1).view(np.uint8), raw(want).reshape(-1).view(np.uint8)
    )


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "maximum", "gt"])
def test_python_number_beside_a_float_array_gives_numpys_bits(dtype: type, op: str) -> None:
    ufunc = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide,
             "maximum": np.maximum, "gt": np.greater}[op]  # fmt: skip
    x = RNG.standard_normal((3, 4)).astype(dtype)
    x.reshape(-1)[:3] = [np.nan, -0.0, np.inf]
    with np.errstate(all="ignore"):
        for s in SCALARS:
            for _ in range(2):  # the second call takes the cached 0-d array
                _same_bits(getattr(K, op)(x, s), np.asarray(ufunc(x, s)))
                _same_bits(getattr(K, op)(s, x), np.asarray(ufunc(s, x)))


def test_negative_zero_is_never_mistaken_for_zero_and_0d_results_are_writable() -> None:
    x = np.ones(2, np.float32)
    K.mul(x, 0.0)
    assert np.signbit(K.mul(x, -0.0)).all()  # 0.0 and -0.0 are equal dict keys
    assert not np.signbit(K.mul(x, 0.0)).any()
    r = K.add(np.zeros((), np.float32), 1.0)  # a 0-d result is a fresh, writable array
    assert type(r) is np.ndarray and r.shape == () and r.flags.writeable


def test_one_number_beside_arrays_of_several_dtypes_takes_each_ones_dtype() -> None:
    # The kernels first try the 0-d array last made for a number (``_LATEST``): it must be of
    # this array's dtype, or not be used.
    for _ in range(2):
        for dtype in (np.float32, np.float64, np.float16, np.int32):
            x = np.arange(1, 4).astype(dtype)
            for s in (2, 2.0, 1.01, -7.25):
                _same_bits(K.mul(x, s), np.multiply(x, s))
                _same_bits(K.sub(s, x), np.asarray(np.subtract(s, x)))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(3, 4), ()])
def test_tanh_and_sigmoid_backward_give_the_formulas_bits(dtype: type, shape: tuple) -> None:
    g = np.asarray(RNG.standard_normal(shape) * 3).astype(dtype)
    out = np.asarray(RNG.uniform(-1, 1, shape)).astype(dtype)
    if shape:
        out.reshape(-1)[:4] = [np.nan, -0.0, 1.0, -1.0]
    with np.errstate(all="ignore"):
        for _ in range(2):
            _same_bits(K.tanh_backward(g, out), np.asarray(g * (1 - out * out)))
            _same_bits(K.sigmoid_backward(g, out), np.asarray(g * out * (1 - out)))


def test_integer_arrays_keep_python_number_semantics() -> None:
    x = np.array([1, 200], np.int32)
    _same_bits(K.gt(x, 2**40), np.greater(x, 2**40))  # out of int32's range: NumPy's answer
    _same_bits(K.add(x, 2), np.add(x, 2))
    _same_bits(K.mul(x, 2.5), np.multiply(x, 2.5))  # promotes to float64, as NumPy does


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize(
    ("sa", "sb"), [((100, 3), (3, 32)), ((100, 1), (1, 32)), ((300, 1), (1, 200)), ((1, 5), (5, 1))]
)
def test_matmul_of_matrices_equals_np_matmul(dtype: type, sa: tuple, sb: tuple) -> None:
    a = (RNG.standard_normal(sa) * 4).astype(dtype)
    b = (RNG.standard_normal(sb) * 4).astype(dtype)
    _same_bits(K.matmul(a, b), np.matmul(a, b))
    _same_bits(K.matmul(b.T, a.T), np.matmul(b.T, a.T))  # transposed (non-contiguous) inputs


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(
    ("xs", "shape"),
    [((100, 32), (1, 32)), ((100, 32), (32,)), ((5, 4, 3), (4, 3)), ((5, 4, 3), (1, 3)),
     ((5, 4, 3), (1, 4, 3)), ((5, 4, 3), (4, 1)), ((7, 3), (1, 1)), ((7, 3), ()), ((7, 3), (7, 1)),
     ((0, 3), (1, 3)), ((6, 2), (6, 2))],
)  # fmt: skip
def test_sum_to_matches_a_reduction(dtype: type, xs: tuple, shape: tuple) -> None:
    x = RNG.standard_normal(xs).astype(dtype)
    lead = len(xs) - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and xs[i + lead] != 1
    )
    got = K.sum_to(x, shape)
    assert got.shape == shape and got.dtype == x.dtype
    if dtype is np.float16:  # no BLAS for half floats: NumPy's own reduction, bit for bit
        _same_bits(got, np.add.reduce(x, axis=axes, keepdims=True).reshape(shape))
        return
    want = x.astype(np.float64).sum(axis=axes, keepdims=True).reshape(shape)
    tol = {np.float32: 1e-5, np.float64: 1e-12}[dtype]
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def test_sum_over_rows_through_blas_is_as_accurate_as_numpys_reduction() -> None:
    x = RNG.standard_normal((4096, 64)).astype(np.float32)
    exact = x.astype(np.float64).sum(axis=0, keepdims=True)
    err_blas = np.abs(K.sum_to(x, (1, 64)) - exact).max()
    err_numpy = np.abs(np.add.reduce(x, axis=0, keepdims=True) - exact).max()
    assert err_blas <= 1.5 * err_numpy


@pytest.mark.parametrize(
    ("source", "shape"),
    [((), (3,)), ((1,), (4,)), ((1, 1), (2, 2)), ((1,), (100, 64)), ((), ()), ((3, 1), (3, 4))],
)
def test_broadcast_to_is_a_read_only_view_of_its_source(source: tuple, shape: tuple) -> None:
    """``expand()`` is a view: a one-element source too (it once got a filled copy), so a later
    in-place change of the base shows in it; read-only, as np.broadcast_to's."""
    big = np.arange(12.0).reshape(3, 4)
    a = big[1:2, 2:3].reshape(source) if math.prod(source) == 1 else big[:, :1].copy()
    r = K.broadcast_to(a, shape)
    _same_bits(r, np.broadcast_to(a, shape).copy())
    assert np.shares_memory(r, a) and not r.flags.writeable
    a[...] = -1.0
    assert (r == -1.0).all()


def test_where_zero_owned_works_in_place_only_on_an_array_that_owns_its_memory() -> None:
    g = RNG.standard_normal((40, 8)).astype(np.float32)
    cond = RNG.random((40, 8)) > 0.5
    want = np.where(cond, g, 0)
    got = K.where_zero_owned(cond, g)
    assert got is g  # owned: no second buffer
    _same_bits(got, want)
    ro = want.copy()
    ro.flags.writeable = False
    got = K.where_zero_owned(cond, ro)
    assert got is not ro
    _same_bits(got, np.where(cond, ro, 0))


@pytest.mark.parametrize("dtype", FLOATS + [np.int32])
@pytest.mark.parametrize("shape", [(3, 4), (), (40, 8), (40, 32)])
def test_where_clamp_and_sigmoid_give_the_plain_calls_bits(dtype: type, shape: tuple) -> None:
    # Small arrays take 0-d operands and maximum/minimum, large ones a ReLU against an array
    # of zeros (sizes on both sides of each limit).
    x = np.asarray(RNG.standard_normal(shape) * 4).astype(dtype)
    if shape and x.dtype.kind == "f":
        x.reshape(-1)[:5] = [np.nan, -0.0, 0.0, np.inf, -np.inf]
    cond = np.asarray(RNG.random(shape) > 0.5)
    with np.errstate(all="ignore"):
        for _ in range(2):
            # 2**60 beside int32: NumPy 2.5 raises, older NumPy wraps it around; the core's
            # ``where`` refuses it before any backend sees it (tested in the conformance suite).
            for s in [s for s in SCALARS if not (x.dtype.kind == "i" and s == 2**60)]:
                _same_bits(K.where(cond, x, s), np.asarray(np.where(cond, x, s)))
                _same_bits(K.where(cond, s, x), np.asarray(np.where(cond, s, x)))
            for lo, hi in [(-1, 1), (-0.5, 2.5), (2, -2), (float("nan"), 1), (-1, float("inf"))]:
                _same_bits(K.clamp(x, lo, hi), np.asarray(np.clip(x, lo, hi)))
            for lo in (0, 0.0, -0.0, 1, float("nan")):
                _same_bits(K.clamp(x, lo, None), np.asarray(np.maximum(x, lo)))
            _same_bits(K.relu(x), np.asarray(np.maximum(x, 0)))
            if x.dtype.kind == "f":
                _same_bits(K.sigmoid(x), np.asarray(1 / (1 + np.exp(-x))))
                want = np.asarray(np.where(cond, x, 0))
                _same_bits(K.where_zero_owned(cond, x.copy()), want)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("shape", [(5,), (300, 700)])
def test_numpy_where_kernels_match_np_where_bit_for_bit(dtype: type, shape: tuple) -> None:
    x = RNG.standard_normal(shape).astype(dtype)
    c = RNG.random(shape) > 0.5
    x.reshape(-1)[:4] = [np.nan, -0.0, np.inf, -np.inf]
    c.reshape(-1)[:4] = [False, True, False, True]
    want = np.where(c, x, 0)
    for got in (K.where(c, x, 0), K.where(c, x, 0.0), K.where_zero_owned(c, x.copy())):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got.view(np.uint8), want.view(np.uint8))
    # a negative zero is kept as such (the bit-select path only serves +0)
    np.testing.assert_array_equal(
        K.where(c, x, -0.0).view(np.uint8), np.where(c, x, -0.0).view(np.uint8)
    )


def test_numpy_where_zero_owned_leaves_a_view_alone() -> None:
    base = RNG.standard_normal((400, 300)).astype(np.float32)
    view = base.T
    before = base.copy()
    got = K.where_zero_owned(RNG.random((300, 400)) > 0.5, view)
    assert got is not view
    np.testing.assert_array_equal(base, before)
