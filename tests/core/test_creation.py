"""Creation functions (``_creation.py``): values, dtypes and shapes as PyTorch makes them, memory
shared with NumPy, seeded random creation, placement, and the default dtype."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorplug as tp


def _name(d: Any) -> str:
    return str(d).split(".")[-1]


CREATION = [
    ("tensor_nested", lambda lib: lib.tensor([[1, 2], [3, 4]])),
    ("tensor_float", lambda lib: lib.tensor([1.5, 2])),
    ("tensor_scalar", lambda lib: lib.tensor(3.0)),
    ("tensor_dtype", lambda lib: lib.tensor([1, 2], dtype=lib.float64)),
    ("tensor_bool", lambda lib: lib.tensor([[True], [False]])),
    ("as_tensor", lambda lib: lib.as_tensor([1.0, 2.0], dtype=lib.float64)),
    ("zeros", lambda lib: lib.zeros(2, 3)),
    ("zeros_tuple", lambda lib: lib.zeros((2, 3), dtype=lib.int32)),
    ("ones", lambda lib: lib.ones(4)),
    ("ones_list", lambda lib: lib.ones([1, 2])),
    ("full", lambda lib: lib.full((2, 2), 1.5)),
    ("full_int", lambda lib: lib.full((3,), 7)),
    ("full_bool", lambda lib: lib.full((2,), True)),
    ("arange_stop", lambda lib: lib.arange(5)),
    ("arange_start_stop_step", lambda lib: lib.arange(1, 10, 3)),
    ("arange_float", lambda lib: lib.arange(0, 1, 0.25)),
    ("arange_float_dtype", lambda lib: lib.arange(4, dtype=lib.float64)),
    ("linspace", lambda lib: lib.linspace(0, 1, 5)),
    ("linspace_one", lambda lib: lib.linspace(2, 3, 1)),
    ("eye", lambda lib: lib.eye(3)),
    ("eye_rect", lambda lib: lib.eye(2, 4, dtype=lib.int64)),
    ("zeros_like", lambda lib: lib.zeros_like(lib.ones(2, 3, dtype=lib.float64))),
    ("ones_like_dtype", lambda lib: lib.ones_like(lib.ones(2), dtype=lib.int32)),
    ("full_like", lambda lib: lib.full_like(lib.ones(2, dtype=lib.int64), 4)),
    ("empty_shape", lambda lib: lib.empty(2, 3).shape),
    ("empty_like_shape", lambda lib: lib.empty_like(lib.ones(4, 1)).shape),
    ("new_zeros", lambda lib: lib.ones(2, dtype=lib.float64).new_zeros(3)),
    ("new_ones", lambda lib: lib.ones(2, dtype=lib.int32).new_ones((2, 2))),
    ("new_full", lambda lib: lib.ones(2).new_full((2,), 3.0)),
    ("new_tensor", lambda lib: lib.ones(2, dtype=lib.float64).new_tensor([1, 2])),
    ("zero_size", lambda lib: lib.zeros(0, 3)),
]


@pytest.mark.parametrize(("name", "fn"), CREATION, ids=[c[0] for c in CREATION])
def test_creation_matches_torch(name: str, fn: Any) -> None:
    torch = pytest.importorskip("torch")
    want, got = fn(torch), fn(tp)
    if isinstance(want, tuple) or type(want).__name__ == "Size":
        assert tuple(got) == tuple(want)
        return
    assert got.shape == tuple(want.shape)
    assert got.dtype.name == _name(want.dtype)
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_from_numpy_shares_memory() -> None:
    a = np.arange(4.0)
    t = tp.from_numpy(a)
    assert t.dtype is tp.float64
    a[0] = 10.0
    assert t[0].item() == 10.0
    t.numpy()[1] = 20.0
    assert a[1] == 20.0


def test_random_creation_and_manual_seed() -> None:
    tp.manual_seed(123)
    a = (tp.rand(3, 4), tp.randn(5), tp.randint(0, 10, (6,)), tp.randint(4, size=(2,)))
    tp.manual_seed(123)
    b = (tp.rand(3, 4), tp.randn(5), tp.randint(0, 10, (6,)), tp.randint(4, size=(2,)))
    for x, y in zip(a, b):
        assert x.tolist() == y.tolist()
    r, n, i, j = a
    assert r.shape == (3, 4) and r.dtype is tp.float32
    assert ((r >= 0) & (r < 1)).numpy().all()
    assert n.dtype is tp.float32 and i.dtype is tp.int64
    assert ((i >= 0) & (i < 10)).numpy().all() and ((j >= 0) & (j < 4)).numpy().all()
    assert tp.randn(2, 2, dtype=tp.float64, requires_grad=True).requires_grad
    assert tp.rand_like(tp.ones(2, dtype=tp.float64)).dtype is tp.float64
    assert tp.randn_like(tp.ones(3)).shape == (3,)
    assert tp.randint_like(tp.ones(3), 5).dtype is tp.float32
    big = tp.randn(20000, dtype=tp.float64)
    assert abs(big.mean().item()) < 0.05 and abs(big.std().item() - 1) < 0.05


def test_creation_requires_grad_and_backend_device() -> None:
    x = tp.zeros(2, requires_grad=True)
    assert x.requires_grad and x.is_leaf and x.grad is None
    assert tp.tensor([1.0], requires_grad=True).requires_grad
    assert tp.ones(1, backend="numpy").backend == "numpy"
    assert tp.ones(1, device="cpu").device == tp.device("cpu")
    assert str(tp.ones(1).device) == "cpu"
    assert repr(tp.ones(1).device) == "device(type='cpu')"


def test_default_dtype_switch() -> None:
    try:
        tp.set_default_dtype(tp.float64)
        assert tp.tensor([1.0]).dtype is tp.float64 and tp.zeros(1).dtype is tp.float64
        assert repr(tp.tensor([1.5])) == "tensor([1.5000])"
    finally:
        tp.set_default_dtype(tp.float32)
    assert tp.get_default_dtype() is tp.float32
    with pytest.raises(TypeError):
        tp.set_default_dtype(tp.int64)
