"""Backends: the ``Backend`` record, its kernel namespace and the derived kernels' defaults.

A backend is a ``Backend`` object: a name, a device kind, a dtype table and a table of kernels on
raw arrays. What each kernel must do, and which ones a backend must, may or need not provide,
is the contract in ``_contract.py``, checked here when a ``Backend`` is built. The core calls
kernels as ``backend.k.name(...)``: an attribute lookup, never a plugin call.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import _contract, _gelu, _lstm_formulas
from . import _dtype as D
from ._contract import Array, Kernel
from ._fused_formulas import fused_defaults

if TYPE_CHECKING:
    from ._contract import BackendOps


class UnsupportedOperation(NotImplementedError):
    """An op, dtype or kernel the active backend does not provide."""


class BackendUnavailableError(RuntimeError):
    """A backend that is installed but cannot run here (no GPU, driver mismatch, ...)."""


@dataclass(frozen=True)
class Device:
    """Where a tensor lives: ``cpu``, ``cuda:0``, ... Compares equal to its string form.

    Made as ``torch.device`` is (``tensorplug.device`` is this class): ``Device("cuda:1")``,
    ``Device("cuda", 1)``, ``Device(type="cuda", index=1)`` or from another ``Device``.
    """

    type: str
    index: int | None = None

    def __post_init__(self) -> None:
        spec: Any = self.type
        if isinstance(spec, Device):
            spec, index = spec.type, spec.index if self.index is None else self.index
        else:
            kind, sep, idx = str(spec).partition(":")
            if sep and self.index is not None:
                raise RuntimeError(
                    "type (string) must not include an index because index was passed "
                    f"explicitly: {spec}"
                )
            if sep and not idx.isdigit():
                raise RuntimeError(f"Invalid device string: {spec!r}")
            spec, index = kind, int(idx) if sep else self.index
        if index is not None and (isinstance(index, bool) or not isinstance(index, int)):
            raise TypeError(f"device index must be an int, got {type(index).__name__}")
        if index is not None and index < 0:
            raise RuntimeError("Device index must not be negative")
        object.__setattr__(self, "type", spec)
        object.__setattr__(self, "index", index)

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        return f"device(type='{self.type}'" + (
            ")" if self.index is None else f", index={self.index})"
        )

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return str(self) == other or (self.index in (None, 0) and other == self.type)
        if isinstance(other, Device):
            return self.type == other.type and self.index == other.index
        return NotImplemented

    def __hash__(self) -> int:
        return hash(str(self))

    @staticmethod
    def parse(spec: str | Device) -> Device:
        return spec if isinstance(spec, Device) else Device(spec)


@dataclass(frozen=True)
class Tolerance:
    """A loosened tolerance a backend declares for ``(op, dtype)``, with its reason."""

    op: str
    dtype: str
    rtol: float
    atol: float
    reason: str


@dataclass(frozen=True)
class KnownFailure:
    """A conformance test a backend is known to fail; run as a strict expected failure."""

    op: str
    reason: str
    family: str = "*"
    dtype: str = "*"
    sample: str = "*"


class Kernels:
    """A backend's kernels as attributes (``k.mul``).

    What the dispatch derives from them (each op's forward, ``_dispatch.forwards``) is kept
    in caches it registers here (``_caches``); setting or deleting a kernel (a plugin's
    override, a test's monkeypatch) clears them.
    """

    __slots__ = ("__dict__", "_caches")
    _caches: list[dict[Any, Any]]

    if TYPE_CHECKING:
        # The kernels are instance attributes, set from the table; ``Backend.k`` is typed
        # with the contract's ``BackendOps``, which this namespace satisfies.
        def __getattr__(self, name: str) -> Kernel: ...

    def __init__(self, table: Mapping[str, Kernel]) -> None:
        self.__dict__.update(table)
        object.__setattr__(self, "_caches", [])

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        self._drop_caches()

    def __delattr__(self, name: str) -> None:
        object.__delattr__(self, name)
        self._drop_caches()

    def _drop_caches(self) -> None:
        for cache in self._caches:
            cache.clear()
        self._caches.clear()

    def __repr__(self) -> str:
        return f"Kernels({', '.join(sorted(self.__dict__))})"


@dataclass(eq=False)  # compared and hashed by identity
class Backend:
    """A backend: kernels on native arrays plus what the conformance suite needs to know.

    Args:
        name: the registry name (``numpy``, ``cupy``, ...).
        kernels: kernel name -> callable; must cover ``PRIMITIVES``.
        dtypes: tensorplug dtype -> native dtype, for every dtype the backend supports.
        device_type: ``cpu``, ``cuda``, ...
        version: the version of the underlying library.
        device_of: native array -> ``Device``; defaults to a single ``Device(device_type)``.
        known_failures / tolerances: declarations for the conformance suite, each with a reason.
        synchronize: waits for queued work (GPU backends), used by benchmarks.
        manual_seed: reseeds the backend's random generator.
        rng: optional, the generator object behind the random kernels
            (``_contract.RandomGenerator``): its state for ``tp.get_rng_state`` and the
            independent streams of ``tp.Generator``; without it ``generator=`` is refused.
        mutable: whether the library's arrays may be written in place and its views share
            memory with their base (NumPy, CuPy, PyTorch). ``False`` (JAX): the core never
            calls an in-place kernel; it turns in-place ops and writes through views into
            functional updates and re-derives the live views itself.
    """

    name: str
    kernels: Mapping[str, Kernel]
    dtypes: Mapping[D.dtype, Any]
    device_type: str = "cpu"
    version: str = ""
    array_types: tuple[type, ...] = ()
    device_of: Callable[[Array], Device] | None = None
    known_failures: tuple[KnownFailure, ...] = ()
    tolerances: tuple[Tolerance, ...] = ()
    synchronize: Callable[[], None] = lambda: None
    manual_seed: Callable[[int], None] = lambda seed: None
    rng: _contract.RandomGenerator | None = None
    info: Mapping[str, Any] = field(default_factory=dict)
    mutable: bool = True
    k: BackendOps = field(init=False, repr=False)
    """The kernels as attributes (``Kernels``), the derived defaults filled in."""

    def __post_init__(self) -> None:
        _contract.check(self.name, self.kernels, self.mutable)
        if D.float32 not in self.dtypes:
            raise TypeError(f"backend {self.name!r} must support float32")
        table = dict(default_kernels(self))
        table.update(self.kernels)
        if not self.mutable:
            # Never called on immutable arrays: a core path that missed its functional
            # counterpart fails at once (AttributeError) instead of writing into an array.
            for name in _contract.IN_PLACE | _contract.REUSES:
                table.pop(name, None)
        self.k = Kernels(table)
        self._default_device = Device(self.device_type, 0 if self.device_type != "cpu" else None)
        self.supported_dtypes = tuple(d for d in D.ALL_DTYPES if d in self.dtypes)
        # Native dtype -> its promotion category, as ``dtype_of`` says: the dispatch's cache
        # (the per-op dtype checks without a kernel call), one per backend.
        self.categories: dict[Any, int] = {}

    def has_kernel(self, name: str) -> bool:
        return hasattr(self.k, name)

    def native_dtype(self, d: D.dtype, op: str = "tensor") -> Any:
        try:
            return self.dtypes[d]
        except KeyError:
            raise UnsupportedOperation(
                f"{op}: dtype {d.name} is not supported by backend '{self.name}' "
                f"(it supports {', '.join(x.name for x in self.supported_dtypes)})"
            ) from None

    def device(self, arr: Array) -> Device:
        return self._default_device if self.device_of is None else self.device_of(arr)


_LAYOUT_UNKNOWN: dict[str, Kernel] = {
    "reshape_view": lambda x, shape: None,  # it cannot tell: reshape copies, safely
    "strides": lambda x: None,  # not exposed: row-major where reshape_view flattens it
}
"""The layout kernels' defaults: a library that does not say declines."""


def default_kernels(be: Backend) -> dict[str, Kernel]:
    """The defaults of the derived and host-boundary kernels (``_contract.DERIVED``,
    ``HOST_BOUNDARY``), written with primitives; a backend's own entries replace these."""
    k = be.kernels

    def sum_to(x: Array, shape: tuple[int, ...]) -> Array:
        """Reduce a broadcast gradient to ``shape``: the one place broadcasting is undone."""
        if x.shape == shape:
            return x
        lead = len(x.shape) - len(shape)
        axes = tuple(range(lead)) + tuple(
            i + lead for i, n in enumerate(shape) if n == 1 and x.shape[i + lead] != 1
        )
        r = k["sum"](x, axes[:lead], False) if lead else x
        if len(axes) > lead:
            r = k["sum"](r, tuple(a - lead for a in axes[lead:]), True)
        return r if r.shape == shape else k["reshape"](r, shape)

    def relu(x: Array) -> Array:
        return k["maximum"](x, k["full"]((), 0, k["dtype_of"](x)))

    def clamp(x: Array, lo: Any, hi: Any) -> Array:
        if lo is not None:
            x = k["maximum"](x, lo)
        if hi is not None:
            x = k["minimum"](x, hi)
        return x

    def stack(arrays: Iterable[Array], axis: int) -> Array:
        parts = []
        for a in arrays:
            ax = axis if axis >= 0 else axis + len(a.shape) + 1
            parts.append(k["reshape"](a, a.shape[:ax] + (1,) + a.shape[ax:]))
        return k["concat"](parts, axis)

    def isfinite(x: Array) -> Array:
        return k["eq"](k["sub"](x, x), 0)

    def any_nonfinite(x: Array) -> bool:
        # x - x is 0 where x is finite, NaN elsewhere: summed, no reduction of a bool array
        # (the Array API standard has none for min).
        if not math.prod(x.shape) or not k["dtype_of"](x).is_floating_point:
            return False
        return bool(k["to_host"](k["sum"](k["sub"](x, x), None, False)) != 0)

    def iota(n: int, shape: tuple[int, ...], like: Array) -> Array:
        return k["reshape"](k["arange"](0, n, 1, D.int64), shape)

    return {
        "sum_to": sum_to,
        "index_grad": _index_grad(be),
        "iota": iota,
        "const": lambda x, like: x,
        **_LAYOUT_UNKNOWN,
        "log1p": lambda x: k["log"](k["add"](x, 1)),
        "expm1": lambda x: k["sub"](k["exp"](x), 1),
        "rsqrt": lambda x: k["div"](1, k["sqrt"](x)),
        "reciprocal": lambda x: k["div"](1, x),
        "square": lambda x: k["mul"](x, x),
        "sigmoid": lambda x: k["div"](1, k["add"](k["exp"](k["neg"](x)), 1)),
        "relu": relu,
        "clamp": clamp,
        "stack": stack,
        **_writes(k),
        "isfinite": isfinite,
        "any_nonfinite": any_nonfinite,
        **_scans(k),
        **fused_defaults(be),  # issue 21: the fused kernels' formulas
        **_gelus(be),  # GELU's (fused too), from ``_gelu``
        **_lstms(be),  # an LSTM layer's recurrence, from ``_lstm_formulas``
        # Host boundary: declining sends a move between backends through host memory.
        "from_foreign": lambda x, src, device: None,
    }


def _writes(k: Mapping[str, Kernel]) -> dict[str, Kernel]:
    """The defaults of ``assign``, ``iadd`` and ``index_put``, from ``setitem`` (an immutable
    backend has ``index_put`` of its own, and the core calls none of the other two there)."""

    def assign(dst: Array, src: Array) -> None:
        k["setitem"](dst, Ellipsis, src)

    def iadd(dst: Array, src: Array) -> None:
        k["setitem"](dst, Ellipsis, k["add"](dst, src))

    def index_put(x: Array, idx: Any, value: Any) -> Array:
        out = k["copy"](x)
        k["setitem"](out, idx, value)
        return out

    return {"assign": assign, "iadd": iadd, "index_put": index_put}


def _scans(k: Mapping[str, Kernel]) -> dict[str, Kernel]:
    """The defaults of ``cumsum`` and ``cumprod``."""
    return {"cumsum": _scan(k, "add", 0), "cumprod": _scan(k, "mul", 1)}


def _gelus(be: Backend) -> dict[str, Kernel]:
    """The defaults of ``gelu`` and ``gelu_backward``: ``_gelu``'s formulas on the finished
    kernel table (``be.k``; primitives, and ``erfc`` where the backend has it); of
    ``gelu_with_derivative``, the backend's ``gelu`` and no derivative (a GPU backend's fused
    ``gelu_backward`` costs one launch anyway)."""
    erfc = be.kernels.get("erfc")  # an optional kernel: the exact form from it where present
    return {
        "gelu": lambda x, approximate: _gelu.gelu(be.k, x, approximate, erfc),
        "gelu_backward": lambda g, x, a: _gelu.gelu_backward(be.k, g, x, a, erfc),
        "gelu_with_derivative": lambda x, approximate: (be.k.gelu(x, approximate), None),
    }


def _lstms(be: Backend) -> dict[str, Kernel]:
    """The defaults of ``lstm_layer`` and ``lstm_layer_backward``: ``_lstm_formulas``' on
    the finished kernel table (``be.k``, so the backend's own ``sigmoid`` and the rest count)."""
    return {
        "lstm_layer": lambda *args: _lstm_formulas.lstm_layer(be.k, *args),
        "lstm_layer_backward": lambda *args: _lstm_formulas.lstm_layer_backward(be.k, *args),
    }


def _scan(k: Mapping[str, Kernel], combine: str, identity: int) -> Kernel:
    """A running ``combine`` along an axis in ceil(log2 n) steps (Hillis and Steele): step
    ``s`` combines each element with the one ``s`` before it (``identity`` before the start)."""
    op = k[combine]

    def scan(x: Array, axis: int) -> Array:
        n = x.shape[axis]
        lead = (slice(None),) * axis
        s = 1
        while s < n:
            pad = k["full"](x.shape[:axis] + (s,) + x.shape[axis + 1 :], identity, k["dtype_of"](x))
            shifted = k["concat"]([pad, k["getitem"](x, (*lead, slice(0, n - s)))], axis)
            x = op(x, shifted)
            s *= 2
        return x if n > 1 else k["copy"](x)

    return scan


def _index_grad(be: Backend) -> Kernel:
    """The default ``index_grad`` on ``be``'s kernels."""
    k = be.kernels

    def index_grad(g: Array, shape: tuple[int, ...], idx: Any, advanced: bool) -> Array:
        """Zeros of ``shape`` with ``g`` added at ``idx`` (repeated indices accumulate)."""
        target = shape
        if isinstance(idx, tuple) and any(i is None for i in idx):
            idx, target = _without_none(k["dtype_of"], idx, shape)
        z = k["full"](target, 0, k["dtype_of"](g))
        if not be.mutable:
            if advanced and "index_add" not in k:
                raise UnsupportedOperation(
                    f"index backward: backend '{be.name}' has no index_add kernel (the "
                    "functional scatter_add), needed for the gradient of indexing with integer "
                    "or mask tensors"
                )
            z = k["index_add" if advanced else "index_put"](z, idx, g)
        elif not advanced:
            k["setitem"](z, idx, g)
        elif "scatter_add" in k:
            k["scatter_add"](z, idx, g)
        else:
            raise UnsupportedOperation(
                f"index backward: backend '{be.name}' has no scatter_add kernel, needed for the "
                "gradient of indexing with integer or mask tensors"
            )
        return z if target == shape else k["reshape"](z, shape)

    return index_grad


def _without_none(
    dtype_of: Kernel, idx: tuple[Any, ...], shape: tuple[int, ...]
) -> tuple[Any, tuple[int, ...]]:
    """``idx`` with each ``None`` made a full slice over a size-1 axis inserted into ``shape``
    at that place: the same result shape (a slice separates advanced indices as ``None``
    does), so setitem never sees a ``None`` (the Array API standard forbids it there)."""

    def used(i: Any) -> int:  # input dims an index item consumes
        if i is Ellipsis:
            return 0
        if isinstance(i, (int, slice)):
            return 1
        return len(i.shape) if dtype_of(i) is D.bool_ else 1

    n_ellipsis = len(shape) - sum(used(i) for i in idx if i is not None)
    items: list[Any] = []
    padded: list[int] = []
    pos = 0
    for i in idx:
        n = 0 if i is None else n_ellipsis if i is Ellipsis else used(i)
        padded.extend(shape[pos : pos + n] if i is not None else (1,))
        items.append(slice(None) if i is None else i)
        pos += n
    return tuple(items), (*padded, *shape[pos:])
