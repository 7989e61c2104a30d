"""Gradients a node may overwrite in place (``Node.backward_owned``, ReLU's and clamp's
backward): results must equal the out-of-place formula whoever else holds the gradient. The
NumPy kernels behind it: ``tests/backends/test_numpy_kernels.py``."""

from __future__ import annotations

import numpy as np
import pytest

import tensorplug as tp
from tensorplug import _ops_pointwise as P

RNG = np.random.default_rng(5)


def _expected(x: np.ndarray, scale: float) -> np.ndarray:
    return np.where(x > 0, scale, 0.0)


@pytest.fixture
def owned_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    orig = P.ReluBackward0.backward_owned

    def spy(*args: object) -> object:
        calls.append(1)
        return orig(*args)

    monkeypatch.setattr(P.ReluBackward0, "backward_owned", staticmethod(spy))
    return calls


def test_owned_gradient_is_overwritten_only_when_the_engine_alone_holds_it(
    owned_calls: list[int],
) -> None:
    x = tp.tensor(RNG.standard_normal((64, 300)), requires_grad=True)
    (x.relu() @ tp.ones(300, 2, dtype=tp.float64)).sum().backward()
    assert owned_calls  # the matmul's fresh gradient reached ReLU unshared
    np.testing.assert_array_equal(x.grad.numpy(), _expected(x.detach().numpy(), 2.0))


@pytest.mark.parametrize("relu_first", [True, False])
def test_shared_gradient_memory_is_not_overwritten(relu_first: bool) -> None:
    """ReLU's incoming gradient is a view (reshape's backward) of the array AddBackward0 also
    hands to the leaf ``z``: overwriting it would corrupt ``z.grad`` (in either order)."""
    x = tp.tensor(RNG.standard_normal((128, 300)), requires_grad=True)
    z = tp.tensor(RNG.standard_normal(128 * 300), requires_grad=True)
    c = RNG.standard_normal(128 * 300)
    u = x.relu().reshape(-1) + z if relu_first else z + x.relu().reshape(-1)
    (u * tp.tensor(c)).sum().backward()
    np.testing.assert_array_equal(z.grad.numpy(), c)
    want = np.where(x.detach().numpy() > 0, c.reshape(128, 300), 0.0)
    np.testing.assert_array_equal(x.grad.numpy(), want)


def test_post_hook_sees_the_gradient_it_was_given() -> None:
    x = tp.tensor(RNG.standard_normal((32, 32)), requires_grad=True)
    y = x.relu()
    seen = []
    y.grad_fn.register_hook(lambda gin, gout: seen.append(gout[0].numpy().copy()))
    (y @ tp.ones(32, 1, dtype=tp.float64)).sum().backward()
    np.testing.assert_array_equal(seen[0], np.ones((32, 32)))
    np.testing.assert_array_equal(x.grad.numpy(), _expected(x.detach().numpy(), 1.0))


def test_autograd_grad_captured_gradient_is_not_overwritten() -> None:
    x = tp.tensor(RNG.standard_normal((16, 16)), requires_grad=True)
    h = x @ tp.ones(16, 16, dtype=tp.float64)
    y = h.relu()
    (gh,) = tp.autograd.grad((y * 3.0).sum(), h)
    np.testing.assert_array_equal(gh.numpy(), _expected(h.detach().numpy(), 3.0))


@pytest.mark.parametrize(("lo", "hi"), [(0.0, None), (None, 0.5), (-0.5, 0.5)])
def test_clamp_owned_gradient_matches_the_formula(lo: float | None, hi: float | None) -> None:
    x = tp.tensor(RNG.standard_normal((64, 300)), requires_grad=True)
    (x.clamp(lo, hi) @ tp.ones(300, 2, dtype=tp.float64)).sum().backward()
    xv = x.detach().numpy()
    inside = np.ones_like(xv, dtype=bool)
    if lo is not None:
        inside &= xv >= lo
    if hi is not None:
        inside &= xv <= hi
    np.testing.assert_array_equal(x.grad.numpy(), np.where(inside, 2.0, 0.0))
