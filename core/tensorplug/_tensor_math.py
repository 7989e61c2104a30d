"""Type declarations of the ``Tensor`` methods that issue 16's statistics, math and
linear-algebra additions bind (``_math_surface.METHODS``): a base of ``Tensor`` holding only
annotations (no slots, no behaviour), so the type checker knows them and ``_tensor.py``
stays within its size budget."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._tensor import Tensor


class MathMethods:
    """The methods' types; ``_methods`` binds the functions themselves to ``Tensor``."""

    __slots__ = ()

    addbmm: Callable[..., Tensor]
    addr: Callable[..., Tensor]
    aminmax: Callable[..., Any]
    cholesky_inverse: Callable[..., Tensor]
    cholesky_solve: Callable[..., Tensor]
    corrcoef: Callable[..., Tensor]
    cov: Callable[..., Tensor]
    cross: Callable[..., Tensor]
    deg2rad: Callable[..., Tensor]
    dist: Callable[..., Tensor]
    float_power: Callable[..., Tensor]
    fmax: Callable[..., Tensor]
    fmin: Callable[..., Tensor]
    frexp: Callable[..., Any]
    gcd: Callable[..., Tensor]
    heaviside: Callable[..., Tensor]
    histc: Callable[..., Tensor]
    histogram: Callable[..., Any]
    i0: Callable[..., Tensor]
    igamma: Callable[..., Tensor]
    igammac: Callable[..., Tensor]
    inner: Callable[..., Tensor]
    kthvalue: Callable[..., Any]
    lcm: Callable[..., Tensor]
    ldexp: Callable[..., Tensor]
    logaddexp: Callable[..., Tensor]
    logaddexp2: Callable[..., Tensor]
    logcumsumexp: Callable[..., Tensor]
    matrix_exp: Callable[..., Tensor]
    matrix_power: Callable[..., Tensor]
    median: Callable[..., Any]
    mode: Callable[..., Any]
    msort: Callable[..., Tensor]
    mv: Callable[..., Tensor]
    nanmean: Callable[..., Tensor]
    nanmedian: Callable[..., Any]
    nanquantile: Callable[..., Tensor]
    nansum: Callable[..., Tensor]
    nextafter: Callable[..., Tensor]
    quantile: Callable[..., Tensor]
    rad2deg: Callable[..., Tensor]
    renorm: Callable[..., Tensor]
    unique_consecutive: Callable[..., Any]
    vdot: Callable[..., Tensor]
    addbmm_: Callable[..., Tensor]
    addr_: Callable[..., Tensor]
    deg2rad_: Callable[..., Tensor]
    float_power_: Callable[..., Tensor]
    gcd_: Callable[..., Tensor]
    heaviside_: Callable[..., Tensor]
    i0_: Callable[..., Tensor]
    igamma_: Callable[..., Tensor]
    igammac_: Callable[..., Tensor]
    lcm_: Callable[..., Tensor]
    ldexp_: Callable[..., Tensor]
    nextafter_: Callable[..., Tensor]
    rad2deg_: Callable[..., Tensor]
    renorm_: Callable[..., Tensor]
