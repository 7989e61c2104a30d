"""Reductions beyond the op database's samples: ``all``/``any`` over every kind of ``dim`` (and
never differentiable), ``sum(dtype=)``, the gradients of ``max()``/``min()`` over NaNs (the
database compares special values forward only), and ``prod`` over zeros against PyTorch, to
the second order (the database's zero samples check it by finite differences)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorplug as tp


@pytest.mark.parametrize(
    ("dim", "keepdim"), [(None, False)] + [(d, k) for d in (0, 1, (0, 1)) for k in (False, True)]
)
def test_all_any_match_numpy(dim: Any, keepdim: bool) -> None:
    data = np.array([[1.0, 0.0, 2.0], [3.0, 4.0, 5.0]])
    x = tp.tensor(data)
    got_all = tp.all(x) if dim is None else tp.all(x, dim, keepdim)
    got_any = x.any() if dim is None else x.any(dim, keepdim)
    assert got_all.dtype is tp.bool and got_any.dtype is tp.bool
    np.testing.assert_array_equal(got_all.numpy(), np.all(data != 0, axis=dim, keepdims=keepdim))
    np.testing.assert_array_equal(got_any.numpy(), np.any(data != 0, axis=dim, keepdims=keepdim))


def test_all_any_empty_and_not_differentiable() -> None:
    assert tp.zeros(0).all().item() is True
    assert tp.zeros(0).any().item() is False
    x = tp.ones(3, requires_grad=True)
    assert not (x * 2).all().requires_grad


def test_sum_with_dtype_gives_that_dtype() -> None:
    assert tp.sum(tp.tensor([1, 2, 3]), dtype=tp.int32).dtype is tp.int32
    assert tp.tensor([1, 2]).sum(dtype=tp.float64).dtype is tp.float64


@pytest.mark.parametrize("op", ["max", "min", "amax", "amin"])
@pytest.mark.parametrize(
    "data",
    [[1.0, np.nan, 3.0], [np.nan, 2.0, np.nan], [1.0, 3.0, 3.0], [[2.0, np.nan], [np.nan, 0.0]]],
    ids=["one_nan", "two_nans", "tie", "2d_nans"],
)
def test_whole_max_and_min_gradients_reach_the_nans_as_in_pytorch(op: str, data: Any) -> None:
    """``max()``/``min()`` share g among the NaNs when the result is NaN (``amax``/``amin``
    give NaN everywhere there, in PyTorch too), and among ties otherwise."""
    torch = pytest.importorskip("torch")
    grads = []
    for lib in (tp, torch):
        x = lib.tensor(data, dtype=lib.float64, requires_grad=True)
        for create_graph in (False, True):  # the raw kernels, and the tensor ops
            (g,) = lib.autograd.grad(getattr(x, op)() * 3, x, create_graph=create_graph)
            grads.append(g.detach().numpy())
    np.testing.assert_array_equal(grads[0], grads[2])
    np.testing.assert_array_equal(grads[1], grads[3])


def _prod_with_zeros(lib: Any, zeros: list[int], order: int) -> list[np.ndarray]:
    """``prod(x, 1)`` of rows holding zeros in the columns ``zeros``: the value, the gradient
    and (``order`` 2) the gradient of that gradient against a fixed weighting."""
    data = np.array([[1.5, -0.5, 2.0], [0.5, 3.0, -1.0]])
    data[:, zeros] = 0.0
    x = lib.tensor(data, dtype=lib.float64, requires_grad=True)
    y = x.prod(1)
    (g,) = lib.autograd.grad(y, x, lib.tensor([1.0, -2.0], dtype=lib.float64), create_graph=True)
    out = [y.detach().numpy(), g.detach().numpy()]
    if order == 2:
        u = lib.tensor(np.arange(1.0, 7.0).reshape(2, 3), dtype=lib.float64)
        (gg,) = lib.autograd.grad((g * u).sum(), x)
        out.append(gg.numpy())
    return out


@pytest.mark.parametrize("zeros", [[1], [0, 1], [0, 1, 2]], ids=["one_zero", "two_zeros", "all"])
def test_prod_over_zeros_matches_pytorch(zeros: list[int]) -> None:
    """The gradient of each factor is the product of the others, not ``prod / x``."""
    torch = pytest.importorskip("torch")
    for ours, theirs in zip(_prod_with_zeros(tp, zeros, 1), _prod_with_zeros(torch, zeros, 1)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.parametrize("zeros", [[1], [0, 1], [0, 1, 2]], ids=["one_zero", "two_zeros", "all"])
def test_prod_over_zeros_double_backward_matches_pytorch(zeros: list[int]) -> None:
    torch = pytest.importorskip("torch")
    ours, theirs = _prod_with_zeros(tp, zeros, 2), _prod_with_zeros(torch, zeros, 2)
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-12)


ERROR_CALLS = [
    "lib.zeros(0).amax()",
    "lib.zeros(0).max()",
    "lib.zeros(0).argmin()",
    "lib.zeros(0, 3).amax(0)",
    "lib.zeros(0, 3).argmax(0)",
    "lib.ones(2, 3, requires_grad=True).sum(dtype=lib.int64)",
    "lib.ones(2, 3, requires_grad=True).prod(1, dtype=lib.int64)",
    "lib.ones(2, 3).prod((0,))",
    "lib.ones(3, dtype=lib.int64).var()",
    "lib.ones(3, dtype=lib.int32).norm()",
    "lib.ones(3, dtype=lib.int64).softmax(0)",
]


@pytest.mark.parametrize("call", ERROR_CALLS)
def test_reduction_errors_are_pytorchs(call: str) -> None:
    """The class PyTorch raises (empty reductions: RuntimeError without a dim, IndexError for
    argmax/argmin and with one; an integer result that would need a gradient)."""
    torch = pytest.importorskip("torch")
    with pytest.raises(Exception) as want:
        eval(call, {"lib": torch})
    with pytest.raises(want.type):
        eval(call, {"lib": tp})


def test_all_and_any_over_an_empty_dim() -> None:
    x = tp.zeros(0, 3, dtype=tp.bool)
    assert x.all(0).tolist() == [True] * 3 and x.any(0).tolist() == [False] * 3
    assert x.all((0, 1), keepdim=True).tolist() == [[True]]
