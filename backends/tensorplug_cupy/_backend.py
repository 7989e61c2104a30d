"""CuPy kernels: the generic Array-API kernels (shared with NumPy) plus what CuPy does differently.

One ``Backend`` instance per GPU (``device_backend(i)``): an op's inputs must share an instance,
so mixing ``cuda:0`` and ``cuda:1`` is caught by the core's identity check, and each instance
runs its kernels with its GPU as CuPy's current device.
"""

from __future__ import annotations

import threading
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from tensorplug.plugins import (
    Backend,
    Device,
    DeviceAPI,
    DtypeTable,
    UnsupportedOperation,
    default_kernels,
    dtype,
    dtype_table,
    float16,
    xp_kernels,
)

from ._fused import fused_kernels
from ._fused_optim import optim_kernels
from ._graphs import REFUSED, begin_capture, graph_memory, refusing

_DLPACK_CUDA, _DLPACK_CUDA_MANAGED = 2, 13  # DLDeviceType codes of GPU memory

_instances: dict[int, Backend] = {}
_lock = threading.Lock()
_peak: dict[int, int] = {}


def _cupy() -> Any:
    import cupy

    return cupy


def device_backend(index: int) -> Backend:
    """The backend instance for GPU ``index`` (built once; ``cuda:0`` is the registry's)."""
    be = _instances.get(index)
    if be is not None:
        return be
    with _lock:
        if index not in _instances:
            cp = _cupy()
            be = make_backend(cp, index)
            _smoke_test(cp, index)
            _instances[index] = be
        return _instances[index]


def _smoke_test(cp: Any, index: int) -> None:
    """Run one compiled kernel and one cuBLAS call, so that missing or mismatched CUDA
    libraries fail when the backend is selected, with advice, not in the middle of a model."""
    try:
        with cp.cuda.Device(index):
            a = cp.ones((2, 2), dtype="float32")
            total = float((cp.matmul(a, a) + 1).sum())  # cuBLAS, then compiled kernels
    except Exception as e:
        from .plugin import driver_cuda_version, install_hint

        raise RuntimeError(
            f"CuPy cannot run a kernel on cuda:{index} ({type(e).__name__}: {e}); this usually "
            "means the CUDA libraries CuPy loads (NVRTC, cuBLAS) are missing or do not match "
            f"the driver: {install_hint(driver_cuda_version())}"
        ) from e
    if total != 12.0:
        raise RuntimeError(f"CuPy computed a wrong result on cuda:{index} ({total} != 12.0)")


