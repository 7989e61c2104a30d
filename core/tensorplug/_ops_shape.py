"""Shape ops: views (``reshape``, ``permute``, ``expand``, ...), copies (``clone``), joins and
splits (``cat``, ``stack``, ``split``)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from . import _dtype as D
from ._contract import Array, KernelOps
from ._dispatch import nary, op_error, unary, view, view_of
from ._graph import Node
from ._indexing import SplitBackward0, SplitWithSizesBackward0
from ._tensor import Tensor, _dim
from ._view_strides import reshaped_view


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

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        return (ops.reshape(g, ctx.shapes[0]),)


class UnsafeViewBackward0(ViewBackward0):
    """``reshape`` of a tensor whose layout allows no view: the reshaped copy (its input a
    ``clone``, as in PyTorch), which is no view of the tensor. grad = g reshaped back."""
    op = "reshape"


class UnsqueezeBackward0(ViewBackward0):
    """``unsqueeze``: grad = g with the new dim removed."""
    op = "unsqueeze"


class SqueezeBackward0(ViewBackward0):
    """``squeeze``: grad = g with the size-1 dims put back."""
    op = "squeeze"


class SqueezeBackward1(SqueezeBackward0):
    """``squeeze(dim)``."""
    op = "squeeze"


class SqueezeBackward2(SqueezeBackward0):
    """``squeeze(dims)``, a tuple of dims."""
    op = "squeeze"


class PermuteBackward0(Node):
    """``permute(dims)``: grad = g permuted back."""
    op = "permute"
    kernel = "permute"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        return (ops.permute(g, _inverse(ctx.args[0])),)


class TransposeBackward0(PermuteBackward0):
    """``transpose(d0, d1)``: grad = g transposed back."""
    op = "transpose"


class TBackward0(PermuteBackward0):
    """``t()``: grad = g.t()."""
    op = "t"


class ExpandBackward0(Node):
    """``expand``/``broadcast_to``: grad = g summed back to the input's shape."""
    op = "expand"

    @staticmethod
    def forward(k: Any, x: Any, shape: tuple[int, ...]) -> Any:
        # Repeating nothing (the same shape, or size-1 dims added), it is a reshape: a view
        # as writable as x, which a library's broadcast need not be (NumPy's is read-only).
        if math.prod(shape) == math.prod(x.shape):
            return k.reshape(x, shape)
        return k.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        return (ops.sum_to(g, ctx.shapes[0]),)


class SumToSizeBackward0(Node):
    """``sum_to_size``: sums broadcast dims away; grad = g expanded back."""
    op = "sum_to_size"
    kernel = "sum_to"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        return (ops.broadcast_to(g, ctx.shapes[0]),)


class CloneBackward0(Node):
    """``clone``: grad = g."""
    op = "clone"
    kernel = "copy"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        return (g,)


class ToCopyBackward0(Node):
    """``to(dtype)``: grad = g cast back to the input's dtype."""
    op = "to"
    forward = staticmethod(lambda k, x, d, src: k.astype(x, d))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        return (ops.astype(g, ctx.args[1]),)


class CatBackward0(Node):
    """``cat(tensors, dim)``: each input gets its slice of g."""
    op, promote = "cat", True

    @staticmethod
    def forward(k: Any, *arrays_and_dim: Any) -> Any:
        *arrays, dim = arrays_and_dim
        return k.concat(arrays, dim)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array, ...]:
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
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array, ...]:
        dim = ctx.args[0]
        return tuple(ops.getitem(g, (slice(None),) * dim + (i,)) if need else None
                     for i, need in enumerate(ctx.needs_input_grad))


# fmt: on


# -- shape functions ------------------------------------------------------------------------


def _needs(args: tuple[Any, ...], op: str, name: str) -> None:
    """``x.reshape()``: a shape given as no argument at all is a TypeError, as in PyTorch
    (``x.reshape(())`` is a 0-d shape)."""
    if not args:
        raise TypeError(f'{op}() missing 1 required positional arguments: "{name}"')


