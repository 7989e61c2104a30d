"""JAX arrays as a backend's arrays: ``jax`` on the CPU, ``jax_cuda`` on NVIDIA GPUs.

JAX's arrays are immutable (``mutable=False``): the core turns every in-place op and write
through a view into ``index_put``/``index_add`` (JAX's ``x.at[idx].set``/``.add``) and
re-derives the views itself. float64 and int64 need ``jax_enable_x64``, a process-wide flag:
the backend turns it on when it loads (tensorplug always passes explicit dtypes, so its own
results never depend on the flag; other JAX code in the process then gets 64-bit defaults
for Python numbers, as JAX documents). ``TENSORPLUG_JAX_X64=0`` leaves the flag alone, and
the backend then claims neither float64 nor int64 and cannot index (docs/backend-guide.md).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Any

from tensorplug.plugins import BackendSpec, KnownFailure, hookimpl

from ._adapter import NO_DRIVER, backend_spec, nvidia_driver
from ._library import LOG_NDTR_FLOAT16, Context, Library


def _setup(jnp: Any) -> None:
    if os.environ.get("TENSORPLUG_JAX_X64", "1") != "0":
        importlib.import_module("jax").config.update("jax_enable_x64", True)


def kernels(ctx: Context) -> dict[str, Callable[..., Any]]:
    """The functional writes (JAX's ``.at``) that an immutable backend writes with."""
    xp, full_index = ctx.xp, ctx.kernels["_full_index"]

    def index_put(x: Any, idx: Any, value: Any) -> Any:
        # A number too is cast first (a float into an integer array truncates, as NumPy's
        # and PyTorch's writes do; JAX warns at an unsafe cast inside ``.set``).
        value = (
            xp.astype(value, x.dtype)
            if hasattr(value, "dtype")
            else xp.asarray(value, dtype=x.dtype)
        )
        return x.at[full_index(idx)].set(value)

    def index_add(x: Any, idx: Any, src: Any) -> Any:
        return x.at[full_index(idx)].add(xp.astype(src, x.dtype))

    def topk(a: Any, k: int, axis: int, largest: bool) -> Any:
        # The NumPy-style topk writes into a work array; a stable sort's first k is exact.
        order = argsort(a, axis, largest, True)
        return xp.take(order, xp.arange(k, dtype=xp.int64), axis=axis)

    argsort = ctx.kernels["_argsort"]  # the adapter's, in the standard's spelling
    return {"index_put": index_put, "index_add": index_add, "topk": topk, "argsort": argsort}


def _device(kind: str) -> Callable[[Any, int], Any]:
    return lambda jnp, i: importlib.import_module("jax").devices(kind)[i]


def _cuda(module: str) -> str:
    if not nvidia_driver():
        return NO_DRIVER
    jax = importlib.import_module("jax")
    try:
        jax.devices("cuda")
    except RuntimeError:
        return f"jaxlib {jax.__version__} has no CUDA device here (pip install 'jax[cuda12]')"
    return ""


JAX = Library(
    name="jax",
    module="jax.numpy",
    distribution="jax",
    extra="jax",
    description="JAX arrays on the CPU (immutable: the core makes writes functional)",
    mutable=False,
    setup=_setup,
    kernels=kernels,
    device=_device("cpu"),
    tolerances=(LOG_NDTR_FLOAT16,),
    known_failures=(
        *(
            KnownFailure(
                op=op,
                family="errors",
                sample=sample,
                reason="JAX's inv and solve return inf/nan for a singular matrix instead of "
                "raising, and checking would read every result back to the host",
            )
            for op, sample in (("inv", "not_invertible"), ("solve", "singular"))
        ),
    ),
)
JAX_CUDA = JAX.on(
    "cuda", "NVIDIA GPUs (cuda:0, cuda:1, ...)", device=_device("cuda"), available=_cuda
)


@hookimpl
def tensorplug_backends() -> list[BackendSpec]:
    return [backend_spec(lib) for lib in (JAX, JAX_CUDA)]
