"""Activation layers with a threshold, a learnt slope or a random one: ``Threshold``,
``Softshrink``, ``Hardshrink``, ``PReLU``, ``RReLU``, and ``Softmax2d`` (softmax over the
channels of each position)."""

from __future__ import annotations

from typing import Any

from ..._creation import empty
from ..._tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module, _factory

__all__ = ["Threshold", "Softshrink", "Hardshrink", "PReLU", "RReLU", "Softmax2d"]


def _inplace(inplace: bool) -> str:
    return ", inplace=True" if inplace else ""


class Threshold(Module):
    """``input`` where it is above ``threshold``, ``value`` elsewhere.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.Threshold(0.5, 0.0)(tp.tensor([0.2, 0.8]))
        tensor([0.0000, 0.8000])
    """

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}" + _inplace(self.inplace)


class Softshrink(Module):
    """``x - lambd``, ``x + lambd`` or 0: shrink toward 0 by ``lambd``."""

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:
        return F.softshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


class Hardshrink(Softshrink):
    """``x`` where ``|x| > lambd``, 0 elsewhere."""

    def forward(self, input: Tensor) -> Tensor:
        return F.hardshrink(input, self.lambd)


class PReLU(Module):
    """``max(0, x) + weight * min(0, x)`` with a learnt slope: one for all channels, or one
    per channel (``num_parameters`` = the channels, dim 1), initialised to ``init``.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.PReLU(3)(tp.ones(2, 3, 4)).shape
        (2, 3, 4)
    """

    def __init__(
        self,
        num_parameters: int = 1,
        init: float = 0.25,
        device: Any = None,
        dtype: Any = None,
        *,
        backend: Any = None,
    ) -> None:
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(empty(num_parameters, **_factory(device, dtype, backend)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.constant_(self.weight, self.init)

    def forward(self, input: Tensor) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class RReLU(Module):
    """Randomised leaky ReLU: a slope uniform in ``[lower, upper]`` per negative element in
    training, ``(lower + upper) / 2`` in evaluation."""

    def __init__(
        self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False
    ) -> None:
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}" + _inplace(self.inplace)


class Softmax2d(Module):
    """Softmax over the channels (dim -3) of ``(N, C, H, W)`` or ``(C, H, W)``."""

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.ndim}D instead")
        return F.softmax(input, -3)
