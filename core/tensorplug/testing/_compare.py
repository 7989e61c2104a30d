"""Per-dtype tolerances and ``assert_close``.

The comparison rule is ``|actual - expected| <= atol + rtol * |expected|``, element by element;
NaNs count as equal where both sides have them, and infinities must match exactly (sign too).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor


@dataclass(frozen=True)
class Tol:
    """A ``(rtol, atol)`` pair; ``reason`` says why when it is looser than the default."""

    rtol: float
    atol: float
    reason: str = ""

    def loosest(self, other: Tol) -> Tol:
        if other.rtol >= self.rtol and other.atol >= self.atol:
            return other
        if other.rtol <= self.rtol and other.atol <= self.atol:
            return self
        return Tol(
            max(self.rtol, other.rtol), max(self.atol, other.atol), other.reason or self.reason
        )


EXACT = Tol(0.0, 0.0)

FORWARD: dict[D.dtype, Tol] = {
    D.bool_: EXACT,
    D.int32: EXACT,
    D.int64: EXACT,
    D.float16: Tol(1e-3, 1e-5),
    D.float32: Tol(1.3e-6, 1e-5),
    D.float64: Tol(1e-7, 1e-7),
}
"""Forward values against the float64 reference (torch.testing's defaults)."""

GRAD_PARITY: dict[D.dtype, Tol] = {
    D.float16: Tol(1e-2, 1e-2),
    D.float32: Tol(2e-3, 2e-4),
    D.float64: Tol(1e-5, 1e-7),
}
"""Gradients computed in a low precision against float64 gradients (JAX's defaults)."""

GRADCHECK_EPS = 1e-6
GRADCHECK = Tol(1e-3, 1e-5)
"""Analytic against central-difference gradients, both in float64 (PyTorch's gradcheck)."""


def to_numpy(x: Any) -> np.ndarray:
    """A host NumPy copy of a tensor (through its backend's ``to_host``), array or number."""
    if isinstance(x, Tensor):
        return np.asarray(x._backend.k.to_host(x._data))
    return np.asarray(x)


def _tp_dtype(x: Any) -> D.dtype | None:
    if isinstance(x, Tensor):
        return x.dtype
    try:
        return D.as_dtype(np.asarray(x).dtype)
    except (TypeError, KeyError, ValueError):
        return None


def default_tolerance(dtype: D.dtype | None) -> Tol:
    return FORWARD.get(dtype, FORWARD[D.float64]) if dtype is not None else FORWARD[D.float64]


def assert_close(
    actual: Any,
    expected: Any,
    *,
    rtol: float | None = None,
    atol: float | None = None,
    check_dtype: bool = True,
    equal_nan: bool = True,
    msg: str = "",
) -> None:
    """Assert that ``actual`` and ``expected`` (tensors, arrays or numbers) are close.

    Tolerances default to the ``FORWARD`` table entry of ``actual``'s dtype; pass both ``rtol``
    and ``atol`` to override. The error names the mismatch count and the worst element.

    Example:
        >>> import tensorplug as tp
        >>> from tensorplug.testing import assert_close
        >>> assert_close(tp.tensor([1.0, 2.0]), tp.tensor([1.0, 2.0 + 1e-7]))
    """
    if (rtol is None) != (atol is None):
        raise ValueError("assert_close(): pass both rtol and atol, or neither")
    adt, edt = _tp_dtype(actual), _tp_dtype(expected)
    prefix = f"{msg}: " if msg else ""
    if check_dtype and isinstance(expected, Tensor) and adt is not edt:
        raise AssertionError(f"{prefix}dtype mismatch: {_name(adt)} vs expected {_name(edt)}")
    a, e = to_numpy(actual), to_numpy(expected)
    if a.shape != e.shape:
        raise AssertionError(f"{prefix}shape mismatch: {list(a.shape)} vs expected {list(e.shape)}")
    tol = default_tolerance(adt) if rtol is None else Tol(rtol, atol or 0.0)
    problem = mismatch(a, e, tol, equal_nan)
    if problem:
        raise AssertionError(prefix + problem)


def _name(d: D.dtype | None) -> str:
    return "unknown" if d is None else d.name


def mismatch(a: np.ndarray, e: np.ndarray, tol: Tol, equal_nan: bool = True) -> str:
    """Empty if close, else a message naming the mismatch count and the worst element."""
    if a.dtype == np.bool_ or e.dtype == np.bool_:
        a, e = a.astype(np.int64), e.astype(np.int64)
    a64, e64 = a.astype(np.float64), e.astype(np.float64)
    with np.errstate(all="ignore"):
        diff = np.abs(a64 - e64)
        close = (diff <= tol.atol + tol.rtol * np.abs(e64)) | (a64 == e64)
        # An infinity only matches itself (rtol * inf would accept any finite value).
        close &= (a64 == e64) | ~(np.isinf(a64) | np.isinf(e64))
        if equal_nan:
            close |= np.isnan(a64) & np.isnan(e64)
    bad = ~close
    if not bad.any():
        return ""
    score = np.where(bad, np.nan_to_num(diff, nan=np.inf), -1.0)
    idx = tuple(int(i) for i in np.unravel_index(int(np.argmax(score)), bad.shape))
    return (
        f"{int(bad.sum())} of {bad.size} elements differ (rtol={tol.rtol:g}, atol={tol.atol:g}); "
        f"worst at index {idx}: {float(a64[idx]):.8g} vs expected {float(e64[idx]):.8g} "
        f"(abs diff {float(diff[idx]):.3g})"
    )
