"""Linear algebra composed of existing ops (issue 16): ``tp.linalg``'s ``matrix_power``,
``matrix_exp``, ``matrix_rank``, ``multi_dot``, ``solve_triangular``, ``cond``, ``vecdot``,
``vander``, ``inv_ex``, ``solve_ex``, ``cholesky_ex``, ``tensorinv``, ``tensorsolve``,
``diagonal``, ``cholesky_solve``-like helpers, and the top-level products ``mv``, ``inner``,
``vdot``, ``addr``, ``addbmm``, ``dist``, ``renorm``, ``cross``, ``cholesky_solve``,
``cholesky_inverse``.

PyTorch composes most of these too; their gradients are those of the ops they are built of
(the matrix functions of ``_ops_matrix``, products, reductions), so double backward works.
"""

# PyTorch names the matrices A and B (keyword arguments users pass by name):
# ruff: noqa: N803, N806

# Composed of tensorplug's public ops and of Tensor methods bound at import (_methods),
# which the checker sees as Any:
# mypy: disable-error-code="no-any-return, attr-defined, arg-type"

from __future__ import annotations

import builtins
import math
import warnings
from typing import Any

from . import _dtype as D
from . import return_types as R
from ._tensor import Tensor


def _tp() -> Any:
    import tensorplug

    return tensorplug


def _matrix(op: str, a: Any, square: bool = True) -> Tensor:
    if not isinstance(a, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(a).__name__}")
    if a.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    if square and a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are "
                           f"{a.shape[-2]} by {a.shape[-1]} matrices")  # fmt: skip
    return a


def _eye_like(a: Tensor) -> Tensor:
    tp = _tp()
    n = a.shape[-1]
    return tp.eye(n, dtype=a.dtype, backend=a._backend).expand(*a.shape[:-2], n, n)


def matrix_power(A: Tensor, n: int) -> Tensor:
    """``A`` multiplied by itself ``n`` times (``n`` < 0: of its inverse; 0: the identity),
    by repeated squaring.

    >>> import tensorplug as tp
    >>> tp.linalg.matrix_power(tp.tensor([[1.0, 1.0], [0.0, 1.0]]), 3).tolist()
    [[1.0, 3.0], [0.0, 1.0]]
    """
    a = _matrix("linalg.matrix_power", A)
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"linalg_matrix_power(): argument 'n' (position 2) must be int, not "
                        f"{type(n).__name__}")  # fmt: skip
    if n == 0:  # as PyTorch: the identity copied into a copy of A (a zero gradient)
        return a.clone().copy_(_eye_like(a))
    if n == 1:
        return a.clone()
    if n < 0:
        a = _tp().linalg.inv(a)
        n = -n
    result: Tensor | None = None
    while True:
        if n & 1:
            result = a if result is None else result @ a
        n >>= 1
        if not n:
            break
        a = a @ a
    assert result is not None
    return result


def matrix_exp(A: Tensor) -> Tensor:
    """``exp(A) = sum A**k / k!``: scaled so its norm is below 1/2, an 18-term Taylor sum in
    Horner's form, then squared back.

    >>> import tensorplug as tp
    >>> round(tp.linalg.matrix_exp(tp.tensor([[1.0]], dtype=tp.float64)).item(), 12)
    2.718281828459
    """
    a = _matrix("linalg.matrix_exp", A)
    if not a.dtype.is_floating_point:
        raise RuntimeError("linalg.matrix_exp: Expected a floating point or complex tensor as "
                           f"input. Got {a.dtype.name.capitalize()}")  # fmt: skip
    if a.numel() == 0:
        return a.clone()
    norm = float(_tp().amax(a.detach().abs().sum(-1)).item())
    squarings = builtins.max(0, math.ceil(math.log2(norm)) + 1) if norm > 0.5 else 0
    if not math.isfinite(norm):
        squarings = 0
    s = a / (2.0**squarings) if squarings else a
    eye = _eye_like(a)
    out = eye + s / 18.0
    for k in range(17, 0, -1):
        out = eye + (s @ out) / float(k)
    for _ in range(squarings):
        out = out @ out
    return out


