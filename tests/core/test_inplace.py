"""In-place ops (``_inplace.py``): on tensors in the graph (recorded and rebased), on leaves
(refused outside ``no_grad``), through views (``CopySlices`` on the base), under ``no_grad``
(the history stays), and views sharing memory with their base; against PyTorch where it
defines the behaviour. How a change is caught by the saved-value checks:
``test_version_counter.py``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorplug as tp


def t64(data: Any, requires_grad: bool = True) -> tp.Tensor:
    return tp.tensor(data, dtype=tp.float64, requires_grad=requires_grad)


def test_views_share_memory_and_version() -> None:
    x = tp.zeros(2, 3)
    v = x[0]
    v.add_(1)
    assert x.tolist() == [[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]
    r = x.reshape(6)
    r[5] = 9.0
    assert x[1, 2].item() == 9.0
    x.t()[0, 1] = 5.0
    assert x[1, 0].item() == 5.0
    e = x[0, 1]  # a single element is a 0-d view too
    assert e.shape == ()
    e.add_(1)
    x[1][2].mul_(2)
    assert x.tolist() == [[1.0, 2.0, 1.0], [5.0, 0.0, 18.0]]


def test_inplace_on_leaf_requiring_grad_is_refused() -> None:
    x = t64([1.0])
    for op in (
        lambda: x.add_(1),
        lambda: x.mul_(2),
        lambda: x.zero_(),
        lambda: x.fill_(1.0),
        lambda: x.copy_(tp.ones(1, dtype=tp.float64)),
        lambda: x.clamp_(0, 1),
    ):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            op()
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x[0] = 2.0
    assert x.tolist() == [1.0]
    with tp.no_grad():
        x.add_(1)
        x[0] += 1
    assert x.tolist() == [3.0]
    assert x.is_leaf and x.requires_grad


def test_inplace_chain_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    res = {}
    for lib in (torch, tp):
        x = lib.tensor([0.5, -1.5, 2.0], dtype=lib.float64, requires_grad=True)
        b = lib.tensor([1.0, 2.0, -3.0], dtype=lib.float64, requires_grad=True)
        y = x * 2
        y.add_(1)
        y.mul_(x)
        y.sub_(b)
        y.div_(b)
        y.clamp_(-3, 3)
        y[0] = b[1] * b[2]
        names = [y.grad_fn.name().rsplit("::", 1)[-1]]
        y.sum().backward()
        res[lib.__name__] = (
            x.grad.numpy().copy(),
            b.grad.numpy().copy(),
            y.detach().numpy(),
            names,
        )
    for got, want in zip(res["tensorplug"][:3], res["torch"][:3]):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    assert res["tensorplug"][3] == res["torch"][3]


def test_zero_and_fill_cut_history() -> None:
    x = t64([1.0, 2.0])
    y = x * 2
    y.zero_()
    assert y.tolist() == [0.0, 0.0]
    (y + x).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def _views_program(lib: Any) -> tuple[float, list[Any], list[Any], str]:
    x = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=lib.float64, requires_grad=True)
    w = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
    y = x * 2
    y[1:].mul_(3)  # in-place op through a slice
    y[0][1] = w[0] * 7  # indexed assignment into a view
    y.t()[2].add_(w[:2])  # through a transpose and a select
    y[:, 0].clamp_(0, 5)
    v = y[1]
    v.mul_(w)
    y.view(6)[4:].zero_()  # v, a sibling view, now reads zeros: its history must follow
    y[0, ::2].copy_(w[1:] ** 2)
    u = y[0]
    y.mul_(x)  # the base itself changes: u's history must follow
    y[1] = y[1] * 2  # the saved y[1] is only needed for the 2's gradient
    z = x * 1
    z[0] = z[0] / 2
    out = (y * y).sum() + v.sum() + u.sum() + z.sum()
    out.backward()
    name = y.grad_fn.name().rsplit("::", 1)[-1]
    return out.item(), x.grad.tolist(), w.grad.tolist(), name


def test_inplace_through_views_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    assert _views_program(tp) == _views_program(torch)


def test_inplace_through_views_double_backward() -> None:
    torch = pytest.importorskip("torch")
    res = []
    for lib in (torch, tp):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64, requires_grad=True)
        y = x * x
        y[0].mul_(x[1])
        y.t()[1].add_(x[0] ** 2)
        (g,) = lib.autograd.grad(y.sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), x)
        res.append((g.tolist(), gg.tolist()))
    assert res[0] == res[1]


def test_inplace_through_view_refusals() -> None:
    w = t64([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        w[0].add_(1)
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        w[0][1] = 5.0
    y = t64([1.0, 2.0]) * 1
    e = y.unsqueeze(0).expand(3, 2)
    with pytest.raises(RuntimeError, match="expand"):
        e[0].add_(1)
    # A view of a tensor outside the graph: where it sits in that tensor is not recorded,
    # so writing a tensor that requires grad into it is refused rather than lost.
    buf = tp.zeros(2, 2, dtype=tp.float64)
    with pytest.raises(RuntimeError, match="write through the base"):
        buf[0].add_(t64([1.0, 1.0]))
    buf[0] = buf[0] + t64([1.0, 1.0])  # through the base: recorded
    assert buf.requires_grad and buf.grad_fn is not None
    with tp.no_grad():
        w[0].add_(1)  # no graph: plain in-place update
    assert w.tolist() == [[2.0, 3.0], [3.0, 4.0]]


def test_setitem_of_own_slice_times_scalar() -> None:
    """``x[i] = x[i] * 2`` saves x[i] only for the 2's gradient: no version error."""
    x = t64([1.0, 2.0, 3.0])
    y = x * 1
    y[1] = y[1] * 2
    y[2] = y[2] / 4
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 2.0, 0.25]
    z = x * 1
    h = z * x  # saves z for x's gradient: modifying z must still be caught
    z[0] = 0.0
    with pytest.raises(RuntimeError, match="inplace"):
        h.sum().backward()


