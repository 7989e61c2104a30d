"""Selecting, splitting and rearranging along dims as PyTorch spells it (issue 16): ``select``,
``narrow_copy``, ``split_with_sizes``, ``tensor_split``, ``hsplit``/``vsplit``/``dsplit``,
``unflatten``, ``rot90``, ``diagflat``, ``diff``, ``count_nonzero``, ``argwhere``.

Most are compositions of the indexing and shape ops, whose nodes are PyTorch's for them too
(``tensor_split``'s pieces are ``SliceBackward0``, ``diff`` a ``SubBackward0``); ``rot90`` and
``narrow_copy`` have nodes of their own, as in PyTorch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import _ops_layout as LY
from . import _ops_pointwise as P
from . import _ops_reduce as R
from . import _ops_select as SE
from . import _ops_shape as S
from ._contract import Array, KernelOps
from ._dispatch import unary
from ._graph import Node
from ._indexing import getitem
from ._tensor import Tensor, _dim


def _turn(k: Any, x: Any, turns: int, dims: tuple[int, int]) -> Any:
    """``x`` rotated ``turns`` quarter turns from ``dims[0]`` towards ``dims[1]`` (NumPy's
    ``rot90``), with kernels or ops ``k``: a flip and a transpose."""
    a, b = dims
    n = len(x.shape)

    def flip(y: Any, d: int) -> Any:
        return k.getitem(
            y, tuple(slice(None, None, -1) if i == d else slice(None) for i in range(n))
        )

    perm = list(range(n))
    perm[a], perm[b] = perm[b], perm[a]
    if turns == 0:
        return x
    if turns == 1:
        return k.permute(flip(x, b), tuple(perm))
    if turns == 2:
        return flip(flip(x, a), b)
    return flip(k.permute(x, tuple(perm)), b)


class Rot90Backward0(Node):
    """``rot90(x, k, dims)``: x turned k quarter turns in the plane ``dims``; grad x = g turned
    back (-k quarter turns)."""

    op = "rot90"
    forward = staticmethod(lambda k, x, turns, dims: k.copy(_turn(k, x, turns, dims)))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        turns, dims = ctx.args
        return (_turn(ops, g, (4 - turns) % 4, dims),)


class NarrowCopyBackward0(Node):
    """``narrow_copy(x, dim, start, length)``: a copy of ``narrow``'s slice; grad x = g written
    back into zeros at it."""

    op = "narrow_copy"
    forward = staticmethod(lambda k, x, idx: k.copy(k.getitem(x, idx)))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        return (ops.index_grad(g, ctx.shapes[0], ctx.args[0], False),)


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The view of ``input`` at ``index`` along ``dim`` (that dim removed)."""
    if input.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _dim(dim, input.ndim, "select")
    size = input.shape[d]
    if not -size <= index < size:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size {list(input.shape)} at "
            f"dimension {d}"
        )
    return getitem(input, (slice(None),) * d + (index,))


