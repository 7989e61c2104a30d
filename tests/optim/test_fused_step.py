"""One-launch optimizer updates (``fused=True``, issue 21): the CuPy backend's optional
``adam_update``/``sgd_update`` kernels, run on the stand-in (the kernels' NumPy twins), give
the per-parameter loop's results to rtol 1e-12 in float64, in two launches per step (the
gradients' concatenation and the update) whatever the number of parameters."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import cupy_stand_in as stand_in
import tensorplug as tp

SHAPES = [(3, 4), (5,), (2, 2, 2), (1,)]

CASES = {
    "SGD-momentum": (tp.optim.SGD, {"lr": 0.1, "momentum": 0.9}),
    "SGD-nesterov": (tp.optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True,
                                    "weight_decay": 0.01}),
    "SGD-dampening": (tp.optim.SGD, {"lr": 0.1, "momentum": 0.9, "dampening": 0.1,
                                     "maximize": True}),
    "Adam": (tp.optim.Adam, {"lr": 0.01}),
    "Adam-amsgrad-l2": (tp.optim.Adam, {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}),
    "Adam-maximize": (tp.optim.Adam, {"lr": 0.01, "maximize": True, "betas": (0.4, 0.9)}),
    "AdamW": (tp.optim.AdamW, {"lr": 0.01, "weight_decay": 0.05}),
    "AdamW-capturable": (tp.optim.AdamW, {"lr": 0.01, "weight_decay": 0.05,
                                          "capturable": True}),
}  # fmt: skip

# Launches of a step after the first: the gradients' concatenation and the one update; for
# Adam and AdamW also the step count's add (``fused=True`` keeps the counts on the device,
# as PyTorch does: one add for the group, read back once unless ``capturable``, where the
# kernel reads it); ``maximize``: the gradients' negation.
_FUSED = {"SGD-momentum": 2, "SGD-nesterov": 2, "SGD-dampening": 3, "Adam-maximize": 4}


@pytest.fixture
def gpu() -> Any:
    from tensorplug_cupy._backend import make_backend

    return make_backend(stand_in.make(devices=1), 0, name="stand-in")


def _run(gpu: Any, cls: Any, kw: dict[str, Any], n: int = 4, **flags: Any) -> Any:
    rng = np.random.default_rng(0)

    def on_gpu(a: Any) -> Any:
        return tp.Tensor._make(gpu.k.from_host(a, None), gpu)

    ps = [tp.nn.Parameter(on_gpu(rng.standard_normal(s))) for s in (SHAPES * n)[:n]]
    opt = cls(ps, **kw, **flags)
    launched = []
    for _ in range(4):
        for p in ps:
            p.grad = on_gpu(rng.standard_normal(p.shape))
        with stand_in.launches() as count:
            opt.step()
        launched.append(count)
    return ps, opt, launched


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_one_launch_update_equals_the_loop(gpu: Any, case: str) -> None:
    cls, kw = CASES[case]
    loop, opt_loop, _ = _run(gpu, cls, kw, foreach=False)
    fused, opt, launched = _run(gpu, cls, kw, fused=True)
    for a, b in zip(loop, fused, strict=True):
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-12, atol=0)
    for sa, sb in zip(opt_loop.state.values(), opt.state.values(), strict=True):
        for name, ta in sa.items():
            np.testing.assert_allclose(sb[name].numpy(), ta.numpy(), rtol=1e-12, atol=0)
    kernel = "tp_sgd_momentum" if cls is tp.optim.SGD else "tp_adam"
    kernel += "_amsgrad" if kw.get("amsgrad") else ""
    assert [c.by_name[kernel] for c in launched[1:]] == [1, 1, 1], launched[-1].by_name
    assert launched[-1].total == _FUSED.get(case, 3), launched[-1].by_name


@pytest.mark.parametrize("case", ["Adam", "AdamW", "SGD-momentum"])
def test_fused_launches_do_not_grow_and_foreach_composes(gpu: Any, case: str) -> None:
    cls, kw = CASES[case]
    totals = {n: _run(gpu, cls, kw, n, fused=True)[2][-1].total for n in (4, 40)}
    assert totals == ({4: 2, 40: 2} if cls is tp.optim.SGD else {4: 3, 40: 3})
    composed = _run(gpu, cls, kw, foreach=True)[2][-1]
    assert not any(name.startswith("tp_") for name in composed.by_name)
    assert composed.total == {"Adam": 16, "AdamW": 18, "SGD-momentum": 7}[case]
    # The default on a GPU (neither flag given) is the one-launch update, its step counts
    # on the host: the concatenation and the update.
    assert _run(gpu, cls, kw)[2][-1].total == 2


def test_a_float32_group_with_float64_step_counts_composes(gpu: Any) -> None:
    """A kernel takes one dtype: buffers of two (here float32 parameters, and state of the
    same dtype, so the kernel runs) and the float16 case fall back to the composed step."""
    cls, kw = CASES["Adam"]
    rng = np.random.default_rng(0)
    p = tp.nn.Parameter(tp.Tensor._make(gpu.k.from_host(rng.standard_normal(4), tp.float16),
                                        gpu))  # fmt: skip
    opt = cls([p], **kw, fused=True, eps=1e-4)
    for _ in range(2):
        p.grad = tp.Tensor._make(gpu.k.from_host(rng.standard_normal(4), tp.float16), gpu)
        with stand_in.launches() as count:
            opt.step()
    assert "tp_adam" not in count.by_name and count.total > 2
