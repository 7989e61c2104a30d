"""Sparse functions (PyTorch's grouping): ``embedding`` looks rows up by index, ``one_hot``
turns indices into one-hot rows."""

from __future__ import annotations

from typing import Any

from ... import _dtype as D
from ..._contract import Array, KernelOps
from ..._creation import arange
from ..._dispatch import unary
from ..._graph import Node
from ..._tensor import Tensor

__all__ = ["embedding", "one_hot"]


# fmt: off
class EmbeddingBackward0(Node):
    """``weight[indices]``: grad weight = g added into the rows named by ``indices``, except
    the ``padding_idx`` row, which gets no gradient."""
    op = "embedding"

    @staticmethod
    def forward(k: Any, weight: Any, idx: Any, keep: Any) -> Any:
        return k.getitem(weight, idx)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        idx, keep = ctx.args
        if keep is not None:
            g = ops.mul(g, ops.const(keep, g))
        return (ops.index_grad(g, ctx.shapes[0], (idx,), True),)
# fmt: on


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """Rows of ``weight`` selected by the integer tensor ``input``."""
    if input.dtype.is_floating_point:
        raise RuntimeError(
            f"embedding(): indices must be an integer tensor, got {input.dtype.name}"
        )
    n = weight.shape[0]
    if input.numel():
        lo, hi = int(input.min().item()), int(input.max().item())
        if lo < 0 or hi >= n:
            raise IndexError(
                f"embedding(): index {lo if lo < 0 else hi} is out of range for a table of {n} rows"
            )
    keep = None
    if padding_idx is not None:
        pad = padding_idx if padding_idx >= 0 else padding_idx + n
        keep = (input != pad).to(weight.dtype).unsqueeze(-1)._data
    if input._backend is not weight._backend:
        raise RuntimeError(
            f"embedding(): indices are on {input.device} ({input.backend}) but the weight is "
            f"on {weight.device} ({weight.backend})"
        )
    return unary(EmbeddingBackward0, weight, input._data, keep)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Class indices as int64 one-hot rows (``num_classes`` defaults to ``max + 1``)."""
    if tensor.dtype.is_floating_point:
        raise RuntimeError("one_hot is only applicable to index tensor")
    if tensor.numel():
        lo, hi = int(tensor.min().item()), int(tensor.max().item())
        if lo < 0:
            raise RuntimeError(f"one_hot(): class values must be non-negative, got {lo}")
        if 0 <= num_classes <= hi:
            raise RuntimeError(
                f"one_hot(): class values must be smaller than num_classes ({num_classes}), "
                f"got {hi}"
            )
    elif num_classes < 0:
        raise RuntimeError("one_hot(): can not infer the number of classes from an empty tensor")
    n = hi + 1 if num_classes < 0 else num_classes
    classes = arange(n, backend=tensor._backend)
    return (tensor.unsqueeze(-1) == classes).to(D.int64)
