"""The gradient reducer of ``DistributedDataParallel``: parameters in buckets, each bucket's
gradients flattened and all-reduced (averaged) as soon as all of them are accumulated, while
backward goes on with the layers below; the last bucket's hook waits for all of them and writes
the averages back into ``.grad``.

Buckets are filled in reverse parameter order (the order backward usually reaches them: the
last layer first), the first one capped at 1 MiB so communication starts early, the others at
``bucket_cap_mb``, as PyTorch's. They are launched strictly in index order, so every rank
issues the same all-reduces in the same order whatever order its hooks fire in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ... import distributed as dist
from ..._grad_mode import no_grad
from ..._tensor import Tensor
from ...distributed._group import ProcessGroup

FIRST_BUCKET_BYTES = 1024 * 1024


def make_buckets(params: Sequence[Tensor], cap_bytes: int) -> list[list[int]]:
    """Parameter indices per bucket: reverse order, one dtype and device per bucket."""
    buckets: list[list[int]] = []
    size, cap, key = 0, min(FIRST_BUCKET_BYTES, cap_bytes), None
    for i in reversed(range(len(params))):
        p = params[i]
        nbytes = p.numel() * p.element_size()
        this = (p.dtype, str(p.device))
        if not buckets or key != this or (size + nbytes > cap and size > 0):
            if buckets:
                cap = cap_bytes
            buckets.append([])
            size, key = 0, this
        buckets[-1].append(i)
        size += nbytes
    return buckets


class Reducer:
    """Bucketed, overlapped gradient averaging for one ``DistributedDataParallel``."""

    def __init__(
        self, params: Sequence[Tensor], cap_bytes: int, group: ProcessGroup, find_unused: bool
    ) -> None:
        self.params = list(params)
        self.group = group
        self.find_unused = find_unused
        self.buckets = make_buckets(self.params, cap_bytes)
        self.bucket_of = {i: b for b, idx in enumerate(self.buckets) for i in idx}
        self.armed = False
        self.handles = [
            p.register_post_accumulate_grad_hook(self._hook(i)) for i, p in enumerate(self.params)
        ]
        self._reset()

    def _reset(self) -> None:
        self.pending = [len(b) for b in self.buckets]
        self.ready: set[int] = set()
        self.next_bucket = 0
        self.works: list[tuple[Any, Tensor]] = []
        self.used = [True] * len(self.params)

    def _hook(self, i: int) -> Any:
        def hook(p: Tensor) -> None:
            if self.armed:
                self.mark_ready(i)

        return hook

    def check_finished(self) -> None:
        """Called at a forward: the last backward must have reduced every bucket."""
        if self.armed:
            missing = [i for i in range(len(self.params)) if i not in self.ready]
            self.armed = False
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a "
                "new one. This error indicates that your module has parameters that were not "
                "used in producing loss. You can enable unused parameter detection by passing "
                "the keyword argument `find_unused_parameters=True` to "
                "`tensorplug.nn.parallel.DistributedDataParallel`, and by making sure all "
                "`forward` function outputs participate in calculating loss. Parameter indices "
                f"which did not receive grad for rank {self.group.rank()}: {missing}"
            )

    def prepare_for_backward(self, outputs: Sequence[Any]) -> None:
        """Arm the hooks for the coming backward; with ``find_unused_parameters`` the
        parameters the outputs' graph does not reach count as ready (with zero gradients)."""
        self._reset()
        self.armed = True
        if self.find_unused:
            reached = _reached_leaves(outputs)
            for i, p in enumerate(self.params):
                if id(p) not in reached:
                    self.used[i] = False
                    self.mark_ready(i)

    def mark_ready(self, i: int) -> None:
        if i in self.ready:
            raise RuntimeError(
                f"Expected to mark a variable ready only once. Parameter index {i} was marked "
                "ready twice in one backward (a parameter used in a second backward, or "
                "reentrant backward): this is not supported by DistributedDataParallel"
            )
        self.ready.add(i)
        self.pending[self.bucket_of[i]] -= 1
        while self.next_bucket < len(self.buckets) and self.pending[self.next_bucket] == 0:
            self._launch(self.next_bucket)
            self.next_bucket += 1
        if self.next_bucket == len(self.buckets):
            self._finalize()

    def _launch(self, b: int) -> None:
        grads = []
        for i in self.buckets[b]:
            p = self.params[i]
            g = p.grad
            grads.append((g if g is not None else p.new_zeros(p.shape)).reshape(-1))
        with no_grad():
            flat = grads[0].clone() if len(grads) == 1 else _cat(grads)
        work = dist.all_reduce(flat, op=dist.ReduceOp.AVG, group=self.group, async_op=True)
        self.works.append((work, flat))

    def _finalize(self) -> None:
        """Wait for every bucket and write the averaged gradients into ``.grad``."""
        self.armed = False
        used = None
        if self.find_unused:  # which parameters some rank used: the others keep grad None
            from ... import tensor

            used = tensor([int(u) for u in self.used], device=self.params[0].device)
            dist.all_reduce(used, group=self.group)
        with no_grad():
            for b, (work, flat) in enumerate(self.works):
                work.wait()
                offset = 0
                for i in self.buckets[b]:
                    p = self.params[i]
                    n = p.numel()
                    avg = flat[offset : offset + n].view(p.shape)
                    offset += n
                    if p.grad is not None:
                        p.grad.copy_(avg)
                    elif used is None or int(used[i]) > 0:
                        p.grad = avg.clone()
        self.works = []

    def remove_hooks(self) -> None:
        for h in self.handles:
            h.remove()


def _cat(grads: list[Tensor]) -> Tensor:
    from ... import cat

    return cat(grads)


def _reached_leaves(outputs: Sequence[Any]) -> set[int]:
    """``id`` of every leaf tensor the outputs' graphs reach."""
    seen: set[int] = set()
    reached: set[int] = set()
    stack = [t.grad_fn for t in outputs if isinstance(t, Tensor) and t.grad_fn is not None]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        var = getattr(node, "_var_ref", None)
        if var is not None:
            reached.add(id(var))
        stack.extend(n for n in node._next if n is not None)
    return reached
