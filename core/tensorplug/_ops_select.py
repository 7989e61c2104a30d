"""Selection and masking: ``tril``/``triu``, ``masked_fill``, ``masked_select``,
``nonzero``, ``where`` with one argument, and ``narrow``.

Each is composed from primitive kernels (``where``, ``iota`` and comparisons for the
triangles and masks, ``getitem`` with a mask for the selections); a mask is no input of the
graph (it gets no gradient), so it travels as the node's argument.
"""

from __future__ import annotations

from typing import Any

from . import _dtype as D
from ._contract import Array, KernelOps
from ._dispatch import broadcast_shape, broadcastable, nary, unary
from ._graph import Node
from ._indexing import getitem
from ._ops_pointwise import where as where3
from ._ops_scatter import write_in_place
from ._tensor import Tensor, _dim
from ._triangle import triangle


# fmt: off
class TrilBackward0(Node):
    """``tril(x, diagonal)``: x with the elements above the diagonal zeroed.
    grad = g with the same elements zeroed (``_triangle``)."""
    op = "tril"
    forward = staticmethod(triangle)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        return (triangle(ops, g, *ctx.args),)


class TriuBackward0(TrilBackward0):
    """``triu(x, diagonal)``: x with the elements below the diagonal zeroed.
    grad = g with the same elements zeroed."""
    op = "triu"


class MaskedFillBackward0(Node):
    """``masked_fill(x, mask, value)``, ``value`` a number: ``value`` where ``mask``, else x.
    grad x = g zeroed where ``mask``."""
    op = "masked_fill"
    forward = staticmethod(lambda k, x, mask, value: k.where(mask, k.full((), value,
                                                                          k.dtype_of(x)), x))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        return (ops.where(ops.const(ctx.args[0], g), 0.0, g),)


class MaskedFillBackward1(Node):
    """``masked_fill(x, mask, value)``, ``value`` a 0-d tensor: as above;
    grad value = the sum of g where ``mask``."""
    op, promote = "masked_fill", False
    forward = staticmethod(lambda k, x, v, mask: k.where(mask, k.astype(v, k.dtype_of(x)), x))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array | None, Array | None]:
        mask = ops.const(ctx.args[0], g)
        gx = ops.where(mask, 0.0, g) if ctx.needs_input_grad[0] else None
        gv = ops.sum(ops.where(mask, g, 0.0), None, False) if ctx.needs_input_grad[1] else None
        return gx, gv


class MaskedSelectBackward0(Node):
    """``masked_select(x, mask)``: the elements of x where ``mask``, as a 1-d tensor.
    grad x = zeros with g put back where ``mask`` (summed over broadcast dims)."""
    op = "masked_select"
    forward = staticmethod(lambda k, x, mask, shape: k.getitem(k.broadcast_to(x, shape), mask))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        mask, shape = ctx.args
        return (ops.sum_to(ops.index_grad(g, shape, mask, True), ctx.shapes[0]),)
# fmt: on


def _check_tensor(op: str, x: Any, what: str = "input") -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{what}' must be Tensor, not {type(x).__name__}")
    return x


def _tri(cls: type[Node], input: Tensor, diagonal: int) -> Tensor:
    x = _check_tensor(cls.op, input)
    if x.ndim < 2:
        raise RuntimeError(f"{cls.op}: input tensor must have at least 2 dimensions")
    return unary(cls, x, int(diagonal), cls is TrilBackward0)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims: elements with ``col - row <= diagonal``.

    Example:
        >>> import tensorplug as tp
        >>> tp.tril(tp.ones(2, 2)).tolist()
        [[1.0, 0.0], [1.0, 1.0]]
    """
    return _tri(TrilBackward0, input, diagonal)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims: elements with ``col - row >= diagonal``."""
    return _tri(TriuBackward0, input, diagonal)


def _mask_of(op: str, x: Tensor, m: Any) -> Tensor:
    mask = _check_tensor(op, m, "mask")
    if mask.dtype is not D.bool_:
        raise RuntimeError(
            f"{op} only supports boolean masks, but got mask with dtype {_torch_name(mask)}"
        )
    if mask._backend is not x._backend:
        from ._dispatch import mismatch_error

        raise mismatch_error(MaskedSelectBackward0, x, mask)
    if not broadcastable([list(x.shape), list(mask.shape)]):
        raise RuntimeError(
            f"The size of tensor a ({mask.shape[-1] if mask.ndim else 1}) must match the size "
            f"of tensor b ({x.shape[-1] if x.ndim else 1}) at non-singleton dimension"
        )
    return mask


