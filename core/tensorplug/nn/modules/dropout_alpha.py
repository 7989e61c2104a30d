"""Dropout of whole channels of volumes (``Dropout3d``) and the self-normalising dropouts
of SELU networks (``AlphaDropout``, ``FeatureAlphaDropout``)."""

from __future__ import annotations

from ..._tensor import Tensor
from .. import functional as F
from .dropout import _DropoutNd

__all__ = ["Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]


class Dropout3d(_DropoutNd):
    """Zeroes whole channels of ``(N, C, D, H, W)`` with probability ``p`` in training mode.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.Dropout3d(0.5).eval()(tp.ones(1, 2, 2, 2, 2)).shape
        (1, 2, 2, 2, 2)
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout3d(input, self.p, self.training)


class AlphaDropout(_DropoutNd):
    """Dropout that keeps the mean and variance of SELU activations (training mode only)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    """``AlphaDropout`` of whole channels (dim 1)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.feature_alpha_dropout(input, self.p, self.training)
