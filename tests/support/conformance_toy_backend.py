"""Deliberately partial backends for the conformance kit's own tests (loaded with
``--backend-module conformance_toy_backend``; never installed).

* ``toy``: NumPy kernels without float16 and without the optional kernels (``scatter_add``,
  ``bitwise_and``, ``bitwise_or``); its ``exp`` kernel is wrong (a declared known failure),
  and it loosens one tolerance with a reason.
* ``toy_xpass``: declares a known failure for ``neg``, which actually works.
* ``toy_typo``: declares a known failure for an op that does not exist.
* ``toy_host``: its ``tanh`` kernel goes through host memory (``to_host``/``from_host``).
* ``toy_no64``: no float16 and no float64 (gradients checked against the NumPy backend).
* ``toy_cuda``: NumPy arrays that claim to live on ``cuda:0`` (the ``gpu`` marker's test).
* ``toy_copyviews``: its ``getitem``, ``reshape`` (and ``reshape_view``) and ``permute``
  return copies, not views: every value is right, but writes through views are lost (the
  ``aliasing`` family's test); ``toy_copy_<kernel>`` copies in that one kernel only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tensorplug as tp
from tensorplug.plugins import (
    OPTIONAL,
    Backend,
    BackendSpec,
    KnownFailure,
    Tolerance,
    hookimpl,
)

_BROKEN_EXP = "exp kernel is exp(x) * (1 + 1e-3): the kit must report it as a known failure"


def _make(
    name: str,
    known: tuple[KnownFailure, ...],
    tolerances: tuple[Tolerance, ...] = (),
) -> Backend:
    base = tp.get_backend("numpy")
    # The raw table: derived kernels (``index_grad``...) are rebuilt from it, so they see the
    # toy's kernels, not NumPy's.
    kernels: dict[str, Any] = dict(base.kernels)
    for optional in OPTIONAL:
        kernels.pop(optional, None)
    exp = kernels["exp"]
    if name == "toy":
        kernels["exp"] = lambda x: exp(x) * x.dtype.type(1.001)
    if name == "toy_host":  # right values, but a trip through host memory
        kernels["tanh"] = lambda x: kernels["from_host"](np.tanh(kernels["to_host"](x)), None)
    if name.startswith("toy_copy"):
        for kernel in _COPIES[name]:
            kernels[kernel] = _copying(kernels[kernel])
    dropped = (tp.float16, tp.float64) if name == "toy_no64" else (tp.float16,)
    dtypes = {d: n for d, n in base.dtypes.items() if d not in dropped}
    return Backend(
        name=name,
        device_type="cuda" if name == "toy_cuda" else "cpu",
        kernels=kernels,
        dtypes=dtypes,
        version="0.0-test",
        array_types=(np.ndarray,),
        known_failures=known,
        tolerances=tolerances,
    )


_COPIES = {
    "toy_copyviews": ("getitem", "reshape", "reshape_view", "permute"),
    **{f"toy_copy_{k}": (k,) for k in ("getitem", "permute", "broadcast_to")},
    "toy_copy_reshape": ("reshape", "reshape_view"),
}


def _copying(kernel: Any) -> Any:
    """``kernel`` with its result copied: right values, no shared memory (a ``reshape_view``
    that claims a view and gives a copy)."""

    def copied(*args: Any) -> Any:
        r = kernel(*args)
        return None if r is None else np.array(r)

    return copied


@hookimpl
def tensorplug_backends() -> list[BackendSpec]:
    return [
        BackendSpec(
            "toy",
            lambda: _make(
                "toy",
                # Not on empty inputs (nothing to get wrong); gradients agree with the
                # (wrong) forward, so only the forward family fails.
                (KnownFailure("exp", _BROKEN_EXP, family="forward", sample="[!e]*"),),
                (Tolerance("sin", "float32", 1e-4, 1e-4, "toy: sin through a slow path"),),
            ),
        ),
        BackendSpec(
            "toy_xpass",
            lambda: _make(
                "toy_xpass", (KnownFailure("neg", "claimed broken, but it works", "forward"),)
            ),
        ),
        BackendSpec("toy_host", lambda: _make("toy_host", ())),
        BackendSpec("toy_no64", lambda: _make("toy_no64", ())),
        BackendSpec("toy_cuda", lambda: _make("toy_cuda", ()), device_type="cuda"),
        *(BackendSpec(name, lambda name=name: _make(name, ())) for name in _COPIES),
        BackendSpec(
            "toy_typo",
            lambda: _make("toy_typo", (KnownFailure("nonexistent_op", "a typo in a declaration"),)),
        ),
    ]
