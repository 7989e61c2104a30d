"""Helpers for backends over an Array-API-style namespace ``xp`` (NumPy, CuPy, array-api-strict,
...): the kernels written once against ``xp``, and the table between tensorplug's dtypes and
the library's. Public through ``tensorplug.plugins``; no array library is imported here, the
namespace is an argument.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from . import _dtype as D
from ._contract import Array, Kernel
from ._xp_special import special_kernels

_NAMES: Mapping[D.dtype, tuple[str, ...]] = {
    D.bool_: ("bool", "bool_"),
    D.int32: ("int32",),
    D.int64: ("int64",),
    D.float16: ("float16",),
    D.float32: ("float32",),
    D.float64: ("float64",),
}
"""The attribute names a namespace gives each dtype (NumPy 1 spells bool ``bool_``)."""


class DtypeTable(dict[D.dtype, Any]):
    """tensorplug dtype -> the library's dtype object, and back from an array (``dtype_of``).

    It is the ``dtypes=`` of a ``Backend`` (the dtypes a backend claims) and its ``dtype_of``
    is the ``dtype_of`` kernel. The way back compares as well as hashes: a library whose
    arrays report other objects than the ones the table holds (``jnp.float32`` is a scalar
    type, a JAX array's ``dtype`` a ``numpy.dtype``; ``numpy.float32`` and
    ``numpy.dtype("float32")`` likewise) is matched by equality once per dtype object, then
    by a dictionary lookup.

    Example:
        >>> import numpy as np
        >>> from tensorplug.plugins import DtypeTable, float32, int64
        >>> table = DtypeTable({float32: np.float32, int64: np.int64}, library="NumPy")
        >>> table[float32] is np.float32, table.dtype_of(np.zeros(2, np.float32))
        (True, tensorplug.float32)
    """

    library: str
    dtype_of: Callable[[Array], D.dtype]
    """The tensorplug dtype of an array of the library; ``TypeError`` for one it has not."""

    def __init__(self, natives: Mapping[D.dtype, Any], library: str = "native") -> None:
        super().__init__(natives)
        self.library = library
        back: dict[Any, D.dtype] = {}
        for d, native in natives.items():
            back.setdefault(native, d)

        def dtype_of(a: Array) -> D.dtype:
            try:
                return back[a.dtype]
            except KeyError:
                return learn(a.dtype)

        def learn(native: Any) -> D.dtype:
            for d, mine in natives.items():
                if _same(native, mine):
                    back[native] = d
                    return d
            raise TypeError(f"{library} dtype {native} has no tensorplug equivalent")

        self.dtype_of = dtype_of


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - a library's __eq__ refusing a foreign dtype: no match
        return False


def dtype_table(
    xp: Any, *, library: str | None = None, exclude: Iterable[D.dtype] = ()
) -> DtypeTable:
    """The ``DtypeTable`` of namespace ``xp``: each tensorplug dtype that ``xp`` has an
    attribute for (``xp.float32``, ``xp.bool`` or ``xp.bool_``), minus ``exclude``.

    Args:
        xp: the array namespace (``numpy``, ``cupy``, ``array_api_strict``, ``jax.numpy``).
        library: the name error messages use; by default ``xp.__name__``.
        exclude: dtypes to leave unclaimed even though ``xp`` has them.

    Example:
        >>> import numpy as np
        >>> from tensorplug.plugins import dtype_table, float16
        >>> sorted(d.name for d in dtype_table(np, exclude=[float16]))
        ['bool', 'float32', 'float64', 'int32', 'int64']
    """
    skip = set(exclude)
    natives: dict[D.dtype, Any] = {}
    for d, names in _NAMES.items():
        found = [getattr(xp, n) for n in names if getattr(xp, n, None) is not None]
        if found and d not in skip:
            natives[d] = found[0]
    return DtypeTable(natives, library or str(getattr(xp, "__name__", "native")))


def _cumulative(xp: Any) -> dict[str, Kernel]:
    """``cumsum`` and ``cumprod`` in the input's dtype: the library's own where it has them
    (NumPy, CuPy), else the standard's ``cumulative_sum``/``cumulative_prod`` (2023.12 and
    2024.12); without either, the core's default fills in."""
    out: dict[str, Kernel] = {}
    for name, standard in (("cumsum", "cumulative_sum"), ("cumprod", "cumulative_prod")):
        f = getattr(xp, name, None) or getattr(xp, standard, None)
        if f is not None:
            out[name] = lambda a, axis, f=f: f(a, axis=axis, dtype=a.dtype)
    return out


