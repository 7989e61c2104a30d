"""The NumPy backend: tensorplug's default, CPU-only backend.

It is registered through the ``tensorplug.backends`` entry point (``tensorplug_numpy.plugin``)
exactly as a third-party backend is; ``make_backend`` builds it on first use.
"""

from ._backend import make_backend

__all__ = ["make_backend"]
