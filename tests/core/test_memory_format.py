"""``Tensor.stride()``, ``is_contiguous()`` and ``contiguous()`` against PyTorch's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tensorplug as tp

torch = pytest.importorskip("torch")

# Views and results whose layouts PyTorch and NumPy agree on (same strides).
LAYOUTS: dict[str, Callable[[Any], Any]] = {
    "row-major": lambda x: x,
    "transpose": lambda x: x.transpose(0, 1),
    "permute": lambda x: x.permute(2, 0, 1),
    "strided slice": lambda x: x[:, ::2],
    "last-dim slice": lambda x: x[..., 1:3],
    "first-dim slice": lambda x: x[1:],
    "select": lambda x: x[:, 1],
    "size-1 dim of a transpose": lambda x: x[:1].transpose(0, 1),
    "expand": lambda x: x[:1].expand(3, 3, 4),
    "unsqueeze": lambda x: x.unsqueeze(1),
    "0-d": lambda x: x[0, 0, 0],
    "empty transpose": lambda x: x[:0].transpose(0, 2),
    "1-d strided": lambda x: x.reshape(-1)[::3],
}


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_strides_and_contiguity_are_pytorchs(name: str) -> None:
    fn = LAYOUTS[name]
    host = (
        np.arange(24.0).reshape(2, 3, 4) if name != "expand" else np.arange(36.0).reshape(3, 3, 4)
    )
    mine, ref = fn(tp.tensor(host)), fn(torch.tensor(host))
    assert mine.stride() == ref.stride()
    assert mine.is_contiguous() == ref.is_contiguous()
    assert mine.is_contiguous(memory_format=tp.contiguous_format) == ref.is_contiguous()
    for d in range(-mine.ndim, mine.ndim):
        assert mine.stride(d) == ref.stride(d)
    out = mine.contiguous()
    assert out.is_contiguous() and out.stride() == ref.contiguous().stride()
    assert (out is mine) == ref.is_contiguous()
    np.testing.assert_array_equal(out.numpy(), ref.contiguous().numpy())


def test_contiguous_of_a_strided_tensor_is_a_recorded_copy() -> None:
    x = tp.arange(6.0, dtype=tp.float64).requires_grad_()
    y = x[::2].contiguous(memory_format=tp.preserve_format)
    assert type(y.grad_fn).__name__ == "CloneBackward0" and y.is_contiguous()
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 0, 1, 0, 1, 0])


def test_memory_format_objects_and_errors() -> None:
    assert repr(tp.contiguous_format) == "tensorplug.contiguous_format"
    assert isinstance(tp.preserve_format, tp.memory_format)
    x = tp.zeros(2, 3)
    with pytest.raises(TypeError, match="argument 'memory_format' must be"):
        x.is_contiguous(memory_format="contiguous")
    with pytest.raises(TypeError, match="argument 'memory_format' must be"):
        x.contiguous(memory_format=None)
    with pytest.raises(IndexError, match=r"expected to be in range of \[-2, 1\], but got 2"):
        x.stride(2)
    with pytest.raises(TypeError, match="argument 'dim' must be int, not str"):
        x.stride("a")
