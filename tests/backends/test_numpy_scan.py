"""The NumPy backend's blocked ``cumsum`` kernel (``tensorplug_numpy._scan``) against
``np.cumsum``: every axis, lengths that are and are not squares, views (flipped, broadcast,
transposed), integers exactly and floats to rounding, and a gradient through it."""

from __future__ import annotations

import numpy as np
import pytest

import tensorplug as tp

RNG = np.random.default_rng(7)


def _kernel() -> object:
    return tp.get_backend("numpy").k.cumsum


@pytest.mark.parametrize(
    ("shape", "axis"),
    [((256, 256), 0), ((300, 257), 0), ((3, 1000, 70), 1), ((2, 130, 200), 1), ((64, 65), 0),
     ((4096, 2), 0), ((256, 256), 1)],
)  # fmt: skip
def test_matches_numpy_on_every_axis(shape: tuple[int, ...], axis: int) -> None:
    x = RNG.standard_normal(shape)
    got = _kernel()(x, axis)  # type: ignore[operator]
    assert got.shape == x.shape and got.dtype == x.dtype and got.flags.c_contiguous
    np.testing.assert_allclose(got, np.cumsum(x, axis), rtol=1e-12, atol=1e-11)
    assert x.shape == shape  # the input is left alone


def test_integers_exactly_and_float32_in_its_dtype() -> None:
    k = _kernel()
    i = RNG.integers(-(2**40), 2**40, (500, 40))
    np.testing.assert_array_equal(k(i, 0), np.cumsum(i, 0))  # type: ignore[operator]
    f = RNG.standard_normal((500, 40)).astype(np.float32)
    got = k(f, 0)  # type: ignore[operator]
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, np.cumsum(f.astype(np.float64), 0), rtol=1e-4, atol=1e-4)


def test_views_flipped_broadcast_and_transposed() -> None:
    k = _kernel()
    x = RNG.standard_normal((300, 200))
    for view in (x[::-1], np.broadcast_to(x[:1], (300, 200)), x.T.copy().T, x[:, ::-2]):
        np.testing.assert_allclose(k(view, 0), np.cumsum(view, 0), rtol=1e-12, atol=1e-11)  # type: ignore[operator]


def test_gradient_along_the_first_dim() -> None:
    x = tp.tensor(RNG.standard_normal((256, 64)), requires_grad=True)
    w = RNG.standard_normal((256, 64))
    (tp.cumsum(x, 0) * tp.tensor(w)).sum().backward()
    assert x.grad is not None
    np.testing.assert_allclose(x.grad.numpy(), np.cumsum(w[::-1], 0)[::-1], rtol=1e-12, atol=1e-11)


@pytest.mark.parametrize("n", [64, 100, 256, 1000, 5000])
def test_last_axis_products_match_numpy(n: int) -> None:
    """Along the last axis a float array is scanned by block products (``_last_axis``):
    whole and partial blocks, more blocks than the offsets' product takes, float32 in its
    dtype, and views that need a copy first."""
    k = _kernel()
    x = RNG.standard_normal((130, n))
    for view in (x, x[:, ::-1], np.broadcast_to(x[:1], (130, n))):
        got = k(view, 1)  # type: ignore[operator]
        assert got.shape == view.shape and got.dtype == x.dtype and got.flags.c_contiguous
        np.testing.assert_allclose(got, np.cumsum(view, 1), rtol=1e-12, atol=1e-10)
    f = x.astype(np.float32)
    got = k(f, 1)  # type: ignore[operator]
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, np.cumsum(x, 1), rtol=1e-4, atol=1e-3)


def test_last_axis_infinities_and_nans_as_numpy() -> None:
    """A product's zeros would turn an infinity into NaN before it: such rows are scanned
    in sequence, bit for bit as ``np.cumsum``, and no warning leaks."""
    x = np.ones((100, 100), np.float32)
    x[1, 50], x[2, 3], x[3, 90] = np.inf, np.nan, -np.inf
    np.testing.assert_array_equal(_kernel()(x, 1), np.cumsum(x, 1))  # type: ignore[operator]
