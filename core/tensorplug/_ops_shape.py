"""Shape, indexing and matrix-product ops."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from . import _dtype as D
from ._autograd import Node
from ._grad_mode import state
from ._tensor import (
    Tensor,
    _broadcastable,
    _dim,
    binary,
    check_inplace,
    mismatch_error,
    nary,
    op_error,
    unary,
    view,
)


def _shape_arg(shape: Any) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _inverse(perm: Sequence[int]) -> tuple[int, ...]:
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return tuple(inv)


# fmt: off
class ViewBackward0(Node):
    """``reshape``/``view``: grad = g reshaped to the input's shape."""
    op = "view"
    kernel = "reshape"
    backward = staticmethod(lambda ctx, ops, g: (ops.reshape(g, ctx.shapes[0]),))


class UnsqueezeBackward0(ViewBackward0):
    """``unsqueeze``: grad = g with the new dim removed."""
    op = "unsqueeze"


class SqueezeBackward0(ViewBackward0):
    """``squeeze``: grad = g with the size-1 dims put back."""
    op = "squeeze"


class SqueezeBackward1(SqueezeBackward0):
    op = "squeeze"


class PermuteBackward0(Node):
    """``permute(dims)``: grad = g permuted back."""
    op = "permute"
    kernel = "permute"
    backward = staticmethod(lambda ctx, ops, g: (ops.permute(g, _inverse(ctx.args[0])),))


class TransposeBackward0(PermuteBackward0):
    """``transpose(d0, d1)``: grad = g transposed back."""
    op = "transpose"


class TBackward0(PermuteBackward0):
    """``t()``: grad = g.t()."""
    op = "t"


class ExpandBackward0(Node):
    """``expand``/``broadcast_to``: grad = g summed back to the input's shape."""
    op = "expand"
    kernel = "broadcast_to"
    backward = staticmethod(lambda ctx, ops, g: (ops.sum_to(g, ctx.shapes[0]),))


class SumToSizeBackward0(Node):
    """``sum_to_size``: sums broadcast dims away; grad = g expanded back."""
    op = "sum_to_size"
    kernel = "sum_to"
    backward = staticmethod(lambda ctx, ops, g: (ops.broadcast_to(g, ctx.shapes[0]),))


class CloneBackward0(Node):
    """``clone``: grad = g."""
    op = "clone"
    kernel = "copy"
    backward = staticmethod(lambda ctx, ops, g: (g,))


class ToCopyBackward0(Node):
    """``to(dtype)``: grad = g cast back to the input's dtype."""
    op = "to"
    forward = staticmethod(lambda k, x, d, src: k.astype(x, d))
    backward = staticmethod(lambda ctx, ops, g: (ops.astype(g, ctx.args[1]),))


class CatBackward0(Node):
    """``cat(tensors, dim)``: each input gets its slice of g."""
    op, promote = "cat", True

    @staticmethod
    def forward(k: Any, *arrays_and_dim: Any) -> Any:
        *arrays, dim = arrays_and_dim
        return k.concat(arrays, dim)

    @staticmethod
    def backward(ctx: Any, ops: Any, g: Any) -> tuple[Any, ...]:
        dim = ctx.args[0]
        out, start = [], 0
        for need, shape in zip(ctx.needs_input_grad, ctx.shapes):
            n = shape[dim] if len(shape) > dim else 0
            idx = (slice(None),) * dim + (slice(start, start + n),)
            out.append(ops.getitem(g, idx) if need else None)
            start += n
        return tuple(out)


class StackBackward0(Node):
    """``stack(tensors, dim)``: input i gets g selected at index i along dim."""
    op, promote = "stack", True

    @staticmethod
    def forward(k: Any, *arrays_and_dim: Any) -> Any:
        *arrays, dim = arrays_and_dim
        return k.stack(arrays, dim)

    @staticmethod
    def backward(ctx: Any, ops: Any, g: Any) -> tuple[Any, ...]:
        dim = ctx.args[0]
        return tuple(ops.getitem(g, (slice(None),) * dim + (i,)) if need else None
                     for i, need in enumerate(ctx.needs_input_grad))


