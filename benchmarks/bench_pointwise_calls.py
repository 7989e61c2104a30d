"""Per-call cost of issue 16's elementwise ops (rounding, remainders, trigonometry, value
tests, special functions) beside ``exp`` and ``add``: the dispatch cost a new op must not add
to. Interleaved rounds, the minimum per call; tiny tensors by default, so that the kernel's
own work is negligible (``python benchmarks/bench_pointwise_calls.py 100`` for larger).
Results: docs/performance.md, "Rounding, special functions, logic and bits"."""

from __future__ import annotations

import sys
import timeit
from collections.abc import Callable

import tensorplug as tp


def main(n: int = 1, rounds: int = 15, calls: int = 2000) -> None:
    x, y = tp.randn(n), tp.randn(n)
    cases: dict[str, Callable[[], object]] = {
        "exp(x)": lambda: tp.exp(x), "x.exp()": lambda: x.exp(), "sin(x)": lambda: tp.sin(x),
        "add(x, y)": lambda: tp.add(x, y), "x + y": lambda: x + y, "x * 2": lambda: x * 2,
        "floor(x)": lambda: tp.floor(x), "x.floor()": lambda: x.floor(),
        "tan(x)": lambda: tp.tan(x), "x.tan()": lambda: x.tan(),
        "atan2(x, y)": lambda: tp.atan2(x, y), "hypot(x, y)": lambda: tp.hypot(x, y),
        "x % y": lambda: x % y, "x % 2": lambda: x % 2, "x // y": lambda: x // y,
        "isnan(x)": lambda: tp.isnan(x), "erf(x)": lambda: tp.erf(x),
        "lgamma(x)": lambda: tp.lgamma(x),
    }  # fmt: skip
    best = dict.fromkeys(cases, float("inf"))
    for _ in range(rounds):
        for name, f in cases.items():
            best[name] = min(best[name], timeit.timeit(f, number=calls) / calls)
    print(f"tensorplug {tp.__version__}, {n}-element float32 tensors, minimum of {rounds} rounds")
    for name, t in best.items():
        print(f"{name:12s} {t * 1e6:7.2f} us")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
