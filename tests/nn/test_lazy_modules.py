"""Lazy layers (``LazyLinear``, ``LazyConv*``, ``LazyBatchNorm*``), their placeholders
(``UninitializedParameter``/``UninitializedBuffer``) and ``nn.init.dirac_``, against PyTorch:
the reprs before and after the first call, the shapes it infers, the class it becomes, and
loading a PyTorch state dict into a layer not yet called."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorplug as tp
from tensorplug.nn.parameter import UninitializedBuffer, UninitializedParameter

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)


@pytest.mark.parametrize(
    "name, args, kwargs, shape",
    [
        ("LazyLinear", (3,), {}, (2, 5)),
        ("LazyLinear", (3,), {"bias": False}, (2, 4, 5)),
        ("LazyConv1d", (4, 3), {"padding": 1}, (2, 2, 6)),
        ("LazyConv2d", (4, 3), {"stride": 2, "groups": 2}, (1, 4, 5, 5)),
        ("LazyConv2d", (4, 2), {}, (3, 5, 5)),
        ("LazyConv3d", (2, 2), {}, (1, 3, 3, 3, 3)),
        ("LazyBatchNorm1d", (), {}, (4, 3)),
        ("LazyBatchNorm2d", (), {"affine": False}, (4, 3, 2, 2)),
        ("LazyBatchNorm3d", (), {"momentum": None}, (2, 3, 2, 2, 2)),
    ],
)
def test_lazy_layer_matches_pytorch(
    name: str, args: tuple[Any, ...], kwargs: dict[str, Any], shape: tuple[int, ...]
) -> None:
    theirs = getattr(torch.nn, name)(*args, **kwargs, dtype=torch.float64)
    mine = getattr(tp.nn, name)(*args, **kwargs, dtype=tp.float64)
    assert repr(mine) == repr(theirs)
    assert mine.has_uninitialized_params() and list(mine.state_dict()) == list(theirs.state_dict())
    x = RNG.standard_normal(shape)
    want = theirs(torch.tensor(x))
    state = {k: tp.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
    mine(tp.tensor(x))  # materialises
    assert repr(mine) == repr(theirs) and type(mine).__name__ == type(theirs).__name__
    assert not any(isinstance(t, (UninitializedParameter, UninitializedBuffer))
               for t in (*mine.parameters(), *mine.buffers()))  # fmt: skip
    assert {k: tuple(v.shape) for k, v in mine.state_dict().items()} == {
        k: tuple(v.shape) for k, v in state.items()
    }
    fresh = getattr(tp.nn, name)(*args, **kwargs, dtype=tp.float64)
    fresh.load_state_dict(state)
    if "BatchNorm" in name:  # the statistics PyTorch updated, then the same step again
        mine.load_state_dict(state)
        got, want = mine(tp.tensor(x)), theirs(torch.tensor(x))
    else:
        got = fresh(tp.tensor(x))
        assert repr(fresh) == repr(theirs)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-12)


def test_lazy_linear_initialises_as_linear_does() -> None:
    tp.manual_seed(3)
    lazy = tp.nn.LazyLinear(4)
    lazy(tp.ones(1, 6))
    tp.manual_seed(3)
    bound = 1 / 6**0.5
    w = lazy.weight.detach().numpy()
    assert w.shape == (4, 6) and np.abs(w).max() <= bound and w.std() > 0.05
    assert type(lazy.weight) is tp.nn.Parameter and lazy.weight.requires_grad


def test_placeholders_have_no_shape_until_materialised() -> None:
    p = UninitializedParameter(dtype=tp.float64)
    assert repr(p) == "<UninitializedParameter>" and p.requires_grad
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
        p.shape  # noqa: B018 - the access is the test
    p.materialize((2, 3))
    assert type(p) is tp.nn.Parameter and p.shape == (2, 3) and p.dtype == tp.float64
    b = UninitializedBuffer()
    b.materialize(4)
    assert type(b) is tp.Tensor and b.shape == (4,) and not b.requires_grad


@pytest.mark.parametrize("shape, groups", [((4, 2, 3), 1), ((4, 2, 3, 3), 2), ((6, 3, 2, 3, 3), 3)])
def test_dirac_matches_pytorch(shape: tuple[int, ...], groups: int) -> None:
    want = torch.nn.init.dirac_(torch.empty(shape), groups)
    got = tp.nn.init.dirac_(tp.empty(*shape), groups)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions"):
        tp.nn.init.dirac_(tp.empty(3, 3))
    with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
        tp.nn.init.dirac_(tp.empty(3, 3, 3), 2)
