"""``tp.special``: each name is PyTorch's ``torch.special`` function, with its values."""

from __future__ import annotations

import numpy as np
import pytest

import tensorplug as tp

torch = pytest.importorskip("torch")

_X = np.array([[0.2, 0.45, 0.7], [0.05, 0.5, 0.95]])
_EXTRA = {"polygamma": (2,), "multigammaln": (2,), "softmax": (1,), "log_softmax": (1,),
          "logsumexp": (1,), "xlogy": (1.5,), "xlog1py": (1.5,),
          # issue 16 (wt-h16math): a second tensor (each library's), or a number
          "zeta": (1.5,), "gammainc": (_X + 0.5,), "gammaincc": (_X + 0.5,)}  # fmt: skip


@pytest.mark.parametrize("name", tp.special.__all__)
def test_each_name_is_pytorchs_function(name: str) -> None:
    mine, theirs = getattr(tp.special, name), getattr(torch.special, name)
    extra = _EXTRA.get(name, ())
    x = _X + 1.0 if name == "multigammaln" else _X
    if name == "polygamma":
        got, want = mine(2, tp.tensor(x)), theirs(2, torch.tensor(x))
    else:
        mine_extra = [tp.tensor(e) if isinstance(e, np.ndarray) else e for e in extra]
        their_extra = [torch.tensor(e) if isinstance(e, np.ndarray) else e for e in extra]
        got, want = mine(tp.tensor(x), *mine_extra), theirs(torch.tensor(x), *their_extra)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, atol=1e-7)
    assert got.dtype.name == str(want.dtype).split(".")[-1]


def test_scipy_names_are_the_ops_themselves() -> None:
    assert tp.special.expit is tp.sigmoid
    assert tp.special.gammaln is tp.lgamma and tp.special.psi is tp.digamma


def test_digamma_has_a_double_backward() -> None:
    x = tp.tensor([0.75, 2.5, -0.5], dtype=tp.float64, requires_grad=True)
    (g,) = tp.autograd.grad(tp.digamma(x).sum(), x, create_graph=True)
    (gg,) = tp.autograd.grad(g.sum(), x)
    want = torch.polygamma(2, torch.tensor([0.75, 2.5, -0.5], dtype=torch.float64))
    np.testing.assert_allclose(gg.numpy(), want.numpy(), rtol=1e-12)
