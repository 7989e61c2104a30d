"""``BatchNorm1d`` and ``BatchNorm2d``: per-channel normalisation with running estimates."""

from __future__ import annotations

from typing import Any

from ..._creation import ones, tensor, zeros
from ..._tensor import Tensor
from .. import functional as F
from ..parameter import Parameter
from .module import Module, _factory

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"]


class _BatchNorm(Module):
    """Per-channel normalisation by batch statistics in training (updating
    ``running_mean``/``running_var`` with ``momentum``) and by the running estimates in eval
    mode. Subclasses name the input ranks they take, as PyTorch's do."""

    _ranks: tuple[int, ...] = ()

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        *,
        device: Any = None,
        dtype: Any = None,
        backend: Any = None,
        bias: bool = True,
    ) -> None:
        super().__init__()
        kw = _factory(device, dtype, backend)
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(ones(num_features, **kw))
        else:
            self.register_parameter("weight", None)
        if affine and bias:  # PyTorch 2.13's ``bias=False``: a scale without a shift
            self.bias = Parameter(zeros(num_features, **kw))
        else:
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, **kw))
            self.register_buffer("running_var", ones(num_features, **kw))
            self.register_buffer(
                "num_batches_tracked", tensor(0, dtype="int64", device=device, backend=backend)
            )
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in self._ranks or input.shape[1] != self.num_features:
            ranks = " or ".join(f"{r}D" for r in self._ranks)
            raise ValueError(
                f"{type(self).__name__}: expected {ranks} input with {self.num_features} "
                f"features in dim 1, got shape {list(input.shape)}"
            )
        momentum = 0.0 if self.momentum is None else self.momentum
        use_batch = self.training or self.running_mean is None
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # cumulative moving average
                momentum = 1.0 / float(self.num_batches_tracked.item())
        update = self.training and self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if update or not use_batch else None,
            self.running_var if update or not use_batch else None,
            self.weight,
            self.bias,
            use_batch,
            momentum,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) input, per feature C."""

    _ranks = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) input, per channel C."""

    _ranks = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch normalisation of (N, C, D, H, W) input, per channel C.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.BatchNorm3d(2)(tp.randn(3, 2, 2, 2, 2)).shape
        (3, 2, 2, 2, 2)
    """

    _ranks = (5,)
