"""The tensor queries and second names of ``_tensor_protocol`` against PyTorch (the aliases'
values and gradients: their op-database entries)."""

from __future__ import annotations

from typing import Any

import pytest

import tensorplug as tp

torch = pytest.importorskip("torch")

DATA: list[Any] = [[1.0, -2.0], [3.0, 0.0]]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int32", "int64", "bool"])
def test_dtype_queries(dtype: str) -> None:
    t = torch.tensor(DATA).to(getattr(torch, dtype))
    p = tp.tensor(DATA).to(getattr(tp, dtype))
    assert p.type() == t.type()
    assert (p.is_signed(), p.is_complex(), p.nbytes, p.itemsize) == (
        t.is_signed(), t.is_complex(), t.nbytes, t.itemsize
    )  # fmt: skip
    assert tp.is_floating_point(p) == torch.is_floating_point(t)
    assert (tp.is_signed(p), tp.is_complex(p)) == (torch.is_signed(t), torch.is_complex(t))
    assert tp.get_device(p) == torch.get_device(t) == -1


def test_type_casts() -> None:
    p = tp.tensor(DATA)
    assert p.type(tp.float64).dtype is tp.float64
    assert p.type("torch.LongTensor").dtype is tp.int64
    with pytest.raises(ValueError, match=r"invalid type: 'torch\.Nope'"):
        p.type("torch.Nope")


@pytest.mark.parametrize("data", [[0.0], 2.0, [], [1.0, 2.0]])
def test_is_nonzero(data: Any) -> None:
    try:
        want: Any = torch.is_nonzero(torch.tensor(data))
    except RuntimeError as e:
        with pytest.raises(RuntimeError, match=str(e)):
            tp.is_nonzero(tp.tensor(data))
        return
    assert tp.is_nonzero(tp.tensor(data)) == tp.tensor(data).is_nonzero() == want


def test_same_size_positive_and_top_level_functions() -> None:
    p = tp.tensor(DATA, requires_grad=True)
    assert p.is_same_size(p * 2) and not tp.is_same_size(p, p[0])
    assert tp.positive(p) is p
    with pytest.raises(RuntimeError, match="on a bool tensor is not supported"):
        tp.positive(tp.tensor([True]))
    assert tp.detach(p).requires_grad is False
    t = torch.tensor(DATA)
    got = tp.softmax(tp.tensor(DATA), 1).numpy()
    assert got == pytest.approx(torch.softmax(t, 1).numpy())
    got = tp.log_softmax(tp.tensor(DATA), 0).numpy()
    assert got == pytest.approx(torch.log_softmax(t, 0).numpy())
    assert tp.fill_(tp.zeros(2), 3.0).tolist() == [3.0, 3.0]
    assert tp.zero_(tp.ones(2)).tolist() == [0.0, 0.0]


def test_storage_offset_from_the_view_ops() -> None:
    for lib in (torch, tp):
        x = lib.arange(24.0).reshape(4, 6)
        views = (x, x[1:], x[:, 2], x[2, 3:], x.t()[1], x[1:].reshape(-1)[4:], x.detach()[1])
        got = [v.storage_offset() for v in views]
        if lib is torch:
            want = got
    assert got == want == [0, 6, 2, 15, 1, 10, 6]
