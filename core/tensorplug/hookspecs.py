"""The hooks a tensorplug plugin may implement.

A plugin is a module (or object) named by an entry point in the ``tensorplug.backends`` group,
whose functions are marked with ``tensorplug.plugins.hookimpl``. Hooks run at discovery and
configuration time only; no hook is ever called per op.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from ._plugins import BackendSpec

hookspec = pluggy.HookspecMarker("tensorplug")


@hookspec
def tensorplug_backends() -> list[BackendSpec]:  # type: ignore[empty-body]
    """Declare the backends this plugin provides.

    Called once, the first time anything asks for a backend (never at ``import tensorplug``).

    Returns:
        A list of ``BackendSpec`` records. Each names the backend and gives a ``load()``
        factory that builds the ``Backend`` (heavy imports belong there), and optionally a
        ``probe()`` that says, cheaply, whether it can run on this machine and why not.
    """


@hookspec
def tensorplug_environment_info(backend_name: str) -> dict[str, Any] | None:
    """Extra facts about a backend for ``tensorplug info`` and the conformance header.

    Called only by those diagnostics.

    Args:
        backend_name: the backend being described.

    Returns:
        A dict of short, printable facts (driver version, devices, ...) or ``None``.
    """
