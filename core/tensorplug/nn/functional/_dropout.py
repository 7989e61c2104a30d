"""Dropout: zero elements at random in training, scaling the rest so the expected value
is unchanged."""

from __future__ import annotations

from ..._creation import rand
from ..._tensor import Tensor

__all__ = ["dropout"]


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = rand(*input.shape, dtype=input.dtype, backend=input._backend) >= p
    return input * (keep.to(input.dtype) * (1.0 / (1.0 - p)))
