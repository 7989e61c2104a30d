"""The backward engine: accumulation, retain_grad, hooks, autograd.grad, higher order,
backward(inputs=), freeing the graph, the order nodes run in, gradient dtypes and deep graphs.

Grad mode, custom Functions, in-place ops and version counters have files of their own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tensorplug as tp


def t64(data: Any, requires_grad: bool = True) -> tp.Tensor:
    return tp.tensor(data, dtype=tp.float64, requires_grad=requires_grad)


# -- accumulation and retain_grad -----------------------------------------------------------


def test_grad_accumulates_until_zeroed() -> None:
    x = t64([1.0, 2.0])
    (x * 3).sum().backward()
    (x * x).sum().backward()
    assert x.grad.tolist() == [3.0 + 2.0, 3.0 + 4.0]
    x.grad.zero_()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    x.grad = None
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_grad_is_a_fresh_tensor_not_aliasing_the_upstream_gradient() -> None:
    x = t64([1.0, 2.0])
    g = t64([1.0, 1.0], requires_grad=False)
    (x + 0).backward(g)
    x.grad.add_(5)
    assert g.tolist() == [1.0, 1.0]


def test_leaf_used_twice_gets_both_contributions() -> None:
    x = t64(3.0)
    (x * x + x).backward()
    assert x.grad.item() == 7.0


def test_non_leaf_grad_is_none_unless_retained() -> None:
    x = t64([1.0, 2.0])
    y = x * 2
    z = y * y
    y.retain_grad()
    assert y.retains_grad and not z.retains_grad
    z.sum().backward()
    assert y.grad.tolist() == [4.0, 8.0]
    assert z.grad is None
    assert x.grad.tolist() == [8.0, 16.0]


def test_retain_grad_accumulates_over_backwards() -> None:
    x = t64([1.0])
    y = x * 2
    y.retain_grad()
    (y * 3).sum().backward(retain_graph=True)
    (y * 3).sum().backward()
    assert y.grad.tolist() == [6.0]


# -- hooks -----------------------------------------------------------------------------------


def test_tensor_hook_sees_and_replaces_gradient() -> None:
    x = t64([1.0, 2.0])
    y = x * 2
    seen = []

    def hook(g: tp.Tensor) -> tp.Tensor:
        seen.append(g.tolist())
        return g * 10

    y.register_hook(hook)
    (y * 3).sum().backward()
    assert seen == [[3.0, 3.0]]
    assert x.grad.tolist() == [60.0, 60.0]


def test_leaf_hook_replaces_what_is_accumulated_and_can_be_removed() -> None:
    x = t64([1.0, 2.0])
    calls = []
    handle = x.register_hook(lambda g: calls.append(g.tolist()) or g * 0 + 1)
    (x * 5).sum().backward()
    assert calls == [[5.0, 5.0]]
    assert x.grad.tolist() == [1.0, 1.0]
    handle.remove()
    (x * 5).sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]
    assert len(calls) == 1


def test_hook_returning_none_keeps_gradient() -> None:
    x = t64([1.0])
    x.register_hook(lambda g: None)
    (x * 4).sum().backward()
    assert x.grad.tolist() == [4.0]


def test_register_hook_needs_requires_grad() -> None:
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        tp.ones(2).register_hook(lambda g: g)


def test_node_hooks_get_tuples_of_tensors() -> None:
    x = t64([1.0, 2.0])
    c = t64([3.0, 4.0], requires_grad=False)
    y = x * c
    pre, post = [], []

    def prehook(grad_outputs: Any) -> Any:
        pre.append(grad_outputs)

    def posthook(grad_inputs: Any, grad_outputs: Any) -> None:
        post.append((grad_inputs, grad_outputs))

    y.grad_fn.register_prehook(prehook)
    y.grad_fn.register_hook(posthook)
    y.sum().backward()
    ((g_out,),) = pre
    assert isinstance(g_out, tp.Tensor) and g_out.tolist() == [1.0, 1.0]
    ((g_x, g_c), (g_y,)) = post[0]
    assert g_x.tolist() == [3.0, 4.0] and g_c is None
    assert g_y.tolist() == [1.0, 1.0]
    assert x.grad.tolist() == [3.0, 4.0]


def test_node_prehook_replaces_gradient() -> None:
    x = t64([1.0, 2.0])
    y = x * 2
    handle = y.grad_fn.register_prehook(lambda gs: (gs[0] * 10,))
    y.sum().backward(retain_graph=True)
    assert x.grad.tolist() == [20.0, 20.0]
    handle.remove()
    x.grad = None
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_accumulate_grad_node_hook() -> None:
    x = t64([1.0])
    seen = []
    acc = (x * 1).grad_fn.next_functions[0][0]
    acc.register_hook(lambda gi, go: seen.append((gi, go[0].tolist())))
    (x * 3).sum().backward()
    assert seen == [((), [3.0])]


def test_hooks_match_torch() -> None:
    torch = pytest.importorskip("torch")
    out = {}
    for lib in (torch, tp):
        x = lib.tensor([1.0, -2.0, 3.0], dtype=lib.float64, requires_grad=True)
        y = x.exp()
        y.register_hook(lambda g: g * 2)
        x.register_hook(lambda g: g + 1)
        z = (y * x).sum()
        z.backward()
        out[lib.__name__] = x.grad.detach().numpy().copy()
    np.testing.assert_allclose(out["tensorplug"], out["torch"], rtol=1e-12)


def test_a_leafs_hooks_run_for_autograd_grad_too() -> None:
    """As in PyTorch, a leaf's hook sees (and may replace) its gradient whether backward
    accumulates it or ``autograd.grad`` returns it, double backward included."""
    x = t64([1.0, 2.0])
    calls = []
    x.register_hook(lambda g: calls.append(g.tolist()) or g * 2)
    (gx,) = tp.autograd.grad((x * x).sum(), [x], create_graph=True)
    assert calls == [[2.0, 4.0]] and gx.tolist() == [4.0, 8.0]
    (ggx,) = tp.autograd.grad(gx.sum(), [x])
    assert ggx.tolist() == [8.0, 8.0]  # 4 from 4x, times 2 by the hook


def test_a_gradient_a_hook_kept_is_not_changed_by_later_accumulation() -> None:
    x = t64([0.5])
    seen = []
    x.register_hook(seen.append)
    loss = x.sum()
    loss.backward(create_graph=True)
    loss.backward()
    assert [g.tolist() for g in seen] == [[1.0], [1.0]] and x.grad.tolist() == [2.0]


def test_grad_from_a_create_graph_pass_is_added_to_in_place_keeping_its_graph() -> None:
    x = t64([2.0])
    loss = (x * x).sum()
    loss.backward(create_graph=True)
    first = x.grad
    loss.backward()
    assert x.grad is first and first.requires_grad and first.tolist() == [8.0]


def test_retained_gradient_under_create_graph_is_a_copy() -> None:
    x = t64([1.0])
    y = x * 3
    y.retain_grad()
    seen = []
    y.register_hook(seen.append)
    y.sum().backward(create_graph=True)
    assert y.grad is not seen[0] and y.grad.tolist() == [1.0]


def test_a_leaf_detached_in_place_after_use_gets_no_gradient() -> None:
    x = t64([1.0, 2.0])
    y = (x * x).sum()
    x.detach_()
    y.backward()
    assert x.grad is None


# -- autograd.grad and higher order ------------------------------------------------------------


def test_grad_returns_without_accumulating() -> None:
    x = t64([1.0, 2.0])
    y = t64([3.0, 4.0])
    gx, gy = tp.autograd.grad((x * y).sum(), [x, y])
    assert gx.tolist() == [3.0, 4.0] and gy.tolist() == [1.0, 2.0]
    assert x.grad is None and y.grad is None
    assert not gx.requires_grad


def test_grad_allow_unused() -> None:
    x, unused = t64(1.0), t64(2.0)
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        tp.autograd.grad(x * 2, [x, unused])
    gx, gu = tp.autograd.grad(x * 2, [x, unused], allow_unused=True)
    assert gx.item() == 2.0 and gu is None


def test_grad_with_grad_outputs() -> None:
    x = t64([1.0, 2.0])
    (g,) = tp.autograd.grad(x * x, x, grad_outputs=t64([1.0, 10.0], False))
    assert g.tolist() == [2.0, 40.0]


def test_third_derivative_of_cube() -> None:
    x = t64(2.0)
    (g1,) = tp.autograd.grad(x**3, x, create_graph=True)
    (g2,) = tp.autograd.grad(g1, x, create_graph=True)
    (g3,) = tp.autograd.grad(g2, x)
    assert (g1.item(), g2.item(), g3.item()) == (12.0, 12.0, 6.0)
    assert g1.requires_grad and g2.requires_grad


def test_backward_create_graph_then_backward_again() -> None:
    x = t64(3.0)
    y = x**3
    y.backward(create_graph=True)
    g = x.grad
    assert g.requires_grad and g.item() == 27.0
    x.grad = None
    g.backward()
    assert x.grad.item() == 18.0


GRADGRAD = [
    ("exp", lambda lib, x: x.exp()),
    ("log", lambda lib, x: (x * x + 1).log()),
    ("sin_cos", lambda lib, x: x.sin() * x.cos()),
    ("tanh", lambda lib, x: x.tanh()),
    ("sigmoid", lambda lib, x: x.sigmoid()),
    ("sqrt_rsqrt", lambda lib, x: (x * x + 1).sqrt() + (x * x + 2).rsqrt()),
    ("div_pow", lambda lib, x: x / (x * x + 1) + x.pow(3) + (x * x + 1) ** x),
    ("reciprocal", lambda lib, x: (x * x + 1).reciprocal()),
    ("mean_var_std", lambda lib, x: x.var() + x.std(0) + x.mean()),
    ("prod", lambda lib, x: x.prod(1)),
    ("softmax", lambda lib, x: lib.nn.functional.softmax(x, 1)),
    ("log_softmax", lambda lib, x: lib.nn.functional.log_softmax(x, 0)),
    ("logsumexp", lambda lib, x: x.logsumexp(1)),
    ("norm", lambda lib, x: x.norm() + x.norm(p=3, dim=1)),
    ("matmul", lambda lib, x: x @ x.t() @ x),
    ("max_amax", lambda lib, x: x.max(1).values * x.amax(0).sum()),
    ("indexing", lambda lib, x: x[1] * x[:, 0].sum() + x[lib.tensor([0, 0, 2])].sum()),
    ("cat_stack", lambda lib, x: lib.cat([x, x * x]).sum(0) * lib.stack([x, x]).prod(0)),
    ("mse", lambda lib, x: lib.nn.functional.mse_loss(x * x, x.exp())),
    ("cross_entropy", lambda lib, x: lib.nn.functional.cross_entropy(x * x, lib.tensor([0, 1, 2]))),
    ("where_clamp_abs", lambda lib, x: lib.where(x > 0, x * x, x.abs() ** 3).clamp(-5, 5)),
    ("broadcast", lambda lib, x: (x * x.sum(0, keepdim=True) + x[0]) / (x[:, :1] ** 2 + 1)),
    ("relu_sub_neg", lambda lib, x: (x * x).relu() - (-x) ** 2 - (1 - x) ** 3),
    ("rpow_log1p_expm1", lambda lib, x: 2**x + (x * x).log1p() * x.expm1()),
    ("square_minmax", lambda lib, x: lib.maximum(x.square(), x) * lib.minimum(x, x**3)),
    ("clamp_min_max", lambda lib, x: (x**3).clamp_min(-0.5) + (x**2).clamp_max(0.7) * x),
    ("split_chunk", lambda lib, x: x.split([1, 2], 1)[1] ** 2 + x.chunk(3, 0)[2].sum() * x[:, 1:]),
    (
        "shapes",
        lambda lib, x: (
            (x.t().reshape(9) ** 2)
            .view(3, 3)
            .permute(1, 0)
            .unsqueeze(0)
            .expand(2, 3, 3)
            .transpose(1, 2)
            * x
        ),
    ),
    ("min_amin_norm_inf", lambda lib, x: x.min(0).values * (x**2).amin(1) + x.norm(float("inf"))),
    (
        "bmm_dot",
        lambda lib, x: lib.bmm(x.unsqueeze(0), (x * x).unsqueeze(0)).sum() * lib.dot(x[0], x[1]),
    ),
    ("linear", lambda lib, x: lib.nn.functional.linear(x, x * x, x[0]).tanh()),
    ("mean_dims", lambda lib, x: (x**3).mean(1, keepdim=True) * x.mean((0, 1))),
    ("cat_dim1", lambda lib, x: lib.cat([x**2, x[:, :1] * x[:, 2:]], 1).exp()),
    ("abs_sign", lambda lib, x: x.abs() ** 3 + x.sign() * x**2),
]


@pytest.mark.parametrize(("name", "fn"), GRADGRAD, ids=[g[0] for g in GRADGRAD])
def test_second_derivative_matches_torch(name: str, fn: Any) -> None:
    """grad of (grad . v) for each op, vs PyTorch's double backward."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    data = rng.uniform(0.2, 1.5, size=(3, 3)) * rng.choice([-1, 1], size=(3, 3))
    results = {}
    for lib in (torch, tp):
        x = lib.tensor(data, dtype=lib.float64, requires_grad=True)
        out = fn(lib, x)
        weights = np.random.default_rng(6).normal(size=tuple(out.shape))
        w = lib.tensor(weights, dtype=lib.float64)
        (g,) = lib.autograd.grad((out * w).sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), x)
        results[lib.__name__] = (g.detach().numpy().copy(), gg.detach().numpy().copy())
    np.testing.assert_allclose(results["tensorplug"][0], results["torch"][0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(results["tensorplug"][1], results["torch"][1], rtol=1e-9, atol=1e-12)


def test_backward_inputs_only_fills_those() -> None:
    a, b = t64([1.0]), t64([2.0])
    (a * b).sum().backward(inputs=[a])
    assert a.grad.tolist() == [2.0]
    assert b.grad is None
    c = a * 3
    (c * b).sum().backward(inputs=[c])
    assert c.grad.tolist() == [2.0]
    assert a.grad.tolist() == [2.0]
    with pytest.raises(RuntimeError, match="cannot be empty"):
        (a * b).sum().backward(inputs=[])


def test_backward_with_gradient_argument() -> None:
    x = t64([1.0, 2.0, 3.0])
    (x * x).backward(gradient=t64([1.0, 0.0, -1.0], False))
    assert x.grad.tolist() == [2.0, 0.0, -6.0]


def test_backward_on_leaf() -> None:
    x = t64([1.0, 2.0])
    x.backward(t64([3.0, 4.0], False))
    assert x.grad.tolist() == [3.0, 4.0]


# -- freeing the graph -----------------------------------------------------------------------


def test_second_backward_raises_unless_retain_graph() -> None:
    x = t64([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_second_backward() -> None:
    x = t64([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.tolist()
    y.backward()
    np.testing.assert_allclose(x.grad.tolist(), [2 * v for v in first])


def test_grad_frees_graph_too() -> None:
    x = t64(2.0)
    y = x * x
    tp.autograd.grad(y, x)
    with pytest.raises(RuntimeError, match="second time"):
        tp.autograd.grad(y, x)


# -- deep graphs -----------------------------------------------------------------------------


def test_hundred_thousand_op_chain() -> None:
    x = tp.tensor(1.0, dtype=tp.float64, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0


def test_deep_graph_is_freed_without_recursion() -> None:
    import gc

    x = tp.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 0.0
    del y
    gc.collect()


def _hook_errors(lib: Any, hook: Any, on_leaf: bool) -> str:
    x = lib.ones(3, requires_grad=True)
    y = x * 2
    (x if on_leaf else y).register_hook(hook)
    try:
        (y * 3).sum().backward()
    except RuntimeError as e:
        return str(e)
    return ""


def _to_double(g: Any) -> Any:
    return g.double()


@pytest.mark.parametrize("on_leaf", [False, True])
def test_a_hook_may_not_change_the_gradients_dtype_or_size(on_leaf: bool) -> None:
    msg = _hook_errors(tp, _to_double, on_leaf)
    assert "hook '_to_double' has changed the type of value" in msg and "float64" in msg
    msg = _hook_errors(tp, lambda g: g[:2], on_leaf)
    assert "hook '<lambda>' has changed the size of value (was [3] got [2])" in msg
    assert _hook_errors(tp, lambda g: g * 2, on_leaf) == ""  # same dtype and size: fine


def test_hook_checks_match_torch() -> None:
    torch = pytest.importorskip("torch")
    for hook in (_to_double, lambda g: g[:2]):
        for on_leaf in (False, True):
            ours, theirs = _hook_errors(tp, hook, on_leaf), _hook_errors(torch, hook, on_leaf)
            assert bool(ours) == bool(theirs)
            assert ours.split(" value")[0] == theirs.split(" value")[0]


@pytest.mark.parametrize("lib_name", ["tensorplug", "torch"])
def test_a_root_gradient_of_another_dtype_gives_the_inputs_dtype(lib_name: str) -> None:
    lib = tp if lib_name == "tensorplug" else pytest.importorskip("torch")
    x = lib.ones(3, requires_grad=True)
    y = x * 2  # a pointwise node whose gradients the engine does not re-check
    y.backward(lib.full((3,), 0.5, dtype=lib.float64))
    assert x.grad.dtype == lib.float32
    assert x.grad.tolist() == [1.0, 1.0, 1.0]


def test_only_pointwise_nodes_with_one_dtype_skip_the_gradient_dtype_check() -> None:
    from tensorplug._graph import OutDtype

    x = tp.ones(2, 2, requires_grad=True)
    assert (x * 2).grad_fn.dtype.__class__ is OutDtype
    assert (x + x).tanh().grad_fn.dtype.__class__ is OutDtype
    for y in (
        x + tp.ones(2, 2, dtype=tp.float64),  # promoted
        x + tp.ones(2),  # broadcast
        x.to(tp.float64) * 1,  # a cast, then ...
        x.to(tp.float64),  # ... the cast itself
        x.sum(),
        x ** np.float64(2.5),  # a NumPy scalar is not weak: the result is float64
    ):
        node = y.grad_fn
        if node.dtype.__class__ is OutDtype:
            assert all(d is None or d == y._data.dtype for d in node.dtype)
        y.sum().backward()
        assert x.grad.dtype == tp.float32
        x.grad = None


def _run_order(lib: Any, program: Callable[[Any], Any]) -> list[str]:
    """The names of the nodes in the order their backward ran (leaf nodes left out)."""
    order: list[str] = []
    loss = program(lib)
    seen: set[Any] = set()
    stack = [loss.grad_fn]
    while stack:
        n = stack.pop()
        if n is None or n in seen:
            continue
        seen.add(n)
        n.register_hook(lambda gi, go, n=n: order.append(n.name()))
        stack.extend(f for f, _ in n.next_functions)
    loss.backward()
    return [name for name in order if not name.endswith("AccumulateGrad")]


def _branches(lib: Any) -> Any:
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    f, g, h = x.exp(), x.sin(), (x * 3).cos()
    return (g + f + h).sum()


def _diamond(lib: Any) -> Any:
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    w = lib.tensor([0.5, -1.0], requires_grad=True)
    a = x * w
    d = (a.exp() + a.sin()) * x
    return (d.tanh() + a).sum()


def test_nodes_run_newest_first() -> None:
    # Each node runs once every node made after it that feeds it has run: here, the branches
    # in reverse order of creation (cos, then sin, then exp), as PyTorch runs them.
    assert _run_order(tp, _branches) == [
        "SumBackward0", "AddBackward0", "AddBackward0", "CosBackward0", "MulBackward0",
        "SinBackward0", "ExpBackward0",
    ]  # fmt: skip


@pytest.mark.parametrize("program", [_branches, _diamond], ids=["branches", "diamond"])
def test_node_order_matches_torch(program: Callable[[Any], Any]) -> None:
    torch = pytest.importorskip("torch")
    assert _run_order(tp, program) == _run_order(torch, program)


def test_a_reassigned_backward_takes_effect_in_subclasses_and_is_undone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The engine reads a node class's (plan, backward, backward_owned) as one cached tuple;
    # reassigning or deleting any of them must refresh it, for subclasses too.
    from tensorplug import _ops_reduce as R

    seen = []
    original = R.SumBackward0.backward

    def spy(ctx: Any, ops: Any, g: Any) -> Any:
        seen.append(type(ctx).__name__)
        return original(ctx, ops, g)

    x = tp.ones(2, 3, requires_grad=True)
    monkeypatch.setattr(R.SumBackward0, "backward", staticmethod(spy))
    x.sum(0).sum().backward()  # SumBackward1 (a dim) inherits SumBackward0's backward
    assert seen == ["SumBackward0", "SumBackward1"]
    monkeypatch.undo()
    x.sum(0).sum().backward()
    assert len(seen) == 2
    assert R.SumBackward1._spec.backward is original
    monkeypatch.setattr(R.SumBackward1, "backward", staticmethod(spy))  # not in its own dict:
    monkeypatch.undo()  # the undo deletes it again
    assert R.SumBackward1._spec.backward is original
    assert x.grad is not None and x.grad.tolist() == [[2.0] * 3] * 2
