"""What may run concurrently (docs/architecture.md, "Threads"): independent graphs, a shared
leaf receiving gradients from several threads, optimizers stepping disjoint parameters."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable

import numpy as np

import tensorplug as tp
from tensorplug import nn, optim


def _run_threads(n: int, target: Callable[[int], None]) -> None:
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            target(i)
        except BaseException as e:  # noqa: BLE001 - re-raised in the main thread
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def test_backward_into_a_shared_leaf_loses_no_gradient() -> None:
    """Each thread adds its own gradient into one leaf; every contribution must arrive (the
    first one included: ``.grad`` is created by whichever thread comes first). Threads switch
    as often as the interpreter allows, so a check-then-set without a lock would lose some."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for trial in range(60):
            w = tp.ones(4096, requires_grad=True)
            scales = [float(i + 1) for i in range(4)]

            def work(i: int, w: tp.Tensor = w, scales: list[float] = scales) -> None:
                for _ in range(3):
                    (w * scales[i]).sum().backward()

            _run_threads(4, work)
            assert w.grad is not None, trial
            np.testing.assert_array_equal(w.grad.numpy(), np.full(4096, 3.0 * sum(scales)))
    finally:
        sys.setswitchinterval(previous)


def test_independent_graphs_in_threads() -> None:
    results: dict[int, np.ndarray] = {}

    def work(i: int) -> None:
        x = tp.tensor(np.linspace(-1, 1, 50) * (i + 1), requires_grad=True)
        for _ in range(20):
            y = ((x * 2.0).tanh() + x**2).sum()
            (g,) = tp.autograd.grad(y, x)
        results[i] = g.numpy()

    _run_threads(4, work)
    for i, g in results.items():
        x = np.linspace(-1, 1, 50) * (i + 1)
        np.testing.assert_allclose(g, 2 * (1 - np.tanh(2 * x) ** 2) + 2 * x, rtol=1e-12)


def test_optimizers_on_disjoint_parameters_in_threads() -> None:
    tp.manual_seed(0)
    models = [nn.Linear(8, 3, dtype=tp.float64) for _ in range(3)]
    copies = [nn.Linear(8, 3, dtype=tp.float64) for _ in range(3)]
    for m, c in zip(models, copies):
        c.load_state_dict(m.state_dict())
    x = tp.tensor(np.random.default_rng(1).standard_normal((16, 8)))

    def train(model: nn.Module) -> None:
        opt = optim.Adam(model.parameters(), lr=0.01)
        for _ in range(10):
            opt.zero_grad()
            model(x).pow(2).mean().backward()
            opt.step()

    _run_threads(3, lambda i: train(models[i]))
    for c in copies:  # the same training, one after the other
        train(c)
    for m, c in zip(models, copies):
        for p, q in zip(m.parameters(), c.parameters()):
            np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
