"""Layout ops: ``flip``, ``roll``, ``repeat``/``tile``, ``movedim``, ``unbind``, diagonals
(``diagonal``, ``diag``, ``diag_embed``, ``trace``), and the products and grids built from
them (``outer``, ``kron``, ``tensordot``, ``meshgrid``, ``cartesian_prod``,
``repeat_interleave``).

Each has its node and forward on the contract's kernels (basic indices, reshapes and
permutes); a diagonal is a strided slice of the two dims flattened into one, so neither it
nor its gradient needs an integer index.
"""

from __future__ import annotations

import math
from typing import Any

from . import _ops_pointwise as P
from . import _ops_shape as S
from ._contract import Array, KernelOps
from ._dispatch import op_error, unary, view, view_of
from ._graph import Node
from ._indexing import SelectBackward0
from ._ops_shape import PermuteBackward0, _inverse, _shape_arg
from ._tensor import Tensor, _dim


def _check(x: Any, op: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(x).__name__}")


# -- diagonals: one plan, read by the forward of one op and the backward of the other -------


def _diag_plan(
    shape: tuple[int, ...], offset: int, d1: int, d2: int
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[Any, ...]]:
    """The permutation that puts ``d1, d2`` last, the other dims' sizes, and the slice of
    those two dims flattened that is the diagonal at ``offset``."""
    n, m = shape[d1], shape[d2]
    rest = tuple(i for i in range(len(shape)) if i not in (d1, d2))
    length = max(0, min(n, m - offset) if offset >= 0 else min(n + offset, m))
    start = offset if offset >= 0 else -offset * m
    cut = slice(start, start + (length - 1) * (m + 1) + 1, m + 1) if length else slice(0, 0)
    return rest + (d1, d2), tuple(shape[i] for i in rest), (slice(None),) * len(rest) + (cut,)


def take_diagonal(k: Any, x: Array, shape: tuple[int, ...], plan: tuple[Any, ...]) -> Array:
    """``x``'s diagonal (``plan`` from ``_diag_plan``) as a new array; ``k``: kernels or ops."""
    perm, rest, idx = plan
    flat = k.reshape(k.permute(x, perm), rest + (shape[perm[-2]] * shape[perm[-1]],))
    return k.getitem(flat, idx)


def put_diagonal(k: Any, g: Array, shape: tuple[int, ...], plan: tuple[Any, ...]) -> Array:
    """Zeros of ``shape`` with ``g`` on the diagonal ``plan`` names."""
    perm, rest, idx = plan
    n, m = shape[perm[-2]], shape[perm[-1]]
    z = k.index_grad(g, rest + (n * m,), idx, False)
    return k.permute(k.reshape(z, rest + (n, m)), _inverse(perm))


# fmt: off
class DiagonalBackward0(Node):
    """``diagonal(x, offset, dim1, dim2)``, a view: grad x = zeros with g on that diagonal."""
    op = "diagonal"
    replayable_view = True
    forward = staticmethod(lambda k, x, plan: take_diagonal(k, x, x.shape, plan))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        return (put_diagonal(ops, g, ctx.shapes[0], ctx.args[0]),)


class DiagonalCopy(DiagonalBackward0):
    """``diagonal`` where the backend cannot flatten the two dims without a copy: the same
    node (PyTorch's name), its result a copy."""
    replayable_view = False
    forward = staticmethod(lambda k, x, plan: k.copy(take_diagonal(k, x, x.shape, plan)))


DiagonalCopy.__name__ = DiagonalCopy.__qualname__ = "DiagonalBackward0"


class DiagEmbedBackward0(Node):
    """``diag_embed``/``diag`` of a vector: x's last dim on a diagonal of zeros of ``shape``;
    grad x = g's diagonal."""
    op = "diag_embed"
    forward = staticmethod(lambda k, x, shape, plan: put_diagonal(k, x, shape, plan))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        shape, plan = ctx.args
        return (take_diagonal(ops, g, shape, plan),)


class TraceBackward0(Node):
    """``trace(x) = sum_i x_ii``: grad x = g on the diagonal, zeros elsewhere."""
    op = "trace"

    @staticmethod
    def forward(k: Any, x: Array, plan: Any) -> Array:
        return k.sum(take_diagonal(k, x, x.shape, plan), None, False)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        shape, plan = ctx.shapes[0], ctx.args[0]
        n = min(shape)
        return (put_diagonal(ops, ops.broadcast_to(g, (n,)), shape, plan),)


