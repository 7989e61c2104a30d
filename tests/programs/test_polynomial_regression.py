# The program keeps its published names (F, W_target, netG, B, T, C, ...) and spelling.
# ruff: noqa: N803, N806, UP032
"""The polynomial regression of pytorch/examples (``regression/main.py``).

``x.unsqueeze(1)``, ``torch.cat([x ** i ...], 1)``, ``mm``, ``b.item()``, ``F.smooth_l1_loss``,
manual SGD on ``fc.parameters()`` under ``no_grad``, and the example's printing of 0-d tensors
through format specs (``f"{loss:.6f}"``, ``"{:+.2f}".format(w)``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorplug
from program_runs import assert_same_run, load_state, state_of

torch = pytest.importorskip("torch")

POLY_DEGREE = 4


def train(torch: Any, steps: int, data: Any, init: Any = None) -> dict[str, Any]:
    F = torch.nn.functional
    W_target = torch.tensor(data["w"])
    b_target = torch.tensor(data["b"])

    def make_features(x: Any) -> Any:
        """Builds features i.e. a matrix with columns [x, x^2, x^3, x^4]."""
        x = x.unsqueeze(1)
        return torch.cat([x**i for i in range(1, POLY_DEGREE + 1)], 1)

    def f(x: Any) -> Any:
        """Approximated function."""
        return x.mm(W_target) + b_target.item()

    def poly_desc(W: Any, b: Any) -> str:
        """Creates a string description of a polynomial."""
        result = "y = "
        for i, w in enumerate(W):
            result += "{:+.2f} x^{} ".format(w, i + 1)
        result += "{:+.2f}".format(b[0])
        return result

    def get_batch(batch_idx: int) -> tuple[Any, Any]:
        """Builds a batch i.e. (x, f(x)) pair."""
        random = torch.tensor(data["x"][batch_idx])
        x = make_features(random)
        y = f(x)
        return x, y

    fc = torch.nn.Linear(W_target.size(0), 1).double()
    initial = load_state(torch, fc, init)
    losses, printed = [], []
    for batch_idx in range(steps):
        batch_x, batch_y = get_batch(batch_idx)
        fc.zero_grad()
        output = F.smooth_l1_loss(fc(batch_x), batch_y)
        loss = output.item()
        output.backward()
        with torch.no_grad():
            for param in fc.parameters():
                param -= 0.1 * param.grad
        losses.append(loss)
        printed.append(f"Loss: {output:.6f} after {batch_idx + 1} batches")
    printed.append("==> Learned function:\t" + poly_desc(fc.weight.view(-1), fc.bias))
    printed.append("==> Actual function:\t" + poly_desc(W_target.view(-1), b_target))
    return {"losses": losses, "printed": printed, "initial": initial, "final": state_of(fc)}


def test_polynomial_regression_matches_pytorch() -> None:
    rng = np.random.default_rng(1)
    steps = 20
    data = {
        "w": rng.standard_normal((POLY_DEGREE, 1)) * 0.5,
        "b": rng.standard_normal(1) * 0.5,
        "x": rng.standard_normal((steps, 32)) * 0.5,
    }
    ref = train(torch, steps, data)
    got = train(tensorplug, steps, data, init=ref["initial"])
    assert_same_run(ref, got)
