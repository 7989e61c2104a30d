"""The multi-tensor optimizer step (``foreach=True``, issue 21) against the per-parameter
loop on the NumPy backend: Adam and SGD with momentum, on a small model's parameters (the
seed network's 4, the LSTM's 2-layer 8 and a 24-layer stack's 48, small: launch-bound) and on
W2's 4 (large: bandwidth-bound). The ratio chooses ``foreach``'s default on NumPy
(docs/performance.md).

Run: python benchmarks/bench_foreach.py [--quick]
"""

from __future__ import annotations

import sys
import time

import numpy as np

import tensorplug as tp

SHAPES = {
    "seed (4 params, 161 values)": [(3, 32), (1, 32), (32, 1), (1, 1)],
    "small stack (48 params of 64x64/64)": [(64, 64), (64,)] * 24,
    "W2 (4 params, 0.5M values)": [(512, 1024), (1024,), (1024, 10), (10,)],
}


def time_step(shapes: list[tuple[int, ...]], make: object, foreach: bool, n: int) -> float:
    rng = np.random.default_rng(0)
    ps = [tp.nn.Parameter(tp.from_numpy(rng.standard_normal(s).astype(np.float32))) for s in shapes]
    for p in ps:
        p.grad = tp.from_numpy(rng.standard_normal(p.shape).astype(np.float32))
    opt = make(ps, foreach)  # type: ignore[operator]
    for _ in range(3):
        opt.step()
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(n):
            opt.step()
        best = min(best, (time.perf_counter() - t0) / n)
    return best


def main() -> None:
    n = 20 if "--quick" in sys.argv else 200
    opts = {
        "Adam": lambda ps, f: tp.optim.Adam(ps, lr=1e-3, foreach=f),
        "SGD momentum": lambda ps, f: tp.optim.SGD(ps, lr=1e-3, momentum=0.9, foreach=f),
    }
    print("| step | parameters | per-parameter | foreach | foreach / per-parameter |")
    print("|---|---|---|---|---|")
    for oname, make in opts.items():
        for sname, shapes in SHAPES.items():
            loop = time_step(shapes, make, False, n)
            multi = time_step(shapes, make, True, n)
            print(f"| {oname} | {sname} | {loop * 1e6:.1f} µs | {multi * 1e6:.1f} µs | "
                  f"{multi / loop:.2f} |")  # fmt: skip


if __name__ == "__main__":
    main()
