"""Op-database entries of issue 16's linear-algebra gaps, composed of existing ops
(``_linalg_extra``): ``tensorplug.linalg``'s ``matrix_power``, ``matrix_exp``,
``matrix_rank``, ``multi_dot``, ``solve_triangular``, ``cond``, ``vecdot``, ``vander``,
``inv_ex``, ``solve_ex``, ``cholesky_ex``, ``tensorinv``, ``tensorsolve``, and the
top-level ``mv``, ``inner``, ``vdot``, ``addr``, ``addbmm``, ``dist``, ``renorm``,
``cholesky_solve``, ``cholesky_inverse`` (``tp.matrix_power``/``matrix_exp`` as the
methods of the linalg entries; ``tp.cross`` and ``linalg.diagonal``: tests/ops/)."""

# NumPy's stubs type most compositions of ufuncs as Any; references return arrays.
# mypy: disable-error-code="no-any-return"

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import numpy as np

import tensorplug as tp

from .. import _dtype as D
from ._compare import Tol
from ._opdb_matrix import _sym_cholesky_ref, _wellcond
from ._opinfo import ErrorInput, OpInfo, SampleInput, TorchRef, inplace, method
from ._samples import Gen, S, errors_of, uniform, with_kernels

REAL = (D.float32, D.float64)
_F32 = {D.float32: Tol(1e-4, 1e-4, "float32 products, inverses and factorisations")}
_F32_GRAD = {D.float32: Tol(2e-3, 2e-3, "float32 inverse in the gradient, several products")}
_COMPOSED = (("*", "composed of other ops; PyTorch records its own node"),)
_SOLVE = ("linalg_solve",)
_INV = ("linalg_inv",)
_CHOL = ("linalg_cholesky", "linalg_inv", "linalg_solve")
_SVD = ("linalg_svd",)


def _op(name: str, fn: Any, ref: Any, samples: Callable[[Gen], Iterator[SampleInput]],
        kernels: tuple[str, ...] = (), torch_fn: Any = None, namespace: str = "tensorplug",
        composed: bool = False, variants: tuple[Any, ...] = (), **kw: Any) -> OpInfo:  # fmt: skip
    def marked(rng: Gen) -> list[SampleInput]:
        return [
            replace(
                s,
                needs_kernels=(*s.needs_kernels, *kernels),
                forward_kernels=(*s.forward_kernels, *kernels),
            )
            for s in samples(rng)
        ]

    errors = kw.pop("errors", None)
    prefix = "linalg." if namespace.endswith("linalg") else ""
    return OpInfo(name, fn, ref, marked, dtypes=kw.pop("dtypes", REAL),
                  grad_dtypes=kw.pop("grad_dtypes", REAL), tolerances=_F32,
                  grad_tolerances=_F32_GRAD, namespace=namespace,
                  errors=None if errors is None else lambda: [
                      replace(e, sample=replace(e.sample, forward_kernels=kernels))
                      for e in errors()],
                  torch_ref=TorchRef(torch_fn or prefix + name, variants,
                                     _COMPOSED if composed else ()), **kw)  # fmt: skip


def _expm_ref(a: Any) -> Any:
    """Scaling and squaring with a 30-term Taylor sum (float64)."""
    a = np.asarray(a, dtype=np.float64)
    norm = np.abs(a).sum(-1).max() if a.size else 0.0
    s = max(0, int(np.ceil(np.log2(norm))) + 2) if norm > 0.5 else 0
    b = a / 2.0**s
    eye = np.broadcast_to(np.eye(a.shape[-1]), a.shape)
    out, term = eye.copy(), eye.copy()
    for k in range(1, 30):
        term = term @ b / k
        out = out + term
    for _ in range(s):
        out = out @ out
    return out


def _square(rng: Gen) -> Iterator[SampleInput]:
    yield S("nd", (uniform(rng, (3, 3), -1.0, 1.0),))
    yield S("batched", (uniform(rng, (2, 2, 2), -1.0, 1.0),))
    yield S("large_norm", (uniform(rng, (3, 3), -3.0, 3.0),))
    yield S("empty_batch", (uniform(rng, (0, 2, 2)),))


def _power_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("n3", (uniform(rng, (3, 3), -1.0, 1.0), 3))
    yield S("n0", (uniform(rng, (3, 3)), 0))
    yield S("n1_batched", (uniform(rng, (2, 2, 2)), 1))
    yield S("negative", (_wellcond(rng, 3, 3), -2), forward_kernels=_INV, needs_kernels=_INV)


