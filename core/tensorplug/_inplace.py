"""In-place ops and writes through views: version counters, history rebasing, live views.

An in-place op on a tensor in the graph is recorded as the out-of-place op, and the tensor's
history is rebased onto the new node (with a copy of the old value where that op's backward
needs it). One through a *view* of a tensor in the graph is recorded, as in PyTorch, on the
view's base: the base's history becomes a ``CopySlices`` node of its old self and the new
values, whose backward replays the view's ops (each view's ``_view_ops``, kept whether or
not it is in the graph) to find the written region. The base holds weak references to its
recorded views, so after an in-place change of the base or of one view the other views get a
fresh history (``refresh_views``). A write through a view of an ``expand()``ed tensor, whose
elements share memory, is refused (``check_writable``). The writes themselves go through
``_functional_write``: in place on a mutable backend, a new array pushed through the views
and re-derived into each of them on an immutable one; the graph side here is the same for both.
"""

from __future__ import annotations

import math
from typing import Any

from . import _functional_write as fw
from ._contract import Array, KernelOps
from ._dispatch import (
    Named,
    binary,
    broadcast_shape,
    broadcastable,
    category,
    is_float,
    mismatch_error,
    nary,
    unary,
    view,
)
from ._functional_write import StepCtx, ViewStep, ones_of
from ._grad_mode import state
from ._graph import Node, record, retain
from ._tensor import Tensor

_SCALAR_CATEGORY = {bool: 0, int: 1, float: 2}


def check_inplace(t: Tensor, op: str) -> None:
    """Refuse an in-place change of a leaf that requires grad (outside ``no_grad``)."""
    if not state.grad_enabled:
        return
    if t._grad_fn is None and t._requires_grad:
        raise RuntimeError(
            f"{op}(): a leaf Variable that requires grad is being used in an in-place "
            "operation. Wrap the update in `with tensorplug.no_grad():` or use an "
            "out-of-place op."
        )


def inplace(cls: type[Node], t: Tensor, *operands: Any, args: tuple[Any, ...] = ()) -> Tensor:
    """Apply ``cls`` out of place, then write the result into ``t`` and rebase its history."""
    if t._view_ops is not None:
        check_writable(t, cls.op + "_")
    if not state.grad_enabled and len(operands) == 1 and not args and _kernel(cls, t, operands[0]):
        return t  # not recorded (the SGD update under ``no_grad``): no graph checks to make
    op = cls.op + "_"
    if view_write_needs_graph(t, *operands):
        rebase_view(t, _out_of_place(cls, t, operands, args, True), op)
        return t
    check_inplace(t, op)
    recorded = records(t, operands)
    if not recorded and len(operands) == 1 and not args and _kernel(cls, t, operands[0]):
        return t
    views = live_views(t) if recorded and t._views else None
    return commit(t, _out_of_place(cls, t, operands, args, recorded), op, recorded, views)


def records(t: Tensor, operands: tuple[Any, ...]) -> bool:
    """Whether an in-place op on ``t`` with ``operands`` goes into the graph."""
    return state.grad_enabled and (
        t._requires_grad or any(isinstance(o, Tensor) and o._requires_grad for o in operands)
    )


def commit(
    t: Tensor,
    res: Tensor,
    op: str,
    recorded: bool,
    views: list[tuple[Tensor, tuple[ViewStep, ...]]] | None,
) -> Tensor:
    """The end of an in-place op: ``res``, computed out of place, written into ``t``, and
    when ``recorded``, ``t``'s history rebased on ``res``'s node (its live ``views``, from
    before the op, refreshed)."""
    write(t, res, op)
    if recorded:
        # A saved output stays ``res._data``, a separate array that later in-place ops on
        # ``t`` don't touch.
        old, t._grad_fn = t._grad_fn, res._grad_fn
        t._requires_grad = True
        keep_retained(t, old)
        if views:
            refresh_views(t, views)
    return t


def _out_of_place(
    cls: type[Node], t: Tensor, operands: tuple[Any, ...], args: tuple[Any, ...], recorded: bool
) -> Tensor:
    """The in-place op ``cls`` on ``t`` computed out of place, for ``write``/``rebase_view``.
    When it is recorded and its backward needs ``t``'s value from before the write, that
    value is a copy carrying ``t``'s place in the graph."""
    src = source(t) if recorded and 0 in cls._spec.save else t
    if not operands:
        return unary(cls, src, *args)
    if len(operands) == 1:
        return binary(cls, src, operands[0], *args)
    return nary(cls, (src, *operands), *args)


def source(t: Tensor) -> Tensor:
    """A copy of ``t``'s value carrying ``t``'s place in the graph: the input of an in-place
    op's out-of-place computation whose backward needs the value from before the write."""
    src = Tensor._make(t._backend.k.copy(t._data), t._backend, t._grad_fn)
    src._requires_grad = t._requires_grad
    return src


_IN_PLACE_KERNELS = {"add": "iadd", "sub": "isub", "mul": "imul", "div": "idiv"}
"""Kernels ``(dst, src) -> None`` that update ``dst`` without a temporary (``iadd`` is derived,
the rest are accelerators a backend may have)."""


def _kernel(cls: type[Node], t: Tensor, other: Any) -> bool:
    """Run an unrecorded ``t.op_(other)`` as one in-place kernel (the SGD update, ``+=``) when
    the backend has one and the result needs no cast or broadcast; False to take the general
    path, which also reports every error."""
    name = _IN_PLACE_KERNELS.get(cls.op)
    be = t._backend
    kernel = None if name is None else getattr(be.k, name, None)
    if kernel is None:
        return False
    td = t._data
    if isinstance(other, Tensor):
        od = other._data
        if (
            other._backend is not be
            or (od.dtype is not td.dtype and od.dtype != td.dtype)
            or od.shape != td.shape
        ):
            return False
    elif other.__class__ in _SCALAR_CATEGORY:
        od = other
        if _SCALAR_CATEGORY[other.__class__] > category(be, td):
            return False
    else:
        return False
    if cls._spec.float_only and category(be, td) != 2:
        return False
    kernel(td, od)
    t._vc.version += 1
    return True


def write(t: Tensor, res: Tensor, op: str) -> None:
    """Copy ``res`` into ``t``'s array in place (casting, never growing ``t``)."""
    check_fits(t, res, op)
    if math.prod(t._data.shape) or not t._view_ops:  # an empty expanded array may be read-only
        be = t._backend
        data = res._data
        if data.dtype != t._data.dtype:  # e.g. ``eq_``'s bools: cast here, not by the library
            data = be.k.astype(data, t.dtype)
        if be.mutable:  # the common case inline: one call less per in-place op
            be.k.assign(t._data, data)
        else:
            fw.assign(t, data)
    t._vc.version += 1


_INT_RANGES = {"int8": 8, "int16": 16, "int32": 32, "int64": 64}
_FLOAT32_MAX = 3.4028234663852886e38


def check_number_fits(t: Tensor, value: float) -> None:
    """A number written into an integer tensor (``fill_``, ``x[i] = v``) must be finite and
    in its range, as PyTorch checks: NumPy would wrap it around or write garbage."""
    bits = _INT_RANGES.get(t.dtype.name)
    if bits is None:
        if t.dtype.name == "float32" and math.isfinite(value) and abs(value) > _FLOAT32_MAX:
            raise RuntimeError("value cannot be converted to type float without overflow")
        return
    if value != value or not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
        ctype = "int64_t" if bits == 64 else t.dtype.name[:-2] if bits < 32 else "int"
        raise RuntimeError(f"value cannot be converted to type {ctype} without overflow")


