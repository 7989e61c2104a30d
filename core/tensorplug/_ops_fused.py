"""Fused multiply-adds: ``addcmul``, ``addcdiv``, ``lerp``, ``addmv``, ``baddbmm`` (one node
each, as PyTorch records them), and their in-place forms."""

from __future__ import annotations

from typing import Any

from ._contract import Array, KernelOps
from ._dispatch import nary
from ._graph import Node
from ._inplace import inplace
from ._tensor import Tensor


def _scaled(ops: KernelOps, g: Array, c: Any) -> Array:
    return g if c == 1 else ops.mul(g, c)


# fmt: off
class AddcmulBackward0(Node):
    """``input + value * t1 * t2``: grad input = g, grad t1 = value g t2, grad t2 =
    value g t1 (each summed to its input's shape)."""
    op, save, broadcasts = "addcmul", (1, 2), True
    forward = staticmethod(lambda k, x, a, b, value: k.add(x, k.mul(k.mul(a, b), value)))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, a: Array, b: Array) -> tuple[Any, ...]:
        (value,), (sx, sa, sb), (nx, na, nb) = ctx.args, ctx.shapes, ctx.needs_input_grad
        gv = _scaled(ops, g, value)
        return (ops.sum_to(g, sx) if nx else None,
                ops.sum_to(ops.mul(gv, b), sa) if na else None,
                ops.sum_to(ops.mul(gv, a), sb) if nb else None)


class AddcdivBackward0(Node):
    """``input + value * t1 / t2``: grad input = g, grad t1 = value g / t2, grad t2 =
    -value g t1 / t2^2."""
    op, save, broadcasts, float_only = "addcdiv", (1, 2), True, True
    forward = staticmethod(lambda k, x, a, b, value: k.add(x, k.mul(k.div(a, b), value)))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, a: Array, b: Array) -> tuple[Any, ...]:
        (value,), (sx, sa, sb), (nx, na, nb) = ctx.args, ctx.shapes, ctx.needs_input_grad
        gv = ops.div(_scaled(ops, g, value), b)
        return (ops.sum_to(g, sx) if nx else None,
                ops.sum_to(gv, sa) if na else None,
                ops.sum_to(ops.neg(ops.div(ops.mul(gv, a), b)), sb) if nb else None)


class LerpBackward0(Node):
    """``start + w (end - start)``, a number ``w``: grad start = (1 - w) g, grad end = w g."""
    op, broadcasts, float_only = "lerp", True, True
    forward = staticmethod(lambda k, s, e, w: k.add(s, k.mul(k.sub(e, s), w)))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Any, ...]:
        (w,), (ss, se), (ns, ne) = ctx.args, ctx.shapes, ctx.needs_input_grad
        return (ops.sum_to(ops.mul(g, 1 - w), ss) if ns else None,
                ops.sum_to(ops.mul(g, w), se) if ne else None)


class LerpBackward1(Node):
    """``start + w (end - start)``, a tensor ``w``: grad start = (1 - w) g, grad end = w g,
    grad w = (end - start) g."""
    op, save, broadcasts, float_only = "lerp", (0, 1, 2), True, True
    forward = staticmethod(lambda k, s, e, w: k.add(s, k.mul(k.sub(e, s), w)))

    @staticmethod
    def backward(
        ctx: Node, ops: KernelOps, g: Array, s: Array, e: Array, w: Array
    ) -> tuple[Any, ...]:
        (ss, se, sw), (ns, ne, nw) = ctx.shapes, ctx.needs_input_grad
        return (ops.sum_to(ops.mul(g, ops.sub(1, w)), ss) if ns else None,
                ops.sum_to(ops.mul(g, w), se) if ne else None,
                ops.sum_to(ops.mul(g, ops.sub(e, s)), sw) if nw else None)


class AddmvBackward0(Node):
    """``beta input + alpha mat @ vec``: grad input = beta g, grad mat = alpha g vec^T,
    grad vec = alpha mat^T g."""
    op, save = "addmv", (1, 2)

    @staticmethod
    def forward(k: Any, c: Array, m: Array, v: Array, beta: Any, alpha: Any) -> Array:
        p = k.mul(k.matmul(m, v), alpha) if alpha != 1 else k.matmul(m, v)
        return p if beta == 0 else k.add(p, c if beta == 1 else k.mul(c, beta))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, m: Array, v: Array) -> tuple[Any, ...]:
        (beta, alpha), (sc, sm, sv), (nc, nm, nv) = ctx.args, ctx.shapes, ctx.needs_input_grad
        ga = _scaled(ops, g, alpha)
        return (ops.sum_to(_scaled(ops, g, beta), sc) if nc else None,
                ops.matmul(ops.reshape(ga, (sm[0], 1)), ops.reshape(v, (1, sv[0]))) if nm else None,
                ops.matmul(ops.permute(m, (1, 0)), ga) if nv else None)


