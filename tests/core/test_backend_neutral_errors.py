"""Errors the core raises itself, before a kernel runs, with PyTorch's messages: what a user
sees does not depend on the library's wording or exception type, nor on its arrays having
``int()`` (issue 19)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorplug as tp

torch = pytest.importorskip("torch")

SHAPES = [
    ((2, 3), (2, 3)),
    ((3,), (4,)),
    ((2, 3), (4,)),
    ((4,), (2, 3)),
    ((2, 3, 4), (2, 5, 6)),
    ((3, 4), (2, 5, 6)),
    ((2, 3, 4), (5,)),
    ((5,), (2, 3, 4)),
    ((2, 3, 4), (5, 6)),
    ((5, 2, 3, 4), (3, 4, 6)),
    ((4, 2, 3), (5, 3, 2)),
]


def _torch_message(fn: Any) -> str:
    with pytest.raises(RuntimeError) as err:
        fn(torch)
    return str(err.value)


@pytest.mark.parametrize(("a", "b"), SHAPES, ids=str)
def test_matmul_shape_errors_are_pytorchs_and_raised_before_the_kernel(
    monkeypatch: Any, a: tuple[int, ...], b: tuple[int, ...]
) -> None:
    def never(*args: Any) -> Any:
        raise AssertionError("the kernel ran")

    monkeypatch.setattr(tp.get_backend("numpy").k, "matmul", never)
    want = _torch_message(lambda m: m.ones(a) @ m.ones(b))
    with pytest.raises(RuntimeError) as err:
        tp.ones(*a) @ tp.ones(*b)
    assert str(err.value).startswith(want)


@pytest.mark.parametrize(
    "index",
    [
        lambda m: (slice(None), slice(None), slice(None)),
        lambda m: (0, 0, 0),
        lambda m: (Ellipsis, 0, slice(None), 1),
        lambda m: (m.ones(2, 3, dtype=m.bool), 0),
    ],
)
def test_too_many_indices_is_pytorchs_whatever_the_kernel_says(
    monkeypatch: Any, index: Any
) -> None:
    def refuse(x: Any, idx: Any) -> Any:
        raise ValueError("a library's own wording")

    with pytest.raises(IndexError) as want:
        torch.ones(2, 3)[index(torch)]
    idx = index(tp)
    monkeypatch.setattr(tp.get_backend("numpy").k, "getitem", refuse)
    with pytest.raises(IndexError, match=str(want.value)):
        tp.ones(2, 3)[idx]
    with pytest.raises(IndexError, match=str(want.value)):
        tp.ones(2, 3)[idx] = 1.0


class _Opaque:
    """A library's 0-d result that ``int()`` does not take: only ``to_host`` reads it."""

    def __init__(self, a: Any) -> None:
        self.a = a


def test_index_bounds_are_read_through_to_host(monkeypatch: Any) -> None:
    k = tp.get_backend("numpy").k
    amin, amax, to_host = k.amin, k.amax, k.to_host
    monkeypatch.setattr(k, "amin", lambda *a: _Opaque(amin(*a)))
    monkeypatch.setattr(k, "amax", lambda *a: _Opaque(amax(*a)))
    monkeypatch.setattr(k, "to_host", lambda x: to_host(x.a if isinstance(x, _Opaque) else x))
    x = tp.arange(4.0)
    with pytest.raises(IndexError, match="index 7 is out of bounds for dimension 0 with size 4"):
        x[tp.tensor([1, 7])]
    np.testing.assert_array_equal(x[tp.tensor([1, -1])].numpy(), [1.0, 3.0])


@pytest.mark.parametrize(
    ("shape", "index", "value"),
    [
        ((2, 3), 0, (4,)),
        ((2, 3), 0, (2, 3)),
        ((4, 3), slice(0, 2), (3, 3)),
        ((2, 3), (slice(None), 0), (3,)),
    ],
    ids=str,
)
@pytest.mark.parametrize("refusal", [ValueError, TypeError, IndexError])
def test_a_value_that_does_not_fit_the_region_gets_pytorchs_error(
    monkeypatch: Any, shape: Any, index: Any, value: Any, refusal: type
) -> None:
    """Whatever a library's ``setitem`` raises, and however it words it."""

    def refuse(*args: Any) -> None:
        raise refusal("a library's own wording")

    with pytest.raises(RuntimeError) as want:
        torch.ones(shape)[index] = torch.ones(value)
    monkeypatch.setattr(tp.get_backend("numpy").k, "setitem", refuse)
    with pytest.raises(RuntimeError) as got:
        tp.ones(*shape)[index] = tp.ones(*value)
    assert str(got.value) == str(want.value)
