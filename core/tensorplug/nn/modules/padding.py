"""Padding layers: ``F.pad`` with a fixed padding and mode, PyTorch's ``ZeroPad``,
``ConstantPad``, ``ReflectionPad``, ``ReplicationPad`` and ``CircularPad`` (1-D and 2-D)."""

from __future__ import annotations

from typing import Any

from ..._tensor import Tensor
from .. import functional as F
from ..functional._windows import ntuple
from .module import Module

__all__ = [
    "ZeroPad1d", "ZeroPad2d", "ConstantPad1d", "ConstantPad2d", "ReflectionPad1d",
    "ReflectionPad2d", "ReplicationPad1d", "ReplicationPad2d", "CircularPad1d", "CircularPad2d",
    "ZeroPad3d", "ConstantPad3d", "ReflectionPad3d", "ReplicationPad3d", "CircularPad3d",
]  # fmt: skip


class _PadNd(Module):
    """``padding``: an int for every side, or ``(left, right[, top, bottom])``."""

    mode = "constant"
    dims = 1

    def __init__(self, padding: Any, value: float = 0.0) -> None:
        super().__init__()
        self.padding = ntuple(padding, 2 * self.dims, "padding", type(self).__name__)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        if self.mode == "constant":
            return F.pad(input, self.padding, "constant", self.value)
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPad(_PadNd):
    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ZeroPad1d(_PadNd):
    """Pad the last dim with zeros.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.ZeroPad1d((1, 2))(tp.ones(1, 2)).shape
        (1, 5)
    """


class ZeroPad2d(_PadNd):
    """Pad the last two dims with zeros."""

    dims = 2


class ConstantPad1d(_ConstantPad):
    """Pad the last dim with ``value``."""

    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding, value)


class ConstantPad2d(_ConstantPad):
    """Pad the last two dims with ``value``."""

    dims = 2

    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding, value)


class ReflectionPad1d(_PadNd):
    """Pad the last dim with its reflection (the edge not repeated)."""

    mode = "reflect"


class ReflectionPad2d(_PadNd):
    """Pad the last two dims with their reflection (the edge not repeated).

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.ReflectionPad2d(1)(tp.ones(1, 3, 3)).shape
        (1, 5, 5)
    """

    mode, dims = "reflect", 2


class ReplicationPad1d(_PadNd):
    """Pad the last dim by repeating its edge values."""

    mode = "replicate"


class ReplicationPad2d(_PadNd):
    """Pad the last two dims by repeating their edge values."""

    mode, dims = "replicate", 2


class CircularPad1d(_PadNd):
    """Pad the last dim by wrapping around."""

    mode = "circular"


class CircularPad2d(_PadNd):
    """Pad the last two dims by wrapping around."""

    mode, dims = "circular", 2


class ZeroPad3d(_PadNd):
    """Pad the last three dims with zeros.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.ZeroPad3d(1)(tp.ones(1, 2, 2, 2)).shape
        (1, 4, 4, 4)
    """

    dims = 3


class ConstantPad3d(_ConstantPad):
    """Pad the last three dims with ``value``."""

    dims = 3

    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding, value)


class ReflectionPad3d(_PadNd):
    """Pad the last three dims with their reflection (the edge not repeated)."""

    mode, dims = "reflect", 3


class ReplicationPad3d(_PadNd):
    """Pad the last three dims by repeating their edge values."""

    mode, dims = "replicate", 3


class CircularPad3d(_PadNd):
    """Pad the last three dims by wrapping around."""

    mode, dims = "circular", 3
