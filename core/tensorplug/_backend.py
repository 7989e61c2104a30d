"""The kernel contract between tensorplug's core and a backend.

A backend is a ``Backend`` object: a name, a device kind, a dtype table and a table of kernels on
raw arrays. ``PRIMITIVES`` is the short, frozen list every backend must implement;
``DERIVED`` kernels have defaults composed from primitives here, which a backend may override
for speed; ``OPTIONAL`` kernels have no default, and an op needing one a backend lacks raises
``UnsupportedOperation``. The core calls kernels as ``backend.k.name(...)``: an attribute
lookup, never a plugin call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from . import _dtype as D

Array: TypeAlias = Any
"""A backend's native array (``numpy.ndarray``, ``cupy.ndarray``, ...): opaque to the core."""

Kernel: TypeAlias = Callable[..., Any]

PRIMITIVES: frozenset[str] = frozenset(
    {
        "add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sqrt", "abs", "sin", "cos",
        "tanh", "sign",
        "maximum", "minimum", "where", "eq", "ne", "lt", "le", "gt", "ge",
        "sum", "prod", "amax", "amin", "argmax", "argmin", "matmul",
        "reshape", "permute", "broadcast_to", "concat", "getitem", "setitem", "astype", "copy",
        "full", "arange", "linspace", "eye", "from_host", "to_host", "dtype_of",
        "random_uniform", "random_normal", "random_integers",
    }
)  # fmt: skip
"""Kernels every backend implements. Changing this set is an API decision."""

OPTIONAL: frozenset[str] = frozenset({"scatter_add"})
"""Kernels without a default; ops that need one raise ``UnsupportedOperation`` if absent."""

ACCELERATORS: frozenset[str] = frozenset({"isub", "imul", "idiv", "fill_", "where_zero_"})
"""Kernels without a default that the core uses when a backend has them (in-place updates
outside the graph, ReLU's backward written into its own gradient) and otherwise replaces
with primitives; they only make things faster."""


class UnsupportedOperation(NotImplementedError):
    """An op, dtype or kernel the active backend does not provide."""


class BackendUnavailableError(RuntimeError):
    """A backend that is installed but cannot run here (no GPU, driver mismatch, ...)."""


@dataclass(frozen=True)
class Device:
    """Where a tensor lives: ``cpu``, ``cuda:0``, ... Compares equal to its string form."""

    type: str
    index: int | None = None

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
        if isinstance(spec, Device):
            return spec
        kind, _, idx = str(spec).partition(":")
        if idx and not idx.isdigit():
            raise ValueError(f"invalid device string {spec!r}; expected e.g. 'cpu' or 'cuda:0'")
        return Device(kind, int(idx) if idx else None)


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
    info: Mapping[str, Any] = field(default_factory=dict)
    k: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        missing = sorted(PRIMITIVES - set(self.kernels))
        if missing:
            raise TypeError(
                f"backend {self.name!r} is missing required kernels: {', '.join(missing)}"
            )
        if D.float32 not in self.dtypes:
            raise TypeError(f"backend {self.name!r} must support float32")
        table = dict(default_kernels(self))
        table.update(self.kernels)
        self.k = Kernels(table)
        self._default_device = Device(self.device_type, 0 if self.device_type != "cpu" else None)
        self.supported_dtypes = tuple(d for d in D.ALL_DTYPES if d in self.dtypes)

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


