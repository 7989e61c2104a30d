"""PyTorch's second names for existing ops and the small queries of a tensor that PyTorch
code uses (``absolute``, ``greater``, ``swapdims``, ``ravel``, ``sgn``, ``x.is_signed()``,
``x.nbytes``, ``x.type()``...): each an existing op or a read of the tensor's dtype, shape and
device, bound by ``_methods`` and exported by ``tensorplug`` (issue 16)."""

from __future__ import annotations

import math
from typing import Any

from . import _dtype as D
from . import _functional_write as fw
from . import _ops_pointwise as P
from . import _ops_shape as S
from ._dispatch import unary
from ._tensor import Tensor
from ._transfer import to


class SgnBackward0(P.SignBackward0):
    """``sgn(x)`` of a real tensor: ``sign(x)`` under PyTorch's name for it; grad = 0."""

    op = "sgn"


def sgn(input: Tensor) -> Tensor:
    """``sign`` for real tensors (PyTorch's ``sgn`` extends it to complex ones)."""
    if input.dtype is D.bool_:
        return input.clone()
    return unary(SgnBackward0, input)


def positive(input: Tensor) -> Tensor:
    """``+input``: ``input`` itself, as PyTorch returns it; refused for a bool tensor."""
    if input.dtype is D.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def ravel(input: Tensor) -> Tensor:
    """``input`` flattened to one dim (a view where its layout allows, as ``reshape``)."""
    return S.reshape(input, -1)


def is_complex(input: Tensor) -> bool:
    """Always False: tensorplug has no complex dtypes."""
    return False


def is_signed(input: Tensor) -> bool:
    return bool(input.dtype.is_signed)


def is_floating_point(input: Tensor) -> bool:
    return bool(input.dtype.is_floating_point)


def is_nonzero(input: Tensor) -> bool:
    """``bool(input)`` for a tensor of one element; PyTorch's errors for others."""
    n = input.numel()
    if n != 1:
        many = "no values" if n == 0 else "more than one value"
        raise RuntimeError(f"Boolean value of Tensor with {many} is ambiguous")
    return bool(input.item())


def is_same_size(input: Tensor, other: Tensor) -> bool:
    return input.shape == other.shape


def get_device(input: Tensor) -> int:
    """The device index, ``-1`` on the CPU."""
    return input.get_device()


_TYPE_NAMES = {
    "float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
    "int32": "IntTensor", "int64": "LongTensor", "bool": "BoolTensor",
}  # fmt: skip
"""PyTorch's legacy tensor type names by dtype."""


def type_(self: Tensor, dtype: Any = None, non_blocking: bool = False) -> Any:
    """``x.type()``: PyTorch's type string (``'torch.FloatTensor'``, ``'torch.cuda.FloatTensor'``
    on a CUDA device: PyTorch's own strings, so code comparing them runs unchanged);
    ``x.type(dtype)`` or ``x.type('torch.LongTensor')``: ``x`` cast to that dtype."""
    if dtype is None:
        cuda = ".cuda" if self.device.type == "cuda" else ""
        return f"torch{cuda}.{_TYPE_NAMES[self.dtype.name]}"
    if isinstance(dtype, str):
        by_name = {v: k for k, v in _TYPE_NAMES.items()}
        short = dtype.rsplit(".", 1)[-1]
        if short not in by_name or not dtype.startswith(("torch.", "tensorplug.")):
            raise ValueError(f"invalid type: '{dtype}'")
        dtype = D.as_dtype(by_name[short])
    return to(self, dtype)


def storage_offset(self: Tensor) -> int:
    """Where the first element of ``self`` sits in the memory it shares with its base: found
    by replaying its recorded view ops on the base's element positions (0 for a tensor that
    owns its memory, and for an empty view)."""
    root, steps = fw._root(self)
    if not steps or not self.numel():
        return 0
    k = self._backend.k
    shape = tuple(root._data.shape)
    positions = fw._replay(k, k.iota(math.prod(shape), shape, root._data), steps)
    return int(k.to_host(k.getitem(k.reshape(positions, (-1,)), 0)))


def nbytes(self: Tensor) -> int:
    return self.numel() * int(self.dtype.itemsize)


def itemsize(self: Tensor) -> int:
    return int(self.dtype.itemsize)


FUNCTIONS: dict[str, Any] = {
    "absolute": P.abs, "positive": positive, "sgn": sgn, "greater": P.gt,
    "greater_equal": P.ge, "less": P.lt, "less_equal": P.le, "not_equal": P.ne,
    "swapaxes": S.transpose, "swapdims": S.transpose, "ravel": ravel, "is_complex": is_complex,
    "is_signed": is_signed, "is_floating_point": is_floating_point, "is_nonzero": is_nonzero,
    "is_same_size": is_same_size, "get_device": get_device,
}  # fmt: skip
"""The ``tensorplug`` functions; ``Tensor`` methods too (``get_device`` and
``is_floating_point`` already were)."""

METHODS: dict[str, Any] = {
    **{n: f for n, f in FUNCTIONS.items() if n not in ("get_device", "is_floating_point")},
    "type": type_, "nbytes": property(nbytes), "itemsize": property(itemsize),
    "storage_offset": storage_offset,
}  # fmt: skip
