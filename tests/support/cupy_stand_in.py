"""A NumPy stand-in for the parts of ``cupy``/``cupyx`` the cupy backend uses, with N fake GPUs.

It runs the real ``tensorplug_cupy`` code on the CPU. What it keeps of CuPy is what the
backend's device logic depends on: an array type of its own, a *current device* that
``cupy.cuda.Device(i)`` sets as a context manager, arrays made on the current device, and
CuPy's rule that an elementwise kernel refuses inputs from another device. What it cannot show
is CuPy's numerics; those are for the GPU session (``benchmarks/gpu_check.py``).
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np


class _State:
    current = 0
    synced: list[int] = []  # noqa: RUF012 - shared, reset by make()


def _plain(x: Any) -> Any:
    return x.view(np.ndarray) if isinstance(x, FakeArray) else x


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
        r = np.asarray(r).view(FakeArray)
        r.dev = _State.current
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
        if out:
            kwargs["out"] = tuple(_plain(o) for o in out)
        with np.errstate(all="ignore"):  # CuPy never warns about nan, inf or 1/0
            r = getattr(ufunc, method)(*(_plain(x) for x in inputs), **kwargs)
        if out:
            return out[0] if len(out) == 1 else out
        return _on_current(r)

    def copy(self, order: str = "C") -> Any:  # type: ignore[override]
        """As ``cupy.ndarray.copy``: the copy is made on the current device."""
        r = np.array(_plain(self), order=order).view(FakeArray)
        r.dev = _State.current
        return r

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

    def random(self, shape: Any, dtype: Any) -> Any:
        self._check()
        return _on_current(self.g.random(shape, dtype=dtype))

    def standard_normal(self, shape: Any, dtype: Any) -> Any:
        self._check()
        return _on_current(self.g.standard_normal(shape, dtype=dtype))

    def integers(self, low: int, high: int, size: Any, dtype: Any) -> Any:
        self._check()
        return _on_current(self.g.integers(low, high, size, dtype=dtype))


def _checked(f: Any) -> Any:
    """NumPy's ``f`` under CuPy's rule: every array argument on the current device."""

    def on_current(*args: Any, **kwargs: Any) -> Any:
        _check_devices((*args, *kwargs.values()))
        args = tuple([_plain(x) for x in a] if isinstance(a, list) else _plain(a) for a in args)
        with np.errstate(all="ignore"):
            return _on_current(f(*args, **kwargs))

    on_current.__name__ = f.__name__
    return on_current


class FakeCupy(types.ModuleType):
    """``cupy``: NumPy's functions, each returning arrays made on the current device."""

    ndarray = FakeArray
    __version__ = "0.0-stand-in"

    def __init__(self, devices: int) -> None:
        super().__init__("cupy")
        pool = _Pool()
        allocator = [pool.malloc]
        runtime = types.SimpleNamespace(
            getDeviceCount=lambda: devices,
            runtimeGetVersion=lambda: 12090,
            driverGetVersion=lambda: 12090,
            getDeviceProperties=lambda i: {
                "name": b"Stand-in GPU", "totalGlobalMem": 2**34, "major": 9, "minor": 0},
        )  # fmt: skip
        self.pool = pool
        self.cuda = types.SimpleNamespace(
            Device=_Device,
            runtime=runtime,
            get_allocator=lambda: allocator[0],
            set_allocator=lambda f: allocator.__setitem__(0, f),
        )
        self.random = types.SimpleNamespace(default_rng=_Generator)
        self.get_default_memory_pool = lambda: pool

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
        return np.array(_plain(a))

    def asarray(self, a: Any, dtype: Any = None) -> Any:
        return _on_current(np.array(_plain(a), dtype=dtype))

    def array(self, a: Any, dtype: Any = None) -> Any:
        return _on_current(np.array(_plain(a), dtype=dtype))

    def from_dlpack(self, a: Any) -> Any:
        return _on_current(np.from_dlpack(a))


def make(devices: int = 2) -> FakeCupy:
    """A fresh stand-in ``cupy`` with ``devices`` fake GPUs, device 0 current."""
    _State.current = 0
    _State.synced = []
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
