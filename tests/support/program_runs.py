"""Running one published-style PyTorch program under PyTorch and under tensorplug.

A program is written once as a function of the library module (``train(torch, ...)``); it is
called first with PyTorch, which draws the initial weights, then with tensorplug starting from
those weights (copied through NumPy), on the same data. The two runs must agree step by step.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def state_of(model: Any) -> dict[str, np.ndarray]:
    """The model's state dict as NumPy arrays (works for both libraries)."""
    return {k: np.array(v.detach().cpu().numpy(), copy=True) for k, v in model.state_dict().items()}


def load_state(lib: Any, model: Any, init: dict[str, np.ndarray] | None) -> dict[str, np.ndarray]:
    """Load ``init`` (when given) into ``model`` with ``lib.tensor``; return the initial state."""
    if init is not None:
        model.load_state_dict({k: lib.tensor(v) for k, v in init.items()})
    return state_of(model)


def assert_same_run(ref: dict[str, Any], got: dict[str, Any], rtol: float = 1e-9) -> None:
    """Losses step by step, any printed lines exactly, and the final parameters."""
    np.testing.assert_allclose(got["losses"], ref["losses"], rtol=rtol, atol=0)
    assert got.get("printed") == ref.get("printed")
    assert sorted(got["final"]) == sorted(ref["final"])
    for name, value in ref["final"].items():
        assert got["final"][name].dtype == value.dtype, name
        np.testing.assert_allclose(got["final"][name], value, rtol=rtol, atol=1e-12, err_msg=name)
