"""Op dispatch: inputs checked and promoted, the op's kernel called, the result recorded.

Every op goes through one of four functions, by the shape of its inputs: ``unary`` (one
tensor), ``binary`` (a tensor and a tensor or number, either order), ``nary`` (any number of
tensors and numbers, promoted together) and ``view`` (one tensor, a result that may share its
memory). Each calls the op's forward on the raw arrays, wraps the result, and only when grad
mode is on and an input requires grad records the node (``_graph.record``).

Promotion follows PyTorch: Python numbers do not promote a tensor of their category
(``float32 * 2.5`` stays float32), mixed tensor dtypes meet at the wider one, and 0-d tensors
rank below dimensioned ones (``_dtype.result_type``).

Compiled where the install could (``_dispatch.pxd`` types its locals); plain Python otherwise.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

from . import _dtype as D
from ._backend import UnsupportedOperation
from ._describe import describe
from ._grad_mode import grad_enabled, state, switches
from ._graph import (
    NO_INPUT,
    Node,
    OpSpec,
    TensorBase,
    meta_of,
    new_tensor,
    record,
    record_op,
)
from ._tensor import Tensor

if TYPE_CHECKING:
    from ._backend import Backend, Kernels

_SCALARS = (int, float, bool)
_SCALAR_CATEGORY = {bool: D.BOOL, int: D.INT, float: D.FLOAT}
_FLOAT = D.FLOAT
_BOOL = D.BOOL

# --------------------------------------------------------------------------------------------
# Forwards
# --------------------------------------------------------------------------------------------


def forwards(
    spec: OpSpec, be: Backend, cls: type[Node]
) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """Node class ``cls``'s forward on ``be``'s arrays, and its ``nd`` variant (the same
    function where the kernel has none), cached in the class's ``OpSpec`` per backend."""
    entry = spec.forwards.get(be)
    if entry is None:
        entry = _forward_entry(spec, be, cls)
    return entry


def _forward_entry(
    spec: OpSpec, be: Backend, cls: type[Node]
) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The kernel itself where the op is one kernel call (``Node.kernel``: no Python frame in
    between), else its ``forward`` with the backend's kernels bound. A kernel may carry
    ``nd``: the same function for operands that are all arrays, at least one with a
    dimension (docs/backend-guide.md), used for an op without arguments of its own. The
    backend's kernel namespace clears the cache when one of its kernels is replaced."""
    k = be.k
    if cls.kernel:
        f = getattr(k, cls.kernel)
    else:
        forward = cls.forward

        def f(*arrays: Any) -> Any:
            return forward(k, *arrays)

    entry = (f, getattr(f, "nd", f))
    spec.forwards[be] = entry
    cast("Kernels", k)._caches.append(spec.forwards)
    return entry


# --------------------------------------------------------------------------------------------
# The four entry points
# --------------------------------------------------------------------------------------------


def unary(cls: type[Node], x: Tensor, *args: Any) -> Tensor:
    """Op ``cls`` on one tensor, with the op's own arguments ``args``."""
    return _unary(cls, cls._spec, x, args)


def _unary(cls: type[Node], spec: OpSpec, x: Tensor, args: tuple[Any, ...]) -> Tensor:
    modes = switches  # grad mode: on in every thread while none has turned it off
    be = x._backend
    data = x._data
    meta = x._meta
    if meta is None:
        meta = meta_of(x)
    if spec.float_only and meta.category != _FLOAT:
        data = be.k.astype(data, D.get_default_dtype())
    entry = spec.forwards.get(be)
    fwd, nd = _forward_entry(spec, be, cls) if entry is None else entry
    try:
        if args:
            out = fwd(data, *args)
        elif meta.shape:
            out = nd(data)
        else:
            out = fwd(data)
    except Exception as e:
        raise op_error(cls, (x,), e) from e
    t = new_tensor(Tensor, out, be)
    if x._requires_grad and (modes.threads_without_grad == 0 or state.grad_enabled):
        record_op(cls, spec, x, meta, NO_INPUT, None, t, args)
    return t


def binary(cls: type[Node], a: Any, b: Any, *args: Any) -> Tensor:
    """Op ``cls`` on a tensor and a tensor or number (the number may come first)."""
    return _binary(cls, cls._spec, a, b, args)


