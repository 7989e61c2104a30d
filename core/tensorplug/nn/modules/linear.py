"""``Linear`` and its placeholder ``Identity``."""

from __future__ import annotations

import math
from typing import Any

from ..._creation import empty
from ..._tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module, _factory

__all__ = ["Bilinear", "Identity", "Linear"]


def _weight_and_bias(
    mod: Any, shape: tuple[int, ...], bias: bool, device: Any, dtype: Any, backend: Any
) -> None:
    """Give ``mod`` an uninitialised ``weight`` of ``shape`` and a ``bias`` of its first dim
    (or a ``None`` bias), then run its ``reset_parameters``."""
    kw = _factory(device, dtype, backend)
    mod.weight = Parameter(empty(*shape, **kw))
    if bias:
        mod.bias = Parameter(empty(shape[0], **kw))
    else:
        mod.register_parameter("bias", None)
    mod.reset_parameters()


class Identity(Module):
    """Returns its input (a placeholder, e.g. to remove a layer)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    """``y = x @ weight.T + bias`` with ``weight`` of shape (out_features, in_features).

    Initialised as PyTorch's: ``weight`` by ``kaiming_uniform_(a=sqrt(5))`` and ``bias`` from
    U(-1/sqrt(in_features), 1/sqrt(in_features)).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        device: Any = None,
        dtype: Any = None,
        backend: Any = None,
    ) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        _weight_and_bias(self, (out_features, in_features), bias, device, dtype, backend)

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Bilinear(Module):
    """``y = x1^T A x2 + b`` with ``weight`` of shape (out_features, in1_features,
    in2_features); weight and bias initialised from U(-1/sqrt(in1_features), +...), as PyTorch.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.Bilinear(2, 3, 4)(tp.ones(5, 2), tp.ones(5, 3)).shape
        (5, 4)
    """

    def __init__(
        self,
        in1_features: int,
        in2_features: int,
        out_features: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        backend: Any = None,
    ) -> None:
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        shape = (out_features, in1_features, in2_features)
        _weight_and_bias(self, shape, bias, device, dtype, backend)

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )
