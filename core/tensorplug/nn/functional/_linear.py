"""The linear (affine) map of ``nn.Linear``."""

from __future__ import annotations

from ..._linalg import addmm, matmul
from ..._tensor import Tensor

__all__ = ["linear"]


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``; one ``AddmmBackward0`` node for a batch of vectors, as in
    PyTorch."""
    if bias is not None and input.ndim == 2 and weight.ndim == 2 and bias.ndim <= 2:
        return addmm(bias, input, weight.t())
    out = matmul(input, weight.t() if weight.ndim == 2 else weight)
    return out if bias is None else out + bias