def check_fits(t: Tensor, res: Tensor, op: str) -> None:
    """Refuse ``res`` (or an operand of an elementwise op on ``t``) that would grow ``t`` or
    need a cast to a lower kind of dtype, as PyTorch's in-place ops do."""
    if res._backend is not t._backend:
        raise mismatch_error(Named(op), t, res)
    if res._data.shape != t._data.shape:
        tshape, rshape = list(t.shape), list(res.shape)
        fits = broadcastable([tshape, rshape])
        if not fits or broadcast_shape(tshape, rshape) != tshape:
            shown = broadcast_shape(tshape, rshape) if fits else rshape
            raise RuntimeError(
                f"{op}(): output with shape {tshape} doesn't match the broadcast shape {shown}"
            )
    if res._data.dtype != t._data.dtype:
        tdt, rdt = t.dtype, res.dtype
        if rdt.category > tdt.category:
            raise RuntimeError(
                f"{op}(): result type {rdt.name} can't be cast to the desired output type "
                f"{tdt.name}"
            )


# --------------------------------------------------------------------------------------------
# Writes through views
# --------------------------------------------------------------------------------------------


class ViewCopySlices(Node):
    """An in-place op on a view ``v`` of ``base``: the new base is the old one with ``v``'s
    region replaced by ``res``. grad base = g with that region zeroed; grad res = g's region
    (the region is found by replaying ``v``'s view ops, and put back by their backwards)."""

    op = "copy_slices"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array, Array]:
        chain: tuple[ViewStep, ...] = ctx.args[0]
        region = g
        for cls, args, _ in chain:
            region = cls.forward(ops, region, *args)
        nb, nr = ctx.needs_input_grad
        gb = gr = None
        if nb:
            # Where the view wrote: a mask, not ``g - back``, so an infinite gradient there
            # leaves no NaN behind.
            back = ones_of(ops, region)
            for cls, args, shape in reversed(chain):
                back = cls._spec.backward(StepCtx(args, shape), ops, back)[0]
            gb = ops.where(ops.ne(back, 0), 0, g)
        if nr:
            gr = ops.sum_to(region, ctx.shapes[1])
        return gb, gr


ViewCopySlices.__name__ = ViewCopySlices.__qualname__ = "CopySlices"  # PyTorch's name


def check_writable(t: Tensor, op: str) -> None:
    """Refuse a write into a view of an ``expand()``ed tensor (``t._view_ops`` set): its
    elements may share memory, which PyTorch refuses to write ("internal overlap") and a
    library would write several times over or refuse as read-only. A view op that gives more
    elements than it was applied to is one that shares them; the refusal stands even where a
    later op (a select) leaves none shared, which PyTorch allows: write through the base."""
    steps = t._view_ops
    assert steps is not None  # callers check first: most tensors are no views
    for i, (_, _, shape) in enumerate(steps):
        out = steps[i + 1][2] if i + 1 < len(steps) else t._data.shape
        if math.prod(out) > math.prod(shape):
            raise RuntimeError(
                f"{op}(): unsupported operation: the written-to tensor is a view of an "
                "expand()ed tensor, so more than one element of it may refer to a single "
                "memory location. Please clone() the tensor before performing the operation "
                "(or write through the tensor that was expanded)."
            )


def view_write_needs_graph(t: Tensor, *values: Any) -> bool:
    """An in-place write into a view that the graph must see (grad mode on, and the base, the
    view or a value requires grad; never into an integer or bool tensor, which no gradient
    reaches, as in PyTorch)."""
    base = t._base
    return (
        base is not None
        and state.grad_enabled
        and (
            base._requires_grad
            or t._requires_grad
            or any(isinstance(v, Tensor) and v._requires_grad for v in values)
        )
        and is_float(t._backend, t._data)
    )


