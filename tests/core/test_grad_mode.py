"""Grad mode (``no_grad``, ``enable_grad``, ``set_grad_enabled``): context managers that nest,
decorators, restored after errors, and thread-local as in PyTorch."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import tensorplug as tp


def t64(data: Any, requires_grad: bool = True) -> tp.Tensor:
    return tp.tensor(data, dtype=tp.float64, requires_grad=requires_grad)


def test_grad_mode_context_managers_nest() -> None:
    x = t64([1.0])
    with tp.no_grad():
        assert not tp.is_grad_enabled()
        assert (x * 2).grad_fn is None
        with tp.enable_grad():
            assert tp.is_grad_enabled()
            assert (x * 2).grad_fn is not None
        assert not tp.is_grad_enabled()
        with tp.set_grad_enabled(True):
            assert (x * 2).requires_grad
    assert tp.is_grad_enabled()
    with tp.set_grad_enabled(False):
        assert (x * 2).grad_fn is None
    assert tp.is_grad_enabled()


def test_grad_mode_restored_after_exception() -> None:
    with pytest.raises(ValueError), tp.no_grad():
        raise ValueError
    assert tp.is_grad_enabled()


def test_set_grad_enabled_as_a_function() -> None:
    try:
        tp.set_grad_enabled(False)
        assert not tp.is_grad_enabled()
    finally:
        tp.set_grad_enabled(True)
    assert tp.is_grad_enabled()


def test_grad_mode_decorators() -> None:
    x = t64([1.0])

    @tp.no_grad()
    def f() -> tp.Tensor:
        return x * 2

    @tp.enable_grad()
    def g() -> tp.Tensor:
        return x * 2

    @tp.set_grad_enabled(False)
    def h() -> tp.Tensor:
        return x * 2

    @tp.no_grad
    def bare() -> tp.Tensor:
        return x * 2

    @tp.enable_grad
    def bare_on() -> tp.Tensor:
        return x * 2

    assert tp.is_grad_enabled()  # decorating switched nothing
    assert bare().grad_fn is None and bare.__name__ == "bare"
    with tp.no_grad():
        assert bare_on().grad_fn is not None
    assert f().grad_fn is None and h().grad_fn is None
    with tp.no_grad():
        assert g().grad_fn is not None
    assert f.__name__ == "f"


def test_grad_mode_is_thread_local() -> None:
    seen = {}
    x = t64([1.0])

    def worker() -> None:
        seen["enabled"] = tp.is_grad_enabled()
        seen["recorded"] = (x * 2).grad_fn is not None

    with tp.no_grad():
        th = threading.Thread(target=worker)
        th.start()
        th.join()
        assert not tp.is_grad_enabled()
    assert seen == {"enabled": True, "recorded": True}
