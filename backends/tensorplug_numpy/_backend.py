"""NumPy kernels: the generic Array-API kernels plus what NumPy does differently."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tensorplug.plugins import (
    Backend,
    DtypeTable,
    KnownFailure,
    bool_,
    dtype,
    float16,
    float32,
    float64,
    int32,
    int64,
    xp_kernels,
)

from ._gelu import gelu_kernels
from ._malloc import tune_malloc
from ._pointwise import UFUNCS, scipy_special
from ._scan import cumsum as _cumsum

_ND = np.ndarray
_asarray = np.asarray

DTYPES = DtypeTable(
    {
        bool_: np.dtype(np.bool_),
        int32: np.dtype(np.int32),
        int64: np.dtype(np.int64),
        float16: np.dtype(np.float16),
        float32: np.dtype(np.float32),
        float64: np.dtype(np.float64),
    },
    library="NumPy",
)
"""tensorplug dtype -> ``numpy.dtype``: dtype objects, not scalar types, which the fast paths
below compare by identity with an array's ``dtype``."""


_UINT_VIEW: dict[np.dtype[Any], np.dtype[Any]] = {
    np.dtype(np.float16): np.dtype(np.uint16),
    np.dtype(np.float32): np.dtype(np.uint32),
    np.dtype(np.float64): np.dtype(np.uint64),
}
"""The float dtypes, each with the unsigned integer dtype of its size (for bit-level masks)."""
_BOOL = np.dtype(np.bool_)

_SCALARS: dict[Any, dict[Any, Any]] = {d: {} for d in _UINT_VIEW}
"""Per float dtype, Python numbers already made 0-d arrays of it (read-only, shared)."""


def _zero(dtype: Any) -> Any:
    z = np.zeros((), dtype)
    z.flags.writeable = False
    return z


_ZERO = {d: _zero(d) for d in _UINT_VIEW}
"""Per float dtype, a read-only 0-d +0: zero is never looked up by number (see ``_LATEST``)."""


_LATEST: dict[Any, tuple[Any, Any]] = {}
"""Per nonzero number, the dtype and 0-d array ``_as_0d`` last gave for it: the kernels try it
first, a lookup by the number alone (hashing a dtype and calling ``_as_0d`` cost more than
the rest of a small kernel's wrapper). No zero: -0.0 would find 0.0's entry."""


def _as_0d(s: Any, like: Any) -> Any:
    """A Python number as a 0-d array of float array ``like``'s dtype, else ``s`` unchanged.

    NumPy takes a weak Python scalar through a measurably slower path than a 0-d array
    (docs/performance.md); converted to the array's own dtype, it gives the same values, as
    NEP 50 casts it to that dtype anyway. Only for float arrays: for integers NumPy's
    out-of-range handling of Python ints (in comparisons) would change.
    """
    cache = _SCALARS.get(like.dtype)
    if cache is None:
        return s
    if not s:  # never cached by number: -0.0 equals 0.0 as a key
        return _ZERO[like.dtype] if math.copysign(1.0, s) > 0 else s
    z = cache.get(s)
    if z is None:
        if s.__class__ is int and not -(1 << 53) <= s <= 1 << 53:
            return s  # beyond float precision: NumPy's own conversion
        if len(cache) > 512:  # bounded: the values met may vary without end
            cache.clear()
        z = cache[s] = np.array(s, like.dtype)
        z.flags.writeable = False
    if len(_LATEST) > 512:
        _LATEST.clear()
    _LATEST[s] = (like.dtype, z)
    return z


