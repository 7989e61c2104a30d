"""Graphs are freed: a long training loop does not grow memory."""

from __future__ import annotations

import gc
import tracemalloc
import weakref
from pathlib import Path

import tensorplug as tp


def _seed_net() -> tuple[list[tp.Tensor], tp.Tensor, tp.Tensor]:
    tp.manual_seed(0)
    x = tp.randn(100, 3)
    y = x[:, 0, None] * 0.2 - x[:, 1, None] * 1.3 - x[:, 2, None] * 0.5 + tp.randn(100, 1)
    params = [
        tp.randn(3, 32, requires_grad=True),
        tp.randn(32, 1, requires_grad=True),
        tp.zeros(1, 32, requires_grad=True),
        tp.zeros(1, 1, requires_grad=True),
    ]
    return params, x, y


def _step(params: list[tp.Tensor], x: tp.Tensor, y: tp.Tensor) -> float:
    w1, w2, b1, b2 = params
    loss = (x.mm(w1).add(b1).clamp(min=0).mm(w2).add(b2) - y).pow(2).sum()
    loss.backward()
    with tp.no_grad():
        for p in params:
            p.sub_(1e-4 * p.grad)
            p.grad.zero_()
    return loss.item()


def _held_by_tensorplug(snapshot: tracemalloc.Snapshot) -> int:
    """Bytes held by allocations made in tensorplug, its backends or this test: what another
    thread of the test process allocates meanwhile does not count."""
    here = (str(Path(tp.__file__).parent.parent), str(Path(__file__)))
    return sum(t.size for t in snapshot.traces if t.traceback[0].filename.startswith(here))


def test_training_loop_memory_is_flat() -> None:
    """3000 steps of the seed network: the memory held after each stretch of steps, and the
    peak within it, do not grow."""
    params, x, y = _seed_net()
    for _ in range(100):
        first = _step(params, x, y)
    tracemalloc.start()
    try:
        peaks, held = [], []
        for _ in range(6):
            for _ in range(500):
                last = _step(params, x, y)
            # A full collection also empties CPython's free lists, which would otherwise
            # show up as memory held by whoever allocated it last.
            gc.collect()
            peaks.append(tracemalloc.get_traced_memory()[1])
            held.append(_held_by_tensorplug(tracemalloc.take_snapshot()))
            tracemalloc.reset_peak()
    finally:
        tracemalloc.stop()
    assert last < first  # it trains
    # One leaked 8-byte object per step would add 4 000 bytes per stretch; one leaked array
    # of the network's activations, 100 x 32 floats, 6.4 MB.
    assert max(held) - held[0] < 2_000, held
    assert max(peaks[2:]) - peaks[1] < 64_000, peaks


def test_graph_is_released_after_backward() -> None:
    x = tp.ones(10, requires_grad=True)
    y = (x * 2).exp().sum()
    node = weakref.ref(y.grad_fn)
    y.backward()
    del y
    gc.collect()
    assert node() is None


def test_graph_without_cycles_is_freed_by_refcount() -> None:
    """Nodes refer down the graph only, so dropping the output frees it without the GC."""
    gc.disable()
    try:
        x = tp.ones(3, requires_grad=True)
        out = (x * x).sin().sum()
        refs = [weakref.ref(out.grad_fn), weakref.ref(out.grad_fn.next_functions[0][0])]
        del out
        assert all(r() is None for r in refs)
    finally:
        gc.enable()


def test_saved_tensors_freed_after_backward() -> None:
    x = tp.ones(1000, requires_grad=True)
    h = x * 2
    y = h.sin()  # saves h
    out = y.sum()
    hidden = weakref.ref(h)
    del h
    assert hidden() is not None  # the graph keeps it for backward
    out.backward()
    gc.collect()
    assert hidden() is None


def test_leaf_used_in_a_graph_is_freed_by_refcount() -> None:
    """The leaf holds its AccumulateGrad weakly (the node holds the leaf), so a leaf made per
    step is freed as soon as the user and the graph drop it, without the cycle collector."""
    gc.disable()
    try:
        x = tp.ones(3, requires_grad=True)
        y = (x * 2).sum()
        acc = y.grad_fn.next_functions[0][0].next_functions[0][0]
        assert acc.variable is x
        assert (x * 3).grad_fn.next_functions[0][0] is acc  # one node while a graph holds it
        y.backward()
        assert x.grad.tolist() == [2.0, 2.0, 2.0]
        leaf = weakref.ref(x)
        del x, y, acc
        assert leaf() is None
    finally:
        gc.enable()


def test_per_step_leaves_do_not_pile_up() -> None:
    tracemalloc.start()
    try:
        for _ in range(30):
            x = tp.ones(100_000, requires_grad=True)  # 400 kB, plus as much for its grad
            (x * 2).sum().backward()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4_000_000, peak
