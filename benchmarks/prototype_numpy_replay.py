"""Prototype (issue 21): would replaying a recorded tape of NumPy kernels pay on the CPU?

``tp.cuda.graph`` captures a step's kernels on a GPU. The NumPy backend could do the same: run
the step once with every kernel of ``be.k`` recording ``(kernel, arguments, result)``, then
replay the tape, each kernel pre-bound, its result copied into the array the recording made
(so the tensors of the step see it, as with a CUDA graph). This measures that replay against
the eager step on the seed network (W1, ``bench_w1_seed.framework_step``): the result decides
whether the NumPy backend gets capture (docs/performance.md).

The prototype paid (about 0.5x), so ``tp.cuda.graph`` does this without a GPU
(``tensorplug/_tape_graphs.py``); the last line times that implementation.

Run: python benchmarks/prototype_numpy_replay.py
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import bench_w1_seed as W1
import numpy as np

import tensorplug as tp


def record(step: Callable[[], Any]) -> list[tuple[Any, tuple[Any, ...], Any]]:
    """Run ``step`` once with every kernel recording itself; the tape."""
    k = tp.get_backend("numpy").k
    tape: list[tuple[Any, tuple[Any, ...], Any]] = []
    saved = dict(vars(k))

    def recording(f: Any) -> Any:
        def kernel(*args: Any) -> Any:
            r = f(*args)
            arrays = [a for a in args if isinstance(a, np.ndarray)]
            if r is None or (
                isinstance(r, np.ndarray) and not any(np.may_share_memory(r, a) for a in arrays)
            ):
                tape.append((f, args, r))  # views need no replay: they follow their base
            return r

        return kernel

    for name, f in saved.items():
        if callable(f) and name not in ("dtype_of",):
            setattr(k, name, recording(f))
    try:
        step()
    finally:
        for name, f in saved.items():
            setattr(k, name, f)
    return tape


def replay(tape: list[tuple[Any, tuple[Any, ...], Any]]) -> None:
    for f, args, r in tape:
        out = f(*args)
        if r is not None:
            np.copyto(r, out)


def best(fn: Callable[[], Any], n: int = 300, rounds: int = 7) -> float:
    for _ in range(20):
        fn()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        times.append((time.perf_counter() - t0) / n)
    return min(times)


def main() -> None:
    d = W1.data(100, 3, 32, 1)
    eager = W1.framework_step(tp, d)
    tape = record(W1.framework_step(tp, d))
    t_eager, t_replay = best(eager), best(lambda: replay(tape))
    print(
        f"W1 step, NumPy backend: eager {t_eager * 1e6:.1f} µs, replayed tape of {len(tape)} "
        f"kernels {t_replay * 1e6:.1f} µs, replay / eager {t_replay / t_eager:.2f}"
    )
    if tp.cuda.is_available():
        return  # tp.cuda.graph captures the GPU there; the tape is for machines without one
    step = W1.framework_step(tp, d)
    step()
    g = tp.cuda.CUDAGraph()
    with tp.cuda.graph(g):
        step()
    t_graph = best(g.replay)
    print(
        f"the same through tp.cuda.graph (_tape_graphs): {t_graph * 1e6:.1f} µs, "
        f"replay / eager {t_graph / t_eager:.2f}"
    )


if __name__ == "__main__":
    main()
