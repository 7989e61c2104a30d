"""Layout and contraction ops where the op database cannot look: ``diagonal``'s views (writes
reach the input), ``einsum``'s order of contraction, and the in-place cumulative forms."""

from __future__ import annotations

import numpy as np
import pytest

import tensorplug as tp
from tensorplug import _einsum


@pytest.mark.parametrize("offset", [-1, 0, 1])
@pytest.mark.parametrize("transposed", [False, True])
def test_a_write_through_a_diagonal_reaches_its_matrix(offset: int, transposed: bool) -> None:
    host = np.arange(12.0).reshape(3, 4)
    x = tp.tensor(host.T.copy()).t() if transposed else tp.tensor(host)
    d = x.diagonal(offset)
    d.mul_(-1)
    want = host.copy()
    np.fill_diagonal(want[max(0, -offset) :, max(0, offset) :], -np.diagonal(host, offset))
    np.testing.assert_array_equal(x.numpy(), want)


def test_the_gradient_sees_a_write_through_a_diagonal_view() -> None:
    a = tp.ones(3, 3, requires_grad=True)
    b = a * 1
    b.diagonal().mul_(tp.tensor([2.0, 3.0, 4.0]))
    b.sum().backward()
    assert b.grad_fn.name() == "CopySlices"
    np.testing.assert_array_equal(a.grad.numpy(), np.diag([2.0, 3.0, 4.0]) + 1 - np.eye(3))


def test_a_diagonal_of_dims_apart_in_memory_is_a_copy_with_the_same_node() -> None:
    x = tp.zeros(2, 3, 4, requires_grad=True)
    d = x.diagonal(0, 2, 0)
    assert d.grad_fn.name() == "DiagonalBackward0" and d._base is None


def test_einsum_contracts_the_pair_with_the_smallest_result_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[int, ...]] = []
    real = _einsum._contract

    def spy(a: tp.Tensor, la: list[str], b: tp.Tensor, lb: list[str], *rest: object) -> object:
        seen.append(tuple(sorted((a.numel(), b.numel()))))
        return real(a, la, b, lb, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(_einsum, "_contract", spy)
    a, b, c = tp.ones(64, 2), tp.ones(2, 64), tp.ones(64, 3)
    out = tp.einsum("ij,jk,kl->il", a, b, c)  # (a b) first makes 64x64; (b c) makes 2x3
    assert seen[0] == (128, 192) and out.shape == (64, 3)
    np.testing.assert_allclose(out.numpy(), np.full((64, 3), 128.0))


def test_einsum_takes_a_list_and_refuses_what_is_not_a_tensor() -> None:
    x = tp.ones(2, 3)
    assert tp.einsum("ij->", [x]).item() == 6.0
    with pytest.raises(TypeError, match="operands must be Tensors, not list"):
        tp.einsum("ij,ij->", x, [[1.0]])


def test_in_place_cumulative_forms_keep_the_dtype() -> None:
    x = tp.tensor([1, 2, 3], dtype=tp.int32)
    assert x.cumsum_(0) is x and x.tolist() == [1, 3, 6] and x.dtype is tp.int32
    assert tp.cumsum(tp.tensor([True, True]), 0).dtype is tp.int64
    assert tp.cumsum(tp.ones(2), 0, dtype=tp.float64).dtype is tp.float64


def test_an_in_place_cumulative_op_refuses_another_dtype() -> None:
    x = tp.tensor([1.5, 2.5])
    with pytest.raises(RuntimeError, match="Bad in-place call: input tensor dtype float32"):
        x.cumsum_(0, dtype=tp.int64)
    assert x.cumprod_(0, dtype=tp.float32).tolist() == [1.5, 3.75]
