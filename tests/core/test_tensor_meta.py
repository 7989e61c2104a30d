"""A tensor's interned shape and dtype (``Tensor._meta``, ``TensorMeta``) never disagree with
its data: pointwise ops pass their input's on to their output, and every way of replacing a
tensor's data drops or replaces it. Nodes take their inputs' shapes and dtypes from it, so a
stale one would give gradients the wrong dtype or shape."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorplug as tp
from tensorplug import nn
from tensorplug._graph import TensorMeta, meta_of
from tensorplug._tensor import Tensor
from tensorplug.testing import op_db
from tensorplug.testing._opinfo import LAYOUTS


def _check(t: Tensor, where: str) -> None:
    m = t._meta
    if m is not None:
        assert (m.shape, m.dtype) == (t._data.shape, t._data.dtype), where


def _tensors(x: Any) -> list[Tensor]:
    if isinstance(x, Tensor):
        return [x]
    if isinstance(x, (tuple, list)):
        return [t for item in x for t in _tensors(item)]
    return []


@pytest.mark.parametrize("info", op_db, ids=lambda i: i.name)
def test_every_op_leaves_metadata_true(info: Any) -> None:
    be = tp.get_backend("numpy")
    for sample in info.sample_inputs():
        for dtype in info.grad_dtypes or info.dtypes:
            for layout in LAYOUTS:
                bound = sample.bind(be, dtype, layout, requires_grad=info.supports_autograd)
                for t in bound.tensors:  # some inputs have theirs computed, some not
                    if t._data.ndim % 2:
                        meta_of(t)
                outs = _tensors(bound.call(info.op))
                where = f"{info.name} {sample.name} {dtype} {layout}"
                for t in outs + bound.tensors:
                    _check(t, where)
                # Pointwise ops on the results pass metadata on (or drop it): still true.
                for t in outs:
                    if t.dtype.is_floating_point:
                        for u in (t * 1.5, t + t, (t - 0.5).tanh(), t.neg() / 2):
                            _check(u, where)


def test_pointwise_results_share_their_input_metadata() -> None:
    x = tp.ones(2, 3, requires_grad=True)
    y = (x * 2 + x).tanh() - 1
    assert isinstance(y._meta, TensorMeta) and y._meta is x._meta
    assert y.grad_fn.shapes.__class__.__name__ == "SameShapes"


def test_dtype_or_shape_changes_are_not_passed_on() -> None:
    x = tp.ones(2, 3, requires_grad=True)
    meta_of(x)
    b = tp.ones(3, requires_grad=True)
    assert (x + b)._meta is not x._meta  # broadcast: computed when needed
    _check(b + x, "broadcast, the smaller first")
    assert (x > 0)._meta is None  # bool result
    assert (x + tp.ones(2, 3, dtype=tp.float64))._meta is None  # promoted
    assert x.sum()._meta is None
    _check(x + b, "broadcast")


def test_replacing_data_replaces_metadata() -> None:
    x = tp.ones(2, 2, requires_grad=True)
    (x * 1).sum().backward()
    assert x._meta is not None
    x.data = tp.ones(3, dtype=tp.float64)
    _check(x, "data setter")
    x.grad = None
    (x * 2).sum().backward()
    assert x.grad.dtype == tp.float64 and x.grad.shape == (3,)
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])


def test_module_casts_and_parameters_keep_metadata_true() -> None:
    lin = nn.Linear(3, 2)
    lin(tp.ones(4, 3)).sum().backward()
    lin.double()
    for p in lin.parameters():
        _check(p, "after .double()")
        p.grad = None
    lin(tp.ones(4, 3, dtype=tp.float64)).sum().backward()
    assert all(p.grad.dtype == tp.float64 for p in lin.parameters())
    p = nn.Parameter(tp.ones(2, 2) * 3)
    _check(p, "Parameter")