def _array(f: Any) -> Any:
    """NumPy returns scalars, not 0-d arrays, from ufuncs on 0-d inputs: such a result is
    made an array again, so every tensor holds a real (writable) array. (Checking the
    result's class costs less than passing ``out=...``, which NumPy parses on every call.)
    A Python number beside a float array goes in as a cached 0-d array (``_as_0d``)."""

    # Fixed arity: a ``*args`` wrapper is measurably slower here (docs/performance.md).
    if getattr(f, "nin", 2) == 1:

        def kernel(x: Any) -> Any:
            r = f(x)
            return r if r.__class__ is _ND else _asarray(r)
    else:

        def kernel(a: Any, b: Any) -> Any:  # type: ignore[misc]
            if b.__class__ is float or b.__class__ is int:
                if a.__class__ is _ND:
                    e = _LATEST.get(b)
                    b = e[1] if e is not None and e[0] is a.dtype else _as_0d(b, a)
            elif (a.__class__ is float or a.__class__ is int) and b.__class__ is _ND:
                e = _LATEST.get(a)
                a = e[1] if e is not None and e[0] is b.dtype else _as_0d(a, b)
            r = f(a, b)
            return r if r.__class__ is _ND else _asarray(r)

    kernel.__name__ = getattr(f, "__name__", "kernel")
    # For arrays with dimensions the ufunc alone does the same: it returns an array, and
    # there is no number to convert (``Backend.forward_of``). One Python frame less.
    kernel.nd = f  # type: ignore[attr-defined]
    return kernel


def _reduction(ufunc: Any) -> Any:
    def kernel(a: Any, axis: tuple[int, ...] | None, keepdims: bool) -> Any:
        return ufunc.reduce(a, axis=axis, keepdims=keepdims, out=...)

    return kernel


def _asarray_result(f: Any) -> Any:
    def kernel(*args: Any) -> Any:
        r = f(*args)
        return r if r.__class__ is _ND else np.asarray(r)

    return kernel


def _getitem(a: Any, idx: Any) -> Any:
    """``a[idx]`` as an array (NumPy gives a scalar for an element). A 1-d array read at a
    1-d integer array (``gather``, ``sort`` and ``topk`` take their values so) goes through
    ``np.take``, faster than the same fancy index (docs/performance.md)."""
    if idx.__class__ is _ND and a.ndim == 1 and idx.ndim == 1 and idx.dtype.kind == "i":
        return np.take(a, idx)
    r = a[idx]
    return r if r.__class__ is _ND else _asarray(r)


def _where(cond: Any, x: Any, y: Any) -> Any:
    """``np.where``, with a branch-free path for the gradient mask ``where(c, g, 0)``.

    ``np.where`` branches per element, so on a random mask (ReLU's backward) it runs far
    below memory speed. For a float ``x`` of some size and a zero ``y`` the same bits come
    from multiplying ``x``'s integer view by ``c`` (0 or 1): signs of zeros, NaNs and
    infinities all as ``np.where``, and faster from a few hundred elements on
    (docs/performance.md).
    """
    if (
        y.__class__ in (int, float)
        and y == 0
        and x.__class__ is _ND
        and x.size >= 256
        and (y.__class__ is int or math.copysign(1.0, y) > 0)  # -0.0 must stay -0.0
        and x.dtype in _UINT_VIEW
        and cond.__class__ is _ND
        and cond.dtype is _BOOL
        and cond.shape == x.shape
    ):
        return np.multiply(x.view(_UINT_VIEW[x.dtype]), cond).view(x.dtype)
    # A number beside a float array goes in as a 0-d array of its dtype, as in ``_array``
    # (NumPy's path for a weak scalar is the slower one on a small array).
    if y.__class__ is float or y.__class__ is int:
        if x.__class__ is _ND:
            y = _scalar(y, x)
    elif (x.__class__ is float or x.__class__ is int) and y.__class__ is _ND:
        x = _scalar(x, y)
    r = np.where(cond, x, y)
    return r if r.__class__ is _ND else np.asarray(r)


_BLAS_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _matmul(a: Any, b: Any) -> Any:
    # Two float32/float64 matrices: np.dot calls the same BLAS routine without matmul's
    # gufunc machinery (faster on small matrices; equal results). A large outer product
    # (inner dimension 1: ``g @ w.T`` in the backward of a layer with one output) is a
    # broadcast multiply, faster there than BLAS (matmul has no fast path for it at all);
    # only the sign of a zero product may differ (BLAS adds it to +0). Measured:
    # docs/performance.md.
    if (
        a.__class__ is _ND
        and b.__class__ is _ND
        and a.ndim == 2
        and b.ndim == 2
        and a.dtype is b.dtype
        and a.dtype in _BLAS_FLOATS
    ):
        if a.shape[1] == 1 and b.shape[0] == 1 and a.size * b.size > 1 << 14:
            return np.multiply(a, b)
        return a.dot(b)  # the method: np.dot adds an __array_function__ dispatcher
    return np.matmul(a, b, out=...)


