"""Global hooks called when any module registers a parameter, a buffer or a child module
(PyTorch's ``register_module_parameter_registration_hook`` and its two siblings): each is
``hook(module, name, value)`` and may return a replacement for ``value``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..._graph import RemovableHandle

__all__ = [
    "register_module_buffer_registration_hook",
    "register_module_module_registration_hook",
    "register_module_parameter_registration_hook",
    "registered",
]

_hooks: dict[str, list[Callable[..., Any]]] = {"parameter": [], "buffer": [], "module": []}


def _register(kind: str, hook: Callable[..., Any]) -> RemovableHandle:
    _hooks[kind].append(hook)
    return RemovableHandle(_hooks[kind], hook)


def register_module_parameter_registration_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """``hook(module, name, param)`` on every ``register_parameter`` (and parameter
    assignment); a returned value is registered instead."""
    return _register("parameter", hook)


def register_module_buffer_registration_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """``hook(module, name, buffer)`` on every ``register_buffer`` (and buffer assignment)."""
    return _register("buffer", hook)


def register_module_module_registration_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """``hook(module, name, submodule)`` on every ``add_module`` (and submodule assignment)."""
    return _register("module", hook)


def registered(kind: str, module: Any, name: str, value: Any) -> Any:
    """``value`` as the global hooks of ``kind`` leave it (itself when there are none)."""
    for hook in _hooks[kind]:
        out = hook(module, name, value)
        if out is not None:
            value = out
    return value
