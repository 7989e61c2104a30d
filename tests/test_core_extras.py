"""all/any, sum(dtype=), cat of 0-d tensors, deepcopy, zero_/fill_ on tensors in the graph."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import tensorplug as tp


@pytest.mark.parametrize(
    ("dim", "keepdim"), [(None, False)] + [(d, k) for d in (0, 1, (0, 1)) for k in (False, True)]
)
def test_all_any_match_numpy(dim, keepdim):
    data = np.array([[1.0, 0.0, 2.0], [3.0, 4.0, 5.0]])
    x = tp.tensor(data)
    got_all = tp.all(x) if dim is None else tp.all(x, dim, keepdim)
    got_any = x.any() if dim is None else x.any(dim, keepdim)
    assert got_all.dtype is tp.bool and got_any.dtype is tp.bool
    np.testing.assert_array_equal(got_all.numpy(), np.all(data != 0, axis=dim, keepdims=keepdim))
    np.testing.assert_array_equal(got_any.numpy(), np.any(data != 0, axis=dim, keepdims=keepdim))


def test_all_any_empty_and_not_differentiable():
    assert tp.zeros(0).all().item() is True
    assert tp.zeros(0).any().item() is False
    x = tp.ones(3, requires_grad=True)
    assert not (x * 2).all().requires_grad


def test_sum_with_dtype_gives_that_dtype():
    assert tp.sum(tp.tensor([1, 2, 3]), dtype=tp.int32).dtype is tp.int32
    assert tp.tensor([1, 2]).sum(dtype=tp.float64).dtype is tp.float64


def test_cat_of_zero_dim_tensors_names_the_position():
    with pytest.raises(RuntimeError, match=r"zero-dimensional tensor \(at position 0\)"):
        tp.cat([tp.tensor(1.0), tp.tensor(2.0)])


def test_deepcopy_copies_data_flag_and_grad():
    w = tp.ones(2, requires_grad=True)
    w.grad = tp.full((2,), 3.0)
    c = copy.deepcopy(w)
    assert c is not w and c.requires_grad and c.is_leaf
    with tp.no_grad():
        c.add_(1)
        c.grad.zero_()
    assert w.tolist() == [1.0, 1.0] and w.grad.tolist() == [3.0, 3.0]


def test_deepcopy_of_non_leaf_is_refused():
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(tp.ones(2, requires_grad=True) * 2)


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


@pytest.mark.parametrize("cast", ["int", "long", "bool"])
def test_cast_to_integer_dtype_leaves_the_graph(cast):
    x = tp.tensor([1.5, -2.0], requires_grad=True)
    y = getattr(x * 2, cast)()
    assert y.grad_fn is None and not y.requires_grad
    assert x.double().grad_fn.name() == "ToCopyBackward0"


def test_builtin_backend_kernels_are_all_part_of_the_contract():
    """Every kernel the NumPy backend provides is a primitive, a derived kernel with a default,
    an optional kernel or an accelerator: no undocumented kernel names creep in."""
    from tensorplug.plugins import ACCELERATORS, OPTIONAL, PRIMITIVES, default_kernels

    be = tp.get_backend("numpy")
    known = PRIMITIVES | OPTIONAL | ACCELERATORS | set(default_kernels(be))
    extra = set(vars(be.k)) - known
    assert not extra, f"kernels outside the contract: {sorted(extra)}"
