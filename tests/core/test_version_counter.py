"""Every way of changing a tensor in place (directly, through a view or a detached alias, by an
optimizer) is seen by the saved-value checks of the graphs that saved it, and by no other."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import tensorplug as tp
from tensorplug import nn


def t64(data: Any, requires_grad: bool = True) -> tp.Tensor:
    return tp.tensor(data, dtype=tp.float64, requires_grad=requires_grad)


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


# -- version numbers, and the checks of saved values -------------------------------------------


def test_modified_saved_input_raises_naming_the_op() -> None:
    x = t64([1.0, 2.0])
    y = x * 2
    z = y * y  # saves y
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation") as e:
        z.sum().backward()
    assert "MulBackward0" in str(e.value)


def test_modified_saved_output_raises() -> None:
    x = t64([1.0, 2.0])
    y = x.exp()  # saves its output
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation") as e:
        y.sum().backward()
    assert "ExpBackward0" in str(e.value)


def test_modified_view_of_saved_tensor_raises() -> None:
    x = t64([[1.0, 2.0], [3.0, 4.0]])
    base = x * 1
    y = base.sin()  # saves base
    with tp.no_grad():
        base[0] = 0.0
    with pytest.raises(RuntimeError, match="SinBackward0"):
        y.sum().backward()


def test_inplace_on_unsaved_tensor_is_fine() -> None:
    x = t64([1.0, 2.0])
    y = x + 1  # add saves nothing
    z = y * 3
    z.add_(1)
    z.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_inplace_increments_version_and_keeps_identity() -> None:
    x = t64([1.0, 2.0], requires_grad=False)
    v0 = x._vc.version
    y = x.add_(1)
    assert y is x
    assert x._vc.version == v0 + 1
    x[0] = 5.0
    assert x._vc.version == v0 + 2
    assert x.tolist() == [5.0, 3.0]


def test_detach_shares_data_and_version() -> None:
    x = t64([1.0, 2.0])
    d = x.detach()
    assert not d.requires_grad and d.grad_fn is None
    d.add_(1)
    assert x.tolist() == [2.0, 3.0]
    y = x.sin()  # saves x
    d.mul_(1)
    with pytest.raises(RuntimeError, match="inplace"):
        y.sum().backward()
