"""The linear (affine) map of ``nn.Linear``."""

from __future__ import annotations

from ..._linalg import addmm, matmul
from ..._tensor import Tensor

__all__ = ["linear"]


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``; one ``AddmmBackward0`` node for a batch of vectors, as in
    PyTorch, which also folds the leading dims of an n-d input into one first (one matrix
    product each way, not one per leading index, and the weight's gradient without a sum)."""
    if input.ndim > 2 and weight.ndim == 2 and (bias is None or bias.ndim == 1):
        flat = linear(input.reshape(-1, input.shape[-1]), weight, bias)
        return flat.reshape(*input.shape[:-1], weight.shape[0])
    if bias is not None and input.ndim == 2 and weight.ndim == 2 and bias.ndim <= 2:
        return addmm(bias, input, weight.t())
    out = matmul(input, weight.t() if weight.ndim == 2 else weight)
    return out if bias is None else out + bias
