"""The CuPy backend: tensorplug on NVIDIA GPUs (``cuda:0``, ``cuda:1``, ...).

Registered through the ``tensorplug.backends`` entry point (``tensorplug_cupy.plugin``), as a
third-party backend is. Importing this package imports neither CuPy nor CUDA; the backend is
built on first use, and ``tensorplug.list_backends()`` says why it is unavailable when it is.
"""

from .plugin import install_hint, probe

__all__ = ["install_hint", "probe"]
