"""Module full backward hooks (``register_full_backward_hook``, ``..._pre_hook``, their global
forms) and the global forward hooks, run side by side with PyTorch's: the hooks' arguments, the
order of their calls, replaced gradients and errors."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tensorplug as tp

torch = pytest.importorskip("torch")


def _plain(v: Any) -> Any:
    """Hook arguments as comparable values: tensors as float64 lists, tuples kept."""
    if isinstance(v, (tuple, list)):
        return tuple(_plain(x) for x in v)
    if hasattr(v, "detach"):
        return np.asarray(v.detach().numpy(), dtype=np.float64).round(10).tolist()
    return v


def _logger(log: list[Any], name: str) -> dict[str, Callable[..., Any]]:
    return {
        "post": lambda m, gi, go: log.append((name, "post", _plain(gi), _plain(go))),
        "pre": lambda m, go: log.append((name, "pre", _plain(go))),
    }


def _hooked(mod: Any, log: list[Any], name: str) -> Any:
    hooks = _logger(log, name)
    mod.register_full_backward_hook(hooks["post"])
    mod.register_full_backward_pre_hook(hooks["pre"])
    return mod


def _linear(lib: Any) -> list[Any]:
    lib.manual_seed(0)
    log: list[Any] = []
    lin = _hooked(lib.nn.Linear(3, 2).double(), log, "lin")
    with lib.no_grad():
        lin.weight.copy_(lib.tensor([[1.0, 2, 3], [4, 5, 6]], dtype=lib.float64))
    x = lib.tensor([[1.0, -1, 2], [0.5, 0, 1]], dtype=lib.float64, requires_grad=True)
    (lin(x) * lib.tensor([1.0, 3], dtype=lib.float64)).sum().backward()
    log.append(("x.grad", _plain(x.grad)))
    return log


def _two_inputs_module(lib: Any) -> Any:
    class Two(lib.nn.Module):
        def forward(self, a: Any, scale: Any, b: Any) -> Any:
            return a * b * scale, a.detach() + 1, b * 2

    return Two()


def _two_inputs(lib: Any) -> list[Any]:
    log: list[Any] = []
    m = _hooked(_two_inputs_module(lib), log, "two")
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = lib.tensor([3.0, -1.0], requires_grad=True)
    c = lib.tensor([5.0, 7.0])
    out = m(a, 2.0, b)
    (out[0] * 3).sum().backward(retain_graph=True)  # b*2 unused: None in grad_output
    out[2].sum().backward()  # a unused: zeros in grad_input, as PyTorch's identity gives
    m(c, 1.0, b)[2].sum().backward()  # c needs no grad: zeros all the same
    log.append(("grads", _plain(a.grad), _plain(b.grad)))
    return log


def _nested(lib: Any) -> list[Any]:
    lib.manual_seed(0)
    log: list[Any] = []

    class Net(lib.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1 = _hooked(lib.nn.Linear(2, 3), log, "fc1")
            self.act = _hooked(lib.nn.Tanh(), log, "act")
            self.fc2 = _hooked(lib.nn.Linear(3, 1), log, "fc2")

        def forward(self, x: Any) -> Any:
            return self.fc2(self.act(self.fc1(x)))

    net = _hooked(Net().double(), log, "net")
    for p in net.parameters():
        with lib.no_grad():
            p.copy_(lib.arange(p.numel(), dtype=lib.float64).reshape(p.shape) / 10 - 0.2)
    x = lib.tensor([[0.5, -1.0], [1.0, 2.0]], dtype=lib.float64, requires_grad=True)
    net(x).sum().backward()
    return log


@pytest.mark.parametrize("program", [_linear, _two_inputs, _nested])
def test_hook_arguments_and_order_match_pytorch(program: Callable[[Any], list[Any]]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's "no inputs require gradients" warning
        assert program(tp) == program(torch)


def _replaced(lib: Any) -> list[Any]:
    """A pre-hook doubling grad_output, a post-hook replacing grad_input (None for the number),
    ``prepend``, and the handle's removal."""
    log: list[Any] = []
    m = _two_inputs_module(lib)
    m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 2, go[1], go[2]))
    m.register_full_backward_hook(lambda mod, gi, go: log.append(("second", _plain(gi))))
    h = m.register_full_backward_hook(
        lambda mod, gi, go: (gi[0] + 100, None, gi[2] * -1), prepend=True
    )
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = lib.tensor([3.0, -1.0], requires_grad=True)
    m(a, 2.0, b)[0].sum().backward()
    log.append(("grads", _plain(a.grad), _plain(b.grad)))
    h.remove()
    a.grad = b.grad = None
    m(a, 2.0, b)[0].sum().backward()
    log.append(("after remove", _plain(a.grad), _plain(b.grad)))
    return log


