"""The autograd graph's structure: the seed article's tour, and node names and edges compared
with what PyTorch builds for the same programs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tensorplug as tp


def _seed(lib: Any) -> dict[str, Any]:
    """The seed article's program, written once for PyTorch and tensorplug."""
    x1 = lib.ones(2, 2, requires_grad=True)
    x2 = lib.tensor(1.1, requires_grad=True)
    y = x1 * (x2 + 2)
    z = y.pow(2) * 3
    out = z.mean()
    y.retain_grad()
    z.retain_grad()
    return {"x1": x1, "x2": x2, "y": y, "z": z, "out": out}


def test_seed_tour_nodes_and_edges() -> None:
    s = _seed(tp)
    mean = s["out"].grad_fn
    assert mean.name() == "MeanBackward0"
    assert len(mean.next_functions) == 1
    mul_z, idx = mean.next_functions[0]
    assert (mul_z.name(), idx) == ("MulBackward0", 0)
    # z = y.pow(2) * 3: the constant 3 is the (None, 0) edge
    (pow_, i0), (none, i1) = mul_z.next_functions
    assert (pow_.name(), i0, none, i1) == ("PowBackward0", 0, None, 0)
    assert s["z"].grad_fn is mul_z
    ((mul_y, _),) = pow_.next_functions
    assert mul_y.name() == "MulBackward0"
    assert s["y"].grad_fn is mul_y
    (acc1, _), (add, _) = mul_y.next_functions
    assert acc1.name() == "AccumulateGrad"
    assert acc1.variable is s["x1"]
    assert add.name() == "AddBackward0"
    (acc2, _), (none2, _) = add.next_functions
    assert acc2.name() == "AccumulateGrad"
    assert acc2.variable is s["x2"]
    assert none2 is None
    assert acc1.next_functions == () and acc2.next_functions == ()
    # one AccumulateGrad per leaf, reused by every op that reads it
    assert (s["x1"] * 1).grad_fn.next_functions[0][0] is acc1
    assert s["x1"].is_leaf and not s["y"].is_leaf
    assert s["x1"].grad_fn is None


def test_seed_tour_values_and_gradients() -> None:
    s = _seed(tp)
    assert repr(s["out"]) == "tensor(28.8300, grad_fn=<MeanBackward0>)"
    s["out"].backward()
    np.testing.assert_allclose(s["z"].grad.numpy(), np.full((2, 2), 0.25), rtol=1e-6)
    np.testing.assert_allclose(s["y"].grad.numpy(), np.full((2, 2), 4.65), rtol=1e-6)
    np.testing.assert_allclose(s["x2"].grad.numpy(), 18.6, rtol=1e-6)
    np.testing.assert_allclose(s["x1"].grad.numpy(), np.full((2, 2), 14.415), rtol=1e-6)
    assert s["x2"].grad.shape == ()
    assert s["x1"].grad.dtype is tp.float32
    assert s["x1"].grad.grad_fn is None and not s["x1"].grad.requires_grad


def test_seed_mean_first_look() -> None:
    x = tp.ones(2, 2, requires_grad=True)
    y = x.mean()
    assert y.grad_fn.name() == "MeanBackward0"
    y.backward()
    assert repr(x.grad) == "tensor([[0.2500, 0.2500],\n        [0.2500, 0.2500]])"


# -- structure compared with PyTorch ------------------------------------------------------


def _structure(fn: Any, leaves: dict[int, str]) -> Any:
    """The graph below ``fn`` as nested tuples of (name, index, children); iterative."""
    if fn is None:
        return None
    result: list[Any] = []
    stack: list[tuple[Any, int, list[Any]]] = [(fn, 0, result)]
    while stack:
        node, index, out = stack.pop()
        if node is None:
            out.append(None)
            continue
        children: list[Any] = []
        label = node.name().rsplit("::", 1)[-1]  # torch::autograd::AccumulateGrad
        if label == "AccumulateGrad":
            label += ":" + leaves[id(node.variable)]
        out.append((label, index, children))
        for nxt, i in reversed(node.next_functions):
            stack.append((nxt, i, children))
    return _freeze(result[0])


def _freeze(x: Any) -> Any:
    if isinstance(x, (list, tuple)):
        return tuple(_freeze(v) for v in x)
    return x


def _two_layer(lib: Any, x: Any, w1: Any, w2: Any, y: Any) -> Any:
    return (x.mm(w1).clamp(min=0).mm(w2) - y).pow(2).sum()


def _mixed(lib: Any, a: Any, b: Any) -> Any:
    return (a.exp() + a.sin() * b - b / 2).mean(1).sum()


def _losses(lib: Any, a: Any, b: Any) -> Any:
    f = lib.nn.functional
    return f.cross_entropy(a @ b.t(), lib.tensor([0, 2, 1])) + f.mse_loss(a.tanh(), b.sigmoid())


