"""``scatter_reduce`` (``sum``, ``prod``, ``mean``, ``amax``, ``amin``, ``include_self``) and
``scatter``'s older ``reduce='add'``/``'multiply'``.

The elements of ``src`` that land on one place of ``input`` (one *segment*) are combined by a
segmented scan: ``src`` is ordered by target place (a stable ``argsort`` of the flat
positions), then ``log2(n)`` steps each combine an element with the one ``2**i`` before it
when both share a target, and the last element of each segment holds the segment's
reduction. It is written against an ops namespace, so the backward of ``prod`` (which needs
the product of everything else at a place) runs the same scan on tensors and stays
differentiable. The gradients are PyTorch's (``scatter_reduce_backward``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import _dtype as D
from . import _functional_write as fw
from ._backend import UnsupportedOperation
from ._contract import Array, KernelOps
from ._dispatch import nary
from ._graph import OUT, Node
from ._inplace import inplace
from ._tensor import Tensor

REDUCES = ("sum", "prod", "mean", "amax", "amin")


@dataclass(frozen=True)
class Segments:
    """Where each element of ``src`` lands, as the scan needs it (raw index arrays)."""

    lin: Array  # the flat target place of each element of src (in src's order)
    order: Array  # src's elements by target place (stable)
    steps: tuple[tuple[Array, Array], ...]  # per scan step: the partner index, the mask
    last: Array  # positions (in sorted order) of each segment's last element
    places: Array  # each segment's target place (distinct)
    counts: Array  # each segment's number of elements
    touched: Array  # bool over the flat input: the places some element lands on
    size: int  # the flat input's size


def segments(k: Any, lin: Array, size: int) -> Segments:
    n = int(lin.shape[0])
    order = k.argsort(lin, 0, False, True)
    ls = k.getitem(lin, order)
    io = k.iota(n, (n,), lin)
    steps, s = [], 1
    while s < n:
        back = k.ge(io, s)
        partner = k.where(back, k.sub(io, s), 0)
        steps.append((partner, k.where(back, k.eq(k.getitem(ls, partner), ls), False)))
        s *= 2
    if n == 0:
        touched = k.full((size,), False, D.bool_)
        empty = k.full((0,), 0, D.int64)
        return Segments(lin, order, (), empty, empty, empty, touched, size)
    ends = k.concat((k.ne(k.getitem(ls, slice(0, -1)), k.getitem(ls, slice(1, None))),
                     k.full((1,), True, D.bool_)), 0)  # fmt: skip
    last = k.getitem(io, ends)
    starts = k.concat((k.full((1,), 0, D.int64), k.add(k.getitem(last, slice(0, -1)), 1)), 0)
    touched = k.full((size,), False, D.bool_)
    places = k.getitem(ls, last)
    touched = fw.put(k, touched, places, True)
    counts = k.add(k.sub(last, starts), 1)
    return Segments(lin, order, tuple(steps), last, places, counts, touched, size)


def _combine(ops: KernelOps, reduce: str) -> Callable[[Any, Any], Any]:
    return {"sum": ops.add, "mean": ops.add, "prod": ops.mul, "amax": ops.maximum,
            "amin": ops.minimum}[reduce]  # fmt: skip


def reduce_into(
    ops: KernelOps, k: Any, x: Array, src: Array, seg: Segments, reduce: str, include_self: bool
) -> Array:
    """``x`` (flat) with each segment of ``src`` (flat) reduced into its place."""
    op = _combine(ops, reduce)
    v = ops.getitem(src, seg.order)
    for partner, mask in seg.steps:
        v = ops.where(ops.const(mask, v), op(ops.getitem(v, partner), v), v)
    v = ops.getitem(v, seg.last)
    if include_self:
        v = op(ops.getitem(x, seg.places), v)
    if reduce == "mean":
        count = seg.counts if not include_self else k.add(seg.counts, 1)
        if ops.dtype_of(x).is_floating_point:
            v = ops.div(v, ops.const(k.astype(count, ops.dtype_of(x)), v))
        else:
            v = k.floor_divide(v, k.astype(count, ops.dtype_of(x)))
    placed = ops.index_grad(v, (seg.size,), seg.places, True)
    return ops.where(ops.const(seg.touched, x), placed, x)


# fmt: off
class ScatterReduceBackward0(Node):
    """``scatter_reduce(x, dim, index, src, reduce, include_self)``: each place of ``x`` that
    ``index`` names becomes the reduction of ``src``'s elements landing there (and of
    ``x``'s own value with ``include_self``). grad x, src (PyTorch's rules): ``sum``: g, and
    g at index; ``mean``: g / count; ``prod``: g * (product of the others); ``amax``/``amin``:
    g shared evenly among the values equal to the result; without ``include_self``, x's
    grad is zero where anything landed."""
    op, promote, save = "scatter_reduce", False, (0, 2, OUT)

    @staticmethod
    def forward(k: Any, x: Array, index: Array, src: Array, seg: Segments, reduce: str,
                include_self: bool) -> Array:
        flat = reduce_into(k, k, k.reshape(x, (-1,)), k.reshape(src, (-1,)), seg, reduce,
                           include_self)
        return k.reshape(flat, x.shape)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array, src: Array, out: Array
                 ) -> tuple[Array | None, None, Array | None]:
        seg, reduce, include_self = ctx.args
        xs, ss = ctx.shapes[0], ctx.shapes[2]
        gx, gs = _grads(ctx._backend.k, ops, ops.reshape(g, (-1,)), ops.reshape(x, (-1,)),
                        ops.reshape(src, (-1,)), ops.reshape(out, (-1,)), seg, reduce,
                        include_self)  # fmt: skip
        if not include_self:
            gx = ops.where(ops.const(seg.touched, gx), 0.0, gx)
        return ops.reshape(gx, xs), None, ops.reshape(gs, ss)


class ScatterReduceNotImplemented(Node):
    """``scatter(x, dim, index, src, reduce='add'|'multiply')``: PyTorch has no derivative
    for it, and neither has tensorplug (its backward raises)."""
    op, promote = "scatter", False

    @staticmethod
    def forward(k: Any, x: Array, index: Array, src: Array, seg: Segments, reduce: str
                ) -> Array:
        return ScatterReduceBackward0.forward(k, x, index, src, seg, reduce, True)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array, None, Array]:
        raise RuntimeError("derivative for aten::scatter is not implemented")
# fmt: on


ScatterReduceNotImplemented.__name__ = ScatterReduceNotImplemented.__qualname__ = "NotImplemented"


def _grads(
    k: Any, ops: KernelOps, g: Array, x: Array, src: Array, out: Array, seg: Segments,
    reduce: str, include_self: bool,
) -> tuple[Array, Array]:  # fmt: skip
    """The flat gradients of ``x`` and ``src``, before ``include_self=False`` zeroes ``x``'s."""
    d = ops.dtype_of(g)
    if reduce == "sum":
        return g, ops.getitem(g, seg.lin)
    if reduce == "mean":
        n = k.index_grad(k.full((int(seg.lin.shape[0]),), 1, d), (seg.size,), seg.lin, True)
        n = k.where(k.eq(n, 0), k.full((), 1, d), k.add(n, 1) if include_self else n)
        gx = ops.div(g, ops.const(n, g))
        return gx, ops.getitem(gx, seg.lin)
    if reduce in ("amax", "amin"):
        value = ops.getitem(out, seg.lin)
        x_hit = ops.astype(ops.eq(x, out), d)
        s_hit = ops.astype(ops.eq(src, value), d)
        share = ops.div(g, ops.add(x_hit, ops.index_grad(s_hit, (seg.size,), seg.lin, True)))
        return ops.mul(x_hit, share), ops.mul(s_hit, ops.getitem(share, seg.lin))
    return _prod_grads(k, ops, g, x, src, out, seg, include_self)


