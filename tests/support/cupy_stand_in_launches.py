"""Kernel launches, user kernels and stream capture for the CuPy stand-in (``cupy_stand_in``).

What a GPU step costs is mostly launches, so the stand-in counts them: every call that would
run a kernel on a GPU (an elementwise or reduction ufunc call, a ``cupy`` function that makes
a new array, ``astype``/``copy``/``fill``, a write through ``[]``, a matrix product, each call
of an ``ElementwiseKernel``/``ReductionKernel``/``cupy.fuse`` function, a random draw) is one
launch; views (``reshape``, ``transpose``, basic indexing, ``broadcast_to``) are none, as on
a GPU. The counts are CuPy's to within a kernel or two per op: a real ``mean`` is one kernel
where NumPy's is a sum and a division, and a real copy of a non-contiguous array that NumPy
reshapes is one more.

``ElementwiseKernel``/``ReductionKernel`` take CUDA-C source the stand-in cannot compile. It
runs the *twin* registered beside the source (``tensorplug_cupy._fused.SOURCES``, the same
entry holds both) and refuses a kernel whose source differs from the registered one, so the
two are changed together or not at all; ``tests/backends/test_cupy_fused.py`` checks each
twin against the unfused formula and checks the source's names and brackets (a real
compilation needs NVRTC, that is a GPU machine: ``benchmarks/gpu_check.py``).

Capture (``Stream.begin_capture``/``end_capture``, ``Graph.launch``) records every launch as
a closure that recomputes its result *into the array the capture produced*, so a replay
rewrites the same memory with the current inputs, as a CUDA graph does. The stand-in runs
the kernels while capturing (Python needs their results' shapes) and, as a GPU runs none,
``end_capture`` puts back what the in-place ones overwrote. What a CUDA stream
cannot capture fails as CuPy does (``CUDARuntimeError``): a copy to the host (``float()``,
``bool()``, ``asnumpy``), a copy from host memory, a boolean-mask index or ``unique`` (their
size is data, read back by the host), a synchronize.
"""

from __future__ import annotations

import contextlib
import re
import weakref
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np


class CUDARuntimeError(RuntimeError):
    """As ``cupy_backends.cuda.api.runtime.CUDARuntimeError``."""


class _Launches:
    counts: Counter[str] = Counter()  # noqa: RUF012 - reset by reset()
    tape: list[Callable[[], None]] | None = None
    undo: list[tuple[Any, Any]] = []  # noqa: RUF012 - what a capture overwrote


def before_write(dst: Any) -> None:
    """An in-place kernel is about to write ``dst``: under capture, keep its values, which
    ``end_capture`` puts back (a captured kernel does not run, on a GPU)."""
    if _Launches.tape is not None and isinstance(dst, np.ndarray):
        _Launches.undo.append((dst, np.array(dst, copy=True)))


def reset() -> None:
    _Launches.counts = Counter()
    _Launches.tape = None
    _Launches.undo = []


def launch(name: str, redo: Callable[[], None]) -> None:
    """One kernel launch named ``name``; ``redo`` runs it again into the same memory."""
    _Launches.counts[name] += 1
    if _Launches.tape is not None:
        _Launches.tape.append(redo)


def capturing() -> bool:
    return _Launches.tape is not None


def refuse_under_capture(what: str) -> None:
    """A host synchronisation: CUDA refuses it while a stream is capturing."""
    if _Launches.tape is not None:
        raise CUDARuntimeError(
            f"cudaErrorStreamCaptureUnsupported: operation not permitted when stream is "
            f"capturing ({what})"
        )


class Count:
    """The launches made inside a ``launches()`` block: ``total`` and ``by_name``."""

    def __init__(self) -> None:
        self.by_name: Counter[str] = Counter()

    @property
    def total(self) -> int:
        return sum(self.by_name.values())


@contextlib.contextmanager
def launches() -> Iterator[Count]:
    """Count the launches made in the block: ``with launches() as n: ...; n.total``."""
    before = Counter(_Launches.counts)
    n = Count()
    try:
        yield n
    finally:
        n.by_name = _Launches.counts - before


def storage(r: Any) -> Any:
    """The plain array(s) behind a result, which a replay writes: a recorded launch keeps
    these, not the result, so that the result's memory block goes back to the pool when the
    program drops it, as a GPU array's does while a graph holds its kernels."""
    if isinstance(r, tuple):
        return tuple(storage(a) for a in r)
    if not isinstance(r, np.ndarray) or type(r) is np.ndarray:
        return r
    b = r.base  # the plain array the stand-in's array was made from, when it is one
    same = (
        type(b) is np.ndarray
        and (b.shape, b.strides, b.dtype) == (r.shape, r.strides, r.dtype)
        and b.__array_interface__["data"][0] == r.__array_interface__["data"][0]
    )
    return b if same else r.view(np.ndarray)


