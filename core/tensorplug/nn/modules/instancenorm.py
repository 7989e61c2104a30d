"""``InstanceNorm1d`` and ``InstanceNorm2d``: each channel of each sample normalised over
its spatial positions (PyTorch's parameters and buffers, off by default)."""

from __future__ import annotations

from typing import Any

from ..._tensor import Tensor
from .. import functional as F
from .batchnorm import _BatchNorm

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"]


class _InstanceNorm(_BatchNorm):
    """Normalisation by each sample's own statistics (in eval mode with
    ``track_running_stats``: by the running estimates, which training updates)."""

    _spatial = 1

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        *,
        device: Any = None,
        dtype: Any = None,
        backend: Any = None,
        bias: bool = True,
    ) -> None:
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats,
            device=device, dtype=dtype, backend=backend, bias=bias,
        )  # fmt: skip

    def forward(self, input: Tensor) -> Tensor:
        name, n = type(self).__name__, self._spatial
        if input.ndim not in (n + 1, n + 2):
            raise ValueError(f"expected {n + 1}D or {n + 2}D input (got {input.ndim}D input)")
        unbatched = input.ndim == n + 1
        x = input.unsqueeze(0) if unbatched else input
        if x.shape[1] != self.num_features and self.affine:
            raise ValueError(
                f"{name}: expected input's size at dim=1 to match num_features "
                f"({self.num_features}), but got: {x.shape[1]}."
            )
        out = F.instance_norm(
            x, self.running_mean, self.running_var, self.weight, self.bias,
            self.training or not self.track_running_stats,
            0.1 if self.momentum is None else self.momentum, self.eps,
        )  # fmt: skip
        return out.squeeze(0) if unbatched else out


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of ``(N, C, L)`` (or ``(C, L)``) input.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.InstanceNorm1d(3)(tp.randn(2, 3, 5)).shape
        (2, 3, 5)
    """

    _spatial = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of ``(N, C, H, W)`` (or ``(C, H, W)``) input.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.InstanceNorm2d(3, affine=True)(tp.randn(2, 3, 4, 4)).shape
        (2, 3, 4, 4)
    """

    _spatial = 2


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation of ``(N, C, D, H, W)`` (or ``(C, D, H, W)``) input."""

    _spatial = 3
