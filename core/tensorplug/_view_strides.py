"""A view's strides on a backend whose arrays have none (JAX, Dask: ``mutable=False``).

PyTorch decides from a tensor's strides whether ``reshape`` is a view or a copy, whether
``view`` may reshape at all, and whether ``contiguous()`` copies. An immutable backend's
arrays have no strides (or, like the test double's, strides unrelated to the memory the core
models), but the core knows how each view was made: its recorded view ops (``_view_ops``),
starting from its base, which owns row-major memory. Replaying those ops on a (shape,
strides) pair, with the rule PyTorch's op applies to strides, gives the strides the tensor
would have in PyTorch; ``reshape_strides`` is PyTorch's ``computeStride``: the strides of
the reshaped tensor when it can be a view of the same memory, else ``None``.

``logical_strides`` gives ``None`` where a step is one it does not know (a view op added
later and not described here): the caller then asks the backend, as before.
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._tensor import Tensor

Shape = tuple[int, ...]


def row_major(shape: Shape) -> Shape:
    """The strides of a row-major (C-contiguous) array of ``shape``, as PyTorch gives them
    (a dim of size 0 or 1 steps as if it were of size 1)."""
    out, step = [], 1
    for n in reversed(shape):
        out.append(step)
        step *= max(n, 1)
    return tuple(reversed(out))


def logical_strides(t: Tensor) -> Shape | None:
    """``t``'s strides in elements as PyTorch would have them: row-major for a tensor that is
    no view, else its base's replayed through its view ops; ``None`` for an unknown op."""
    steps = t._view_ops
    if not steps:
        return row_major(tuple(t._data.shape))
    shape = tuple(steps[0][2])
    strides = row_major(shape)
    for cls, args, _ in steps:
        rule = _rule(cls)
        if rule is None:
            return None
        got = rule(shape, strides, args)
        if got is None:
            return None
        shape, strides = got
    return strides


def reshape_strides(shape: Shape, strides: Shape, new: Shape) -> Shape | None:
    """PyTorch's ``computeStride``: the strides of ``new`` over the memory of a tensor of
    ``shape`` and ``strides``, or ``None`` where no strides can express it (a copy).

    Dims are taken in chunks that are contiguous among themselves (each dim's stride is the
    next one's times its size); a view exists iff every chunk is covered exactly by whole
    dims of ``new``.
    """
    if not shape:
        return (1,) * len(new)
    if math.prod(shape) == 0:
        return strides if shape == new else row_major(new)
    out = [0] * len(new)
    view_d = len(new) - 1
    base = strides[-1]
    tensor_n = view_n = 1
    for d in range(len(shape) - 1, -1, -1):
        tensor_n *= shape[d]
        if d == 0 or (shape[d - 1] != 1 and strides[d - 1] != tensor_n * base):
            while view_d >= 0 and (view_n < tensor_n or new[view_d] == 1):
                out[view_d] = view_n * base
                view_n *= new[view_d]
                view_d -= 1
            if view_n != tensor_n:
                return None
            if d > 0:
                base, tensor_n, view_n = strides[d - 1], 1, 1
    return tuple(out) if view_d == -1 else None


# -- one rule per kind of view op: (shape, strides, args) -> (shape, strides) ------------

Layout = tuple[Shape, Shape]


def _index(shape: Shape, strides: Shape, args: tuple[Any, ...]) -> Layout | None:
    """Basic indexing (ints, slices, ``None``, ``...``): a slice multiplies the stride by its
    step, an int drops its dim, ``None`` adds a dim as ``unsqueeze`` does."""
    idx = args[0]
    fill = len(shape) - sum(1 for it in idx if it is not None and it is not Ellipsis)
    out_shape: list[int] = []
    out_strides: list[int] = []
    d = 0
    for it in idx:
        if it is Ellipsis:
            out_shape += shape[d : d + fill]
            out_strides += strides[d : d + fill]
            d += fill
        elif it is None:
            out_strides.append(shape[d] * strides[d] if d < len(shape) else 1)
            out_shape.append(1)
        elif isinstance(it, slice):
            start, stop, step = it.indices(shape[d])
            out_shape.append(len(range(start, stop, step)))
            out_strides.append(strides[d] * step)
            d += 1
        elif isinstance(it, int):
            d += 1
        else:  # an index array: no view
            return None
    return (*out_shape, *shape[d:]), (*out_strides, *strides[d:])


