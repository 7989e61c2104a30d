"""Convolution layers: ``Conv1d``, ``Conv2d``, ``ConvTranspose1d``, ``ConvTranspose2d``, with
PyTorch's parameters (names, shapes, initialisation) so a PyTorch ``state_dict`` loads."""

from __future__ import annotations

import math
from typing import Any

from ..._creation import empty
from ..._tensor import Tensor
from .. import functional as F
from .. import init
from ..functional._windows import ntuple
from ..parameter import Parameter
from .module import Module, _factory

__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """What the convolutions share: the checked hyperparameters, the weight ``(out, in /
    groups, *kernel)`` (transposed: ``(in, out / groups, *kernel)``) and bias ``(out,)``,
    initialised as PyTorch's: ``kaiming_uniform_(a=sqrt(5))`` for the weight and
    ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` for the bias."""

    dims = 2
    transposed = False

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any,
        padding: Any,
        dilation: Any,
        output_padding: Any,
        groups: int,
        bias: bool,
        padding_mode: str,
        factory: dict[str, Any],
    ) -> None:
        super().__init__()
        name, n = type(self).__name__, self.dims
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups:
            raise ValueError("out_channels must be divisible by groups")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"padding_mode must be one of {list(_PADDING_MODES)}, but got "
                f"padding_mode='{padding_mode}'"
            )
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(
                    f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}"
                )
            if padding == "same" and any(s != 1 for s in ntuple(stride, n, "stride", name)):
                raise ValueError("padding='same' is not supported for strided convolutions")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = ntuple(kernel_size, n, "kernel_size", name)
        self.stride = ntuple(stride, n, "stride", name)
        self.padding = padding if isinstance(padding, str) else ntuple(padding, n, "padding", name)
        self.dilation = ntuple(dilation, n, "dilation", name)
        self.output_padding = ntuple(output_padding, n, "output_padding", name)
        self.groups, self.padding_mode = groups, padding_mode
        self._reversed_padding_repeated_twice = self._pad_pairs()
        shape = (
            (in_channels, out_channels // groups) if self.transposed
            else (out_channels, in_channels // groups)
        )  # fmt: skip
        self.weight = Parameter(empty(*shape, *self.kernel_size, **factory))
        if bias:
            self.bias = Parameter(empty(out_channels, **factory))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _pad_pairs(self) -> list[int]:
        """``F.pad``'s (last dim first) padding for a non-zeros ``padding_mode``."""
        if not isinstance(self.padding, str):
            return [p for p in reversed(self.padding) for _ in range(2)]
        if self.padding == "valid":
            return [0, 0] * self.dims
        pairs: list[int] = []
        for d, k in zip(reversed(self.dilation), reversed(self.kernel_size)):
            total = d * (k - 1)
            pairs += [total // 2, total - total // 2]
        return pairs

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
            if fan_in:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        n = self.dims
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0,) * n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        *,
        device: Any = None,
        dtype: Any = None,
        backend: Any = None,
    ) -> None:
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, 0, groups, bias,
            padding_mode, _factory(device, dtype, backend),
        )  # fmt: skip

    def forward(self, input: Tensor) -> Tensor:
        conv = (F.conv1d, F.conv2d, F.conv3d)[self.dims - 1]
        if self.padding_mode == "zeros":
            return conv(
                input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                self.groups,
            )  # fmt: skip
        padded = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
        return conv(padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class Conv1d(_Conv):
    """1-D convolution (cross-correlation) over ``(N, C, L)``, as PyTorch's ``nn.Conv1d``.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.Conv1d(2, 4, 3, padding=1)(tp.ones(1, 2, 5)).shape
        (1, 4, 5)
    """

    dims = 1


class Conv2d(_Conv):
    """2-D convolution (cross-correlation) over ``(N, C, H, W)``, as PyTorch's ``nn.Conv2d``.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.Conv2d(2, 4, 3)(tp.ones(1, 2, 5, 5)).shape
        (1, 4, 3, 3)
    """

    dims = 2


class _ConvTranspose(_ConvNd):
    transposed = True

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Any = 1,
        padding_mode: str = "zeros",
        *,
        device: Any = None,
        dtype: Any = None,
        backend: Any = None,
    ) -> None:
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, output_padding,
            groups, bias, padding_mode, _factory(device, dtype, backend),
        )  # fmt: skip

    def _output_padding(self, input: Tensor, output_size: Any) -> tuple[int, ...]:
        """The ``output_padding`` that gives ``output_size`` (PyTorch's check of its range)."""
        if output_size is None:
            return self.output_padding
        n = self.dims
        pad = ntuple(self.padding, n, "padding", type(self).__name__)
        sizes = list(output_size)[-n:]
        if len(sizes) != n:
            raise ValueError(
                f"ConvTranspose{n}D: for {input.ndim}D input, output_size must have {n} or "
                f"{n + 2} elements (got {len(list(output_size))})"
            )
        extra = []
        for d in range(n):
            i = input.shape[input.ndim - n + d]
            low = (
                (i - 1) * self.stride[d] - 2 * pad[d]
                + self.dilation[d] * (self.kernel_size[d] - 1) + 1
            )  # fmt: skip
            high = low + self.stride[d] - 1
            if not low <= sizes[d] <= high:
                raise ValueError(
                    f"requested an output size of {sizes}, but valid sizes range from {low} "
                    f"to {high} (for an input of {list(input.shape[2:])})"
                )
            extra.append(sizes[d] - low)
        return tuple(extra)

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        conv = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[self.dims - 1]
        extra = self._output_padding(input, output_size)
        return conv(
            input, self.weight, self.bias, self.stride, self.padding, extra, self.groups,
            self.dilation,
        )  # fmt: skip


class ConvTranspose1d(_ConvTranspose):
    """The transpose of ``Conv1d`` over ``(N, C, L)``, as PyTorch's ``nn.ConvTranspose1d``.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.ConvTranspose1d(2, 4, 3, stride=2)(tp.ones(1, 2, 5)).shape
        (1, 4, 11)
    """

    dims = 1


class ConvTranspose2d(_ConvTranspose):
    """The transpose of ``Conv2d`` over ``(N, C, H, W)``, as PyTorch's ``nn.ConvTranspose2d``.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.ConvTranspose2d(2, 4, 2, stride=2)(tp.ones(1, 2, 3, 3)).shape
        (1, 4, 6, 6)
    """

    dims = 2


class Conv3d(_Conv):
    """3-D convolution (cross-correlation) over ``(N, C, D, H, W)``, as PyTorch's
    ``nn.Conv3d``.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.Conv3d(2, 4, 3)(tp.ones(1, 2, 5, 5, 5)).shape
        (1, 4, 3, 3, 3)
    """

    dims = 3


class ConvTranspose3d(_ConvTranspose):
    """The transpose of ``Conv3d`` over ``(N, C, D, H, W)``, as PyTorch's
    ``nn.ConvTranspose3d``."""

    dims = 3
