"""``tensorplug.linalg`` beyond its op-database entries: ``logdet``, the error type, a backend
without the optional ``linalg_*`` kernels, and double backward through the inverse."""

from __future__ import annotations

import numpy as np
import pytest

import tensorplug as tp
from tensorplug.plugins import PRIMITIVES, Backend, UnsupportedOperation
from tensorplug.testing import gradgradcheck

torch = pytest.importorskip("torch")


@pytest.mark.parametrize(
    "a",
    [
        [[2.0, 1.0], [1.0, 3.0]],  # positive determinant
        [[0.0, 2.0], [3.0, 1.0]],  # negative: NaN
        [[1.0, 2.0], [2.0, 4.0]],  # singular: -inf
    ],
)
def test_logdet_matches_pytorch(a: list[list[float]]) -> None:
    got = tp.linalg.logdet(tp.tensor(a, dtype=tp.float64)).item()
    want = torch.logdet(torch.tensor(a, dtype=torch.float64)).item()
    assert got == pytest.approx(want, nan_ok=True) or (np.isinf(got) and got == want)


def test_failures_are_linalg_errors_and_runtime_errors() -> None:
    assert issubclass(tp.linalg.LinAlgError, RuntimeError)  # as torch.linalg.LinAlgError
    with pytest.raises(tp.linalg.LinAlgError, match="singular"):
        tp.linalg.inv(tp.zeros(3, 3))
    with pytest.raises(tp.linalg.LinAlgError, match="positive-definite"):
        tp.linalg.cholesky(-tp.eye(2))


def test_a_backend_without_the_kernels_says_which_it_lacks() -> None:
    numpy = tp.get_backend("numpy")
    bare = Backend(
        name="bare", kernels={n: numpy.kernels[n] for n in PRIMITIVES}, dtypes=numpy.dtypes
    )
    a = tp.Tensor._make(np.eye(2), bare)
    with pytest.raises(UnsupportedOperation, match=r"backend 'bare' has no linalg_inv"):
        tp.linalg.inv(a)
    with pytest.raises(UnsupportedOperation, match=r"linalg_slogdet or linalg_inv"):
        tp.linalg.det(a)


def test_inverse_twice_differentiated_matches_pytorch() -> None:
    rng = np.random.default_rng(0)
    a = rng.uniform(-1, 1, (3, 3)) + 3 * np.eye(3)
    x = tp.tensor(a, requires_grad=True)
    (g,) = tp.autograd.grad(tp.linalg.inv(x).sum(), x, create_graph=True)
    (gg,) = tp.autograd.grad((g * g).sum(), x)
    t = torch.tensor(a, requires_grad=True)
    (tg,) = torch.autograd.grad(torch.linalg.inv(t).sum(), t, create_graph=True)
    (tgg,) = torch.autograd.grad((tg * tg).sum(), t)
    np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-10)
    assert gradgradcheck(
        tp.linalg.solve, (x, tp.tensor(rng.uniform(size=(3, 2)), requires_grad=True))
    )
