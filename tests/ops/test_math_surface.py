"""Issue 16's statistics, math and linear-algebra additions where the op database cannot
hold the check: ``tp.cross``'s default dim and its warning, ``linalg.diagonal``,
``linalg.cond`` in the Frobenius norm, the ``_ex`` functions on a failure, ``histc``'s
range errors and the methods bound to ``Tensor``."""

from __future__ import annotations

import numpy as np
import pytest

import tensorplug as tp
from tensorplug.linalg import LinAlgError

torch = pytest.importorskip("torch")


def _t(a: np.ndarray) -> tp.Tensor:
    return tp.tensor(a, dtype=tp.float64)


def test_cross_without_dim_takes_the_first_dim_of_size_3_and_warns_as_pytorch() -> None:
    a, b = np.random.default_rng(0).normal(size=(2, 3, 3))
    with pytest.warns(UserWarning, match="without specifying the dim arg is deprecated"):
        got = tp.cross(_t(a), _t(b))
    with pytest.warns(UserWarning):
        want = torch.cross(torch.tensor(a), torch.tensor(b))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)
    np.testing.assert_allclose(_t(a).cross(_t(b), dim=1).numpy(), np.cross(a, b, axis=1))


def test_linalg_diagonal_defaults_to_the_last_two_dims() -> None:
    x = np.arange(24.0).reshape(2, 3, 4)
    got = tp.linalg.diagonal(_t(x), offset=1)
    want = torch.linalg.diagonal(torch.tensor(x), offset=1)
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_cond_in_the_frobenius_norm() -> None:
    a = np.array([[2.0, 1.0], [0.0, 3.0]])
    got = tp.linalg.cond(_t(a), "fro").item()
    assert got == pytest.approx(torch.linalg.cond(torch.tensor(a), "fro").item(), rel=1e-12)


def test_ex_functions_report_failure_in_info_and_raise_only_when_asked() -> None:
    inverse, info = tp.linalg.inv_ex(_t(np.zeros((2, 2))))
    assert info.item() > 0 and info.dtype is tp.int32 and np.isnan(inverse.numpy()).all()
    _, info = tp.linalg.cholesky_ex(_t(-np.eye(2)))
    assert info.item() > 0
    with pytest.raises(LinAlgError, match="could not be completed"):
        tp.linalg.inv_ex(_t(np.zeros((2, 2))), check_errors=True)
    result, info = tp.linalg.solve_ex(_t(np.eye(2) * 2), _t(np.ones(2)))
    assert info.item() == 0 and result.tolist() == [0.5, 0.5]


def test_histc_refuses_an_inverted_range() -> None:
    with pytest.raises(RuntimeError, match="max must be larger than min"):
        tp.histc(_t(np.ones(3)), bins=3, min=3, max=1)


@pytest.mark.parametrize(
    "name",
    ["median", "nanmedian", "kthvalue", "msort", "quantile", "nanquantile", "nansum",
     "nanmean", "aminmax", "logcumsumexp", "histc", "cov", "corrcoef", "logaddexp",
     "logaddexp2", "float_power", "fmax", "fmin", "gcd", "lcm", "ldexp", "frexp",
     "heaviside", "deg2rad", "rad2deg", "i0", "mv", "inner", "vdot", "addr", "addbmm",
     "dist", "renorm", "cross", "cholesky_solve", "cholesky_inverse", "matrix_power",
     "matrix_exp", "mode", "unique_consecutive", "deg2rad_", "gcd_", "i0_", "renorm_"],
)  # fmt: skip
def test_methods_exist_where_pytorch_has_them(name: str) -> None:
    assert hasattr(torch.Tensor, name) and hasattr(tp.Tensor, name)


def test_quantile_errors_name_the_problem() -> None:
    x = _t(np.ones(3))
    with pytest.raises(RuntimeError, match="input tensor must be either float or double"):
        tp.quantile(tp.tensor([1, 2]), 0.5)
    with pytest.raises(RuntimeError, match="q tensor must be same dtype"):
        tp.quantile(x, tp.tensor([0.5], dtype=tp.float32))
    with pytest.raises(RuntimeError, match="q must be a scalar or 1D tensor"):
        tp.quantile(x, _t(np.full((2, 2), 0.5)))


@pytest.mark.parametrize("name", ["bessel_j0", "bessel_j1"])
def test_bessel_j_far_from_zero_matches_pytorch(name: str) -> None:
    """Beyond 5 both evaluate Cephes' Hankel form (the op database stays below 2.5, where
    the power-series reference agrees with it to 1e-12)."""
    x = np.array([-40.0, -7.5, 3.0, 5.5, 12.0, 100.0, 1e4])
    got = getattr(tp.special, name)(_t(x)).numpy()
    want = getattr(torch.special, name)(torch.tensor(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_gamma_incomplete_for_large_parameters() -> None:
    """Where PyTorch switches to an asymptotic expansion (a > 20, x near a): the series and
    the continued fraction run to convergence and agree with it to its accuracy."""
    a, x = np.array([30.0, 100.0, 250.0]), np.array([31.0, 90.0, 260.0])
    got = tp.special.gammainc(_t(a), _t(x)).numpy()
    want = torch.special.gammainc(torch.tensor(a), torch.tensor(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-8)
    total = got + tp.special.gammaincc(_t(a), _t(x)).numpy()
    np.testing.assert_allclose(total, 1.0, rtol=1e-14)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_nextafter_at_the_edges_of_each_dtype(dtype: str) -> None:
    a = np.array([np.inf, -np.inf, 0.0, -0.0, 1.0, 0.5, 65504.0])
    b = np.array([0.0, 0.0, 1.0, -1.0, 0.0, 0.0, np.inf])
    got = tp.nextafter(
        tp.tensor(a, dtype=getattr(tp, dtype)), tp.tensor(b, dtype=getattr(tp, dtype))
    )
    want = torch.nextafter(torch.tensor(a, dtype=getattr(torch, dtype)),
                           torch.tensor(b, dtype=getattr(torch, dtype)))  # fmt: skip
    assert got.dtype is getattr(tp, dtype)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
