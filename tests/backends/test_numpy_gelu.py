"""The NumPy backend's in-place ``gelu``/``gelu_backward`` against the contract's defaults
(``tensorplug._gelu``'s formulas on primitives): the same bits in float32 and float64, the
dtype, shape and array type of the result, and no write into the inputs."""

from __future__ import annotations

import numpy as np
import pytest

import tensorplug as tp
import tensorplug_numpy._gelu as NG
from tensorplug._backend import default_kernels

DEFAULT = default_kernels(tp.get_backend("numpy"))
SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, -1e-30, 6.0, -6.0, -30.0]


def inputs(dtype: type) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((37, 5)) * 3).astype(dtype)
    return [x, x.T, np.array(1.5, dtype), np.zeros((0, 3), dtype), np.array(SPECIAL, dtype)]


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_same_bits_as_the_default(dtype: type, approximate: str) -> None:
    for x in inputs(dtype):
        g = np.linspace(-2, 2, x.size, dtype=dtype).reshape(x.shape)
        before = x.copy(), g.copy()
        for got, want in [
            (NG.gelu(x, approximate), DEFAULT["gelu"](x, approximate)),
            (NG.gelu_backward(g, x, approximate), DEFAULT["gelu_backward"](g, x, approximate)),
        ]:
            assert type(got) is np.ndarray and got.dtype == dtype and got.shape == x.shape
            np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(x, before[0])
        np.testing.assert_array_equal(g, before[1])


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_float16_is_rounded_once_from_float32(approximate: str) -> None:
    x = inputs(np.float32)[0]
    got = NG.gelu(x.astype(np.float16), approximate)
    assert got.dtype == np.float16
    want = NG.gelu(x.astype(np.float16).astype(np.float32), approximate).astype(np.float16)
    np.testing.assert_array_equal(got, want)
