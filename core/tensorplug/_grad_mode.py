"""Thread-local grad mode (``no_grad``, ``enable_grad``, ``set_grad_enabled``) and the
process-wide anomaly mode.

Every op asks whether grad mode is on (``grad_enabled``). Reading a thread-local attribute
costs a dictionary lookup per op, so the process also counts the threads that have turned
grad mode off: while none has, the answer needs no thread-local read. Changes are rare
(entering and leaving ``no_grad``) and update the count under a lock.

Compiled where the install could (``_grad_mode.pxd``), plain Python otherwise.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _Switches:
    """The process-wide switches every op reads: anomaly mode (one for the process, as
    PyTorch's ``AnomalyMode`` is), and how many threads have grad mode off."""

    __slots__ = ("anomaly", "check_nan", "threads_without_grad")

    def __init__(self) -> None:
        self.anomaly = False
        self.check_nan = True
        self.threads_without_grad = 0


switches = _Switches()
_count_lock = threading.Lock()


class _State(threading.local):
    """This thread's grad mode (``state.grad_enabled``); setting it keeps
    ``switches.threads_without_grad`` in step."""

    # Class attributes are the per-thread defaults: every new thread starts with grad on.
    grad_enabled: bool = True

    def __setattr__(self, name: str, value: Any) -> None:
        if name != "grad_enabled":
            super().__setattr__(name, value)
            return
        value = bool(value)
        with _count_lock:
            was = self.grad_enabled
            super().__setattr__(name, value)
            if was != value:
                switches.threads_without_grad += 1 if was else -1

    def __delattr__(self, name: str) -> None:
        if name == "grad_enabled":
            self.grad_enabled = True  # back to the default
        else:
            super().__delattr__(name)


state = _State()


def grad_enabled() -> bool:
    """Whether ops record the graph in this thread (the per-op test: no thread has turned
    grad mode off, or this one has not)."""
    s = switches
    return s.threads_without_grad == 0 or state.grad_enabled


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
