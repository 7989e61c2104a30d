"""Ops whose forward is one kernel call (``Node.kernel``) run that kernel directly, from a
per-backend cache (``_dispatch.forwards``) that a replaced kernel invalidates."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorplug as tp
from tensorplug._dispatch import forwards, unary
from tensorplug._graph import Node
from tensorplug._ops_clamp import ClampBackward1, ClampMinBackward0
from tensorplug._ops_pointwise import MulBackward0


def test_a_kernel_op_runs_its_kernel_itself() -> None:
    be = tp.get_backend("numpy")
    assert MulBackward0.kernel == "mul"
    assert forwards(MulBackward0._spec, be, MulBackward0)[0] is be.k.mul
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

    assert (x * x).tolist() == [1.0, 4.0]  # and the kernel's ``nd`` variant (two arrays)
    monkeypatch.setattr(be.k, "mul", counted)
    assert (x * 3).tolist() == [3.0, 6.0] and calls == ["mul"]
    assert (x * x).tolist() == [1.0, 4.0] and calls == ["mul", "mul"]  # no ``nd``: itself
    monkeypatch.undo()
    assert (x * 3).tolist() == [3.0, 6.0] and (x * x).tolist() == [1.0, 4.0]
    assert calls == ["mul", "mul"]
    assert "_forwards" not in vars(be.k)  # not a kernel


def test_a_kernels_nd_variant_is_cached_beside_it() -> None:
    """NumPy's elementwise kernels carry the bare ufunc as ``nd`` (docs/backend-guide.md):
    for arrays with dimensions it returns what the wrapper would."""
    be = tp.get_backend("numpy")
    assert be.k.mul.nd is np.multiply and be.k.tanh.nd is np.tanh
    assert forwards(MulBackward0._spec, be, MulBackward0)[1] is np.multiply
    a = np.array([[1.5, -2.0]], np.float32)
    for args in ((a, a), (a, np.float32(2.0) * np.ones((), np.float32))):
        expected = be.k.mul(*args)
        got = be.k.mul.nd(*args)
        assert type(got) is type(expected) is np.ndarray
        np.testing.assert_array_equal(got, expected)
    assert type(be.k.tanh(np.ones((), np.float32))) is np.ndarray  # why 0-d needs the wrapper
    assert type(np.tanh(np.ones((), np.float32))) is not np.ndarray


def test_a_subclass_with_its_own_forward_does_not_inherit_the_kernel() -> None:
    class ClampTwice(ClampBackward1):
        forward = staticmethod(lambda k, x, lo, hi: k.mul(k.clamp(x, lo, hi), 2))

    class Plain(Node):
        op = "plain"

    assert ClampTwice.kernel == "" and Plain.kernel == ""
    x = tp.tensor([-1.0, 0.5, 3.0], requires_grad=True)
    np.testing.assert_array_equal(unary(ClampTwice, x, 0.0, 1.0).numpy(force=True), [0, 1, 2])


def test_nd_variant_only_for_array_operands(monkeypatch: pytest.MonkeyPatch) -> None:
    """``nd`` is for calls whose operands are all arrays: an op with arguments of its own
    (``pow``'s exponent, a number the kernel converts) gets the kernel itself."""
    be = tp.get_backend("numpy")
    calls: list[str] = []
    pow_ = be.k.pow

    def kernel(a: Any, b: Any) -> Any:
        calls.append("kernel")
        return pow_(a, b)

    def nd(a: Any, b: Any) -> Any:
        calls.append("nd")
        return np.power(a, b)

    kernel.nd = nd  # type: ignore[attr-defined]
    monkeypatch.setattr(be.k, "pow", kernel)
    y = tp.tensor([[1.5, 2.0]], requires_grad=True) * 1.0
    y**2
    calls.clear()
    assert (y**2).tolist() == [[2.25, 4.0]]  # unary(PowBackward0, y, 2): an argument
    assert calls == ["kernel"]
    y**y  # a first call fills the forward caches, through Python
    calls.clear()
    assert (y**y).tolist()[0] == pytest.approx([1.5**1.5, 4.0])  # binary on two arrays: nd
    assert calls == ["nd"]
