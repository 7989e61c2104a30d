"""More pooling layers: adaptive pooling over three spatial dims, power-average pooling
(``LPPool1d/2d/3d``) and the partial inverses of max pooling (``MaxUnpool1d/2d/3d``)."""

from __future__ import annotations

from typing import Any

from ..._tensor import Tensor
from .. import functional as F
from ..functional._windows import ntuple
from .module import Module
from .pooling import _Adaptive

__all__ = [
    "AdaptiveAvgPool3d", "AdaptiveMaxPool3d", "LPPool1d", "LPPool2d", "LPPool3d",
    "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d",
]  # fmt: skip


class AdaptiveAvgPool3d(_Adaptive):
    """Mean over ``output_size`` near-equal bins per spatial dim of ``(N, C, D, H, W)``.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.AdaptiveAvgPool3d(1)(tp.ones(2, 3, 4, 4, 4)).shape
        (2, 3, 1, 1, 1)
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool3d(input, self.output_size)


class AdaptiveMaxPool3d(_Adaptive):
    """Max over ``output_size`` near-equal bins per spatial dim of ``(N, C, D, H, W)``."""

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input: Tensor) -> Any:
        return F.adaptive_max_pool3d(input, self.output_size, self.return_indices)


class _LPPool(Module):
    def __init__(
        self, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False
    ) -> None:
        super().__init__()
        self.norm_type, self.kernel_size = norm_type, kernel_size
        self.stride, self.ceil_mode = stride, ceil_mode

    def extra_repr(self) -> str:
        return (
            f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, ceil_mode={self.ceil_mode}"
        )


class LPPool1d(_LPPool):
    """``(sum of x**p over each window) ** (1/p)`` over ``(N, C, L)``.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.LPPool1d(2, 2)(tp.tensor([[3.0, 4.0]]))
        tensor([[5.]])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.lp_pool1d(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)


class LPPool2d(_LPPool):
    """``(sum of x**p over each window) ** (1/p)`` over ``(N, C, H, W)``."""

    def forward(self, input: Tensor) -> Tensor:
        return F.lp_pool2d(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)


class LPPool3d(_LPPool):
    """``(sum of x**p over each window) ** (1/p)`` over ``(N, C, D, H, W)``."""

    def forward(self, input: Tensor) -> Tensor:
        return F.lp_pool3d(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)


class _MaxUnpool(Module):
    dims = 1

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        name = type(self).__name__
        self.kernel_size = ntuple(kernel_size, self.dims, "kernel_size", name)
        self.stride = ntuple(kernel_size if stride is None else stride, self.dims, "stride", name)
        self.padding = ntuple(padding, self.dims, "padding", name)

    def forward(self, input: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:
        fn = (F.max_unpool1d, F.max_unpool2d, F.max_unpool3d)[self.dims - 1]
        return fn(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpool):
    """Put each value of a ``MaxPool1d`` output back at its index, zeros elsewhere."""


class MaxUnpool2d(_MaxUnpool):
    """Put each value of a ``MaxPool2d`` output back at its index, zeros elsewhere.

    Example:
        >>> import tensorplug as tp
        >>> pool, unpool = tp.nn.MaxPool2d(2, return_indices=True), tp.nn.MaxUnpool2d(2)
        >>> unpool(*pool(tp.ones(1, 1, 4, 4))).shape
        (1, 1, 4, 4)
    """

    dims = 2


class MaxUnpool3d(_MaxUnpool):
    """Put each value of a ``MaxPool3d`` output back at its index, zeros elsewhere."""

    dims = 3