def multi_dot(tensors: Any) -> Tensor:
    """The product of the matrices in ``tensors`` (the first may be a vector, as may the
    last), multiplied in the cheapest order."""
    ts = list(tensors)
    if len(ts) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(ts)}")
    first_vec, last_vec = ts[0].ndim == 1, ts[-1].ndim == 1
    if first_vec:
        ts[0] = ts[0].unsqueeze(0)
    if last_vec:
        ts[-1] = ts[-1].unsqueeze(1)
    for i, t in enumerate(ts):
        if t.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D")
    for i in range(len(ts) - 1):
        if ts[i].shape[1] != ts[i + 1].shape[0]:
            a, b = ts[i].shape, ts[i + 1].shape
            raise RuntimeError(
                f"multi_dot(): tensors {i} and {i + 1} with shapes ({a[0]}, {a[1]}) and "
                f"({b[0]}, {b[1]}) cannot be multiplied"
            )
    out = _chain(ts, _order([t.shape[0] for t in ts] + [ts[-1].shape[1]]), 0, len(ts) - 1)
    if first_vec:
        out = out.squeeze(0)
    if last_vec:
        out = out.squeeze(-1)
    return out


def _order(dims: list[int]) -> list[list[int]]:
    """The matrix-chain split points (dynamic programming on the flops)."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = -1
            for s in range(i, j):
                c = cost[i][s] + cost[s + 1][j] + dims[i] * dims[s + 1] * dims[j + 1]
                if cost[i][j] < 0 or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, s
    return split


def _chain(ts: list[Tensor], split: list[list[int]], i: int, j: int) -> Tensor:
    if i == j:
        return ts[i]
    s = split[i][j]
    return _chain(ts, split, i, s) @ _chain(ts, split, s + 1, j)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """The dot product of ``x`` and ``y`` along ``dim``, broadcasting the rest."""
    return (x * y).sum(dim)


def vander(x: Tensor, N: int | None = None) -> Tensor:
    """The Vandermonde matrix ``[1, x, x**2, ..., x**(N-1)]`` along a new last dim."""
    tp = _tp()
    if x.ndim < 1:
        raise RuntimeError("linalg.vander: Expected x to have at least one dimension")
    n = x.shape[-1] if N is None else N
    if n < 2:
        raise RuntimeError("linalg.vander: N must be greater than 1.")
    powers = [tp.ones_like(x), x]
    for _ in range(n - 2):
        powers.append(powers[-1] * x)
    return tp.stack(powers, -1)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """``A.diagonal(offset, dim1, dim2)``, defaulting to the last two dims."""
    return A.diagonal(offset, dim1, dim2)


def _info(a: Tensor, ok: Tensor | bool) -> Tensor:
    tp = _tp()
    shape = tuple(a.shape[:-2])
    value = 0 if ok is True else 1
    return tp.full(shape, value, dtype=D.int32, backend=a._backend)


def inv_ex(A: Tensor, *, check_errors: bool = False) -> R.linalg_inv_ex:
    """``(inverse, info)``: ``inv(A)``, and 0 per matrix where it succeeded."""
    return R.linalg_inv_ex(_ex(lambda: _tp().linalg.inv(A), A, check_errors))


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True,
             check_errors: bool = False) -> R.linalg_solve_ex:  # fmt: skip
    """``(result, info)``: ``solve(A, B, left=left)``, and 0 per matrix where it succeeded."""
    return R.linalg_solve_ex(_ex(lambda: _tp().linalg.solve(A, B, left=left), A, check_errors))


def cholesky_ex(A: Tensor, *, upper: bool = False,
                check_errors: bool = False) -> R.linalg_cholesky_ex:  # fmt: skip
    """``(L, info)``: ``cholesky(A)``, and 0 per matrix where it succeeded."""
    return R.linalg_cholesky_ex(_ex(lambda: _tp().linalg.cholesky(A, upper=upper), A,
                                    check_errors))  # fmt: skip


def _ex(run: Any, a: Tensor, check_errors: bool) -> tuple[Tensor, Tensor]:
    """The result and ``info`` of an ``_ex`` function: a failed factorization is raised only
    with ``check_errors``; otherwise the result is NaN and ``info`` is positive."""
    from ._ops_matrix import LinAlgError

    try:
        out = run()
    except LinAlgError:
        if check_errors:
            raise
        k = a._backend.k
        nan = Tensor._make(k.full(tuple(a.shape), math.nan, a.dtype), a._backend)
        return nan, _info(a, False)
    return out, _info(a, True)


def matrix_rank(A: Tensor, *, atol: Any = None, rtol: Any = None,
                hermitian: bool = False) -> Tensor:  # fmt: skip
    """The number of singular values above ``max(atol, rtol * largest)`` (default ``rtol``:
    ``eps * max(m, n)``)."""
    tp = _tp()
    a = _matrix("linalg.matrix_rank", A, square=False)
    s = tp.linalg.svdvals(a.detach())
    if s.shape[-1] == 0:
        return tp.zeros(tuple(a.shape[:-2]), dtype=D.int64, backend=a._backend)
    top = s.amax(-1, keepdim=True)
    if rtol is None:
        rtol = (
            0.0
            if (atol is not None and (not isinstance(atol, (int, float)) or atol > 0))
            else tp.finfo(a.dtype).eps * builtins.max(a.shape[-2], a.shape[-1])
        )
    tol = top * rtol
    if atol is not None:
        tol = tp.maximum(tol, atol if isinstance(atol, Tensor) else tp.full_like(tol, atol))
    return (s > tol).sum(-1)


def cond(A: Tensor, p: Any = None) -> Tensor:
    """The condition number ``norm(A, p) * norm(inv(A), p)``; ``p`` None or 2: the ratio of
    the largest to the smallest singular value (-2: its inverse)."""
    tp = _tp()
    a = _matrix("linalg.cond", A, square=p not in (None, 2, -2))
    if p in (None, 2, -2):
        s = tp.linalg.svdvals(a)
        ratio = s[..., 0] / s[..., -1]
        return 1 / ratio if p == -2 else ratio
    return tp.linalg.matrix_norm(a, p) * tp.linalg.matrix_norm(tp.linalg.inv(a), p)


def tensorinv(A: Tensor, ind: int = 2) -> Tensor:
    """The inverse of ``A`` seen as a matrix of its first ``ind`` dims by the rest."""
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = list(A.shape[:ind]), list(A.shape[ind:])
    if math.prod(rows) != math.prod(cols):
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) "
                           f"== prod(self.shape[:ind]), but got {math.prod(cols)} != "
                           f"{math.prod(rows)}")  # fmt: skip
    inv = _tp().linalg.inv(A.reshape(math.prod(rows), math.prod(cols)))
    return inv.reshape(cols + rows)


def tensorsolve(A: Tensor, B: Tensor, dims: Any = None) -> Tensor:
    """``X`` with ``tensordot(A, X, X.ndim) = B``."""
    if dims is not None:
        A = A.movedim(list(dims), list(range(A.ndim - len(dims), A.ndim)))
    rest = list(A.shape[B.ndim :])
    m = math.prod(B.shape)
    if m != math.prod(rest):
        raise RuntimeError(
            "Expected self to satisfy the requirement prod(self.shape[other.ndim:])"
            f" == prod(self.shape[:other.ndim]), but got {math.prod(rest)} != {m}"
        )
    x = _tp().linalg.solve(A.reshape(m, m), B.reshape(m))
    return x.reshape(rest)


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True,
                     unitriangular: bool = False) -> Tensor:  # fmt: skip
    """``X`` with ``A X = B`` (``left=False``: ``X A = B``) for a triangular ``A`` (only its
    ``upper`` or lower triangle is read; ``unitriangular``: its diagonal taken as ones)."""
    tp = _tp()
    a = _matrix("linalg.solve_triangular", A)
    t = tp.triu(a) if upper else tp.tril(a)
    if unitriangular:
        t = t - tp.diag_embed(t.diagonal(0, -2, -1)) + _eye_like(a)
    return tp.linalg.solve(t, B, left=left)


def cholesky_solve(B: Tensor, L: Tensor, upper: bool = False) -> Tensor:
    """``X`` with ``A X = B`` for ``A = L L^T`` (``upper``: ``A = U^T U``)."""
    # Solved with the product A itself, as PyTorch differentiates it: its gradient fills
    # the whole of L (``-(C + C^T) L``, ``C = grad_B X^T``), not only the triangle read.
    a = L.mT @ L if upper else L @ L.mT
    return _tp().linalg.solve(a, B)


def cholesky_inverse(L: Tensor, upper: bool = False) -> Tensor:
    """``A^-1`` for ``A = L L^T`` (``upper``: ``A = U^T U``)."""
    return _tp().linalg.inv(L.mT @ L if upper else L @ L.mT)


def mv(input: Tensor, vec: Tensor) -> Tensor:
    """The matrix-vector product."""
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input.ndim}, {vec.ndim}")
    return input @ vec


def inner(input: Tensor, other: Tensor) -> Tensor:
    """The sum of products over the last dims (a number times a tensor if one is 0-d)."""
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    return _tp().tensordot(input, other, ([-1], [-1]))


def vdot(input: Tensor, other: Tensor) -> Tensor:
    """The dot product of two 1-d tensors (real: ``dot``)."""
    return _tp().dot(input, other)


def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * outer(vec1, vec2)``."""
    if vec1.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(f"addr: Expected 1-D argument vec1, but got {vec1.ndim}-D"
                           if vec1.ndim != 1 else
                           f"addr: Expected 1-D argument vec2, but got {vec2.ndim}-D")  # fmt: skip
    prod = _tp().outer(vec1, vec2)
    prod = prod * alpha if alpha != 1 else prod
    if beta == 0:
        return prod + 0 * input.detach().nan_to_num()
    return (input * beta if beta != 1 else input) + prod


