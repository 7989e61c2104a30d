"""Op-database entries of ``tensorplug.linalg``: ``inv``, ``solve``, ``cholesky``, ``det``,
``slogdet``, ``cross`` and the norms (``vector_norm``, ``matrix_norm``, ``norm``)."""

# NumPy's stubs type most compositions of ufuncs as Any; references return arrays.
# mypy: disable-error-code="no-any-return"

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import numpy as np

import tensorplug as tp

from .. import _dtype as D
from .._ops_matrix import _NEEDS, LinAlgError
from ._compare import Tol
from ._opinfo import ErrorInput, OpInfo, SampleInput, TorchRef, method
from ._samples import Gen, S, uniform

LINALG = "tensorplug.linalg"
REAL = (D.float32, D.float64)  # PyTorch refuses float16 in linalg (and integers)
F32 = {D.float32: Tol(1e-4, 1e-4, "float32 factorisations and inverses")}
F32_GRAD = {D.float32: Tol(2e-3, 2e-3, "float32 inverse in the gradient, several products")}


def _wellcond(rng: Gen, *shape: int) -> np.ndarray:
    """Square matrices far from singular: uniform entries plus n on the diagonal."""
    n = shape[-1]
    return uniform(rng, shape, -1.0, 1.0) + n * np.eye(n)


def _square_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("nd", (_wellcond(rng, 3, 3),))
    yield S("batched", (_wellcond(rng, 2, 4, 4),))
    yield S("1x1", (_wellcond(rng, 1, 1),))
    yield S("empty_batch", (_wellcond(rng, 0, 2, 2),))


def _det_samples(rng: Gen) -> Iterator[SampleInput]:
    yield from _square_samples(rng)
    yield S("negative_det", (np.array([[0.0, 2.0], [3.0, 1.0]]),))


def _solve_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("matrix", (_wellcond(rng, 3, 3), uniform(rng, (3, 2))))
    yield S("vector", (_wellcond(rng, 3, 3), uniform(rng, (3,))))
    yield S("batched", (_wellcond(rng, 2, 3, 3), uniform(rng, (2, 3, 4))))
    yield S("batched_vectors", (_wellcond(rng, 2, 3, 3), uniform(rng, (2, 3))))
    yield S("broadcast_b", (_wellcond(rng, 2, 3, 3), uniform(rng, (3, 1))))
    yield S("left_false", (_wellcond(rng, 3, 3), uniform(rng, (2, 3))), {"left": False})


def _square_errors(op: str) -> Iterator[ErrorInput]:
    yield ErrorInput(S("not_square", (np.ones((2, 3)),)), RuntimeError, "square matrices")
    yield ErrorInput(S("vector", (np.ones(3),)), RuntimeError, "at least 2 dimensions")
    yield ErrorInput(
        S("integer", (np.ones((2, 2), dtype=np.int64),)), RuntimeError, "floating point"
    )
    if op in ("inv", "cholesky"):
        what = np.zeros((2, 2)) if op == "inv" else -np.eye(2)
        yield ErrorInput(S("not_invertible", (what,)), LinAlgError, "could not be completed")


def _solve_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(S("rows", (np.eye(3), np.ones((2, 2)))), RuntimeError, "Incompatible shapes")
    yield ErrorInput(S("singular", (np.zeros((2, 2)), np.ones(2))), LinAlgError, "singular")


def _cross_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("vectors", (uniform(rng, (3,)), uniform(rng, (3,))))
    yield S("rows", (uniform(rng, (4, 3)), uniform(rng, (4, 3))))
    yield S("dim0", (uniform(rng, (3, 2)), uniform(rng, (3, 2))), {"dim": 0})
    yield S("broadcast", (uniform(rng, (1, 3)), uniform(rng, (4, 3))), broadcasts=True)


def _cross_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(S("not_3", (np.ones((3, 2)), np.ones((3, 2)))), RuntimeError, "length 3")


