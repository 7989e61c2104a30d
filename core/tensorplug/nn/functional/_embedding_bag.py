"""``embedding_bag``: the sums, means or maxima of bags of embedding rows, without building
the ``(bags, length, dim)`` lookup a padded ``embedding`` would need.

The bag layout (which looked-up row goes to which bag, the ``padding_idx`` entries left out)
is read on the host once; the lookup is ``embedding`` and the reduction ``index_add`` or
``scatter_reduce``, so the gradient reaches ``weight`` and ``per_sample_weights`` through
those ops (PyTorch records one ``EmbeddingBagBackward0`` node instead).
"""

from __future__ import annotations

import bisect

from ..._creation import tensor, zeros
from ..._tensor import Tensor
from ._sparse import embedding

__all__ = ["embedding_bag"]


def _bags(
    input: Tensor, offsets: Tensor | None, include_last_offset: bool
) -> tuple[list[int], list[int], int]:
    """The flat indices, each one's bag and the number of bags (read on the host)."""
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a "
                "mini-batch of fixed length sequences. However, found offsets of type "
                f"{type(offsets)}"
            )
        b, length = input.shape
        return input.reshape(-1).tolist(), [i for i in range(b) for _ in range(length)], b
    if input.ndim != 1:
        raise ValueError(
            f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}"
        )
    if offsets is None or offsets.ndim != 1:
        raise ValueError(
            f"offsets has to be a 1D Tensor but got {None if offsets is None else offsets.ndim}"
        )
    flat: list[int] = input.tolist()
    starts: list[int] = [int(o) for o in offsets.tolist()]
    if starts and starts[0] != 0:
        raise RuntimeError(
            "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
            f"from position 0. However, got {starts[0]}"
        )
    if include_last_offset:
        starts = starts[:-1]
    return flat, [bisect.bisect_right(starts, i) - 1 for i in range(len(flat))], len(starts)


def _check(input: Tensor, weight: Tensor, mode: str, per_sample_weights: Tensor | None) -> None:
    if input.dtype.name not in ("int64", "int32"):
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got {input.dtype.name} instead (while checking arguments "
            "for embedding_bag)"
        )
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(
                "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                f"supported for mode='sum' (got mode='{mode}'). Please open a feature "
                "request on GitHub."
            )
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ValueError(
                f"embedding_bag: If per_sample_weights ({tuple(per_sample_weights.shape)}) is "
                f"not None, then it must have the same shape as the input "
                f"({tuple(input.shape)})"
            )
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.ndim}")


def embedding_bag(
    input: Tensor,
    weight: Tensor,
    offsets: Tensor | None = None,
    max_norm: float | None = None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """Reduce bags of rows of ``weight``: each row of a 2-D ``input``, or the runs of a 1-D
    ``input`` that start at ``offsets``, by ``mode`` (``sum``, ``mean`` or ``max``); an
    empty bag gives zeros; ``padding_idx`` entries are left out of their bag.

    Example:
        >>> import tensorplug as tp
        >>> w = tp.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
        >>> tp.nn.functional.embedding_bag(tp.tensor([0, 1, 2]), w, tp.tensor([0, 2]))
        tensor([[2., 3.],
                [5., 6.]])
    """
    _check(input, weight, mode, per_sample_weights)
    rows, dim = weight.shape
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise RuntimeError(
                f"padding_idx must be within the number of embeddings, {-rows} through "
                f"{rows - 1}, but got {padding_idx}"
            )
        padding_idx %= rows
    if sparse:
        raise NotImplementedError("embedding_bag(): sparse gradients are not supported")
    flat, bag, n_bags = _bags(input, offsets, include_last_offset)
    bad = [i for i in flat if not 0 <= i < rows]
    if bad:
        raise RuntimeError(
            f"embedding_bag: Expected idx >= 0 && idx < num_embeddings but found idx to be {bad[0]}"
        )
    keep = [j for j, i in enumerate(flat) if i != padding_idx]
    be = weight._backend
    index = tensor([flat[j] for j in keep], dtype="int64", backend=be)
    target = tensor([bag[j] for j in keep], dtype="int64", backend=be)
    looked = embedding(index, weight, None, max_norm, norm_type, scale_grad_by_freq)
    if per_sample_weights is not None:
        at = tensor(keep, dtype="int64", backend=be)
        looked = looked * per_sample_weights.reshape(-1)[at].unsqueeze(1)
    out = zeros(n_bags, dim, dtype=weight.dtype, backend=be)
    if mode == "max":
        spread = target.unsqueeze(1).expand(-1, dim)
        return out.scatter_reduce(0, spread, looked, "amax", include_self=False)
    out = out.index_add(0, target, looked)
    if mode == "mean":
        counts = [0] * n_bags
        for j in keep:
            counts[bag[j]] += 1
        divisor = tensor([max(c, 1) for c in counts], dtype=weight.dtype, backend=be)
        out = out / divisor.unsqueeze(1)
    return out
