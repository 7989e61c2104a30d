"""``tp.linalg.lstsq``: the least-squares solution ``X = A^+ B`` with PyTorch's named tuple
(``solution``, ``residuals``, ``rank``, ``singular_values``) and ``driver`` rules.

``solution`` and ``residuals`` are one ``LinalgLstsqBackward0`` node each (PyTorch's one node
for both); ``rank`` and ``singular_values`` are integers and values without a gradient, as
PyTorch's. Every driver is computed through the singular value decomposition (the optional
``linalg_svd`` kernel), so results agree with PyTorch's wherever the problem has one answer
(full rank, or ``gelsy``/``gelsd``/``gelss``' minimum-norm answer otherwise).
"""

from __future__ import annotations

from typing import Any

from . import return_types as R
from ._contract import Array, KernelOps
from ._dispatch import _broadcast_message, broadcast_shape, broadcastable, nary
from ._graph import Node
from ._ops_matrix import _mT, _square
from ._ops_pinv import _EPS, LinalgPinvBackward0
from ._ops_spectral import svdvals
from ._tensor import Tensor

__all__ = ["lstsq"]

_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def _pinv(k: Any, a: Any, rtol: float) -> Any:
    return LinalgPinvBackward0.forward(k, a, 0.0, rtol, False)


# fmt: off
class LinalgLstsqBackward0(Node):
    """``X = A^+ B``, ``P = A^+``: grad B = P^T g, grad A = ``pinv``'s gradient for
    ``g B^T``."""
    op, float_only, save = "linalg.lstsq", True, (0, 1)

    @staticmethod
    def forward(k: Any, a: Any, b: Any, rtol: float, vector: bool = False) -> Any:
        if vector:  # B one vector: a matrix of one column
            x = k.matmul(_pinv(k, a, rtol), _column(k, b))
            return k.reshape(x, tuple(x.shape[:-1]))
        return k.matmul(_pinv(k, a, rtol), b)

    @staticmethod
    def backward(
        ctx: Node, ops: KernelOps, g: Array, a: Array, b: Array
    ) -> tuple[Array | None, Array | None]:
        rtol, vector = ctx.args
        if vector:
            g, b = _column(ops, g), _column(ops, b)
        p = _pinv(ops, a, rtol)
        na, nb = ctx.needs_input_grad
        gb = ops.matmul(_mT(ops, p), g) if nb else None
        if gb is not None and vector:
            gb = ops.reshape(gb, tuple(gb.shape[:-1]))
        if not na:
            return None, gb
        return LinalgPinvBackward0.backward(ctx, ops, ops.matmul(g, _mT(ops, b)), a, p)[0], gb


class LstsqResiduals(Node):
    """``r_j = |A X_j - B_j|^2`` for each column ``j`` at the optimum ``X``: with ``R = A X
    - B`` (the residual, orthogonal to ``A``'s columns): grad A = 2 R diag(g) X^T, grad B =
    -2 R diag(g)."""
    op, float_only, save = "linalg.lstsq", True, (0, 1)

    @staticmethod
    def forward(k: Any, a: Any, b: Any, rtol: float, empty: bool) -> Any:
        if empty:  # not computed (PyTorch's empty tensor, still an output of the node)
            return k.getitem(k.reshape(a, (-1,)), (slice(0, 0),))
        r = k.sub(k.matmul(a, LinalgLstsqBackward0.forward(k, a, b, rtol)), b)
        return k.sum(k.mul(r, r), (len(r.shape) - 2,), False)

    @staticmethod
    def backward(
        ctx: Node, ops: KernelOps, g: Array, a: Array, b: Array
    ) -> tuple[Array | None, Array | None]:
        (rtol, empty), (na, nb) = ctx.args, ctx.needs_input_grad
        if empty:
            return None, None
        x = LinalgLstsqBackward0.forward(ops, a, b, rtol)
        gr = ops.mul(ops.sub(ops.matmul(a, x), b), ops.mul(_row(ops, g), 2.0))
        return (ops.matmul(gr, _mT(ops, x)) if na else None, ops.neg(gr) if nb else None)