def _torch_name(t: Tensor) -> str:
    return {"int64": "long int", "int32": "int", "float32": "float", "float64": "double"}.get(
        t.dtype.name, t.dtype.name
    )


def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:
    """``input`` with ``value`` (a number or a 0-d tensor) where ``mask`` is true;
    ``mask`` broadcasts with ``input``.

    Example:
        >>> import tensorplug as tp
        >>> x = tp.zeros(3)
        >>> x.masked_fill(tp.tensor([True, False, True]), 5.0).tolist()
        [5.0, 0.0, 5.0]
    """
    x = _check_tensor("masked_fill", input)
    m = _mask_of("masked_fill_", x, mask)
    shape = tuple(broadcast_shape(list(x.shape), list(m.shape)))
    if tuple(x.shape) != shape:
        x = x.expand(*shape)
    md = m._data if tuple(m.shape) == shape else x._backend.k.broadcast_to(m._data, shape)
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(
                "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value.ndim} dimension(s)."
            )
        return nary(MaskedFillBackward1, (x, value), md)
    if not isinstance(value, (bool, int, float)):
        raise TypeError(f"masked_fill(): value must be a number or a 0-d Tensor, got {value!r}")
    return unary(MaskedFillBackward0, x, md, value)


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements of ``input`` where ``mask`` is true (broadcast together), as 1-d."""
    x = _check_tensor("masked_select", input)
    m = _mask_of("masked_select:", x, mask)
    shape = tuple(broadcast_shape(list(x.shape), list(m.shape)))
    md = m._data if tuple(m.shape) == shape else x._backend.k.broadcast_to(m._data, shape)
    return unary(MaskedSelectBackward0, x, md, shape)


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:
    """The indices of the nonzero elements: a ``(count, ndim)`` int64 tensor, or with
    ``as_tuple`` one 1-d tensor per dim."""
    x = _check_tensor("nonzero", input)
    be = x._backend
    k = be.k
    shape = tuple(x.shape) or (1,)
    data = x._data if x.ndim else k.reshape(x._data, (1,))
    mask = data if x.dtype is D.bool_ else k.ne(data, 0)
    cols = []
    for d, n in enumerate(shape):
        grid = k.broadcast_to(k.iota(n, tuple(n if i == d else 1 for i in range(len(shape))),
                                     data), shape)  # fmt: skip
        cols.append(k.getitem(grid, mask))
    if as_tuple:
        return tuple(Tensor._make(c, be) for c in cols)
    if x.ndim == 0:
        return Tensor._make(k.full((int(cols[0].shape[0]), 0), 0, D.int64), be)
    return Tensor._make(k.stack(cols, 1), be)


def where(condition: Tensor, input: Any = None, other: Any = None) -> Any:
    """``input`` where ``condition``, else ``other`` (numbers allowed); with only the
    condition, ``nonzero(condition, as_tuple=True)``."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if input is None or other is None:
        raise TypeError("where(): expected both input and other, or neither")
    return where3(condition, input, other)


def narrow(input: Tensor, dim: int, start: Any, length: int) -> Tensor:
    """The view of ``length`` elements of ``input`` along ``dim`` from ``start``."""
    x = _check_tensor("narrow", input)
    if x.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    axis = _dim(dim, x.ndim, "narrow")
    if isinstance(start, Tensor):
        start = int(start.item())
    size = x.shape[axis]
    if not -size <= start <= size:
        raise IndexError(
            f"start out of range (expected to be in range of [{-size}, {size}], but got {start})"
        )
    if start < 0:
        start += size
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return getitem(x, (slice(None),) * axis + (slice(start, start + length),))


# -- in place -------------------------------------------------------------------------------


def tril_(self: Tensor, diagonal: int = 0) -> Tensor:
    return write_in_place(self, "tril_", lambda t: tril(t, diagonal), ())


def triu_(self: Tensor, diagonal: int = 0) -> Tensor:
    return write_in_place(self, "triu_", lambda t: triu(t, diagonal), ())


def masked_fill_(self: Tensor, mask: Tensor, value: Any) -> Tensor:
    return write_in_place(self, "masked_fill_", lambda t: masked_fill(t, mask, value), (value,))
