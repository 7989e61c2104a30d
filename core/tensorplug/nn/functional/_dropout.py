"""Dropout: zero elements (or whole channels) at random in training, scaling the rest so
the expected value is unchanged."""

from __future__ import annotations

import warnings

from ..._contract import Array, KernelOps
from ..._creation import rand
from ..._dispatch import nary
from ..._graph import Node
from ..._tensor import Tensor

__all__ = ["dropout", "dropout1d", "dropout2d"]


def _check_p(p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    u = rand(*input.shape, dtype=input.dtype, backend=input._backend)
    return nary(MulBackward0, (input, u), p, 1.0 / (1.0 - p))


# fmt: off
class MulBackward0(Node):
    """Dropout: ``x * mask``, the mask ``scale`` where the uniform sample ``u >= p``, else 0:
    grad x = g * mask. PyTorch's dropout records a ``MulBackward0`` too; this one keeps ``u``
    rather than the mask, so that its forward and its backward are one kernel each on a GPU
    (``dropout``, ``dropout_backward``; issue 21)."""
    op, save = "mul", (1,)
    forward = staticmethod(lambda k, x, u, p, scale: k.dropout(x, u, p, scale))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, u: Array) -> tuple[Array | None, None]:
        p, scale = ctx.args
        return (ops.dropout_backward(g, u, p, scale) if ctx.needs_input_grad[0] else None, None)
# fmt: on


def _mask(shape: tuple[int, ...], input: Tensor, p: float) -> Tensor:
    """``1 / (1 - p)`` where a uniform sample is at least ``p``, else 0: one fused kernel
    (``dropout_mask``) after the draw."""
    be = input._backend
    u = rand(*shape, dtype=input.dtype, backend=be)
    return Tensor._make(be.k.dropout_mask(u._data, p, 1.0 / (1.0 - p)), be)


def _channels(input: Tensor, p: float, training: bool, batched: bool) -> Tensor:
    """Zero each channel (dim 1 of a batch, dim 0 of one sample) as a whole with probability
    ``p``, the rest scaled by ``1 / (1 - p)``."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    lead = 2 if batched else 1
    shape = (*input.shape[:lead], *([1] * (input.ndim - lead)))
    return input * _mask(shape, input, p)


def dropout1d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels of ``(N, C, L)`` (or ``(C, L)``) with probability ``p``.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.functional.dropout1d(tp.ones(2, 3, 4), 0.5, training=False).shape
        (2, 3, 4)
    """
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note "
            "that dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs)."
        )
    return _channels(input, p, training, input.ndim == 3)


def dropout2d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels of ``(N, C, H, W)`` with probability ``p``; a 3-D input is taken
    as ``(N, C, L)`` with PyTorch's warning.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.functional.dropout2d(tp.ones(2, 3, 4, 4), 0.5, training=False).shape
        (2, 3, 4, 4)
    """
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated "
            "and will result in an error in a future release. To retain the behavior and "
            "silence this warning, please use dropout instead. Note that dropout2d exists to "
            "provide channel-wise dropout on inputs with 2 spatial dimensions, a channel "
            "dimension, and an optional batch dimension (i.e. 3D or 4D inputs).",
            stacklevel=2,
        )
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C "
            "is the channel dim. This behavior will change in a future release to interpret "
            "the input as one without a batch dimension, i.e. shape (C, H, W). To maintain "
            "the 1D channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    return _channels(input, p, training, input.ndim >= 2)