def _binary(cls: type[Node], spec: OpSpec, a: Any, b: Any, args: tuple[Any, ...]) -> Tensor:
    modes = switches  # grad mode: on in every thread while none has turned it off
    x: Tensor = a if isinstance(a, TensorBase) else scalar_like(a, b, cls)  # type: ignore[assignment]
    be = x._backend
    da = x._data
    ma = x._meta
    if ma is None:
        ma = meta_of(x)
    entry = spec.forwards.get(be)
    fwd, nd = _forward_entry(spec, be, cls) if entry is None else entry
    if isinstance(b, TensorBase):
        y: Tensor = b  # type: ignore[assignment]
        if y._backend is not be:
            raise mismatch_error(cls, x, y)
        db = y._data
        mb = y._meta
        if mb is None:
            mb = meta_of(y)
        if (ma.dtype is not mb.dtype and ma.dtype != mb.dtype) or (
            spec.float_only and ma.category != _FLOAT
        ):
            da, db = promote(cls, x, y)
        needs_grad = x._requires_grad or y._requires_grad
        if not args and (ma.shape or mb.shape):
            fwd = nd
    else:
        scalar = _SCALAR_CATEGORY.get(type(b))
        if scalar is None:
            return _binary(cls, spec, x, as_operand(b, x, cls), args)
        db = b
        if scalar > ma.category or (spec.float_only and ma.category != _FLOAT):
            if ma.category == _BOOL:
                refuse_bool(cls)
            da = be.k.astype(da, _scalar_target(cls, be.k.dtype_of(da), b))
        elif scalar == _BOOL:
            refuse_bool(cls)
        needs_grad = x._requires_grad
        mb = None
    try:
        out = fwd(da, db, *args) if args else fwd(da, db)
    except Exception as e:
        raise op_error(cls, (x, b), e) from e
    t = new_tensor(Tensor, out, be)
    if needs_grad and (modes.threads_without_grad == 0 or state.grad_enabled):
        record_op(cls, spec, x, ma, b, mb, t, args)
    return t


def nary(cls: type[Node], tensors: Sequence[Any], *args: Any) -> Tensor:
    """Op ``cls`` on any number of tensors and numbers, promoted together."""
    return _nary(cls, tuple(tensors), args)


def _nary(cls: type[Node], inputs: tuple[Any, ...], args: tuple[Any, ...]) -> Tensor:
    first: Tensor | None = None
    arrays = []
    needs_grad = False
    same = True  # all inputs are tensors of one dtype: promotion has nothing to do
    for x in inputs:
        if isinstance(x, TensorBase):
            t: Tensor = x  # type: ignore[assignment]
            d = t._data
            if first is None:
                first = t
            elif t._backend is not first._backend:
                raise mismatch_error(cls, first, t)
            elif same and d.dtype != first._data.dtype:
                same = False
            arrays.append(d)
            if t._requires_grad:
                needs_grad = True
        else:
            arrays.append(x)
            same = False
    if first is None:
        raise TypeError(f"{cls.op}(): expected at least one Tensor argument")
    be = first._backend
    spec = cls._spec
    if cls.promote and not (same and (not spec.float_only or meta_of(first).category == _FLOAT)):
        arrays = promote_all(cls, inputs, arrays, be)
    try:
        out = forwards(spec, be, cls)[0](*arrays, *args)
    except Exception as e:
        raise op_error(cls, inputs, e) from e
    result = new_tensor(Tensor, out, be)
    if needs_grad and grad_enabled():
        record(cls, inputs, result, args, spec)
    return result


def view(cls: type[Node], x: Tensor, *args: Any) -> Tensor:
    """Like ``unary``, for ops whose result shares ``x``'s memory: it is a view of ``x``'s
    base, sharing its version counter, and it records how it was made (``_view_ops``)."""
    return _view(cls, x, args, None)


def view_of(cls: type[Node], x: Tensor, out: Any, *args: Any) -> Tensor:
    """``view`` for an array ``out`` the caller made with the op's kernels and knows to share
    ``x``'s memory (``reshape``, whose kernel may decline to make a view)."""
    return _view(cls, x, args, out)


def _view(cls: type[Node], x: Tensor, args: tuple[Any, ...], out: Any) -> Tensor:
    spec = cls._spec
    be = x._backend
    if out is None:
        try:
            out = forwards(spec, be, cls)[0](x._data, *args)
        except Exception as e:
            raise op_error(cls, (x,), e) from e
    base = x if x._base is None else x._base
    t = new_tensor(Tensor, out, be, None, base)
    # Whether or not it is in the graph: a write through it must know whether its elements
    # share memory, and an in-place change of the base must be able to replay it.
    made = x._view_ops
    step = (cls, args, x._data.shape)
    t._view_ops = (step,) if made is None else made + (step,)
    grad = grad_enabled()
    if grad and x._requires_grad:
        record_op(cls, spec, x, meta_of(x), NO_INPUT, None, t, args)
    if grad or not be.mutable:
        # The base lists (weakly) its views made in grad mode, so an in-place change of the
        # base or of one view can give the others a fresh history (``_inplace.refresh_views``;
        # one outside the graph joins it when a value that requires grad is written in); on
        # an immutable backend every view, whose array is re-derived after each write
        # (``_functional_write``).
        views = base._views
        if views is None:
            views = base._views = []
        elif len(views) > 32:
            views = base._views = [r for r in views if r() is not None]
        views.append(weakref.ref(t))
    return t