class FlipBackward0(Node):
    """``flip(x, dims)``: the elements in reverse order along ``dims``; grad x = g flipped
    back."""
    op = "flip"
    forward = staticmethod(lambda k, x, idx: k.copy(k.getitem(x, idx)))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        return (ops.getitem(g, ctx.args[0]),)


class RollBackward0(Node):
    """``roll(x, shifts, dims)``: element i moves to i + shift (mod n); grad x = g rolled by
    -shift."""
    op = "roll"
    forward = staticmethod(lambda k, x, shifts, dims: _roll(k, x, shifts, dims))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        shifts, dims = ctx.args
        return (_roll(ops, g, tuple(-s for s in shifts), dims),)


class RepeatBackward0(Node):
    """``repeat(x, reps)``: x tiled ``reps`` times per dim; grad x = g summed over the
    copies."""
    op = "repeat"

    @staticmethod
    def forward(k: Any, x: Array, reps: tuple[int, ...]) -> Array:
        shape = (1,) * (len(reps) - len(x.shape)) + tuple(x.shape)
        spread = tuple(v for r, n in zip(reps, shape) for v in (1, n))
        tiled = k.broadcast_to(k.reshape(x, spread),
                               tuple(v for r, n in zip(reps, shape) for v in (r, n)))
        return k.reshape(tiled, tuple(r * n for r, n in zip(reps, shape)))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        reps, shape = ctx.args[0], ctx.shapes[0]
        full = (1,) * (len(reps) - len(shape)) + tuple(shape)
        split = ops.reshape(g, tuple(v for r, n in zip(reps, full) for v in (r, n)))
        return (ops.reshape(ops.sum(split, tuple(range(0, 2 * len(reps), 2)), False), shape),)


class UnbindBackward0(SelectBackward0):
    """One piece of ``unbind``: g written back into zeros at its index."""
    op = "unbind"
# fmt: on


def _roll(k: Any, x: Array, shifts: tuple[int, ...], dims: tuple[int, ...]) -> Array:
    """``x`` rolled (kernels or ops): a flattened roll when ``dims`` is empty."""
    if not dims:
        shape = tuple(x.shape)
        flat = k.reshape(x, (math.prod(shape),))
        return k.reshape(_roll(k, flat, shifts, (0,)), shape)
    for s, d in zip(shifts, dims):
        n = x.shape[d]
        s = s % n if n else 0
        if s:
            lead = (slice(None),) * d
            x = k.concat([k.getitem(x, (*lead, slice(n - s, n))),
                          k.getitem(x, (*lead, slice(0, n - s)))], d)  # fmt: skip
    return x


def _dims(dims: Any, ndim: int, op: str) -> tuple[int, ...]:
    ds = (dims,) if isinstance(dims, int) else tuple(dims)
    out = tuple(_dim(d, ndim, op) for d in ds)
    for d in out:
        if out.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return out


def flip(input: Tensor, dims: Any) -> Tensor:
    """The elements in reverse order along ``dims`` (a copy, as PyTorch)."""
    _check(input, "flip")
    ds = _dims(dims, input.ndim, "flip")
    idx = tuple(slice(None, None, -1) if d in ds else slice(None) for d in range(input.ndim))
    return unary(FlipBackward0, input, idx)


def fliplr(input: Tensor) -> Tensor:
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


def flipud(input: Tensor) -> Tensor:
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """Elements shifted along ``dims`` (around the end); without dims, of the flattened
    tensor."""
    _check(input, "roll")
    sh = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    ds = () if dims is None else (dims,) if isinstance(dims, int) else tuple(dims)
    if (ds and len(sh) != len(ds)) or (not ds and len(sh) != 1):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(sh)}, dims:{len(ds)}")
    ds = tuple(_dim(d, input.ndim, "roll") for d in ds)
    return unary(RollBackward0, input, tuple(int(s) for s in sh), ds)


def repeat(input: Tensor, *sizes: Any) -> Tensor:
    """``input`` tiled ``sizes[i]`` times along each dim (new leading dims where ``sizes``
    is longer)."""
    reps = _shape_arg(sizes)
    if len(reps) < input.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions "
            "of tensor"
        )
    if any(r < 0 for r in reps):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(reps)}")
    return unary(RepeatBackward0, input, reps)


