"""The public API for backend authors: hooks, records, the kernel contract and the dtypes.

A backend package imports from tensorplug only this module: everything a backend needs is
here (``tests/backends/test_import_graph.py`` holds the built-in backends to it).

Example plugin module (named by an entry point in the ``tensorplug.backends`` group)::

    from tensorplug.plugins import BackendSpec, hookimpl

    @hookimpl
    def tensorplug_backends():
        return [BackendSpec(name="mybackend", load=make_my_backend)]
"""

from . import _gelu as gelu_formulas
from . import _lstm_formulas as lstm_formulas
from ._backend import (
    Backend,
    BackendUnavailableError,
    Device,
    KnownFailure,
    Tolerance,
    UnsupportedOperation,
    default_kernels,
)
from ._contract import (
    ACCELERATORS,
    DERIVED,
    ELEMENTWISE,
    HOST_BOUNDARY,
    IMMUTABLE_REQUIRED,
    IN_PLACE,
    KERNELS,
    OPTIONAL,
    PRIMITIVES,
    PRIVATE_PREFIX,
    REUSES,
    TIERS,
    VARIANTS,
    Array,
    BackendOps,
    KernelOps,
    KernelSpec,
    OptionalOps,
)
from ._dtype import ALL_DTYPES, bool_, dtype, float16, float32, float64, int32, int64
from ._plugins import (
    GROUP,
    REGISTRY,
    BackendInfo,
    BackendSpec,
    DeviceAPI,
    InfoSection,
    hookimpl,
    list_backends,
)
from ._xp import DtypeTable, dtype_table, xp_kernels


def register(plugin: object, source: str = "registered at runtime") -> list[str]:
    """Register a plugin module or object directly (no entry point needed).

    Returns the names of the backends it added. Used by ``--backend-module`` and tests.
    """
    return REGISTRY.register(plugin, source)


def unregister_backend(name: str) -> None:
    """Forget backend ``name`` (tests and interactive sessions)."""
    REGISTRY.unregister(name)


__all__ = [
    # plugins and hooks
    "GROUP",
    "BackendInfo",
    "BackendSpec",
    "DeviceAPI",
    "InfoSection",
    "hookimpl",
    "list_backends",
    "register",
    "unregister_backend",
    # the backend record and what it declares
    "Backend",
    "Device",
    "KnownFailure",
    "Tolerance",
    "BackendUnavailableError",
    "UnsupportedOperation",
    # the kernel contract
    "KERNELS",
    "KernelSpec",
    "PRIMITIVES",
    "DERIVED",
    "OPTIONAL",
    "ACCELERATORS",
    "HOST_BOUNDARY",
    "TIERS",
    "IMMUTABLE_REQUIRED",
    "IN_PLACE",
    "REUSES",
    "VARIANTS",
    "ELEMENTWISE",
    "PRIVATE_PREFIX",
    "Array",
    "KernelOps",
    "BackendOps",
    "OptionalOps",
    "default_kernels",
    # helpers for a backend over an array namespace
    "xp_kernels",
    "gelu_formulas",  # the ``gelu``/``gelu_backward`` defaults and constants, to override
    "lstm_formulas",  # the ``lstm_layer``/``lstm_layer_backward`` defaults, to override
    "DtypeTable",
    "dtype_table",
    # dtypes
    "dtype",
    "ALL_DTYPES",
    "bool_",
    "int32",
    "int64",
    "float16",
    "float32",
    "float64",
]
