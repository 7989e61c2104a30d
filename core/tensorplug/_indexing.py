"""Indexing: ``x[index]`` (basic indexing makes views, integer and mask tensors copies) and
``x[index] = value``, with PyTorch's bounds checks and node names."""

from __future__ import annotations

import math
from typing import Any

from . import _dtype as D
from . import _functional_write as fw
from ._backend import UnsupportedOperation
from ._capture_state import capturing
from ._contract import Array, KernelOps
from ._dispatch import is_float, mismatch_error, op_error, unary, view
from ._functional_write import ones_of
from ._grad_mode import state
from ._graph import Node, record
from ._inplace import (
    check_inplace,
    check_number_fits,
    check_writable,
    keep_retained,
    live_views,
    rebase_view,
    refresh_views,
    view_write_needs_graph,
)
from ._tensor import Tensor


# fmt: off
class IndexBackward0(Node):
    """``x[index]`` with integer or mask tensors: g scattered (added) back into zeros."""
    op = "index"
    forward = staticmethod(lambda k, x, idx, advanced: k.getitem(x, idx))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        return (ops.index_grad(g, ctx.shapes[0], ctx.args[0], ctx.args[1]),)


class SliceBackward0(IndexBackward0):
    """``x[basic index]`` (slices, ints, None, ...): g written back into zeros."""
    op = "getitem"


class SelectBackward0(SliceBackward0):
    """``x[i]``: g written back into zeros at i."""


class IndexUnsqueezeBackward(SliceBackward0):
    """``x[..., None]`` ending in ``None``: g written back into zeros at the index. PyTorch
    records that step as an unsqueeze, so the node carries its name."""


IndexUnsqueezeBackward.__name__ = IndexUnsqueezeBackward.__qualname__ = "UnsqueezeBackward0"


class SplitBackward0(SliceBackward0):
    """One piece of ``split``/``chunk``: g written back into zeros at its slice."""
    op = "split"


class SplitWithSizesBackward0(SplitBackward0):
    """One piece of ``split`` with a list of sizes (and of ``chunk`` of an empty dim)."""


class IndexGradBackward(Node):
    """Scatter-add of ``g`` into zeros at ``index`` (the backward of indexing, made
    differentiable for double backward): grad = gg[index]."""
    op = "index_backward"
    kernel = "index_grad"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, gg: Array) -> tuple[Array]:
        return (ops.getitem(gg, ctx.args[1]),)


class CopySlices(Node):
    """``x[index] = v`` through a view step of ``x`` (an int, ``None``, a slice short of its
    dim): grad x = g, 0 where written; grad v = g[index] summed to v's shape (less the leading
    size-1 dims v may have beyond the region's, as PyTorch accepts). Where it wrote is a mask,
    not a subtraction, so an infinite gradient there leaves no NaN behind."""
    op, broadcasts = "setitem", True

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array, Array]:
        idx, advanced = ctx.args
        nx, nv = ctx.needs_input_grad
        region = ops.getitem(g, idx)
        gx = gv = None
        if nx:
            written = ops.index_grad(ones_of(ops, region), ctx.shapes[0], idx, advanced)
            gx = ops.where(ops.ne(written, 0), 0, g)
        if nv:
            gv = sum_to_value(ops, region, ctx.shapes[1])
        return gx, gv


def sum_to_value(ops: KernelOps, region: Array, vshape: tuple[int, ...]) -> Array:
    """The written region's gradient summed to the value's shape ``vshape``, which may have
    more leading size-1 dims than the region (PyTorch accepts ``a[0] = v`` with a (1, 3)
    ``v`` into a (3,) region)."""
    lead = len(vshape) - len(region.shape)
    if lead > 0:
        return ops.reshape(ops.sum_to(region, vshape[lead:]), vshape)
    return ops.sum_to(region, vshape)


class IndexPutBackward0(CopySlices):
    """``x[index] = v`` with integer or mask tensors and no view step (``index_put_``)."""


class FillBackward3(CopySlices):
    """``x[...] = v`` with a number or a 0-d tensor ``v``, and ``x.fill_(v)`` with a 0-d
    tensor: grad x = 0, grad v = g summed."""
    op = "fill_"


class CopyBackwards(CopySlices):
    """``x.copy_(v)`` and ``x[...] = v``: grad x = 0, grad v = g summed to v's shape."""
    op = "copy_"