@pytest.mark.parametrize(
    ("method", "node"), [("zero_", "ZeroBackward0"), ("fill_", "FillBackward2")]
)
def test_zero_and_fill_keep_the_graph_with_zero_gradient(method, node):
    x = tp.ones(3, requires_grad=True)
    y = x * 2
    getattr(y, method)(*(() if method == "zero_" else (5.0,)))
    assert y.grad_fn.name() == node and y.requires_grad
    (y * x).sum().backward()
    # d/dx of (const * x) is the constant: the filled values, never the old 2 * x
    assert x.grad.tolist() == ([0.0] * 3 if method == "zero_" else [5.0] * 3)


@pytest.mark.parametrize("method", ["zero_", "fill_", "add_"])
def test_in_place_under_no_grad_keeps_the_history(method):
    """As PyTorch: an unrecorded in-place change leaves a non-leaf in its graph (the change
    bumps its version; its gradient is the old op's)."""
    torch = pytest.importorskip("torch")
    results = []
    for lib in (tp, torch):
        x = lib.ones(2, requires_grad=True)
        y = x * 2
        with lib.no_grad():
            getattr(y, method)(*(() if method == "zero_" else (1.5,)))
        y.sum().backward()
        results.append((type(y.grad_fn).__name__, y.requires_grad, x.grad.tolist(), y.tolist()))
    assert results[0] == results[1]


def test_a_view_regenerated_after_an_in_place_change_is_named_as_in_pytorch() -> None:
    torch = pytest.importorskip("torch")
    names = []
    for lib in (tp, torch):
        a = lib.ones(3, 4, requires_grad=True) * 1
        row, flat, col = a[0], a.flatten(), a.t()[1]
        row.add_(1)  # through a view: the base and its other views are regenerated
        names.append([row.grad_fn.name(), flat.grad_fn.name(), col.grad_fn.name()])
    assert names[0] == names[1] == ["AsStridedBackward0"] * 3
