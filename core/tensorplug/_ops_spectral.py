"""Spectral decompositions: ``tp.linalg``'s ``eigvalsh``, ``eigh``, ``svd``, ``svdvals``, with their
backwards beside them.

The kernels are optional (``_contract.OptionalOps``: ``linalg_eigh``, ``linalg_svd``). The
graph has one output per node, so a decomposition of several outputs is one node per output,
each named as PyTorch's one node (``LinalgEighBackward0`` for the eigenvalues and for the
eigenvectors). Their backward formulas are linear in the output gradients, so the per-output
contributions sum to PyTorch's gradient. A backward that needs the other outputs (the
eigenvectors for the eigenvalues' gradient) recomputes the decomposition from the saved input
with ``ops``, so ``create_graph=True`` records it again (double backward) and the graph of each
output keeps PyTorch's shape (its one input the matrix).
"""

from __future__ import annotations

from typing import Any

from . import return_types as R
from ._contract import Array, KernelOps
from ._dispatch import unary
from ._graph import Node
from ._ops_matrix import _mT, _square
from ._tensor import Tensor

__all__ = ["eigh", "eigvalsh", "svd", "svdvals"]


def _triangle(k: Any, a: Any, upper: bool) -> Any:
    """The symmetric matrix of ``a``'s lower (``upper``: upper) triangle, as LAPACK reads it."""
    n = a.shape[-1]
    rows, cols = k.iota(n, (n, 1), a), k.iota(n, (1, n), a)
    return k.where((k.le if upper else k.ge)(rows, cols), a, _mT(k, a))


def _eigh(k: Any, a: Any, upper: bool) -> Any:
    """``(w, V)`` of the symmetric matrix of ``a``'s triangle."""
    return k.linalg_eigh(_triangle(k, a, upper))


def _scale_columns(ops: KernelOps, m: Array, d: Array) -> Array:
    """``m diag(d)``: each column ``j`` of ``m`` times ``d[..., j]``."""
    return ops.mul(m, ops.reshape(d, tuple(d.shape[:-1]) + (1, d.shape[-1])))


# fmt: off
class LinalgEighBackward0(Node):
    """``w`` of ``A = V diag(w) V^T`` (``A`` symmetric): grad A = V diag(g) V^T."""
    op, float_only, save = "linalg.eigh", True, (0,)

    @staticmethod
    def forward(k: Any, a: Any, upper: bool) -> Any:
        return _eigh(k, a, upper)[0]

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, a: Array) -> tuple[Array]:
        v = _eigh(ops, a, *ctx.args)[1]
        return (ops.matmul(_scale_columns(ops, v, g), _mT(ops, v)),)


class EighVectors(Node):
    """``V`` of ``A = V diag(w) V^T``. With ``E_ij = w_j - w_i`` and ``K`` the skew part of
    ``V^T g`` divided by ``E`` off the diagonal (0 on it): grad A = V K V^T (infinite where
    eigenvalues repeat, as PyTorch's)."""
    op, float_only, save = "linalg.eigh", True, (0,)

    forward = staticmethod(lambda k, a, upper: _eigh(k, a, upper)[1])

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, a: Array) -> tuple[Array]:
        w, v = _eigh(ops, a, *ctx.args)
        vg = ops.matmul(_mT(ops, v), g)
        skew = ops.mul(ops.sub(vg, _mT(ops, vg)), 0.5)
        n = w.shape[-1]
        gap = ops.sub(ops.reshape(w, tuple(w.shape[:-1]) + (1, n)),
                      ops.reshape(w, tuple(w.shape) + (1,)))
        diagonal = ops.eq(ops.iota(n, (n, 1), w), ops.iota(n, (1, n), w))
        k = ops.where(diagonal, 0, ops.div(skew, ops.where(diagonal, 1, gap)))
        return (ops.matmul(ops.matmul(v, k), _mT(ops, v)),)


EighVectors.__name__ = EighVectors.__qualname__ = "LinalgEighBackward0"


class LinalgSvdBackward0(Node):
    """``S`` of ``A = U diag(S) V^T``: grad A = U diag(g) V^T (reduced ``U``, ``V``)."""
    op, float_only, save = "linalg.svd", True, (0,)

    @staticmethod
    def forward(k: Any, a: Any) -> Any:
        return k.linalg_svd(a, False)[1]

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, a: Array) -> tuple[Array]:
        u, _, vh = ops.linalg_svd(a, False)
        return (ops.matmul(_scale_columns(ops, u, g), vh),)


class SvdU(Node):
    """``U`` of ``A = U diag(S) V^T`` (``A`` m by n, ``k = min(m, n)``): ``svd_grad``
    with ``gU`` alone (its first ``k`` columns where ``full_matrices``)."""
    op, float_only, save = "linalg.svd", True, (0,)
    forward = staticmethod(lambda k, a, full: k.linalg_svd(a, full)[0])

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, a: Array) -> tuple[Array]:
        n = min(a.shape[-2:])
        return (svd_grad(ops, a, ops.getitem(g, (..., slice(0, n))), None),)


