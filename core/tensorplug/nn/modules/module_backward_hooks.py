"""``Module``'s full backward hooks: one call per backward with every ``grad_input`` and
``grad_output`` of the module at once, as PyTorch's ``register_full_backward_hook``.

PyTorch routes a hooked module's tensor inputs and outputs through one identity node of several
outputs (``BackwardHookFunctionBackward``) whose hooks see all the gradients together. Our
graph has one output per node, so each side is built of identity nodes of one output, one per
tensor (named ``BackwardHookFunctionBackward`` as PyTorch's), all fed by one *hub* node made just
before them::

    outputs:  internal y_i ──► BackwardHookHub ──► BackwardHookFunctionBackward_i ──► y_i'
    inputs:   x_j ──► BackwardHookHub ──► BackwardHookFunctionBackward_j ──► x_j' ──► forward

The hub's own output is a 0-d placeholder; each identity node keeps the gradient it receives
for the hub (``_BackwardHookState``) and sends the hub a zero. The engine runs the newest
pending node first (``_engine.py``), and the hub is older than its identity nodes and newer
than everything the module computed, so when the hub runs every identity node that will get a
gradient has got it: the hub sees them all, calls the hooks, and sends each (possibly
replaced) gradient on to its tensor. No change to the engine is needed.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from ..._contract import Array, KernelOps
from ..._grad_mode import state
from ..._graph import Node, RemovableHandle, new_tensor, record
from ..._tensor import Tensor

__all__ = [
    "BackwardHook",
    "BackwardHooksMixin",
    "register_module_full_backward_hook",
    "register_module_full_backward_pre_hook",
]

_global_backward_hooks: list[Callable[..., Any]] = []
_global_backward_pre_hooks: list[Callable[..., Any]] = []
any_global: list[Any] = []
"""Every global module hook of any kind (forward ones too): ``Module.__call__`` tests this one
list to know whether it can skip the hooks."""


class _GlobalHandle(RemovableHandle):
    __slots__ = ()

    def remove(self) -> None:
        super().remove()
        if self._hook in any_global:
            any_global.remove(self._hook)


def mark_hooked(module: Any) -> None:
    """``module`` has (or had) a hook: its calls take the path that runs hooks."""
    object.__setattr__(module, "_call_hooked", True)


def register_global(hooks: list[Any], record: Any) -> RemovableHandle:
    """Add ``record`` to the global hook list ``hooks`` (and to ``any_global``)."""
    hooks.append(record)
    any_global.append(record)
    return _GlobalHandle(hooks, record)


_NO_INPUT_GRAD_WARNING = (
    "Full backward hook is firing when gradients are computed with respect to module outputs "
    "since no inputs require gradients. See https://docs.pytorch.org/docs/main/generated/"
    "torch.nn.Module.html#torch.nn.Module.register_full_backward_hook for more details."
)


def register_module_full_backward_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """A full backward hook of every module, called before each module's own."""
    return register_global(_global_backward_hooks, hook)


def register_module_full_backward_pre_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """A full backward pre-hook of every module, called before each module's own."""
    return register_global(_global_backward_pre_hooks, hook)


class _Side:
    """One side (inputs or outputs) of a hooked call: which arguments are tensors, which of
    those were routed through identity nodes, and the gradients those nodes received."""

    __slots__ = ("grads", "n", "routed", "tensor_index", "zeros_like")

    def __init__(self) -> None:
        self.n = -1
        self.tensor_index: list[int] | None = None  # positions of the tensors (None: not set up)
        self.routed: list[int] = []  # positions of the tensors that got identity nodes
        self.grads: list[Any] = []  # per routed tensor: the gradient its node received
        self.zeros_like: dict[int, tuple[Any, Any, Any]] = {}  # shape, dtype, backend


class BackwardHookHub(Node):
    """Gathers the gradients of a hooked module's tensors (see the module docstring): forward
    is identity to a 0-d placeholder; backward calls the module's hooks with every gradient
    its ``BackwardHookFunctionBackward`` nodes received and returns them, as the hooks left
    them, to the tensors."""

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Any, ...]:
        hook, side = ctx.args
        grads = list(side.grads)
        side.grads = [None] * len(grads)
        tensor_mode = isinstance(g, Tensor)
        if not tensor_mode:
            grads = [None if v is None else new_tensor(Tensor, v, ctx._backend) for v in grads]
        new = hook.on_gradients(side, grads)
        return tuple([v if tensor_mode or v is None else v._data for v in new])