class IndexBackward0(Node):
    """``x[index]`` with integer or mask tensors: g scattered (added) back into zeros."""
    op = "index"
    forward = staticmethod(lambda k, x, idx, advanced: k.getitem(x, idx))
    backward = staticmethod(lambda ctx, ops, g: (
        ops.index_grad(g, ctx.shapes[0], ctx.args[0], ctx.args[1]),))


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


class IndexGradBackward(Node):
    """Scatter-add of ``g`` into zeros at ``index`` (the backward of indexing, made
    differentiable for double backward): grad = gg[index]."""
    op = "index_backward"
    kernel = "index_grad"
    backward = staticmethod(lambda ctx, ops, gg: (ops.getitem(gg, ctx.args[1]),))


class CopySlices(Node):
    """``x[index] = v`` on a tensor in the graph: grad x = g zeroed at index,
    grad v = g[index] summed to v's shape."""
    op, broadcasts = "setitem", True

    @staticmethod
    def backward(ctx: Any, ops: Any, g: Any) -> tuple[Any, Any]:
        idx, advanced = ctx.args
        nx, nv = ctx.needs_input_grad
        gx = ops.sub(g, ops.index_grad(ops.getitem(g, idx), ctx.shapes[0], idx, advanced)
                     ) if nx else None
        gv = ops.sum_to(ops.getitem(g, idx), ctx.shapes[1]) if nv else None
        return gx, gv


class ViewCopySlices(Node):
    """An in-place op on a view ``v`` of ``base``: the new base is the old one with ``v``'s
    region replaced by ``res``. grad base = g with that region zeroed; grad res = g's region
    (the region is found by replaying ``v``'s view ops, and put back by their backwards)."""
    op = "copy_slices"

    @staticmethod
    def backward(ctx: Any, ops: Any, g: Any) -> tuple[Any, Any]:
        chain = ctx.args[0]
        region = g
        for n in chain:
            region = type(n).forward(ops, region, *n.args)
        nb, nr = ctx.needs_input_grad
        gb = gr = None
        if nb:
            back = region
            for n in reversed(chain):
                back = type(n).backward(n, ops, back)[0]
            gb = ops.sub(g, back)
        if nr:
            gr = ops.sum_to(region, ctx.shapes[1])
        return gb, gr


ViewCopySlices.__name__ = ViewCopySlices.__qualname__ = "CopySlices"  # PyTorch's name


class MmBackward0(Node):
    """``a @ b`` (any of 1-D, 2-D, batched, broadcast): grad a = g @ b^T, grad b = a^T @ g,
    reduced to each input's shape."""
    op, save = "matmul", (0, 1)
    saved_for = ((1,), (0,))
    kernel = "matmul"

    @staticmethod
    def backward(ctx: Any, ops: Any, g: Any, a: Any, b: Any) -> tuple[Any, Any]:
        sa, sb = ctx.shapes
        na, nb = ctx.needs_input_grad
        if len(sa) == 2 and len(sb) == 2:  # the common case: no reshapes, nothing to reduce
            return (ops.matmul(g, ops.permute(b, (1, 0))) if na else None,
                    ops.matmul(ops.permute(a, (1, 0)), g) if nb else None)
        if len(sa) == 1:
            a = ops.reshape(a, (1, sa[0]))
        if len(sb) == 1:
            b = ops.reshape(b, (sb[0], 1))
        gshape = tuple(g.shape)
        if len(sa) == 1:
            gshape = gshape[:-1] + (1,) + gshape[-1:] if len(sb) > 1 else gshape + (1,)
        if len(sb) == 1:
            gshape = gshape + (1,)
        g = ops.reshape(g, gshape)
        ga = gb = None
        if na:
            ga = ops.matmul(g, _swap(ops, b))
            ga = ops.reshape(ops.sum_to(ga, tuple(a.shape)), sa)
        if nb:
            gb = ops.matmul(_swap(ops, a), g)
            gb = ops.reshape(ops.sum_to(gb, tuple(b.shape)), sb)
        return ga, gb