class AliasBackward0(SliceBackward0):
    """``x[...]``, ``x[:, :]``: an index of no real step, the same view of ``x``."""


# fmt: on


# -- indexing -------------------------------------------------------------------------------


def _normalize_index(x: Tensor, index: Any) -> tuple[Any, bool, bool]:
    """``index`` with tensors and lists turned into native arrays; (index, advanced, only_ints).

    Integer indices are checked against the sizes here, once for every backend: CuPy, for
    one, wraps an out-of-range index array around instead of raising.
    """
    items = index if isinstance(index, tuple) else (index,)
    out: list[Any] = []
    advanced = False
    ints = True
    spans: list[int] = []  # dimensions each item consumes; -1 for ``...``
    checks: list[tuple[int, Any]] = []  # (position, int or integer index tensor)
    shape = x._data.shape
    plain = True  # every item so far consumed one dimension: item i indexes dimension i
    be = x._backend
    for it in items:
        if it.__class__ is int:
            n = len(out)
            if plain and n < len(shape) and -shape[n] <= it < shape[n]:
                pass  # in range: the common case, checked inline
            else:
                checks.append((n, it))
            spans.append(1)
            out.append(it)
            continue
        if isinstance(it, (list, tuple)) or (
            not isinstance(it, Tensor) and hasattr(it, "__array__")
        ):
            from ._creation import tensor

            empty = isinstance(it, (list, tuple)) and not it  # ``x[[]]``: an empty int64 index
            it = tensor(it, backend=be, dtype=D.int64 if empty else None)
        if isinstance(it, Tensor):
            if it._backend is not be:
                raise RuntimeError(
                    f"index(): indices are on {it.device} ({it.backend}) but the indexed tensor "
                    f"is on {x.device} ({x.backend})"
                )
            if it.dtype.is_floating_point:
                raise IndexError(
                    "tensors used as indices must be long, int or bool tensors, got "
                    f"{it.dtype.name}"
                )
            if it.dtype.name == "bool":
                spans.append(max(it.ndim, 1))
                plain = False
            else:
                checks.append((len(out), it))
                spans.append(1)
            out.append(it._data)
            advanced = True
            ints = False
        elif isinstance(it, bool) or not isinstance(it, (int, slice, type(None), type(...))):
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or bool tensors "
                f"are valid indices (got {type(it).__name__})"
            )
        else:
            if it is None or it is Ellipsis:
                spans.append(0 if it is None else -1)
                plain = False
            else:
                if isinstance(it, int):  # an int subclass (``IntEnum``): checked like an int
                    checks.append((len(out), it))
                spans.append(1)
            ints = ints and isinstance(it, int)
            out.append(it)
    if not plain or len(out) > len(shape):
        _check_count(shape, spans)
    if checks:
        _check_bounds(x, spans, checks)
    return tuple(out), advanced, ints


def _check_count(shape: tuple[int, ...], spans: list[int]) -> None:
    """No more index items (a mask counting its dims) than dimensions: PyTorch's error, not
    the library's (its wording and exception type differ)."""
    if sum(n for n in spans if n > 0) > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")


def _check_bounds(x: Tensor, spans: list[int], checks: list[tuple[int, Any]]) -> None:
    """Each integer (or integer tensor) index must lie in ``[-size, size)`` of its dimension.

    ``spans[i]`` is how many dimensions item ``i`` consumes (-1: ``...``, the rest).
    """
    shape = x._data.shape
    starts, dim = [], 0  # the dimension each item starts at
    free = len(shape) - sum(spans) - spans.count(-1)  # the dimensions ``...`` stands for
    for n in spans:
        starts.append(dim)
        dim += free if n < 0 else n
    for pos, it in checks:
        dim = starts[pos]
        if dim >= len(shape):
            raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
        size = shape[dim]
        if not isinstance(it, Tensor):
            if -size <= it < size:
                continue
            bad = it
        else:
            if not it.numel() or capturing():  # a graph cannot read the index back
                continue
            k, a = x._backend.k, it._data
            # The extremes only: one reduction each (and, on a GPU, a wait for the result).
            # Through ``to_host``: ``int()`` of a library's 0-d array is not in the contract.
            lo = int(k.to_host(k.amin(a, None, False)))
            hi = int(k.to_host(k.amax(a, None, False)))
            if -size <= lo and hi < size:
                continue
            bad = lo if lo < -size else hi
        raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {size}")


