"""Sparse functions (PyTorch's grouping): ``embedding`` looks rows up by index, ``one_hot``
turns indices into one-hot rows."""

from __future__ import annotations

import math
from typing import Any

from ... import _dtype as D
from ... import _functional_write as fw
from ..._backend import UnsupportedOperation
from ..._capture_state import capturing
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


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of ``weight`` selected by the integer tensor ``input``.

    ``max_norm`` first rescales, in place and outside autograd, each looked-up row whose
    ``norm_type`` norm exceeds it; ``scale_grad_by_freq`` divides each row's gradient by how
    often its index occurs in ``input``; the ``padding_idx`` row gets no gradient.

    Example:
        >>> import tensorplug as tp
        >>> w = tp.tensor([[3.0, 4.0], [1.0, 0.0]])
        >>> tp.nn.functional.embedding(tp.tensor([0]), w, max_norm=1.0)
        tensor([[0.6000, 0.8000]])
    """
    if input.dtype.is_floating_point:
        raise RuntimeError(
            f"embedding(): indices must be an integer tensor, got {input.dtype.name}"
        )
    if sparse:
        raise NotImplementedError(
            "embedding(sparse=True): tensorplug has no sparse gradients; use sparse=False"
        )
    n = weight.shape[0]
    if input.numel() and not capturing():  # a graph cannot read the indices back
        lo, hi = int(input.min().item()), int(input.max().item())
        if lo < 0 or hi >= n:
            raise IndexError(
                f"embedding(): index {lo if lo < 0 else hi} is out of range for a table of {n} rows"
            )
    if input._backend is not weight._backend:
        raise RuntimeError(
            f"embedding(): indices are on {input.device} ({input.backend}) but the weight is "
            f"on {weight.device} ({weight.backend})"
        )
    be = weight._backend
    if (max_norm is not None or scale_grad_by_freq) and not fw.can_add_at(be):
        raise UnsupportedOperation(
            f"embedding(): max_norm and scale_grad_by_freq write or count rows at integer-array "
            f"indices, which needs the scatter_add kernel backend '{be.name}' does not have"
        )
    if max_norm is not None:
        _renorm_rows(weight, input, float(max_norm), float(norm_type))
    scale = None
    if padding_idx is not None:
        pad = padding_idx if padding_idx >= 0 else padding_idx + n
        scale = (input != pad).to(weight.dtype)
    if scale_grad_by_freq:
        k = weight._backend.k
        ones = (input == input).to(weight.dtype)
        counts = Tensor._make(k.index_grad(ones._data, (n,), (input._data,), True), weight._backend)
        freq = 1.0 / counts[input]
        scale = freq if scale is None else scale * freq
    keep = None if scale is None else scale.unsqueeze(-1)._data
    return unary(EmbeddingBackward0, weight, input._data, keep)


def _renorm_rows(weight: Tensor, input: Tensor, max_norm: float, norm_type: float) -> None:
    """``torch.embedding_renorm_``: rows named by ``input`` with a norm above ``max_norm``
    scaled to ``max_norm / (norm + 1e-7)`` of themselves, in place and not recorded."""
    from ..._grad_mode import no_grad

    with no_grad():
        rows = input.reshape(-1)
        w = weight[rows]
        a = w.abs()
        if math.isinf(norm_type):
            norms = a.amax(-1, keepdim=True)
        else:
            norms = a.pow(norm_type).sum(-1, keepdim=True).pow(1.0 / norm_type)
        over = (norms > max_norm).to(w.dtype)
        weight[rows] = w * (1.0 + over * (max_norm / (norms + 1e-7) - 1.0))


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
