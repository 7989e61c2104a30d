"""Op-database entries of ``tensorplug.linalg``'s spectral decompositions: ``eigvalsh``,
``eigh``, ``svd``, ``svdvals``, ``qr``, ``pinv`` and ``lstsq``."""

# NumPy's stubs type most compositions of ufuncs as Any; references return arrays.
# mypy: disable-error-code="no-any-return"

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import numpy as np

import tensorplug as tp

from ._opdb_matrix import _linalg, _square_errors, _wellcond
from ._opinfo import ErrorInput, OpInfo, SampleInput
from ._samples import Gen, S, uniform


def _sym(a: Any) -> Any:
    """``a + a^T``: the gradient checks perturb every element, and the decompositions read
    one triangle, so they are checked on a symmetric function of their input (as PyTorch's
    own tests do). Anything but square matrices goes to the function as it is (its errors)."""
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        return a
    return a + np.swapaxes(a, -1, -2) if isinstance(a, np.ndarray) else a + a.mT


def _eigvalsh(a: Any, UPLO: str = "L") -> Any:  # noqa: N803 - PyTorch's name
    return tp.linalg.eigvalsh(_sym(a), UPLO)


def _eigvalsh_torch(a: Any, UPLO: str = "L") -> Any:  # noqa: N803
    return sys.modules["torch"].linalg.eigvalsh(_sym(a), UPLO)


def _eigh(a: Any, UPLO: str = "L", lib: Any = tp) -> Any:  # noqa: N803
    """``eigh`` of ``a + a^T``, each eigenvector's sign fixed by its first entry (a sign the
    library picks; the gradient goes through the product)."""
    w, v = lib.linalg.eigh(_sym(a), UPLO)
    return w, v * lib.sign(v[..., :1, :])


def _eigh_ref(a: Any, UPLO: str = "L") -> Any:  # noqa: N803
    w, v = np.linalg.eigh(_sym(a))
    return w, v * np.sign(v[..., :1, :])


def _eigh_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("nd", (_wellcond(rng, 3, 3),))
    yield S("batched", (_wellcond(rng, 2, 4, 4),))
    yield S("1x1", (_wellcond(rng, 1, 1),))
    yield S("upper", (_wellcond(rng, 3, 3),), {"UPLO": "U"})
    yield S("empty_batch", (_wellcond(rng, 0, 2, 2),))


def _eigh_errors() -> Iterator[ErrorInput]:
    yield from (e for e in _square_errors("eigvalsh"))
    yield ErrorInput(S("uplo", (np.eye(2),), {"UPLO": "X"}), RuntimeError, "UPLO")


def _svdvals_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("square", (uniform(rng, (3, 3)),))
    yield S("tall", (uniform(rng, (4, 2)),))
    yield S("wide_batched", (uniform(rng, (2, 2, 5)),))
    yield S("empty_batch", (uniform(rng, (0, 2, 3)),))


def _svd(a: Any, full_matrices: bool = True, lib: Any = tp) -> Any:
    """``svd``'s ``U``, ``S``, ``Vh`` with the singular vectors of the ``k = min(m, n)``
    singular values only (``full_matrices``' others are any basis of the rest, as PyTorch's
    own tests take), each vector's sign fixed by its first entry."""
    u, s, vh = lib.linalg.svd(a, full_matrices)
    k = s.shape[-1]
    u, vh = u[..., :k], vh[..., :k, :]
    return u * lib.sign(u[..., :1, :]), s, vh * lib.sign(vh[..., :1])


def _svd_ref(a: Any, full_matrices: bool = True) -> Any:
    u, s, vh = np.linalg.svd(a, full_matrices)
    k = s.shape[-1]
    u, vh = u[..., :k], vh[..., :k, :]
    return u * np.sign(u[..., :1, :]), s, vh * np.sign(vh[..., :1])


def _svd_samples(rng: Gen) -> Iterator[SampleInput]:
    yield from _svdvals_samples(rng)
    yield S("tall_reduced", (uniform(rng, (4, 2)),), {"full_matrices": False})
    yield S("wide_reduced", (uniform(rng, (2, 2, 5)),), {"full_matrices": False})


def _qr_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("square", (uniform(rng, (3, 3)),))
    yield S("tall", (uniform(rng, (4, 2)),))
    yield S("wide", (uniform(rng, (2, 4)),))
    yield S("batched", (uniform(rng, (2, 4, 3)),))
    yield S("complete_wide", (uniform(rng, (2, 3)),), {"mode": "complete"})
    yield S("complete_square", (uniform(rng, (3, 3)),), {"mode": "complete"})


