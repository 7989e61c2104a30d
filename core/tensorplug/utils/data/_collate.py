"""``default_collate``: a list of samples into one batch, structure kept, as PyTorch's."""

from __future__ import annotations

import collections.abc
from typing import Any

from ..._creation import as_tensor, tensor
from ..._ops_shape import stack
from ..._tensor import Tensor

_ERROR = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def _collate_array(first: Any, batch: Any) -> Any:
    """NumPy arrays are stacked, NumPy scalars made a tensor; strings and objects refused."""
    if first.dtype.kind in "USOV":
        raise TypeError(_ERROR.format(first.dtype))
    if first.shape == ():
        return as_tensor(batch if hasattr(batch, "dtype") else list(batch))
    return stack([as_tensor(b) for b in batch])


def _collate_sequence(first: Any, batch: Any) -> Any:
    if len({len(b) for b in batch}) != 1:
        raise RuntimeError("each element in list of batch should be of equal size")
    columns = [default_collate(samples) for samples in zip(*batch)]
    if isinstance(first, tuple):
        return columns  # a plain tuple becomes a list, as in PyTorch
    try:
        return type(first)(columns)
    except TypeError:  # a sequence type that cannot be built from a list
        return columns


def default_collate(batch: Any) -> Any:
    """Merge a list of samples into a batch, as ``torch.utils.data.default_collate``.

    Tensors and NumPy arrays are stacked along a new first dim; Python ints and bools become
    a tensor, floats a ``float64`` tensor; strings stay as they are; dicts, named tuples and
    lists are collated field by field (a plain tuple gives a list).

    Example:
        >>> import tensorplug as tp
        >>> from tensorplug.utils.data import default_collate
        >>> default_collate([{"x": tp.ones(2), "y": 0}, {"x": tp.zeros(2), "y": 1}])
        {'x': tensor([[1., 1.],
                [0., 0.]]), 'y': tensor([0, 1])}
    """
    first = batch[0]
    if isinstance(first, Tensor):
        return stack(list(batch))
    if type(first).__module__ == "numpy":
        return _collate_array(first, batch)
    if isinstance(first, float):
        return tensor(list(batch), dtype="float64")
    if isinstance(first, int):  # bool included: a bool tensor
        return tensor(list(batch))
    if isinstance(first, (str, bytes)):
        return batch
    if isinstance(first, collections.abc.Mapping):
        fields = {k: default_collate([b[k] for b in batch]) for k in first}
        try:
            return type(first)(fields)  # type: ignore[call-arg]
        except TypeError:
            return fields
    if isinstance(first, tuple) and hasattr(first, "_fields"):  # a named tuple
        return type(first)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(first, collections.abc.Sequence):
        return _collate_sequence(first, batch)
    raise TypeError(_ERROR.format(type(first)))


def default_convert(data: Any) -> Any:
    """NumPy arrays and scalars inside ``data`` made tensors, structure kept (a plain tuple
    gives a list), as ``torch.utils.data.default_convert``: what a ``DataLoader`` without
    batching does to each sample.

    Example:
        >>> import numpy as np
        >>> from tensorplug.utils.data import default_convert
        >>> default_convert({"x": np.array([0, 1]), "n": 3})
        {'x': tensor([0, 1]), 'n': 3}
    """
    if isinstance(data, Tensor):
        return data
    if type(data).__module__ == "numpy":
        if getattr(data, "dtype", None) is not None and data.dtype.kind in "USOV":
            return data
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        fields = {k: default_convert(v) for k, v in data.items()}
        try:
            return type(data)(fields)  # type: ignore[call-arg]
        except TypeError:
            return fields
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        items = [default_convert(d) for d in data]
        try:
            return type(data)(items)  # type: ignore[call-arg]
        except TypeError:
            return items
    return data
