"""The ``Tensor`` itself: attributes, conversions and casts (and what they do to the graph),
``requires_grad_``, iteration, and copies. Creation functions: ``test_creation.py``."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import tensorplug as tp


def test_attributes() -> None:
    x = tp.ones(2, 3, 4)
    assert x.shape == (2, 3, 4) and x.size() == (2, 3, 4)
    assert x.size(1) == 3 and x.size(-1) == 4
    assert x.ndim == 3 and x.dim() == 3
    assert x.numel() == 24 and tp.numel(x) == 24
    assert x.dtype is tp.float32 and x.is_floating_point()
    assert tp.ones(2, 3).T.shape == (3, 2)
    assert len(x) == 2
    assert x.element_size() == 4
    assert not tp.ones(1, dtype=tp.int64).is_floating_point()
    assert tp.is_tensor(x) and not tp.is_tensor(1.0)
    with pytest.raises(IndexError):
        x.size(3)


def test_conversions() -> None:
    x = tp.tensor([[1.5, 2.0], [3.0, 4.0]], requires_grad=True)
    assert x.detach().numpy().tolist() == [[1.5, 2.0], [3.0, 4.0]]
    assert isinstance(x.detach().numpy(), np.ndarray)
    assert x.tolist() == [[1.5, 2.0], [3.0, 4.0]]
    assert x[0, 0].item() == 1.5 and isinstance(x[0, 0].item(), float)
    assert isinstance(tp.tensor(3).item(), int) and isinstance(tp.tensor(True).item(), bool)
    assert float(tp.tensor(2.5)) == 2.5 and int(tp.tensor(7)) == 7
    d = x.detach()
    assert not d.requires_grad and d.is_leaf
    c = x.clone()
    assert c.grad_fn.name() == "CloneBackward0"
    c.sum().backward()
    assert x.grad.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    assert x.float().dtype is tp.float32 and x.double().dtype is tp.float64
    assert x.long().tolist() == [[1, 2], [3, 4]] and x.long().dtype is tp.int64
    assert x.int().dtype is tp.int32 and x.bool().dtype is tp.bool and x.half().dtype is tp.float16
    assert x.to(tp.float64).dtype is tp.float64
    assert x.to("numpy") is x
    assert x.to(dtype=tp.float32) is x
    assert x.to(tp.ones(1, dtype=tp.float64)).dtype is tp.float64
    assert x.double().grad_fn.name() == "ToCopyBackward0"
    assert tp.tensor([1, 2]).to(float).dtype is tp.float32
    assert tp.ones(2).type_as(tp.ones(1, dtype=tp.int64)).dtype is tp.int64


def test_to_dtype_gradient_comes_back_in_input_dtype() -> None:
    x = tp.tensor([1.0, 2.0], requires_grad=True)
    (x.double() * 3).sum().backward()
    assert x.grad.dtype is tp.float32 and x.grad.tolist() == [3.0, 3.0]


def test_a_round_trip_through_float32_matches_pytorch() -> None:
    """float64 -> float32 -> float64: the values rounded as PyTorch rounds them, one
    ``ToCopyBackward0`` a cast, and a float64 gradient (the op database leaves casts out: its
    finite differences cannot see through float32 rounding)."""
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(3).uniform(-2, 2, (3, 4))
    weights = np.random.default_rng(4).standard_normal((3, 4))
    results = []
    for lib in (tp, torch):
        x = lib.tensor(data, dtype=lib.float64, requires_grad=True)
        y = x.to(lib.float32).double()
        (y * lib.tensor(weights)).sum().backward()
        chain = [y.grad_fn.name(), y.grad_fn.next_functions[0][0].name()]
        results.append((y.detach().numpy(), str(y.dtype), chain, x.grad.numpy(), str(x.grad.dtype)))
    (y, dtype, chain, grad, gdtype), (ty, tdtype, tchain, tgrad, tgdtype) = results
    np.testing.assert_array_equal(y, ty)
    assert dtype.split(".")[-1] == tdtype.split(".")[-1] == "float64"
    assert chain == tchain == ["ToCopyBackward0", "ToCopyBackward0"]
    np.testing.assert_allclose(grad, tgrad, rtol=1e-12)
    assert gdtype.split(".")[-1] == tgdtype.split(".")[-1] == "float64"


def test_clone_owns_its_memory() -> None:
    x = tp.ones(3)
    c = x.clone()
    c.add_(1)
    assert x.tolist() == [1.0, 1.0, 1.0]


def test_iteration_and_bool() -> None:
    rows = list(tp.tensor([[1, 2], [3, 4]]))
    assert [r.tolist() for r in rows] == [[1, 2], [3, 4]]
    assert bool(tp.tensor([1.0])) and not bool(tp.tensor(0))
    with pytest.raises(TypeError):
        iter(tp.tensor(1.0))


def test_requires_grad_() -> None:
    x = tp.ones(2)
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad
    y = tp.tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)


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


@pytest.mark.parametrize("cast", ["int", "long", "bool"])
def test_cast_to_integer_dtype_leaves_the_graph(cast):
    x = tp.tensor([1.5, -2.0], requires_grad=True)
    y = getattr(x * 2, cast)()
    assert y.grad_fn is None and not y.requires_grad
    assert x.double().grad_fn.name() == "ToCopyBackward0"
