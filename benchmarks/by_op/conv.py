"""By-op cases for the convolutions (issue 16's speed target: within 1.5x PyTorch CPU,
single-threaded, on medium sizes): each case's two thunks run forward and backward once,
on inputs built when ``cases()`` is called, in tensorplug and in PyTorch.

Run alone (``python benchmarks/by_op/conv.py``) it times them interleaved itself, with one
PyTorch thread and one BLAS thread (threadpoolctl), and prints the ratios.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Case = tuple[str, Callable[[], object], Callable[[], object]]


def _pair(
    name: str,
    tp_op: Callable[..., Any],
    torch_op: Callable[..., Any],
    shapes: list[tuple[int, ...]],
    **kw: object,
) -> Case:
    import torch

    import tensorplug as tp

    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    ours = [tp.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]

    def run_tp() -> object:
        for t in ours:
            t.grad = None
        out = tp_op(*ours, **kw)
        out.sum().backward()
        return out

    def run_torch() -> object:
        for t in theirs:
            t.grad = None
        out = torch_op(*theirs, **kw)
        out.sum().backward()
        return out

    return name, run_tp, run_torch


def cases() -> list[Case]:
    """Medium sizes: batch 16, 32 -> 64 channels, 32x32 (1-D: length 256), 3x3 kernels."""
    import torch.nn.functional as TF

    import tensorplug.nn.functional as F

    return [
        _pair("conv2d 16x32x32x32, 64x32x3x3, pad 1", F.conv2d, TF.conv2d,
              [(16, 32, 32, 32), (64, 32, 3, 3), (64,)], padding=1),
        _pair("conv2d stride 2", F.conv2d, TF.conv2d,
              [(16, 32, 32, 32), (64, 32, 3, 3), (64,)], stride=2, padding=1),
        _pair("conv1d 16x32x256, 64x32x3, pad 1", F.conv1d, TF.conv1d,
              [(16, 32, 256), (64, 32, 3), (64,)], padding=1),
        _pair("conv_transpose2d 16x64x16x16 -> 32, 4x4 stride 2", F.conv_transpose2d,
              TF.conv_transpose2d, [(16, 64, 16, 16), (64, 32, 4, 4), (32,)], stride=2,
              padding=1),
        _pair("conv_transpose2d 16x32x32x32 -> 64, 3x3", F.conv_transpose2d,
              TF.conv_transpose2d, [(16, 32, 32, 32), (32, 64, 3, 3), (64,)], padding=1),
    ]  # fmt: skip


def floors() -> list[tuple[str, Callable[[], object]]]:
    """The three matrix products of ``conv2d 16x32x32x32, 64x32x3x3, pad 1``'s forward and
    backward as ``_conv`` calls them (``np.matmul`` on the windows' shapes; the windows
    themselves, their copies and additions, left out): what OpenBLAS alone costs."""
    rng = np.random.default_rng(0)
    cols = rng.standard_normal((16, 32 * 9, 32 * 32)).astype(np.float32)
    w = rng.standard_normal((64, 32 * 9)).astype(np.float32)
    g = rng.standard_normal((16, 64, 32 * 32)).astype(np.float32)

    def products() -> object:
        np.matmul(w, cols)  # forward
        np.matmul(g, cols.transpose(0, 2, 1)).sum(0)  # weight gradient
        return np.matmul(w.T, g)  # input gradient's columns (then col2im)

    return [("conv2d 16x32x32x32, 64x32x3x3, pad 1", products)]


def main() -> None:
    import timeit

    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    with threadpool_limits(1):
        for name, ours, theirs in cases():
            ours(), theirs()  # warm-up
            t_ours, t_theirs = [], []
            for _ in range(5):  # interleaved, best of 5
                t_ours.append(timeit.timeit(ours, number=2) / 2)
                t_theirs.append(timeit.timeit(theirs, number=2) / 2)
            a, b = min(t_ours), min(t_theirs)
            print(
                f"{name:55s} tensorplug {a * 1e3:8.2f} ms  torch {b * 1e3:8.2f} ms  {a / b:5.2f}x"
            )


if __name__ == "__main__":
    main()
