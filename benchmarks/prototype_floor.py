"""The floor of a Python eager op: how fast can ``y * 1.01`` on a 2 x 2 array be when written
in Python at all? Times, per op, the bare ufunc call, a minimal ``__slots__`` wrapper around
it, the same wrapper recording a minimal three-field graph node (none of tensorplug's
features: no version counter, hooks, dtype checks, grad mode), and tensorplug itself, on the
hot path in use (``TENSORPLUG_PURE_PYTHON=1`` for the pure-Python one). docs/performance.md
uses it to explain the W3 targets.

Run: python benchmarks/prototype_floor.py [--cpu-time]
"""

from __future__ import annotations

import time
import timeit

import _harness as H
from _harness import np, tp


class _Node:
    __slots__ = ("inputs", "next_functions", "saved")


class _Wrapper:
    __slots__ = ("data", "grad_fn", "requires_grad")

    def __mul__(self, other: float) -> _Wrapper:
        t = _Wrapper.__new__(_Wrapper)
        t.data = np.multiply(self.data, other)
        t.grad_fn = None
        t.requires_grad = False
        return t


class _Recording(_Wrapper):
    __slots__ = ()

    def __mul__(self, other: float) -> _Recording:
        out = np.multiply(self.data, other)
        node = _Node.__new__(_Node)
        node.next_functions = ((self.grad_fn, 0),)
        node.saved = (self, other)
        node.inputs = (self.data.shape,)
        t = _Recording.__new__(_Recording)
        t.data = out
        t.grad_fn = node
        t.requires_grad = True
        return t


def main() -> None:
    H.common_args(__doc__).parse_args()
    H.print_env(H.setup())
    a = np.full((2, 2), 0.5, np.float32)
    w = _Wrapper.__new__(_Wrapper)
    w.data = a
    r = _Recording.__new__(_Recording)
    r.data, r.grad_fn = a, None
    x = tp.full((2, 2), 0.5, requires_grad=True)
    y = x * 1.0  # a non-leaf kept alive: its producer node exists, as inside a chain
    cases = {
        "bare np.multiply": lambda: np.multiply(a, 1.01),
        "minimal wrapper": lambda: w * 1.01,
        "minimal wrapper + node": lambda: r * 1.01,
        f"tensorplug ({'compiled' if H._hot_path() == 'compiled' else 'pure Python'})": (
            lambda: y * 1.01
        ),
    }
    timer = time.process_time if H.TIMER is time.process_time else time.perf_counter
    n = 100_000
    base = None
    for name, fn in cases.items():
        t = min(timeit.repeat(fn, number=n, repeat=7, timer=timer)) / n
        base = base or t
        print(f"{name:28s} {t * 1e6:6.3f} µs  {t / base:5.2f}x the bare call")


if __name__ == "__main__":
    main()
