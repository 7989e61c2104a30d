"""``Library``: what one Array API library declares to become a backend."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from tensorplug.plugins import DtypeTable, KnownFailure, Tolerance, dtype

LOG_NDTR_FLOAT16 = Tolerance(
    "log_ndtr",
    "float16",
    rtol=2e-3,
    atol=1e-4,
    reason="composed of float16 kernels (the log of erfc), each rounding to float16's 10 bits: "
    "one element in twelve lands 1.7e-3 from the float64 reference (PyTorch's and JAX's)",
)
"""A tolerance the libraries whose float16 kernels round each step (PyTorch, JAX) declare."""


@dataclass(frozen=True)
class Context:
    """What a declaration's hooks receive once the library is imported.

    Attributes:
        module: the library's own module (``torch``, ``jax.numpy``, ``dask.array``, ...).
        xp: its Array API namespace, as ``array-api-compat`` wraps it.
        dtypes: the dtype table (tensorplug dtype -> the library's).
        device: the library's device object the backend places arrays on (``None``: the
            library's default).
        index: the device index (``cuda:1`` -> 1).
        kernels: the adapter's kernels, for a declaration that wraps one of them.
    """

    module: Any
    xp: Any
    dtypes: DtypeTable
    device: Any
    index: int
    kernels: Mapping[str, Callable[..., Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Library:
    """A backend declared as an Array API library plus what differs in it.

    Only ``name``, ``module`` and ``distribution`` are required: the rest defaults to what
    the standard says. Each hook takes a ``Context`` (or the imported module), runs on first
    use of the backend and never at ``import tensorplug``.

    Args:
        name: the registry name (``tp.set_backend(name)``).
        module: the module to import (``"torch"``, ``"jax.numpy"``).
        distribution: the pip package, for the version and the install hint.
        extra: tensorplug's extra that installs it (``pip install "tensorplug[extra]"``).
        description: one line for ``tensorplug info``.
        device_type: the device kind tensors of this backend report (``cpu``, ``cuda``).
        mutable: whether arrays may be written in place and views share memory with their
            base (``Backend.mutable``); ``False`` for JAX and Dask.
        exclude: tensorplug dtypes the library has but the backend does not claim.
        setup: called with the module once, before the backend is built (JAX's x64 flag).
        device: ``(module, index)`` -> the library's device object, or ``None`` for its
            default.
        available: the module's name -> ``""`` when a device of ``device_type`` is there,
            else why not (a GPU kind's check; import the library only once cheaper checks
            passed: ``tensorplug info`` asks every backend).
        kernels: ``Context`` -> kernels that replace or add to the adapter's (faster ones,
            or the optional ``scatter_add``); ``None`` for a name drops the adapter's kernel
            (an optional one the library gets wrong).
        to_host: ``array`` -> a NumPy-readable host array (default ``numpy.asarray``).
        synchronize: ``module`` -> a function that waits for queued work (GPU kinds).
        known_failures / tolerances: the conformance suite's declarations, with reasons.
        info: extra facts for ``tensorplug info``.
    """

    name: str
    module: str
    distribution: str
    extra: str = ""
    description: str = ""
    device_type: str = "cpu"
    mutable: bool = True
    exclude: tuple[dtype, ...] = ()
    setup: Callable[[Any], None] | None = None
    device: Callable[[Any, int], Any] | None = None
    available: Callable[[str], str] | None = None
    kernels: Callable[[Context], Mapping[str, Callable[..., Any] | None]] | None = None
    to_host: Callable[[Any], Any] | None = None
    synchronize: Callable[[Any], Callable[[], None]] | None = None
    known_failures: tuple[KnownFailure, ...] = ()
    tolerances: tuple[Tolerance, ...] = ()
    info: Mapping[str, Any] = field(default_factory=dict)

    def on(self, kind: str, where: str, **more: Any) -> Library:
        """This library's backend on device kind ``kind`` (``cuda``): named
        ``{name}_{kind}``, its description saying ``where`` instead of "the CPU", ``more``
        replacing fields (``device``, ``available``, ``synchronize``). A backend's tensors
        live on one kind of device, so each kind is a backend of its own."""
        where_desc = self.description.replace("the CPU", where)
        return replace(
            self, name=f"{self.name}_{kind}", device_type=kind, description=where_desc, **more
        )