def _multi_dot_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("three", ([uniform(rng, (2, 5)), uniform(rng, (5, 3)), uniform(rng, (3, 4))],))
    yield S("vectors_at_ends", ([uniform(rng, (3,)), uniform(rng, (3, 4)), uniform(rng, (4,))],))


def _triangular_samples(rng: Gen) -> Iterator[SampleInput]:
    a, b = _wellcond(rng, 3, 3), uniform(rng, (3, 2))
    yield S("upper", (a, b), {"upper": True})
    yield S("lower", (a, b), {"upper": False})
    yield S("right_unit", (a, uniform(rng, (2, 3))), {"upper": True, "left": False,
                                                       "unitriangular": True})  # fmt: skip


def _triangular_ref(a: Any, b: Any, *, upper: bool, left: bool = True,
                    unitriangular: bool = False) -> Any:  # fmt: skip
    t = np.triu(a) if upper else np.tril(a)
    if unitriangular:
        t = t - np.diag(np.diag(t)) + np.eye(t.shape[-1])
    return np.linalg.solve(t, b) if left else np.linalg.solve(t.T, b.T).T


def _spd(rng: Gen, n: int) -> np.ndarray:
    m = uniform(rng, (n, n))
    return m @ m.T + n * np.eye(n)


def _chol_factor_samples(rng: Gen) -> Iterator[SampleInput]:
    low = np.linalg.cholesky(_spd(rng, 3))
    yield S("lower", (uniform(rng, (3, 2)), low))
    yield S("upper", (uniform(rng, (3, 2)), low.T.copy(), True))


def _chol_solve_ref(b: Any, f: Any, upper: bool = False) -> Any:
    low = f.T if upper else f
    return np.linalg.solve(low @ low.T, b)


def _chol_inverse_samples(rng: Gen) -> Iterator[SampleInput]:
    low = np.linalg.cholesky(_spd(rng, 3))
    yield S("lower", (low,))
    yield S("upper", (low.T.copy(), True))


def _chol_inverse_ref(f: Any, upper: bool = False) -> Any:
    low = f.T if upper else f
    return np.linalg.inv(low @ low.T)


