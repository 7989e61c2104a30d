"""array-api-strict, the Array API reference implementation: the standard and nothing more,
so the adapter's own kernels are all it runs (``examples/backend_plugin`` is the same
library written out kernel by kernel, the guide's tutorial)."""

from __future__ import annotations

from tensorplug.plugins import BackendSpec, hookimpl

from ._adapter import backend_spec
from ._library import Library

# float16 is not in the standard: array-api-strict has none, so the table does not claim it
# and the suite checks that asking for it raises UnsupportedOperation.
STRICT = Library(
    name="array_api_strict",
    module="array_api_strict",
    distribution="array-api-strict",
    extra="array-api-strict",
    description="array-api-strict (the Array API reference implementation), CPU",
)


@hookimpl
def tensorplug_backends() -> list[BackendSpec]:
    return [backend_spec(STRICT)]