def getitem(x: Tensor, index: Any) -> Tensor:
    idx, advanced, _ = _normalize_index(x, index)
    if advanced:
        return unary(IndexBackward0, x, idx, True)
    node = SliceBackward0 if isinstance(index, slice) else _basic_index_node(x, idx)
    if Ellipsis not in idx:
        # ``a[0, 1]`` gives a copied scalar in NumPy, ``a[0, 1, ...]`` a 0-d view: the element
        # must stay a view, so in-place changes of it reach ``x``, as in PyTorch.
        idx = (*idx, Ellipsis)
    return view(node, x, idx, False)


def _real_steps(x: Tensor, idx: tuple[Any, ...]) -> list[Any]:
    """The items of ``idx`` that PyTorch turns into view steps: ints, ``None``, and slices
    other than ``0:stop`` over the whole dim, which it skips (as it skips ``...``)."""
    k, shape = x._backend.k, x._data.shape
    spans = []  # the dims each item consumes; -1 for ``...``
    for it in idx:
        if it is Ellipsis:
            spans.append(-1)
        elif it is None:
            spans.append(0)
        elif isinstance(it, (int, slice)):
            spans.append(1)
        else:  # an index array: a mask consumes its dims
            spans.append(max(it.ndim, 1) if k.dtype_of(it) is D.bool_ else 1)
    free = len(shape) - sum(n for n in spans if n > 0)
    steps, dim = [], 0
    for it, n in zip(idx, spans):
        if isinstance(it, slice) and dim < len(shape) and _whole(it, shape[dim]):
            pass  # no step
        elif it is None or isinstance(it, (int, slice)):
            steps.append(it)
        dim += free if n < 0 else n
    return steps


def _whole(s: slice, size: int) -> bool:
    """``s`` is ``0:stop`` (``stop`` at least ``size``, or left out) with step 1, as written:
    PyTorch skips it (``-3:`` over 3 elements is a step, though it takes them all)."""
    return s.start in (None, 0) and s.step in (None, 1) and (s.stop is None or s.stop >= size)


def _basic_index_node(x: Tensor, idx: tuple[Any, ...]) -> type[Node]:
    """PyTorch names basic indexing after its last real step: an int selects, ``None``
    unsqueezes, a slice slices; an index of no real step makes an alias."""
    steps = _real_steps(x, idx)
    if not steps:
        return AliasBackward0
    last = steps[-1]
    if last is None:
        return IndexUnsqueezeBackward
    return SelectBackward0 if isinstance(last, int) else SliceBackward0


def _setitem_node(x: Tensor, idx: tuple[Any, ...], advanced: bool, value: Any) -> type[Node]:
    """The node PyTorch records for ``x[idx] = value``: ``CopySlices`` where the index takes
    a view first, else that of ``index_put_``, ``fill_`` (a number or a 0-d value into a
    tensor with dims) or ``copy_``."""
    if _real_steps(x, idx):
        return CopySlices
    if advanced:
        return IndexPutBackward0
    number = not isinstance(value, Tensor) or value.ndim == 0
    return FillBackward3 if number and x.ndim else CopyBackwards


def setitem(x: Tensor, index: Any, value: Any) -> None:
    """``x[index] = value``, recorded (when the graph is involved) under PyTorch's node."""
    if value.__class__ is float or value.__class__ is int:
        check_number_fits(x, value)  # first, as PyTorch converts the value first
    idx, advanced, _ = _normalize_index(x, index)
    if x._view_ops is not None:
        check_writable(x, "setitem")
    write_index(x, idx, advanced, value, _setitem_node(x, idx, advanced, value))


def _masks_only(be: Any, idx: tuple[Any, ...]) -> bool:
    """``idx``'s index arrays are all masks (PyTorch fills a mask with a one-element value of
    any dtype; other values, and integer index arrays, need the destination's dtype)."""
    k = be.k
    return all(
        k.dtype_of(it) is D.bool_
        for it in idx
        if not (it is None or it is Ellipsis or isinstance(it, (int, slice)))
    )


