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
    with tp.no_grad():
        w[0].add_(1)  # no graph: plain in-place update
    assert w.tolist() == [[2.0, 3.0], [3.0, 4.0]]


def _write_into_a_view_of_a_constant(lib: Any) -> tuple[Any, ...]:
    """A view of a tensor outside the graph written with a value that requires grad: the
    base joins the graph (``CopySlices``), and so does the view, whenever it was made."""
    buf = lib.zeros(2, 3, dtype=lib.float64)
    row, col = buf[0], buf[:, 1]
    w = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
    row.add_(w * 2)
    loss = (buf * buf).sum() + (row * 3).sum()
    loss.backward()
    return buf.requires_grad, row.grad_fn is not None, col.tolist(), w.grad.tolist()


def test_write_into_a_view_of_a_tensor_outside_the_graph_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    assert _write_into_a_view_of_a_constant(tp) == _write_into_a_view_of_a_constant(torch)


def _expanded_view_after_base_changes(lib: Any) -> tuple[Any, ...]:
    x = lib.tensor([[1.0, 2.0, 3.0]], dtype=lib.float64, requires_grad=True)
    w = lib.tensor([[0.5, -1.0, 2.0]], dtype=lib.float64, requires_grad=True)
    base = x * 1
    e = base.expand(2, 3)
    r = base.t()
    base.mul_(w)  # e and r read the new values: their histories must follow
    loss = (e * lib.arange(6.0, dtype=lib.float64).reshape(2, 3)).sum() + (r * r).sum()
    loss.backward()
    return e.tolist(), e.requires_grad, x.grad.tolist(), w.grad.tolist()


def test_expanded_view_follows_an_in_place_change_of_its_base_as_in_torch() -> None:
    """Its history is replayed from the new base (PyTorch regenerates it as an
    ``AsStridedBackward0``; here the view's own ops, ``ExpandBackward0``)."""
    torch = pytest.importorskip("torch")
    assert _expanded_view_after_base_changes(tp) == _expanded_view_after_base_changes(torch)


@pytest.mark.parametrize(
    "write",
    [
        lambda v: v.add_(1),
        lambda v: v.mul_(tp.ones(3)),
        lambda v: v.copy_(tp.ones(3)),
        lambda v: v.zero_(),
        lambda v: v.fill_(2.0),
        lambda v: v.__setitem__(slice(1, None), 1.0),
        lambda v: v[1:].sub_(1),
        lambda v: v.detach().add_(1),
        lambda v: v.data.div_(2),
    ],
    ids=["add_", "mul_", "copy_", "zero_", "fill_", "setitem", "slice_sub_", "detach", "data"],
)
@pytest.mark.parametrize("n", [1, 5000])
@pytest.mark.parametrize("grad", [False, True], ids=["no_grad", "grad"])
def test_a_write_through_an_expanded_view_is_refused_whatever_the_graph(
    write: Any, n: int, grad: bool
) -> None:
    """Its elements share memory (PyTorch: "more than one element of the written-to tensor
    refers to a single memory location"), in the graph or not, small or large: never NumPy's
    read-only error, nor a write into a copy that leaves base and view disagreeing."""
    x = tp.zeros(n, 1)
    v = x.expand(n, 3)[0]  # a (3,) row: its three elements are one memory location
    refused = pytest.raises(RuntimeError, match="more than one element of it may refer")
    with tp.set_grad_enabled(grad), refused:
        write(v)
    assert not x.any().item() and not v.any().item()
    x.add_(1)  # through the base: allowed, and the view shows it
    assert v.tolist() == [1.0, 1.0, 1.0]


def test_a_view_that_expands_nothing_may_be_written() -> None:
    x = tp.zeros(2, 3)
    x.expand(2, 3).add_(1)  # the same shape: one element per memory location, as in PyTorch
    x.expand(1, 2, 3)[0].mul_(3)
    assert x.tolist() == [[3.0] * 3] * 2


def _write_into_a_reshaped_transpose(lib: Any) -> tuple[Any, ...]:
    """``reshape`` of a transpose copies: a write into it leaves the base alone, and is no
    ``CopySlices`` of the base (whose gradient would then be wrong)."""
    x = lib.arange(6.0, dtype=lib.float64).reshape(2, 3).requires_grad_()
    w = lib.tensor([1.0, -2.0, 3.0, 0.5, 2.0, -1.0], dtype=lib.float64, requires_grad=True)
    base = x * 1
    flat = base.t().reshape(6)
    kept = base.reshape(3, 2)  # a view: it follows the base, not the copy
    names = (flat.grad_fn.name(), flat.grad_fn.next_functions[0][0].name(), flat._base is None)
    flat.mul_(w)
    loss = (base * base).sum() + (flat * flat).sum() + (kept * 3).sum()
    loss.backward()
    return names, base.tolist(), flat.tolist(), x.grad.tolist(), w.grad.tolist()


