"""The in-place variants generated from ``_inplace_variants.TABLE`` against PyTorch: the
refusals (a leaf that requires grad, a view of one, an integer tensor taking a float result),
the shape changes in place through views, and the in-place functions (``tp.relu_``). Values,
node names and gradients: the op database's entries (``_opdb_inplace_variants``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorplug as tp
from tensorplug import _inplace_variants as IV

torch = pytest.importorskip("torch")

_ARGS: dict[str, tuple[Any, ...]] = {
    "pow_": (2,), "clamp_min_": (0.5,), "clamp_max_": (0.5,), "transpose_": (0, 1),
    "swapdims_": (0, 1), "swapaxes_": (0, 1), "unsqueeze_": (0,), "clip_": (0.2, 0.6),
    "divide_": (2.0,), "multiply_": (2.0,), "subtract_": (2.0,), "true_divide_": (2.0,),
}  # fmt: skip
NAMES = sorted({*IV.TABLE, *IV.ALIASES, *IV.SHAPES})


def _args(name: str) -> tuple[Any, ...]:
    return _ARGS.get(name, (0.5,) if name[:-1] in _COMPARISONS else ())


_COMPARISONS = {"eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less",
                "less_equal", "not_equal"}  # fmt: skip


def _raises(lib: Any, fn: Any) -> tuple[type[BaseException], str] | None:
    try:
        fn(lib)
    except Exception as e:  # noqa: BLE001 - compared with the other library's
        return type(e), str(e)
    return None


def _both(fn: Any) -> tuple[Any, Any]:
    return _raises(torch, fn), _raises(tp, fn)


@pytest.mark.parametrize("name", NAMES)
def test_refusals_match_pytorch(name: str) -> None:
    """A leaf that requires grad and a view of one are refused, as in PyTorch."""
    args = _args(name)
    data = np.random.default_rng(0).uniform(0.25, 0.75, (3, 4))

    def leaf(lib: Any) -> None:
        getattr(lib.tensor(data, requires_grad=True), name)(*args)

    def view(lib: Any) -> None:
        getattr(lib.tensor(data, requires_grad=True)[0:2], name)(*args)

    for check in (leaf, view):
        want, got = _both(check)
        assert want is not None and got is not None, (name, check.__name__, want, got)
        assert got[0] is want[0], (name, check.__name__, got, want)
        assert "leaf Variable that requires grad" in got[1]


@pytest.mark.parametrize("name", sorted(IV.TABLE))
def test_integer_tensors_match_pytorch(name: str) -> None:
    """On an integer tensor: the value where the result fits, PyTorch's error class where a
    float result cannot be written back (``exp_``)."""
    args = _args(name)

    def run(lib: Any) -> Any:
        return getattr(lib.tensor([[1, -2], [3, 0]]), name)(*args).tolist()

    want, got = _both(run)
    if want is None:
        assert got is None, (name, got)
        assert run(tp) == run(torch)
    else:
        assert got is not None and got[0] is want[0], (name, got, want)


def test_under_no_grad_and_through_views() -> None:
    """Under ``no_grad`` a leaf changes; a write through a view reaches its base; and a view
    changes its shape in place, the base unchanged and both still in the graph."""
    for lib in (torch, tp):
        x = lib.tensor([[0.5, 2.0], [3.0, 4.0]], requires_grad=True)
        with lib.no_grad():
            x.sqrt_()
        y = x * 1
        y[0].neg_()
        v = y[:, 1]
        v.unsqueeze_(1)
        assert tuple(v.shape) == (2, 1) and tuple(y.shape) == (2, 2)
        (y * lib.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
        if lib is torch:
            want = (y.detach().numpy(), x.grad.numpy(), y.grad_fn.name())
    got = (y.detach().numpy(), x.grad.numpy(), type(y.grad_fn).__name__)
    np.testing.assert_allclose(got[0], want[0])
    np.testing.assert_allclose(got[1], want[1])
    assert want[2].endswith(got[2])  # PyTorch: torch::autograd::CopySlices


def test_shape_change_refused_under_live_views() -> None:
    x = tp.ones(2, 3)
    v = x[0]
    with pytest.raises(RuntimeError, match=r"t_\(\): views of this tensor are alive"):
        x.t_()
    del v


def test_the_functions_are_the_methods() -> None:
    for name in IV.FUNCTIONS:
        assert getattr(tp, name) is getattr(tp.Tensor, name), name
        assert name in tp.__all__
    x = tp.tensor([-1.0, 2.0])
    assert tp.relu_(x) is x and x.tolist() == [0.0, 2.0]


@pytest.mark.parametrize("name", ["asinh_", "acosh_", "atanh_", "detach_"])
def test_the_functions_without_an_entry(name: str) -> None:
    """``asinh_`` and friends: values as PyTorch's (their backward raises in both)."""
    data = [[1.5, 2.0], [1.25, 3.0]] if name == "acosh_" else [[0.5, -0.25], [0.1, 0.0]]
    t, p = torch.tensor(data), tp.tensor(data)
    assert getattr(torch, name)(t) is t and getattr(tp, name)(p) is p
    np.testing.assert_allclose(p.numpy(), t.numpy(), rtol=1e-6)


def test_shape_change_under_no_grad_keeps_a_leaf() -> None:
    for lib in (torch, tp):
        x = lib.ones(2, 3, requires_grad=True)
        with lib.no_grad():
            x.t_()
        assert tuple(x.shape) == (3, 2) and x.requires_grad and x.is_leaf