def _check_array_write(be: Any, idx: tuple[Any, ...], op: str) -> None:
    """A backend without ``scatter_add`` (the kernel that declares writes at index arrays)
    takes only the Array API standard's one: a single mask over the leading dims."""
    arrays = [
        i for i, it in enumerate(idx)
        if not (it is None or it is Ellipsis or isinstance(it, (int, slice)))
    ]  # fmt: skip
    if arrays == [0] and be.k.dtype_of(idx[0]) is D.bool_:
        return
    raise UnsupportedOperation(
        f"{op}(): backend '{be.name}' has no scatter_add kernel, which declares the writes at "
        "integer-array (or non-leading mask) indices that this makes"
    )


def write_index(
    x: Tensor, idx: tuple[Any, ...], advanced: bool, value: Any, node: type[Node]
) -> None:
    """Write ``value`` into ``x`` at the normalized index ``idx``, as ``node`` records it."""
    be = x._backend
    if advanced and not fw.can_add_at(be):
        _check_array_write(be, idx, node.op)
    if isinstance(value, Tensor):
        if value._backend is not be:
            raise mismatch_error(node, x, value)
        v = value._data
        lead = 0
        while lead < len(v.shape) and v.shape[lead] == 1:
            lead += 1
        if lead:  # PyTorch drops a value's leading 1-dims (NumPy refuses extra ones)
            v = be.k.reshape(v, tuple(v.shape[lead:]))
        if value.dtype is not x.dtype:
            if node is IndexPutBackward0 and (value.numel() != 1 or not _masks_only(be, idx)):
                raise RuntimeError(
                    "Index put requires the source and destination dtypes match, got "
                    f"{x.dtype.name} for the destination and {value.dtype.name} for the source."
                )
            v = be.k.astype(v, x.dtype)
    else:
        v = value
    if view_write_needs_graph(x, value):
        res = x.clone()
        write_index(res, idx, advanced, value, node)
        rebase_view(x, res, node.op)
        return
    # An integer or bool tensor never joins the graph (its values carry no gradient).
    recorded = (
        state.grad_enabled
        and (x._requires_grad or (isinstance(value, Tensor) and value._requires_grad))
        and is_float(be, x._data)
    )
    check_inplace(x, node.op)
    views = live_views(x) if recorded and x._views else None
    try:
        if math.prod(x._data.shape) or not x._view_ops:  # an empty expanded array may be read-only
            if be.mutable:  # the common case inline: one call less per write
                be.k.setitem(x._data, idx, v)
            else:
                fw.setitem(x, idx, v)
    except Exception as e:
        raise _write_error(x, idx, v, value, node, e) from e
    x._vc.version += 1
    if recorded:
        old = x._grad_fn
        record(node, (x, value), x, (idx, advanced))
        keep_retained(x, old)
        if views:
            refresh_views(x, views)


_TYPE_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "int32": "Int"}


def _write_error(
    x: Tensor, idx: tuple[Any, ...], v: Any, value: Any, node: type[Node], e: Exception
) -> Exception:
    """The error of a write the kernel refused: PyTorch's for a value that does not fit the
    region written (found only now, off the common path), whatever the library raised and
    however it words it; else the library's error, naming the op."""
    shape = getattr(v, "shape", None)
    try:
        region = list(x._backend.k.getitem(x._data, idx).shape) if shape is not None else None
    except Exception:  # noqa: BLE001 - the index itself is what failed: report the original
        region = None
    if region is not None and shape is not None:
        vs = list(shape)
        if len(vs) > len(region):
            name = _TYPE_NAMES.get(x.dtype.name, x.dtype.name.capitalize())
            return RuntimeError(
                f"expand(torch.{name}Tensor{{{vs}}}, size={region}): the number of sizes "
                f"provided ({len(region)}) must be greater or equal to the number of dimensions "
                f"in the tensor ({len(vs)})"
            )
        for i in range(1, len(vs) + 1):
            if vs[-i] != 1 and vs[-i] != region[-i]:
                return RuntimeError(
                    f"The expanded size of the tensor ({region[-i]}) must match the existing "
                    f"size ({vs[-i]}) at non-singleton dimension {len(region) - i}.  Target "
                    f"sizes: {region}.  Tensor sizes: {vs}"
                )
    if isinstance(e, ValueError):
        return RuntimeError(f"{node.op}(): {e}")
    return op_error(node, (x, value), e)