def _vector_norm_samples(rng: Gen) -> Iterator[SampleInput]:
    x = uniform(rng, (3, 4))
    yield S("2", (x,))
    yield S("1_dim", (x,), {"ord": 1, "dim": 1})
    yield S("3_keepdim", (x,), {"ord": 3, "dim": 0, "keepdim": True})
    yield S("inf", (x,), {"ord": float("inf"), "dim": (0, 1)})
    yield S("neg_inf", (x,), {"ord": -float("inf"), "dim": -1})
    yield S("neg_1_5", (x,), {"ord": -1.5})
    yield S("3d_dims", (uniform(rng, (2, 3, 2)),), {"dim": (0, 2)})


def _vector_norm_ref(x: Any, ord: float = 2, dim: Any = None, keepdim: bool = False) -> Any:
    a = np.abs(x)
    if ord == np.inf:
        return np.max(a, axis=dim, keepdims=keepdim)
    if ord == -np.inf:
        return np.min(a, axis=dim, keepdims=keepdim)
    return np.sum(a**ord, axis=dim, keepdims=keepdim) ** (1.0 / ord)


def _matrix_norm_samples(rng: Gen) -> Iterator[SampleInput]:
    x = uniform(rng, (2, 3, 4))
    yield S("fro", (x,))
    for name, o in (("1", 1), ("neg_1", -1), ("inf", float("inf")), ("neg_inf", -float("inf"))):
        yield S(name, (x,), {"ord": o})
    yield S("dims_keepdim", (x,), {"ord": 1, "dim": (0, 2), "keepdim": True})
    for name, svd_ord in (("nuc", "nuc"), ("2", 2), ("neg_2", -2)):
        yield S(name, (x,), {"ord": svd_ord})
        yield S(f"{name}_dims_keepdim", (x,), {"ord": svd_ord, "dim": (2, 0), "keepdim": True})
    yield S("nuc_keepdim", (x,), {"ord": "nuc", "keepdim": True})


def _matrix_norm_ref(x: Any, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False) -> Any:
    x = np.moveaxis(x, dim, (-2, -1))
    out = (
        np.sqrt(np.sum(x * x, axis=(-2, -1)))
        if ord == "fro"
        else np.linalg.norm(x, ord, axis=(-2, -1))
        if ord not in ("nuc", 2, -2)
        else _svd_norm_ref(x, ord)
    )
    if keepdim:
        out = np.expand_dims(out, tuple(sorted(d % (out.ndim + 2) for d in dim)))
    return out


def _svd_norm_ref(x: Any, ord: Any) -> Any:
    s = np.linalg.svd(x, compute_uv=False)
    return s.sum(-1) if ord == "nuc" else s.max(-1) if ord == 2 else s.min(-1)


def _norm_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("vector_all", (uniform(rng, (2, 3, 2)),))
    yield S("matrix_default", (uniform(rng, (3, 4)),), {"ord": 1})
    yield S("vector_dim", (uniform(rng, (3, 4)),), {"ord": 3, "dim": 1})
    yield S("matrix_dims", (uniform(rng, (2, 3, 4)),), {"ord": "fro", "dim": (0, 1)})
    yield S("nuc", (uniform(rng, (3, 4)),), {"ord": "nuc"})
    yield S("2", (uniform(rng, (3, 4)),), {"ord": 2})


def _norm_ref(x: Any, ord: Any = None, dim: Any = None, keepdim: bool = False) -> Any:
    if isinstance(dim, int):
        dim = (dim,)
    if (dim is None and ord is not None and x.ndim == 2) or (dim is not None and len(dim) == 2):
        return _matrix_norm_ref(x, ord or "fro", dim or (-2, -1), keepdim)
    if dim is None:
        x, dim = x.reshape(-1), None
    return _vector_norm_ref(x, 2 if ord is None else ord, dim, keepdim)


def _solve_ref(a: Any, b: Any, left: bool = True) -> Any:
    if not left:
        return np.swapaxes(_solve_ref(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2)), -1, -2)
    if b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1]):
        return np.linalg.solve(a, b[..., None])[..., 0]
    return np.linalg.solve(a, b)