def narrow_copy(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """``narrow`` as a new tensor, not a view."""
    view = SE.narrow(input, dim, start, length)  # its checks and errors
    assert view._view_ops is not None  # a view: narrow is a getitem
    _, args, _ = view._view_ops[-1]
    return unary(NarrowCopyBackward0, input, args[0])


def split_with_sizes(input: Tensor, split_sizes: Sequence[int], dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces of ``split_sizes[i]`` elements along ``dim``, which must sum to its size."""
    sizes = [int(s) for s in split_sizes]
    d = _dim(dim, input.ndim, "split_with_sizes")
    if sum(sizes) != input.shape[d]:
        raise RuntimeError(
            f"split_with_sizes expects split_sizes to sum exactly to {input.shape[d]} (input "
            f"tensor's size at dimension {d}), but got split_sizes={sizes}"
        )
    return S.split(input, sizes, d)


def tensor_split(input: Tensor, indices_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Views along ``dim``: ``n`` pieces as equal as can be (the first ``size % n`` one
    longer), or the pieces between the given indices."""
    if input.ndim == 0:
        raise RuntimeError(
            "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims"
        )
    d = _dim(dim, input.ndim, "tensor_split")
    size = input.shape[d]
    sections = indices_or_sections
    if isinstance(sections, Tensor):
        sections = sections.tolist()
    if isinstance(sections, int):
        if sections <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
        q, r = divmod(size, sections)
        lengths = [q + 1 if i < r else q for i in range(sections)]
        bounds = [sum(lengths[:i]) for i in range(1, sections)]
    else:
        bounds = [int(i) for i in sections]
    starts = [0, *bounds]
    ends = [*bounds, size]
    lead = (slice(None),) * d
    pieces = []
    for a, b in zip(starts, ends, strict=True):
        a = min(a, size)
        pieces.append(getitem(input, (*lead, slice(a, max(a, min(b, size))))))
    return tuple(pieces)


def _split_at(name: str, dim: int, least: int) -> Any:
    def fn(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:
        if input.ndim < least:
            raise RuntimeError(
                f"torch.{name} requires a tensor with at least {least} dimension, but got a "
                f"tensor with {input.ndim} dimensions!"
            )
        d = 0 if name == "hsplit" and input.ndim == 1 else dim
        if isinstance(indices_or_sections, int):
            size = input.shape[d]
            if indices_or_sections == 0 or size % indices_or_sections:
                raise RuntimeError(
                    f"torch.{name} attempted to split along dimension {d}, but the size of the "
                    f"dimension {size} is not divisible by the split_size {indices_or_sections}!"
                )
        return tensor_split(input, indices_or_sections, d)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``tensor_split`` along dim {dim}; equal pieces only, for a number."
    return fn


hsplit = _split_at("hsplit", 1, 1)
vsplit = _split_at("vsplit", 0, 2)
dsplit = _split_at("dsplit", 2, 3)


def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Dim ``dim`` split into dims of ``sizes`` (one may be -1)."""
    d = _dim(dim, input.ndim, "unflatten")
    sizes = [int(s) for s in sizes]
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    size = input.shape[d]
    known = 1
    for s in sizes:
        known *= s if s != -1 else 1
    fits = size % known == 0 if -1 in sizes and known else known == size
    if not fits:
        raise RuntimeError(
            f"unflatten: Provided sizes {sizes} don't multiply up to the size of dim {d} "
            f"({size}) in the input tensor"
        )
    return S.reshape(input, (*input.shape[:d], *sizes, *input.shape[d + 1 :]))


def rot90(input: Tensor, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:
    """``input`` turned ``k`` quarter turns from ``dims[0]`` towards ``dims[1]``."""
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    a, b = (_dim(d, input.ndim, "rot90") for d in dims)
    if a == b:
        raise RuntimeError(
            f"expected rotation dims to be different, but got dim0 = {a} and dim1 = {b}"
        )
    return unary(Rot90Backward0, input, k % 4, (a, b))


def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """A matrix with ``input``'s elements (flattened) on its ``offset`` diagonal."""
    return LY.diag(S.flatten(input), offset)


def diff(
    input: Tensor, n: int = 1, dim: int = -1, prepend: Tensor | None = None,
    append: Tensor | None = None,
) -> Tensor:  # fmt: skip
    """The ``n``-th forward difference along ``dim`` (``prepend``/``append`` joined first);
    of a bool tensor, whether neighbours differ."""
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = _dim(dim, input.ndim, "diff")
    parts = [t for t in (prepend, input, append) if t is not None]
    if any(t.ndim != input.ndim for t in parts):
        raise RuntimeError("diff expects prepend or append to be the same dimension as input")
    x = S.cat(parts, d) if len(parts) > 1 else input
    if n == 0:  # a copy, as PyTorch's (``CopyBackwards``)
        out: Tensor = x.new_empty(x.shape).copy_(x)
        return out
    lead = (slice(None),) * d
    for _ in range(n):
        hi, lo = getitem(x, (*lead, slice(1, None))), getitem(x, (*lead, slice(None, -1)))
        x = P.ne(hi, lo) if x.dtype.category == 0 else P.sub(hi, lo)
    return x


def count_nonzero(input: Tensor, dim: Any = None) -> Tensor:
    """How many elements are not zero (along ``dim``), int64."""
    return R.sum(P.ne(input, 0), dim) if dim is not None else R.sum(P.ne(input, 0))


def argwhere(input: Tensor) -> Tensor:
    """The indices of the nonzero elements, one row each (``nonzero``)."""
    out: Tensor = SE.nonzero(input)
    return out


FUNCTIONS: dict[str, Any] = {
    "select": select, "narrow_copy": narrow_copy, "split_with_sizes": split_with_sizes,
    "tensor_split": tensor_split, "hsplit": hsplit, "vsplit": vsplit, "dsplit": dsplit,
    "unflatten": unflatten, "rot90": rot90, "diagflat": diagflat, "diff": diff,
    "count_nonzero": count_nonzero, "argwhere": argwhere,
}  # fmt: skip
"""The ``tensorplug`` functions, ``Tensor`` methods too."""
