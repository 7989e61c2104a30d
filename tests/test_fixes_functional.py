"""Regression tests for reported bugs in ``nn.functional``, the conformance runner, tensor
creation from foreign arrays and the index backward, checked against PyTorch where it applies."""

from __future__ import annotations

import numpy as np
import pytest

import tensorplug as tp
from tensorplug.nn import functional as F

RNG = np.random.default_rng(7)


# -- 1. nll_loss / cross_entropy with a weight that requires grad -------------------------------


@pytest.mark.parametrize(
    ("fn", "kw"),
    [("nll_loss", {}), ("cross_entropy", {}), ("cross_entropy", {"label_smoothing": 0.1})],
)
def test_class_weight_requiring_grad_raises_like_pytorch(fn: str, kw: dict[str, float]) -> None:
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((3, 4))
    w = RNG.random(4) + 0.5
    t = np.array([0, 2, 1])
    tfn = getattr(torch.nn.functional, fn)
    with pytest.raises(RuntimeError, match="weight"):
        tfn(
            torch.tensor(x, requires_grad=True),
            torch.tensor(t),
            torch.tensor(w, requires_grad=True),
            **kw,
        )
    with pytest.raises(RuntimeError, match=r"nll_loss\(\).*not differentiable.*'weight'"):
        getattr(F, fn)(
            tp.tensor(x, requires_grad=True), tp.tensor(t), tp.tensor(w, requires_grad=True), **kw
        )
    # Without grad mode, or with a detached weight, both compute the same loss.
    with torch.no_grad():
        want = tfn(torch.tensor(x), torch.tensor(t), torch.tensor(w, requires_grad=True), **kw)
    with tp.no_grad():
        got = getattr(F, fn)(tp.tensor(x), tp.tensor(t), tp.tensor(w, requires_grad=True), **kw)
    np.testing.assert_allclose(got.item(), want.item(), rtol=1e-12)


def test_cross_entropy_probability_targets_give_weight_its_gradient() -> None:
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((3, 4))
    p = RNG.random((3, 4))
    p /= p.sum(1, keepdims=True)
    w = RNG.random(4) + 0.5
    tw = torch.tensor(w, requires_grad=True)
    torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(p), tw).backward()
    pw = tp.tensor(w, requires_grad=True)
    F.cross_entropy(tp.tensor(x), tp.tensor(p), pw).backward()
    assert pw.grad is not None
    np.testing.assert_allclose(pw.grad.numpy(), tw.grad.numpy(), rtol=1e-10)
