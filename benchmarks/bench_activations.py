"""Activations per call, side by side with PyTorch: the seed's (``relu``, ``tanh``,
``sigmoid``, ``gelu``, ``silu``, ``leaky_relu``) and issue 16's (``elu`` ... ``logsigmoid``).

Each call takes the same small float32 tensor that requires grad (a chain of one activation
would drift into subnormal numbers, whose arithmetic is slow on every CPU); forward alone
records the node, forward + backward adds ``out.backward(ones)``. µs per call, the fastest of
``--rounds`` rounds of 200 calls. PyTorch runs on one thread. The ops whose forward is one
NumPy call (relu, tanh) set the floor; an activation whose formula takes k kernels costs
about k NumPy calls more (docs/performance.md).

Run: python benchmarks/bench_activations.py [--rounds 7] [--size 16]
"""

from __future__ import annotations

import argparse
import timeit
from collections.abc import Callable
from typing import Any

import numpy as np

import tensorplug as tp

CALLS = 200
NAMES = (
    "relu", "tanh", "sigmoid", "gelu", "silu", "leaky_relu",
    "elu", "selu", "celu", "hardtanh", "relu6", "hardswish", "hardsigmoid", "mish",
    "logsigmoid", "softsign", "tanhshrink",
)  # fmt: skip


def _calls(f: Callable[[], Any]) -> Callable[[], None]:
    def run() -> None:
        for _ in range(CALLS):
            f()

    return run


def _best(fn: Callable[[], Any], rounds: int) -> float:
    return min(timeit.repeat(_calls(fn), number=1, repeat=rounds)) / CALLS * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--size", type=int, default=16)
    args = parser.parse_args()
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        torch = None
    data = np.linspace(-3, 3, args.size, dtype=np.float32)
    print(f"µs per call, {args.size} float32 elements, fastest of {args.rounds} rounds")
    head = "| op | tensorplug fwd | PyTorch fwd | ratio |"
    print(head + " tensorplug fwd+bwd | PyTorch fwd+bwd | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in NAMES:
        row = []
        for lib in (tp, torch):
            if lib is None:
                row += [float("nan")] * 2
                continue
            f = getattr(lib.nn.functional, name)
            x = lib.tensor(data, requires_grad=True)
            ones = lib.ones(args.size)
            row.append(_best(lambda f=f, x=x: f(x), args.rounds))
            row.append(_best(lambda f=f, x=x, g=ones: f(x).backward(g), args.rounds))
        tf, tb, pf, pb = row[0], row[1], row[2], row[3]
        print(f"| `{name}` | {tf:.2f} | {pf:.2f} | {tf / pf:.2f}x | {tb:.2f} | {pb:.2f} | "
              f"{tb / pb:.2f}x |")  # fmt: skip


if __name__ == "__main__":
    main()