def _prod_grads(
    k: Any, ops: KernelOps, g: Array, x: Array, src: Array, out: Array, seg: Segments,
    include_self: bool,
) -> tuple[Array, Array]:  # fmt: skip
    """``prod``'s: each factor's gradient is g times the product of the other factors at its
    place, computed with zero factors set to one (PyTorch's ``scatter_reduce_backward``)."""
    x_zero, s_zero = ops.eq(x, 0.0), ops.eq(src, 0.0)
    masked_x = ops.where(x_zero, 1.0, x)
    gx = ops.div(ops.mul(g, reduce_into(ops, k, masked_x, src, seg, "prod", include_self)),
                 masked_x)  # fmt: skip
    d = ops.dtype_of(g)
    zeros_at = ops.index_grad(ops.astype(s_zero, d), (seg.size,), seg.lin, True)
    single = ops.where(s_zero, ops.eq(ops.getitem(zeros_at, seg.lin), 1.0), False)
    others = reduce_into(ops, k, x, ops.where(single, 1.0, src), seg, "prod", include_self)
    gs = ops.where(
        single,
        ops.getitem(ops.mul(g, others), seg.lin),
        ops.div(ops.getitem(ops.mul(g, out), seg.lin), ops.where(s_zero, 1.0, src)),
    )
    return gx, gs


