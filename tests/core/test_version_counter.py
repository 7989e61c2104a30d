"""Every way of changing a tensor in place (directly, through a view or a detached alias, by an
optimizer) is seen by the saved-value checks of the graphs that saved it, and by no other."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import tensorplug as tp
from tensorplug import nn


def _fresh() -> tuple[tp.Tensor, tp.Tensor]:
    x = tp.tensor([1.0, 2.0, 3.0], requires_grad=True)
    return x, x * 2  # an op result that has not been changed


CHANGES: dict[str, Callable[[tp.Tensor], Any]] = {
    "add_": lambda y: y.add_(1),
    "mul_ through a view": lambda y: y[:2].mul_(2),
    "setitem": lambda y: y.__setitem__(0, 5.0),
    "zero_ of a detached alias": lambda y: y.detach().zero_(),
    "copy_": lambda y: y.copy_(tp.ones(3)),
}


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_changing_a_saved_op_result_is_caught(change: str) -> None:
    _, y = _fresh()
    z = (y * y).sum()  # saves y
    with tp.no_grad():
        CHANGES[change](y)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()


def test_changing_one_op_result_leaves_the_others_alone() -> None:
    x, y = _fresh()
    w = x * 3
    z = (w * w).sum()
    with tp.no_grad():
        y.add_(1)  # another op result of the same input: its counter is its own
    z.backward()  # w is unchanged: no error
    assert x.grad is not None and x.grad.tolist() == [18.0, 36.0, 54.0]


def test_a_saved_output_is_checked_through_its_own_counter() -> None:
    x, _ = _fresh()
    y = x.tanh()  # saves its output
    with tp.no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_parameters_made_from_op_results_and_optimizer_steps() -> None:
    _, y = _fresh()
    p = nn.Parameter(y.detach())
    q = p * p
    opt = tp.optim.SGD([p], lr=0.1)
    q.sum().backward(retain_graph=True)
    opt.step()  # changes p in place: q's saved p is now stale
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        q.sum().backward()


def test_an_optimizer_step_on_a_plain_tensor_made_by_an_op() -> None:
    w = (tp.ones(3) * 2).requires_grad_()  # a leaf made by an op, not by a creation function
    q = w * w
    q.sum().backward(retain_graph=True)
    tp.optim.SGD([w], lr=0.1).step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        q.sum().backward()
