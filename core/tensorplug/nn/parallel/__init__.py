"""``tensorplug.nn.parallel``: data-parallel training across processes,
``DistributedDataParallel`` (PyTorch's ``torch.nn.parallel``; docs/distributed.md).

Imported on first use: ``tensorplug.distributed`` needs mpi4py only when a process group is
made, but importing ``tensorplug.nn`` stays free of it.
"""

from typing import Any

__all__ = ["DistributedDataParallel"]


def __getattr__(name: str) -> Any:
    if name == "DistributedDataParallel":
        from .distributed import DistributedDataParallel

        return DistributedDataParallel
    raise AttributeError(f"module 'tensorplug.nn.parallel' has no attribute {name!r}")