def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1,
           alpha: Any = 1) -> Tensor:  # fmt: skip
    """``beta * input + alpha * sum_i batch1[i] @ batch2[i]``."""
    if batch1.ndim != 3 or batch2.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor" if batch1.ndim != 3
                           else "batch2 must be a 3D tensor")  # fmt: skip
    prod = _tp().bmm(batch1, batch2).sum(0)
    prod = prod * alpha if alpha != 1 else prod
    if beta == 0:
        return prod + 0 * input.detach().nan_to_num()
    return (input * beta if beta != 1 else input) + prod


def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
    """The ``p``-norm of ``input - other``."""
    return _tp().linalg.vector_norm(input - other, p)


def renorm(input: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    """Each slice along ``dim`` scaled down to ``p``-norm ``maxnorm`` where it is above."""
    tp = _tp()
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    d = dim % builtins.max(input.ndim, 1)
    others = [i for i in range(input.ndim) if i != d]
    norms = tp.linalg.vector_norm(input, p, others, keepdim=True)
    scale = tp.where(norms > maxnorm, maxnorm / (norms + 1e-7), tp.ones_like(norms))
    return input * scale


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """The cross product along ``dim`` (None: the first dim of size 3)."""
    if dim is None:
        warnings.warn(
            "Using torch.cross without specifying the dim arg is deprecated.\nPlease either "
            "pass the dim explicitly or simply use torch.linalg.cross.\nThe default value of "
            "dim will change to agree with that of linalg.cross in a future release.",
            UserWarning,
            stacklevel=2,
        )
        dims = [i for i, (a, b) in enumerate(zip(input.shape, other.shape)) if a == 3 == b]
        if not dims:
            raise RuntimeError("no dimension of size 3 in input")
        dim = dims[0]
    return _tp().linalg.cross(input, other, dim=dim)
