"""``parametrizations.orthogonal``: a weight kept (semi-)orthogonal by construction, as
PyTorch's, with its three maps: the matrix exponential and the Cayley transform of a
skew-symmetric matrix, and a product of Householder reflections.

The matrix exponential and the Householder product are composed here from tensor ops
(scaling and squaring of a Taylor series; one reflection per column), so their gradients come
from autograd; tensorplug has no ``linalg.matrix_exp``, ``geqrf`` or ``householder_product``
ops. Real weights only.
"""

from __future__ import annotations

import math
from enum import Enum, auto

from ..._creation import eye, randn, zeros_like
from ..._dtype import finfo
from ..._grad_mode import no_grad
from ..._ops_compare import allclose
from ..._ops_shape import cat
from ..._tensor import Tensor
from ...linalg import matrix_norm, qr, solve
from ..modules.module import Module
from . import parametrize

__all__ = ["orthogonal"]

_TAYLOR_TERMS = 18
"""Terms of the Taylor series after scaling to a norm at most 1/2: the remainder is below
float64's resolution (0.5**19 / 19! ~ 1e-23)."""


def _matrix_exp(a: Tensor) -> Tensor:
    """``exp(a)`` of a batch of square matrices: ``(exp(a / 2**s))**(2**s)``, the inner one by
    its Taylor series, ``s`` chosen so that ``a / 2**s`` has a 1-norm at most 1/2."""
    with no_grad():
        norm = float(matrix_norm(a.detach(), 1).max()) if a.numel() else 0.0
    s = max(0, math.ceil(math.log2(norm / 0.5))) if norm > 0.5 else 0
    x = a / (2.0**s)
    ident = eye(a.shape[-1], dtype=a.dtype, backend=a._backend).expand(a.shape)
    term, total = ident, ident
    for i in range(1, _TAYLOR_TERMS + 1):
        term = (term @ x) / i
        total = total + term
    for _ in range(s):
        total = total @ total
    return total


def _householder_product(a: Tensor, tau: Tensor) -> Tensor:
    """LAPACK's ``orgqr``: the first ``k`` columns of ``H_1 ... H_k``, ``H_i = I - tau_i v_i
    v_i^T`` with ``v_i`` column ``i`` of ``a`` below the diagonal and 1 on it."""
    n, k = a.shape[-2], a.shape[-1]
    ident = eye(n, dtype=a.dtype, backend=a._backend)
    q = ident.expand(*a.shape[:-2], n, n)
    unit = eye(n, k, dtype=a.dtype, backend=a._backend)
    v_all = a.tril(-1) + unit
    for i in range(k):
        v = v_all[..., :, i : i + 1]
        q = q - (q @ v) @ (v.mT * tau[..., i : i + 1].unsqueeze(-1))
    return q[..., :, :k]


def _make_orthogonal(a: Tensor) -> Tensor:
    """The Q of ``a``'s QR decomposition with R's diagonal made positive (unique)."""
    q, r = qr(a)
    return q * r.diagonal(0, -2, -1).sign().unsqueeze(-2)


def _is_orthogonal(q: Tensor) -> bool:
    """PyTorch's test: ``allclose(Q^T Q, I, atol=10 n eps)``."""
    n, k = q.shape[-2], q.shape[-1]
    ident = eye(k, dtype=q.dtype, backend=q._backend)
    return allclose(q.mT @ q, ident, atol=10.0 * n * finfo(q.dtype).eps)


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


class _Orthogonal(Module):
    base: Tensor

    def __init__(
        self, weight: Tensor, orthogonal_map: _OrthMaps, *, use_trivialization: bool = True
    ) -> None:
        super().__init__()
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, x: Tensor) -> Tensor:
        n, k = x.shape[-2], x.shape[-1]
        transposed = n < k
        if transposed:
            x = x.mT
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            x = x.tril()
            if n != k:
                pad = x.new_zeros((n, n - k)).expand(*x.shape[:-2], -1, -1)
                x = cat([x, pad], -1)
            a = x - x.mT
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                q = _matrix_exp(a)
            else:
                ident = eye(n, dtype=a.dtype, backend=a._backend)
                q = solve(ident - a * 0.5, ident + a * 0.5)
            if n != k:
                q = q[..., :k]
        else:
            a = x.tril(-1)
            tau = 2.0 / (1.0 + (a * a).sum(-2))
            q = _householder_product(a, tau)
            q = q * x.diagonal(0, -2, -1).int().unsqueeze(-2)
        if hasattr(self, "base"):
            q = self.base @ q
        return q.mT if transposed else q

    @no_grad()
    def right_inverse(self, q: Tensor) -> Tensor:
        if q.shape != self.shape:
            raise ValueError(
                f"Expected a matrix or batch of matrices of shape {self.shape}. Got a tensor of "
                f"shape {q.shape}."
            )
        q_init = q
        n, k = q.shape[-2], q.shape[-1]
        if n < k:
            q = q.mT
            n, k = k, n
        if not hasattr(self, "base"):
            raise NotImplementedError(
                "It is not possible to assign to the matrix exponential or the Cayley "
                "parametrizations when use_trivialization=False."
            )
        if n == k:
            q = q.clone() if _is_orthogonal(q) else _make_orthogonal(q)
        else:
            noise = randn(*q.shape[:-2], n, n - k, dtype=q.dtype, backend=q._backend)
            q = _make_orthogonal(cat([q, noise], -1))
        self.base = q
        rows, cols = q_init.shape[-2:]
        return zeros_like(q_init) - eye(rows, cols, dtype=q.dtype, backend=q._backend)


def orthogonal(
    module: Module,
    name: str = "weight",
    orthogonal_map: str | None = None,
    *,
    use_trivialization: bool = True,
) -> Module:
    """Keep ``module.<name>`` orthogonal (semi-orthogonal when not square; batches of
    matrices too) through ``orthogonal_map``: ``"matrix_exp"`` (square default),
    ``"cayley"`` or ``"householder"`` (non-square default)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(
            f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions."
        )
    if orthogonal_map is None:
        square = weight.shape[-2] == weight.shape[-1]
        orthogonal_map = "matrix_exp" if square else "householder"
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError(
            'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
            f"Got: {orthogonal_map}"
        )
    if orth_enum == _OrthMaps.householder and not use_trivialization:
        raise NotImplementedError(
            "orthogonal(orthogonal_map='householder', use_trivialization=False) starts from "
            "geqrf's Householder vectors, which tensorplug cannot compute yet; keep "
            "use_trivialization=True"
        )
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
