"""The kernels the adapter writes against the standard beyond ``xp_kernels``: indexing as the
standard allows it, creation on the backend's device, host transfer and random numbers."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from tensorplug.plugins import dtype

from ._library import Context

Kernel = Callable[..., Any]


def _full_index(idx: Any) -> tuple[Any, ...]:
    # NumPy fills missing trailing axes of an index with ``:``; the standard asks for an
    # explicit ``...`` (but allows none next to integer-array indices).
    items: tuple[Any, ...] = idx if isinstance(idx, tuple) else (idx,)
    if any(i is Ellipsis or hasattr(i, "shape") for i in items):
        return items
    return (*items, Ellipsis)


def indexing(ctx: Context) -> dict[str, Kernel]:
    """``getitem`` and ``setitem`` within the standard's indexing rules, and ``argsort``."""
    # A tuple: ``in`` compares, and a dtype may equal its table entry without hashing alike
    # (NumPy-based namespaces hold scalar types, arrays report ``numpy.dtype`` objects).
    xp, ints = ctx.xp, tuple(ctx.dtypes[d] for d in ctx.dtypes if d.name in ("int32", "int64"))

    def gather(a: Any, arrays: list[Any]) -> Any:
        # ``a[i0, i1, ...]`` on its leading axes as one ``take`` of 1-d positions: the
        # standard allows integer-array indices only on every axis at once, and ``take`` only
        # with 1-d indices (Dask has no n-d fancy indexing at all).
        k = len(arrays)
        shape = xp.broadcast_arrays(*arrays)[0].shape if k > 1 else arrays[0].shape
        lin = 0
        for n, i in zip(a.shape[:k], arrays):
            lin = lin * n + xp.where(i < 0, i + n, i)  # the core has checked the bounds
        flat = xp.reshape(a, (math.prod(a.shape[:k]), *a.shape[k:]))
        taken = xp.take(flat, xp.reshape(xp.broadcast_to(lin, shape), (-1,)), axis=0)
        return xp.reshape(taken, (*shape, *a.shape[k:]))

    def getitem(a: Any, idx: Any) -> Any:
        items = idx if isinstance(idx, tuple) else (idx,)
        arrays = list(itertools.takewhile(lambda i: getattr(i, "dtype", None) in ints, items))
        rest = items[len(arrays) :]
        if arrays and all(i is Ellipsis or i == slice(None) for i in rest):
            return gather(a, arrays)
        return a[_full_index(idx)]

    def setitem(a: Any, idx: Any, value: Any) -> None:
        if hasattr(value, "dtype") and value.dtype != a.dtype:
            value = xp.astype(value, a.dtype)  # libraries differ on casting in a write
        a[_full_index(idx)] = value

    def argsort(a: Any, axis: int, descending: bool, stable: bool) -> Any:
        # The standard's spelling (JAX refuses NumPy's ``kind=``); descending as the reverse
        # of the reversed array's stable ascending order, so NaN stays the largest.
        if not descending:
            return xp.argsort(a, axis=axis, stable=True)
        back = xp.flip(xp.argsort(xp.flip(a, axis=axis), axis=axis, stable=True), axis=axis)
        return (a.shape[axis] - 1) - back

    return {
        "getitem": getitem,
        "setitem": setitem,
        "_argsort": argsort,  # a declaration claims it as ``argsort`` where it passes the kit
        "_full_index": _full_index,
    }


def creation(ctx: Context) -> dict[str, Kernel]:
    """The primitives that take a tensorplug dtype, placing arrays on the backend's device."""
    xp, t = ctx.xp, ctx.dtypes
    on: dict[str, Any] = {} if ctx.device is None else {"device": ctx.device}

    def from_host(obj: Any, d: dtype | None) -> Any:
        # A copy first: the library may share a NumPy array's memory, and the tensor owns its.
        host = np.array(obj)
        return xp.asarray(host, dtype=None if d is None else t[d], **on)

    return {
        "astype": lambda a, d: xp.astype(a, t[d]),
        "full": lambda shape, value, d: xp.full(shape, value, dtype=t[d], **on),
        "arange": lambda start, stop, step, d: xp.arange(start, stop, step, dtype=t[d], **on),
        "linspace": lambda start, stop, num, d: xp.linspace(start, stop, num, dtype=t[d], **on),
        "eye": lambda n, m, d: xp.eye(n, m, dtype=t[d], **on),
        "from_host": from_host,
    }


class HostRandom:
    """Random numbers drawn by a host NumPy generator, then moved to the device: the standard
    has none, and the same seed gives the NumPy backend's numbers (the training family
    compares a model's steps on both from one seed)."""

    def __init__(self, from_host: Kernel, seed: int | None = None) -> None:
        self.from_host = from_host
        self.gen = np.random.default_rng(seed)

    def seed(self, s: int) -> None:
        self.gen = np.random.default_rng(s)

    def fork(self, s: int) -> HostRandom:
        """An independent generator seeded with ``s`` (a ``tp.Generator``'s stream)."""
        return HostRandom(self.from_host, s)

    def get_state(self) -> Any:
        return self.gen.bit_generator.state

    def set_state(self, state: Any) -> None:
        self.gen.bit_generator.state = state

    def uniform(self, shape: tuple[int, ...], d: dtype) -> Any:
        return self.from_host(self.gen.random(shape, dtype=np.float64), d)

    def normal(self, shape: tuple[int, ...], d: dtype) -> Any:
        return self.from_host(self.gen.standard_normal(shape), d)

    def integers(self, low: int, high: int, shape: tuple[int, ...], d: dtype) -> Any:
        return self.from_host(self.gen.integers(low, high, shape), d)
