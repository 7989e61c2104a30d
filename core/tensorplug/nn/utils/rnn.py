"""Batches of sequences of different lengths, as PyTorch's ``torch.nn.utils.rnn``:
``pad_sequence``, ``pack_padded_sequence``, ``pad_packed_sequence``, ``pack_sequence`` and the
``PackedSequence`` the recurrent layers accept.

A ``PackedSequence`` holds the live rows of every time step one after the other: step ``t``
has ``batch_sizes[t]`` rows, the sequences sorted longest first (``sorted_indices`` says how,
``unsorted_indices`` undoes it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from ... import _dtype as D
from ..._creation import full, tensor
from ..._ops_shape import cat, stack
from ..._tensor import Tensor

__all__ = [
    "PackedSequence", "pack_padded_sequence", "pack_sequence", "pad_packed_sequence",
    "pad_sequence",
]  # fmt: skip


class PackedSequence(NamedTuple):
    """``data`` (sum of lengths, *) and ``batch_sizes`` (an int64 tensor, one entry per time
    step), with ``sorted_indices``/``unsorted_indices`` (None when the batch came sorted).

    Example:
        >>> import tensorplug as tp
        >>> from tensorplug.nn.utils.rnn import pack_sequence
        >>> pack_sequence([tp.tensor([1.0, 2.0]), tp.tensor([3.0])]).batch_sizes
        tensor([2, 1])
    """

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None


def _lengths(lengths: Any) -> list[int]:
    if isinstance(lengths, Tensor):
        return [int(v) for v in lengths.tolist()]
    return [int(v) for v in lengths]


def pad_sequence(
    sequences: Sequence[Tensor] | Tensor,
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Stack tensors of shape (L_i, *) into (max L, B, *) (``batch_first``: (B, max L, *)),
    padded with ``padding_value`` on the ``padding_side``."""
    if padding_side not in ("left", "right"):
        raise ValueError(
            f"Expected padding_side to be one of left or right, but got {padding_side}."
        )
    seqs = list(sequences.unbind(0) if isinstance(sequences, Tensor) else sequences)
    if not seqs:
        raise RuntimeError("received an empty list of sequences")
    longest = max(s.shape[0] for s in seqs)
    rows = []
    for s in seqs:
        short = longest - s.shape[0]
        if short:
            pad = full((short, *s.shape[1:]), padding_value, dtype=s.dtype, backend=s._backend)
            s = cat([s, pad] if padding_side == "right" else [pad, s])
        rows.append(s)
    return stack(rows, 0 if batch_first else 1)


def _batch_sizes(lengths: list[int]) -> list[int]:
    return [sum(1 for n in lengths if n > t) for t in range(lengths[0])]


def pack_padded_sequence(
    input: Tensor, lengths: Any, batch_first: bool = False, enforce_sorted: bool = True
) -> PackedSequence:
    """Pack a padded batch (T, B, *) (``batch_first``: (B, T, *)) of sequences of ``lengths``.
    With ``enforce_sorted`` the lengths must be decreasing; otherwise the batch is sorted
    here and ``sorted_indices`` records the order."""
    lens = _lengths(lengths)
    b = input.shape[0 if batch_first else 1]
    if len(lens) != b:
        raise RuntimeError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {len(lens)} "
            f"(batch_size={b})"
        )
    if any(n <= 0 for n in lens):
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in "
            "'lengths' that is <= 0"
        )
    sorted_idx = unsorted_idx = None
    if enforce_sorted:
        if any(lens[i] < lens[i + 1] for i in range(len(lens) - 1)):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability."
            )
        order = list(range(len(lens)))
    else:
        order = sorted(range(len(lens)), key=lambda i: -lens[i])
        inverse = [0] * len(order)
        for pos, i in enumerate(order):
            inverse[i] = pos
        sorted_idx = tensor(order, dtype=D.int64, backend=input._backend)
        unsorted_idx = tensor(inverse, dtype=D.int64, backend=input._backend)
    lens = [lens[i] for i in order]
    if lens[0] > input.shape[1 if batch_first else 0]:
        raise RuntimeError(
            f"Expected the longest length ({lens[0]}) to be at most the padded length "
            f"({input.shape[1 if batch_first else 0]})"
        )
    x = input.transpose(0, 1) if batch_first else input
    if sorted_idx is not None:
        x = x[:, sorted_idx]
    sizes = _batch_sizes(lens)
    data = cat([x[t, :bs] for t, bs in enumerate(sizes)])
    return PackedSequence(data, tensor(sizes, dtype=D.int64), sorted_idx, unsorted_idx)


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple[Tensor, Tensor]:
    """The padded batch back from a ``PackedSequence``, with the lengths (an int64 tensor),
    in the batch's original order."""
    data, sizes = sequence.data, [int(s) for s in sequence.batch_sizes.tolist()]
    b, steps = sizes[0], len(sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"the input, but got total_length={total_length} and max sequence length "
                f"being {steps}"
            )
        steps = total_length
    rows, start = [], 0
    for t in range(steps):
        bs = sizes[t] if t < len(sizes) else 0
        step = data[start : start + bs]
        start += bs
        if bs < b:
            pad = full((b - bs, *data.shape[1:]), padding_value, dtype=data.dtype,
                       backend=data._backend)  # fmt: skip
            step = cat([step, pad]) if bs else pad
        rows.append(step)
    out = stack(rows)
    lengths = [sum(1 for s in sizes if s > i) for i in range(b)]
    if sequence.unsorted_indices is not None:
        out = out[:, sequence.unsorted_indices]
        lengths = [lengths[i] for i in sequence.unsorted_indices.tolist()]
    return (out.transpose(0, 1) if batch_first else out), tensor(lengths, dtype=D.int64)


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of tensors (L_i, *) directly (``pad_sequence`` then ``pack_padded_sequence``)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)
