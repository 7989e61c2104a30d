"""Writes into a tensor's memory: the one place the core changes a tensor's elements.

On a mutable backend (``Backend.mutable``, NumPy's model) a write is the in-place kernel it
always was (``assign``, ``setitem``, ``iadd``, ``fill_``), and a view sees it because it
shares its base's memory. On an immutable backend (JAX's model) no kernel may write into an
array and no view shares memory, so the core does what PyTorch's functionalization layer does
for XLA: the write computes a *new* array (``index_put`` in place of ``setitem``, ``add`` in
place of ``iadd``), and

* when the written tensor is a view, the new values are pushed into its base through the
  view's recorded ops (``_view_ops``): an indexing step with ``index_put``, a step that keeps
  the number of elements (reshape, permute, transpose, an alias) with its backward, which is
  its inverse, and any other (``diagonal``) with its backward and a mask of where it lands;
* the base's array is rebound (``base._data``), and every live view of the base, the written
  one included, is re-derived from it by replaying its view ops: the base knows its views by
  weak references (``_views``), made in every grad mode on such a backend, and its detached
  aliases (``detach()``, ``.data``) by ``alias``.

Version counters are the callers' business, as before: they bump exactly as on NumPy.
The cost on an immutable backend: a write through a view is one functional update per view
step plus one replay per live view of the base; without views, one new array.
"""

from __future__ import annotations

import math
import weakref
from typing import TYPE_CHECKING, Any

from ._backend import UnsupportedOperation
from ._contract import Array, KernelOps

if TYPE_CHECKING:
    from ._graph import Node
    from ._tensor import Tensor

ViewStep = tuple[type["Node"], tuple[Any, ...], tuple[int, ...]]
"""One view op of a tensor's ``_view_ops``: its node class, its arguments, the input shape."""


class StepCtx:
    """A view op of a chain as the ``ctx`` its node class's backward reads."""

    __slots__ = ("args", "shapes")

    def __init__(self, args: tuple[Any, ...], shape: tuple[int, ...]) -> None:
        self.args = args
        self.shapes = (shape,)


def ones_of(ops: KernelOps, like: Array) -> Array:
    """Ones (int64) in ``like``'s shape, from kernels any ``ops`` has (no NaN can leak in)."""
    shape = tuple(like.shape)
    return ops.add(ops.mul(ops.iota(math.prod(shape), shape, like), 0), 1)


# -- writes into a tensor ----------------------------------------------------------------


def assign(t: Tensor, src: Any) -> None:
    """``t[...] = src``: ``src`` (an array or a number) broadcast and cast to ``t``."""
    be = t._backend
    if be.mutable:
        be.k.assign(t._data, src)
        return
    rebind(t, _whole(t, src))


def setitem(t: Tensor, idx: Any, value: Any) -> None:
    """``t[idx] = value`` (``idx`` normalized and checked by the caller)."""
    be = t._backend
    if be.mutable:
        be.k.setitem(t._data, idx, value)
        return
    rebind(t, be.k.index_put(t._data, idx, value))


def iadd(t: Tensor, src: Any) -> None:
    """``t += src`` (``src`` broadcasts to ``t``; the sum cast to ``t``'s dtype)."""
    be = t._backend
    if be.mutable:
        be.k.iadd(t._data, src)
        return
    rebind(t, _whole(t, be.k.add(t._data, src)))


def fill(t: Tensor, value: Any) -> None:
    """Every element of ``t`` set to the number ``value`` (the ``fill_`` accelerator where
    the backend has one)."""
    be = t._backend
    k = be.k
    if not be.mutable:
        rebind(t, k.full(tuple(t._data.shape), value, t.dtype))
        return
    fill_ = getattr(k, "fill_", None)
    if fill_ is not None:
        fill_(t._data, value)
    else:
        k.assign(t._data, k.full((), value, t.dtype))


def _whole(t: Tensor, src: Any) -> Array:
    """``src`` as a whole new array for ``t``: its shape and dtype."""
    k = t._backend.k
    shape, d = tuple(t._data.shape), t.dtype
    if src.__class__ in (bool, int, float):
        return k.full(shape, src, d)
    if k.dtype_of(src) is not d:
        src = k.astype(src, d)
    return src if tuple(src.shape) == shape else k.broadcast_to(src, shape)


# -- writes into a fresh array (kernels composed in the core) ----------------------------


def put(k: Any, x: Array, idx: Any, value: Any) -> Array:
    """``x[idx] = value`` for an array ``x`` the caller made and nobody else holds: in place
    where the backend has ``setitem`` (the result is ``x``), else ``index_put``'s new array.
    Use the result."""
    setitem_ = getattr(k, "setitem", None)
    if setitem_ is not None:
        setitem_(x, idx, value)
        return x
    return k.index_put(x, idx, value)


def put_add(k: Any, x: Array, idx: Any, src: Array, op: str, backend: str) -> Array:
    """``x[idx] += src`` with repeated indices accumulating, for an array ``x`` the caller
    made: ``scatter_add`` in place, else ``index_add``; ``UnsupportedOperation`` naming
    ``op`` where the backend has neither. Use the result."""
    scatter_add = getattr(k, "scatter_add", None)
    if scatter_add is not None:
        scatter_add(x, idx, src)
        return x
    index_add = getattr(k, "index_add", None)
    if index_add is None:
        raise UnsupportedOperation(
            f"{op}(): backend '{backend}' has no scatter_add or index_add kernel, needed to "
            "add at indices"
        )
    return index_add(x, idx, src)