def _globals(lib: Any) -> list[Any]:
    log: list[Any] = []
    mm = lib.nn.modules.module
    handles = [
        mm.register_module_full_backward_hook(
            lambda m, gi, go: log.append(("global post", type(m).__name__, _plain(gi)))
        ),
        mm.register_module_full_backward_pre_hook(
            lambda m, go: log.append(("global pre", type(m).__name__, _plain(go)))
        ),
        mm.register_module_forward_pre_hook(
            lambda m, args: log.append(("global fwd pre", type(m).__name__))
        ),
        mm.register_module_forward_hook(
            lambda m, args, kw, out: log.append(("global fwd", type(m).__name__, sorted(kw))),
            with_kwargs=True,
        ),
    ]
    try:
        relu = lib.nn.ReLU()
        relu.register_full_backward_hook(lambda m, gi, go: log.append(("own post",)))
        relu.register_forward_hook(lambda m, args, out: log.append(("own fwd",)))
        x = lib.tensor([-1.0, 2.0], requires_grad=True)
        relu(x).sum().backward()
    finally:
        for h in handles:
            h.remove()
    relu(x).sum().backward()  # the globals are gone
    return log


@pytest.mark.parametrize("program", [_replaced, _globals])
def test_replacements_prepend_and_globals_match_pytorch(program: Callable[..., Any]) -> None:
    assert program(tp) == program(torch)


def _errors(lib: Any) -> list[str]:
    msgs = []
    for kind in ("pre", "post"):
        m = _two_inputs_module(lib)
        if kind == "pre":
            m.register_full_backward_pre_hook(lambda mod, go: (go[0],))
        else:
            m.register_full_backward_hook(lambda mod, gi, go: (gi[0],))
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError) as e:
            m(a, 2.0, a)[0].sum().backward()
        msgs.append(str(e.value))
    lin = lib.nn.Linear(2, 1)
    lin.register_full_backward_hook(lambda mod, gi, go: (lib.ones(1, 2),))
    with pytest.raises(RuntimeError) as e, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lin(lib.ones(1, 2)).sum().backward()
    msgs.append(str(e.value))
    return msgs


def test_errors_match_pytorch() -> None:
    assert _errors(tp) == _errors(torch)


def test_no_input_requiring_grad_warns_as_pytorch() -> None:
    lin = tp.nn.Linear(2, 1)
    lin.register_full_backward_hook(lambda mod, gi, go: None)
    with pytest.warns(UserWarning, match="no inputs require gradients"):
        lin(tp.ones(1, 2)).sum().backward()


def test_non_tensor_output_warns_and_hooks_stay_silent() -> None:
    class Dict(tp.nn.Module):
        def forward(self, x: Any) -> Any:
            return {"y": x * 2}

    m = Dict()
    seen: list[Any] = []
    m.register_full_backward_hook(lambda mod, gi, go: seen.append(gi))
    x = tp.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="module output should be a Tensor or a tuple"):
        out = m(x)
    out["y"].sum().backward()
    assert seen == [] and x.grad.tolist() == [2.0, 2.0]


def test_double_backward_through_a_hooked_module() -> None:
    """``create_graph=True``: the hooks see tensors with a graph, and the second backward
    (which reaches the inputs without passing the outputs) calls no hook, as PyTorch."""
    results = []
    for lib in (tp, torch):
        calls: list[Any] = []
        m = lib.nn.Tanh()
        m.register_full_backward_hook(lambda mod, gi, go, calls=calls: calls.append(_plain(gi)))
        x = lib.tensor([0.5, -1.0], dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad(m(x).sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x)
        results.append((calls, _plain(g), _plain(gg)))
    assert results[0] == results[1]


def test_no_hooks_no_wrapping() -> None:
    """Without backward hooks the module's outputs are its forward's (no identity nodes)."""
    lin = tp.nn.Linear(2, 1)
    y = lin(tp.ones(1, 2))
    assert y.grad_fn.name() == "AddmmBackward0"
    h = lin.register_full_backward_hook(lambda mod, gi, go: None)
    assert lin(tp.ones(1, 2, requires_grad=True)).grad_fn.name() == "BackwardHookFunctionBackward"
    h.remove()
    assert lin(tp.ones(1, 2)).grad_fn.name() == "AddmmBackward0"


def _legacy(lib: Any) -> list[Any]:
    """The deprecated ``register_backward_hook``: the first output's node's gradients, PyTorch's
    warning, and the refusal to mix it with full hooks."""
    lin = lib.nn.Linear(2, 3).double()
    with lib.no_grad():
        lin.weight.copy_(lib.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
    seen: list[Any] = []
    lin.register_backward_hook(lambda m, gi, go: seen.append((_plain(gi[1]), _plain(go))))
    x = lib.tensor([[1.0, 2.0]], dtype=lib.float64, requires_grad=True)
    with pytest.warns(FutureWarning, match="forward contains multiple autograd Nodes"):
        y = lin(x)
    (y * 2).sum().backward()
    with pytest.raises(RuntimeError) as e:
        lin.register_full_backward_hook(lambda *a: None)
    return [seen, str(e.value)]


def test_legacy_backward_hook_matches_pytorch() -> None:
    assert _legacy(tp) == _legacy(torch)