def _sym_cholesky(a: Any, upper: bool = False) -> Any:
    """``cholesky`` of ``a a^T + n I``: the gradient checks perturb every element, and the
    factor reads one triangle, so the op is checked on a symmetric function of its input
    (PyTorch's own tests do the same)."""
    n = a.shape[-1]
    return tp.linalg.cholesky(a @ a.mT + n * tp.eye(n, dtype=a.dtype), upper=upper)


def _sym_cholesky_ref(a: Any, upper: bool = False) -> Any:
    low = np.linalg.cholesky(a @ np.swapaxes(a, -1, -2) + a.shape[-1] * np.eye(a.shape[-1]))
    return np.swapaxes(low, -1, -2) if upper else low


def _sym_cholesky_torch(a: Any, upper: bool = False) -> Any:
    torch = sys.modules["torch"]  # loaded by the parity test that calls this; never imported here
    n = a.shape[-1]
    return torch.linalg.cholesky(a @ a.mT + n * torch.eye(n, dtype=a.dtype), upper=upper)


def _needing(e: ErrorInput, kernels: tuple[str, ...]) -> ErrorInput:
    return replace(e, sample=replace(e.sample, needs_kernels=kernels))


def _linalg(name: str, op: Any, ref: Any, samples: Any, torch_fn: Any = None, **kw: Any) -> OpInfo:
    kernels = _NEEDS.get(name, ())  # optional kernels: a backend without them raises

    def needing(gen: Any) -> Any:
        return lambda *a: [replace(x, needs_kernels=kernels) for x in gen(*a)]

    errors = kw.pop("errors", None)
    return OpInfo(
        name,
        op,
        ref,
        needing(samples),
        errors=None
        if errors is None
        else lambda: [
            replace(e, sample=replace(e.sample, needs_kernels=kernels)) for e in errors()
        ],
        dtypes=kw.pop("dtypes", REAL),
        grad_dtypes=kw.pop("grad_dtypes", REAL),
        tolerances=kw.pop("tolerances", F32),
        grad_tolerances=kw.pop("grad_tolerances", F32_GRAD),
        namespace=LINALG,
        torch_ref=TorchRef(torch_fn or f"linalg.{name}", **kw.pop("torch", {})),
        **kw,
    )


def matrix_ops() -> list[OpInfo]:
    def cholesky_samples(rng: Gen) -> Iterator[SampleInput]:
        yield S("nd", (uniform(rng, (3, 3)),))
        yield S("batched", (uniform(rng, (2, 4, 4)),))
        yield S("upper", (uniform(rng, (3, 3)),), {"upper": True})

    return [
        _linalg("inv", tp.linalg.inv, np.linalg.inv, _square_samples,
                errors=lambda: _square_errors("inv"),
                torch={"variants": (method("inverse"),)}),
        _linalg("solve", tp.linalg.solve, _solve_ref, _solve_samples, errors=_solve_errors,
                torch={"other_nodes": (("left_false", "X A = B solved as A^T X^T = B^T: its "
                                        "last node a transpose"),)}),
        _linalg("cholesky", _sym_cholesky, _sym_cholesky_ref, cholesky_samples,
                torch_fn=_sym_cholesky_torch),
        _linalg("det", tp.linalg.det, np.linalg.det, _det_samples,
                errors=lambda: _square_errors("det"),
                torch={"variants": (method("det"),)}),
        _linalg("slogdet", tp.linalg.slogdet, lambda a: tuple(np.linalg.slogdet(a)),
                _det_samples, grad_outputs=lambda r: r[1],
                torch={"variants": (method("slogdet"),)}),
        _linalg("cross", tp.linalg.cross, lambda a, b, dim=-1: np.cross(a, b, axis=dim),
                _cross_samples, dtypes=(D.int64, *REAL), errors=_cross_errors),
        _linalg("vector_norm", tp.linalg.vector_norm, _vector_norm_ref, _vector_norm_samples),
        _linalg("matrix_norm", tp.linalg.matrix_norm, _matrix_norm_ref, _matrix_norm_samples),
        _linalg("norm", tp.linalg.norm, _norm_ref, _norm_samples),
    ]  # fmt: skip
