"""Entry point of the NumPy backend: declares it, imports nothing heavy."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from tensorplug.plugins import Backend, BackendSpec, hookimpl


def _load() -> Backend:
    from ._backend import make_backend

    return make_backend()


def _version() -> str:
    try:
        return version("numpy")
    except PackageNotFoundError:  # pragma: no cover - numpy is a hard dependency
        return ""


@hookimpl
def tensorplug_backends() -> list[BackendSpec]:
    return [
        BackendSpec(
            name="numpy",
            load=_load,
            device_type="cpu",
            version=_version,
            description="NumPy on the CPU (default)",
        )
    ]
