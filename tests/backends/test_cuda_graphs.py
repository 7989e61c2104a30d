"""``tp.cuda.CUDAGraph``/``tp.cuda.graph`` (issue 21) on the CuPy stand-in: a captured
training step (forward, backward, optimizer step) replayed with new data gives the eager
steps' results in one launch, and what cannot be captured fails with what to do."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

import cupy_stand_in as stand_in
import tensorplug as tp
import tensorplug.nn.functional as F
from graph_training import train
from tensorplug._plugins import REGISTRY

SHAPES = [(3, 8), (8,), (8, 1), (1,)]


def _model(opt_cls: Any, device: str = "cuda", **kw: Any) -> tuple[list[Any], Any]:
    rng = np.random.default_rng(0)
    ps = [tp.nn.Parameter(tp.tensor(rng.standard_normal(s) * 0.5, device=device)) for s in SHAPES]
    return ps, opt_cls(ps, **kw)


@pytest.fixture(params=["cuda", "cpu"])
def device(request: pytest.FixtureRequest) -> str:
    """The stand-in GPU (a CUDA graph), or the CPU without a CUDA backend (a tape)."""
    if request.param == "cuda":
        request.getfixturevalue("gpus")
    else:
        request.getfixturevalue("no_gpu")
    return str(request.param)


@pytest.fixture
def no_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    REGISTRY.manager()
    spec = REGISTRY.specs["cupy"]
    monkeypatch.setitem(
        REGISTRY.specs, "cupy", dataclasses.replace(spec, probe=lambda: (False, "no GPU here"))
    )


def _data(n: int) -> list[tuple[Any, Any]]:
    rng = np.random.default_rng(1)
    return [(rng.standard_normal((16, 3)), rng.standard_normal((16, 1))) for _ in range(n)]


def _step(ps: list[Any], opt: Any, x: Any, y: Any) -> Any:
    w1, b1, w2, b2 = ps
    loss = F.mse_loss(F.silu(x @ w1 + b1) @ w2 + b2, y)
    loss.backward()
    opt.step()
    return loss


@pytest.mark.parametrize(
    ("opt_cls", "kw"),
    [
        (tp.optim.SGD, {"lr": 0.05, "momentum": 0.9, "foreach": True}),
        (tp.optim.AdamW, {"lr": 0.01, "capturable": True, "foreach": True}),
        (tp.optim.Adam, {"lr": 0.01, "capturable": True, "amsgrad": True, "foreach": True}),
    ],
    ids=["SGD", "AdamW", "Adam-amsgrad"],
)
def test_a_replayed_training_step_is_the_eager_step(device: str, opt_cls: Any,
                                                    kw: dict[str, Any]) -> None:  # fmt: skip
    data = _data(6)
    ps, opt = _model(opt_cls, device, **kw)
    for x, y in data:
        opt.zero_grad(set_to_none=True)
        with stand_in.launches() as eager:
            want = _step(ps, opt, tp.tensor(x, device=device), tp.tensor(y, device=device))
    ps2, opt2 = _model(opt_cls, device, **kw)
    static_x, static_y = (
        tp.zeros(16, 3, dtype=tp.float64, device=device),
        tp.zeros(16, 1, dtype=tp.float64, device=device),
    )
    for x, y in data[:2]:  # warm-up: the optimizer makes its state on its first step
        opt2.zero_grad(set_to_none=True)
        _step(ps2, opt2, tp.tensor(x, device=device), tp.tensor(y, device=device))
    opt2.zero_grad(set_to_none=True)
    g = tp.cuda.CUDAGraph()
    with tp.cuda.graph(g):
        static_loss = _step(ps2, opt2, static_x, static_y)
    for x, y in data[2:]:
        static_x.copy_(tp.tensor(x, device=device))
        static_y.copy_(tp.tensor(y, device=device))
        with stand_in.launches() as replayed:
            g.replay()
    if device == "cuda":
        assert replayed.by_name == {"graph": 1} and eager.total > 25
    for a, b in zip(ps, ps2, strict=True):
        np.testing.assert_array_equal(b.detach().cpu().numpy(), a.detach().cpu().numpy())
    assert static_loss.item() == want.item()


def test_adam_without_capturable_refuses_capture(gpus: Any) -> None:
    ps, opt = _model(tp.optim.Adam, lr=0.01)
    x, y = (tp.tensor(a, device="cuda") for a in _data(1)[0])
    _step(ps, opt, x, y)
    message = "Adam but param_groups' capturable is False"
    with pytest.raises(RuntimeError, match=message), tp.cuda.graph(tp.cuda.CUDAGraph()):
        _step(ps, opt, x, y)


def _capturing(body: Any) -> None:
    x = tp.ones(4, device="cuda")
    g = tp.cuda.CUDAGraph()
    with tp.cuda.graph(g):
        body(x)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (lambda x: (x * 2).sum().item(), r"to_host: cannot be captured.*\.item\(\)"),
        (lambda x: bool((x > 0).all()), r"to_host: cannot be captured"),
        (lambda x: x + tp.ones(4).to("cuda"), r"from_\w+: cannot be captured"),
        (lambda x: x + tp.randn(4, device="cuda"), r"random numbers"),
        (lambda x: F.dropout(x, 0.5), r"random numbers"),
        (lambda x: x[x > 0], r"cannot be captured in a CUDA graph.*boolean indexing"),
        (lambda x: tp.nonzero(x), r"cannot be captured in a CUDA graph.*nonzero"),
    ],
    ids=["item", "bool", "cpu-tensor", "randn", "dropout", "bool-index", "nonzero"],
)
def test_what_cannot_be_captured_says_so(gpus: Any, body: Any, message: str) -> None:
    with pytest.raises(RuntimeError, match=message):
        _capturing(body)
    _capturing(lambda x: x * 2)  # the failed capture was ended: a new one works


def test_graph_object_errors(gpus: Any) -> None:
    g = tp.cuda.CUDAGraph()
    with pytest.raises(RuntimeError, match="nothing was captured"):
        g.replay()
    with pytest.raises(RuntimeError, match="Unknown capture error mode"):
        g.capture_begin(capture_error_mode="loose")
    with pytest.raises(TypeError, match=r"must be a tp\.cuda\.CUDAGraph"):
        tp.cuda.graph(object())  # type: ignore[arg-type]
    with tp.cuda.graph(g):
        tp.ones(2, device="cuda") * 3
        assert tp.cuda.is_current_stream_capturing()
    assert not tp.cuda.is_current_stream_capturing()
    with pytest.raises(RuntimeError, match="already owns a captured graph"):
        g.capture_begin()
    g.reset()
    g.capture_begin()
    g.capture_end()
    g.replay()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (lambda x: (x * 2).sum().item(), r"to_host: cannot be captured.*\.item\(\)"),
        (lambda x: x + tp.randn(4), r"random numbers"),
        (lambda x: x[x > 0], r"getitem: cannot be captured.*boolean index"),
        (lambda x: tp.nonzero(x), r"getitem: cannot be captured.*boolean index"),
    ],
    ids=["item", "randn", "bool-index", "nonzero"],
)
def test_on_the_cpu_a_tape_refuses_the_same(no_gpu: None, body: Any, message: str) -> None:
    x = tp.ones(4)
    with pytest.raises(RuntimeError, match=message), tp.cuda.graph(tp.cuda.CUDAGraph()):
        body(x)
    g = tp.cuda.CUDAGraph()
    with tp.cuda.graph(g):
        y = x * 2  # the kernels are restored: a new capture works
    x.copy_(tp.full((4,), 3.0))
    g.replay()
    assert y.tolist() == [6.0] * 4


def test_without_a_cuda_or_cpu_backend_capture_says_what_it_needs(
    no_gpu: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tensorplug._cuda_graphs as graphs

    be = dataclasses.replace(tp.get_backend(), device_type="tpu")
    monkeypatch.setattr(graphs, "get_backend", lambda: be)
    with pytest.raises(RuntimeError, match=r"need a CUDA backend or a CPU one.*no GPU here"):
        tp.cuda.CUDAGraph().capture_begin()


def test_graphed_callables_give_the_eager_values_and_gradients(device: str) -> None:
    import copy

    tp.manual_seed(0)
    model = tp.nn.Sequential(tp.nn.Linear(3, 8), tp.nn.Tanh(), tp.nn.Linear(8, 2))
    model = model.to(device=device, dtype=tp.float64)
    ref = copy.deepcopy(model)
    sample = tp.zeros(5, 3, dtype=tp.float64, device=device, requires_grad=True)
    graphed = tp.cuda.make_graphed_callables(model, (sample,))
    assert graphed is model
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = tp.tensor(rng.standard_normal((5, 3)), device=device, requires_grad=True)
        xr = x.detach().clone().requires_grad_()
        with stand_in.launches() as n:
            y = graphed(x)
        if device == "cuda":
            assert n.by_name["graph"] == 1
        yr = ref(xr)
        (y * y).sum().backward()
        (yr * yr).sum().backward()
        np.testing.assert_allclose(y.detach().cpu().numpy(), yr.detach().cpu().numpy(), rtol=1e-12)
        np.testing.assert_allclose(x.grad.cpu().numpy(), xr.grad.cpu().numpy(), rtol=1e-12)
    for p, q in zip(model.parameters(), ref.parameters(), strict=True):
        np.testing.assert_allclose(p.grad.cpu().numpy(), q.grad.cpu().numpy(), rtol=1e-12)


def test_graphed_callables_refuse_several_outputs(no_gpu: None) -> None:
    x = tp.ones(2, requires_grad=True)
    with pytest.raises(NotImplementedError, match="several tensors is not supported yet"):
        tp.cuda.make_graphed_callables(lambda t: (t * 2, t * 3), (x,))
    with pytest.raises(TypeError, match="sample_args must be tensors"):
        tp.cuda.make_graphed_callables(lambda t: t * 2, (1.0,))


def test_a_classifier_step_with_embedding_and_cross_entropy_replays(device: str) -> None:
    """Index and target checks read them back to the host: skipped while capturing (as
    PyTorch's device-side ones), so such a step can be captured."""

    def run(graphed: bool) -> list[Any]:
        tp.manual_seed(0)
        emb, head = tp.nn.Embedding(10, 4), tp.nn.Linear(4, 3)
        emb, head = (
            emb.to(device=device, dtype=tp.float64),
            head.to(device=device, dtype=tp.float64),
        )
        params = [*emb.parameters(), *head.parameters()]
        opt = tp.optim.AdamW(params, lr=0.1, capturable=True, foreach=True)
        rng = np.random.default_rng(0)
        batches = [(rng.integers(0, 10, 6), rng.integers(0, 3, 6)) for _ in range(6)]
        idx, tgt = (
            tp.zeros(6, dtype=tp.int64, device=device),
            tp.zeros(6, dtype=tp.int64, device=device),
        )

        def step() -> Any:
            loss = F.cross_entropy(head(emb(idx)), tgt)
            loss.backward()
            opt.step()
            return loss

        def load(a: Any, b: Any) -> None:
            idx.copy_(tp.tensor(a, device=device))
            tgt.copy_(tp.tensor(b, device=device))

        train(step, opt, batches, load, graphed, warmup=2)
        return [p.detach().cpu().numpy() for p in params]

    for a, b in zip(run(False), run(True), strict=True):
        np.testing.assert_array_equal(b, a)