def _clamp(x: Any, lo: Any, hi: Any) -> Any:
    # A maximum and a minimum (the same values: NaNs, and ``hi`` where lo > hi): np.clip's
    # fixed cost is larger on a small array, though it is the faster one from about a
    # thousand elements (one pass, where maximum then minimum make two; docs/performance.md).
    nd = x.__class__ is _ND
    if hi is None:
        if nd and lo == 0 and x.dtype in _ZERO and math.copysign(1.0, lo) > 0:
            return _relu(x)
        r = np.maximum(x, _scalar(lo, x) if nd else lo)
    elif lo is None:
        r = np.minimum(x, _scalar(hi, x) if nd else hi)
    elif nd and x.size < 1024:
        r = np.minimum(np.maximum(x, _scalar(lo, x)), _scalar(hi, x))
    else:
        r = np.clip(x, lo, hi)
    return r if r.__class__ is _ND else _asarray(r)


def _relu(x: Any) -> Any:
    """``maximum(x, 0)``; ``clamp(x, 0)`` of a float array also comes here."""
    z = _ZERO.get(x.dtype) if x.__class__ is _ND else None
    if z is None:  # not a float array: maximum beside the number
        return _clamp(x, 0, None)
    if x.size >= 1024 and x.dtype in _BLAS_FLOATS:
        # NumPy's maximum has a SIMD loop for two arrays but not for an array and a 0-d
        # operand: fresh zeros (lazily zeroed pages when large) as the second operand and the
        # output are faster from here on, the same bits, no more memory (docs/performance.md).
        z = np.zeros(x.shape, x.dtype)
        return np.maximum(x, z, out=z)
    r = np.maximum(x, z)  # the cached 0-d zero: no number to convert
    return r if r.__class__ is _ND else _asarray(r)


def _scalar(s: Any, x: Any) -> Any:
    """``_as_0d(s, x)`` for array ``x``, trying ``_LATEST`` first as the kernels do."""
    e = _LATEST.get(s)
    return e[1] if e is not None and e[0] is x.dtype else _as_0d(s, x)


def _tanh_backward(g: Any, out: Any) -> Any:
    """``g * (1 - out * out)`` as three bare ufunc calls rather than three kernels (the same
    operations in the same order: the same bits)."""
    t = np.multiply(out, out)
    r = np.multiply(g, np.subtract(_scalar(1, t), t))
    return r if r.__class__ is _ND else _asarray(r)


def _sigmoid(x: Any) -> Any:
    """``1 / (1 + exp(-x))``, the core's formula, as four bare ufunc calls: on a small array
    measurably faster than four kernels (docs/performance.md)."""
    one = _scalar(1, x) if x.__class__ is _ND else 1
    r = np.true_divide(one, np.add(np.exp(np.negative(x)), one))
    return r if r.__class__ is _ND else _asarray(r)


def _sigmoid_backward(g: Any, out: Any) -> Any:
    """``g * out * (1 - out)``, as ``_tanh_backward``."""
    r = np.multiply(np.multiply(g, out), np.subtract(_scalar(1, out), out))
    return r if r.__class__ is _ND else _asarray(r)


def _pow(a: Any, b: Any) -> Any:
    # ``x ** 2`` (squared errors) as np.square: the same values, faster than np.power.
    if b.__class__ is int and b == 2 and a.__class__ is _ND and a.dtype in _UINT_VIEW:
        r = np.square(a)
    else:
        r = np.power(a, b)
    return r if r.__class__ is _ND else _asarray(r)


def _where_zero_owned(cond: Any, x: Any) -> Any:
    """``where(cond, x, 0)`` written into ``x`` when ``x`` owns its memory (no view shares
    it), else a new array; use the result. Branch-free like ``_where``: ``x``'s integer view
    multiplied by ``cond`` (in place when allowed, so no second buffer of ``x``'s size).
    The checks are ordered cheapest first: on a small gradient they are a good part of the
    call (docs/performance.md)."""
    if x.__class__ is _ND and cond.__class__ is _ND and cond.dtype is _BOOL:
        u = _UINT_VIEW.get(x.dtype)
        if u is not None and x.size < 256:  # small: a new array is cheaper
            return np.where(cond, x, _ZERO[x.dtype])
        if u is not None and x.base is None and x.flags.writeable and cond.shape == x.shape:
            xi = x.view(u)
            np.multiply(xi, cond, xi)
            return x
    return _where(cond, x, 0)  # a new array


