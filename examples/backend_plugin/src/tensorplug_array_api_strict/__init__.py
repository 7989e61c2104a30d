"""A tensorplug backend on array-api-strict: the example of ``docs/backend-guide.md``."""

from ._backend import make_backend

__all__ = ["make_backend"]
