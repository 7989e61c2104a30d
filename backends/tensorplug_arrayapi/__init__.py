"""One adapter from any Array API library to a tensorplug backend.

A library that ``array-api-compat`` wraps (PyTorch, JAX, Dask, array-api-strict, ...) becomes
a backend from a short declaration, a ``Library``: its dtypes, whether its arrays are mutable,
its devices, host transfer, known failures and tolerances, and optional faster kernels. The
adapter (``build_backend``) writes everything else against the standard's namespace, and
``backend_spec`` declares it to tensorplug's registry. The registered ones are declared in
``torch_plugin``, ``jax_plugin``, ``strict_plugin`` and ``dask_plugin``; importing this package
imports no array library (``docs/backend-guide.md``, "A backend in a few dozen lines").
"""

from ._adapter import backend_spec, build_backend, probe
from ._library import Context, Library

__all__ = ["Context", "Library", "backend_spec", "build_backend", "probe"]
