"""``tp.linalg.qr``: ``A = Q R`` (``mode`` ``'reduced'``, ``'complete'`` or ``'r'``), ``Q``
and ``R`` one node each, both named as PyTorch's one ``LinalgQrBackward0``.

The kernel is optional (``linalg_qr``). Each node's backward is PyTorch's
``linalg_qr_backward`` with its own output's gradient alone (the formula is linear in
``gQ`` and ``gR``, so the two contributions sum to PyTorch's gradient), ``Q`` and ``R``
recomputed from the saved input with ``ops`` (double backward).
"""

from __future__ import annotations

from typing import Any

from . import return_types as R
from ._contract import Array, KernelOps
from ._dispatch import unary
from ._graph import Node
from ._ops_matrix import _mT, _square
from ._ops_spectral import _triangle
from ._tensor import Tensor

__all__ = ["qr"]

_MODES = ("reduced", "complete", "r")


# fmt: off
class LinalgQrBackward0(Node):
    """``R`` of ``A = Q R``: ``qr_grad`` with ``gR`` alone."""
    op, float_only, save = "linalg.qr", True, (0,)

    @staticmethod
    def forward(k: Any, a: Any, mode: str) -> Any:
        return k.linalg_qr(a, "reduced" if mode == "r" else mode)[1]

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, a: Array) -> tuple[Array]:
        return (qr_grad(ops, a, None, g, *ctx.args),)


class QrQ(Node):
    """``Q`` of ``A = Q R`` (an empty tensor for ``mode='r'``): ``qr_grad`` with ``gQ``."""
    op, float_only, save = "linalg.qr", True, (0,)

    @staticmethod
    def forward(k: Any, a: Any, mode: str) -> Any:
        if mode == "r":
            return k.getitem(k.reshape(a, (-1,)), (slice(0, 0),))
        return k.linalg_qr(a, mode)[0]

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, a: Array) -> tuple[Array]:
        return (qr_grad(ops, a, g, None, *ctx.args),)


QrQ.__name__ = QrQ.__qualname__ = "LinalgQrBackward0"
# fmt: on


def _solve_right(ops: KernelOps, b: Array, r: Array) -> Array:
    """``b R^-T`` for an invertible square ``R``."""
    return _mT(ops, ops.linalg_solve(r, _mT(ops, b)))


def qr_grad(ops: KernelOps, a: Array, gq: Array | None, gr: Array | None, mode: str) -> Array:
    """PyTorch's ``linalg_qr_backward`` (``gQ`` or ``gR`` None: zero). With ``copyltu(M)``
    the symmetric matrix of ``M``'s lower triangle, for m >= n: ``M = R gR^T - gQ^T Q``,
    grad A = (gQ + Q copyltu(M)) R^-T. For m < n, ``A = Q [X | Y]``: the same with ``X`` for
    ``R`` and ``gQ + A_Y gY^T`` for ``gQ``, beside ``Q gY`` for ``A``'s last n - m columns."""
    m, n = a.shape[-2], a.shape[-1]
    if mode == "r":
        raise RuntimeError(
            "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
            "Please use linalg.qr(A, mode='reduced') if you are going to differentiate "
            "through linalg.qr."
        )
    if mode == "complete" and m > n:
        raise RuntimeError(
            "The QR decomposition is not differentiable when mode='complete' and nrows > ncols."
        )
    q, r = ops.linalg_qr(a, "reduced")
    right = None
    if m < n:
        cols = (..., slice(0, m)), (..., slice(m, None))
        a_y = ops.getitem(a, cols[1])
        r = ops.getitem(r, cols[0])
        if gr is None:
            right = ops.mul(a_y, 0)
        else:
            gr, gy = ops.getitem(gr, cols[0]), ops.getitem(gr, cols[1])
            right = ops.matmul(q, gy)
            extra = ops.matmul(a_y, _mT(ops, gy))
            gq = extra if gq is None else ops.add(gq, extra)
    if gq is None:
        assert gr is not None
        b = ops.matmul(q, _triangle(ops, ops.matmul(r, _mT(ops, gr)), False))
    else:
        mm = ops.neg(ops.matmul(_mT(ops, gq), q))
        if gr is not None:
            mm = ops.add(ops.matmul(r, _mT(ops, gr)), mm)
        b = ops.add(gq, ops.matmul(q, _triangle(ops, mm, False)))
    ga = _solve_right(ops, b, r)
    return ga if right is None else ops.concat((ga, right), -1)


def qr(A: Tensor, mode: str = "reduced") -> R.linalg_qr:  # noqa: N803 - PyTorch's name
    """``(Q, R)`` with ``A = Q R``, ``Q``'s columns orthonormal and ``R`` upper triangular:
    ``mode='reduced'`` ``k = min(m, n)`` columns of ``Q``, ``'complete'`` all ``m``, ``'r'``
    ``R`` alone (``Q`` empty)."""
    _square("qr", A, square=False)
    if mode not in _MODES:
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
            "'r', or 'complete'"
        )
    return R.linalg_qr((unary(QrQ, A, mode), unary(LinalgQrBackward0, A, mode)))