def tile(input: Tensor, dims: Any) -> Tensor:
    """``repeat`` where ``dims`` may be shorter than the tensor's dims (ones in front)."""
    reps = _shape_arg((dims,) if isinstance(dims, int) else tuple(dims))
    return repeat(input, (1,) * (input.ndim - len(reps)) + reps)


def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:
    """The dims ``source`` moved to the places ``destination``, the others in order."""
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
            f"contain the same number of dims as destination ({list(dst)} dims)"
        )
    n = input.ndim
    s = _dims(src, n, "movedim")
    d = _dims(dst, n, "movedim")
    perm = [-1] * n
    for a, b in zip(s, d):
        perm[b] = a
    rest = iter(i for i in range(n) if i not in s)
    perm = [next(rest) if p == -1 else p for p in perm]
    return view(PermuteBackward0, input, tuple(perm))


moveaxis = movedim


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices along ``dim``, each without that dim."""
    _check(input, "unbind")
    d = _dim(dim, input.ndim, "unbind")
    lead = (slice(None),) * d
    return tuple(view(UnbindBackward0, input, (*lead, i), False) for i in range(input.shape[d]))


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal of dims ``dim1`` and ``dim2`` (``offset`` above it, below when negative),
    as the last dim of the result: a view of ``input`` where the backend can flatten the two
    dims into one without a copy (they are neighbours in memory: a matrix, contiguous or
    transposed, the last two dims of a contiguous batch), else a copy, which an in-place
    write does not reach ``input`` through (``clone`` a tensor to make it contiguous first)."""
    _check(input, "diagonal")
    d1, d2 = _dim(dim1, input.ndim, "diagonal"), _dim(dim2, input.ndim, "diagonal")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    k = input._backend.k
    # The same elements in the same order as the diagonal at -offset of (dim2, dim1): that
    # order flattens without a copy where the matrices are transposed.
    for plan in (_diag_plan(input.shape, offset, d1, d2), _diag_plan(input.shape, -offset, d2, d1)):
        perm, rest, idx = plan
        try:
            flat = k.reshape_view(
                k.permute(input._data, perm), rest + (input.shape[d1] * input.shape[d2],)
            )
            if flat is not None:
                return view_of(DiagonalBackward0, input, k.getitem(flat, idx), plan)
        except Exception as e:
            raise op_error(DiagonalBackward0, (input,), e) from e
    return unary(DiagonalCopy, input, plan)


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Zeros with ``input``'s last dim on the diagonal of dims ``dim1``, ``dim2`` of a result
    with one dim more."""
    _check(input, "diag_embed")
    nd = input.ndim + 1
    d1, d2 = _dim(dim1, nd, "diag_embed"), _dim(dim2, nd, "diag_embed")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = (input.shape[-1] if input.ndim else 1) + abs(offset)
    rest = iter(input.shape[:-1])
    shape = tuple(n if i in (d1, d2) else next(rest) for i in range(nd))
    return unary(DiagEmbedBackward0, input, shape, _diag_plan(shape, offset, d1, d2))


_diagonal = diagonal  # ``diag``'s parameter is named ``diagonal``, as PyTorch's


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A vector's square diagonal matrix, or a matrix's diagonal (at offset ``diagonal``)."""
    _check(input, "diag")
    if input.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if input.ndim == 2:
        return _diagonal(input, diagonal, 0, 1)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


def trace(input: Tensor) -> Tensor:
    """The sum of a matrix's diagonal (integers sum in int64)."""
    _check(input, "trace")
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    from . import _dtype as D

    x = input if input.dtype.is_floating_point else input.to(D.int64)
    return unary(TraceBackward0, x, _diag_plan(x.shape, 0, 0, 1))


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """``input[i] * vec2[j]``: the outer product of two vectors."""
    for name, v in (("self", input), ("vec2", vec2)):
        _check(v, "outer")
        if v.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v.ndim}-D")
    return P.mul(S.reshape(input, (-1, 1)), vec2)


ger = outer