class BaddbmmBackward0(Node):
    """``beta input + alpha b1 @ b2`` of batches: grad input = beta g, grad b1 =
    alpha g b2^T, grad b2 = alpha b1^T g."""
    op, save = "baddbmm", (1, 2)
    forward = staticmethod(AddmvBackward0.forward)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, a: Array, b: Array) -> tuple[Any, ...]:
        (beta, alpha), (sc, _, _), (nc, na, nb) = ctx.args, ctx.shapes, ctx.needs_input_grad
        ga = _scaled(ops, g, alpha)
        return (ops.sum_to(_scaled(ops, g, beta), sc) if nc else None,
                ops.matmul(ga, ops.permute(b, (0, 2, 1))) if na else None,
                ops.matmul(ops.permute(a, (0, 2, 1)), ga) if nb else None)
# fmt: on


def _tensors(op: str, *ts: Any) -> None:
    for t in ts:
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): expected Tensors, got {type(t).__name__}")


def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: float = 1) -> Tensor:
    """``input + value * tensor1 * tensor2``, broadcasting."""
    _tensors("addcmul", input, tensor1, tensor2)
    return nary(AddcmulBackward0, (input, tensor1, tensor2), value)


def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: float = 1) -> Tensor:
    """``input + value * tensor1 / tensor2``, broadcasting (floating point only)."""
    _tensors("addcdiv", input, tensor1, tensor2)
    if not tensor1.dtype.is_floating_point and not tensor2.dtype.is_floating_point:
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future release "
            "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
            "behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2))"
            ".to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for "
            "float inputs. The future addcdiv behavior is just the latter implementation: "
            "(input + value * tensor1 / tensor2), for all dtypes."
        )
    return nary(AddcdivBackward0, (input, tensor1, tensor2), value)


def lerp(input: Tensor, end: Tensor, weight: Any) -> Tensor:
    """``input + weight * (end - input)``; ``weight`` a number or a tensor."""
    _tensors("lerp", input, end)
    if isinstance(weight, Tensor):
        return nary(LerpBackward1, (input, end, weight))
    return nary(LerpBackward0, (input, end), float(weight))


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: float = 1, alpha: float = 1) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``."""
    _check_addmv(input, mat, vec)
    return nary(AddmvBackward0, (input, mat, vec), beta, alpha)


def _check_addmv(input: Tensor, mat: Tensor, vec: Tensor) -> None:
    _tensors("addmv", input, mat, vec)
    if mat.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(
            f"vector + matrix @ vector expected, got {input.ndim}, {mat.ndim}, {vec.ndim}"
        )
    if mat.shape[1] != vec.shape[0]:
        raise RuntimeError(
            f"size mismatch, got input ({input.shape[0] if input.ndim else 1}), mat "
            f"({mat.shape[0]}x{mat.shape[1]}), vec ({vec.shape[0]})"
        )


def baddbmm(
    input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: float = 1, alpha: float = 1
) -> Tensor:
    """``beta * input + alpha * (batch1 @ batch2)`` for 3-D batches."""
    _check_baddbmm(input, batch1, batch2)
    return nary(BaddbmmBackward0, (input, batch1, batch2), beta, alpha)


def _check_baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor) -> None:
    _tensors("baddbmm", input, batch1, batch2)
    if batch1.ndim != 3 or batch2.ndim != 3:
        raise RuntimeError(
            f"batch1 must be a 3D tensor (got {batch1.ndim}D) and batch2 must be a 3D "
            f"tensor (got {batch2.ndim}D)"
        )
    if batch1.shape[0] != batch2.shape[0] or batch1.shape[2] != batch2.shape[1]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{batch1.shape[0]}, {batch1.shape[2]}] but got: [{batch2.shape[0]}, "
            f"{batch2.shape[1]}]."
        )


def addcmul_(self: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: float = 1) -> Tensor:
    return inplace(AddcmulBackward0, self, tensor1, tensor2, args=(value,))


def addcdiv_(self: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: float = 1) -> Tensor:
    return inplace(AddcdivBackward0, self, tensor1, tensor2, args=(value,))


def lerp_(self: Tensor, end: Tensor, weight: Any) -> Tensor:
    if isinstance(weight, Tensor):
        return inplace(LerpBackward1, self, end, weight)
    return inplace(LerpBackward0, self, end, args=(float(weight),))


def addmv_(self: Tensor, mat: Tensor, vec: Tensor, *, beta: float = 1, alpha: float = 1) -> Tensor:
    _check_addmv(self, mat, vec)
    return inplace(AddmvBackward0, self, mat, vec, args=(beta, alpha))


def baddbmm_(
    self: Tensor, batch1: Tensor, batch2: Tensor, *, beta: float = 1, alpha: float = 1
) -> Tensor:
    _check_baddbmm(self, batch1, batch2)
    return inplace(BaddbmmBackward0, self, batch1, batch2, args=(beta, alpha))
