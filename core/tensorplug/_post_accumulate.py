"""``Tensor.register_post_accumulate_grad_hook``: ``hook(tensor)`` after a leaf's ``.grad``
was accumulated, as PyTorch's (what ``DistributedDataParallel`` and optimizers-in-backward
hang on).

Kept outside the compiled modules: a leaf's persistent state is its list of tensor hooks
(``_hooks``, run by the engine just before it accumulates). One entry of that list, a
``PostAccumulateGradHooks``, holds the user's hooks; when the engine is about to accumulate it
makes sure the leaf's ``AccumulateGrad`` node of this graph carries a node post-hook, which the
engine runs right after the accumulation. A leaf's node lives as long as the graph that uses
it, so each new graph's node is armed the first time it accumulates.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._graph import RemovableHandle

if TYPE_CHECKING:
    from ._tensor import Tensor


class PostAccumulateGradHooks:
    """A leaf's post-accumulate hooks, sitting in its tensor-hook list."""

    __slots__ = ("__weakref__", "hooks", "tensor_ref")

    def __init__(self, tensor: Tensor) -> None:
        self.hooks: list[Callable[[Tensor], None]] = []
        self.tensor_ref = weakref.ref(tensor)

    def __call__(self, grad: Any) -> None:
        """Run before accumulation: arm this graph's ``AccumulateGrad`` node (returns None, so
        the gradient is unchanged)."""
        t = self.tensor_ref()
        ref = t._accum if t is not None else None
        node = ref() if ref is not None else None
        if node is not None and self.hooks:
            post = node._post_hooks
            if post is None or self.run not in post:
                node.register_hook(self.run)

    def run(self, grad_inputs: Any, grad_outputs: Any) -> None:
        """The node's post-hook: ``.grad`` holds the accumulated gradient now."""
        t = self.tensor_ref()
        if t is not None:
            for hook in list(self.hooks):
                r = hook(t)
                if r is not None:
                    raise RuntimeError(
                        f"post accumulate grad hooks should return None, got {type(r).__name__}"
                    )


def register_post_accumulate_grad_hook(
    tensor: Tensor, hook: Callable[[Tensor], None]
) -> RemovableHandle:
    """``hook(tensor)`` after each accumulation into leaf ``tensor``'s ``.grad``."""
    if not tensor._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if tensor._grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    if tensor._hooks is None:
        tensor._hooks = []
    holder = next((h for h in tensor._hooks if isinstance(h, PostAccumulateGradHooks)), None)
    if holder is None:
        holder = PostAccumulateGradHooks(tensor)
        tensor._hooks.append(holder)
    holder.hooks.append(hook)
    return RemovableHandle(holder.hooks, hook)