def make_backend(cp: Any, index: int = 0, name: str = "cupy") -> Backend:
    """Build the backend for GPU ``index`` from the ``cupy`` module given.

    The module (and the name) are arguments so that the tests can build it on a NumPy
    stand-in.
    """
    count = cp.cuda.runtime.getDeviceCount()
    if not 0 <= index < count:
        raise ValueError(
            f"device cuda:{index} does not exist: {count} CUDA device(s) are visible "
            f"(cuda:0 to cuda:{count - 1})"
        )
    dev = cp.cuda.Device(index)
    # CuPy's dtypes are NumPy's scalar types; its arrays report ``numpy.dtype`` objects.
    native = dtype_table(cp, library="CuPy")
    rng = _Random(cp, index, native)
    k = xp_kernels(cp, native.dtype_of)
    k.update(
        # Conversions take tensorplug dtypes, turned into CuPy's by the table.
        astype=lambda a, d: a.astype(native[d]),
        full=lambda shape, value, d: cp.full(shape, value, dtype=native[d]),
        arange=lambda start, stop, step, d: cp.arange(start, stop, step, dtype=native[d]),
        linspace=lambda start, stop, num, d: cp.linspace(start, stop, num, dtype=native[d]),
        eye=lambda n, m, d: cp.eye(n, m, dtype=native[d]),
        # Nested lists are parsed on the host by NumPy, then copied over once; the way back is
        # CuPy's device-to-host copy (NumPy refuses to convert a CuPy array implicitly).
        from_host=lambda obj, d: _from_host(cp, obj, None if d is None else native[d]),
        to_host=cp.asnumpy,
        # cupy.asarray has no ``copy=`` before CuPy 14; ndarray.copy() is the same everywhere.
        copy=lambda a: a.copy(),
        # In place, without the temporaries of the generic versions (as for NumPy).
        **_in_place(cp),
        reshape_view=_reshape_view(cp),
        strides=lambda a: tuple(s // a.itemsize for s in a.strides),  # bytes, as NumPy's
        assign=lambda dst, src: cp.copyto(dst, src, casting="unsafe"),
        # The default builds a 0-d device array per call: one more allocation and launch.
        relu=lambda x: cp.maximum(x, x.dtype.type(0)),
        # ``zero_()``/``fill_()`` under no_grad (every step's ``grad.zero_()``): one kernel, not
        # the default's full() and copy.
        fill_=lambda dst, value: dst.fill(value),
        # Atomic adds, as np.add.at (CuPy 12+; cupyx.scatter_add warns it is deprecated).
        scatter_add=cp.add.at,
        # One reduction and one device-to-host sync instead of the default's four kernels.
        any_nonfinite=lambda x: not bool(cp.isfinite(x).all()),
        # Transfers from NumPy, other GPUs and other GPU libraries without a host round trip.
        from_foreign=lambda arr, src, device: _from_foreign(cp, index, arr),
        # A generator per GPU, in CuPy's own API (its dtypes and sizes differ from NumPy's).
        random_uniform=rng.uniform,
        random_normal=rng.normal,
        random_integers=rng.integers,
    )
    k.update(_special_functions())  # issue 16: one kernel each, where cupyx has them
    defaults: list[Any] = []  # the default kernels, once the backend exists
    k.update(_issue_21_kernels(cp, index, k, defaults))
    if count > 1:
        # CuPy launches kernels and allocates on its *current* device, whatever the inputs'
        # device is; with several GPUs each instance makes its own current for every kernel.
        # With one GPU the current device can only be this one, so the wrapper is skipped.
        k = {name: f if name == "dtype_of" else _on(cp, index, f) for name, f in k.items()}
    _track_peak_memory(cp)
    here = Device("cuda", index)
    devices = tuple(Device("cuda", i) for i in range(count))
    be = Backend(
        name=name,
        kernels=k,
        dtypes=native,
        device_type="cuda",
        version=cp.__version__,
        array_types=(cp.ndarray,),
        # Where the array really is: an array wrapped as it came (``as_tensor``) may live on
        # another GPU than this instance's, and the error messages should say so.
        device_of=lambda a: devices[a.device.id],
        synchronize=dev.synchronize,
        manual_seed=rng.seed,
        rng=rng,
        info={"library": "cupy", "device": str(here)},
    )
    defaults.append(types.SimpleNamespace(**default_kernels(be)))
    return be


def _issue_21_kernels(
    cp: Any, index: int, k: dict[str, Any], defaults: list[Any]
) -> dict[str, Callable[..., Any]]:
    """The backward formulas and losses as one launch each (float32/float64; other dtypes
    take the defaults, the formulas), and the kernels a CUDA graph cannot hold made to raise
    while this GPU captures."""
    out = fused_kernels(cp, lambda: defaults[0])
    out.update(optim_kernels(cp))  # optional kernels: a group's optimizer step in one launch
    out.update({name: refusing(index, name, k[name]) for name in REFUSED if name in k})
    return out


def _on(cp: Any, index: int, f: Callable[..., Any]) -> Callable[..., Any]:
    device = cp.cuda.Device

    def kernel(*args: Any, **kwargs: Any) -> Any:
        # A new Device per call: a Device object keeps a stack of the devices it replaced,
        # which threads sharing one object would interleave.
        with device(index):
            return f(*args, **kwargs)

    kernel.__name__ = getattr(f, "__name__", "kernel")
    return kernel


def _in_place(cp: Any) -> dict[str, Callable[[Any, Any], None]]:
    """``iadd``, ``isub``, ``imul``, ``idiv``: ``dst op= src`` through the ufunc's ``out=``;
    in-place kernels return ``None`` (the contract's ``IN_PLACE``)."""

    def kernel(ufunc: Any) -> Callable[[Any, Any], None]:
        def run(dst: Any, src: Any) -> None:
            ufunc(dst, src, out=dst)

        run.__name__ = getattr(ufunc, "__name__", "kernel")
        return run

    return {
        "iadd": kernel(cp.add),
        "isub": kernel(cp.subtract),
        "imul": kernel(cp.multiply),
        "idiv": kernel(cp.true_divide),
    }


def _reshape_view(cp: Any) -> Callable[[Any, tuple[int, ...]], Any]:
    """The ``reshape_view`` kernel: CuPy's reshape has no ``copy=False``, and is a view where
    the layout allows (a C-contiguous array's always does), else a copy, told apart by
    whether the result shares the input's memory (then the core copies again: rare)."""

    def reshape_view(a: Any, shape: tuple[int, ...]) -> Any:
        r = a.reshape(shape)
        return r if a.flags.c_contiguous or cp.may_share_memory(r, a) else None

    return reshape_view


def _from_host(cp: Any, obj: Any, native: Any) -> Any:
    if isinstance(obj, cp.ndarray) or hasattr(obj, "__cuda_array_interface__"):
        return cp.array(obj, dtype=native)  # already on a GPU: a device-side copy
    return cp.asarray(np.asarray(obj, dtype=native))


def _from_foreign(cp: Any, index: int, arr: Any) -> Any:
    """An array from another backend or GPU as a new array on GPU ``index``, or ``None`` to
    let the core go through the host. Runs with ``index`` as the current device."""
    if isinstance(arr, cp.ndarray):
        return arr.copy()  # CuPy copies onto the current device (peer-to-peer if it can)
    if isinstance(arr, np.ndarray):
        # DLPack cannot move host memory onto a GPU; CuPy's own host-to-device copy can.
        return cp.asarray(arr)
    dl = getattr(arr, "__dlpack_device__", None)
    if dl is not None and dl()[0] in (_DLPACK_CUDA, _DLPACK_CUDA_MANAGED):
        # Another GPU library (PyTorch, JAX, ...): DLPack view, then a copy that we own.
        return cp.from_dlpack(arr).copy()
    return None


class _Random:
    """One CuPy ``Generator`` per GPU; ``tp.manual_seed`` reseeds it."""

    def __init__(self, cp: Any, index: int, native: DtypeTable) -> None:
        self.cp = cp
        self.index = index
        self.native = native
        self.gen: Any = None

    def seed(self, s: int | None) -> None:
        with self.cp.cuda.Device(self.index):  # the generator's state lives on this GPU
            self.gen = self.cp.random.default_rng(s)

    def fork(self, s: int) -> _Random:
        """An independent generator on this GPU seeded with ``s`` (a ``tp.Generator``'s)."""
        r = _Stream(self.cp, self.index, self.native)
        r.seed(s)
        return r

    def get_state(self) -> Any:
        raise UnsupportedOperation("get_state: CuPy's generators do not expose their state")

    def set_state(self, state: Any) -> None:
        raise UnsupportedOperation("set_state: CuPy's generators do not expose their state")

    def _g(self) -> Any:
        if self.gen is None:
            self.seed(None)
        return self.gen

    def _float(self, d: dtype) -> Any:
        # CuPy draws float32 or float64 only; float16 samples are float32 samples rounded.
        return np.float32 if d is float16 else self.native[d]

    def uniform(self, shape: tuple[int, ...], d: dtype) -> Any:
        r = self._g().random(shape, dtype=self._float(d))
        return r.astype(self.native[d], copy=False)

    def normal(self, shape: tuple[int, ...], d: dtype) -> Any:
        r = self._g().standard_normal(shape, dtype=self._float(d))
        return r.astype(self.native[d], copy=False)

    def integers(self, low: int, high: int, shape: tuple[int, ...], d: dtype) -> Any:
        return self._g().integers(low, high, size=shape, dtype=self.native[d])


class _Stream(_Random):
    """A ``tp.Generator``'s stream on one GPU. Its draws are no kernel calls, which the
    backend makes on their GPU (``_on``), so each makes its GPU current itself."""

    def uniform(self, shape: tuple[int, ...], d: dtype) -> Any:
        with self.cp.cuda.Device(self.index):
            return super().uniform(shape, d)

    def normal(self, shape: tuple[int, ...], d: dtype) -> Any:
        with self.cp.cuda.Device(self.index):
            return super().normal(shape, d)

    def integers(self, low: int, high: int, shape: tuple[int, ...], d: dtype) -> Any:
        with self.cp.cuda.Device(self.index):
            return super().integers(low, high, shape, d)


# -- the CUDA runtime facts behind ``tensorplug.cuda`` -----------------------------------------


def device_api() -> DeviceAPI:
    """What ``tensorplug.cuda`` asks of CuPy (the plugin's ``tensorplug_device_api``)."""
    return DeviceAPI(
        device_count=device_count,
        device_name=device_name,
        memory_allocated=memory_allocated,
        max_memory_allocated=max_memory_allocated,
        memory_reserved=memory_reserved,
        reset_peak_memory_stats=reset_peak_memory_stats,
        empty_cache=empty_cache,
        begin_capture=lambda index: begin_capture(_cupy(), index),
    )


def _track_peak_memory(cp: Any) -> None:
    """Record the peak of the default memory pool per GPU (CuPy keeps no peak).

    Installed once, and only over CuPy's default allocator: a user's own (RMM, ...) is kept.
    The cost is one Python call per allocation, small beside CuPy's own allocation.
    """
    pool = cp.get_default_memory_pool()
    current = cp.cuda.get_allocator()
    if getattr(current, "_tp_tracking", False) or current != pool.malloc:
        return
    malloc, used = pool.malloc, pool.used_bytes

    def tracking_malloc(nbytes: int) -> Any:
        ptr = malloc(nbytes)
        now = used()  # bytes in use on the current device, where ``ptr`` was allocated
        if now > _peak.get(ptr.device_id, 0):
            _peak[ptr.device_id] = now
        return ptr

    tracking_malloc._tp_tracking = True  # type: ignore[attr-defined]
    cp.cuda.set_allocator(tracking_malloc)


def device_count() -> int:
    cp = _cupy()
    return int(cp.cuda.runtime.getDeviceCount())


def memory_allocated(index: int) -> int:
    """Bytes held by live arrays on GPU ``index`` (CuPy's default memory pool, and the CUDA
    graphs' own pools)."""
    cp = _cupy()
    with cp.cuda.Device(index):
        return int(cp.get_default_memory_pool().used_bytes()) + graph_memory(index)[0]


def memory_reserved(index: int) -> int:
    """Bytes the pools hold on GPU ``index``: in use plus cached for reuse."""
    cp = _cupy()
    with cp.cuda.Device(index):
        return int(cp.get_default_memory_pool().total_bytes()) + graph_memory(index)[1]


def max_memory_allocated(index: int) -> int:
    return max(_peak.get(index, 0), memory_allocated(index))


def reset_peak_memory_stats(index: int) -> None:
    _peak[index] = memory_allocated(index)


def empty_cache() -> None:
    """Return the pool's cached, unused blocks to the driver (all GPUs)."""
    cp = _cupy()
    cp.get_default_memory_pool().free_all_blocks()


def device_name(index: int) -> str:
    cp = _cupy()
    name = cp.cuda.runtime.getDeviceProperties(index)["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def describe_devices() -> dict[str, str]:
    """One printable line per GPU plus the CuPy and CUDA versions, for diagnostics."""
    cp = _cupy()
    rt = cp.cuda.runtime
    out = {
        "CuPy": cp.__version__,
        "CUDA runtime (wheel)": _version(rt.runtimeGetVersion()),
        "CUDA driver": _version(rt.driverGetVersion()),
    }
    for i in range(rt.getDeviceCount()):
        p = rt.getDeviceProperties(i)
        out[f"cuda:{i}"] = (
            f"{device_name(i)}, {p['totalGlobalMem'] / 2**30:.0f} GiB, compute capability "
            f"{p['major']}.{p['minor']}"
        )
    return out


def _version(v: int) -> str:
    return f"{v // 1000}.{v % 1000 // 10}"


def _special_functions() -> dict[str, Callable[..., Any]]:
    """``cupyx.scipy.special``'s erf, erfc, erfinv, lgamma, digamma and trigamma: one
    elementwise kernel each, instead of ``xp_kernels``' portable ones (a few dozen launches).
    Without ``cupyx`` (a stand-in), the portable ones stay."""
    try:
        from cupyx.scipy import special  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return {}

    def trigamma(x: Any) -> Any:
        return special.polygamma(1, x).astype(x.dtype, copy=False)

    return {
        "erf": special.erf,
        "erfc": special.erfc,
        "erfinv": special.erfinv,
        "lgamma": special.gammaln,
        "digamma": special.digamma,
        "trigamma": trigamma,
    }
