"""The public API for backend authors: hooks, records and the kernel contract.

Example plugin module (named by an entry point in the ``tensorplug.backends`` group)::

    from tensorplug.plugins import BackendSpec, hookimpl

    @hookimpl
    def tensorplug_backends():
        return [BackendSpec(name="mybackend", load=make_my_backend)]
"""

from ._backend import (
    ACCELERATORS,
    OPTIONAL,
    PRIMITIVES,
    Array,
    Backend,
    BackendUnavailableError,
    Device,
    KnownFailure,
    Tolerance,
    UnsupportedOperation,
    default_kernels,
    xp_kernels,
)
from ._plugins import GROUP, REGISTRY, BackendInfo, BackendSpec, hookimpl, list_backends


def register(plugin: object, source: str = "registered at runtime") -> list[str]:
    """Register a plugin module or object directly (no entry point needed).

    Returns the names of the backends it added. Used by ``--backend-module`` and tests.
    """
    return REGISTRY.register(plugin, source)


def unregister_backend(name: str) -> None:
    """Forget backend ``name`` (tests and interactive sessions)."""
    REGISTRY.unregister(name)


__all__ = [
    "GROUP",
    "ACCELERATORS",
    "OPTIONAL",
    "PRIMITIVES",
    "Array",
    "Backend",
    "BackendInfo",
    "BackendSpec",
    "BackendUnavailableError",
    "Device",
    "KnownFailure",
    "Tolerance",
    "UnsupportedOperation",
    "default_kernels",
    "hookimpl",
    "list_backends",
    "register",
    "unregister_backend",
    "xp_kernels",
]