def rebase_view(t: Tensor, res: Tensor, op: str) -> None:
    """Write ``res`` into the view ``t`` and record it, as PyTorch does, on ``t``'s base: the
    base's history becomes a ``CopySlices`` of its old self and ``res``, and ``t`` a view of
    that (whether or not the base was in the graph before)."""
    base = t._base
    assert base is not None  # callers pass views only
    if base._grad_fn is None and base._requires_grad:
        raise RuntimeError(
            f"{op}(): a view of a leaf Variable that requires grad is being used in an in-place "
            "operation. Wrap the update in `with tensorplug.no_grad():` or clone() first."
        )
    chain = _chain(t, base)
    views = live_views(base)
    write(t, res, op)
    old_base = base._grad_fn
    record(ViewCopySlices, (base, res), base, (chain,))
    keep_retained(base, old_base)
    refresh_views(base, views)
    old = t._grad_fn  # after the refresh, which may have given t a node (and its retain)
    t._grad_fn = _replay(base, chain)
    t._requires_grad = True
    keep_retained(t, old)


def keep_retained(t: Tensor, old: Node | None) -> None:
    """``t.retain_grad()`` outlives an in-place change of ``t``, as in PyTorch: its new
    node ``t._grad_fn`` keeps ``t``'s gradient instead of ``old``, the node it had."""
    if old is not None and old._retain is not None and old._retain() is t:
        old._retain = None
        if t._grad_fn is not None:
            retain(t._grad_fn, t)


def live_views(base: Tensor) -> list[tuple[Tensor, tuple[ViewStep, ...]]]:
    """The views of ``base`` made in grad mode and alive, each with its view ops from
    ``base`` (those outside the graph join it with ``base``, as in PyTorch)."""
    out = []
    for r in base._views or ():
        v = r()
        if v is not None and v._base is base:
            out.append((v, _chain(v, base)))
    return out


def refresh_views(base: Tensor, views: list[tuple[Tensor, tuple[ViewStep, ...]]]) -> None:
    """After an in-place change of ``base``, its views read the new values: give them the
    matching history (a view of the new base), as PyTorch regenerates a view's grad_fn."""
    for v, chain in views:
        old, v._grad_fn = v._grad_fn, _replay(base, chain)
        v._requires_grad = v._grad_fn is not None
        keep_retained(v, old)


def _replay(base: Tensor, chain: tuple[ViewStep, ...]) -> Node | None:
    """The view ops of ``chain`` again, on ``base`` as it is now; the last one's node named
    as PyTorch names a regenerated view's (``AsStridedBackward0``)."""
    cur = base
    for i, (cls, args, _) in enumerate(chain):
        cur = view(cls if i < len(chain) - 1 else _as_strided(cls), cur, *args)
    return cur._grad_fn


_AS_STRIDED: dict[type[Node], type[Node]] = {}


def _as_strided(cls: type[Node]) -> type[Node]:
    """``cls`` under the name PyTorch gives a view's history regenerated after an in-place
    change (one class per view op, made once)."""
    if cls.__name__ == "AsStridedBackward0":
        return cls
    named = _AS_STRIDED.get(cls)
    if named is None:
        doc = f"A view regenerated after an in-place change; the replayed step: {cls.__name__}."
        named = _AS_STRIDED[cls] = type("AsStridedBackward0", (cls,), {"__doc__": doc})
    return named


def _chain(t: Tensor, base: Tensor) -> tuple[ViewStep, ...]:
    """The view ops from ``base`` to its view ``t``: ``t``'s record less the base's own (a
    detached alias of a view has one: its memory is that view's)."""
    steps = t._view_ops
    assert steps is not None  # a tensor with a ``_base`` is a view
    made = base._view_ops
    return steps[len(made) :] if made else steps


# --------------------------------------------------------------------------------------------
# fill_, zero_, copy_
# --------------------------------------------------------------------------------------------


def zeros_like_grad(ctx: Node, ops: KernelOps, g: Array) -> Array:
    """Zeros in ``g``'s shape and dtype, outside any graph, as PyTorch's ``zeros_like`` in
    a backward: never ``g * 0``, which is NaN where ``g`` is infinite."""
    k = ctx._backend.k
    raw = g._data if isinstance(g, Tensor) else g  # under create_graph, ``g`` is a tensor
    return ops.const(k.full(tuple(raw.shape), 0, k.dtype_of(raw)), g)


