"""Mutation and views on an immutable backend (``Backend.mutable`` false): the core turns every
in-place op and every write through a view into functional updates and re-derives the live
views (``_functional_write``). Proven on ``immutable_numpy`` (tests/support), NumPy's kernels
with every array read-only and no in-place kernel, against the NumPy backend."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import immutable_numpy  # tests/support, on sys.path in every test run
import tensorplug as tp
from tensorplug.plugins import IN_PLACE, Backend

IMMUTABLE = "immutable_numpy"


@pytest.fixture(scope="module", autouse=True)
def _registered() -> None:
    if IMMUTABLE not in tp.list_backends():
        tp.plugins.register(immutable_numpy, "tests/core/test_immutable_backend.py")


def both(program: Callable[[str], Any]) -> None:
    """Run ``program(backend)`` on NumPy and on the immutable double; the results (a tensor
    or a list of them) must be equal."""
    want, got = program("numpy"), program(IMMUTABLE)
    want = want if isinstance(want, (list, tuple)) else [want]
    got = got if isinstance(got, (list, tuple)) else [got]
    assert len(want) == len(got)
    for w, g in zip(want, got, strict=True):
        assert g.backend == IMMUTABLE
        np.testing.assert_array_equal(g.detach().numpy(), w.detach().numpy())


def base(be: str, *shape: int, **kw: Any) -> tp.Tensor:
    n = int(np.prod(shape))
    return (
        tp.arange(n, dtype=tp.float32, backend=be)
        .reshape(*shape)
        .requires_grad_(kw.get("requires_grad", False))
    )


def test_the_double_has_no_in_place_kernel_and_read_only_arrays() -> None:
    be = tp.get_backend(IMMUTABLE)
    assert not be.mutable
    assert not any(be.has_kernel(n) for n in IN_PLACE)
    x = tp.ones(3, backend=IMMUTABLE)
    with pytest.raises(ValueError, match="read-only"):
        x._data[0] = 2.0


def test_an_immutable_backend_must_have_index_put() -> None:
    numpy_k = dict(tp.get_backend("numpy").kernels)
    with pytest.raises(TypeError, match="missing required kernels: index_put"):
        Backend("nope", numpy_k, tp.get_backend("numpy").dtypes, mutable=False)
    for name in IN_PLACE:
        numpy_k.pop(name, None)
    numpy_k["index_put"] = lambda x, idx, v: x
    be = Backend("fine", numpy_k, tp.get_backend("numpy").dtypes, mutable=False)
    assert not be.has_kernel("setitem")  # never called: left out of ``backend.k``


@pytest.mark.parametrize(
    "write",
    [
        lambda x: x[0].fill_(1),
        lambda x: x.t().add_(1),
        lambda x: x[1:][:, 2].mul_(3),
        lambda x: x.reshape(12)[3:7].zero_(),
        lambda x: x.permute(1, 0)[2].copy_(tp.ones(3, backend=x.backend)),
        lambda x: x.diagonal().sub_(5),
        lambda x: x.unbind(1)[2].add_(10),
        lambda x: x.narrow(1, 1, 2).fill_(-1),
        lambda x: x.__setitem__((slice(None), 0), 9.0),
        lambda x: x.__setitem__(tp.tensor([0, 2], backend=x.backend), -3.0),
        lambda x: x.view(2, 6)[1].__setitem__(slice(0, 3), 4.0),
        lambda x: x.detach()[1].add_(1),
        lambda x: x.data.mul_(2),
        lambda x: x.unsqueeze(0).squeeze(0).clamp_(2, 5),
    ],
    ids=lambda f: "",
)
def test_writes_through_views_reach_the_base_and_every_live_view(write: Any) -> None:
    def program(be: str) -> list[tp.Tensor]:
        x = base(be, 3, 4)
        views = [x[0], x.t(), x.reshape(2, 6), x[:, 1:3], x.expand(2, 3, 4), x.diagonal()]
        write(x)
        return [x, *views]

    both(program)


def test_a_view_reads_the_base_after_the_base_is_written() -> None:
    def program(be: str) -> list[tp.Tensor]:
        x = base(be, 2, 3)
        with tp.no_grad():  # views made outside grad mode are re-derived too
            row, col, exp = x[1], x.t()[0], x[:1].expand(4, 3)
        x.mul_(2)
        x += 1
        x[0, 0] = 100.0
        return [row, col, exp]

    both(program)


def test_in_place_ops_in_the_graph_and_through_views_give_pytorchs_gradients() -> None:
    def program(be: str) -> list[tp.Tensor]:
        leaf = base(be, 3, 4, requires_grad=True)
        w = tp.full((4,), 2.0, backend=be, requires_grad=True)
        x = leaf * 1
        x[1].mul_(w)
        x.t()[0].add_(w[:3])
        x.clamp_(0, 20).mul_(3)
        (x * x).sum().backward()
        return [x, leaf.grad, w.grad]

    both(program)


def test_gradients_accumulate_into_the_same_grad_tensor() -> None:
    def program(be: str) -> list[tp.Tensor]:
        w = base(be, 2, 3, requires_grad=True)
        y = (w * w).sum() + (w * 3).sum()  # two gradients summed by the engine
        y.backward(retain_graph=True)
        grad = w.grad
        view = grad[0]
        y.backward()
        assert w.grad is grad
        return [grad, view]

    both(program)


def _train(be: str, opt_cls: Any, **kw: Any) -> list[tp.Tensor]:
    tp.manual_seed(0)
    model = tp.nn.Sequential(tp.nn.Linear(4, 8), tp.nn.Tanh(), tp.nn.Linear(8, 2)).to(backend=be)
    tp.nn.init.ones_(model[2].bias)
    first_row = model[0].weight[0]  # a view of a parameter across the optimizer's steps
    opt = opt_cls(model.parameters(), **kw)
    x = tp.linspace(-1, 1, 12, backend=be).reshape(3, 4)
    target = tp.tensor([[0.5, -0.5]] * 3, backend=be)
    for _ in range(3):
        opt.zero_grad()
        loss = ((model(x) - target) ** 2).mean()
        loss.backward()
        opt.step()
    return [loss, first_row, *model.parameters()]


def test_lbfgs_trains_as_on_numpy() -> None:
    def program(be: str) -> list[tp.Tensor]:
        tp.manual_seed(0)
        w = tp.nn.Parameter(tp.randn(3, backend=be))
        opt = tp.optim.LBFGS([w], lr=0.5, max_iter=5)

        def closure() -> tp.Tensor:
            opt.zero_grad()
            loss = ((w - 1.0) ** 2).sum()
            loss.backward()
            return loss

        for _ in range(2):
            opt.step(closure)
        return [w]

    both(program)


@pytest.mark.parametrize(
    ("opt_cls", "kw"),
    [
        (tp.optim.Adam, {"lr": 0.1}),
        (tp.optim.SGD, {"lr": 0.1, "momentum": 0.9}),
        (tp.optim.AdamW, {"lr": 0.1, "weight_decay": 0.1}),
        (tp.optim.RMSprop, {"lr": 0.01, "momentum": 0.5, "centered": True}),
        (tp.optim.Adadelta, {}),
        (tp.optim.Adagrad, {"lr": 0.1}),
        (tp.optim.Adamax, {"lr": 0.1}),
        (tp.optim.ASGD, {"lr": 0.1}),
        (tp.optim.NAdam, {"lr": 0.1}),
        (tp.optim.RAdam, {"lr": 0.1}),
        (tp.optim.Rprop, {"lr": 0.1}),
        (tp.optim.Adam, {"lr": 0.1, "amsgrad": True, "weight_decay": 0.1}),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_an_mlp_trains_as_on_numpy(opt_cls: Any, kw: dict[str, Any]) -> None:
    both(lambda be: _train(be, opt_cls, **kw))


def test_nn_init_and_zero_grad() -> None:
    def program(be: str) -> list[tp.Tensor]:
        tp.manual_seed(1)
        w = tp.empty(3, 4, backend=be)
        row = w[1]
        tp.nn.init.eye_(w)
        e = w.clone()
        tp.nn.init.constant_(w, 0.5)
        c = w.clone()
        tp.nn.init.kaiming_uniform_(w)
        p = tp.nn.Parameter(tp.ones(2, backend=be))
        (p * 2).sum().backward()
        g = p.grad
        opt = tp.optim.SGD([p], lr=1.0)
        opt.zero_grad(set_to_none=False)
        return [e, c, w, row, g]

    both(program)


def test_indexed_writes_and_scatter() -> None:
    def program(be: str) -> list[tp.Tensor]:
        x = base(be, 4, 3)
        idx = tp.tensor([0, 2, 0], backend=be)
        x.index_add_(0, idx, tp.ones(3, 3, backend=be))
        x[x > 20] = 0.0
        x[1].scatter_add_(0, tp.tensor([1, 1], backend=be), tp.tensor([5.0, 6.0], backend=be))
        y = tp.nn.functional.pad(x, (1, 1))
        return [x, y]

    both(program)


def test_views_keep_the_old_memory_after_data_is_replaced() -> None:
    """``x.data = y``: ``x`` gets other memory; its views and aliases keep the old one
    between them, as in PyTorch."""

    def program(be: str) -> list[tp.Tensor]:
        x = tp.zeros(3, backend=be)
        view, alias = x[0:2], x.detach()
        alias_view = alias[1:]
        x.data = tp.ones(3, backend=be)
        x.add_(1)
        view.add_(5)
        alias_view.mul_(3)
        return [x, view, alias, alias_view]

    both(program)
