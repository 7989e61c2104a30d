"""The NumPy backend's in-place ``gelu``/``gelu_backward`` against ``tensorplug._gelu``'s
formulas on its kernels: float64 and small arrays the same bits as the contract's defaults
(``Phi`` from the ``erfc`` kernel), large float32 ones the same bits as the erfc fit the
defaults use without one; the
dtype, shape and array type of the result, and no write into the inputs."""

from __future__ import annotations

import numpy as np
import pytest

import tensorplug as tp
from tensorplug import _gelu as G
from tensorplug._backend import default_kernels
from tensorplug_numpy._gelu import FIT_FROM

BACKEND = tp.get_backend("numpy")
NG = BACKEND.k
DEFAULT = default_kernels(BACKEND)
FIT = {  # the formulas without an erfc kernel: what float32's exact form computes, in place
    "gelu": lambda x, a: G.gelu(BACKEND.k, x, a),
    "gelu_backward": lambda g, x, a: G.gelu_backward(BACKEND.k, g, x, a),
}
SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, -1e-30, 6.0, -6.0, -30.0]


def inputs(dtype: type) -> list[np.ndarray]:
    """Small arrays (float32's exact form from ``erfc``, as the defaults) and one large one
    (from the fit in place, ``FIT_FROM`` elements and more)."""
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((37, 5)) * 3).astype(dtype)
    big = np.concatenate([np.tile(np.array(SPECIAL, dtype), 10), x.ravel()] * 12)
    assert big.size >= FIT_FROM
    return [x, x.T, np.array(1.5, dtype), np.zeros((0, 3), dtype), np.array(SPECIAL, dtype), big]


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_same_bits_as_the_formulas(dtype: type, approximate: str) -> None:
    for x in inputs(dtype):
        fit = dtype == np.float32 and approximate == "none" and x.size >= FIT_FROM
        want = FIT if fit else DEFAULT
        g = np.linspace(-2, 2, x.size, dtype=dtype).reshape(x.shape)
        before = x.copy(), g.copy()
        for got, expected in [
            (NG.gelu(x, approximate), want["gelu"](x, approximate)),
            (NG.gelu_backward(g, x, approximate), want["gelu_backward"](g, x, approximate)),
        ]:
            assert type(got) is np.ndarray and got.dtype == dtype and got.shape == x.shape
            np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(x, before[0])
        np.testing.assert_array_equal(g, before[1])


def test_float32_exact_form_is_within_its_resolution_of_float64() -> None:
    x = inputs(np.float32)[-1]
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(NG.gelu(x, "none"), NG.gelu(x64, "none"), rtol=5e-7, atol=1e-7)
    np.testing.assert_allclose(
        NG.gelu_backward(x, x, "none"), NG.gelu_backward(x64, x64, "none"), rtol=5e-7, atol=1e-7
    )


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_float16_is_rounded_once_from_float32(approximate: str) -> None:
    x = inputs(np.float32)[0]
    got = NG.gelu(x.astype(np.float16), approximate)
    assert got.dtype == np.float16
    want = NG.gelu(x.astype(np.float16).astype(np.float32), approximate).astype(np.float16)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_the_value_with_its_derivative_gives_the_same_bits(dtype: type, approximate: str) -> None:
    """``gelu_with_derivative``: the value as ``gelu``'s, and ``g`` times the derivative as
    ``gelu_backward``'s (float16's derivative is None: its backward rounds once from
    float32)."""
    for x in inputs(np.float32):
        x = x.astype(dtype)
        y, d = NG.gelu_with_derivative(x, approximate)
        np.testing.assert_array_equal(y, NG.gelu(x, approximate))
        assert y.dtype == dtype and y.shape == x.shape
        if dtype == np.float16 or not x.shape:
            assert d is None
            continue
        g = np.linspace(-2, 2, x.size, dtype=dtype).reshape(x.shape)
        assert d.dtype == dtype and d.shape == x.shape
        np.testing.assert_array_equal(np.multiply(g, d), NG.gelu_backward(g, x, approximate))


def test_a_gelu_gradient_is_the_same_through_the_kept_derivative_or_not() -> None:
    x = tp.tensor(inputs(np.float32)[-1], requires_grad=True)
    g = tp.tensor(np.linspace(-2, 2, x.numel(), dtype=np.float32))
    for approximate in ("none", "tanh"):
        y = tp.nn.functional.gelu(x, approximate=approximate)
        assert y.grad_fn.args[1][0] is not None  # the derivative kept
        (kept,) = tp.autograd.grad(y, x, g)
        want = NG.gelu_backward(g.numpy(), x.detach().numpy(), approximate)
        np.testing.assert_array_equal(kept.numpy(), want)
        with tp.no_grad():
            assert tp.nn.functional.gelu(x, approximate=approximate).grad_fn is None
