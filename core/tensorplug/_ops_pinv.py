"""``tp.linalg.pinv``: the Moore-Penrose pseudo-inverse, one ``LinalgPinvBackward0`` node.

The forward is the singular value decomposition (the optional ``linalg_svd`` kernel), singular
values at or below ``max(atol, rtol * largest)`` taken as zero; the backward is PyTorch's
``pinv_backward``, products of the input, its pseudo-inverse and the gradient only (so
``create_graph=True`` records it again).
"""

from __future__ import annotations

from typing import Any

from . import _dtype as D
from ._contract import Array, KernelOps
from ._dispatch import broadcast_shape, unary
from ._graph import OUT, Node
from ._ops_matrix import _mT, _square
from ._ops_spectral import _scale_columns, _triangle
from ._tensor import Tensor

__all__ = ["pinv"]

_EPS = {D.float32: 1.1920928955078125e-07, D.float64: 2.220446049250313e-16}


# fmt: off
class LinalgPinvBackward0(Node):
    """``P = A^+`` (A m by n). For m <= n, with ``K = g^T P``: grad A = -(P K)^T + K P^T
    - A P K P^T + P^T P (g^T - K A); for m > n, with ``K = P g^T``: grad A = -(K P)^T
    + (g^T - A K) P P^T + P^T K - P^T K P A."""
    op, float_only, save = "linalg.pinv", True, (0, OUT)

    @staticmethod
    def forward(k: Any, a: Any, atol: Any, rtol: Any, hermitian: bool) -> Any:
        # atol, rtol: numbers, or arrays of A's batch shape with a trailing 1 (per matrix)
        u, s, vh = k.linalg_svd(_triangle(k, a, False) if hermitian else a, False)
        cutoff = k.maximum(k.mul(k.getitem(s, (..., slice(0, 1))), rtol), atol)
        keep = k.gt(s, cutoff)
        inv_s = k.where(keep, k.div(1.0, k.where(keep, s, 1.0)), 0.0)
        return k.matmul(_scale_columns(k, _mT(k, vh), inv_s), _mT(k, u))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, a: Array, p: Array) -> tuple[Array]:
        mm, pt, gt = ops.matmul, _mT(ops, p), _mT(ops, g)
        if a.shape[-2] <= a.shape[-1]:
            k = mm(gt, p)
            kpt = mm(k, pt)
            first = ops.add(ops.neg(_mT(ops, mm(p, k))), kpt)
            rest = ops.sub(mm(mm(pt, p), ops.sub(gt, mm(k, a))), mm(mm(a, p), kpt))
            return (ops.add(first, rest),)
        k = mm(p, gt)
        ptk = mm(pt, k)
        first = ops.add(ops.neg(_mT(ops, mm(k, p))), mm(mm(ops.sub(gt, mm(a, k)), p), pt))
        return (ops.add(first, ops.sub(ptk, mm(mm(ptk, p), a))),)
# fmt: on


def pinv(
    A: Tensor,  # noqa: N803 - PyTorch's name
    *,
    atol: float | None = None,
    rtol: float | None = None,
    hermitian: bool = False,
) -> Tensor:
    """The pseudo-inverse of each matrix of ``A``: singular values at or below
    ``max(atol, rtol * largest)`` count as zero (``rtol`` defaults to ``eps * max(m, n)``
    when neither is given, else to 0); ``hermitian``: ``A`` symmetric, read from its lower
    triangle."""
    _square("pinv", A, square=False)
    for name, tol in (("atol", atol), ("rtol", rtol)):
        number = isinstance(tol, (int, float)) and not isinstance(tol, bool)
        if tol is not None and not number and not isinstance(tol, Tensor):
            raise TypeError(
                f"linalg.pinv(): argument '{name}' must be a float or Tensor, not {tol!r}"
            )
    if hermitian and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"linalg.pinv(hermitian=True): A must be batches of square matrices, but they are "
            f"{A.shape[-2]} by {A.shape[-1]} matrices"
        )
    if isinstance(atol, Tensor) or isinstance(rtol, Tensor):
        A, tols = _per_matrix(A, atol, rtol)  # noqa: N806
        return unary(LinalgPinvBackward0, A, *tols, bool(hermitian))
    if rtol is None:
        rtol = _EPS[A.dtype] * max(A.shape[-2:]) if atol is None or atol <= 0 else 0.0
    return unary(LinalgPinvBackward0, A, float(atol or 0.0), float(rtol), bool(hermitian))


def _per_matrix(A: Tensor, atol: Any, rtol: Any) -> tuple[Tensor, tuple[Array, Array]]:  # noqa: N803
    """Tolerance tensors (each broadcast against ``A``'s batch shape, which may grow: ``A``
    is expanded to it) as arrays with a trailing 1; ``rtol`` unset is 0 where ``atol`` is
    positive, else ``eps * max(m, n)``, per matrix (PyTorch's rule)."""
    from ._creation import tensor
    from ._ops_pointwise import where

    def as_tensor(t: Any) -> Tensor:
        t = t if isinstance(t, Tensor) else tensor(0.0 if t is None else float(t),
                                                  dtype=A.dtype, backend=A._backend)  # fmt: skip
        out: Tensor = t if t.dtype is A.dtype else t.to(A.dtype)
        return out

    a = as_tensor(atol)
    r = (
        as_tensor(rtol)
        if rtol is not None
        else where(a > 0, 0.0, _EPS[A.dtype] * max(A.shape[-2:]))
    )
    batch = broadcast_shape(broadcast_shape(A.shape[:-2], a.shape), r.shape)
    if list(A.shape[:-2]) != batch:
        A = A.expand(*batch, *A.shape[-2:])  # noqa: N806
    arrays = tuple(t.expand(*batch).reshape(*batch, 1)._data for t in (a, r))
    return A, (arrays[0], arrays[1])
