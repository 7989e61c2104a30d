"""``DistributedDataParallel``: one model replica per process, gradients averaged across the
processes during backward, as ``torch.nn.parallel.DistributedDataParallel``.

At construction rank 0's parameters and buffers are broadcast (every replica starts equal) and
the replicas' parameter shapes are compared; at each forward rank 0's buffers are broadcast
again (``broadcast_buffers``); during backward the gradients are averaged in buckets, each
all-reduced as soon as its gradients are ready (``_reducer.py``), so that after ``backward()``
every replica holds the same averaged ``.grad`` and any optimizer keeps them equal.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from ... import distributed as dist
from ..._grad_mode import is_grad_enabled, no_grad
from ..._tensor import Tensor
from ...distributed._group import default_group
from ..modules.module import Module
from ._reducer import Reducer


class DistributedDataParallel(Module):
    """Data parallelism across processes (docs/distributed.md).

    Args (PyTorch's; those about devices are accepted and unused, a tensor's device being
    its backend's): ``module``; ``broadcast_buffers`` (default True); ``init_sync`` (broadcast
    rank 0's state at construction, default True); ``process_group``; ``bucket_cap_mb``
    (default 25); ``find_unused_parameters`` (default False).

    The wrapped model is ``.module``; ``state_dict()`` keys carry its ``module.`` prefix, as in
    PyTorch (save ``ddp.module.state_dict()`` from rank 0 to load it into a plain model).

    Example (under ``mpiexec -n 2``)::

        model = DistributedDataParallel(nn.Linear(4, 2))
        loss = model(x_of_this_rank).pow(2).mean()
        loss.backward()  # .grad: the average over the ranks
    """

    def __init__(
        self,
        module: Module,
        device_ids: Any = None,
        output_device: Any = None,
        dim: int = 0,
        broadcast_buffers: bool | None = True,
        init_sync: bool = True,
        process_group: Any = None,
        bucket_cap_mb: float | None = None,
        find_unused_parameters: bool = False,
        check_reduction: bool = False,
        gradient_as_bucket_view: bool = False,
        static_graph: bool = False,
    ) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"module must be a tensorplug.nn.Module, got {type(module).__name__}")
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            raise RuntimeError(
                "DistributedDataParallel is not needed when a module doesn't have any parameter "
                "that requires a gradient."
            )
        if bucket_cap_mb is not None and bucket_cap_mb <= 0:
            raise ValueError(f"bucket_cap_mb must be positive, got {bucket_cap_mb}")
        self.module = module
        self.process_group = default_group(process_group)
        self.dim = dim
        self.broadcast_buffers = True if broadcast_buffers is None else bool(broadcast_buffers)
        self.find_unused_parameters = bool(find_unused_parameters)
        self.require_backward_grad_sync = True
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 2**20)
        _verify_same_model(module, self.process_group)
        if init_sync:
            self._broadcast(list(module.parameters()) + list(module.buffers()))
        self.reducer = Reducer(
            params, self.bucket_bytes_cap, self.process_group, self.find_unused_parameters
        )

    def _broadcast(self, tensors: list[Tensor]) -> None:
        with no_grad():
            for t in tensors:
                dist.broadcast(t, group=self.process_group, group_src=0)

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        sync = is_grad_enabled() and self.require_backward_grad_sync
        if sync:
            self.reducer.check_finished()
        if self.broadcast_buffers and self.process_group.size() > 1:
            self._broadcast(list(self.module.buffers()))
        out = self.module(*inputs, **kwargs)
        if sync:
            self.reducer.prepare_for_backward(
                _tensors_in(out) if self.find_unused_parameters else []
            )
        else:
            self.reducer.armed = False
        return out

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Within it, backward accumulates gradients locally without communication; the
        first backward after it averages everything accumulated."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def __getstate__(self) -> Any:
        raise TypeError("a DistributedDataParallel cannot be pickled; save .module instead")


def _tensors_in(out: Any) -> list[Tensor]:
    """The tensors of a forward's output (a tensor, or nested lists, tuples and dicts)."""
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, dict):
        out = list(out.values())
    if isinstance(out, (list, tuple)):
        return [t for o in out for t in _tensors_in(o)]
    return []


def _verify_same_model(module: Module, group: Any) -> None:
    """Every rank's parameters and buffers: the same names, shapes and dtypes."""
    mine = [(n, tuple(t.shape), str(t.dtype)) for n, t in module.named_parameters()]
    mine += [(n, tuple(t.shape), str(t.dtype)) for n, t in module.named_buffers()]
    seen: list[Any] = [None] * group.size()
    dist.all_gather_object(seen, mine, group=group)
    for r, other in enumerate(seen):
        if other != seen[0]:
            diff = next((a, b) for a, b in zip(seen[0] + [None], other + [None]) if a != b)
            raise RuntimeError(
                f"DDP expects same model across all ranks, but Rank 0 has {len(seen[0])} "
                f"parameters and buffers while Rank {r} has {len(other)}; the first difference: "
                f"Rank 0 {diff[0]} vs Rank {r} {diff[1]}"
            )
