"""Selection and masking (``_ops_select``, ``_ops_scatter``, ``_ops_sort``) beyond the op
database's samples: ``where`` with the condition alone, PyTorch's named tuples, ties in a
stable sort, scatter with ``reduce``, ``narrow`` with a tensor start, double backward of the
gather family, and a backend without the optional sorting kernels (the ops that need one
raise ``UnsupportedOperation``, the rest run, and the conformance kit checks exactly that)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import torch

import tensorplug as tp
from tensorplug.plugins import Backend, UnsupportedOperation
from tensorplug.testing import gradcheck, gradgradcheck
from tensorplug.testing._cases import Selection, generate
from tensorplug.testing._opdb import op_db

RNG = np.random.default_rng(16)
SORTING = ("argsort", "topk", "unique", "searchsorted")


def test_where_with_the_condition_alone_is_nonzero_as_a_tuple() -> None:
    c = RNG.uniform(size=(3, 4)) > 0.5
    got = tp.where(tp.tensor(c))
    want = torch.where(torch.tensor(c))
    assert isinstance(got, tuple) and len(got) == len(want) == 2
    for g, w in zip(got, want):
        assert g.dtype is tp.int64 and g.tolist() == w.tolist()
    with pytest.raises(TypeError, match="both input and other"):
        tp.where(tp.tensor(c), 1.0)


def test_results_are_named_tuples_as_pytorchs() -> None:
    x = tp.tensor([3.0, 1.0, 2.0])
    top, srt = tp.topk(x, 2), x.sort()
    assert type(top).__name__ == "topk" and type(srt).__name__ == "sort"
    values, indices = top
    assert values is top.values and indices is top[1]
    assert repr(top).startswith("tensorplug.return_types.topk(\nvalues=tensor([3., 2.])")


@pytest.mark.parametrize("descending", [False, True])
def test_a_stable_sort_keeps_ties_in_order(descending: bool) -> None:
    x = np.array([[2.0, 1.0, 2.0, np.nan, 1.0, 2.0], [0.0, 0.0, -1.0, 0.0, 5.0, 5.0]])
    got = tp.sort(tp.tensor(x), descending=descending, stable=True)
    want = torch.sort(torch.tensor(x), descending=descending, stable=True)
    assert got.indices.tolist() == want.indices.tolist()
    np.testing.assert_array_equal(got.values.numpy(), want.values.numpy())


def test_topk_of_many_takes_the_partition_path() -> None:
    x = RNG.permutation(200).astype(np.float64).reshape(4, 50)
    for k, largest in [(3, True), (30, True), (30, False), (3, False)]:
        got = tp.topk(tp.tensor(x), k, largest=largest)
        want = torch.topk(torch.tensor(x), k, largest=largest)
        assert got.indices.tolist() == want.indices.tolist(), (k, largest)


@pytest.mark.parametrize("reduce", ["add", "multiply"])
@pytest.mark.parametrize("value", [False, True])
def test_scatter_with_reduce_matches_and_has_no_derivative(reduce: str, value: bool) -> None:
    x, src = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 2))
    idx = np.array([[0, 0], [3, 1], [2, 2]])
    s = 1.5 if value else src
    with warnings.catch_warnings():  # PyTorch warns (once) that reduce= with src is deprecated
        warnings.simplefilter("ignore", UserWarning)
        want = torch.tensor(x).scatter(1, torch.tensor(idx), _as(torch, s), reduce=reduce)
    xt = tp.tensor(x, requires_grad=True)
    got = xt.scatter(1, tp.tensor(idx), _as(tp, s), reduce=reduce)
    np.testing.assert_allclose(got.detach().numpy(), want.numpy(), rtol=1e-14)
    assert got.grad_fn.name() == "NotImplemented"
    with pytest.raises(RuntimeError, match="derivative for aten::scatter is not implemented"):
        got.sum().backward()
    with pytest.raises(RuntimeError, match="reduce argument must be either add or multiply"):
        tp.scatter(xt, 1, tp.tensor(idx), _as(tp, s), reduce="mean")


def _as(lib: Any, s: Any) -> Any:
    return s if isinstance(s, float) else lib.tensor(s)


def test_narrow_takes_a_tensor_start_and_is_a_view() -> None:
    x = tp.arange(12.0).reshape(3, 4)
    y = x.narrow(1, tp.tensor(1), 2)
    y.zero_()
    assert x[:, 1:3].tolist() == [[0.0, 0.0]] * 3


def test_in_place_variants_write_into_the_tensor() -> None:
    x = tp.ones(3, 3)
    assert x.tril_() is x and x.tolist() == torch.ones(3, 3).tril().tolist()
    x.masked_fill_(tp.tensor([True, False, False]), 5.0)
    assert x[:, 0].tolist() == [5.0, 5.0, 5.0]
    leaf = tp.ones(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        leaf.triu_()


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: tp.gather(x, 1, tp.tensor([[0, 0], [2, 1]])),
        lambda x: tp.scatter_add(x, 0, tp.tensor([[1, 1, 0]]), x[:1] * x[:1]),
        lambda x: tp.index_add(x, 1, tp.tensor([2, 2]), x[:, :2] * 3, alpha=0.5),
        lambda x: tp.sort(x * x, 0).values,
        lambda x: tp.masked_fill(x * x, x > 0, 2.0),
    ],
)
def test_double_backward_of_the_gather_family(fn: object) -> None:
    x = tp.tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    assert gradcheck(fn, [x])  # type: ignore[arg-type]
    assert gradgradcheck(fn, [x])  # type: ignore[arg-type]


def _without_sorting() -> Backend:
    base = tp.get_backend("numpy")
    kernels = {k: v for k, v in base.kernels.items() if k not in SORTING}
    return Backend(name="no_sorting", kernels=kernels, dtypes=dict(base.dtypes))


def test_a_backend_without_the_sorting_kernels_refuses_only_those_ops() -> None:
    be = _without_sorting()
    x = tp.tensor([3.0, 1.0, 2.0], backend=be)
    for call, kernel in [
        (lambda: tp.sort(x), "argsort"),
        (lambda: tp.topk(x, 1), "topk"),
        (lambda: tp.unique(x), "unique"),
        (lambda: tp.searchsorted(x, x), "searchsorted"),
    ]:
        with pytest.raises(UnsupportedOperation, match=f"no_sorting.*{kernel}"):
            call()
    assert tp.gather(x, 0, tp.tensor([2, 0], backend=be)).tolist() == [2.0, 3.0]


def test_the_kit_checks_that_such_a_backend_refuses_them() -> None:
    be = _without_sorting()
    sel = Selection(ops=("sort", "topk", "gather"))
    unsupported = [c.id for c in generate("unsupported", op_db, be, sel)]
    assert any("forward_argsort" in i for i in unsupported), unsupported
    assert any("forward_topk" in i for i in unsupported), unsupported
    forward = [c for c in generate("forward", op_db, be, sel)]
    assert forward and all(c.op is not None and c.op.name == "gather" for c in forward)


@pytest.mark.parametrize("diagonal", [-400, -70, -1, 0, 3, 64, 400])
def test_triangles_of_large_matrices_by_blocks(diagonal: int) -> None:
    """Past one block of rows (``_triangle``) the kept part is copied block by block and
    only the diagonal band is masked: every diagonal, batched, integers, and the gradient
    (the same triangle of g), also recorded for a second derivative."""
    x = RNG.standard_normal((2, 300, 260))
    for fn, ref in ((tp.tril, np.tril), (tp.triu, np.triu)):
        np.testing.assert_array_equal(fn(tp.tensor(x), diagonal).numpy(), ref(x, diagonal))
        i = RNG.integers(-5, 5, (300, 230))
        assert fn(tp.tensor(i), diagonal).tolist() == ref(i, diagonal).tolist()
        xt = tp.tensor(x, requires_grad=True)
        w = tp.tensor(RNG.standard_normal(x.shape), requires_grad=True)
        (g,) = tp.autograd.grad(fn(xt, diagonal), xt, w, create_graph=True)
        np.testing.assert_array_equal(g.detach().numpy(), ref(w.detach().numpy(), diagonal))
        g.sum().backward()
        assert w.grad is not None
        np.testing.assert_array_equal(w.grad.numpy(), ref(np.ones(x.shape), diagonal))
