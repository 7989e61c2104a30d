"""Whether a CUDA graph capture is under way (issue 21), apart from ``_cuda_graphs`` so that
the core's lowest modules can ask without importing the capture machinery.

Checks that read a tensor back to the host (index tensors against their dimension,
``embedding`` indices, ``nll_loss`` targets) are skipped while capturing: a graph cannot wait
for the host, and PyTorch's checks of the same inside a graph are device-side assertions.
"""

from __future__ import annotations

from typing import Any

active: list[Any] = []
"""The graphs capturing now (at most one)."""


def capturing() -> bool:
    """Whether a CUDA graph (or a CPU tape) is being captured."""
    return bool(active)
