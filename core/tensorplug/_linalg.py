"""Matrix products: ``matmul`` (1-D, 2-D, batched and broadcast operands), ``mm``, ``addmm``,
``bmm``, ``dot``."""

from __future__ import annotations

import math
from typing import Any

from . import _dtype as D
from ._contract import Array, KernelOps
from ._dispatch import binary, nary
from ._graph import Node
from ._tensor import Tensor


# fmt: off
class MmBackward0(Node):
    """``a @ b`` (any of 1-D, 2-D, batched, broadcast): grad a = g @ b^T, grad b = a^T @ g,
    reduced to each input's shape."""
    op, save = "matmul", (0, 1)
    saved_for = ((1,), (0,))
    kernel = "matmul"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, a: Array, b: Array) -> tuple[Array, Array]:
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
    def backward(
        ctx: Node, ops: KernelOps, g: Array, a: Array, b: Array
    ) -> tuple[Array, Array, Array]:
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


class SqueezeBackward4(MmBackward0):
    """``matmul`` of a vector and a matrix (PyTorch records the squeeze after an mm)."""
# fmt: on


def _swap(ops: KernelOps, x: Array) -> Array:
    n = len(x.shape)
    return ops.permute(x, tuple(range(n - 2)) + (n - 1, n - 2))


# -- functions ------------------------------------------------------------------------


def _one_dtype(op: str, *tensors: Tensor) -> None:
    """PyTorch's matrix products take operands of one dtype (they do not promote), and no
    bools."""
    d = tensors[0].dtype
    for t in tensors[1:]:
        if t.dtype is not d:
            raise RuntimeError(
                f"{op}(): expected the operands to have the same dtype, but got {d.name} and "
                f"{t.dtype.name}"
            )
    if d is D.bool_ and all(t.numel() for t in tensors):  # no kernel runs on no elements
        raise NotImplementedError(f"\"{op}\" not implemented for 'Bool'")


def _check_matmul_shapes(sa: tuple[int, ...], sb: tuple[int, ...]) -> None:
    """Refuse operands ``matmul`` cannot multiply with PyTorch's message for the path it
    takes (a dot, a matrix-vector or matrix product, a folded or a batched one), before any
    kernel runs: a library's own wording and exception type never reach the user."""
    a, b = len(sa), len(sb)
    ka, kb = sa[-1], sb[-2] if b > 1 else sb[0]
    mat = "x".join
    if a >= 3 and b <= 2:  # folded into one matrix product, as PyTorch does
        sa = (math.prod(sa[:-1]), ka)
        a = 2
    if a <= 2 and b <= 2:
        if ka == kb:
            return
        if a == b == 1:
            raise RuntimeError(
                f"inconsistent tensor size, expected tensor [{ka}] and src [{kb}] to have the "
                f"same number of elements, but got {ka} and {kb} elements respectively"
            )
        if b == 1:
            raise RuntimeError(
                f"size mismatch, got input ({sa[0]}), mat ({sa[0]}x{ka}), vec ({kb})"
            )
        rows = sa if a == 2 else (1, ka)
        raise RuntimeError(
            "mat1 and mat2 shapes cannot be multiplied "
            f"({mat(map(str, rows))} and {mat(map(str, sb))})"
        )
    ba, bb = list(sa[:-2]), list(sb[:-2])
    n = max(len(ba), len(bb))
    pa, pb = [1] * (n - len(ba)) + ba, [1] * (n - len(bb)) + bb
    for i in reversed(range(n)):
        if pa[i] != pb[i] and 1 not in (pa[i], pb[i]):
            raise RuntimeError(
                f"The size of tensor a ({pa[i]}) must match the size of tensor b ({pb[i]}) at "
                f"non-singleton dimension {i} (matmul of {list(sa)} and {list(sb)})"
            )
    if ka != kb:
        batch = math.prod(max(x, y) for x, y in zip(pa, pb, strict=True))
        raise RuntimeError(
            "Expected size for first two dimensions of batch2 tensor to be: "
            f"[{batch}, {ka}] but got: [{batch}, {kb}]."
        )


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with NumPy/PyTorch rules for 1-D, 2-D, batched and broadcast operands."""
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError("matmul(): both arguments must be Tensors")
    _one_dtype("matmul", input, other)
    sa, sb = input._data.shape, other._data.shape  # once: the shape properties copy
    a, b = len(sa), len(sb)
    if a == 0 or b == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {a}D and {b}D"
        )
    _check_matmul_shapes(tuple(sa), tuple(sb))
    cls = (
        DotBackward0
        if a == b == 1
        else MmBackward0
        if a == b == 2
        else MvBackward0
        if (a, b) == (2, 1)
        else SqueezeBackward4
        if (a, b) == (1, 2)
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
    _one_dtype("mm", input, mat2)
    try:
        return binary(MmBackward0, input, mat2)  # what matmul picks for two matrices
    except Exception:  # a backend refuses mismatched shapes with whatever it raises
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
    _one_dtype("addmm", input, mat1, mat2)
    if input.dtype is D.bool_ and mat1.shape[0] * mat2.shape[1]:  # beta, alpha are ints
        raise RuntimeError("result type Long can't be cast to the desired output type Bool")
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
    _one_dtype("bmm", input, mat2)
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
