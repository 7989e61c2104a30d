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


# -- Python's protocols, as PyTorch has them ---------------------------------------------------
# Each case runs on a tensor made the same way in both libraries; the result (or the exception
# type and message) must be PyTorch's.
_PROTOCOL_TENSORS = {
    "0d_float": (3.14159, "float32"),
    "0d_int": (7, "int64"),
    "0d_int32": (-3, "int32"),
    "0d_bool": (True, "bool"),
    "1elem_1d_int": ([5], "int64"),
    "1elem_2d_float": ([[2.5]], "float64"),
    "2elem_int": ([1, 2], "int64"),
    "2elem_float": ([1.0, 2.0], "float32"),
    "empty": ([], "float32"),
    "0d_nan": (float("nan"), "float64"),
    "0d_inf": (float("inf"), "float64"),
}
_PROTOCOL_CALLS = {
    "float": float,
    "int": int,
    "bool": bool,
    "complex": complex,
    "index": lambda x: [10, 11, 12, 13, 14, 15, 16, 17][x],
    "operator_index": lambda x: __import__("operator").index(x),
    "hex": hex,
    "format_empty": lambda x: format(x, ""),
    "format_spec": lambda x: f"{x:.3f}",
    "format_width": lambda x: f"{x:>8}",
    "format_int": lambda x: f"{x:05d}",
    "format_exp": lambda x: f"{x:.2e}",
    "contains_1": lambda x: 1 in x,
    "contains_tensor": lambda x: x[..., None] in x if x.ndim else x in x,
    "contains_str": lambda x: "a" in x,
}


def _outcome(lib: object, case: str, call: str) -> tuple[str, object]:
    data, dtype = _PROTOCOL_TENSORS[case]
    x = lib.tensor(data, dtype=getattr(lib, dtype))  # type: ignore[attr-defined]
    try:
        out = _PROTOCOL_CALLS[call](x)
    except Exception as e:  # noqa: BLE001 - the exception is the outcome compared
        return type(e).__name__, str(e)
    if hasattr(out, "shape"):  # a tensor (format_empty of a non-0-d tensor is its str)
        return "tensor", out.tolist()
    return type(out).__name__, out if out == out else "nan"


@pytest.mark.parametrize("call", list(_PROTOCOL_CALLS))
@pytest.mark.parametrize("case", list(_PROTOCOL_TENSORS))
def test_python_protocols_follow_pytorch(case: str, call: str) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here")
    expected = _outcome(torch, case, call)
    got = _outcome(tp, case, call)
    if isinstance(expected[1], str) and expected[1].startswith("tensor("):
        # format(x, "") of a non-0-d tensor is its repr; the printing tests compare those
        assert isinstance(got[1], str) and got[1].startswith("tensor(")
        return
    assert got == expected


def test_format_of_a_loss_needs_no_detach() -> None:
    """The training-loop idiom: a 0-d tensor that requires grad formats as its number."""
    w = tp.tensor([0.5, 1.5], requires_grad=True)
    loss = (w * w).sum()
    assert f"loss {loss:.4f}" == "loss 2.5000" and f"{loss.item():.1f}" == "2.5"
    with pytest.raises(TypeError, match=r"unsupported format string passed to Tensor\.__format__"):
        f"{w:.4f}"


def test_numpy_asarray_follows_numpy_rules() -> None:
    x = tp.tensor([1.0, 2.0])
    assert np.asarray(x).tolist() == [1.0, 2.0]
    assert np.asarray(x, dtype=np.int64).dtype == np.int64
    copied = np.array(x, copy=True)
    copied[0] = 9.0
    assert x.tolist() == [1.0, 2.0]
    with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires grad"):
        np.asarray(tp.ones(2, requires_grad=True))


def test_device_queries_agree() -> None:
    x = tp.ones(2)
    assert x.device.type == "cpu" and x.is_cpu and not x.is_cuda and x.get_device() == -1
