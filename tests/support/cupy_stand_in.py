"""A NumPy stand-in for the parts of ``cupy``/``cupyx`` the cupy backend uses, with N fake GPUs.

It runs the real ``tensorplug_cupy`` code on the CPU. What it keeps of CuPy is what the
backend's device logic depends on: an array type of its own, a *current device* that
``cupy.cuda.Device(i)`` sets as a context manager, arrays made on the current device, and
CuPy's rule that an elementwise kernel refuses inputs from another device. What it cannot show
is CuPy's numerics; those are for the GPU session (``benchmarks/gpu_check.py``). It counts
kernel launches, runs ``ElementwiseKernel``/``ReductionKernel``/``fuse`` and captures and
replays streams (``cupy_stand_in_launches``).
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np

import cupy_stand_in_launches as L
from cupy_stand_in_launches import launches

__all__ = ["FakeArray", "FakeCupy", "current_device", "launches", "make", "synced"]


class _State:
    current = 0
    synced: list[int] = []  # noqa: RUF012 - shared, reset by make()
    allocator: list[Any] = [None]  # noqa: RUF012 - the latest stand-in's current allocator


def _plain(x: Any) -> Any:
    """``x`` as plain NumPy, not holding the stand-in's array (``storage``): what a recorded
    launch keeps must not keep its inputs' memory blocks in use."""
    return L.storage(x) if isinstance(x, FakeArray) else x


def _plain_all(x: Any) -> Any:
    """``x`` with the arrays in it (a list or tuple of them, an index) as plain NumPy."""
    if isinstance(x, (list, tuple)):
        return type(x)(_plain(a) for a in x)
    return _plain(x)


def _check_devices(args: Any) -> None:
    """CuPy's rule: a kernel's input arrays must be on the current device."""
    for x in args:
        if isinstance(x, (list, tuple)):
            _check_devices(x)
        elif isinstance(x, FakeArray) and x.dev != _State.current:
            raise ValueError(
                f"The device where the array resides ({x.dev}) is different from the "
                f"current device ({_State.current})."
            )


def _on_current(r: Any) -> Any:
    """A result as a ``FakeArray`` on the current device (CuPy returns 0-d arrays, not
    scalars)."""
    if isinstance(r, (np.ndarray, np.generic)):
        new = not isinstance(r, np.ndarray) or r.base is None  # not a view: memory of its own
        r = np.asarray(r).view(FakeArray)
        r.dev = _State.current
        if new and L.capturing():  # a capture's memory, from the allocator then current
            r.mem = _State.allocator[0](max(r.nbytes, 1))
    elif isinstance(r, tuple):  # several results (``unique``): each on the device
        return tuple(_on_current(x) for x in r)
    return r


