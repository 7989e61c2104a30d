"""``tensorplug.special``: PyTorch's ``torch.special`` functions, most of them tensorplug's
ops under their SciPy names (``expit`` is ``sigmoid``, ``gammaln`` is ``lgamma``, ``psi`` is
``digamma``), the rest in ``_ops_special_extra`` (``entr``, ``xlog1py``, ``ndtr``, ``ndtri``,
``log_ndtr``, ``multigammaln``).

Example:
    >>> import tensorplug as tp
    >>> tp.special.expit(tp.tensor([0.0])).tolist()
    [0.5]
"""

from __future__ import annotations

from typing import Any

from ._ops_bessel import bessel_i0 as i0
from ._ops_bessel import special_i0e as i0e
from ._ops_bessel import special_i1 as i1
from ._ops_bessel import special_i1e as i1e
from ._ops_pointwise import expm1, log1p, sigmoid
from ._ops_reduce import logsumexp
from ._ops_rounding import round
from ._ops_special import (
    digamma,
    erf,
    erfc,
    erfinv,
    exp2,
    lgamma,
    logit,
    polygamma,
    sinc,
    xlogy,
)
from ._ops_special_extra import entr, log_ndtr, multigammaln, ndtr, ndtri, xlog1py
from ._ops_special_more import (
    bessel_j0,
    bessel_j1,
    erfcx,
    gammainc,
    gammaincc,
    modified_bessel_i0,
    modified_bessel_i1,
    spherical_bessel_j0,
    zeta,
)  # fmt: skip
from ._tensor import Tensor

expit = sigmoid
gammaln = lgamma
psi = digamma


def softmax(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """``torch.special.softmax``: ``nn.functional.softmax`` along ``dim``."""
    from .nn.functional import softmax as _softmax

    return _softmax(input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """``torch.special.log_softmax``: ``nn.functional.log_softmax`` along ``dim``."""
    from .nn.functional import log_softmax as _log_softmax

    return _log_softmax(input, dim, dtype=dtype)


__all__ = [
    "digamma", "entr", "erf", "erfc", "erfinv", "exp2", "expit", "expm1", "gammaln",
    "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp", "multigammaln", "ndtr", "ndtri",
    "polygamma", "psi", "round", "sinc", "softmax", "xlog1py", "xlogy",
    # issue 16 (wt-h16math): _ops_bessel, _ops_special_more
    "i0", "i0e", "i1", "i1e", "erfcx", "zeta", "gammainc", "gammaincc", "bessel_j0",
    "bessel_j1", "spherical_bessel_j0", "modified_bessel_i0", "modified_bessel_i1",
]  # fmt: skip