def test_reshape_that_must_copy_is_no_view_as_in_torch() -> None:
    torch = pytest.importorskip("torch")
    ours, theirs = _write_into_a_reshaped_transpose(tp), _write_into_a_reshaped_transpose(torch)
    assert ours == theirs
    assert ours[0] == ("UnsafeViewBackward0", "CloneBackward0", True)


def test_view_of_a_layout_that_needs_a_copy_raises_as_in_torch() -> None:
    x = tp.zeros(2, 3)
    with pytest.raises(RuntimeError, match=r"view size is not compatible .* Use \.reshape"):
        x.t().view(6)
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        x.t().view_as(tp.zeros(6))
    v = x.t().view(3, 2)  # no copy needed: a view
    v.add_(1)
    assert x.tolist() == [[1.0] * 3] * 2


def _writes_into_integer_tensors(lib: Any) -> list[Any]:
    """A value that requires grad written into a bool or integer tensor (whole, a view, an
    element): the tensor never joins the graph, so ``w`` gets its gradient once."""
    w = lib.tensor([1.0, 2.0, 0.0], dtype=lib.float64, requires_grad=True)
    m = lib.zeros(3, dtype=lib.bool)
    m[...] = w
    rows = lib.zeros(2, 3, dtype=lib.int64)
    rows[0] = w
    rows[1].copy_(w * 2)
    row = rows[1]
    row[...] = w
    loss = (w + m).sum() + (w * rows).sum()
    loss.backward()
    taken = [t.requires_grad for t in (m, rows, row)]
    return [*taken, m.tolist(), rows.tolist(), w.grad.tolist()]


def test_writes_into_integer_and_bool_tensors_stay_out_of_the_graph_as_in_torch() -> None:
    torch = pytest.importorskip("torch")
    assert _writes_into_integer_tensors(tp) == _writes_into_integer_tensors(torch)


def test_clamp_with_tensor_bounds_in_place_matches_torch_or_writes_nothing() -> None:
    torch = pytest.importorskip("torch")
    results = []
    for lib in (tp, torch):
        x = lib.tensor([[-2.0, 0.5, 3.0]], dtype=lib.float64, requires_grad=True)
        lo = lib.tensor([[-1.0], [0.0]], dtype=lib.float64)[:1]
        hi = lib.tensor(1.0, dtype=lib.float64, requires_grad=True)
        y = x * 1
        y.clamp_(lo, hi)
        y.sum().backward()
        results.append((y.tolist(), x.grad.tolist(), hi.grad.tolist()))
    assert results[0] == results[1]
    y = tp.tensor([0.0, 2.0, 5.0])
    with pytest.raises(RuntimeError, match=r"size of tensor a \(3\) must match .* b \(2\)"):
        y.clamp_(tp.tensor([1.0, 1.0, 1.0]), tp.tensor([3.0, 3.0]))  # the max does not fit
    with pytest.raises(RuntimeError, match=r"output with shape \[3\]"):
        y.clamp_(tp.tensor([[1.0], [1.0]]), tp.tensor([3.0, 3.0, 3.0]))  # the min grows y
    with pytest.raises(RuntimeError, match="can't be cast"):
        tp.tensor([0, 2, 5]).clamp_(tp.tensor(1), 1.5)
    assert y.tolist() == [0.0, 2.0, 5.0]  # neither bound was applied


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


def test_contiguous_copies_a_transpose_and_keeps_a_contiguous_tensor() -> None:
    # As in PyTorch: x.t().contiguous() is a row-major copy (CloneBackward0) that view() accepts
    # (minGPT's y.transpose(1, 2).contiguous().view(B, T, C)); a contiguous tensor is returned.
    x = tp.arange(6.0, dtype=tp.float64).view(2, 3).requires_grad_()
    assert x.contiguous() is x
    y = x.t().contiguous()
    assert type(y.grad_fn).__name__ == "CloneBackward0"
    flat = y.view(6)
    np.testing.assert_array_equal(flat.detach().numpy(), [0, 3, 1, 4, 2, 5])
    with tp.no_grad():
        y[0, 0] = 100.0
    assert x[0, 0].item() == 0.0  # a copy, not a view of x
    (flat * tp.arange(6.0, dtype=tp.float64)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 2, 4], [1, 3, 5]])