_SUM_TO_AXES: dict[tuple[tuple[int, ...], tuple[int, ...]], tuple[tuple[int, ...], int, bool]] = {}


def _sum_to(x: Any, shape: tuple[int, ...]) -> Any:
    """The core's ``sum_to`` as one reduction, its axes cached per shape pair: the default
    builds them in Python on every call, and every broadcasting op's backward calls it.

    Summing away leading axes of a float32/float64 array (a bias gradient) is a product
    with a row of ones: BLAS does it faster than ``np.add.reduce`` over an outer axis,
    which accumulates row after row in order anyway (the pairwise sum applies to the inner
    axis only), and measured as or more accurate (tests/backends/test_numpy_kernels.py; the timings
    in docs/performance.md)."""
    xs = x.shape
    if xs == shape:
        return x
    key = (xs, shape)
    plan = _SUM_TO_AXES.get(key)
    if plan is None:
        plan = _SUM_TO_AXES[key] = _sum_to_plan(xs, shape)
    axes, rows, direct = plan
    if rows and x.dtype in _BLAS_FLOATS:
        if direct:  # (n, m) -> (1, m): the product has the shape already
            return _ones(rows, x.dtype).dot(x)
        return _ones(rows, x.dtype).dot(x.reshape(rows, -1)).reshape(shape)
    return np.add.reduce(x, axis=axes, keepdims=True).reshape(shape)


def _sum_to_plan(xs: tuple[int, ...], shape: tuple[int, ...]) -> tuple[tuple[int, ...], int, bool]:
    """The axes to sum; the number of rows they make when they are exactly the leading axes
    (0 otherwise: a plain reduction); whether that is a matrix's rows, kept as one."""
    if len(_SUM_TO_AXES) > 4096:  # bounded: shapes may vary without end
        _SUM_TO_AXES.clear()
    lead = len(xs) - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and xs[i + lead] != 1
    )
    kept = [i for i in range(len(xs)) if i not in axes]
    leading = (
        bool(axes) and axes == tuple(range(len(axes))) and kept == list(range(len(axes), len(xs)))
    )
    rows = _numel(tuple(xs[i] for i in axes)) if leading else 0
    return axes, rows, bool(rows) and axes == (0,) and len(xs) == 2 and len(shape) == 2


_ONES: dict[tuple[int, Any], Any] = {}


def _ones(n: int, dtype: Any) -> Any:
    """A (1, n) row of ones, read-only and shared."""
    ones = _ONES.get((n, dtype))
    if ones is None:
        if len(_ONES) > 64:
            _ONES.clear()
        ones = _ONES[(n, dtype)] = np.ones((1, n), dtype)
        ones.flags.writeable = False
    return ones


KNOWN_FAILURES: tuple[KnownFailure, ...] = ()
"""None today: the one this backend had (``_broadcast_to`` copied a one-element source, so
``expand()`` of it was no view) was fixed in issue 18."""


def _broadcast_to(a: Any, shape: tuple[int, ...]) -> Any:
    """A read-only view of ``a`` broadcast to ``shape`` (``expand()`` is a view: a later
    in-place change of its base shows in it). A one-element array (a full reduction's
    gradient) gets its zero-stride view from the ``ndarray`` constructor, without
    ``np.broadcast_to``'s Python layers (docs/performance.md)."""
    if a.__class__ is _ND and a.size == 1:
        r = _ND(shape, a.dtype, a, 0, _ZERO_STRIDES.get(len(shape)) or (0,) * len(shape))
        r.flags.writeable = False  # as np.broadcast_to's: its elements share one memory cell
        return r
    return np.broadcast_to(a, shape)


_ZERO_STRIDES = {n: (0,) * n for n in range(33)}


def _reshape_view(a: Any, shape: tuple[int, ...]) -> Any:
    """``a.reshape(shape)`` where it is a view of ``a``, else None (NumPy would copy)."""
    try:
        return a.reshape(shape, copy=False)
    except ValueError:
        return None


