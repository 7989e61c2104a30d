"""``linalg.lstsq`` with batch dims broadcast and ``linalg.pinv`` with tolerance tensors
(one tolerance per matrix), against PyTorch: values, gradients, shapes and errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorplug as tp

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)


def _both(fn: Any, *arrays: np.ndarray, **kw: Any) -> None:
    mine = [tp.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    conv = {k: (tp.tensor(v), torch.tensor(v)) if isinstance(v, np.ndarray) else (v, v)
            for k, v in kw.items()}  # fmt: skip
    got = fn(tp, *mine, **{k: v[0] for k, v in conv.items()})
    want = fn(torch, *theirs, **{k: v[1] for k, v in conv.items()})
    assert tuple(got.shape) == tuple(want.shape)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-10)
    g = RNG.random(tuple(want.shape))
    for a, b in zip(tp.autograd.grad(got, mine, tp.tensor(g)),
                    torch.autograd.grad(want, theirs, torch.tensor(g))):  # fmt: skip
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize(
    "sa, sb",
    [
        ((2, 1, 4, 3), (1, 3, 4, 2)),
        ((2, 4, 3), (2, 4)),
        ((4, 3), (4,)),
        ((3, 1, 5, 2), (1, 4, 5, 3)),
    ],
)
def test_lstsq_broadcasts_batches(sa: tuple[int, ...], sb: tuple[int, ...]) -> None:
    _both(lambda lib, a, b: lib.linalg.lstsq(a, b).solution, RNG.random(sa), RNG.random(sb))
    a = tp.tensor(RNG.random(sa))
    assert tuple(tp.linalg.lstsq(a, tp.tensor(RNG.random(sb))).rank.shape) == sa[:-2]


@pytest.mark.parametrize(
    "sa, sb, match",
    [
        ((2, 1, 4, 3), (3, 4, 2), r"size of tensor a \(2\) must match the size of tensor b \(3\)"),
        ((4, 3), (5, 4, 2), "input.dim\\(\\) must be greater or equal to other.dim\\(\\)"),
        ((2, 1, 4, 3), (1, 3, 4), r"input.size\(-2\) should match other.size\(-2\)"),
    ],
)
def test_lstsq_errors_as_pytorch(sa: tuple[int, ...], sb: tuple[int, ...], match: str) -> None:
    for lib in (tp, torch):
        with pytest.raises(RuntimeError, match=match):
            lib.linalg.lstsq(lib.tensor(RNG.random(sa)), lib.tensor(RNG.random(sb)))


@pytest.mark.parametrize(
    "kw",
    [
        {"atol": np.array([0.1, 0.5])},
        {"rtol": np.array([0.3, 0.01])},
        {"atol": np.array(0.05), "rtol": np.array([0.3, 0.2])},
        {"atol": np.array([[0.1, 0.2], [0.0, 0.3], [0.5, 0.05]])},  # grows the batch
    ],
)
def test_pinv_takes_a_tolerance_per_matrix(kw: dict[str, Any]) -> None:
    a = RNG.random((2, 4, 3))
    a[1] = a[1] @ np.diag([1.0, 1e-3, 0.2])  # small singular values the tolerances cut
    _both(lambda lib, x, **k: lib.linalg.pinv(x, **k), a, **kw)
