"""Dropout over three spatial dims (``dropout3d``) and the self-normalising dropouts of SELU
networks (``alpha_dropout``, ``feature_alpha_dropout``; Klambauer et al., 2017), which set
dropped values to SELU's negative saturation and keep the mean and variance unchanged."""

from __future__ import annotations

import math
import warnings

from ..._creation import rand
from ..._tensor import Tensor
from ._dropout import _channels, _check_p

__all__ = ["dropout3d", "alpha_dropout", "feature_alpha_dropout"]

_ALPHA = 1.7580993408473766
"""``-SELU's scale * alpha``: the value a dropped unit takes before the affine correction."""


def dropout3d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels of ``(N, C, D, H, W)`` (or ``(C, D, H, W)``) with probability
    ``p``, the rest scaled by ``1 / (1 - p)``.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.functional.dropout3d(tp.ones(1, 2, 2, 2, 2), 0.5, training=False).shape
        (1, 2, 2, 2, 2)
    """
    if input.ndim not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is deprecated "
            "and will result in an error in a future release. To retain the behavior and "
            "silence this warning, please use dropout instead. Note that dropout3d exists to "
            "provide channel-wise dropout on inputs with 3 spatial dimensions, a channel "
            "dimension, and an optional batch dimension (i.e. 4D or 5D inputs).",
            stacklevel=2,
        )
    return _channels(input, p, training, input.ndim == 5)


def _alpha(input: Tensor, p: float, training: bool, feature: bool) -> Tensor:
    """``input * keep * a + alpha * a * (p + keep - 1)`` with ``keep`` a 0/1 draw (per
    element, or per channel for ``feature``) and ``a = 1 / sqrt((alpha**2 p + 1)(1 - p))``."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    if feature and input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if p == 1.0:
        return input * 0.0
    shape = (*input.shape[:2], *([1] * (input.ndim - 2))) if feature else input.shape
    keep = (rand(*shape, dtype=input.dtype, backend=input._backend) >= p).to(input.dtype)
    a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
    return input * (keep * a) + (keep * (_ALPHA * a) + _ALPHA * a * (p - 1))


def alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
) -> Tensor:
    """Dropout that keeps a SELU network's self-normalisation: dropped elements take SELU's
    negative saturation, then all are rescaled and shifted to keep mean 0 and variance 1.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.functional.alpha_dropout(tp.ones(3), 0.5)
        tensor([1., 1., 1.])
    """
    return _alpha(input, p, training, False)


def feature_alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
) -> Tensor:
    """``alpha_dropout`` of whole channels (dim 1)."""
    return _alpha(input, p, training, True)
