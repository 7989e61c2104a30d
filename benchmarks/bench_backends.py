"""The Array API adapter's backends side by side in one process, as ratios to NumPy's:
the per-op overhead (``a + b`` on one-element tensors: dispatch, no arithmetic) and a
W2-sized training step (n = 4096, 512 -> 1024 -> 10, ReLU, MSE, SGD, float32; the loss read
back with ``.item()``, so a lazy backend computes its step there).

Run: python benchmarks/bench_backends.py [--quick] [--backends numpy,torch,jax]
(the table in docs/backend-guide.md, "What each backend costs", comes from it).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

import tensorplug as tp

BACKENDS = ("numpy", "torch", "array_api_strict", "jax", "dask")


def _median(fn: Callable[[], object], repeats: int, inner: int) -> float:
    fn()  # warm-up: first-call compilation and caches
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - t0) / inner)
    return statistics.median(times)


def per_op(backend: str, repeats: int) -> float:
    a = tp.ones(1, backend=backend)
    b = tp.ones(1, backend=backend)
    return _median(lambda: a + b, repeats, 200)


def w2_step(backend: str, repeats: int, n: int) -> float:
    rng = np.random.default_rng(0)
    f = np.float32

    def t(a: np.ndarray, grad: bool = False) -> tp.Tensor:
        return tp.tensor(a, backend=backend, requires_grad=grad)

    x, y = t(rng.standard_normal((n, 512), f)), t(rng.standard_normal((n, 10), f))
    w1 = t(rng.standard_normal((512, 1024), f) * f(512**-0.5), True)
    w2 = t(rng.standard_normal((1024, 10), f) * f(1024**-0.5), True)
    b1, b2 = t(np.zeros(1024, f), True), t(np.zeros(10, f), True)
    params = (w1, b1, w2, b2)

    def step() -> float:
        loss = tp.nn.functional.mse_loss((x @ w1 + b1).relu() @ w2 + b2, y)
        loss.backward()
        with tp.no_grad():
            for p in params:
                assert p.grad is not None
                p.sub_(p.grad, alpha=1e-3)
                p.grad.zero_()
        return loss.item()

    return _median(step, repeats, 1)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer repeats, n = 1024")
    p.add_argument("--backends", default=",".join(BACKENDS))
    args = p.parse_args()
    repeats, n = (3, 1024) if args.quick else (7, 4096)
    rows = []
    for name in args.backends.split(","):
        try:
            tp.plugins.REGISTRY.get(name)
        except Exception as e:  # noqa: BLE001 - an unavailable backend is a row saying why
            print(f"{name}: skipped ({e})")
            continue
        # Dask recomputes the chained parameter graphs of earlier steps: 2 steps, not 7.
        rows.append(
            (
                name,
                per_op(name, repeats),
                w2_step(name, min(repeats, 2) if name == "dask" else repeats, n),
            )
        )
    base = {r[0]: r for r in rows}.get("numpy")
    print(f"| backend | per op | ratio | W2 step (n={n}) | ratio |")
    print("|---|---|---|---|---|")
    for name, op, step in rows:
        r_op = f"{op / base[1]:.1f}x" if base else "-"
        r_step = f"{step / base[2]:.2f}x" if base else "-"
        print(f"| {name} | {op * 1e6:.1f} us | {r_op} | {step * 1e3:.1f} ms | {r_step} |")


if __name__ == "__main__":
    main()
