"""Entry point: declares the backend; nothing heavy is imported until ``load`` runs."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from tensorplug.plugins import Backend, BackendSpec, hookimpl


def _load() -> Backend:
    from ._backend import make_backend

    return make_backend()


def _version() -> str:
    try:
        return version("array-api-strict")
    except PackageNotFoundError:
        return ""


@hookimpl
def tensorplug_backends() -> list[BackendSpec]:
    return [
        BackendSpec(
            name="array_api_strict_tutorial",
            load=_load,
            device_type="cpu",
            version=_version,
            description="array-api-strict (the Array API reference implementation), CPU",
        )
    ]
