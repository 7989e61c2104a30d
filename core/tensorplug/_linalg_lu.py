"""The LU decomposition with partial pivoting: ``tp.linalg.lu_factor``, ``lu`` and
``lu_solve``, composed of tensor ops (row gathers, products, ``solve_triangular``), so their
gradients, and gradients of gradients, are those of the ops (the pivot order a constant).

The factorization is Doolittle's elimination one column at a time (``min(m, n)`` steps,
each vectorised over the batch): the row of the largest ``|a|`` at or below the diagonal is
swapped up, the multipliers are stored below the diagonal, the rest is updated.
"""

# Composed of tensorplug's public ops and of Tensor methods bound at import (_methods),
# which the checker sees as Any:
# mypy: disable-error-code="no-any-return, attr-defined"

# PyTorch names the matrices A, LU and B (keyword arguments users pass by name):
# ruff: noqa: N803, N806

from __future__ import annotations

from typing import Any

from . import _dtype as D
from . import return_types as R
from ._tensor import Tensor


def _tp() -> Any:
    import tensorplug

    return tensorplug


def _check(op: str, a: Any) -> Tensor:
    if not isinstance(a, Tensor):
        raise TypeError(f"{op}(): argument 'A' (position 1) must be Tensor, not "
                        f"{type(a).__name__}")  # fmt: skip
    if a.ndim < 2:
        raise RuntimeError(f"torch.{op}: The input tensor A must have at least 2 dimensions.")
    if not a.dtype.is_floating_point or a.dtype is D.float16:
        name = {"int64": "Long", "int32": "Int", "bool": "Bool", "float16": "Half"}
        raise RuntimeError(f"\"lu_cpu\" not implemented for '{name.get(a.dtype.name)}'")
    return a


def _factor(a: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """``(LU, pivots, perm)``: the packed factors, LAPACK's 1-based int32 pivots, and the
    row order (int64) with ``A[perm] = L U``."""
    tp = _tp()
    m, n = a.shape[-2], a.shape[-1]
    batch = tuple(a.shape[:-2])
    be = a._backend
    rows = tp.arange(m, backend=be)
    perm = rows.expand(*batch, m)
    pivots = []
    lu = a
    for k in range(min(m, n)):
        with tp.no_grad():
            size = tp.where(rows >= k, lu[..., :, k].abs(), -1.0)
            p = size.argmax(-1, keepdim=True)  # (*batch, 1)
            swap = tp.where(rows == k, p, tp.where(rows == p, k, rows))
            perm = tp.gather(perm, -1, swap)
        pivots.append(p + 1)
        lu = tp.gather(lu, -2, swap.unsqueeze(-1).expand(*batch, m, n))
        if k + 1 >= m:
            continue
        pivot = lu[..., k : k + 1, k : k + 1]
        low = lu[..., k + 1 :, k : k + 1] / pivot
        rest = lu[..., k + 1 :, k + 1 :] - low * lu[..., k : k + 1, k + 1 :]
        lower = tp.cat([lu[..., k + 1 :, :k], low, rest], -1)
        lu = tp.cat([lu[..., : k + 1, :], lower], -2)
    piv = tp.cat(pivots, -1).to(D.int32) if pivots else tp.zeros(
        (*batch, 0), dtype=D.int32, backend=be)  # fmt: skip
    return lu, piv, perm


def lu_factor(A: Tensor, *, pivot: bool = True) -> R.linalg_lu_factor:
    """``(LU, pivots)``: L (unit diagonal, below) and U packed in one matrix, and the rows
    swapped at each step (1-based, as LAPACK's).

    >>> import tensorplug as tp
    >>> tp.linalg.lu_factor(tp.tensor([[1.0, 2.0], [3.0, 4.0]])).pivots.tolist()
    [2, 2]
    """
    a = _check("linalg.lu_factor", A)
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    lu, piv, _ = _factor(a)
    k = min(a.shape[-2], a.shape[-1])
    if k and bool((lu.diagonal(0, -2, -1) == 0).any()):
        raise RuntimeError("torch.linalg.lu_factor: U is singular (a zero on its diagonal) and "
                           "using it on lu_solve would result in a division by zero. If you "
                           "still want to perform the factorization, consider calling "
                           "linalg.lu(A, pivot)")  # fmt: skip
    return R.linalg_lu_factor((lu, piv))


def _unpack(tp: Any, lu: Tensor) -> tuple[Tensor, Tensor]:
    m, n = lu.shape[-2], lu.shape[-1]
    k = min(m, n)
    eye = tp.eye(m, k, dtype=lu.dtype, backend=lu._backend)
    low = tp.tril(lu[..., :, :k], -1) + eye
    up = tp.triu(lu[..., :k, :])
    return low, up


def lu(A: Tensor, *, pivot: bool = True) -> R.linalg_lu:
    """``(P, L, U)`` with ``A = P L U``: P a permutation, L unit lower triangular, U upper
    triangular (``m x n``: L is ``m x k``, U ``k x n``, ``k = min(m, n)``)."""
    tp = _tp()
    a = _check("linalg.lu", A)
    if not pivot:
        raise RuntimeError("linalg.lu: LU without pivoting is not implemented on the CPU")
    packed, _, perm = _factor(a)
    low, up = _unpack(tp, packed)
    m = a.shape[-2]
    eye = tp.eye(m, dtype=a.dtype, backend=a._backend)
    p = eye[perm].mT  # column i is the unit vector at perm[i]: (P L U)[perm[i]] = (L U)[i]
    return R.linalg_lu((p, low, up))


def _apply_pivots(tp: Any, b: Tensor, pivots: Tensor, inverse: bool) -> Tensor:
    """``B``'s rows swapped as the factorization swapped A's (``inverse``: undone)."""
    n = pivots.shape[-1]
    rows = tp.arange(b.shape[-2], backend=b._backend)
    batch = tuple(pivots.shape[:-1])
    order = range(n - 1, -1, -1) if inverse else range(n)
    for k in order:
        p = (pivots[..., k : k + 1] - 1).to(D.int64)
        swap = tp.where(rows == k, p, tp.where(rows == p, k, rows))
        full = swap.expand(*batch, b.shape[-2]) if batch else swap
        b = tp.gather(b, -2, full.unsqueeze(-1).expand(*full.shape, b.shape[-1]))
    return b


def lu_solve(LU: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True,
             adjoint: bool = False) -> Tensor:  # fmt: skip
    """``X`` with ``A X = B`` from ``lu_factor(A)`` (``adjoint``: ``A^T X = B``; ``left=False``:
    ``X A = B``)."""
    tp = _tp()
    from ._linalg_extra import solve_triangular

    if not left:  # X A = B  <=>  A^T X^T = B^T
        return lu_solve(LU, pivots, B.mT, adjoint=not adjoint).mT
    low, up = _unpack(tp, LU)
    if LU.ndim > B.ndim:  # one right-hand side for every matrix of the batch
        B = B.expand(*LU.shape[:-2], *B.shape[-2:])
    if adjoint:  # A^T = U^T L^T P^T
        y = solve_triangular(up.mT, B, upper=False)
        z = solve_triangular(low.mT, y, upper=True, unitriangular=True)
        return _apply_pivots(tp, z, pivots, True)
    pb = _apply_pivots(tp, B, pivots, False)
    y = solve_triangular(low, pb, upper=False, unitriangular=True)
    return solve_triangular(up, y, upper=True)
