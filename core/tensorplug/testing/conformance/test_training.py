"""The training family: a small MLP and a small CNN trained with Adam on the backend and on
NumPy, every parameter compared (``tensorplug.testing._training``)."""

from __future__ import annotations

import pytest

from tensorplug.plugins import Backend
from tensorplug.testing import assert_close
from tensorplug.testing._cases import Case
from tensorplug.testing._training import MODELS, train
from tensorplug.testing.pytest_plugin import family


@family("training")
@pytest.mark.parametrize("model", sorted(MODELS))
def test_adam_steps_match_numpy(case: Case, tp_backend: Backend, model: str) -> None:
    """After a few Adam steps the parameters equal NumPy's from the same start and batches
    (within float32's rounding, which Adam's normalized steps carry along)."""
    assert case.dtype is not None
    got = train(model, tp_backend.name, case.dtype)
    want = train(model, "numpy", case.dtype)
    tight = case.dtype.itemsize == 8
    for g, w in zip(got, want, strict=True):
        assert_close(g, w, rtol=1e-7 if tight else 2e-3, atol=1e-8 if tight else 2e-4)