def kron(input: Tensor, other: Tensor) -> Tensor:
    """The Kronecker product: each element of ``input`` times the whole of ``other``."""
    _check(input, "kron")
    _check(other, "kron")
    n = max(input.ndim, other.ndim)
    a = S.reshape(input, (1,) * (n - input.ndim) + input.shape)
    b = S.reshape(other, (1,) * (n - other.ndim) + other.shape)
    ia = tuple(v for s in a.shape for v in (s, 1))
    ib = tuple(v for s in b.shape for v in (1, s))
    out = P.mul(S.reshape(a, ia), S.reshape(b, ib))
    return S.reshape(out, tuple(x * y for x, y in zip(a.shape, b.shape)))


def tensordot(a: Tensor, b: Tensor, dims: Any = 2) -> Tensor:
    """Sums of products over ``dims`` (the last n of ``a`` with the first n of ``b``, or two
    lists of dims), by one ``matmul``."""
    _check(a, "tensordot")
    _check(b, "tensordot")
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
    da = [_dim(d, a.ndim, "tensordot") for d in da]
    db = [_dim(d, b.ndim, "tensordot") for d in db]
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    for x, y in zip(da, db):
        if a.shape[x] != b.shape[y]:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {a.shape[x]} in dim "
                f"{x} and second has size {b.shape[y]} in dim {y}"
            )
    fa = [d for d in range(a.ndim) if d not in da]
    fb = [d for d in range(b.ndim) if d not in db]
    k = math.prod(a.shape[d] for d in da)
    pa = S.reshape(
        S.permute(a, fa + da), (-1, k) if a.numel() else (math.prod(a.shape[d] for d in fa), k)
    )
    pb = S.reshape(S.permute(b, db + fb), (k, math.prod(b.shape[d] for d in fb)))
    from ._linalg import mm

    out = mm(pa, pb)
    return S.reshape(out, tuple(a.shape[d] for d in fa) + tuple(b.shape[d] for d in fb))


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids of 1-D tensors (``indexing="ij"``: matrix order, ``"xy"``: the first
    two swapped)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    ix = "ij" if indexing is None else indexing
    if ix not in ("ij", "xy"):
        raise RuntimeError(
            f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {ix}'
        )
    for t in tensors:
        _check(t, "meshgrid")
        if t.ndim > 1:
            raise RuntimeError(
                f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t.ndim}D"
            )
    ts = list(tensors)
    swap = ix == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    sizes = tuple(t.numel() for t in ts)
    n = len(ts)
    out = [
        S.expand(S.reshape(t, tuple(-1 if i == j else 1 for j in range(n))), *sizes)
        for i, t in enumerate(ts)
    ]
    if swap:
        out[0], out[1] = out[1], out[0]
    return tuple(out)


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """Every combination of the 1-D tensors' elements, one per row (as ``itertools.product``)."""
    if len(tensors) == 1:
        _check(tensors[0], "cartesian_prod")
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return S.stack([S.flatten(g) for g in grids], 1)


def repeat_interleave(
    input: Tensor, repeats: Any = None, dim: int | None = None, *, output_size: int | None = None
) -> Tensor:
    """Each element repeated ``repeats`` times (an int, or one count per element along
    ``dim``) in place; without ``dim``, of the flattened tensor."""
    _check(input, "repeat_interleave")
    x = S.flatten(input) if dim is None else input
    d = 0 if dim is None else _dim(dim, input.ndim, "repeat_interleave")
    if isinstance(repeats, Tensor) and repeats.numel() == 1 and repeats.ndim <= 1:
        repeats = int(repeats.item())
    if isinstance(repeats, int):
        if repeats < 0:
            raise RuntimeError("repeats can not be negative")
        shape = x.shape
        y = S.unsqueeze(x, d + 1)
        y = S.clone(S.expand(y, *shape[: d + 1], repeats, *shape[d + 1 :]))  # as PyTorch
        return S.reshape(y, shape[:d] + (shape[d] * repeats,) + shape[d + 1 :])
    counts = [int(c) for c in (repeats.tolist() if isinstance(repeats, Tensor) else repeats)]
    if len(counts) != x.shape[d]:
        raise RuntimeError("repeats must have the same size as input along dim")
    if any(c < 0 for c in counts):
        raise RuntimeError("repeats can not be negative")
    from ._indexing import getitem

    index = [i for i, c in enumerate(counts) for _ in range(c)]
    from ._creation import tensor

    idx = tensor(index, dtype=None, backend=input._backend) if index else None
    lead = (slice(None),) * d
    if idx is None:
        return getitem(x, (*lead, slice(0, 0)))
    return getitem(x, (*lead, idx))
