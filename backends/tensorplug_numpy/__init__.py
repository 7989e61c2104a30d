"""The NumPy backend: tensorplug's default, CPU-only backend.

It is registered through the ``tensorplug.backends`` entry point (``tensorplug_numpy.plugin``)
exactly as a third-party backend is. Importing this package imports nothing heavy; NumPy is
imported by ``tensorplug_numpy._backend.make_backend`` when the backend is first used.
"""