def _addr_ref(m: Any, a: Any, b: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    return beta * m + alpha * np.outer(a, b)


def _addbmm_ref(m: Any, a: Any, b: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    return beta * m + alpha * np.einsum("bij,bjk->ik", a, b)


def _renorm_ref(x: Any, p: float, dim: int, maxnorm: float) -> Any:
    axes = tuple(i for i in range(x.ndim) if i != dim % x.ndim)
    norms = np.sum(np.abs(x) ** p, axis=axes, keepdims=True) ** (1 / p)
    return x * np.where(norms > maxnorm, maxnorm / (norms + 1e-7), 1.0)


def _vander_ref(x: Any, N: Any = None) -> Any:  # noqa: N803 - PyTorch's name
    n = x.shape[-1] if N is None else N
    return np.stack([x**i for i in range(n)], -1)


def _ex(fn: Any) -> Any:
    return lambda *a, **k: (fn(*a), np.zeros(np.shape(a[0])[:-2], dtype=np.int32))


def _sym_cholesky_ex(a: Any) -> Any:
    """``cholesky_ex`` of ``a a^T + n I`` (the factor reads one triangle: as the
    ``cholesky`` entry, checked on a symmetric function of its input)."""
    n = a.shape[-1]
    return tp.linalg.cholesky_ex(a @ a.mT + n * tp.eye(n, dtype=a.dtype))


def _sym_cholesky_ex_torch(a: Any) -> Any:
    torch = sys.modules["torch"]  # loaded by the parity test that calls this
    n = a.shape[-1]
    return torch.linalg.cholesky_ex(a @ a.mT + n * torch.eye(n, dtype=a.dtype))


def _lu_ref(a: Any) -> Any:
    """Doolittle's elimination with partial pivoting, in NumPy: ``(P, L, U)``."""
    a = np.array(a, dtype=np.float64)
    m, n = a.shape[-2:]
    k = min(m, n)
    perm = np.arange(m)
    for j in range(k):
        p = j + int(np.argmax(np.abs(a[j:, j])))
        a[[j, p]] = a[[p, j]]
        perm[[j, p]] = perm[[p, j]]
        a[j + 1 :, j] /= a[j, j]
        a[j + 1 :, j + 1 :] -= np.outer(a[j + 1 :, j], a[j, j + 1 :])
    low = np.tril(a[:, :k], -1) + np.eye(m, k)
    return np.eye(m)[perm].T, low, np.triu(a[:k, :])


def _pivoting(samples: Any) -> Any:
    """The LU samples: the gradient of the row pivoting takes ``scatter_add``."""
    return with_kernels(samples, grad=("scatter_add",))


def _lu_factor_ref(a: Any) -> Any:
    p, low, up = _lu_ref(a)
    perm = np.argmax(p, axis=0)  # row i of L U is row perm[i] of A
    order, pivots = list(range(len(perm))), []
    for j in range(low.shape[1]):  # replay the swaps that put perm in place
        i = order.index(perm[j])
        pivots.append(i + 1)
        order[j], order[i] = order[i], order[j]
    return np.tril(low, -1)[:, : up.shape[0]] + up, np.array(pivots, dtype=np.int32)


def _lu_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("square", (uniform(rng, (4, 4)),))
    yield S("wide", (uniform(rng, (3, 5)),))
    yield S("tall", (uniform(rng, (5, 3)),))


def _lu_solve_op(a: Any, b: Any, **kw: Any) -> Any:
    return tp.linalg.lu_solve(*tp.linalg.lu_factor(a), b, **kw)


def _lu_solve_torch(a: Any, b: Any, **kw: Any) -> Any:
    torch = sys.modules["torch"]  # loaded by the parity test that calls this
    return torch.linalg.lu_solve(*torch.linalg.lu_factor(a), b, **kw)


def _lu_solve_ref(a: Any, b: Any, left: bool = True, adjoint: bool = False) -> Any:
    m = a.T if adjoint else a
    return np.linalg.solve(m, b) if left else np.linalg.solve(m.T, b.T).T


def _lu_solve_samples(rng: Gen) -> Iterator[SampleInput]:
    a = _wellcond(rng, 3, 3)
    yield S("left", (a, uniform(rng, (3, 2))))
    yield S("adjoint", (a, uniform(rng, (3, 2))), {"adjoint": True})
    yield S("right", (a, uniform(rng, (2, 3))), {"left": False})


def _first(r: Any) -> Any:
    return r[0]


def linalg_extra_ops() -> list[OpInfo]:
    la = "tensorplug.linalg"
    sq = _square
    return [
        # tp.matrix_power and tp.matrix_exp are the same functions: checked as the methods
        _op("matrix_power", tp.linalg.matrix_power, np.linalg.matrix_power, _power_samples,
            # a negative power inverts: that sample declares linalg_inv
            namespace=la, variants=(method("matrix_power"),)),
        _op("matrix_exp", tp.linalg.matrix_exp, _expm_ref, sq, namespace=la,
            variants=(method("matrix_exp"),), composed=True),
        _op("matrix_rank", tp.linalg.matrix_rank, np.linalg.matrix_rank,
            lambda rng: iter([S("full", (uniform(rng, (3, 4)),)),
                              S("rank1", (np.outer([1.0, 2.0, 3.0], [1.0, -1.0]),))]),
            _SVD, namespace=la, supports_autograd=False, result_dtype=lambda d: D.int64),
        _op("multi_dot", tp.linalg.multi_dot, np.linalg.multi_dot, _multi_dot_samples,
            namespace=la,
            errors=errors_of(ErrorInput(S("one", ([np.ones((2, 2))],)), RuntimeError,
                                        "expected at least 2 tensors")), composed=True),
        _op("solve_triangular", tp.linalg.solve_triangular, _triangular_ref,
            _triangular_samples, _SOLVE, namespace=la, composed=True),
        _op("cond", tp.linalg.cond, lambda a, p=None: np.linalg.cond(a, p),
            lambda rng: iter([S("2", (_wellcond(rng, 3, 3),)),
                              S("neg_2", (_wellcond(rng, 3, 3), -2))]),
            _SVD + _INV, namespace=la, composed=True),
        _op("vecdot", tp.linalg.vecdot, lambda x, y, dim=-1: np.sum(x * y, axis=dim),
            lambda rng: iter([S("rows", (uniform(rng, (3, 4)), uniform(rng, (4,)))),
                              S("dim0", (uniform(rng, (3, 2)), uniform(rng, (3, 2))),
                                {"dim": 0})]), namespace=la),
        _op("vander", tp.linalg.vander, _vander_ref,
            lambda rng: iter([S("square", (uniform(rng, (4,)),)),
                              S("N", (uniform(rng, (2, 3)),), {"N": 5})]),
            namespace=la, composed=True),
        _op("inv_ex", tp.linalg.inv_ex, _ex(np.linalg.inv), sq, _INV, namespace=la,
            composed=False, grad_outputs=_first),
        _op("solve_ex", tp.linalg.solve_ex, _ex(np.linalg.solve),
            lambda rng: iter([S("nd", (_wellcond(rng, 3, 3), uniform(rng, (3, 2))))]),
            _SOLVE, namespace=la, composed=False, grad_outputs=_first),
        _op("cholesky_ex", _sym_cholesky_ex, _ex(lambda a: _sym_cholesky_ref(a)),
            lambda rng: iter([S("spd", (uniform(rng, (3, 3)),))]), _CHOL, namespace=la,
            torch_fn=_sym_cholesky_ex_torch, grad_outputs=_first),
        _op("tensorinv", tp.linalg.tensorinv, lambda a, ind=2: np.linalg.tensorinv(a, ind),
            lambda rng: iter([S("ind1", (_wellcond(rng, 4, 4).reshape(4, 2, 2), 1))]), _INV,
            namespace=la, composed=True),
        _op("tensorsolve", tp.linalg.tensorsolve, np.linalg.tensorsolve,
            lambda rng: iter([S("2x2", (_wellcond(rng, 4, 4).reshape(2, 2, 2, 2),
                                        uniform(rng, (2, 2))))]), _SOLVE, namespace=la),
        _op("mv", tp.mv, np.matmul,
            lambda rng: iter([S("nd", (uniform(rng, (3, 4)), uniform(rng, (4,))))]),
            composed=False, variants=(method("mv"),)),
        _op("inner", tp.inner, np.inner,
            lambda rng: iter([S("matrices", (uniform(rng, (2, 3)), uniform(rng, (4, 3)))),
                              S("scalar", (uniform(rng, ()), uniform(rng, (2, 3))))])),
        _op("vdot", tp.vdot, np.vdot,
            lambda rng: iter([S("vectors", (uniform(rng, (4,)), uniform(rng, (4,))))]),
            composed=True),
        _op("addr", tp.addr, _addr_ref,
            lambda rng: iter([S("plain", (uniform(rng, (3, 2)), uniform(rng, (3,)),
                                          uniform(rng, (2,)))),
                              S("scaled", (uniform(rng, (3, 2)), uniform(rng, (3,)),
                                           uniform(rng, (2,))), {"beta": 0.5, "alpha": 2.0})]),
            composed=True, variants=(method("addr"), inplace("addr_"))),
        _op("addbmm", tp.addbmm, _addbmm_ref,
            lambda rng: iter([S("plain", (uniform(rng, (2, 4)), uniform(rng, (3, 2, 5)),
                                          uniform(rng, (3, 5, 4))))]),
            composed=True, variants=(method("addbmm"), inplace("addbmm_"))),
        _op("dist", tp.dist, lambda a, b, p=2: np.sum(np.abs(a - b) ** p) ** (1 / p),
            lambda rng: iter([S("p2", (uniform(rng, (3, 4)), uniform(rng, (4,)))),
                              S("p3", (uniform(rng, (3,)), uniform(rng, (3,)), 3))]),
            composed=True),
        _op("renorm", tp.renorm, _renorm_ref,
            lambda rng: iter([S("rows", (uniform(rng, (3, 4)), 2, 0, 1.0))]),
            composed=True, variants=(method("renorm"), inplace("renorm_"))),
        _op("cholesky_solve", tp.cholesky_solve, _chol_solve_ref, _chol_factor_samples,
            _SOLVE, composed=True),
        _op("cholesky_inverse", tp.cholesky_inverse, _chol_inverse_ref,
            _chol_inverse_samples, _INV, composed=True),
        _op("lu_factor", tp.linalg.lu_factor, _lu_factor_ref,
            _pivoting(lambda rng: iter([S("square", (_wellcond(rng, 4, 4),))])), namespace=la,
            composed=True, grad_outputs=_first),
        _op("lu", tp.linalg.lu, _lu_ref, _pivoting(_lu_samples), namespace=la, composed=True,
            grad_outputs=lambda r: (r[1], r[2])),
        _op("lu_solve", _lu_solve_op, _lu_solve_ref,
            with_kernels(_lu_solve_samples, grad=("scatter_add", "linalg_solve")), namespace=la,
            composed=True, torch_fn=_lu_solve_torch),
    ]  # fmt: skip
