"""A CUDA graph's static memory on the CuPy stand-in (issue 21): a capture allocates from a
pool of its own that reuses the blocks its temporaries freed, a replay makes no new arrays,
arrays made after the capture never get the graph's memory, and a captured step with the
one-launch AdamW update (``fused``, the default on a GPU) replays as the eager step."""

from __future__ import annotations

from typing import Any

import numpy as np
from test_cuda_graphs import _data, _model, _step

import cupy_stand_in as stand_in
import tensorplug as tp


def _graphed(gpus: Any, data: list[Any]) -> tuple[list[Any], Any, Any, Any, Any]:
    ps, opt = _model(tp.optim.AdamW, lr=0.01, capturable=True)
    for x, y in data[:2]:  # warm-up: the optimizer makes its state on its first step
        opt.zero_grad(set_to_none=True)
        _step(ps, opt, tp.tensor(x, device="cuda"), tp.tensor(y, device="cuda"))
    opt.zero_grad(set_to_none=True)
    static_x = tp.zeros(16, 3, dtype=tp.float64, device="cuda")
    static_y = tp.zeros(16, 1, dtype=tp.float64, device="cuda")
    g = tp.cuda.CUDAGraph()
    with tp.cuda.graph(g), stand_in.launches() as captured:
        loss = _step(ps, opt, static_x, static_y)
    assert captured.by_name["tp_adam"] == 1  # the one-launch update, captured
    return ps, g, loss, static_x, static_y


def test_a_capture_reuses_freed_blocks_and_a_replay_allocates_nothing(
    gpus: Any, monkeypatch: Any
) -> None:
    data = _data(4)
    _, g, _, static_x, static_y = _graphed(gpus, data)
    pool = g._graph.pool
    # The step's temporaries (the forward's, the gradients', the update's) freed during the
    # capture gave their blocks to later ones: fewer blocks than allocations.
    assert len(pool.blocks) < pool.allocations, (len(pool.blocks), pool.allocations)
    allocations, blocks = pool.allocations, list(pool.blocks)
    made: list[Any] = []
    on_current = stand_in._on_current
    monkeypatch.setattr(stand_in, "_on_current", lambda r: made.append(r) or on_current(r))
    for x, y in data[2:]:
        static_x.copy_(tp.tensor(x, device="cuda"))
        static_y.copy_(tp.tensor(y, device="cuda"))
        made.clear()
        g.replay()
        assert made == []  # the replay wrote the captured arrays, and made none
    tp.ones(1000, device="cuda") + 1  # arrays made after the capture: not the graph's memory
    assert (pool.allocations, pool.blocks) == (allocations, blocks)
    # The memory statistics count the graph's pool: what its live arrays use, what it holds.
    default = gpus.get_default_memory_pool()
    assert tp.cuda.memory_allocated() == default.used_bytes() + pool.used_bytes() > 0
    assert tp.cuda.memory_reserved() == default.total_bytes() + pool.total_bytes()


def test_the_replayed_fused_adamw_step_is_the_eager_step(gpus: Any) -> None:
    data = _data(5)
    ps, opt = _model(tp.optim.AdamW, lr=0.01, capturable=True)
    for x, y in data:
        opt.zero_grad(set_to_none=True)
        want = _step(ps, opt, tp.tensor(x, device="cuda"), tp.tensor(y, device="cuda"))
    ps2, g, loss, static_x, static_y = _graphed(gpus, data)
    for x, y in data[2:]:
        static_x.copy_(tp.tensor(x, device="cuda"))
        static_y.copy_(tp.tensor(y, device="cuda"))
        g.replay()
    for a, b in zip(ps, ps2, strict=True):
        np.testing.assert_allclose(b.detach().cpu().numpy(), a.detach().cpu().numpy(),
                                   rtol=1e-12, atol=0)  # fmt: skip
    assert loss.item() == want.item()