def _strides(a: Any) -> tuple[int, ...]:
    """``a``'s strides in elements (NumPy's are in bytes)."""
    return tuple(s // a.itemsize for s in a.strides)


_LAYOUT: dict[str, Any] = {"reshape_view": _reshape_view, "strides": _strides}
"""The layout kernels: reshape as a view where NumPy can, and the strides it reports."""


def _numel(shape: tuple[int, ...]) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _full(shape: Any, value: Any, d: dtype) -> Any:
    # np.full without its Python-level dispatch: ``zero_()``/``fill_`` call this every step.
    a = np.empty(shape, dtype=DTYPES[d])
    a[...] = value
    return a


def _scatter_add(dst: Any, idx: Any, src: Any) -> None:
    """``np.add.at``, except for whole slices picked by one 1-d integer array along an axis
    (``index_add``, ``index_select``'s gradient), for which ``np.add.at`` takes a slow path
    (docs/performance.md): there each element's flat position is computed and ``np.add.at``
    takes its fast 1-d path; and for slices only (``col2im``'s windows), which never repeat
    an element, a plain in-place addition into the view (``np.add.at`` takes its slow path
    there too)."""
    if idx.__class__ is tuple and all(i.__class__ is slice for i in idx):
        view = dst[idx]
        np.add(view, src, out=view)
        return
    last = idx[-1] if isinstance(idx, tuple) and idx else None
    if (
        last.__class__ is not _ND
        or last.ndim != 1
        or last.dtype.kind not in "iu"
        or any(i.__class__ is not slice or i != slice(None) for i in idx[:-1])
        or not dst.flags.c_contiguous
    ):
        np.add.at(dst, idx, src)
        return
    axis = len(idx) - 1
    n, inner = dst.shape[axis], math.prod(dst.shape[axis + 1 :])
    outer = math.prod(dst.shape[:axis])
    i = np.where(last < 0, last + n, last)
    lin = (np.arange(outer)[:, None, None] * n + i[None, :, None]) * inner
    lin = lin + np.arange(inner)[None, None, :]
    full = np.broadcast_to(src, dst.shape[:axis] + (len(i),) + dst.shape[axis + 1 :])
    np.add.at(dst.reshape(-1), lin.reshape(-1), full.reshape(-1))


# In-place kernels return None (the contract's ``IN_PLACE``). ``out`` given by position: as a
# keyword NumPy parses it on every call, measurably slower on a small array (the engine's
# gradient sums, every optimizer update).
def _iadd(dst: Any, src: Any) -> None:
    np.add(dst, src, dst)


def _isub(dst: Any, src: Any) -> None:
    np.subtract(dst, src, dst)


def _imul(dst: Any, src: Any) -> None:
    np.multiply(dst, src, dst)


def _idiv(dst: Any, src: Any) -> None:
    np.true_divide(dst, src, dst)


def _assign(dst: Any, src: Any) -> None:
    # Indexed assignment casts like ``copyto(casting="unsafe")``, without its dispatch.
    dst[...] = src


class _Random:
    """The backend's generator; ``tensorplug.manual_seed`` reseeds it."""

    def __init__(self) -> None:
        self.gen = np.random.default_rng()

    def seed(self, s: int) -> None:
        self.gen = np.random.default_rng(s)

    def fork(self, s: int) -> _Random:
        """An independent generator seeded with ``s`` (a ``tp.Generator``'s stream)."""
        r = _Random()
        r.seed(s)
        return r

    def get_state(self) -> Any:
        return self.gen.bit_generator.state

    def set_state(self, state: Any) -> None:
        self.gen.bit_generator.state = state

    def uniform(self, shape: tuple[int, ...], dtype: dtype) -> Any:
        return self.gen.random(shape, dtype=np.float64).astype(DTYPES[dtype], copy=False)

    def normal(self, shape: tuple[int, ...], dtype: dtype) -> Any:
        return self.gen.standard_normal(shape).astype(DTYPES[dtype], copy=False)

    def integers(self, low: int, high: int, shape: tuple[int, ...], dtype: dtype) -> Any:
        return self.gen.integers(low, high, shape).astype(DTYPES[dtype], copy=False)


def make_backend() -> Backend:
    # IEEE semantics without warnings, as PyTorch: log(0) is -inf, 0/0 is nan. A per-call
    # np.errstate costs more than a small kernel, so the setting is made once here
    # (it applies to the loading thread's NumPy context; documented in docs/architecture.md).
    np.seterr(all="ignore")
    malloc = tune_malloc()  # NumPy's temporaries kept from page faults (``_malloc``)
    rng = _Random()
    k = xp_kernels(np, DTYPES.dtype_of)
    ufuncs = {
        "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide,
        "neg": np.negative, "pow": np.power, "exp": np.exp, "log": np.log,
        "log1p": np.log1p, "expm1": np.expm1, "sqrt": np.sqrt, "abs": np.absolute,
        "sin": np.sin, "cos": np.cos, "tanh": np.tanh, "sign": np.sign,
        "maximum": np.maximum, "minimum": np.minimum, "eq": np.equal, "ne": np.not_equal,
        "lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal,
        "isfinite": np.isfinite, "square": np.square, "reciprocal": np.reciprocal,
        "bitwise_and": np.bitwise_and, "bitwise_or": np.bitwise_or,
    }  # fmt: skip
    k.update({name: _array(f) for name, f in ufuncs.items()})
    # The optional pointwise kernels (issue 16): NumPy's ufuncs, SciPy's special functions
    # where SciPy is installed (else xp_kernels' own, on NumPy's ufuncs).
    k.update({name: _array(f) for name, f in {**UFUNCS, **scipy_special()}.items()})
    k.update(
        sum=_reduction(np.add),
        prod=_reduction(np.multiply),
        amax=_reduction(np.maximum),
        amin=_reduction(np.minimum),
        argmax=_asarray_result(k["argmax"]),
        argmin=_asarray_result(k["argmin"]),
        where=_where,
        matmul=_matmul,
        getitem=_getitem,
        # Methods, not np.reshape/np.transpose: no array-function dispatch.
        reshape=lambda a, shape: a.reshape(shape),
        **_LAYOUT,
        permute=lambda a, axes: a.transpose(axes),
        broadcast_to=_broadcast_to,
        sum_to=_sum_to,
        where_zero_owned=_where_zero_owned,
        # In place, and without the temporaries of the generic versions:
        iadd=_iadd,
        isub=_isub,
        imul=_imul,
        idiv=_idiv,
        assign=_assign,
        fill_=lambda dst, value: dst.fill(value),  # optional: zero_()/fill_() under no_grad
        clamp=_clamp,
        tanh_backward=_tanh_backward,
        sigmoid=_sigmoid,
        sigmoid_backward=_sigmoid_backward,
        **gelu_kernels(k["erfc"]),  # in place into scratch arrays (``_gelu``)
        pow=_pow,
        relu=_relu,
        scatter_add=_scatter_add,
        cumsum=_cumsum,  # NumPy's own strides through memory along any axis but the last
        any_nonfinite=lambda x: not bool(np.isfinite(x).all()),
        astype=lambda a, d: a.astype(DTYPES[d]),
        copy=lambda a: a.copy(),
        full=_full,
        arange=lambda start, stop, step, d: np.arange(start, stop, step, dtype=DTYPES[d]),
        linspace=lambda start, stop, num, d: np.linspace(start, stop, num, dtype=DTYPES[d]),
        eye=lambda n, m, d: np.eye(n, m, dtype=DTYPES[d]),
        from_host=lambda obj, d: np.array(obj, dtype=None if d is None else DTYPES[d]),
        to_host=np.asarray,
        random_uniform=rng.uniform,
        random_normal=rng.normal,
        random_integers=rng.integers,
    )
    return Backend(
        name="numpy",
        kernels=k,
        dtypes=DTYPES,
        device_type="cpu",
        version=np.__version__,
        array_types=(np.ndarray,),
        manual_seed=rng.seed,
        rng=rng,
        known_failures=KNOWN_FAILURES,
        info={"library": "numpy", "blas": _blas_name(), "malloc": malloc},
    )


def _blas_name() -> str:
    try:
        cfg = np.show_config(mode="dicts")
        return str(cfg["Build Dependencies"]["blas"]["name"])  # type: ignore[index, unused-ignore]
    except Exception:  # noqa: BLE001 - informational only
        return "unknown"
