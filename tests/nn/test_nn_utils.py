"""``nn.utils``' gradient clipping and parameter/vector conversion against PyTorch:
``get_total_norm``, ``clip_grads_with_norm_``, ``clip_grad_norm_`` (``foreach``,
``error_if_nonfinite``), ``clip_grad_value_``, ``parameters_to_vector`` and
``vector_to_parameters``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import tensorplug as tp

torch = pytest.importorskip("torch")

GRADS = [np.array([[3.0, -1.5], [0.25, 2.0]]), np.array([-4.0, 0.5, 1.0])]


def _params(lib: Any, grads: list[np.ndarray]) -> list[Any]:
    ps = [lib.nn.Parameter(lib.zeros(*g.shape, dtype=lib.float64)) for g in grads]
    for p, g in zip(ps, grads, strict=True):
        p.grad = lib.tensor(g)
    return ps


def _grads_of(ps: list[Any]) -> list[np.ndarray]:
    return [np.asarray(p.grad.numpy()) for p in ps]


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3, math.inf])
@pytest.mark.parametrize("foreach", [None, True, False])
def test_clip_grad_norm_matches_pytorch(norm_type: float, foreach: Any) -> None:
    results = []
    for lib in (tp, torch):
        ps = _params(lib, GRADS)
        total = lib.nn.utils.clip_grad_norm_(ps, 1.5, norm_type, foreach=foreach)
        results.append((float(total), _grads_of(ps)))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    for a, b in zip(results[0][1], results[1][1], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_total_norm_then_clip_in_two_steps() -> None:
    results = []
    for lib in (tp, torch):
        ps = _params(lib, GRADS)
        total = lib.nn.utils.get_total_norm([p.grad for p in ps], 2.0)
        lib.nn.utils.clip_grads_with_norm_(ps, 0.1, total)
        results.append((float(total), _grads_of(ps)))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    for a, b in zip(results[0][1], results[1][1], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_no_gradients_gives_a_zero_norm() -> None:
    assert float(tp.nn.utils.clip_grad_norm_([tp.nn.Parameter(tp.ones(2))], 1.0)) == 0.0
    assert float(tp.nn.utils.get_total_norm([])) == 0.0


def test_non_finite_norm() -> None:
    for lib in (tp, torch):
        ps = _params(lib, [np.array([math.nan, 1.0])])
        with pytest.raises(RuntimeError, match="is non-finite, so it cannot be clipped"):
            lib.nn.utils.clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    ours = _params(tp, [np.array([math.inf, 1.0])])
    total = tp.nn.utils.clip_grad_norm_(ours, 1.0)  # no error: scaled by the infinite norm
    assert math.isinf(float(total))


def test_clip_grad_value_matches_pytorch() -> None:
    got = []
    for lib in (tp, torch):
        ps = _params(lib, GRADS)
        assert lib.nn.utils.clip_grad_value_(ps, 1.0, foreach=True) is None
        lib.nn.utils.clip_grad_value_(ps[0], 0.5)
        got.append(_grads_of(ps))
    for a, b in zip(*got, strict=True):
        np.testing.assert_array_equal(a, b)


def test_vector_round_trip_and_errors() -> None:
    for lib in (tp, torch):
        lin = lib.nn.Linear(3, 2)
        vec = lib.nn.utils.parameters_to_vector(lin.parameters())
        assert tuple(vec.shape) == (8,)
        lib.nn.utils.vector_to_parameters(vec * 0 + 1, lin.parameters())
        assert float(lin.weight.detach().sum()) == 6.0 and float(lin.bias.detach().sum()) == 2.0
        with pytest.raises(TypeError, match="but got: list"):
            lib.nn.utils.vector_to_parameters([1.0], lin.parameters())