class AddmmBackward0(Node):
    """``beta * input + alpha * (mat1 @ mat2)`` (``F.linear``'s op on a batch of vectors):
    grad input = beta * g reduced to its shape, grad mat1 = alpha * g @ mat2^T, grad mat2 =
    alpha * mat1^T @ g."""
    op, save = "addmm", (1, 2)
    saved_for = ((2,), (1,))  # mat1 for mat2's gradient, mat2 for mat1's

    @staticmethod
    def forward(k: Any, c: Any, a: Any, b: Any, beta: Any, alpha: Any) -> Any:
        p = k.matmul(a, b)
        if alpha != 1:
            p = k.mul(p, alpha)
        if beta == 0:  # as PyTorch: ``input`` only lends its shape, its values (NaN too) don't
            return p
        return k.add(p, c if beta == 1 else k.mul(c, beta))

    @staticmethod
    def backward(ctx: Any, ops: Any, g: Any, a: Any, b: Any) -> tuple[Any, Any, Any]:
        beta, alpha = ctx.args
        nc, na, nb = ctx.needs_input_grad
        gc = ga = gb = None
        if nc:
            gc = ops.sum_to(g if beta == 1 else ops.mul(g, beta), ctx.shapes[0])
        if na or nb:
            ga2 = g if alpha == 1 else ops.mul(g, alpha)
            if na:
                ga = ops.matmul(ga2, ops.permute(b, (1, 0)))
            if nb:
                gb = ops.matmul(ops.permute(a, (1, 0)), ga2)
        return gc, ga, gb


class DotBackward0(MmBackward0):
    op = "dot"


class MvBackward0(MmBackward0):
    op = "mv"


class BmmBackward0(MmBackward0):
    op = "bmm"


class UnsafeViewBackward0(MmBackward0):
    """``matmul`` of batched/broadcast operands (PyTorch records a view after a bmm)."""
# fmt: on


def _swap(ops: Any, x: Any) -> Any:
    n = len(x.shape)
    return ops.permute(x, tuple(range(n - 2)) + (n - 1, n - 2))


# -- shape functions ------------------------------------------------------------------------


def reshape(input: Tensor, *shape: Any) -> Tensor:
    """The same data with a new shape (one dim may be -1); a view where possible."""
    target = _infer(input, _shape_arg(shape), "reshape")
    return view(ViewBackward0, input, target)


