"""``tensorplug.distributed``: PyTorch's ``torch.distributed`` API on MPI (any tensors, staged
through host memory when they live on a GPU) and NCCL (CuPy tensors on GPUs).

Run a script under ``mpiexec -n 4 python script.py`` (or ``srun``); each process calls
``init_process_group("mpi")`` and gets its rank and the world size from MPI. Data-parallel
training: ``tensorplug.nn.parallel.DistributedDataParallel`` and
``tensorplug.utils.data.distributed.DistributedSampler`` (docs/distributed.md).
"""

from ._collectives import (
    all_gather,
    all_gather_into_tensor,
    all_reduce,
    all_to_all,
    all_to_all_single,
    barrier,
    broadcast,
    gather,
    reduce,
    reduce_scatter,
    reduce_scatter_tensor,
    scatter,
)
from ._group import (
    ProcessGroup,
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
    is_mpi_available,
    is_nccl_available,
    new_group,
)
from ._objects import (
    all_gather_object,
    broadcast_object_list,
    gather_object,
    scatter_object_list,
)
from ._p2p import irecv, isend, recv, send
from ._reduce_op import ReduceOp
from ._work import DistBackendError, DistError, Work

all_gather_single = all_gather_into_tensor
"""PyTorch 2.13's name for ``all_gather_into_tensor`` (which it deprecates)."""
reduce_scatter_single = reduce_scatter_tensor
"""PyTorch 2.13's name for ``reduce_scatter_tensor`` (which it deprecates)."""

__all__ = [
    "init_process_group", "destroy_process_group", "is_initialized", "is_available",
    "is_mpi_available", "is_nccl_available", "get_rank", "get_world_size", "get_backend",
    "new_group", "ProcessGroup", "ReduceOp", "Work", "DistError", "DistBackendError",
    "all_reduce", "broadcast", "reduce", "all_gather", "all_gather_into_tensor",
    "reduce_scatter", "reduce_scatter_tensor", "all_gather_single",
    "reduce_scatter_single", "gather", "scatter", "all_to_all",
    "all_to_all_single", "barrier", "send", "recv", "isend", "irecv",
    "broadcast_object_list", "all_gather_object", "gather_object", "scatter_object_list",
]  # fmt: skip
