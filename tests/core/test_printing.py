"""``repr`` of tensors in PyTorch's format."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorplug as tp


def test_seed_reprs() -> None:
    x = tp.ones(2, 2, requires_grad=True)
    assert repr(x) == "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)"
    assert repr(x.mean()) == "tensor(1., grad_fn=<MeanBackward0>)"
    y = x * (tp.tensor(1.1, requires_grad=True) + 2)
    out = (y.pow(2) * 3).mean()
    assert repr(out) == "tensor(28.8300, grad_fn=<MeanBackward0>)"


def test_four_decimal_matrix_and_dtype_suffix() -> None:
    m = tp.tensor([[1.5, -2.25], [3.125, 4.0]])
    assert repr(m) == "tensor([[ 1.5000, -2.2500],\n        [ 3.1250,  4.0000]])"
    assert repr(m.double()) == (
        "tensor([[ 1.5000, -2.2500],\n        [ 3.1250,  4.0000]], dtype=tensorplug.float64)"
    )


def test_int_and_bool_tensors() -> None:
    assert repr(tp.tensor([1, 2, 3])) == "tensor([1, 2, 3])"
    assert repr(tp.tensor([1, -20], dtype=tp.int32)) == "tensor([  1, -20], dtype=tensorplug.int32)"
    assert repr(tp.tensor([True, False])) == "tensor([ True, False])"
    assert repr(tp.tensor(7)) == "tensor(7)"


CASES: list[Any] = [
    [[1.0, 2.0], [3.0, 4.0]],
    [0.5, -1.25, 100.0],
    [[0.001, 1000.0]],
    [1e-5, 1.0],
    [1e10, 1.0],
    [float("nan"), 1.0, float("inf"), -float("inf")],
    [[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.5]]],
    np.arange(2000.0).tolist(),
    np.arange(24.0).reshape(2, 3, 4).tolist(),
    np.linspace(-1, 1, 12).reshape(3, 4).tolist(),
    [],
    [-0.0, 0.0],
    3.14159,
    [1, 2, 3],
    [[1, -2], [300, 4]],
    [True, False],
    np.arange(20.0).tolist(),
    (np.arange(30.0) / 7).tolist(),
    np.arange(2000.0).reshape(40, 50).tolist(),
    (np.arange(3000.0).reshape(10, 15, 20) / 3).tolist(),
    np.arange(1500).tolist(),
    [[]],
    [[1e-7, 2.0], [3.0, 4.0]],
    [123456789.0, 1.0],
    [1.0, 0.0, 0.0001],
    np.random.default_rng(0).normal(size=(4, 30)).tolist(),
    np.random.default_rng(1).normal(size=(2, 3, 4)).tolist(),
]


@pytest.mark.parametrize("data", CASES, ids=[str(i) for i in range(len(CASES))])
def test_repr_matches_torch(data: Any) -> None:
    torch = pytest.importorskip("torch")
    want = repr(torch.tensor(data))
    assert repr(tp.tensor(data)) == want


@pytest.mark.parametrize("dtype", ["float64", "float16", "int32"])
def test_repr_dtype_suffix_matches_torch(dtype: str) -> None:
    torch = pytest.importorskip("torch")
    data = [[1.0, 2.5], [3.0, -4.0]]
    want = repr(torch.tensor(data, dtype=getattr(torch, dtype)))
    got = repr(tp.tensor(data, dtype=getattr(tp, dtype)))
    assert got == want.replace("torch.", "tensorplug.")


def test_repr_grad_fn_and_requires_grad_match_torch() -> None:
    torch = pytest.importorskip("torch")
    for lib in (torch, tp):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        got = [repr(x), repr(x * 2), repr(x.sum()), repr(x @ x), repr(x.clamp(min=2))]
        if lib is torch:
            want = got
    assert got == want


def test_long_suffix_wraps_like_torch() -> None:
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(2).normal(size=(3, 7)).tolist()
    want = repr(torch.tensor(data, dtype=torch.float64, requires_grad=True) * 2)
    got = repr(tp.tensor(data, dtype=tp.float64, requires_grad=True) * 2)
    assert got == want.replace("torch.", "tensorplug.")


@pytest.mark.parametrize("shape", [(0,), (2, 0), (0, 3, 1)])
def test_empty_repr_matches_torch(shape: tuple[int, ...]) -> None:
    torch = pytest.importorskip("torch")
    for dtype in ("float32", "float64", "int64"):
        want = repr(torch.zeros(shape, dtype=getattr(torch, dtype)))
        got = repr(tp.zeros(shape, dtype=getattr(tp, dtype)))
        assert got == want.replace("torch.", "tensorplug.")