class BackwardHookFunctionBackward(Node):
    """The identity from a hub's placeholder to one hooked tensor: keeps the tensor's
    gradient for the hub, and sends the hub a zero (d placeholder = 0)."""

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Any, ...]:
        side, slot, zero = ctx.args
        side.grads[slot] = g
        return (new_tensor(Tensor, zero, ctx._backend) if isinstance(g, Tensor) else zero,)


class BackwardHook:
    """The full backward hooks of one call of ``module`` (PyTorch's ``BackwardHook``):
    ``setup_input_hook`` before ``forward``, ``setup_output_hook`` after it."""

    def __init__(
        self, module: Any, user_hooks: list[Callable[..., Any]], user_pre_hooks: list[Any]
    ) -> None:
        self.module = module
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.grad_outputs: tuple[Any, ...] | None = None
        self.inputs = _Side()
        self.outputs = _Side()

    def setup_input_hook(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        return self._route(self.inputs, args)  # type: ignore[no-any-return]

    def setup_output_hook(self, result: Any) -> Any:
        if not isinstance(result, tuple):
            return self._route(self.outputs, (result,))[0]
        return self._route(self.outputs, result)

    def _route(self, side: _Side, args: tuple[Any, ...]) -> Any:
        """``args`` with each tensor that requires grad replaced by the output of an identity
        node of this side, all fed by one hub (PyTorch's ``_apply_on_tensors``)."""
        side.n = len(args)
        index = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        routed = [i for i in index if args[i].requires_grad]
        if not (routed and state.grad_enabled):
            return args
        side.tensor_index = index
        side.routed = routed
        side.grads = [None] * len(routed)
        side.zeros_like = {i: (args[i].shape, args[i].dtype, args[i]._backend) for i in index}
        first: Tensor = args[routed[0]]
        placeholder = new_tensor(Tensor, first._backend.k.full((), 0, first.dtype), first._backend)
        zero = placeholder._data
        record(BackwardHookHub, tuple([args[i] for i in routed]), placeholder, (self, side))
        out = list(args)
        for slot, i in enumerate(routed):
            a = args[i]
            alias = new_tensor(Tensor, a._data, a._backend)
            alias._vc = a._vc  # an in-place change through the alias is a change of ``a``
            record(BackwardHookFunctionBackward, (placeholder,), alias, (side, slot, zero))
            out[i] = alias
        return tuple(out) if type(args) is tuple else type(args)(*out)

    def on_gradients(self, side: _Side, grads: list[Any]) -> list[Any]:
        """The hub's work: the hooks called on ``grads`` (the routed tensors' gradients), and
        the gradients to send on."""
        if side is self.outputs:
            return self._on_grad_outputs(grads)
        if self.grad_outputs is None:
            # The gradient reached the inputs without passing through the outputs (a double
            # backward): PyTorch calls no hook then.
            return grads
        return self._on_grad_inputs(grads)

    def _pack(self, side: _Side, grads: list[Any], materialize: bool) -> list[Any]:
        res: list[Any] = [None] * side.n
        for slot, i in enumerate(side.routed):
            res[i] = grads[slot]
        if materialize:  # as PyTorch's identity Function gives them: zeros, never None
            from ..._creation import zeros

            for i in side.tensor_index or ():
                if res[i] is None:
                    shape, dtype, be = side.zeros_like[i]
                    res[i] = zeros(shape, dtype=dtype, backend=be)
        return res

    def _on_grad_outputs(self, grads: list[Any]) -> list[Any]:
        packed = tuple(self._pack(self.outputs, grads, materialize=False))
        self.grad_outputs = packed
        for pre in self.user_pre_hooks:
            self.grad_outputs = _replace(
                packed, self.grad_outputs, pre(self.module, self.grad_outputs), "pre hook", "output"
            )
        local = self.grad_outputs
        if self.inputs.tensor_index is None:
            warnings.warn(_NO_INPUT_GRAD_WARNING, stacklevel=2)
            grad_inputs = (None,) * self.inputs.n
            for hook in self.user_hooks:
                res = hook(self.module, grad_inputs, self.grad_outputs)
                if res is not None and not (
                    isinstance(res, tuple) and all(el is None for el in res)
                ):
                    raise RuntimeError(
                        "Backward hook for Modules where no input requires gradient should "
                        "always return None or None for all gradients."
                    )
            self.grad_outputs = None
        return [local[i] for i in self.outputs.routed]

    def _on_grad_inputs(self, grads: list[Any]) -> list[Any]:
        res = tuple(self._pack(self.inputs, grads, materialize=True))
        for hook in self.user_hooks:
            res = _replace(res, res, hook(self.module, res, self.grad_outputs), "hook", "input")
        self.grad_outputs = None
        return [res[i] for i in self.inputs.routed]


def _replace(
    expected: tuple[Any, ...], current: Any, new: Any, hook: str, side: str
) -> tuple[Any, ...]:
    """What a hook returned in place of ``current`` (None: keep it), of ``expected``'s length."""
    if new is None:
        return current  # type: ignore[no-any-return]
    if len(new) != len(expected):
        raise RuntimeError(
            f"Backward {hook} returned an invalid number of grad_{side}, got {len(new)}, but "
            f"expected {len(expected)}"
        )
    return tuple(new)


class BackwardHooksMixin:
    """``register_full_backward_hook`` and ``register_full_backward_pre_hook`` of ``Module``."""

    _backward_hooks: list[Callable[..., Any]]
    _backward_pre_hooks: list[Callable[..., Any]]

    def register_full_backward_pre_hook(
        self, hook: Callable[..., Any], prepend: bool = False
    ) -> RemovableHandle:
        """Run ``hook(module, grad_output)`` when the gradients of the module's outputs are
        known, before they flow into the module; a returned tuple replaces ``grad_output``
        (``None`` for outputs that are not tensors or got no gradient).

        Example:
            >>> import tensorplug as tp
            >>> lin = tp.nn.Linear(2, 1)
            >>> h = lin.register_full_backward_pre_hook(lambda m, go: (go[0] * 0,))
            >>> lin(tp.ones(1, 2, requires_grad=True)).sum().backward()
            >>> lin.weight.grad
            tensor([[0., 0.]])
            >>> h.remove()
        """
        mark_hooked(self)
        return _add(self._backward_pre_hooks, hook, prepend)

    def register_full_backward_hook(
        self, hook: Callable[..., Any], prepend: bool = False
    ) -> RemovableHandle:
        """Run ``hook(module, grad_input, grad_output)`` once the gradients of the module's
        positional inputs are computed (or, when no input requires grad, those of its
        outputs); a returned tuple replaces ``grad_input``. Entries are ``None`` for
        arguments that are not tensors.

        Example:
            >>> import tensorplug as tp
            >>> lin = tp.nn.Linear(2, 1)
            >>> seen = []
            >>> h = lin.register_full_backward_hook(lambda m, gi, go: seen.append(gi[0].shape))
            >>> lin(tp.ones(3, 2, requires_grad=True)).sum().backward()
            >>> seen
            [(3, 2)]
        """
        from .module_backward_hooks_legacy import check_kind

        check_kind(self, True)
        mark_hooked(self)
        return _add(self._backward_hooks, hook, prepend)

    def register_backward_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """PyTorch's deprecated hook: ``hook(module, grad_input, grad_output)`` with the
        gradients of the node that made the first output (``module_backward_hooks_legacy``);
        prefer ``register_full_backward_hook``."""
        from .module_backward_hooks_legacy import register_backward_hook

        return register_backward_hook(self, hook)

    def _backward_hook_for_call(self) -> BackwardHook | None:
        """The ``BackwardHook`` of this call, or None when no full backward hook applies."""
        own = [] if self.__dict__.get("_is_full_backward_hook") is False else self._backward_hooks
        hooks = [*_global_backward_hooks, *own]
        pre_hooks = [*_global_backward_pre_hooks, *self._backward_pre_hooks]
        if not (hooks or pre_hooks):
            return None
        return BackwardHook(self, hooks, pre_hooks)


def _add(hooks: list[Any], hook: Callable[..., Any], prepend: bool) -> RemovableHandle:
    if prepend:
        hooks.insert(0, hook)
    else:
        hooks.append(hook)
    return RemovableHandle(hooks, hook)