def can_add_at(be: Any) -> bool:
    """Whether backend ``be`` can add at repeated indices (``put_add``)."""
    return bool(be.has_kernel("scatter_add") or be.has_kernel("index_add"))


# -- the functional path: rebinding and re-deriving views --------------------------------


def rebind(t: Tensor, new: Array) -> None:
    """``t``'s elements become ``new`` (``t``'s shape and dtype) on an immutable backend:
    pushed into the array that owns ``t``'s memory, whose live views and aliases then
    re-derive their arrays from it."""
    root, chain = _root(t)
    k = t._backend.k
    root._data = new if not chain else _push(k, root._data, chain, new)
    for v, steps in _sharing(root):
        v._data = _replay(k, root._data, steps)


def alias(t: Tensor, of: Tensor) -> None:
    """Record ``t`` (``of.detach()``, ``of.data``) as sharing ``of``'s memory on an immutable
    backend: a write into either re-derives the other."""
    root, _ = _root(of)
    _ALIASES[id(t)] = (weakref.ref(t, _forget(id(t))), root)
    _register(root, t)


def detach_memory(t: Tensor) -> None:
    """``t`` is about to get other memory (``t.data = y``, a module's ``.to()``) on an
    immutable backend: its views and aliases keep the old memory between them, as with shared
    memory, under a new owner holding the old array; writes into ``t`` no longer reach them."""
    if t._base is not None or not t._views:
        return
    from ._graph import new_tensor  # (``_graph`` is compiled; imported where needed)

    owner = new_tensor(type(t), t._data, t._backend)
    owner._view_ops, owner._views, t._views = t._view_ops, t._views, None
    for r in owner._views or ():
        v = r()
        if v is None:
            continue
        if v._base is t:
            v._base = owner
        elif _alias_of(v) is t:
            _ALIASES[id(v)] = (_ALIASES[id(v)][0], owner)


_ALIASES: dict[int, tuple[weakref.ref[Tensor], Tensor]] = {}
"""Detached aliases on immutable backends: ``id(alias) -> (alias, the tensor owning its
memory)``; an entry goes when its alias is freed."""


def _forget(key: int) -> Any:
    return lambda _ref: _ALIASES.pop(key, None)


def _register(root: Tensor, t: Tensor) -> None:
    views = root._views
    if views is None:
        views = root._views = []
    elif len(views) > 32:  # as ``_dispatch.view`` does: the dead ones dropped now and then
        views = root._views = [r for r in views if r() is not None]
    views.append(weakref.ref(t))


def _root(t: Tensor) -> tuple[Tensor, tuple[ViewStep, ...]]:
    """The tensor owning ``t``'s memory, and the view ops from it to ``t`` (through the
    base of a view, then the tensor a detached alias was made from, as often as it takes)."""
    owner = t
    while True:
        up = owner._base
        if up is None:
            up = _alias_of(owner)
            if up is None:
                break
        owner = up
    return owner, () if owner is t else _steps(t, owner)


def _alias_of(t: Tensor) -> Tensor | None:
    entry = _ALIASES.get(id(t))
    return entry[1] if entry is not None and entry[0]() is t else None


def _steps(t: Tensor, owner: Tensor) -> tuple[ViewStep, ...]:
    steps = t._view_ops or ()
    made = owner._view_ops
    return steps[len(made) :] if made else steps


def _sharing(root: Tensor) -> list[tuple[Tensor, tuple[ViewStep, ...]]]:
    """The live views and aliases of ``root`` (and theirs), each with its view ops from
    ``root``."""
    out = []
    holders = [root]
    while holders:
        holder = holders.pop()
        for r in holder._views or ():
            v = r()
            if v is None or (v._base is not holder and _alias_of(v) is not holder):
                continue
            out.append((v, _steps(v, root)))
            if v._views and _alias_of(v) is not None:
                holders.append(v)  # an alias's own views share the memory too
    return out


def _replay(k: Any, data: Array, steps: tuple[ViewStep, ...]) -> Array:
    for cls, args, _ in steps:
        data = cls.forward(k, data, *args)
    return data


def _push(k: Any, data: Array, steps: tuple[ViewStep, ...], new: Array) -> Array:
    """``data`` with the region its view ``steps`` select replaced by ``new``."""
    inputs = [data]
    for cls, args, _ in steps[:-1]:
        inputs.append(cls.forward(k, inputs[-1], *args))
    for (cls, args, shape), before in zip(reversed(steps), reversed(inputs), strict=True):
        new = _put_step(k, cls, args, shape, before, new)
    return new


def _put_step(
    k: Any, cls: type[Node], args: tuple[Any, ...], shape: tuple[int, ...], x: Array, out: Array
) -> Array:
    """``x`` changed so that the view step ``cls(x, *args)`` gives ``out``."""
    if cls.op in _INDEXING:
        return k.index_put(x, args[0], out)
    ctx = StepCtx(args, shape)
    back = cls._spec.backward(ctx, k, out)[0]
    if math.prod(tuple(out.shape)) == math.prod(shape):
        return back  # a bijection (reshape, permute, an alias): its backward is its inverse
    mask = cls._spec.backward(ctx, k, ones_of(k, out))[0]
    return k.where(k.ne(mask, 0), back, x)


_INDEXING = frozenset({"getitem", "split", "index"})
"""View ops whose step is ``getitem(x, args[0])`` (``_indexing``'s view nodes)."""