LstsqResiduals.__name__ = LstsqResiduals.__qualname__ = "LinalgLstsqBackward0"
# fmt: on


def _broadcast_batches(A: Tensor, B: Tensor) -> tuple[Tensor, Tensor, bool]:  # noqa: N803
    """``A`` and ``B`` expanded to their broadcast batch shape, and whether ``B`` is a
    (batch of) vector(s): one dim fewer than ``A``, as PyTorch's rule."""
    if B.ndim not in (A.ndim, A.ndim - 1):
        raise RuntimeError(
            "torch.linalg.lstsq: input.dim() must be greater or equal to other.dim() and "
            "(input.dim() - other.dim()) <= 1"
        )
    # PyTorch's vector case: B is A's shape without its last dim (or 1-d); another B of one
    # dim fewer still has its batch checked as a vector's, then its rows as a matrix's.
    vector = B.ndim == 1 or tuple(B.shape) == tuple(A.shape[:-1])
    tail = 1 if B.ndim == A.ndim - 1 else 2
    shapes = [list(A.shape[:-2]), list(B.shape[:-tail])]
    if not broadcastable(shapes):
        raise RuntimeError(_broadcast_message(shapes))
    if B.shape[-tail] != A.shape[-2] or (tail == 1 and not vector):
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    batch = broadcast_shape(*shapes)
    if list(A.shape[:-2]) != batch:
        A = A.expand(*batch, *A.shape[-2:])  # noqa: N806
    if list(B.shape[:-tail]) != batch:
        B = B.expand(*batch, *B.shape[B.ndim - tail :])  # noqa: N806
    return A, B, vector


def _column(ops: Any, v: Any) -> Any:
    return ops.reshape(v, tuple(v.shape) + (1,))


def _row(ops: KernelOps, v: Array) -> Array:
    return ops.reshape(v, tuple(v.shape[:-1]) + (1, v.shape[-1]))


def lstsq(
    A: Tensor,  # noqa: N803 - PyTorch's names
    B: Tensor,  # noqa: N803
    rcond: float | None = None,
    *,
    driver: str | None = None,
) -> R.linalg_lstsq:
    """``X`` minimising ``|A X - B|`` (the minimum-norm one where ``A`` is rank-deficient),
    singular values at or below ``rcond`` times the largest counting as zero (default
    ``eps * max(m, n)``). ``residuals``: the squared residual of each column, where ``m > n``,
    ``A`` has full rank and the driver is not ``gelsy`` (else empty); ``rank``: not for
    ``gels``; ``singular_values``: for ``gelsd`` and ``gelss`` only."""
    _square("lstsq", A, square=False)
    if not isinstance(B, Tensor):
        raise TypeError(f"linalg.lstsq(): argument 'B' must be Tensor, not {type(B).__name__}")
    driver = "gelsy" if driver is None else driver
    if driver not in _DRIVERS:
        raise RuntimeError(
            "torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)"
        )
    s = svdvals(A.detach())  # of A as given: rank and singular values keep its batch shape
    A, B, vector = _broadcast_batches(A, B)  # noqa: N806 - PyTorch's names
    b = B.unsqueeze(-1) if vector else B
    if B.dtype is not A.dtype:
        raise RuntimeError(
            f"torch.linalg.lstsq: Expected input and other to have the same dtype, but got "
            f"input's dtype {A.dtype.name} and other's dtype {B.dtype.name}"
        )
    m, n = A.shape[-2], A.shape[-1]
    rtol = float(rcond) if rcond is not None and rcond > 0 else _EPS[A.dtype] * max(m, n)
    keep = s > s[..., :1] * rtol
    rank = keep.sum(-1)
    solution = nary(LinalgLstsqBackward0, (A, B), rtol, vector)
    full = m > n and driver != "gelsy" and bool((rank == n).all())
    residuals = nary(LstsqResiduals, (A, b), rtol, not full)
    empty_rank = rank.new_empty((0,))
    return R.linalg_lstsq(
        (
            solution,
            residuals,
            empty_rank if driver == "gels" else rank,
            s if driver in ("gelsd", "gelss") else s.new_empty((0,)),
        )
    )