def default_kernels(be: Backend) -> dict[str, Kernel]:
    """Derived kernels written with primitives; a backend's own entries replace these."""
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

    def setitem_(dst: Array, src: Array) -> None:
        k["setitem"](dst, Ellipsis, src)

    def iadd(dst: Array, src: Array) -> None:
        k["setitem"](dst, Ellipsis, k["add"](dst, src))

    def isfinite(x: Array) -> Array:
        return k["eq"](k["sub"](x, x), 0)

    def any_nonfinite(x: Array) -> bool:
        fin = isfinite(x)
        return bool(k["to_host"](k["amin"](fin, None, False)) == 0) if x.size else False

    def without_none(idx: tuple[Any, ...], shape: tuple[int, ...]) -> tuple[Any, tuple[int, ...]]:
        """``idx`` with each ``None`` made a full slice over a size-1 axis inserted into
        ``shape`` at that place: the same result shape (a slice separates advanced indices as
        ``None`` does), so setitem never sees a ``None`` (the Array API standard forbids it
        there)."""

        def used(i: Any) -> int:  # input dims an index item consumes
            if i is Ellipsis:
                return 0
            if isinstance(i, (int, slice)):
                return 1
            return len(i.shape) if k["dtype_of"](i) is D.bool_ else 1

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

    def index_grad(g: Array, shape: tuple[int, ...], idx: Any, advanced: bool) -> Array:
        """Zeros of ``shape`` with ``g`` added at ``idx`` (repeated indices accumulate)."""
        target = shape
        if isinstance(idx, tuple) and any(i is None for i in idx):
            idx, target = without_none(idx, shape)
        z = k["full"](target, 0, k["dtype_of"](g))
        if not advanced:
            k["setitem"](z, idx, g)
        elif "scatter_add" in k:
            k["scatter_add"](z, idx, g)
        else:
            raise UnsupportedOperation(
                f"index backward: backend '{be.name}' has no scatter_add kernel, needed for the "
                "gradient of indexing with integer or mask tensors"
            )
        return z if target == shape else k["reshape"](z, shape)

    def iota(n: int, shape: tuple[int, ...], like: Array) -> Array:
        return k["reshape"](k["arange"](0, n, 1, D.int64), shape)

    return {
        "sum_to": sum_to,
        "index_grad": index_grad,
        "iota": iota,
        "const": lambda x, like: x,
        "log1p": lambda x: k["log"](k["add"](x, 1)),
        "expm1": lambda x: k["sub"](k["exp"](x), 1),
        "rsqrt": lambda x: k["div"](1, k["sqrt"](x)),
        "reciprocal": lambda x: k["div"](1, x),
        "square": lambda x: k["mul"](x, x),
        "sigmoid": lambda x: k["div"](1, k["add"](k["exp"](k["neg"](x)), 1)),
        # Backward of tanh and sigmoid from their output, one kernel each as in PyTorch.
        "tanh_backward": lambda g, out: k["mul"](g, k["sub"](1, k["mul"](out, out))),
        "sigmoid_backward": lambda g, out: k["mul"](k["mul"](g, out), k["sub"](1, out)),
        "relu": relu,
        "clamp": clamp,
        "stack": stack,
        "assign": setitem_,
        "iadd": iadd,
        "isfinite": isfinite,
        "any_nonfinite": any_nonfinite,
    }


def xp_kernels(xp: Any, dtype_of: Callable[[Array], D.dtype]) -> dict[str, Kernel]:
    """Kernels written once against an Array-API-style namespace ``xp`` (NumPy, CuPy, ...).

    A backend takes this table and overrides only where its library differs.
    """

    def _axis(axis: tuple[int, ...] | None) -> tuple[int, ...] | None:
        return axis

    concat = getattr(xp, "concat", None) or xp.concatenate
    permute = getattr(xp, "permute_dims", None) or xp.transpose
    pow_ = getattr(xp, "pow", None) or xp.power

    def getitem(a: Array, idx: Any) -> Array:
        return a[idx]

    def setitem(a: Array, idx: Any, v: Any) -> None:
        a[idx] = v

    def argmax(a: Array, axis: int | None, keepdims: bool) -> Array:
        return xp.argmax(a, axis=axis, keepdims=keepdims)

    def argmin(a: Array, axis: int | None, keepdims: bool) -> Array:
        return xp.argmin(a, axis=axis, keepdims=keepdims)

    return {
        "add": xp.add,
        "sub": xp.subtract,
        "mul": xp.multiply,
        "div": xp.divide,
        "neg": xp.negative,
        "pow": pow_,
        "exp": xp.exp,
        "log": xp.log,
        "log1p": xp.log1p,
        "expm1": xp.expm1,
        "sqrt": xp.sqrt,
        "abs": xp.abs,
        "sin": xp.sin,
        "cos": xp.cos,
        "tanh": xp.tanh,
        "sign": xp.sign,
        "maximum": xp.maximum,
        "minimum": xp.minimum,
        "where": xp.where,
        "eq": xp.equal,
        "ne": xp.not_equal,
        "lt": xp.less,
        "le": xp.less_equal,
        "gt": xp.greater,
        "ge": xp.greater_equal,
        "isfinite": xp.isfinite,
        "sum": lambda a, axis, keepdims: xp.sum(a, axis=_axis(axis), keepdims=keepdims),
        "prod": lambda a, axis, keepdims: xp.prod(a, axis=_axis(axis), keepdims=keepdims),
        "amax": lambda a, axis, keepdims: xp.max(a, axis=_axis(axis), keepdims=keepdims),
        "amin": lambda a, axis, keepdims: xp.min(a, axis=_axis(axis), keepdims=keepdims),
        "argmax": argmax,
        "argmin": argmin,
        "matmul": xp.matmul,
        "reshape": lambda a, shape: xp.reshape(a, shape),
        "permute": lambda a, axes: permute(a, axes),
        "broadcast_to": xp.broadcast_to,
        "concat": lambda arrays, axis: concat(list(arrays), axis=axis),
        "stack": lambda arrays, axis: xp.stack(list(arrays), axis=axis),
        "getitem": getitem,
        "setitem": setitem,
        "copy": lambda a: xp.asarray(a, copy=True),
        "dtype_of": dtype_of,
    }
