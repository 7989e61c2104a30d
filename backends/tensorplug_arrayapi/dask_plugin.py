"""Dask arrays as a backend's arrays: lazy and chunked. Every op adds to a task graph and
nothing is computed until a host boundary (``.item()``, ``.numpy()``, ``.tolist()``,
printing: the ``to_host`` kernel) or a value the core must read (an index tensor's bounds).

Dask's views do not share memory with their base, so it is declared immutable
(``mutable=False``): the core writes through ``index_put`` (a lazy copy with the region
replaced) and re-derives the views itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from tensorplug.plugins import BackendSpec, KnownFailure, hookimpl

from ._adapter import backend_spec
from ._library import Context, Library

LINALG = (
    "linalg_inv", "linalg_solve", "linalg_cholesky", "linalg_slogdet", "linalg_eigh",
    "linalg_svd", "linalg_qr",
)  # fmt: skip
"""Not claimed: dask.array.linalg has no eigh or slogdet, no full SVD, computes ``inv`` in
float64, returns the upper Cholesky factor and cannot see a singular matrix before it
computes; the ops that need these raise ``UnsupportedOperation`` instead."""


def kernels(ctx: Context) -> dict[str, Callable[..., Any] | None]:
    get = ctx.kernels["getitem"]
    xp = ctx.xp

    def getitem(a: Any, idx: Any) -> Any:
        out = get(a, idx)
        if any(math.isnan(n) for n in out.shape):  # a mask's result: its size is data
            out.compute_chunk_sizes()
        return out

    def index_put(x: Any, idx: Any, value: Any) -> Any:
        out = x.copy()  # a new graph node; x's graph is left alone
        value = xp.astype(value, x.dtype) if hasattr(value, "dtype") else value
        items = idx if isinstance(idx, tuple) else (idx,)
        if 0 in x.shape or 0 in getattr(value, "shape", ()):
            return out  # nothing to write (Dask refuses an empty value for an empty region)
        basic = all(i is None or i is Ellipsis or isinstance(i, (int, slice)) for i in items)
        if basic and any(i is None for i in items):
            # Dask's __setitem__ misreads ``None``: the region without the new axes, the value
            # broadcast to it with them and reshaped without.
            plain = tuple(i for i in items if i is not None)
            if hasattr(value, "shape"):
                value = xp.reshape(xp.broadcast_to(value, x[idx].shape), x[plain].shape)
            idx = plain
        out[idx] = value  # NumPy's index rules (a mask then ``...`` is refused)
        return out

    def reshape(a: Any, shape: tuple[int, ...]) -> Any:
        try:
            return xp.reshape(a, shape)
        except NotImplementedError:  # chunks that do not split or merge evenly: one chunk
            return xp.reshape(a.rechunk(-1), shape)

    return {
        "getitem": getitem,
        "index_put": index_put,
        "reshape": reshape,
        "reshape_view": reshape,
        **dict.fromkeys(LINALG, None),  # dropped by the adapter
    }


DASK = Library(
    name="dask",
    module="dask.array",
    distribution="dask",
    extra="dask",
    description="Dask arrays on the CPU: lazy and chunked, computed at a host boundary",
    mutable=False,
    kernels=kernels,
    known_failures=(
        *(
            KnownFailure(
                op=op,
                sample=sample,
                reason="the nuclear and spectral norms need singular values, and "
                "dask.array.linalg has no full SVD (linalg_svd is not claimed, above): "
                "UnsupportedOperation",
            )
            for op, samples in (("matrix_norm", ("nuc*", "2*", "neg_2*")), ("norm", ("nuc", "2")))
            for sample in samples
        ),
        KnownFailure(
            op="setitem",
            sample="mask_number",
            reason="Dask's __setitem__ takes a boolean mask only alone, and the core's write "
            "through a mask reaches index_put as (mask, ...): IndexError 'Incorrect shape of "
            "integer indices'",
        ),
        *(
            KnownFailure(
                op=op,
                family="unsupported",
                reason="the same write through a mask: masked_scatter with a gradient wanted "
                "reaches Dask's __setitem__ with (mask, ...) before the missing scatter_add "
                "kernel is reached: IndexError instead of UnsupportedOperation",
            )
            for op in ("masked_scatter", "masked_scatter_")
        ),
        *(
            KnownFailure(
                op=op,
                dtype="float32",
                sample="series_and_fraction",
                reason="the series and continued fraction iterate until every element has "
                "converged, which in float32 builds a task graph deeper than Python's recursion "
                "limit (RecursionError); float64 converges in fewer steps",
            )
            for op in ("igamma", "igammac")
        ),
    ),
)


@hookimpl
def tensorplug_backends() -> list[BackendSpec]:
    return [backend_spec(DASK)]
