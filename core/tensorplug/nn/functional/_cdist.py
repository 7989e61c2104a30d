"""``tensorplug.cdist``: the p-norm distance between each row of ``x1`` and each row of
``x2`` (batched, the batch dims broadcast), as PyTorch's ``torch.cdist``."""

from __future__ import annotations

import math
from typing import Any

from ..._contract import Array, KernelOps
from ..._dispatch import nary
from ..._graph import OUT, Node
from ..._tensor import Tensor

__all__ = ["cdist"]


def _diff(ops: Any, a: Array, b: Array, sa: tuple[int, ...], sb: tuple[int, ...]) -> Array:
    """``a[..., i, None, :] - b[..., None, j, :]``: ``(..., P, R, M)``."""
    return ops.sub(ops.reshape(a, (*sa[:-1], 1, sa[-1])),
                   ops.reshape(b, (*sb[:-2], 1, *sb[-2:])))  # fmt: skip


# fmt: off
class CdistBackward0(Node):
    """``out[..., i, j] = ||x1[..., i, :] - x2[..., j, :]||_p``. With ``d = x1_i - x2_j``:
    grad d = g * d |d|^(p-2) / out^(p-1) (0 where out is 0; p = 1: g sign d; p = inf:
    g sign d where |d| is the largest; p = 0: 0); grad x1 = its sum over j, grad x2 = minus
    its sum over i, each summed to its input's batch shape."""
    op, float_only, broadcasts, save = "cdist", True, False, (0, 1, OUT)

    @staticmethod
    def forward(k: Any, x1: Array, x2: Array, p: float) -> Array:
        d = k.abs(_diff(k, x1, x2, tuple(x1.shape), tuple(x2.shape)))
        axes = (len(d.shape) - 1,)
        if p == math.inf:
            return k.amax(d, axes, False)
        if p == 0:
            return k.sum(k.astype(k.ne(d, 0), k.dtype_of(x1)), axes, False)
        if p == 1:
            return k.sum(d, axes, False)
        return k.pow(k.sum(k.pow(d, p), axes, False), 1.0 / p)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x1: Array, x2: Array, out: Array
                 ) -> tuple[Array | None, Array | None]:
        p = ctx.args[0]
        s1, s2 = ctx.shapes[0], ctx.shapes[1]
        d = _diff(ops, x1, x2, s1, s2)
        o = ops.reshape(out, (*_shape(ops, out), 1))
        gd = ops.reshape(g, (*_shape(ops, g), 1))
        if p == 0:
            gd = ops.mul(ops.mul(d, 0.0), gd)
        elif p == 1:
            gd = ops.mul(gd, ops.sign(d))
        elif p == math.inf:
            gd = ops.where(ops.eq(ops.abs(d), o), ops.mul(gd, ops.sign(d)), 0.0)
        else:
            scale = d
            if p != 2:  # d |d|^(p-2), 0 where d is 0 (below p = 2 the power is inf there)
                scale = ops.where(ops.eq(d, 0.0), 0.0, ops.mul(d, ops.pow(ops.abs(d), p - 2.0)))
            gd = ops.where(ops.eq(o, 0.0), 0.0,
                           ops.div(ops.mul(gd, scale), ops.pow(o, p - 1.0) if p != 2 else o))
        nd = len(_shape(ops, gd))
        g1 = ops.sum_to(ops.sum(gd, (nd - 2,), False), s1) if ctx.needs_input_grad[0] else None
        g2 = (ops.sum_to(ops.neg(ops.sum(gd, (nd - 3,), False)), s2)
              if ctx.needs_input_grad[1] else None)
        return g1, g2
# fmt: on


def _shape(ops: Any, a: Any) -> tuple[int, ...]:
    return tuple(a.shape)


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode: Any = None) -> Tensor:
    """``||x1[..., i, :] - x2[..., j, :]||_p`` for every row pair: ``(..., P, M)`` and
    ``(..., R, M)`` give ``(..., P, R)``, the batch dims broadcast (``compute_mode`` is
    accepted and ignored: one exact method).

    Example:
        >>> import tensorplug as tp
        >>> tp.cdist(tp.tensor([[0.0, 0.0]]), tp.tensor([[3.0, 4.0], [0.0, 1.0]])).tolist()
        [[5.0, 1.0]]
    """
    for name, x in (("X1", x1), ("X2", x2)):
        if not isinstance(x, Tensor):
            raise TypeError(f"cdist(): argument '{name.lower()}' must be Tensor")
        if x.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {x.ndim}D")
        if not x.dtype.is_floating_point:
            kind = {"int32": "Int", "int64": "Long", "bool": "Bool"}.get(x.dtype.name, x.dtype.name)
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: {kind}")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(
            f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}"
        )
    if not isinstance(p, (int, float)) or isinstance(p, bool) or p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    return nary(CdistBackward0, (x1, x2), float(p))
