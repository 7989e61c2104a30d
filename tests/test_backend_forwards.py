"""Ops whose forward is one kernel call (``Node.kernel``) run that kernel directly, from a
per-backend cache (``Backend.forward_of``) that a replaced kernel invalidates."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorplug as tp
from tensorplug._autograd import Node
from tensorplug._ops_pointwise import ClampBackward1, ClampMinBackward0, MulBackward0
from tensorplug._tensor import unary


def test_a_kernel_op_runs_its_kernel_itself() -> None:
    be = tp.get_backend("numpy")
    assert MulBackward0.kernel == "mul"
    assert be.forward_of(MulBackward0) is be.k.mul
    assert ClampMinBackward0.kernel == "clamp"  # inherited along with the derived forward


def test_replacing_a_kernel_takes_effect_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    be = tp.get_backend("numpy")
    x = tp.tensor([1.0, 2.0], requires_grad=True)
    assert (x * 3).tolist() == [3.0, 6.0]  # the cache now holds k.mul
    calls: list[str] = []
    mul = be.k.mul

    def counted(a: Any, b: Any) -> Any:
        calls.append("mul")
        return mul(a, b)

    monkeypatch.setattr(be.k, "mul", counted)
    assert (x * 3).tolist() == [3.0, 6.0] and calls == ["mul"]
    monkeypatch.undo()
    assert (x * 3).tolist() == [3.0, 6.0] and calls == ["mul"]
    assert "_forwards" not in vars(be.k)  # the cache is not a kernel


def test_a_subclass_with_its_own_forward_does_not_inherit_the_kernel() -> None:
    class ClampTwice(ClampBackward1):
        forward = staticmethod(lambda k, x, lo, hi: k.mul(k.clamp(x, lo, hi), 2))

    class Plain(Node):
        op = "plain"

    assert ClampTwice.kernel == "" and Plain.kernel == ""
    x = tp.tensor([-1.0, 0.5, 3.0], requires_grad=True)
    np.testing.assert_array_equal(unary(ClampTwice, x, 0.0, 1.0).numpy(force=True), [0, 1, 2])
