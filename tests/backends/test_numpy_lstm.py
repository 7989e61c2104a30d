"""The NumPy backend's in-place ``lstm_layer``/``lstm_layer_backward`` against
``tensorplug._lstm_formulas`` on its kernels (the contract's defaults): the same bits in float32,
float64 and float16, either direction, batch of one and one step; the dtypes and shapes; no
write into the inputs; and an LSTM's gradients the same through either kernel pair."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorplug as tp
from tensorplug._backend import default_kernels

BACKEND = tp.get_backend("numpy")
NG = BACKEND.k
DEFAULT = default_kernels(BACKEND)


def layer_inputs(dtype: type, steps: int, batch: int, hidden: int) -> list[np.ndarray]:
    rng = np.random.default_rng(steps * 100 + batch)
    shapes = [(steps, batch, 4 * hidden), (4 * hidden, hidden), (batch, hidden), (batch, hidden)]
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def assert_same(got: tuple[Any, ...], want: tuple[Any, ...]) -> None:
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        assert type(a) is np.ndarray and a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize(("steps", "batch", "hidden"), [(7, 3, 5), (1, 1, 4), (4, 20, 16)])
def test_the_same_bits_as_the_formulas(
    dtype: type, reverse: bool, steps: int, batch: int, hidden: int
) -> None:
    xw, w_hh, h0, c0 = args = layer_inputs(dtype, steps, batch, hidden)
    before = [a.copy() for a in args]
    fwd = NG.lstm_layer(xw, w_hh, h0, c0, reverse)
    assert_same(fwd, DEFAULT["lstm_layer"](xw, w_hh, h0, c0, reverse))
    assert [a.shape for a in fwd] == [
        (2, steps, batch, hidden), (steps, batch, 4 * hidden), (steps, batch, hidden)]  # fmt: skip
    grad = np.random.default_rng(1).standard_normal(fwd[0].shape).astype(dtype)
    for g in (grad, np.broadcast_to(np.ones((), dtype), grad.shape)):  # also a broadcast one
        got = NG.lstm_layer_backward(g, w_hh, h0, c0, *fwd, reverse)
        assert_same(got, DEFAULT["lstm_layer_backward"](g, w_hh, h0, c0, *fwd, reverse))
    for a, b in zip(args, before, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [tp.float32, tp.float64])
def test_an_lstm_has_the_same_gradients_through_the_default_kernels(
    dtype: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def run() -> list[np.ndarray]:
        tp.manual_seed(0)
        net = tp.nn.LSTM(6, 5, num_layers=2, bidirectional=True).to(dtype)
        x = tp.randn(4, 3, 6, dtype=dtype)
        out, (h, c) = net(x)
        (out.sum() + (h * c).sum()).backward()
        return [out.detach().numpy()] + [p.grad.numpy() for p in net.parameters()]

    assert NG.lstm_layer.__module__ == "tensorplug_numpy._lstm"  # the override runs first
    fast = run()
    for name in ("lstm_layer", "lstm_layer_backward"):
        monkeypatch.setattr(BACKEND.k, name, DEFAULT[name])
    composed = run()
    for a, b in zip(fast, composed, strict=True):
        np.testing.assert_array_equal(a, b)