def operator(cls: type[Node]) -> Callable[[Tensor, Any], Tensor]:
    """``Tensor.__mul__`` and friends: ``self <op> other`` straight to ``binary`` (``self`` is
    a tensor and there is no ``alpha`` or ``rounding_mode``, so the public function's checks
    have nothing to do)."""

    spec = cls._spec  # refreshed in place when the class changes

    def method(self: Tensor, other: Any) -> Tensor:
        return _binary(cls, spec, self, other, ())

    method.__doc__ = f"``{cls.op}(self, other)``."
    return method


def unary_method(cls: type[Node]) -> Callable[[Tensor], Tensor]:
    """``self.exp()``: the public function without its check that ``self`` is a tensor."""

    spec = cls._spec  # refreshed in place when the class changes

    def method(self: Tensor) -> Tensor:
        return _unary(cls, spec, self, ())

    method.__doc__ = f"``{cls.op}(self)``."
    return method


# --------------------------------------------------------------------------------------------
# Promotion
# --------------------------------------------------------------------------------------------

_CATEGORY: dict[Any, int] = {}
"""Native dtype object -> its tensorplug dtype's promotion category (bool, int, float), as
``dtype_of`` says: the per-op dtype checks without a kernel call."""


def category(be: Backend, arr: Any) -> int:
    """The promotion category of ``arr``'s dtype (``_dtype.BOOL``, ``INT``, ``FLOAT``)."""
    return _category(be, arr, arr.dtype)


def _category(be: Backend, arr: Any, native: Any) -> int:
    """``category`` of ``arr``, whose native dtype ``native`` the caller has at hand."""
    try:
        return _CATEGORY[native]
    except (KeyError, TypeError):
        pass
    # Through ``dtype_of``: native dtype objects differ per library (no ``.kind`` in the
    # Array API standard); cached per native dtype object where it is hashable.
    cat: int = be.k.dtype_of(arr).category
    try:
        _CATEGORY[native] = cat
    except TypeError:  # the Array API does not require hashable dtypes: just not cached
        return cat
    return cat


def is_float(be: Backend, arr: Any) -> bool:
    return category(be, arr) == _FLOAT


def _scalar_target(cls: type[Node], have: D.dtype, number: Any) -> D.dtype:
    target = D.result_type((have, 2), (D.scalar_dtype(number), 0))
    if cls.float_only and not target.is_floating_point:
        target = D.get_default_dtype()
    return target


def refuse_bool(cls: type[Node]) -> None:
    """Raise ``cls``'s error for a bool operand, if it has one (``Node.refuses_bool``)."""
    if cls.refuses_bool is not None:
        raise RuntimeError(cls.refuses_bool)


def promote(cls: type[Node], a: Tensor, b: Tensor) -> tuple[Any, Any]:
    """Both arrays in the dtype the op computes in."""
    if a.dtype is D.bool_ or b.dtype is D.bool_:
        refuse_bool(cls)
    target = D.result_type((a.dtype, 2 if a.ndim else 1), (b.dtype, 2 if b.ndim else 1))
    if cls.float_only and not target.is_floating_point:
        target = D.get_default_dtype()
    k = a._backend.k
    da = a._data if a.dtype is target else k.astype(a._data, target)
    db = b._data if b.dtype is target else k.astype(b._data, target)
    return da, db


def promote_all(
    cls: type[Node], inputs: Sequence[Any], arrays: list[Any], be: Backend
) -> list[Any]:
    """``nary``'s arrays, each tensor's in the common dtype (numbers left to the kernel)."""
    kinds = []
    for t in inputs:
        if isinstance(t, Tensor):
            kinds.append((t.dtype, 2 if t.ndim else 1))
        elif t.__class__ in _SCALARS:
            kinds.append((D.scalar_dtype(t), 0))
    if not kinds:
        return arrays
    target = D.result_type(*kinds)
    if cls.float_only and not target.is_floating_point:
        target = D.get_default_dtype()
    return [
        be.k.astype(a, target) if isinstance(t, Tensor) and t.dtype is not target else a
        for t, a in zip(inputs, arrays)
    ]