def _shapes(lib: Any, a: Any, b: Any) -> Any:
    c = lib.cat([a, b]).relu()
    return (c.view(-1).unsqueeze(0).expand(3, -1).softmax(1).log() ** 2).std() + c[:, 0].max()


def _inplace(lib: Any, a: Any, b: Any) -> Any:
    y = a * 2
    y.add_(1)
    y.mul_(b)
    return y.norm()


def _reductions(lib: Any, a: Any, b: Any) -> Any:
    return a.sum(0).prod() + lib.amax(b, dim=1).logsumexp(0) + a.var(1).mean() + (-b).abs().min()


def _leaf_twice(lib: Any, a: Any, b: Any) -> Any:
    return (a * a + a.t().matmul(b).sum() + lib.where(a > 0, a, b)).sum()


def _linear(lib: Any, x: Any, w1: Any, b1: Any, w2: Any) -> Any:
    f = lib.nn.functional
    h = f.linear(x, w1, b1).relu()  # AddmmBackward0: (bias, input, TBackward0 of weight)
    return (f.linear(h, w2) + lib.addmm(b1[:2], x, w1[:2].t(), beta=2.0, alpha=0.5)).sum()


PROGRAMS: list[tuple[str, Callable[..., Any], list[tuple[int, ...]]]] = [
    ("linear", _linear, [(4, 3), (5, 3), (5,), (2, 5)]),
    ("two_layer", _two_layer, [(4, 3), (3, 5), (5, 2), (4, 2)]),
    ("mixed", _mixed, [(3, 3), (3, 3)]),
    ("losses", _losses, [(3, 3), (3, 3)]),
    ("shapes", _shapes, [(3, 3), (3, 3)]),
    ("inplace", _inplace, [(3, 3), (3, 3)]),
    ("reductions", _reductions, [(3, 3), (3, 3)]),
    ("leaf_twice", _leaf_twice, [(3, 3), (3, 3)]),
]


@pytest.mark.parametrize(("name", "program", "shapes"), PROGRAMS, ids=[p[0] for p in PROGRAMS])
def test_graph_matches_torch(name: str, program: Callable[..., Any], shapes: list[Any]) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=s) for s in shapes]
    results = {}
    for lib in (torch, tp):
        leaves = [lib.tensor(a, dtype=lib.float64, requires_grad=True) for a in arrays]
        out = program(lib, *leaves)
        names = {id(t): f"leaf{i}" for i, t in enumerate(leaves)}
        results[lib.__name__] = (_structure(out.grad_fn, names), out.item())
    assert results["tensorplug"][0] == results["torch"][0]
    np.testing.assert_allclose(results["tensorplug"][1], results["torch"][1], rtol=1e-10)


def test_seed_graph_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    graphs = []
    for lib in (torch, tp):
        s = _seed(lib)
        names = {id(s["x1"]): "x1", id(s["x2"]): "x2"}
        graphs.append(_structure(s["out"].grad_fn, names))
        assert repr(s["out"]) == "tensor(28.8300, grad_fn=<MeanBackward0>)"
    assert graphs[0] == graphs[1]


def test_no_graph_without_grad() -> None:
    a = tp.ones(3)
    b = a * 2 + 1
    assert b.grad_fn is None and not b.requires_grad
    w = tp.ones(3, requires_grad=True)
    with tp.no_grad():
        c = w * 2
    assert c.grad_fn is None and not c.requires_grad and c.is_leaf


def test_broadcast_adds_no_extra_nodes() -> None:
    a = tp.ones(3, 1, requires_grad=True)
    b = tp.ones(4, requires_grad=True)
    out = a + b
    assert [n.name() for n, _ in out.grad_fn.next_functions] == ["AccumulateGrad"] * 2
    out.sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (4,)
    assert a.grad.tolist() == [[4.0]] * 3 and b.grad.tolist() == [3.0] * 4


def test_nodes_carry_their_op_class_and_take_no_attributes_of_the_users() -> None:
    # Like PyTorch's, a node refuses an unknown attribute, in or out of anomaly mode.
    import contextlib

    x = tp.ones(2, 2, requires_grad=True)
    for mode in (False, True):
        with tp.autograd.detect_anomaly() if mode else contextlib.nullcontext():
            outs = [x * 2, x + x, x.tanh(), x**2, x.clamp(0, 1), -x, x.sum(), x / 3]
        for out in outs:
            node = out.grad_fn
            assert isinstance(node, tp.autograd.Node)
            assert node.name() == type(node).__name__
            assert (node.trace is not None) is mode
            with pytest.raises(AttributeError, match=type(node).__name__):
                node.foo = 1  # type: ignore[union-attr]
        assert [type(o.grad_fn).__name__ for o in outs[:4]] == [
            "MulBackward0", "AddBackward0", "TanhBackward0", "PowBackward0"
        ]  # fmt: skip