class FakeArray(np.ndarray):
    dev: int

    def __array_finalize__(self, obj: Any) -> None:
        self.dev = getattr(obj, "dev", _State.current)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        out = kwargs.get("out", ())
        _check_devices((*inputs, *out))
        if method == "at":
            L.before_write(inputs[0])
        for o in out:
            L.before_write(o)
        if out:
            kwargs["out"] = tuple(_plain(o) for o in out)
        plain = tuple(_plain(x) for x in inputs)
        with np.errstate(all="ignore"):  # CuPy never warns about nan, inf or 1/0
            r = getattr(ufunc, method)(*plain, **kwargs)

        def redo() -> Any:
            return getattr(ufunc, method)(*plain, **kwargs)

        if out:
            L.launch(ufunc.__name__, redo)
            return out[0] if len(out) == 1 else out
        r = _on_current(r)
        L.launch(ufunc.__name__, L.into(r, redo))
        return r

    def copy(self, order: str = "C") -> Any:  # type: ignore[override]
        """As ``cupy.ndarray.copy``: the copy is made on the current device."""
        src = _plain(self)
        r = np.array(src, order=order).view(FakeArray)
        r.dev = _State.current
        L.launch("copy", L.into(r, lambda: src))
        return r

    def astype(self, dtype: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        r = super().astype(dtype, *args, **kwargs)
        if r is not self:
            src = _plain(self)
            L.launch("astype", L.into(r, lambda: src))
        return r

    def fill(self, value: Any) -> None:
        L.before_write(self)
        super().fill(value)
        dst = _plain(self)
        L.launch("fill", lambda: dst.fill(value))

    def __getitem__(self, idx: Any) -> Any:
        if _data_dependent(idx):  # CuPy reads the mask's count back to size the result
            L.refuse_under_capture("boolean mask indexing")
        r = super().__getitem__(idx)
        if isinstance(r, np.ndarray) and r.size and not np.may_share_memory(r, self):
            src = _plain(self)
            L.launch("take", L.into(r, lambda: src[idx]))
        return r

    def __setitem__(self, idx: Any, value: Any) -> None:
        L.before_write(self)
        super().__setitem__(idx, value)
        dst, v = _plain(self), _plain(value)
        L.launch("setitem", lambda: dst.__setitem__(idx, v))

    # Host synchronisations: refused while a stream captures, as CUDA does.
    def __float__(self) -> float:
        L.refuse_under_capture("float() of an array")
        return float(_plain(self))

    def __int__(self) -> int:
        L.refuse_under_capture("int() of an array")
        return int(_plain(self))

    def __bool__(self) -> bool:
        L.refuse_under_capture("bool() of an array")
        return bool(_plain(self))

    def item(self, *args: Any) -> Any:
        L.refuse_under_capture("ndarray.item")
        return _plain(self).item(*args)

    def tolist(self) -> Any:
        L.refuse_under_capture("ndarray.tolist")
        return _plain(self).tolist()

    @property
    def device(self) -> Any:
        return _Device(self.dev)


class _Device:
    def __init__(self, i: int) -> None:
        self.id = i
        self._prev: list[int] = []

    def __enter__(self) -> _Device:
        self._prev.append(_State.current)
        _State.current = self.id
        return self

    def __exit__(self, *exc: Any) -> None:
        _State.current = self._prev.pop()

    def synchronize(self) -> None:
        L.refuse_under_capture("Device.synchronize")
        _State.synced.append(self.id)


class _Pool:
    """Counts bytes per device as CuPy's pool does; arrays are never really freed here."""

    def __init__(self) -> None:
        self.used: dict[int, int] = {}

    def malloc(self, nbytes: int) -> Any:
        d = _State.current
        self.used[d] = self.used.get(d, 0) + nbytes
        return types.SimpleNamespace(device_id=d, size=nbytes)

    def free(self, nbytes: int, device: int) -> None:
        self.used[device] -= nbytes

    def used_bytes(self) -> int:
        return self.used.get(_State.current, 0)

    def total_bytes(self) -> int:
        return self.used_bytes()

    def free_all_blocks(self) -> None:
        pass


class _Generator:
    def __init__(self, seed: int | None) -> None:
        self.g = np.random.default_rng(seed)
        self.dev = _State.current

    def _check(self) -> None:
        if self.dev != _State.current:
            raise ValueError("generator used on another device than the one it was made on")

    def _draw(self, f: Any, *args: Any, **kwargs: Any) -> Any:
        # The generator's state is on the device: a replay draws new numbers.
        self._check()
        r = _on_current(f(*args, **kwargs))
        L.launch("random", L.into(r, lambda: f(*args, **kwargs)))
        return r

    def random(self, shape: Any, dtype: Any) -> Any:
        return self._draw(self.g.random, shape, dtype=dtype)

    def standard_normal(self, shape: Any, dtype: Any) -> Any:
        return self._draw(self.g.standard_normal, shape, dtype=dtype)

    def integers(self, low: int, high: int, size: Any, dtype: Any) -> Any:
        return self._draw(self.g.integers, low, high, size, dtype=dtype)


_VIEWS = frozenset(
    {"reshape", "transpose", "broadcast_to", "expand_dims", "squeeze", "moveaxis", "swapaxes",
     "may_share_memory", "shares_memory", "result_type", "can_cast", "ndim", "shape", "size",
     "isscalar", "iscomplexobj", "broadcast_shapes", "promote_types", "empty", "empty_like"}
)  # fmt: skip
"""Functions that launch nothing on a GPU (views, metadata, uninitialised memory)."""

_IN_PLACE = frozenset({"copyto", "at", "put", "place", "putmask"})
"""Functions that write their first argument."""

_DATA_DEPENDENT = frozenset({"unique", "nonzero", "argwhere", "flatnonzero", "extract"})
"""Functions whose result size is data: CuPy reads it back to the host."""


def _data_dependent(idx: Any) -> bool:
    parts = idx if isinstance(idx, tuple) else (idx,)
    return any(isinstance(i, np.ndarray) and i.dtype == np.bool_ for i in parts)


def _checked(f: Any) -> Any:
    """NumPy's ``f`` under CuPy's rule: every array argument on the current device."""
    name = getattr(f, "__name__", "kernel")

    def on_current(*args: Any, **kwargs: Any) -> Any:
        _check_devices((*args, *kwargs.values()))
        if name in _DATA_DEPENDENT:
            L.refuse_under_capture(f"cupy.{name}: its size depends on the data")
        if name in _IN_PLACE:
            L.before_write(args[0])
        out = kwargs.get("out")
        for o in out if isinstance(out, tuple) else (out,):
            L.before_write(o)
        args = tuple(_plain_all(a) for a in args)
        kwargs = {key: _plain(v) for key, v in kwargs.items()}
        with np.errstate(all="ignore"):
            r = _on_current(f(*args, **kwargs))
        if name not in _VIEWS:

            def redo() -> Any:
                with np.errstate(all="ignore"):
                    return f(*args, **kwargs)

            L.launch(name, L.into(r, redo))
        return r

    on_current.__name__ = f.__name__
    return on_current


_LINALG = ("inv", "solve", "cholesky", "slogdet", "eigh", "svd", "qr")


class FakeCupy(types.ModuleType):
    """``cupy``: NumPy's functions, each returning arrays made on the current device."""

    ndarray = FakeArray
    __version__ = "0.0-stand-in"

    def __init__(self, devices: int) -> None:
        super().__init__("cupy")
        pool = _Pool()
        allocator = [pool.malloc]
        _State.allocator = allocator
        runtime = types.SimpleNamespace(
            getDeviceCount=lambda: devices,
            runtimeGetVersion=lambda: 12090,
            driverGetVersion=lambda: 12090,
            streamCaptureModeGlobal=0,
            streamCaptureModeThreadLocal=1,
            streamCaptureModeRelaxed=2,
            getDeviceProperties=lambda i: {
                "name": b"Stand-in GPU", "totalGlobalMem": 2**34, "major": 9, "minor": 0},
        )  # fmt: skip
        self.pool = pool
        self.cuda = types.SimpleNamespace(
            Device=_Device,
            Stream=L.Stream,
            Graph=L.Graph,
            get_current_stream=L.get_current_stream,
            runtime=runtime,
            get_allocator=lambda: allocator[0],
            set_allocator=lambda f: allocator.__setitem__(0, f),
            MemoryPool=L.MemoryPool,
        )
        self.random = types.SimpleNamespace(default_rng=_Generator)
        # cupy.linalg: NumPy's, each result on the current device (NumPy's eigh, svd and qr
        # return some results as plain arrays).
        self.linalg = types.SimpleNamespace(**{n: _checked(getattr(np.linalg, n)) for n in _LINALG})
        self.get_default_memory_pool = lambda: pool
        self.ElementwiseKernel = L.ElementwiseKernel
        self.ReductionKernel = L.ReductionKernel
        self.fuse = L.fuse

    def __getattr__(self, name: str) -> Any:
        f = getattr(np, name)
        if not callable(f) or isinstance(f, type):  # constants and types (``cupy.float32``
            return f  # is ``numpy.float32``) as they are
        wrapped = _checked(f)
        if isinstance(f, np.ufunc):  # CuPy ufuncs have ``.at`` too (``add.at``: atomic adds)
            wrapped.at = _checked(f.at)  # type: ignore[attr-defined]
        setattr(self, name, wrapped)  # one wrapper per name, as CuPy has one function
        return wrapped

    def asnumpy(self, a: Any) -> Any:
        L.refuse_under_capture("cupy.asnumpy: a copy to the host")
        return np.array(_plain(a))

    def asarray(self, a: Any, dtype: Any = None) -> Any:
        return self.array(a, dtype)

    def array(self, a: Any, dtype: Any = None) -> Any:
        if not isinstance(a, FakeArray):
            L.refuse_under_capture("a copy from host memory")
        src = _plain(a)
        r = _on_current(np.array(src, dtype=dtype))
        L.launch("copy", L.into(r, lambda: src))
        return r

    def from_dlpack(self, a: Any) -> Any:
        return _on_current(np.from_dlpack(a))


def make(devices: int = 2) -> FakeCupy:
    """A fresh stand-in ``cupy`` with ``devices`` fake GPUs, device 0 current."""
    _State.current = 0
    _State.synced = []
    L.reset()
    return FakeCupy(devices)


def current_device() -> int:
    return _State.current


def synced() -> list[int]:
    return _State.synced


# -- as a plugin: the conformance suite on the cupy backend's kernel table, on the CPU -------
# python -m tensorplug.testing --backend-module cupy_stand_in  (with tests/support on PYTHONPATH)

from tensorplug.plugins import Backend, BackendSpec, hookimpl  # noqa: E402


def _load(devices: int, index: int, name: str) -> Backend:
    from tensorplug_cupy._backend import make_backend

    return make_backend(make(devices), index, name=name)


@hookimpl
def tensorplug_backends() -> list[BackendSpec]:
    return [
        BackendSpec(
            name="cupy-stand-in",
            load=lambda: _load(1, 0, "cupy-stand-in"),
            device_type="cuda-stand-in",
            description="the cupy backend's kernels on a NumPy stand-in for CuPy (tests only)",
        ),
        # The second of two GPUs: every kernel must make its GPU current, and any array
        # arithmetic in the core that bypasses the kernels fails here as it would with CuPy.
        BackendSpec(
            name="cupy-stand-in-gpu1",
            load=lambda: _load(2, 1, "cupy-stand-in-gpu1"),
            device_type="cuda-stand-in",
            description="as cupy-stand-in, on the second of two stand-in GPUs (tests only)",
        ),
    ]