def scalar_like(x: Any, other: Any, cls: type[Node]) -> Tensor:
    """The non-tensor first operand of a reflected op as a tensor beside ``other``."""
    if not isinstance(other, Tensor):
        raise TypeError(f"{cls.op}(): expected a Tensor argument, got {type(other).__name__}")
    return as_operand(x, other, cls)


def as_operand(x: Any, like: Tensor, cls: type[Node]) -> Tensor:
    """A non-tensor operand as a constant tensor on ``like``'s backend."""
    if isinstance(x, _SCALARS):
        d = D.result_type((like.dtype, 2), (D.scalar_dtype(x), 0))
        be = like._backend
        return new_tensor(Tensor, be.k.full((), x, d), be)
    if isinstance(x, (list, tuple)) or hasattr(x, "__array__") or hasattr(x, "__dlpack__"):
        from ._creation import tensor

        return tensor(x, backend=like._backend)
    raise TypeError(
        f"{cls.op}(): unsupported operand type {type(x).__name__}; expected a Tensor or a number"
    )


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class Named:
    """A stand-in for a node class where only an op's name is known (error messages)."""

    def __init__(self, op: str) -> None:
        self.op = op


def mismatch_error(cls: type[Node] | Named, a: Tensor, b: Tensor) -> RuntimeError:
    return RuntimeError(
        f"{cls.op}(): expected all tensors to be on the same device and backend, but found "
        f"{a.device} ({a.backend}) and {b.device} ({b.backend}).\n"
        f"  first tensor: {describe(a)}\n  other tensor: {describe(b)}\n"
        f"Move one onto the other's backend and device first: `other.to(first)`, or "
        f"`other.to({str(a.device)!r})`."
    )


def op_error(cls: type[Node] | Named, inputs: Sequence[Any], e: Exception) -> Exception:
    """Re-raise a kernel failure as an error that names the op and its inputs."""
    if getattr(e, "_tp_op", False):
        return e
    shapes = [list(t.shape) for t in inputs if isinstance(t, Tensor)]
    bools = [t for t in inputs if isinstance(t, bool) or getattr(t, "dtype", None) is D.bool_]
    if isinstance(e, UnsupportedOperation):
        err: Exception = e
    elif bools and getattr(cls, "refuses_bool", None) is not None:
        err = RuntimeError(cls.refuses_bool)  # type: ignore[union-attr]
    elif len(shapes) >= 2 and getattr(cls, "broadcasts", False) and not broadcastable(shapes):
        err = RuntimeError(f"{cls.op}(): {_broadcast_message(shapes)}")
    else:
        desc = ", ".join(
            f"{t.dtype.name}{list(t.shape)}" if isinstance(t, Tensor) else repr(t) for t in inputs
        )
        # The nearest builtin type: a library's own exception class (NumPy's AxisError,
        # CuPy's errors) must not leak out of tensorplug.
        kind = next(
            (c for c in type(e).__mro__ if c in (IndexError, ValueError, TypeError, RuntimeError)),
            None,
        )
        err = (
            kind(f"{cls.op}(): {e} (inputs: {desc})")
            if kind is not None
            else RuntimeError(f"{cls.op}(): {type(e).__name__}: {e} (inputs: {desc})")
        )
    err._tp_op = True  # type: ignore[attr-defined]
    return err


def broadcastable(shapes: list[list[int]]) -> bool:
    n = max(len(s) for s in shapes)
    for i in range(1, n + 1):
        sizes = {s[-i] for s in shapes if len(s) >= i} - {1}
        if len(sizes) > 1:
            return False
    return True


def broadcast_shape(a: Sequence[int], b: Sequence[int]) -> list[int]:
    n = max(len(a), len(b))
    out = []
    for i in range(n, 0, -1):
        x = a[-i] if len(a) >= i else 1
        y = b[-i] if len(b) >= i else 1
        out.append(y if x == 1 else x)  # a size-1 dim takes the other's size, 0 included
    return out


def _broadcast_message(shapes: list[list[int]]) -> str:
    """PyTorch's message for the first pair that does not broadcast: each shape against the
    broadcast of those before it (``where(c, a, b)`` names ``b`` against ``c`` and ``a``)."""
    a = shapes[0]
    for b in shapes[1:]:
        n = max(len(a), len(b))
        for i in range(1, n + 1):
            x = a[-i] if len(a) >= i else 1
            y = b[-i] if len(b) >= i else 1
            if x != y and x != 1 and y != 1:
                return (
                    f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                    f"non-singleton dimension {n - i} (shapes {a} and {b})"
                )
        a = broadcast_shape(a, b)
    return f"shapes {shapes} cannot be broadcast together"
