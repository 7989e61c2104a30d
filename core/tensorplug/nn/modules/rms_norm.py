"""``RMSNorm``: root-mean-square normalisation over the trailing dims, with a learnt scale."""

from __future__ import annotations

from typing import Any

from ..._creation import ones
from ..._tensor import Tensor
from .. import functional as F
from ..functional._rms_norm import normalized
from ..parameter import Parameter
from .module import Module, _factory

__all__ = ["RMSNorm"]


class RMSNorm(Module):
    """``x / sqrt(mean(x**2) + eps) * weight`` over the trailing ``normalized_shape`` dims;
    ``eps=None`` is the machine epsilon of the input's dtype; weight starts at 1.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.RMSNorm(4)(tp.full((2, 4), 3.0)).shape
        (2, 4)
    """

    def __init__(
        self,
        normalized_shape: Any,
        eps: float | None = None,
        elementwise_affine: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        backend: Any = None,
    ) -> None:
        super().__init__()
        self.normalized_shape = normalized(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            kw = _factory(device, dtype, backend)
            self.weight = Parameter(ones(*self.normalized_shape, **kw))
        else:
            self.register_parameter("weight", None)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            self.weight.data.fill_(1.0)

    def forward(self, input: Tensor) -> Tensor:
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )
