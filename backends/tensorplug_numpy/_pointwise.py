"""The NumPy backend's optional pointwise kernels (``tensorplug._contract_pointwise``): NumPy's
ufuncs, each made to return an array for 0-d inputs (``_backend._array``).

The special functions (``erf``, ``erfc``, ``erfinv``, ``lgamma``, ``digamma``, ``trigamma``)
are ``xp_kernels``' (``tensorplug._xp_special``: written on NumPy's own ufuncs, about 20 to
80 of them a call), since NumPy has none and SciPy is no dependency of this backend. Where
SciPy is installed, its ufuncs replace them: one call each, several times faster on large
arrays, and just as accurate.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

import numpy as np

UFUNCS = {
    "floor": np.floor, "ceil": np.ceil, "trunc": np.trunc, "round": np.rint,
    "tan": np.tan, "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan, "sinh": np.sinh,
    "cosh": np.cosh, "asinh": np.arcsinh, "acosh": np.arccosh, "atanh": np.arctanh,
    "log2": np.log2, "log10": np.log10, "signbit": np.signbit, "atan2": np.arctan2,
    "hypot": np.hypot, "copysign": np.copysign, "remainder": np.remainder, "fmod": np.fmod,
    "floor_divide": np.floor_divide, "bitwise_xor": np.bitwise_xor,
    "bitwise_invert": np.invert, "bitwise_left_shift": np.left_shift,
    "bitwise_right_shift": np.right_shift,
}  # fmt: skip
"""Kernel name -> NumPy ufunc (``round`` is ``rint``, a ufunc: halves to even, as PyTorch)."""


def scipy_special() -> dict[str, Callable[..., Any]]:
    """SciPy's special-function ufuncs by kernel name where SciPy is installed (else nothing).
    SciPy is imported on the first call of one, not when the backend loads: ``import
    scipy.special`` costs more than the rest of the backend's start-up."""
    if importlib.util.find_spec("scipy") is None:
        return {}
    return {
        name: _lazy(attr)
        for name, attr in [
            ("erf", "erf"), ("erfc", "erfc"), ("erfinv", "erfinv"), ("lgamma", "gammaln"),
            ("digamma", "psi"), ("trigamma", "polygamma"),
        ]
    }  # fmt: skip


_LOADED: dict[str, Callable[..., Any]] = {}


def _lazy(attr: str) -> Callable[[Any], Any]:
    def kernel(x: Any) -> Any:
        f = _LOADED.get(attr)
        if f is None:
            from scipy import special  # type: ignore[import-untyped, unused-ignore]

            f = _LOADED[attr] = getattr(special, attr)
        r = f(1, x) if attr == "polygamma" else f(x)  # trigamma: polygamma(1, x)
        if attr == "gammaln":  # SciPy's lgamma(-inf) is -inf, PyTorch's inf (the pole's side)
            r = np.where(r == -np.inf, np.inf, r)
        # SciPy has no float16 loops (float32 comes back) and polygamma gives float64
        return r if r.dtype == x.dtype else r.astype(x.dtype)

    kernel.__name__ = attr
    kernel.nin = 1  # type: ignore[attr-defined]  # one input, for ``_backend._array``
    return kernel