class SvdVh(Node):
    """``V^T`` of ``A = U diag(S) V^T``: ``svd_grad`` with ``gVh`` alone (its first ``k``
    rows where ``full_matrices``)."""
    op, float_only, save = "linalg.svd", True, (0,)
    forward = staticmethod(lambda k, a, full: k.linalg_svd(a, full)[2])

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, a: Array) -> tuple[Array]:
        n = min(a.shape[-2:])
        return (svd_grad(ops, a, None, ops.getitem(g, (..., slice(0, n), slice(None)))),)


SvdU.__name__ = SvdU.__qualname__ = SvdVh.__name__ = SvdVh.__qualname__ = "LinalgSvdBackward0"
# fmt: on


def svd_grad(ops: KernelOps, a: Array, gu: Array | None, gvh: Array | None) -> Array:
    """PyTorch's ``svd_backward`` for one of ``gU``, ``gVh`` (reduced ``U``, ``S``, ``Vh``
    recomputed from ``a``). With ``E_ij = S_j^2 - S_i^2`` (1 on the diagonal) and ``skew(M) =
    M - M^T``: ``X = skew(U^T gU) S / E`` or ``S skew(Vh gVh^T) / E``; grad A = U X Vh, plus,
    where ``U`` (m > n) or ``Vh`` (m < n) is not square, the part of ``gU S^-1`` outside
    ``U``'s columns (``(I - U U^T) gU S^-1 Vh``), or of ``S^-1 gVh`` outside ``Vh``'s rows."""
    u, s, vh = ops.linalg_svd(a, False)
    m, n = a.shape[-2], a.shape[-1]
    k = s.shape[-1]
    row, col = ops.reshape(s, tuple(s.shape) + (1,)), ops.reshape(s, tuple(s.shape[:-1]) + (1, k))
    diagonal = ops.eq(ops.iota(k, (k, 1), s), ops.iota(k, (1, k), s))
    e = ops.where(diagonal, 1, ops.sub(ops.mul(col, col), ops.mul(row, row)))
    if gu is not None:
        ug = ops.matmul(_mT(ops, u), gu)
        x = ops.div(ops.mul(ops.sub(ug, _mT(ops, ug)), col), e)
        if m > n:
            gus = ops.div(gu, col)
            outside = ops.sub(gus, ops.matmul(u, ops.matmul(_mT(ops, u), gus)))
            return ops.matmul(ops.add(ops.matmul(u, x), outside), vh)
    else:
        assert gvh is not None
        vg = ops.matmul(vh, _mT(ops, gvh))
        x = ops.div(ops.mul(row, ops.sub(vg, _mT(ops, vg))), e)
        if m < n:
            sgv = ops.div(gvh, row)
            outside = ops.sub(sgv, ops.matmul(ops.matmul(sgv, _mT(ops, vh)), vh))
            return ops.matmul(u, ops.add(ops.matmul(x, vh), outside))
    return ops.matmul(ops.matmul(u, x), vh)


def _uplo(fn: str, UPLO: Any) -> bool:  # noqa: N803 - PyTorch's name
    if UPLO not in ("L", "U", "l", "u"):
        raise RuntimeError(f"linalg.{fn}: Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return UPLO in ("U", "u")


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:  # noqa: N803
    """The eigenvalues (ascending) of a symmetric matrix, read from its lower triangle
    (``UPLO='U'``: upper)."""
    _square("eigvalsh", A)
    return unary(LinalgEighBackward0, A, _uplo("eigvalsh", UPLO))


def eigh(A: Tensor, UPLO: str = "L") -> R.linalg_eigh:  # noqa: N803
    """``(eigenvalues, eigenvectors)`` of a symmetric matrix (read from its lower triangle;
    ``UPLO='U'``: upper): ``A = V diag(w) V^T``, ``w`` ascending, ``V``'s columns
    orthonormal (each up to its sign)."""
    _square("eigh", A)
    upper = _uplo("eigh", UPLO)
    return R.linalg_eigh((unary(LinalgEighBackward0, A, upper), unary(EighVectors, A, upper)))


def _no_driver(driver: str | None) -> None:
    if driver is not None:
        raise RuntimeError(
            "torch.linalg.svd: keyword argument `driver=` is only supported on CUDA inputs "
            "with cuSOLVER backend."
        )


def svd(A: Tensor, full_matrices: bool = True, *, driver: str | None = None) -> R.linalg_svd:  # noqa: N803
    """``(U, S, Vh)`` with ``A = U diag(S) Vh``, ``S`` descending, ``U``'s columns and
    ``Vh``'s rows orthonormal (each pair up to its sign); ``full_matrices=False``: ``U`` and
    ``Vh`` reduced to ``min(m, n)`` columns / rows."""
    _square("svd", A, square=False)
    _no_driver(driver)
    full = bool(full_matrices)
    return R.linalg_svd((unary(SvdU, A, full), unary(LinalgSvdBackward0, A), unary(SvdVh, A, full)))


def svdvals(A: Tensor, *, driver: str | None = None) -> Tensor:  # noqa: N803
    """The singular values (descending) of each matrix of ``A``."""
    _square("svdvals", A, square=False)
    _no_driver(driver)
    return unary(LinalgSvdBackward0, A)
