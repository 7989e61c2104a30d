"""Multi-tensor optimizer steps (``foreach``/``fused``, ``optim/_foreach.py``): the same
results as the per-parameter loop, in a number of launches that does not grow with the
number of parameters (counted on the CuPy stand-in)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import cupy_stand_in as stand_in
import immutable_numpy
import tensorplug as tp
from tensorplug.optim import _foreach

SHAPES = [(3, 4), (5,), (2, 2, 2), (1,)]

CASES = [
    (tp.optim.SGD, {"lr": 0.1}),
    (tp.optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    (tp.optim.SGD, {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "maximize": True}),
    (tp.optim.Adam, {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}),
    (tp.optim.Adam, {"lr": 0.01, "maximize": True}),
    (tp.optim.AdamW, {"lr": 0.01, "weight_decay": 0.05}),
]


def _run(cls: Any, kw: dict[str, Any], steps: int = 4, **flags: Any) -> tuple[list[Any], Any]:
    rng = np.random.default_rng(0)
    ps = [tp.nn.Parameter(tp.tensor(rng.standard_normal(s))) for s in SHAPES]
    opt = cls(ps, **kw, **flags)
    for _ in range(steps):
        for p in ps:
            p.grad = tp.tensor(rng.standard_normal(p.shape))
        opt.step()
    return ps, opt


@pytest.mark.parametrize(("cls", "kw"), CASES, ids=lambda c: getattr(c, "__name__", str(c)))
@pytest.mark.parametrize("flag", ["foreach", "fused"])
def test_multi_tensor_step_equals_the_loop(cls: Any, kw: dict[str, Any], flag: str) -> None:
    loop, opt_loop = _run(cls, kw, foreach=False)
    multi, opt = _run(cls, kw, **{flag: True})
    for a, b in zip(loop, multi, strict=True):
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-12, atol=0)
    for sa, sb in zip(opt_loop.state.values(), opt.state.values(), strict=True):
        for name, ta in sa.items():
            np.testing.assert_allclose(sb[name].numpy(), ta.numpy(), rtol=1e-12, atol=0)
    # The parameters now live in one buffer, each a view of its slice.
    bases = {id(p._data.base) for p in multi}
    assert len(bases) == 1 and all(p._data.base is not None for p in multi)


def test_state_dict_round_trip_and_a_missing_gradient_regroup() -> None:
    ps, opt = _run(tp.optim.Adam, {"lr": 0.01}, foreach=True)
    ref, ref_opt = _run(tp.optim.Adam, {"lr": 0.01}, foreach=False)
    opt.load_state_dict(opt.state_dict())  # new state tensors: the buffers are rebuilt
    ref_opt.load_state_dict(ref_opt.state_dict())
    for group in (ps, ref):
        for p in group:
            p.grad = tp.ones(p.shape, dtype=tp.float64)
        group[1].grad = None  # one parameter without a gradient this step
    opt.step()
    ref_opt.step()
    for a, b in zip(ref, ps, strict=True):
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-12)


def test_the_default_is_the_loop_on_numpy_and_immutable_backends() -> None:
    p = tp.nn.Parameter(tp.ones(2))
    group = {"foreach": None, "fused": None}
    assert not _foreach.enabled(group, p)  # measured: docs/performance.md
    assert _foreach.enabled({"foreach": True}, p)
    frozen = immutable_numpy._make()
    q = tp.Tensor._make(p._data.copy(), frozen)
    assert not _foreach.enabled({"foreach": True}, q)


@pytest.fixture
def gpu(monkeypatch: pytest.MonkeyPatch) -> Any:
    from tensorplug_cupy._backend import make_backend

    return make_backend(stand_in.make(devices=1), 0, name="stand-in")


@pytest.mark.parametrize(
    ("cls", "kw"),
    [(tp.optim.Adam, {"lr": 0.01}), (tp.optim.SGD, {"lr": 0.1, "momentum": 0.9})],
    ids=["Adam", "SGD"],
)
def test_launches_per_step_do_not_grow_with_the_parameters(gpu: Any, cls: Any,
                                                           kw: dict[str, Any]) -> None:  # fmt: skip
    counts = {}
    for n in (4, 40):
        ps = [tp.nn.Parameter(tp.Tensor._make(gpu.k.full((3, 2), 1.0, tp.float32), gpu))
              for _ in range(n)]  # fmt: skip
        opt = cls(ps, **kw)  # the default on a GPU backend: foreach
        for _ in range(2):  # the first step builds the buffers and states
            for p in ps:
                p.grad = tp.Tensor._make(gpu.k.full((3, 2), 0.5, tp.float32), gpu)
            with stand_in.launches() as launched:
                opt.step()
        counts[n] = launched.total
    assert counts[4] == counts[40] <= 18, counts  # Adam: 16, SGD with momentum: 7
