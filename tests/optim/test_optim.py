"""Optimizers by hand-derived values (so the formulas are checked even without PyTorch) and
their mechanics: in-place steps outside the graph, closures, parameter-group and state-dict
errors. The comparisons with PyTorch are in test_optimizers.py and test_lr_scheduler.py."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tensorplug as tp
from tensorplug import nn, optim

# -- hand-derived values (no PyTorch needed) -----------------------------------------------


def _param(values: list[float]) -> nn.Parameter:
    return nn.Parameter(tp.tensor(values, dtype=tp.float64))


def test_sgd_momentum_by_hand() -> None:
    p = _param([1.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.5)
    p.grad = tp.tensor([2.0], dtype=tp.float64)
    opt.step()  # g = 2 + 0.5 * 1 = 2.5; buf = 2.5; p = 1 - 0.25
    assert p.item() == pytest.approx(0.75, rel=1e-15)
    opt.step()  # g = 2 + 0.375 = 2.375; buf = 0.9 * 2.5 + 2.375 = 4.625
    assert p.item() == pytest.approx(0.75 - 0.4625, rel=1e-14)


def test_adam_first_step_by_hand() -> None:
    p = _param([1.0, -1.0])
    opt = optim.Adam([p], lr=0.1)
    p.grad = tp.tensor([0.5, -3.0], dtype=tp.float64)
    opt.step()
    # After bias correction m/sqrt(v) = sign(g) on step 1: p -= lr * g / (|g| + eps').
    expected = [1.0 - 0.1 * 0.5 / (0.5 + 1e-8), -1.0 + 0.1 * 3.0 / (3.0 + 1e-8)]
    np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-12)
    assert opt.state[p]["step"].item() == 1.0


def test_adamw_decoupled_decay_by_hand() -> None:
    p = _param([2.0])
    opt = optim.AdamW([p], lr=0.1, weight_decay=0.5)
    p.grad = tp.tensor([1.0], dtype=tp.float64)
    opt.step()
    assert p.item() == pytest.approx(2.0 * (1 - 0.05) - 0.1 / (1 + 1e-8), rel=1e-12)


def test_rmsprop_first_step_by_hand() -> None:
    p = _param([1.0])
    opt = optim.RMSprop([p], lr=0.01, alpha=0.9)
    p.grad = tp.tensor([2.0], dtype=tp.float64)
    opt.step()  # v = 0.1 * 4 = 0.4; p -= 0.01 * 2 / (sqrt(0.4) + 1e-8)
    assert p.item() == pytest.approx(1 - 0.02 / (math.sqrt(0.4) + 1e-8), rel=1e-12)


# -- mechanics -----------------------------------------------------------------------------


def test_step_runs_under_no_grad_in_place() -> None:
    net = nn.Linear(3, 1)
    w = net.weight
    data = w._data
    opt = optim.Adam(net.parameters())
    net(tp.ones(2, 3)).sum().backward()
    opt.step()
    assert net.weight is w and w._data is data  # updated in place
    assert w.is_leaf and w.grad_fn is None
    opt.zero_grad()
    assert w.grad is None
    net(tp.ones(2, 3)).sum().backward()
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(w.grad.numpy(), 0.0)


def test_closure_is_evaluated_with_grad() -> None:
    p = _param([3.0])
    opt = optim.SGD([p], lr=0.1)

    def closure() -> tp.Tensor:
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 9.0 and p.item() == pytest.approx(3.0 - 0.6)


def test_param_group_errors() -> None:
    p = _param([1.0])
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="Invalid learning rate"):
        optim.Adam([p], lr=-1)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1"):
        optim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([p], lr=0.1, nesterov=True)
    opt = optim.SGD([p], lr=0.1)
    q = _param([2.0])
    opt.add_param_group({"params": q, "lr": 0.5, "momentum": 0.9})
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["dampening"] == 0.0


def test_state_dict_round_trip_resumes_identically() -> None:
    def make() -> tuple[nn.Parameter, optim.Adam]:
        p = _param([1.0, 2.0, 3.0])
        return p, optim.Adam([p], lr=0.05, amsgrad=True)

    p1, o1 = make()
    p2, o2 = make()
    grads = [tp.tensor(np.random.default_rng(i).standard_normal(3)) for i in range(4)]
    for g in grads[:2]:
        p1.grad = g
        o1.step()
    with tp.no_grad():
        p2.copy_(p1)
    o2.load_state_dict(o1.state_dict())
    assert o2.state[p2]["exp_avg"] is not o1.state[p1]["exp_avg"]
    for g in grads[2:]:
        p1.grad = g
        p2.grad = g
        o1.step()
        o2.step()
    np.testing.assert_array_equal(p1.detach().numpy(), p2.detach().numpy())


def test_load_state_dict_errors() -> None:
    p = _param([1.0])
    opt = optim.SGD([p], lr=0.1)
    two = optim.SGD([{"params": [_param([1.0])]}, {"params": [_param([1.0])]}], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict(two.state_dict())
    big = optim.SGD([_param([1.0]), _param([2.0])], lr=0.1)
    with pytest.raises(ValueError, match="doesn't match the size"):
        opt.load_state_dict(big.state_dict())
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        opt.load_state_dict({"state": {}})


def test_load_state_dict_casts_state_to_param_dtype() -> None:
    p64 = _param([1.0])
    o64 = optim.Adam([p64])
    p64.grad = tp.tensor([1.0], dtype=tp.float64)
    o64.step()
    p32 = nn.Parameter(tp.tensor([1.0]))
    o32 = optim.Adam([p32])
    o32.load_state_dict(o64.state_dict())
    assert o32.state[p32]["exp_avg"].dtype is tp.float32
    assert o32.state[p32]["step"].item() == 1.0


def test_gradient_on_another_backend_is_named() -> None:
    from tensorplug.plugins import Backend

    np_be = tp.get_backend("numpy")
    fake = Backend(name="fake", kernels=np_be.kernels, dtypes=np_be.dtypes, device_type="meta")
    p = nn.Parameter(tp.ones(2))
    p.grad = tp.ones(2, backend=fake)
    with pytest.raises(
        RuntimeError,
        match=r"gradient \(fake, \[2\]\) does not match its "
        r"parameter \(numpy, \[2\]\)",
    ):
        optim.SGD([p], lr=0.1).step()
