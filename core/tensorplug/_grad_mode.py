"""Thread-local grad mode: ``no_grad``, ``enable_grad``, ``set_grad_enabled``."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _State(threading.local):
    # Class attributes are the per-thread defaults: every new thread starts with grad on.
    grad_enabled: bool = True

    # Every change is also told to ``mirror`` (the compiled hot path's own per-thread flag,
    # read in a few nanoseconds where this attribute takes 45: ``_speedups.c``). Changes are
    # rare (entering and leaving ``no_grad``); reads, once per op, stay a plain attribute.
    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name == "grad_enabled" and mirror is not None:
            mirror(bool(value))

    def __delattr__(self, name: str) -> None:
        super().__delattr__(name)
        if name == "grad_enabled" and mirror is not None:
            mirror(bool(self.grad_enabled))


mirror: Callable[[bool], None] | None = None
"""Told of every change of this thread's grad mode (set once, by ``_tensor``)."""

state = _State()


class _Anomaly:
    """Anomaly mode's switches. One for the process, as in PyTorch (its ``AnomalyMode`` is a
    global flag, not thread-local like grad mode); a plain object, read on every recorded op
    at a third of a thread-local attribute's cost."""

    __slots__ = ("check_nan", "enabled")

    def __init__(self) -> None:
        self.enabled = False
        self.check_nan = True


anomaly = _Anomaly()


def is_grad_enabled() -> bool:
    """Whether ops record the autograd graph in this thread."""
    return state.grad_enabled


class _GradModeContext:
    """Base of the grad-mode switches: usable as a context manager and as a decorator."""

    _target: bool

    def __new__(cls, orig_func: Any = None) -> Any:
        # ``@no_grad`` without parentheses decorates ``orig_func`` directly, as in PyTorch.
        if callable(orig_func):
            return cls()(orig_func)
        return super().__new__(cls)

    def __init__(self) -> None:
        self._prev: list[bool] = []

    def __enter__(self) -> None:
        self._prev.append(state.grad_enabled)
        state.grad_enabled = self._target

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        state.grad_enabled = self._prev.pop()

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self._fresh():
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    def _fresh(self) -> _GradModeContext:
        """A new context for one decorated call, so recursion and threads don't share state."""
        return type(self)()


class no_grad(_GradModeContext):  # noqa: N801 - PyTorch's name
    """Disable graph recording, e.g. for weight updates.

    Example:
        >>> import tensorplug as tp
        >>> w = tp.ones(2, requires_grad=True)
        >>> with tp.no_grad():
        ...     y = w * 2
        >>> y.requires_grad
        False
    """

    _target = False


class enable_grad(_GradModeContext):  # noqa: N801 - PyTorch's name
    """Re-enable graph recording inside a ``no_grad`` block."""

    _target = True


class set_grad_enabled(_GradModeContext):  # noqa: N801 - PyTorch's name
    """Set grad mode to ``mode``; takes effect at once, like PyTorch's, and as a context."""

    def __init__(self, mode: bool) -> None:
        super().__init__()
        self._target = bool(mode)
        # Like torch.set_grad_enabled, calling it as a function switches the mode immediately;
        # leaving the ``with`` block restores what was there before the call.
        self._prev.append(state.grad_enabled)
        state.grad_enabled = self._target

    def __enter__(self) -> None:
        state.grad_enabled = self._target

    def __call__(self, fn: F) -> F:
        # Used as a decorator, the switch made by __init__ must not outlive the decoration.
        state.grad_enabled = self._prev.pop()
        return super().__call__(fn)

    def _fresh(self) -> _GradModeContext:
        return set_grad_enabled(self._target)