def xp_kernels(xp: Any, dtype_of: Callable[[Array], D.dtype]) -> dict[str, Kernel]:
    """Kernels written once against an Array-API-style namespace ``xp`` (NumPy, CuPy, ...).

    A backend takes this table and overrides only where its library differs. It covers the
    primitives except creation with a dtype, host transfer and random numbers, which no
    generic table can write (docs/backend-guide.md).
    """
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

    def reshape_view(a: Array, shape: tuple[int, ...]) -> Array | None:
        # The standard's ``copy=False`` raises where a copy is needed: ValueError, or
        # array-api-strict's AttributeError.
        try:
            return xp.reshape(a, shape, copy=False)
        except (ValueError, AttributeError):
            return None

    table: dict[str, Kernel] = {
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
        "bitwise_and": xp.bitwise_and,
        "bitwise_or": xp.bitwise_or,
        "sum": lambda a, axis, keepdims: xp.sum(a, axis=axis, keepdims=keepdims),
        "prod": lambda a, axis, keepdims: xp.prod(a, axis=axis, keepdims=keepdims),
        "amax": lambda a, axis, keepdims: xp.max(a, axis=axis, keepdims=keepdims),
        "amin": lambda a, axis, keepdims: xp.min(a, axis=axis, keepdims=keepdims),
        "argmax": argmax,
        "argmin": argmin,
        "matmul": xp.matmul,
        "reshape": lambda a, shape: xp.reshape(a, shape),
        "reshape_view": reshape_view,
        "permute": lambda a, axes: permute(a, axes),
        "broadcast_to": xp.broadcast_to,
        "concat": lambda arrays, axis: concat(list(arrays), axis=axis),
        "stack": lambda arrays, axis: xp.stack(list(arrays), axis=axis),
        "getitem": getitem,
        "setitem": setitem,
        "copy": lambda a: xp.asarray(a, copy=True),
        "dtype_of": dtype_of,
    }
    table.update(_linalg_kernels(xp) | _cumulative(xp) | pointwise_kernels(xp) | _sorting(xp))
    return table


def _linalg_kernels(xp: Any) -> dict[str, Kernel]:
    """The optional ``linalg_*`` kernels, where ``xp`` has the standard's linalg extension."""
    linalg = getattr(xp, "linalg", None)
    if linalg is None:
        return {}
    return {
        "linalg_inv": linalg.inv,
        "linalg_solve": linalg.solve,
        "linalg_cholesky": linalg.cholesky,
        # NumPy gives scalars for a single matrix: 0-d arrays, as every kernel returns.
        "linalg_slogdet": lambda a: tuple(xp.asarray(v) for v in linalg.slogdet(a)),
        "linalg_eigh": lambda a: tuple(linalg.eigh(a)),
        "linalg_svd": lambda a, full: tuple(linalg.svd(a, full_matrices=full)),
        "linalg_qr": lambda a, mode: tuple(linalg.qr(a, mode=mode)),
    }


def pointwise_kernels(xp: Any) -> dict[str, Kernel]:
    """The optional kernels of ``_contract_pointwise`` and the special functions on ``xp``
    (the standard's names; a library's older spelling where it lacks one)."""

    def named(*names: str) -> Kernel:
        f: Kernel = next(getattr(xp, n) for n in names if hasattr(xp, n))
        return f

    remainder = xp.remainder

    def fmod(a: Array, b: Array) -> Array:
        # C's fmod from the standard's remainder: where the sign differs from a's, one b
        # back (exact: the result is representable and the subtraction rounds to it).
        r = remainder(a, b)
        return xp.where((r != 0) & ((r < 0) != (a < 0)), r - b, r)

    table = {
        name: named(name, alias)
        for name, alias in [
            ("floor", "floor"), ("ceil", "ceil"), ("trunc", "trunc"), ("round", "round"),
            ("tan", "tan"), ("asin", "arcsin"), ("acos", "arccos"), ("atan", "arctan"),
            ("sinh", "sinh"), ("cosh", "cosh"), ("asinh", "arcsinh"), ("acosh", "arccosh"),
            ("atanh", "arctanh"), ("log2", "log2"), ("log10", "log10"), ("signbit", "signbit"),
            ("atan2", "arctan2"), ("hypot", "hypot"), ("copysign", "copysign"),
            ("remainder", "remainder"),
            ("floor_divide", "floor_divide"), ("bitwise_xor", "bitwise_xor"),
            ("bitwise_invert", "invert"), ("bitwise_left_shift", "left_shift"),
            ("bitwise_right_shift", "right_shift"),
        ]
    }  # fmt: skip
    return {**table, "fmod": getattr(xp, "fmod", fmod), **special_kernels(xp)}


