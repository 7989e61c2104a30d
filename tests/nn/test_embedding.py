"""``nn.Embedding`` and ``functional.embedding`` against PyTorch: ``padding_idx``,
``max_norm``/``norm_type`` (the table renormalised in place), ``scale_grad_by_freq``,
``from_pretrained``, the constructor's checks and ``repr``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import tensorplug as tp

torch = pytest.importorskip("torch")


def _pair(table: np.ndarray, **kw: Any) -> tuple[Any, Any]:
    ours = tp.nn.Embedding.from_pretrained(tp.tensor(table), freeze=False, **kw)
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(table), freeze=False, **kw)
    return ours, theirs


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"padding_idx": 1},
        {"padding_idx": -1},
        {"max_norm": 1.0},
        {"max_norm": 0.5, "norm_type": 1.0},
        {"max_norm": 0.7, "norm_type": math.inf},
        {"scale_grad_by_freq": True},
        {"scale_grad_by_freq": True, "padding_idx": 0, "max_norm": 1.2},
    ],
)
def test_embedding_matches_pytorch(kw: dict[str, Any]) -> None:
    table = np.random.default_rng(1).standard_normal((6, 3)) * 2
    idx = np.array([[0, 2, 2], [5, 1, 2]])
    ours, theirs = _pair(table, **kw)
    out, ref = ours(tp.tensor(idx)), theirs(torch.tensor(idx))
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-12)
    # max_norm rewrote the looked-up rows of the table itself
    np.testing.assert_allclose(
        ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-12
    )
    w = np.arange(out.numel(), dtype=np.float64).reshape(out.shape)
    (out * tp.tensor(w)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-12)


def test_padding_row_starts_at_zero() -> None:
    emb = tp.nn.Embedding(4, 2, padding_idx=-2)
    assert emb.padding_idx == 2
    np.testing.assert_array_equal(emb.weight.detach().numpy()[2], 0.0)


def test_from_pretrained_freezes_and_shares() -> None:
    table = tp.ones(3, 2)
    emb = tp.nn.Embedding.from_pretrained(table)
    assert not emb.weight.requires_grad
    assert not emb(tp.tensor([1])).requires_grad
    assert tp.nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.nn.Embedding(3, 2, padding_idx=3),
        lambda lib: lib.nn.Embedding(3, 2, padding_idx=-4),
        lambda lib: lib.nn.Embedding(3, 2, _weight=lib.zeros(2, 2)),
        lambda lib: lib.nn.Embedding.from_pretrained(lib.zeros(2)),
    ],
)
def test_constructor_errors_match_pytorch(make: Any) -> None:
    with pytest.raises(AssertionError) as theirs:
        make(torch)
    with pytest.raises(AssertionError, match=str(theirs.value)):
        make(tp)


def test_bad_indices() -> None:
    emb = tp.nn.Embedding(3, 2)
    with pytest.raises(IndexError, match="index 3 is out of range for a table of 3 rows"):
        emb(tp.tensor([0, 3]))
    with pytest.raises(RuntimeError, match="indices must be an integer tensor"):
        emb(tp.tensor([0.0]))
    with pytest.raises(NotImplementedError, match="sparse=True"):
        tp.nn.Embedding(3, 2, sparse=True)(tp.tensor([0]))


def test_repr_matches_pytorch() -> None:
    kw = {"padding_idx": 0, "max_norm": 1.0, "norm_type": 1.0, "scale_grad_by_freq": True}
    assert repr(tp.nn.Embedding(5, 2, **kw)) == repr(torch.nn.Embedding(5, 2, **kw))
    assert repr(tp.nn.Embedding(5, 2)) == repr(torch.nn.Embedding(5, 2))
