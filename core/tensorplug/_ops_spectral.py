"""Spectral decompositions: ``tp.linalg``'s ``eigvalsh``, ``eigh``, ``svdvals``, with their
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

from typing import Any, NamedTuple

from ._contract import Array, KernelOps
from ._dispatch import unary
from ._graph import Node
from ._ops_matrix import _mT, _square
from ._tensor import Tensor

__all__ = ["Eigh", "eigh", "eigvalsh", "svdvals"]


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
# fmt: on


def _uplo(fn: str, UPLO: Any) -> bool:  # noqa: N803 - PyTorch's name
    if UPLO not in ("L", "U", "l", "u"):
        raise RuntimeError(f"linalg.{fn}: Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return UPLO in ("U", "u")


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:  # noqa: N803
    """The eigenvalues (ascending) of a symmetric matrix, read from its lower triangle
    (``UPLO='U'``: upper)."""
    _square("eigvalsh", A)
    return unary(LinalgEighBackward0, A, _uplo("eigvalsh", UPLO))


class Eigh(NamedTuple):
    """``eigh``'s result, as PyTorch's ``torch.return_types.linalg_eigh``."""

    eigenvalues: Tensor
    eigenvectors: Tensor


Eigh.__name__ = Eigh.__qualname__ = "linalg_eigh"
Eigh.__module__ = "tensorplug.return_types"


def eigh(A: Tensor, UPLO: str = "L") -> Eigh:  # noqa: N803
    """``(eigenvalues, eigenvectors)`` of a symmetric matrix (read from its lower triangle;
    ``UPLO='U'``: upper): ``A = V diag(w) V^T``, ``w`` ascending, ``V``'s columns
    orthonormal (each up to its sign)."""
    _square("eigh", A)
    upper = _uplo("eigh", UPLO)
    return Eigh(unary(LinalgEighBackward0, A, upper), unary(EighVectors, A, upper))


def svdvals(A: Tensor, *, driver: str | None = None) -> Tensor:  # noqa: N803
    """The singular values (descending) of each matrix of ``A``."""
    _square("svdvals", A, square=False)
    if driver is not None:
        raise RuntimeError(
            "torch.linalg.svd: keyword argument `driver=` is only supported on CUDA inputs "
            "with cuSOLVER backend."
        )
    return unary(LinalgSvdBackward0, A)
