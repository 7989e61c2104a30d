"""``tensorplug.linalg``: PyTorch's ``torch.linalg`` names.

The matrix functions (``inv``, ``solve``, ``cholesky``, ``det``, ``slogdet``, ``cross``) are
one node each in ``_ops_matrix``; the norms here are compositions of reductions, recorded as
PyTorch records them (``vector_norm`` one ``LinalgVectorNormBackward0``, ``matrix_norm(ord=1)``
a sum and an ``amax``).
"""

from __future__ import annotations

import math
from typing import Any

from . import _dtype as D
from ._dispatch import unary
from ._linalg import matmul
from ._linalg_extra import (
    cholesky_ex,
    cond,
    diagonal,
    inv_ex,
    matrix_exp,
    matrix_power,
    matrix_rank,
    multi_dot,
    solve_ex,
    solve_triangular,
    tensorinv,
    tensorsolve,
    vander,
    vecdot,
)  # fmt: skip
from ._linalg_lu import lu, lu_factor, lu_solve
from ._ops_lstsq import lstsq
from ._ops_matrix import LinAlgError, cholesky, cross, det, inv, logdet, slogdet, solve
from ._ops_pinv import pinv
from ._ops_qr import qr
from ._ops_reduce import LinalgVectorNormBackward0, amax, amin, dims_of, sum
from ._ops_spectral import eigh, eigvalsh, svd, svdvals
from ._tensor import Tensor

__all__ = [
    "LinAlgError",
    "cholesky",
    "cross",
    "det",
    "eigh",
    "eigvalsh",
    "inv",
    "logdet",
    "lstsq",
    "matmul",
    "matrix_norm",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "svd",
    "svdvals",
    "vector_norm",
    # issue 16 (wt-h16math): composed in _linalg_extra
    "cholesky_ex",
    "cond",
    "diagonal",
    "inv_ex",
    "matrix_exp",
    "matrix_power",
    "matrix_rank",
    "multi_dot",
    "solve_ex",
    "solve_triangular",
    "tensorinv",
    "tensorsolve",
    "vander",
    "vecdot",
    "lu_factor",
    "lu",
    "lu_solve",
]


def _float_input(fn: str, x: Any, dtype: D.dtype | None) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"linalg.{fn}(): argument 'x' must be Tensor, not {type(x).__name__}")
    if dtype is not None:
        x = x.to(dtype)
    assert isinstance(x, Tensor)
    if not x.dtype.is_floating_point:
        raise RuntimeError(
            f"linalg.{fn}: Expected a floating point or complex tensor as input. Got {x.dtype.name}"
        )
    return x


def vector_norm(
    x: Tensor,
    ord: float = 2,
    dim: int | tuple[int, ...] | None = None,
    keepdim: bool = False,
    *,
    dtype: D.dtype | None = None,
) -> Tensor:
    """``(sum |x|^ord)^(1/ord)`` over ``dim`` (all dims by default): ``ord`` inf is the
    largest ``|x|``, -inf the smallest, 0 the number of nonzeros."""
    x = _float_input("vector_norm", x, dtype)
    if not isinstance(ord, (int, float)) or isinstance(ord, bool):
        raise TypeError(f"linalg.vector_norm(): argument 'ord' must be a number, not {ord!r}")
    axes = dims_of(dim, x.ndim, "linalg.vector_norm")
    if x.numel() == 0 and (ord < 0 or ord == math.inf):
        raise RuntimeError(
            f"linalg.vector_norm cannot compute the {ord} norm on an empty tensor because the "
            "operation does not have an identity"
        )
    return unary(LinalgVectorNormBackward0, x, float(ord), axes, keepdim)


def matrix_norm(
    A: Tensor,  # noqa: N803 - PyTorch's name
    ord: float | str = "fro",
    dim: tuple[int, int] = (-2, -1),
    keepdim: bool = False,
    *,
    dtype: D.dtype | None = None,
) -> Tensor:
    """Norm of each matrix in ``dim``: ``'fro'`` (Frobenius), ``'nuc'`` (nuclear: the sum of
    the singular values), 2 / -2 (the largest / smallest singular value), 1 / -1 (largest /
    smallest column sum of ``|A|``), inf / -inf (row sums)."""
    A = _float_input("matrix_norm", A, dtype)  # noqa: N806 - PyTorch's name
    if A.ndim < 2:
        raise RuntimeError(
            "linalg.matrix_norm: The input tensor A must have at least 2 dimensions."
        )
    d0, d1 = (
        dims_of(dim[0], A.ndim, "linalg.matrix_norm")[0],
        dims_of(dim[1], A.ndim, "linalg.matrix_norm")[0],
    )
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, {dim[1]})")
    if ord == "fro":
        return unary(LinalgVectorNormBackward0, A, 2.0, tuple(sorted((d0, d1))), keepdim)
    if ord in (1, -1, math.inf, -math.inf):
        summed, other = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = sum(A.abs(), summed, keepdim=keepdim)
        if not keepdim and summed < other:
            other -= 1
        return (amax if ord > 0 else amin)(sums, other, keepdim=keepdim)
    if ord in ("nuc", 2, -2):
        return _singular_value_norm(A, ord, d0, d1, keepdim)
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def _singular_value_norm(A: Tensor, ord: Any, d0: int, d1: int, keepdim: bool) -> Tensor:  # noqa: N803
    """The nuclear norm (the sum of the singular values), or ord 2 / -2 (the largest /
    smallest), of the matrices in dims ``d0``, ``d1``: recorded as PyTorch records it (the
    two dims moved last, ``svdvals``, a sum or ``amax``/``amin``, put back under keepdim)."""
    perm = [i for i in range(A.ndim) if i not in (d0, d1)] + [d0, d1]
    moved = A if perm == list(range(A.ndim)) else A.permute(perm)
    reduce = sum if ord == "nuc" else amax if ord == 2 else amin
    out = reduce(svdvals(moved), -1, keepdim=keepdim)
    if not keepdim:
        return out
    inverse = sorted(range(A.ndim), key=perm.__getitem__)
    return out.unsqueeze(-1).permute(inverse)


def norm(
    A: Tensor,  # noqa: N803
    ord: float | str | None = None,
    dim: int | tuple[int, ...] | None = None,
    keepdim: bool = False,
    *,
    dtype: D.dtype | None = None,
) -> Tensor:
    """``vector_norm`` or ``matrix_norm``, as PyTorch picks: a matrix norm where ``ord`` is a
    string or ``dim`` two dims (or ``ord`` given on a 2-d input without ``dim``)."""
    if isinstance(dim, int):
        dim = (dim,)
    if (
        isinstance(ord, str)
        or (dim is not None and len(dim) == 2)
        or (dim is None and ord is not None and isinstance(A, Tensor) and A.ndim == 2)
    ):
        if ord is None:
            ord = "fro"
        dims = (-2, -1) if dim is None else (dim[0], dim[1])
        return matrix_norm(A, ord, dims, keepdim, dtype=dtype)
    if dim is None and ord is not None and isinstance(A, Tensor) and A.ndim != 1:
        raise RuntimeError(
            f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
            f"Got {A.ndim}D."
        )
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