def _infer(input: Tensor, shape: tuple[int, ...], op: str) -> tuple[int, ...]:
    n = input.numel()
    if shape.count(-1) > 1 or any(s < -1 for s in shape):
        raise RuntimeError(f"{op}(): invalid shape {list(shape)}")
    known = math.prod(s for s in shape if s != -1)
    if -1 in shape:
        if known == 0 or n % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {n}")
        shape = tuple(n // known if s == -1 else s for s in shape)
    elif known != n:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {n}")
    return shape


def view_(input: Tensor, *shape: Any) -> Tensor:
    """``Tensor.view``: like ``reshape``, or a reinterpretation when given a dtype."""
    if len(shape) == 1 and isinstance(shape[0], D.dtype):
        raise NotImplementedError("view(dtype) is not supported; use .to(dtype)")
    return reshape(input, *shape)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim..end_dim`` into one."""
    if input.ndim == 0:
        return reshape(input, (1,))
    s = _dim(start_dim, input.ndim, "flatten")
    e = _dim(end_dim, input.ndim, "flatten")
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = input.shape
    return reshape(input, shape[:s] + (math.prod(shape[s : e + 1]),) + shape[e + 1 :])


def squeeze(input: Tensor, dim: Any = None) -> Tensor:
    """Remove size-1 dims (all, or those in ``dim``)."""
    shape = input.shape
    if dim is None:
        target = tuple(n for n in shape if n != 1)
        return view(SqueezeBackward0, input, target)
    dims = {_dim(d, input.ndim, "squeeze") for d in ((dim,) if isinstance(dim, int) else dim)}
    target = tuple(n for i, n in enumerate(shape) if not (i in dims and n == 1))
    return view(SqueezeBackward1, input, target)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a size-1 dim at ``dim``."""
    d = _dim(dim, input.ndim + 1, "unsqueeze")
    shape = input.shape
    return view(UnsqueezeBackward0, input, shape[:d] + (1,) + shape[d:])


def permute(input: Tensor, *dims: Any) -> Tensor:
    """Reorder dims."""
    perm = tuple(_dim(d, input.ndim, "permute") for d in _shape_arg(dims))
    if sorted(perm) != list(range(input.ndim)):
        raise RuntimeError(
            f"permute(): number of dims don't match or repeated dim: got {list(_shape_arg(dims))}"
            f" for a tensor of {input.ndim} dims"
        )
    return view(PermuteBackward0, input, perm)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dims."""
    n = input.ndim
    a, b = _dim(dim0, n, "transpose"), _dim(dim1, n, "transpose")
    perm = list(range(n))
    perm[a], perm[b] = perm[b], perm[a]
    return view(TransposeBackward0, input, tuple(perm))


swapaxes = swapdims = transpose


def t(input: Tensor) -> Tensor:
    """Transpose a tensor of at most 2 dims."""
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return view(TBackward0, input, tuple(range(input.ndim))[::-1])


def expand(input: Tensor, *sizes: Any) -> Tensor:
    """Broadcast size-1 dims to ``sizes`` without copying (-1 keeps a dim)."""
    sizes = _shape_arg(sizes)
    shape = input.shape
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand(): the number of sizes provided ({len(sizes)}) must be greater or equal "
            f"to the number of dimensions in the tensor ({len(shape)})"
        )
    lead = len(sizes) - len(shape)
    target = tuple(shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))
    for i, n in enumerate(shape):
        if n != 1 and n != target[i + lead]:
            raise RuntimeError(
                f"expand(): the expanded size of the tensor ({target[i + lead]}) must match the "
                f"existing size ({n}) at non-singleton dimension {i + lead}. Target sizes: "
                f"{list(sizes)}. Tensor sizes: {list(shape)}"
            )
    return view(ExpandBackward0, input, target)


def broadcast_to(input: Tensor, shape: Sequence[int]) -> Tensor:
    return expand(input, *shape)


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    return expand(input, *other.shape)


def sum_to_size(input: Tensor, *size: Any) -> Tensor:
    """Sum broadcast dims so the result has ``size`` (the inverse of ``expand``)."""
    return unary(SumToSizeBackward0, input, _shape_arg(size))


def clone(input: Tensor) -> Tensor:
    """A copy with its own memory; differentiable."""
    return unary(CloneBackward0, input)


def contiguous(input: Tensor) -> Tensor:
    return input


def _check_seq(tensors: Any, op: str) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not tensors:
        raise (TypeError if isinstance(tensors, Tensor) else RuntimeError)(
            f"{op}(): expected a non-empty sequence of Tensors"
        )
    return list(tensors)


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dim."""
    ts = _check_seq(tensors, "cat")
    for i, x in enumerate(ts):
        if x.ndim == 0:
            raise RuntimeError(
                f"cat(): zero-dimensional tensor (at position {i}) cannot be concatenated; "
                "use stack() to join 0-d tensors"
            )
    d = _dim(dim, ts[0].ndim, "cat")
    for i, x in enumerate(ts):
        if x.ndim != ts[0].ndim or any(
            a != b for j, (a, b) in enumerate(zip(x.shape, ts[0].shape)) if j != d
        ):
            raise RuntimeError(
                f"cat(): Sizes of tensors must match except in dimension {d}. Expected "
                f"{list(ts[0].shape)} but got {list(x.shape)} for tensor number {i} in the list"
            )
    return nary(CatBackward0, ts, d)


concat = concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new dim."""
    ts = _check_seq(tensors, "stack")
    d = _dim(dim, ts[0].ndim + 1, "stack")
    for i, x in enumerate(ts):
        if x.shape != ts[0].shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(ts[0].shape)} at "
                f"entry 0 and {list(x.shape)} at entry {i}"
            )
    return nary(StackBackward0, ts, d)


def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or given sizes."""
    d = _dim(dim, tensor.ndim, "split")
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size <= 0:
            raise RuntimeError(f"split(): split_size must be positive, got {size}")
        sizes = [min(size, n - s) for s in range(0, n, size)] or [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                f"size at dimension {d}), but got split_sizes={sizes}"
            )
    out, start = [], 0
    for s in sizes:
        idx = (slice(None),) * d + (slice(start, start + s),)
        out.append(view(SplitBackward0, tensor, idx, False))
        start += s
    return tuple(out)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into ``chunks`` pieces of equal size (the last may be smaller)."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = input.shape[_dim(dim, input.ndim, "chunk")]
    return split(input, max(-(-n // chunks), 1), dim)


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

            it = tensor(it, backend=be)
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
    if checks:
        _check_bounds(x, spans, checks)
    return tuple(out), advanced, ints


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
            return  # too many indices: the backend's error says so
        size = shape[dim]
        if not isinstance(it, Tensor):
            if -size <= it < size:
                continue
            bad = it
        else:
            if not it.numel():
                continue
            k, a = x._backend.k, it._data
            # The extremes only: one reduction each (and, on a GPU, a wait for the result).
            lo, hi = int(k.amin(a, None, False)), int(k.amax(a, None, False))
            if -size <= lo and hi < size:
                continue
            bad = lo if lo < -size else hi
        raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {size}")


def getitem(x: Tensor, index: Any) -> Tensor:
    idx, advanced, _ = _normalize_index(x, index)
    if advanced:
        return unary(IndexBackward0, x, idx, True)
    if Ellipsis not in idx:
        # ``a[0, 1]`` gives a copied scalar in NumPy, ``a[0, 1, ...]`` a 0-d view: the element
        # must stay a view, so in-place changes of it reach ``x``, as in PyTorch.
        idx = (*idx, Ellipsis)
    return view(_basic_index_node(idx), x, idx, False)


def _basic_index_node(idx: tuple[Any, ...]) -> type[Node]:
    """PyTorch names basic indexing after its last real step: an int selects, ``None``
    unsqueezes, a slice slices (``...`` and ``:`` are no steps)."""
    for it in reversed(idx):
        if it is None:
            return IndexUnsqueezeBackward
        if isinstance(it, int):
            return SelectBackward0
        if it is not Ellipsis and it != slice(None):
            return SliceBackward0
    return SliceBackward0


def setitem(x: Tensor, index: Any, value: Any) -> None:
    """``x[index] = value``, recorded as ``CopySlices`` when the graph is involved."""
    idx, advanced, _ = _normalize_index(x, index)
    be = x._backend
    if isinstance(value, Tensor):
        if value._backend is not be:
            raise mismatch_error(CopySlices, x, value)
        v = value._data
        if value.dtype is not x.dtype:
            v = be.k.astype(v, x.dtype)
    else:
        v = value
    if view_write_needs_graph(x, value):
        res = clone(x)
        setitem(res, index, value)
        rebase_view(x, res, "setitem")
        return
    record = state.grad_enabled and (
        x._requires_grad or (isinstance(value, Tensor) and value._requires_grad)
    )
    check_inplace(x, "setitem")
    views = live_views(x) if record and len(x._vc) > 1 else None
    try:
        be.k.setitem(x._data, idx, v)
    except Exception as e:
        raise op_error(CopySlices, (x, value), e) from e
    x._vc[0] += 1
    if record:
        from ._autograd import record as rec

        node = rec(CopySlices, (x, value), x._data, (idx, advanced), be)
        x._grad_fn = node
        x._requires_grad = True
        node._out_vc = x._vc
        if views:
            refresh_views(x, views)


_VIEW_NODES = (ViewBackward0, PermuteBackward0, SliceBackward0)
"""View ops that map each element of the view to one element of its base: an in-place write
through such a view can be replayed on gradients (``expand`` is not one)."""


def rebase_view(t: Tensor, res: Tensor, op: str) -> None:
    """Write ``res`` into the view ``t`` and record it, as PyTorch does, on ``t``'s base: the
    base's history becomes a ``CopySlices`` of its old self and ``res``, and ``t`` a view of
    that."""
    from ._autograd import record
    from ._tensor import write

    base = t._base
    assert base is not None  # callers pass views only
    if base._grad_fn is None and base._requires_grad:
        raise RuntimeError(
            f"{op}(): a view of a leaf Variable that requires grad is being used in an in-place "
            "operation. Wrap the update in `with tensorplug.no_grad():` or clone() first."
        )
    chain = _view_chain(t, base)
    if chain is None:
        raise RuntimeError(
            f"{op}(): in-place change of a view that tensorplug cannot map back onto its base "
            "(an expand()ed view, one made before its base changed in place, or one made "
            "from a tensor that did not require grad); write through the base instead "
            "(base[index] = ...) or clone() the view first"
        )
    views = live_views(base)
    node = record(ViewCopySlices, (base, res), base._data, (chain,), base._backend)
    write(t, res, op)
    base._grad_fn = node
    base._requires_grad = True
    node._out_vc = base._vc
    refresh_views(base, views)
    t._grad_fn = _replay(base, chain)
    t._requires_grad = True


def live_views(base: Tensor) -> list[tuple[Tensor, tuple[Node, ...]]]:
    """The views of ``base`` alive in the graph, each with its chain of view nodes (taken
    before ``base``'s history changes)."""
    out = []
    for r in base._vc[1:]:
        v = r()
        if v is not None and v._base is base and v._grad_fn is not None:
            chain = _view_chain(v, base)
            if chain is not None:
                out.append((v, chain))
    return out


def refresh_views(base: Tensor, views: list[tuple[Tensor, tuple[Node, ...]]]) -> None:
    """After an in-place change of ``base``, its views read the new values: give them the
    matching history (a view of the new base), as PyTorch regenerates a view's grad_fn."""
    for v, chain in views:
        v._grad_fn = _replay(base, chain)
        v._requires_grad = v._grad_fn is not None


def _replay(base: Tensor, chain: tuple[Node, ...]) -> Node | None:
    cur = base
    for n in chain:
        cur = view(type(n), cur, *n.args)
    return cur._grad_fn


def _view_chain(t: Tensor, base: Tensor) -> tuple[Node, ...] | None:
    """The view nodes from ``base`` to ``t``, or None if ``t``'s history is not made of them."""
    chain = []
    fn = t._grad_fn
    while fn is not base._grad_fn:
        if fn is None or not isinstance(fn, _VIEW_NODES):
            return None
        chain.append(fn)
        fn = fn.next_functions[0][0]
    return tuple(reversed(chain)) if chain else None


def view_write_needs_graph(t: Tensor, value: Any) -> bool:
    """An in-place write into a view that the graph must see (grad mode on, and the base, the
    view or the value requires grad)."""
    return (
        state.grad_enabled
        and t._base is not None
        and (
            t._base._requires_grad
            or t._requires_grad
            or (isinstance(value, Tensor) and value._requires_grad)
        )
    )


# -- matrix products ------------------------------------------------------------------------


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with NumPy/PyTorch rules for 1-D, 2-D, batched and broadcast operands."""
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError("matmul(): both arguments must be Tensors")
    sa, sb = input._data.shape, other._data.shape  # once: the shape properties copy
    a, b = len(sa), len(sb)
    if a == 0 or b == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {a}D and {b}D"
        )
    ka = sa[-1]
    kb = sb[-2] if b > 1 else sb[0]
    if ka != kb:
        sa = "x".join(map(str, input.shape))
        sb = "x".join(map(str, other.shape))
        raise RuntimeError(f"matmul(): mat1 and mat2 shapes cannot be multiplied ({sa} and {sb})")
    if a > 2 or b > 2:
        ba, bb = list(input.shape[:-2]), list(other.shape[:-2])
        if not _broadcastable([ba, bb]):
            raise RuntimeError(
                f"matmul(): batch dimensions {ba} and {bb} cannot be broadcast together "
                f"(shapes {list(input.shape)} and {list(other.shape)})"
            )
    cls = (
        DotBackward0
        if a == b == 1
        else MmBackward0
        if a == b == 2
        else MvBackward0
        if (a, b) == (2, 1)
        else UnsafeViewBackward0
    )
    return binary(cls, input, other)  # two tensors: the lean path, same promotion as nary


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """2-D matrix product."""
    if not isinstance(input, Tensor) or not isinstance(mat2, Tensor):
        return matmul(input, mat2)  # raises the TypeError naming the op
    na, nb = input._data.ndim, mat2._data.ndim
    if na != 2 or nb != 2:
        raise RuntimeError(
            f"mm(): self must be a matrix (got {na}D) and mat2 must be a matrix (got {nb}D)"
        )
    try:
        return binary(MmBackward0, input, mat2)  # what matmul picks for two matrices
    except (RuntimeError, ValueError):
        if input._data.shape[1] != mat2._data.shape[0]:  # checked only on failure
            return matmul(input, mat2)  # raises matmul's shape error, naming both shapes
        raise


def addmm(
    input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: float = 1, alpha: float = 1
) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)`` for matrices ``mat1`` and ``mat2``, ``input``
    broadcast to the product's shape: one node, ``AddmmBackward0`` (what ``F.linear`` records
    for a batch of vectors, as in PyTorch)."""
    if not (isinstance(input, Tensor) and isinstance(mat1, Tensor) and isinstance(mat2, Tensor)):
        bad = next(t for t in (input, mat1, mat2) if not isinstance(t, Tensor))
        raise TypeError(f"addmm(): expected Tensors, got {type(bad).__name__}")
    sa, sb, sc = mat1._data.shape, mat2._data.shape, input._data.shape
    if len(sa) != 2 or len(sb) != 2:
        raise RuntimeError(
            f"addmm(): mat1 must be a matrix (got {len(sa)}D) and mat2 must be a matrix "
            f"(got {len(sb)}D)"
        )
    if sa[1] != sb[0]:
        raise RuntimeError(
            f"addmm(): mat1 and mat2 shapes cannot be multiplied ({sa[0]}x{sa[1]} and "
            f"{sb[0]}x{sb[1]})"
        )
    n = len(sc)
    if n > 2 or (n and sc[-1] not in (1, sb[1])) or (n == 2 and sc[0] not in (1, sa[0])):
        raise RuntimeError(
            f"addmm(): input of shape {list(sc)} cannot be broadcast to the product's shape "
            f"{[sa[0], sb[1]]}"
        )
    return nary(AddmmBackward0, (input, mat1, mat2), beta, alpha)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched 3-D matrix product (no broadcasting)."""
    if input.ndim != 3 or mat2.ndim != 3:
        raise RuntimeError(
            f"bmm(): batch1 must be a 3D tensor (got {input.ndim}D) and batch2 must be a 3D "
            f"tensor (got {mat2.ndim}D)"
        )
    if input.shape[0] != mat2.shape[0]:
        raise RuntimeError(
            f"bmm(): batch sizes differ: {input.shape[0]} and {mat2.shape[0]} (shapes "
            f"{list(input.shape)} and {list(mat2.shape)})"
        )
    if input.shape[2] != mat2.shape[1]:
        raise RuntimeError(
            f"bmm(): batch1 and batch2 shapes cannot be multiplied ({list(input.shape)} and "
            f"{list(mat2.shape)})"
        )
    return nary(BmmBackward0, (input, mat2))


def dot(input: Tensor, tensor: Tensor) -> Tensor:
    """Inner product of two 1-D tensors."""
    if input.ndim != 1 or tensor.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {tensor.ndim}D tensors")
    if input.shape != tensor.shape:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{input.shape[0]}] and src "
            f"[{tensor.shape[0]}] to have the same number of elements, but got "
            f"{input.shape[0]} and {tensor.shape[0]} elements respectively"
        )
    return matmul(input, tensor)
