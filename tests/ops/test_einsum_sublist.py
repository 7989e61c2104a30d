"""``einsum``'s sublist form (``einsum(a, [0, 1], b, [1, 2], [0, 2])``) against PyTorch's."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorplug as tp

torch = pytest.importorskip("torch")

E = Ellipsis
RNG = np.random.default_rng(0)
CASES: list[tuple[list[tuple[int, ...]], list[Any]]] = [
    ([(2, 3), (3, 4)], [[0, 1], [1, 2], [0, 2]]),
    ([(2, 3), (4, 3)], [[0, 1], [2, 1]]),  # implicit output: labels used once, in order
    ([(2, 3, 4), (4, 5)], [[E, 30], [30, 2], [E, 2]]),
    ([(3, 3)], [[7, 7]]),  # a trace
    ([(2, 3, 4)], [[2, 0, 1]]),  # labels 26 and up are lower case, after 0-25
    ([(2, 3), (3,), (3, 2)], [[0, 27], [27], [27, 51], [51, 0]]),
]


@pytest.mark.parametrize("shapes, subs", CASES)
def test_sublists_as_pytorch(shapes: list[tuple[int, ...]], subs: list[Any]) -> None:
    arrays = [RNG.random(s) for s in shapes]
    mine = [tp.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]

    def args(ts: list[Any]) -> list[Any]:
        out: list[Any] = []
        for t, s in zip(ts, subs):
            out += [t, s]
        return out + subs[len(ts) :]

    got, want = tp.einsum(*args(mine)), torch.einsum(*args(theirs))
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-12)
    g = RNG.random(tuple(want.shape))
    for a, b in zip(tp.autograd.grad(got, mine, tp.tensor(g)),
                    torch.autograd.grad(want, theirs, torch.tensor(g))):  # fmt: skip
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)


def test_sublist_errors() -> None:
    a = tp.ones(2, 3)
    with pytest.raises(ValueError, match=r"not within the valid range \[0, 52\)"):
        tp.einsum(a, [0, 52])
    with pytest.raises(TypeError, match="subscripts must be ints or Ellipsis"):
        tp.einsum(a, ["i", 1])