def _permute(shape: Shape, strides: Shape, args: tuple[Any, ...]) -> Layout:
    perm = args[0]
    return tuple(shape[p] for p in perm), tuple(strides[p] for p in perm)


def _expand(shape: Shape, strides: Shape, args: tuple[Any, ...]) -> Layout:
    """A broadcast dim (and a new leading one) steps by 0."""
    target = tuple(args[0])
    lead = len(target) - len(shape)
    kept = [s if n == target[lead + i] else 0 for i, (n, s) in enumerate(zip(shape, strides))]
    out = [0] * lead + kept
    return target, tuple(out)


def _squeeze(shape: Shape, strides: Shape, args: tuple[Any, ...]) -> Layout:
    """The size-1 dims that are not in the result dropped (the first ones where it is
    ambiguous: their strides cannot matter)."""
    target = tuple(args[0])
    drops = len(shape) - len(target)
    out = []
    for n, s in zip(shape, strides):
        if n == 1 and drops:
            drops -= 1
            continue
        out.append(s)
    return target, tuple(out)


def _unsqueeze(shape: Shape, strides: Shape, args: tuple[Any, ...]) -> Layout:
    """PyTorch's ``unsqueeze(d)``: the new dim steps by the size times the stride of the dim
    it is put before (1 at the end)."""
    target = tuple(args[0])
    d = next((i for i, n in enumerate(shape) if n != target[i]), len(shape))
    s = shape[d] * strides[d] if d < len(shape) else 1
    return target, (*strides[:d], s, *strides[d:])


def _reshape(shape: Shape, strides: Shape, args: tuple[Any, ...]) -> Layout | None:
    target = tuple(args[0])
    got = reshape_strides(shape, strides, target)
    return None if got is None else (target, got)


def _diagonal(shape: Shape, strides: Shape, args: tuple[Any, ...]) -> Layout:
    """The two dims replaced by one at the end, stepping by the sum of their strides."""
    perm, rest, idx = args[0]
    d1, d2 = perm[-2], perm[-1]
    cut = idx[-1]
    length = len(range(*cut.indices(shape[d1] * shape[d2])))
    keep = perm[:-2]
    return (*rest, length), (*(strides[i] for i in keep), strides[d1] + strides[d2])


@functools.cache
def _rule(cls: type) -> Any:
    """The stride rule of view op ``cls`` (a node class, or a subclass such as a
    regenerated view's), ``None`` for one not described here."""
    from ._indexing import IndexBackward0
    from ._ops_layout import DiagonalBackward0
    from ._ops_shape import (
        ExpandBackward0,
        PermuteBackward0,
        SqueezeBackward0,
        UnsqueezeBackward0,
        ViewBackward0,
    )

    for kind, rule in (
        (IndexBackward0, _index),
        (PermuteBackward0, _permute),
        (ExpandBackward0, _expand),
        (DiagonalBackward0, _diagonal),
        (UnsqueezeBackward0, _unsqueeze),
        (SqueezeBackward0, _squeeze),
        (ViewBackward0, _reshape),
    ):
        if issubclass(cls, kind):
            return rule
    return None


def reshaped_view(t: Tensor, shape: Shape) -> Any:
    """``t``'s array in ``shape`` where ``t.reshape(shape)`` is a view, else ``None`` (a
    copy). On an immutable backend PyTorch's rule decides from ``t``'s logical strides (its
    arrays share no memory, so any reshaped array serves as the view's); elsewhere, or after
    a view op not described here, the backend's ``reshape_view``."""
    be = t._backend
    if not be.mutable:
        strides = logical_strides(t)
        if strides is not None:
            if reshape_strides(tuple(t._data.shape), strides, shape) is None:
                return None
            return be.k.reshape(t._data, shape)
    return be.k.reshape_view(t._data, shape)


def layout_strides(t: Tensor) -> Shape | None:
    """``t``'s strides for ``stride()`` and ``is_contiguous()``: the logical ones on an
    immutable backend, else the backend array's (``None`` where the backend has none)."""
    if not t._backend.mutable:
        strides = logical_strides(t)
        if strides is not None:
            return strides
    got: Shape | None = t._backend.k.strides(t._data)
    return got
