"""``F.normalize`` and ``F.pairwise_distance`` for every real ``p`` (0, negative, +-inf),
as PyTorch's: values and gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tensorplug as tp

torch = pytest.importorskip("torch")

_X = np.array([[0.5, -1.25, 2.0], [0.75, 0.25, -3.0]])
_Y = np.array([[1.5, 0.5, -1.0], [0.75, 2.0, 1.0]])


@pytest.mark.parametrize("p", [0.0, -1.0, -2.5, -math.inf, math.inf, 0.5])
@pytest.mark.parametrize("name", ["normalize", "pairwise_distance"])
def test_every_real_p_as_pytorch(name: str, p: float) -> None:
    args = (_X,) if name == "normalize" else (_X, _Y)
    mine = [tp.tensor(a, requires_grad=True) for a in args]
    theirs = [torch.tensor(a, requires_grad=True) for a in args]
    got = getattr(tp.nn.functional, name)(*mine, p=p)
    want = getattr(torch.nn.functional, name)(*theirs, p=p)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-12)
    gw = np.arange(1.0, 1.0 + want.numel()).reshape(tuple(want.shape))
    gm = tp.autograd.grad(got, mine, tp.tensor(gw), allow_unused=True)
    gt = torch.autograd.grad(want, theirs, torch.tensor(gw), allow_unused=True)
    for a, b in zip(gm, gt):
        if b is None:  # p = 0, a count: PyTorch leaves the inputs out, tensorplug gives zeros
            assert a is None or not a.numpy().any()
            continue
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12)


def test_p_must_be_a_number() -> None:
    with pytest.raises(TypeError, match="argument 'p' must be a number"):
        tp.nn.functional.normalize(tp.tensor(_X), p="fro")
