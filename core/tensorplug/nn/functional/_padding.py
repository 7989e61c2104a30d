"""``pad``: grow (or, with a constant, crop) the last dims of a tensor, as PyTorch's
``F.pad``: ``constant``, ``reflect``, ``replicate`` and ``circular``.

The constant form writes the input into a filled array. The others build each padded dim
from slices of the input (basic indexing only: a reflection is a slice with step -1, a
replicated edge a width-1 slice broadcast, a circular wrap the far end) joined in order;
the backward cuts the gradient into the same pieces and adds each back where it was read.
Both are written on a kernel namespace, so a second derivative reuses them.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ... import _functional_write as fw
from ..._contract import Array, KernelOps
from ..._dispatch import unary
from ..._graph import Node
from ..._tensor import Tensor

__all__ = ["pad"]


class Piece(NamedTuple):
    """One run of a padded dim: the input's ``src`` slice, broadcast to ``width`` when that
    is larger (a replicated edge)."""

    src: slice
    width: int


Plan = tuple[tuple[int, tuple[Piece, ...]], ...]
"""Per padded dim (counted from the front), its pieces in order."""


def _at(ndim: int, dim: int, sl: slice) -> tuple[slice, ...]:
    return (slice(None),) * dim + (sl,)


def _pieces_forward(k: Any, x: Array, plan: Plan) -> Array:
    for dim, pieces in plan:
        parts = []
        for p in pieces:
            part = k.getitem(x, _at(len(x.shape), dim, p.src))
            if part.shape[dim] != p.width:
                shape = list(part.shape)
                shape[dim] = p.width
                part = k.broadcast_to(part, tuple(shape))
            parts.append(part)
        x = k.concat(parts, dim)
    return x


def _pieces_backward(ops: KernelOps, g: Array, shape: tuple[int, ...], plan: Plan) -> Array:
    """The adjoint of ``_pieces_forward``: each piece of ``g`` added back at its source."""
    shapes = [tuple(shape)]
    for dim, pieces in plan[:-1]:
        s = list(shapes[-1])
        s[dim] = sum(p.width for p in pieces)
        shapes.append(tuple(s))
    for (dim, pieces), before in zip(reversed(plan), reversed(shapes)):
        acc, at = None, 0
        for p in pieces:
            part = ops.getitem(g, _at(len(g.shape), dim, slice(at, at + p.width)))
            at += p.width
            n = len(range(*p.src.indices(before[dim])))
            if n != p.width:
                part = ops.sum(part, (dim,), True)
            back = ops.index_grad(part, before, _at(len(before), dim, p.src), False)
            acc = back if acc is None else ops.add(acc, back)
        g = acc
    return g


# fmt: off
class _PadNode(Node):
    """``x`` grown along each padded dim by slices of itself (reflected, replicated or
    wrapped); grad = each piece of g added back where it was read."""
    op = "pad"

    @staticmethod
    def forward(k: Any, x: Any, plan: Plan) -> Any:
        return _pieces_forward(k, x, plan)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        return (_pieces_backward(ops, g, ctx.shapes[0], ctx.args[0]),)


class ReflectionPad1DBackward0(_PadNode): pass  # noqa: E701 - PyTorch's node names
class ReflectionPad2DBackward0(_PadNode): pass  # noqa: E701
class ReflectionPad3DBackward0(_PadNode): pass  # noqa: E701
class ReplicationPad1DBackward0(_PadNode): pass  # noqa: E701
class ReplicationPad2DBackward0(_PadNode): pass  # noqa: E701
class ReplicationPad3DBackward0(_PadNode): pass  # noqa: E701
class CircularPadBackward0(_PadNode): pass  # noqa: E701 - PyTorch: a CopySlices chain


class ConstantPadNdBackward0(Node):
    """``x`` written into an array filled with ``value`` (a negative pad crops); grad = g
    at the places x was written."""
    op = "pad"

    @staticmethod
    def forward(k: Any, x: Any, src: Any, dst: Any, shape: Any, value: Any) -> Any:
        out = k.full(shape, value, k.dtype_of(x))
        return fw.put(k, out, dst, k.getitem(x, src))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        src, dst = ctx.args[0], ctx.args[1]
        return (ops.index_grad(ops.getitem(g, dst), ctx.shapes[0], src, False),)
# fmt: on


_NODES = {
    "reflect": (ReflectionPad1DBackward0, ReflectionPad2DBackward0, ReflectionPad3DBackward0),
    "replicate": (ReplicationPad1DBackward0, ReplicationPad2DBackward0, ReplicationPad3DBackward0),
}


def _pairs(input: Tensor, pad: Any) -> list[tuple[int, int, int]]:
    """``(dim, before, after)`` for each dim ``pad`` names (last dim first in ``pad``)."""
    if not isinstance(pad, (tuple, list)) or not all(
        isinstance(p, int) and not isinstance(p, bool) for p in pad
    ):
        raise TypeError(f"pad(): argument 'pad' must be tuple of ints, but got {pad!r}")
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError(
            f"Padding length should be less than or equal to two times the input dimension but "
            f"got padding length {len(pad)} and input of dimension {input.ndim}"
        )
    return [(input.ndim - 1 - i, pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)]


def _constant(input: Tensor, pairs: list[tuple[int, int, int]], value: float) -> Tensor:
    shape = list(input.shape)
    src = [slice(None)] * input.ndim
    dst = [slice(None)] * input.ndim
    for dim, lo, hi in pairs:
        n = shape[dim]
        new = n + lo + hi
        if new < 0:
            raise RuntimeError(
                f"The input size {n}, plus negative padding {lo} and {hi} resulted in a "
                f"negative output size, which is invalid. Check dimension {dim} of your input."
            )
        src[dim] = slice(max(-lo, 0), n - max(-hi, 0))
        dst[dim] = slice(max(lo, 0), new - max(hi, 0))
        shape[dim] = new
    return unary(ConstantPadNdBackward0, input, tuple(src), tuple(dst), tuple(shape), value)


def _piece_plan(input: Tensor, pairs: list[tuple[int, int, int]], mode: str) -> Plan:
    plan = []
    for dim, lo, hi in sorted(pairs):
        n = input.shape[dim]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(
                f"Argument #4: Padding size should be less than the corresponding input "
                f"dimension, but got: padding ({lo}, {hi}) at dimension {dim} of input "
                f"{list(input.shape)}"
            )
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if min(lo, hi) < 0:
            raise RuntimeError(f"pad(): negative padding is not supported in {mode} mode")
        if mode == "replicate" and n == 0 and (lo or hi):
            raise RuntimeError(
                f"pad(): replicate padding of an empty dimension {dim} of input {list(input.shape)}"
            )
        if mode == "reflect":
            left = slice(lo, 0, -1)
            right = slice(n - 2, n - 2 - hi if n - 2 - hi >= 0 else None, -1)
        elif mode == "replicate":
            left, right = slice(0, 1), slice(n - 1, n)
        else:
            left, right = slice(n - lo, n), slice(0, hi)
        pieces = [Piece(left, lo)] if lo else []
        pieces.append(Piece(slice(0, n), n))
        if hi:
            pieces.append(Piece(right, hi))
        if lo or hi:
            plan.append((dim, tuple(pieces)))
    return tuple(plan)


def pad(input: Tensor, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last ``len(pad) // 2`` dims of ``input``: ``pad`` is ``(left, right)`` for the
    last dim, then ``(top, bottom)`` for the one before, and so on, as PyTorch's. ``mode``:
    ``"constant"`` (fill with ``value``, default 0; negative pads crop), ``"reflect"``
    (mirror without the edge), ``"replicate"`` (repeat the edge), ``"circular"`` (wrap).

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.functional.pad(tp.tensor([[1.0, 2.0, 3.0]]), (2, 1), mode="reflect")
        tensor([[3., 2., 1., 2., 3., 2.]])
    """
    pairs = _pairs(input, pad)
    if mode == "constant":
        return _constant(input, pairs, 0.0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(
            f"Unrecognised padding mode {mode!r}: expected constant, reflect, replicate or circular"
        )
    if value is not None and value != 0:
        raise ValueError(f'Padding mode "{mode}" doesn\'t take in value argument')
    dims = len(pairs)
    if not 1 <= dims <= 3 or input.ndim not in (dims + 1, dims + 2):
        raise NotImplementedError(
            f"Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now "
            f"(got a {input.ndim}-D input and a pad of {len(pad)} values in {mode} mode)"
        )
    plan = _piece_plan(input, pairs, mode)
    cls = CircularPadBackward0 if mode == "circular" else _NODES[mode][dims - 1]
    return unary(cls, input, plan)