def into(r: Any, compute: Callable[[], Any]) -> Callable[[], None]:
    """A replay of the launch that made ``r``: ``compute()`` written into ``r``'s storage."""
    target = storage(r)
    return lambda: write_into(target, compute())


def write_into(r: Any, new: Any) -> None:
    """Store a recomputed result into the captured one (a replay's write)."""
    if isinstance(r, tuple):
        for a, b in zip(r, new, strict=True):
            write_into(a, b)
    elif isinstance(r, np.ndarray) and r.flags.writeable and new is not None:
        np.copyto(r.view(np.ndarray), np.asarray(new), casting="unsafe")


# -- streams and graphs -----------------------------------------------------------------------


class _Block:
    """A ``MemoryPointer``: its block goes back to the pool when this goes."""

    __slots__ = ("__weakref__", "block", "device_id", "size")

    def __init__(self, size: int, block: int) -> None:
        self.device_id, self.size, self.block = 0, size, block


class MemoryPool:
    """``cupy.cuda.MemoryPool`` as far as a capture uses it: ``malloc`` gives a block (512-byte
    rounded), taken from the blocks freed before when one of that size is free, else new; a
    block is freed when the array holding it goes. ``allocations``, ``blocks`` and
    ``total_bytes()`` say what a GPU's pool would have done. (The stand-in routes an array's
    allocation to the current allocator only while a stream captures.)"""

    def __init__(self) -> None:
        self.free: dict[int, list[int]] = {}
        self.allocations = 0  # calls of malloc
        self.blocks: list[int] = []  # the sizes of the blocks it made (cudaMalloc)
        self.used = 0

    def malloc(self, nbytes: int) -> Any:
        size = -(-nbytes // 512) * 512
        self.allocations += 1
        free = self.free.setdefault(size, [])
        if free:
            block = free.pop()
        else:
            block = len(self.blocks)
            self.blocks.append(size)
        ptr = _Block(size, block)
        self.used += size
        weakref.finalize(ptr, self._release, size, block)
        return ptr

    def _release(self, size: int, block: int) -> None:
        self.free[size].append(block)
        self.used -= size

    def used_bytes(self) -> int:
        return self.used

    def total_bytes(self) -> int:
        return sum(self.blocks)

    def free_all_blocks(self) -> None:
        pass


class Graph:
    """``cupy.cuda.Graph``: the launches of one capture, replayed by ``launch``."""

    def __init__(self, tape: list[Callable[[], None]]) -> None:
        self.tape = tape

    def launch(self, stream: Any = None) -> None:
        _Launches.counts["graph"] += 1
        with np.errstate(all="ignore"):
            for redo in self.tape:
                redo()

    def upload(self, stream: Any = None) -> None:
        pass


class Stream:
    """``cupy.cuda.Stream``: a context manager making it current, with capture."""

    current: list[Stream] = []  # noqa: RUF012 - the stack of ``with stream:``

    def __init__(self, null: bool = False, non_blocking: bool = False) -> None:
        self.null = null

    def __enter__(self) -> Stream:
        Stream.current.append(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        Stream.current.pop()

    def begin_capture(self, mode: Any = None) -> None:
        if self.null:
            raise RuntimeError("cannot capture on the null stream")
        if _Launches.tape is not None:
            raise CUDARuntimeError("cudaErrorIllegalState: a capture is already under way")
        _Launches.tape = []

    def end_capture(self) -> Graph:
        if _Launches.tape is None:
            raise CUDARuntimeError("cudaErrorIllegalState: the stream is not capturing")
        tape, _Launches.tape = _Launches.tape, None
        for dst, saved in reversed(_Launches.undo):
            np.copyto(dst.view(np.ndarray), saved)
        _Launches.undo = []
        return Graph(tape)

    def is_capturing(self) -> bool:
        return _Launches.tape is not None

    def synchronize(self) -> None:
        refuse_under_capture("Stream.synchronize")

    def record(self, event: Any = None) -> Any:
        return object()  # the stand-in runs everything in order: events order nothing

    def wait_event(self, event: Any) -> None:
        pass


def get_current_stream() -> Stream:
    return Stream.current[-1] if Stream.current else Stream(null=True)


# -- user kernels: CUDA source, run by its registered twin -------------------------------------


def _params(spec: str) -> list[tuple[str, str]]:
    """``"T g, float64 p, raw T x"`` as ``[("T", "g"), ("float64", "p"), ("T", "x")]`` (a
    ``raw`` array is passed whole, and the twin indexes it as the source does)."""
    return [tuple(p.split()[-2:]) for p in spec.split(",") if p.strip()]  # type: ignore[misc]


def _registered(name: str, source: tuple[str, ...]) -> Any:
    from tensorplug_cupy._fused import SOURCES
    from tensorplug_cupy._fused_optim import OPTIM_SOURCES

    entry = SOURCES.get(name, OPTIM_SOURCES.get(name))
    if entry is None:
        raise KeyError(f"stand-in: no twin is registered for kernel {name!r}")
    if entry.cuda() != source:
        raise AssertionError(f"stand-in: kernel {name!r}'s source differs from its twin's entry")
    return entry


def _out_dtype(ty: str, ins: list[tuple[str, str]], args: tuple[Any, ...]) -> Any:
    if re.fullmatch(r"[A-Z]", ty):  # a type placeholder: the type of the array holding it
        for (t, _), a in zip(ins, args, strict=True):
            if t == ty and isinstance(a, np.ndarray):
                return a.dtype
    return np.dtype(ty)


class ElementwiseKernel:
    """``cupy.ElementwiseKernel``: one launch per call, computed by the twin."""

    def __init__(self, in_params: str, out_params: str, operation: str, name: str = "kernel",
                 **options: Any) -> None:  # fmt: skip
        self.entry = _registered(name, (in_params, out_params, operation))
        self.ins, self.outs, self.name = _params(in_params), _params(out_params), name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from cupy_stand_in import _check_devices, _on_current, _plain

        _check_devices(args)
        if len(args) == len(self.ins) + len(self.outs):
            return self._into(args[: len(self.ins)], args[len(self.ins) :])
        plain = tuple(_plain(a) for a in args)
        dtype = _out_dtype(self.outs[0][0], self.ins, plain)

        def run() -> Any:
            with np.errstate(all="ignore"):
                return np.asarray(self.entry.twin(*plain)).astype(dtype, copy=False)

        r = _on_current(run())
        launch(self.name, into(r, run))
        return r

    def _into(self, ins: tuple[Any, ...], outs: tuple[Any, ...]) -> Any:
        """Outputs given (CuPy writes them, and the operation may read them first): the twin
        takes inputs and outputs and returns the outputs' new values, in order."""
        from cupy_stand_in import _plain

        plain_ins = tuple(_plain(a) for a in ins)
        arrays = tuple(_plain(o) for o in outs)
        known = {t for t, _ in self.ins}
        for (ty, _), a in zip(self.outs, arrays, strict=True):
            if (ty in known or not re.fullmatch(r"[A-Z]", ty)) and a.dtype != _out_dtype(
                ty, self.ins, plain_ins
            ):  # a placeholder no input binds takes the output's dtype, as in CuPy
                raise TypeError(f"stand-in: {self.name}: an output of another dtype")

        def run() -> None:
            with np.errstate(all="ignore"):
                new = self.entry.twin(*plain_ins, *(a.copy() for a in arrays))
            for a, n in zip(arrays, new, strict=True):
                np.copyto(a, n, casting="same_kind")

        for a in arrays:
            before_write(a)
        run()
        launch(self.name, run)
        return outs if len(outs) > 1 else outs[0]


class ReductionKernel(ElementwiseKernel):
    """``cupy.ReductionKernel``: one launch per call (``axis``, ``keepdims`` as CuPy's)."""

    def __init__(self, in_params: str, out_params: str, map_expr: str, reduce_expr: str,
                 post_map_expr: str, identity: str, name: str = "reduce_kernel",
                 **options: Any) -> None:  # fmt: skip
        source = (in_params, out_params, map_expr, reduce_expr, post_map_expr, identity)
        self.entry = _registered(name, source)
        self.ins, self.outs, self.name = _params(in_params), _params(out_params), name

    def __call__(self, *args: Any, axis: Any = None, keepdims: bool = False) -> Any:
        from cupy_stand_in import _check_devices, _on_current, _plain

        _check_devices(args)
        plain = tuple(_plain(a) for a in args)
        dtype = _out_dtype(self.outs[0][0], self.ins, plain)

        def run() -> Any:
            with np.errstate(all="ignore"):
                r = self.entry.twin(*plain, axis=axis, keepdims=keepdims)
                return np.asarray(r).astype(dtype, copy=False)

        r = _on_current(run())
        launch(self.name, into(r, run))
        return r


def fuse(*args: Any, kernel_name: str | None = None) -> Any:
    """``cupy.fuse``: the function's NumPy arithmetic as one launch."""

    def wrap(f: Callable[..., Any]) -> Callable[..., Any]:
        name = kernel_name or f.__name__

        def fused(*xs: Any) -> Any:
            from cupy_stand_in import _check_devices, _on_current, _plain

            _check_devices(xs)
            plain = tuple(_plain(x) for x in xs)

            def run() -> Any:
                with np.errstate(all="ignore"):
                    return f(*plain)

            r = _on_current(run())
            launch(name, into(r, run))
            return r

        return fused

    return wrap(args[0]) if args and callable(args[0]) else wrap
