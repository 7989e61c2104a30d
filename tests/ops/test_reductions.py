"""Reductions beyond the op database's samples: ``all``/``any`` over every kind of ``dim`` (and
never differentiable), and ``sum(dtype=)``."""

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