def reshape(input: Tensor, *shape: Any) -> Tensor:
    """The same data with a new shape (one dim may be -1): a view where the layout allows,
    else a copy that is no view, as in PyTorch."""
    _needs(shape, "reshape", "shape")
    return _reshape(input, _infer(input, _shape_arg(shape), "reshape"), False)


def _reshape(input: Tensor, target: tuple[int, ...], must_view: bool) -> Tensor:
    """``input`` in shape ``target``: a view if the backend makes one (``reshape_view``),
    else (``must_view``: ``Tensor.view``'s error) a reshaped clone."""
    try:
        out = reshaped_view(input, target)
    except Exception as e:
        raise op_error(ViewBackward0, (input,), e) from e
    if out is not None:
        return view_of(ViewBackward0, input, out, target)
    if must_view:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        )
    return unary(UnsafeViewBackward0, clone(input), target)


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
    """``Tensor.view``: like ``reshape``, but always a view: an error where the layout needs a
    copy (a reinterpretation when given a dtype, not supported)."""
    if len(shape) == 1 and isinstance(shape[0], D.dtype):
        raise NotImplementedError("view(dtype) is not supported; use .to(dtype)")
    _needs(shape, "view", "size")
    return _reshape(input, _infer(input, _shape_arg(shape), "view"), True)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim..end_dim`` into one (``input`` itself when that is one dim)."""
    if input.ndim == 0:
        return reshape(input, (1,))
    s = _dim(start_dim, input.ndim, "flatten")
    e = _dim(end_dim, input.ndim, "flatten")
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    shape = input.shape
    return reshape(input, shape[:s] + (math.prod(shape[s : e + 1]),) + shape[e + 1 :])


def squeeze(input: Tensor, dim: Any = None) -> Tensor:
    """Remove size-1 dims (all, or those in ``dim``)."""
    shape = input.shape
    if dim is None:
        target = tuple(n for n in shape if n != 1)
        return view(SqueezeBackward0, input, target)
    one = isinstance(dim, int)
    dims = {_dim(d, input.ndim, "squeeze") for d in ((dim,) if one else dim)}
    target = tuple(n for i, n in enumerate(shape) if not (i in dims and n == 1))
    return view(SqueezeBackward1 if one else SqueezeBackward2, input, target)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a size-1 dim at ``dim``."""
    d = _dim(dim, input.ndim + 1, "unsqueeze")
    shape = input.shape
    return view(UnsqueezeBackward0, input, shape[:d] + (1,) + shape[d:])


def permute(input: Tensor, *dims: Any) -> Tensor:
    """Reorder dims."""
    _needs(dims, "permute", "dims")
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
    if n:  # a 0-d tensor takes dims 0 and -1, and has none to swap
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
    _needs(sizes, "expand", "size")
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
    return expand(input, tuple(shape))


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    return expand(input, tuple(other.shape))


def sum_to_size(input: Tensor, *size: Any) -> Tensor:
    """Sum broadcast dims so the result has ``size`` (the inverse of ``expand``)."""
    return unary(SumToSizeBackward0, input, _shape_arg(size))


def clone(input: Tensor) -> Tensor:
    """A copy with its own memory; differentiable."""
    return unary(CloneBackward0, input)


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
    node: type[Node] = SplitBackward0
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size < 0 or (size == 0 and n):
            raise RuntimeError(
                f"split(): split_size must be positive (or 0 for an empty dim), got {size}"
            )
        sizes = [min(size, n - s) for s in range(0, n, size)] if size else [0]
        sizes = sizes or [0]
    else:
        sizes = list(split_size_or_sections)
        node = SplitWithSizesBackward0
        if sum(sizes) != n:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                f"size at dimension {d}), but got split_sizes={sizes}"
            )
    out, start = [], 0
    for s in sizes:
        idx = (slice(None),) * d + (slice(start, start + s),)
        out.append(view(node, tensor, idx, False))
        start += s
    return tuple(out)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into ``chunks`` pieces of equal size (the last may be smaller, or fewer pieces)."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = input.shape[_dim(dim, input.ndim, "chunk")]
    if n == 0:
        return split(input, [0] * chunks, dim)  # ``chunks`` empty pieces, as in PyTorch
    return split(input, -(-n // chunks), dim)
