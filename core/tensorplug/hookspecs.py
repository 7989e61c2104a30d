"""The hooks a tensorplug plugin may implement.

A plugin is a module (or object) named by an entry point in the ``tensorplug.backends`` group,
whose functions are marked with ``tensorplug.plugins.hookimpl``. Hooks run at discovery and
configuration time only; no hook is ever called per op.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from ._plugins import BackendSpec, DeviceAPI

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

    Called only by those diagnostics, for every backend that is not broken, whether or not
    it can run here: an implementation must not assume its backend loads.

    Args:
        backend_name: the backend being described.

    Returns:
        A dict of short, printable facts (driver version, devices, ...) or ``None``. A value
        that is a ``tensorplug.plugins.InfoSection`` is a longer diagnosis, printed as a
        block of its own after the backend table (the key only has to be unique).
    """


@hookspec(firstresult=True)
def tensorplug_device_api(backend_name: str) -> DeviceAPI | None:
    """The device runtime of a GPU backend, for ``tensorplug.cuda``.

    ``tensorplug.cuda`` serves the backend that ``device="cuda"`` resolves to. It asks this
    hook once per backend, the first time one of its functions needs more than the backend's
    ``probe`` (``device_count``, the memory statistics, ``get_device_name``), and only when
    the probe says the backend can run; the first answer that is not ``None`` is used.

    Args:
        backend_name: the backend whose devices are asked about.

    Returns:
        A ``tensorplug.plugins.DeviceAPI`` for a backend of this plugin, ``None`` for any
        other. Building it should import nothing heavy: its functions run when called.
    """