class ZeroBackward0(Node):
    """``x.zero_()`` on a tensor in the graph: the old values no longer matter, grad = 0."""

    op = "zero_"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        return (zeros_like_grad(ctx, ops, g),)


class FillBackward2(ZeroBackward0):
    """``x.fill_(value)`` on a tensor in the graph: grad = 0 (PyTorch's name for it)."""

    op = "fill_"


_SCALARS = (int, float, bool)


def fill_(self: Tensor, value: Any) -> Tensor:
    """Fill with ``value`` (a number, or a 0-d tensor whose gradient is the sum of the
    filled tensor's), in place."""
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(
                "fill_ only supports 0-dimension value tensor but got tensor with "
                f"{value.ndim} dimensions."
            )
        return _write_all(self, value, "FillBackward3")
    return _fill(self, value, FillBackward2)


def zero_(self: Tensor) -> Tensor:
    """Fill with zeros, in place."""
    return _fill(self, 0, ZeroBackward0)


def _fill(self: Tensor, value: Any, node_cls: type[Node]) -> Tensor:
    if self._view_ops is not None:
        check_writable(self, node_cls.op)
    if value.__class__ is float or value.__class__ is int:
        check_number_fits(self, value)
    if not state.grad_enabled and value.__class__ in _SCALARS:
        # Not recorded (``grad.zero_()`` under ``no_grad``): a plain fill. A tensor in the
        # graph stays there, as after any in-place op under ``no_grad`` in PyTorch.
        fw.fill(self, value)
        self._vc.version += 1
        return self
    if view_write_needs_graph(self, value):
        number = value.item() if isinstance(value, Tensor) else value
        rebase_view(self, self.new_full(self.shape, number), node_cls.op)
        return self
    check_inplace(self, node_cls.op)
    if isinstance(value, Tensor):
        value = value.item()
    fw.assign(self, self._backend.k.full((), value, self.dtype))
    self._vc.version += 1
    if self._grad_fn is not None and state.grad_enabled:
        # As PyTorch: still in the graph, but the old values get a zero gradient.
        views = live_views(self) if self._views else None
        old = self._grad_fn
        record(node_cls, (self,), self, ())
        keep_retained(self, old)
        if views:
            refresh_views(self, views)
    return self


def copy_(self: Tensor, src: Any) -> Tensor:
    """Copy ``src`` into ``self`` (broadcasting, casting); gradient flows to ``src``."""
    from ._creation import tensor
    from ._transfer import to

    itself = id(src) == id(self)  # (``is`` would narrow ``self`` to ``src``'s Any for mypy)
    if itself and not self._requires_grad:
        return self  # PyTorch copies nothing (and so refuses nothing) here
    if self._view_ops is not None and not itself:
        check_writable(self, "copy_")
    if not isinstance(src, Tensor):
        src = tensor(src, dtype=self.dtype, backend=self._backend)
    if src._backend is not self._backend:
        src = to(src, backend=self._backend)
    shape, sshape = list(self.shape), list(src.shape)
    if not broadcastable([shape, sshape]) or broadcast_shape(shape, sshape) != shape:
        raise RuntimeError(f"copy_(): the source of shape {sshape} does not broadcast to {shape}")
    return _write_all(self, src, "CopyBackwards")


def _write_all(self: Tensor, value: Tensor, node: str) -> Tensor:
    """``self[...] = value`` recorded as ``node`` (``copy_`` and ``fill_`` of a tensor)."""
    from . import _indexing

    if not self.dtype.is_floating_point:
        value = value.detach()  # an integer or bool tensor stays out of the graph
    _indexing.write_index(self, (Ellipsis,), False, value, getattr(_indexing, node))
    return self
