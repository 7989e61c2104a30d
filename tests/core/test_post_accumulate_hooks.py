"""``Tensor.register_post_accumulate_grad_hook``, against PyTorch's behaviour."""

from __future__ import annotations

import pytest

import tensorplug as tp


def test_runs_after_each_accumulation_with_the_tensor() -> None:
    a = tp.ones(2, requires_grad=True)
    seen: list[list[float]] = []
    handle = a.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    (a * 3).sum().backward()
    (a * 3).sum().backward()
    assert seen == [[3.0, 3.0], [6.0, 6.0]]  # .grad already accumulated when it runs
    tp.autograd.grad((a * 3).sum(), a)  # no accumulation: no call, as in PyTorch
    assert len(seen) == 2
    handle.remove()
    (a * 3).sum().backward()
    assert len(seen) == 2 and a.grad.tolist() == [9.0, 9.0]


def test_beside_tensor_hooks_and_in_new_graphs() -> None:
    a = tp.ones(3, requires_grad=True)
    a.register_hook(lambda g: g * 2)
    order: list[str] = []
    a.register_post_accumulate_grad_hook(lambda t: order.append("first"))
    a.register_post_accumulate_grad_hook(lambda t: order.append("second"))
    for _ in range(2):  # a new graph (and AccumulateGrad node) each time
        a.sum().backward()
    assert order == ["first", "second"] * 2
    assert a.grad.tolist() == [4.0, 4.0, 4.0]


def test_errors_as_pytorch() -> None:
    a = tp.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="cannot be registered on non-leaf tensors"):
        (a * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        tp.ones(2).register_post_accumulate_grad_hook(lambda t: None)
    a.register_post_accumulate_grad_hook(lambda t: t)
    with pytest.raises(RuntimeError, match="should return None"):
        a.sum().backward()
