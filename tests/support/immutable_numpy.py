"""``immutable_numpy``: NumPy's kernels as an *immutable* backend (``mutable=False``), the test
double that proves the core's functional path without JAX (loaded with ``--backend-module
immutable_numpy``, or ``tp.plugins.register`` in a test; never installed).

Every array a kernel returns is made read-only (``flags.writeable = False``), and so is every
view NumPy makes of one: any in-place kernel the core still called, and any write relying on
a view sharing memory with its base, raises ``ValueError: assignment destination is
read-only``. The in-place kernels are left out (the core never calls them on such a backend);
``index_put`` and ``index_add``, the functional writes, are NumPy's on a copy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tensorplug as tp
from tensorplug.plugins import IN_PLACE, Backend, BackendSpec, hookimpl


def _frozen(r: Any) -> Any:
    if isinstance(r, np.ndarray):
        r.flags.writeable = False
    elif isinstance(r, tuple):
        for a in r:
            _frozen(a)
    return r


def _freezing(kernel: Any) -> Any:
    def frozen(*args: Any) -> Any:
        return _frozen(kernel(*args))

    nd = getattr(kernel, "nd", None)
    if nd is not None:
        frozen.nd = lambda *args: _frozen(nd(*args))  # type: ignore[attr-defined]
    return frozen


def _make() -> Backend:
    base = tp.get_backend("numpy")
    numpy_k = base.kernels
    kernels = {n: _freezing(f) for n, f in numpy_k.items() if n not in IN_PLACE}
    kernels.pop("where_zero_owned", None)  # it writes into the array it is given

    def index_put(x: Any, idx: Any, value: Any) -> Any:
        out = np.array(x)
        numpy_k["setitem"](out, idx, value)
        return _frozen(out)

    def index_add(x: Any, idx: Any, src: Any) -> Any:
        out = np.array(x)
        numpy_k["scatter_add"](out, idx, src)
        return _frozen(out)

    kernels["index_put"] = index_put
    kernels["index_add"] = index_add
    return Backend(
        name="immutable_numpy",
        kernels=kernels,
        dtypes=base.dtypes,
        version="0.0-test",
        array_types=(np.ndarray,),
        manual_seed=base.manual_seed,
        rng=base.rng,
        known_failures=base.known_failures,
        mutable=False,
    )


@hookimpl
def tensorplug_backends() -> list[BackendSpec]:
    return [BackendSpec("immutable_numpy", _make)]
