"""Activation layers: each calls the matching ``nn.functional`` activation."""

from __future__ import annotations

from typing import Any

from ..._ops_pointwise import relu
from ..._tensor import Tensor
from .. import functional as F
from .module import Module

__all__ = [
    "ReLU", "Sigmoid", "Tanh", "SiLU", "GELU", "LeakyReLU", "Softplus", "Softmax", "LogSoftmax",
]  # fmt: skip


class _Activation(Module):
    _fn: Any = None

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._fn(input)  # type: ignore[no-any-return]


class ReLU(_Activation):
    """``max(x, 0)``; ``inplace=True`` writes it into the input (PyTorch's ``relu_``)."""

    _fn = staticmethod(relu)  # tensorplug.relu: no ``inplace`` to look at on this hot path

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        if self.inplace:
            from ..._inplace import inplace
            from ..._ops_pointwise import ReluBackward0

            return inplace(ReluBackward0, input)
        return relu(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Sigmoid(_Activation):
    """``1 / (1 + exp(-x))``."""

    _fn = staticmethod(F.sigmoid)


class Tanh(_Activation):
    """Hyperbolic tangent."""

    _fn = staticmethod(F.tanh)


class SiLU(_Activation):
    """``x * sigmoid(x)``; ``inplace=True`` writes it into the input (PyTorch's
    ``F.silu(x, inplace=True)``)."""

    _fn = staticmethod(F.silu)

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.silu(input, True) if self.inplace else F.silu(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class GELU(Module):
    """``x * Phi(x)``; ``approximate="tanh"`` for the tanh form."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class LeakyReLU(Module):
    """``x`` where positive, ``negative_slope * x`` elsewhere; ``inplace=True`` writes it
    into the input (PyTorch's ``leaky_relu_``)."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class Softplus(Module):
    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(Module):
    """Softmax along ``dim``."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.softmax(input, _softmax_dim(self.dim, input))

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """``log(softmax(x))`` along ``dim``, computed stably."""

    def forward(self, input: Tensor) -> Tensor:
        return F.log_softmax(input, _softmax_dim(self.dim, input))


def _softmax_dim(dim: int | None, input: Tensor) -> int:
    # PyTorch's legacy rule when dim is omitted.
    if dim is not None:
        return dim
    return 0 if input.ndim in (0, 1, 3) else 1
