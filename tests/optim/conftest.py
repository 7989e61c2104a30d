"""What the optimizer tests share: PyTorch (the oracle, skipped without it) and the comparison
of a tensorplug state dict or value with PyTorch's."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorplug as tp


@pytest.fixture
def torch() -> Any:
    return pytest.importorskip("torch")


def assert_matches(ours: Any, theirs: Any, rtol: float = 1e-12, where: str = "") -> None:
    """``ours`` (tensorplug) equals ``theirs`` (PyTorch) in structure, types and values: the
    same keys, list lengths and numbers; tensors of the same shape and dtype name, with values
    to ``rtol`` (and an absolute ``rtol * 1e-2`` for entries that cancel to near zero)."""
    import torch

    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, tp.Tensor), f"{where}: {type(ours).__name__} is not a tensor"
        assert ours.shape == tuple(theirs.shape), where
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1], where
        np.testing.assert_allclose(
            ours.detach().numpy(),
            theirs.detach().numpy(),
            rtol=rtol,
            atol=rtol * 1e-2,
            err_msg=where,
        )
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict), where
        assert sorted(ours, key=repr) == sorted(theirs, key=repr), f"{where}: keys"
        for key, value in theirs.items():
            assert_matches(ours[key], value, rtol, f"{where}[{key!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs), f"{where}: {type(ours)} vs {type(theirs)}"
        assert len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_matches(a, b, rtol, f"{where}[{i}]")
    elif isinstance(theirs, float) and isinstance(ours, float):
        assert ours == pytest.approx(theirs, rel=rtol, abs=rtol * 1e-2), where
    else:
        assert type(ours) is type(theirs) and ours == theirs, f"{where}: {ours!r} vs {theirs!r}"


def from_torch(value: Any) -> Any:
    """A PyTorch object (a state dict) with its tensors converted to tensorplug's."""
    import torch

    if isinstance(value, torch.Tensor):
        return tp.tensor(value.detach().numpy())
    if isinstance(value, dict):
        return {k: from_torch(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(from_torch(v) for v in value)
    return value


@pytest.fixture
def matches() -> Any:
    """``assert_matches`` for tests (a fixture, since test modules do not import each other)."""
    return assert_matches


@pytest.fixture
def to_tensorplug() -> Any:
    """``from_torch`` for tests."""
    return from_torch