_TOPK_BY_ARGMAX = 32
"""Up to this ``k``, the float ``topk`` takes ``k`` argmax passes instead of a partition
(docs/performance.md: the partition of a whole row costs more than a few passes)."""


def _sorting(xp: Any) -> dict[str, Kernel]:
    """The optional kernels of sorting and searching, for NumPy-style namespaces (NumPy and
    CuPy: ``kind=``, ``argpartition``, ``unique`` with ``axis``); none for others."""
    if not hasattr(xp, "argpartition"):
        return {}

    def argsort(a: Array, axis: int, descending: bool, stable: bool) -> Array:
        kind = "stable" if stable else None
        if not descending:
            return xp.argsort(a, axis=axis, kind=kind)
        # Descending and stable: sort the reversed array ascending, reverse the result back.
        n = a.shape[axis]
        rev = xp.flip(a, axis=axis)
        return (n - 1) - xp.flip(xp.argsort(rev, axis=axis, kind=kind), axis=axis)

    def topk(a: Array, k: int, axis: int, largest: bool) -> Array:
        n = a.shape[axis]
        if k == 0 or n == 0:
            return xp.zeros(a.shape[:axis] + (k,) + a.shape[axis + 1 :], dtype=xp.int64)
        if largest and k <= _TOPK_BY_ARGMAX and a.dtype.kind == "f":
            return _topk_by_argmax(a, k, axis)
        if k == n:
            return argsort(a, axis, largest, True)
        part = xp.argpartition(a, n - k if largest else k - 1, axis=axis)
        part = xp.take(part, xp.arange(n - k, n) if largest else xp.arange(k), axis=axis)
        vals = xp.take_along_axis(a, part, axis)
        order = argsort(vals, axis, largest, True)
        return xp.take_along_axis(part, order, axis)

    def _topk_by_argmax(a: Array, k: int, axis: int) -> Array:
        work = xp.moveaxis(a, axis, -1).copy()
        rows = xp.arange(work.size // max(work.shape[-1], 1)).reshape(work.shape[:-1])
        out = xp.empty(work.shape[:-1] + (k,), dtype=xp.int64)
        for j in range(k):
            i = xp.argmax(work, axis=-1)
            out[..., j] = i
            work.reshape(-1)[rows * work.shape[-1] + i] = -xp.inf
        return xp.moveaxis(out, -1, axis)

    def unique(a: Array, axis: int | None) -> tuple[Array, Array, Array]:
        values, inverse, counts = xp.unique(a, return_inverse=True, return_counts=True, axis=axis)
        return values, xp.reshape(inverse, (-1,)).astype(xp.int64), counts.astype(xp.int64)

    def searchsorted(seq: Array, values: Array, right: bool) -> Array:
        side = "right" if right else "left"
        if seq.ndim == 1:
            return xp.asarray(xp.searchsorted(seq, values, side=side)).astype(xp.int64)
        # Row by row, stacked: no write into an array (an immutable library has none).
        flat_seq = xp.reshape(seq, (-1, seq.shape[-1]))
        flat_values = xp.reshape(values, (-1,) + values.shape[-1:])
        rows = [
            xp.asarray(xp.searchsorted(flat_seq[r], flat_values[r], side=side)).astype(xp.int64)
            for r in range(flat_seq.shape[0])
        ]
        if not rows:
            return xp.zeros(values.shape, dtype=xp.int64)
        return xp.reshape(xp.stack(rows), values.shape)

    return {"argsort": argsort, "topk": topk, "unique": unique, "searchsorted": searchsorted}