def _check(op: str, input: Any, src: Any, reduce: str, names: tuple[str, ...]) -> None:
    if reduce not in names:
        raise RuntimeError(
            f"reduce argument must be either {', '.join(names[:-1])} or {names[-1]}, got {reduce}"
        )
    if not isinstance(src, Tensor):
        raise TypeError(f"{op}(): argument 'src' must be Tensor, not {type(src).__name__}")


def _operands(op: str, input: Tensor, dim: int, index: Tensor, src: Tensor
              ) -> tuple[Tensor, Tensor, Segments]:  # fmt: skip
    """The index and the part of ``src`` it covers, and where each element lands (a 0-d
    input is one place: the node works on flat arrays)."""
    from ._ops_scatter import _prepare

    xs, _, ix, s, lin, part = _prepare(op, input, dim, index, src)  # the index checked first
    assert s is not None
    if not input._backend.has_kernel("argsort"):
        raise UnsupportedOperation(
            f"{op}(): backend '{input._backend.name}' has no argsort kernel, which groups the "
            "elements landing on one place"
        )
    return ix, s if part is None else s[part], segments(input._backend.k, lin, xs.numel())


def scatter_reduce(
    input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *, include_self: bool = True
) -> Tensor:
    """A copy of ``input`` where each place ``index`` names along ``dim`` holds the
    reduction (``'sum'``, ``'prod'``, ``'mean'``, ``'amax'``, ``'amin'``) of the ``src``
    elements landing there, and of its own value with ``include_self``.

    Example:
        >>> import tensorplug as tp
        >>> x = tp.tensor([1.0, 2.0, 3.0])
        >>> x.scatter_reduce(0, tp.tensor([0, 0, 2]), tp.tensor([5.0, 4.0, 6.0]), "amax").tolist()
        [5.0, 2.0, 6.0]
    """
    _check("scatter_reduce", input, src, reduce, REDUCES)
    ix, s, seg = _operands("scatter_reduce", input, dim, index, src)
    return nary(ScatterReduceBackward0, (input, ix, s), seg, reduce, bool(include_self))


def scatter_with_reduce(input: Tensor, dim: int, index: Tensor, src: Any, reduce: str) -> Tensor:
    """``scatter(..., reduce='add'|'multiply')``: ``src`` (or a number) added to or
    multiplied into ``input`` at ``index``; no gradient, as PyTorch."""
    if reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    if not isinstance(src, Tensor):
        if not isinstance(index, Tensor):
            raise TypeError(f"scatter(): index must be a Tensor, got {type(index).__name__}")
        src = input.new_full(tuple(index.shape), src)
    _check("scatter", input, src, "sum" if reduce == "add" else "prod", REDUCES)
    ix, s, seg = _operands("scatter", input, dim, index, src)
    kind = "sum" if reduce == "add" else "prod"
    return nary(ScatterReduceNotImplemented, (input, ix, s), seg, kind)


def scatter_reduce_(
    self: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *, include_self: bool = True
) -> Tensor:
    _check("scatter_reduce_", self, src, reduce, REDUCES)
    ix, s, seg = _operands("scatter_reduce_", self, dim, index, src)
    return inplace(ScatterReduceBackward0, self, ix, s, args=(seg, reduce, bool(include_self)))
