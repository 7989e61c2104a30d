"""Kernels: tensorplug's generic Array-API table, plus what array-api-strict needs."""

from __future__ import annotations

from typing import Any

import array_api_strict as xp
import numpy as np

from tensorplug.plugins import Backend, KnownFailure, dtype, dtype_table, xp_kernels

# float16 is not in the Array API standard: unclaimed (array-api-strict has no ``float16``),
# so the suite checks that using it raises UnsupportedOperation instead of running float16
# tests.
DTYPES = dtype_table(xp, library="array-api-strict")


KNOWN_FAILURES: tuple[KnownFailure, ...] = ()
"""Genuine gaps, each with its reason; the suite runs them as strict expected failures. None
today: the one this backend had (``None`` reaching ``__setitem__`` in the index backward)
was closed in tensorplug, and its strict expected failure said so by passing."""


def _full_index(idx: Any) -> tuple[Any, ...]:
    # NumPy fills missing trailing axes of an index with ``:``; the standard asks for an
    # explicit ``...`` (but allows none next to integer-array indices).
    idx = idx if isinstance(idx, tuple) else (idx,)
    if any(i is Ellipsis or hasattr(i, "shape") for i in idx):
        return idx
    return (*idx, Ellipsis)


def getitem(a: Any, idx: Any) -> Any:
    # The standard allows integer-array indices only on every axis at once, and ``take`` only
    # with 1-d indices; ``x[rows]`` (gather rows, as ``embedding`` does) is a ``take``.
    rows = idx[0] if isinstance(idx, tuple) and len(idx) == 1 else idx
    if hasattr(rows, "shape") and rows.dtype in (xp.int32, xp.int64):
        flat = xp.take(a, xp.reshape(rows, (-1,)), axis=0)
        return xp.reshape(flat, (*rows.shape, *a.shape[1:]))
    return a[_full_index(idx)]


def setitem(a: Any, idx: Any, value: Any) -> None:
    a[_full_index(idx)] = value


class _Random:
    """Host NumPy generator; the standard has no random numbers."""

    def __init__(self) -> None:
        self.gen = np.random.default_rng()

    def seed(self, s: int) -> None:
        self.gen = np.random.default_rng(s)

    def uniform(self, shape: tuple[int, ...], d: dtype) -> Any:
        return xp.asarray(self.gen.random(shape), dtype=DTYPES[d])

    def normal(self, shape: tuple[int, ...], d: dtype) -> Any:
        return xp.asarray(self.gen.standard_normal(shape), dtype=DTYPES[d])

    def integers(self, low: int, high: int, shape: tuple[int, ...], d: dtype) -> Any:
        return xp.asarray(self.gen.integers(low, high, shape), dtype=DTYPES[d])


def make_backend() -> Backend:
    # array-api-strict computes with NumPy, which warns on 1/0 or log(-1); tensors follow
    # IEEE arithmetic silently (as PyTorch and tensorplug's NumPy backend do).
    np.seterr(all="ignore")
    rng = _Random()
    k = xp_kernels(xp, DTYPES.dtype_of)
    k.update(
        getitem=getitem,
        setitem=setitem,
        astype=lambda a, d: xp.astype(a, DTYPES[d]),
        full=lambda shape, value, d: xp.full(shape, value, dtype=DTYPES[d]),
        arange=lambda start, stop, step, d: xp.arange(start, stop, step, dtype=DTYPES[d]),
        linspace=lambda start, stop, num, d: xp.linspace(start, stop, num, dtype=DTYPES[d]),
        eye=lambda n, m, d: xp.eye(n, m, dtype=DTYPES[d]),
        from_host=lambda obj, d: xp.asarray(
            np.asarray(obj), dtype=None if d is None else DTYPES[d]
        ),
        to_host=lambda a: np.asarray(a),
        random_uniform=rng.uniform,
        random_normal=rng.normal,
        random_integers=rng.integers,
    )
    return Backend(
        name="array_api_strict_tutorial",
        kernels=k,
        dtypes=DTYPES,
        device_type="cpu",
        version=xp.__version__,
        array_types=(type(xp.asarray(0)),),
        manual_seed=rng.seed,
        known_failures=KNOWN_FAILURES,
        info={"library": "array-api-strict"},
    )