def _qr_errors() -> Iterator[ErrorInput]:
    yield from _svdvals_errors()
    yield ErrorInput(S("mode", (np.eye(2),), {"mode": "x"}), RuntimeError, "unrecognized mode")


def _pinv_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("square", (_wellcond(rng, 3, 3),))
    yield S("tall", (uniform(rng, (4, 2)),))
    yield S("wide_batched", (uniform(rng, (2, 2, 4)),))
    yield S("rtol", (uniform(rng, (3, 4)),), {"rtol": 1e-3})
    yield S("atol", (uniform(rng, (4, 3)),), {"atol": 1e-3})


def _pinv_ref(a: Any, atol: float | None = None, rtol: float | None = None) -> Any:
    return np.linalg.pinv(a, rcond=rtol if rtol is not None else 1e-15)


def _lstsq_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("tall", (uniform(rng, (5, 3)), uniform(rng, (5, 2))))
    yield S("wide", (uniform(rng, (3, 5)), uniform(rng, (3, 2))))
    yield S("vector", (uniform(rng, (4, 3)), uniform(rng, (4,))), {"driver": "gelsd"})
    yield S(
        "batched_gelsd", (uniform(rng, (2, 4, 3)), uniform(rng, (2, 4, 2))), {"driver": "gelsd"}
    )
    yield S("gels", (uniform(rng, (4, 2)), uniform(rng, (4, 3))), {"driver": "gels"})
    yield S(
        "gelss_rcond",
        (uniform(rng, (4, 3)), uniform(rng, (4, 1))),
        {"rcond": 1e-3, "driver": "gelss"},
    )


def _lstsq_ref(a: Any, b: Any, rcond: Any = None, driver: str | None = None) -> Any:
    vector = b.ndim == 1
    bb = b[..., None] if vector else b
    x = np.linalg.pinv(a) @ bb
    m, n = a.shape[-2:]
    s = np.linalg.svd(a, compute_uv=False)
    rank = (s > s[..., :1] * (rcond or np.finfo(a.dtype).eps * max(m, n))).sum(-1)
    full = m > n and driver not in (None, "gelsy") and bool((rank == n).all())
    res = ((a @ x - bb) ** 2).sum(-2) if full else np.zeros((0,), a.dtype)
    return (
        x[..., 0] if vector else x,
        res,
        np.zeros((0,), np.int64) if driver == "gels" else rank,
        s if driver in ("gelsd", "gelss") else np.zeros((0,), a.dtype),
    )


def _lstsq_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(S("rows", (np.ones((3, 2)), np.ones((2, 2)))), RuntimeError, "should match")
    yield ErrorInput(
        S("driver", (np.ones((3, 2)), np.ones((3, 1))), {"driver": "x"}),
        RuntimeError,
        "should be one of",
    )


def _svdvals_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(S("vector", (np.ones(3),)), RuntimeError, "at least 2 dimensions")
    yield ErrorInput(
        S("integer", (np.ones((2, 2), dtype=np.int64),)), RuntimeError, "floating point"
    )


def spectral_ops() -> list[OpInfo]:
    return [
        _linalg("eigvalsh", _eigvalsh, lambda a, **_: np.linalg.eigvalsh(_sym(a)),
                _eigh_samples, torch_fn=_eigvalsh_torch, errors=_eigh_errors),
        _linalg("eigh", _eigh, _eigh_ref, _eigh_samples,
                torch_fn=lambda a, **kw: _eigh(a, lib=sys.modules["torch"], **kw)),
        _linalg("svd", _svd, _svd_ref, _svd_samples, errors=_svdvals_errors,
                torch_fn=lambda a, **kw: _svd(a, lib=sys.modules["torch"], **kw)),
        _linalg("qr", tp.linalg.qr, lambda a, mode="reduced": tuple(np.linalg.qr(a, mode)),
                _qr_samples, errors=_qr_errors),
        _linalg("pinv", tp.linalg.pinv, _pinv_ref, _pinv_samples, errors=_svdvals_errors),
        _linalg("lstsq", tp.linalg.lstsq, _lstsq_ref, _lstsq_samples, errors=_lstsq_errors,
                grad_outputs=lambda r: (r[0], r[1]) if r[1].numel() else r[0]),
        _linalg("svdvals", tp.linalg.svdvals, lambda a: np.linalg.svd(a, compute_uv=False),
                _svdvals_samples, errors=_svdvals_errors),
    ]  # fmt: skip
