"""``Module``'s forward hooks: code run before and after ``forward`` without subclassing.

The flags PyTorch keeps in side tables (``with_kwargs``, ``always_call``) live on a small record
per registration, so ``prepend`` is a list insert and the handle removes exactly that record.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from ..._graph import RemovableHandle
from ..._tensor import Tensor
from .module_backward_hooks import BackwardHooksMixin, any_global, mark_hooked, register_global

__all__ = [
    "ForwardHooksMixin",
    "register_module_forward_hook",
    "register_module_forward_pre_hook",
]


class _Hook:
    """One registered hook and how to call it."""

    __slots__ = ("always_call", "fn", "with_kwargs")

    def __init__(self, fn: Callable[..., Any], with_kwargs: bool, always_call: bool) -> None:
        self.fn = fn
        self.with_kwargs = with_kwargs
        self.always_call = always_call

    def run(self, mod: Any, args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> Any:
        """Call a forward (post) hook: the output it returns, or ``out`` when it returns
        ``None``."""
        res = self.fn(mod, args, kwargs, out) if self.with_kwargs else self.fn(mod, args, out)
        return out if res is None else res


_global_forward_pre_hooks: list[_Hook] = []
_global_forward_hooks: list[_Hook] = []


def register_module_forward_pre_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """A forward pre-hook ``hook(module, args)`` of every module, run before each module's
    own (for debugging and profiling, as in PyTorch)."""
    return register_global(_global_forward_pre_hooks, _Hook(hook, False, False))


def register_module_forward_hook(
    hook: Callable[..., Any], *, with_kwargs: bool = False, always_call: bool = False
) -> RemovableHandle:
    """A forward hook ``hook(module, args, output)`` of every module, run before each module's
    own; ``with_kwargs`` and ``always_call`` as in ``Module.register_forward_hook``."""
    return register_global(_global_forward_hooks, _Hook(hook, with_kwargs, always_call))


def _register(hooks: list[Any], record: Any, prepend: bool) -> RemovableHandle:
    """Add ``record`` to a module's hook list ``hooks`` (first with ``prepend``); the caller
    has marked the module as hooked (``mark_hooked``)."""
    if prepend:
        hooks.insert(0, record)
    else:
        hooks.append(record)
    return RemovableHandle(hooks, record)


class ForwardHooksMixin(BackwardHooksMixin):
    """The forward pre- and post-hooks of ``Module`` and the call that runs them (with the
    backward hooks' set-up: ``module_backward_hooks.py``)."""

    _forward_hooks: list[_Hook]
    _forward_pre_hooks: list[_Hook]
    _call_hooked: bool

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def register_forward_pre_hook(
        self, hook: Callable[..., Any], *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """Run ``hook(module, args)`` before ``forward``; a returned value replaces ``args``
        (a non-tuple is wrapped in one). With ``with_kwargs=True`` the hook is called as
        ``hook(module, args, kwargs)`` and may return a new ``(args, kwargs)`` pair.
        ``prepend=True`` runs it before the hooks already registered.

        Example:
            >>> import tensorplug as tp
            >>> lin = tp.nn.Linear(2, 2)
            >>> h = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
            >>> bool((lin(tp.ones(1, 2)) == lin.bias).all())
            True
            >>> h.remove()
        """
        mark_hooked(self)
        return _register(self._forward_pre_hooks, _Hook(hook, with_kwargs, False), prepend)

    def register_forward_hook(
        self,
        hook: Callable[..., Any],
        *,
        prepend: bool = False,
        with_kwargs: bool = False,
        always_call: bool = False,
    ) -> RemovableHandle:
        """Run ``hook(module, args, output)`` after ``forward`` (``hook(module, args, kwargs,
        output)`` with ``with_kwargs=True``); a returned value replaces the output.
        ``always_call=True`` runs it even when ``forward`` raises (with ``output=None``)."""
        mark_hooked(self)
        return _register(self._forward_hooks, _Hook(hook, with_kwargs, always_call), prepend)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # One test on the common path: ``_call_hooked`` turns True when this module gets its
        # first hook of any kind and stays so (a removed hook leaves an empty list, which the
        # slow path handles); ``any_global`` lists the global hooks.
        if not (self._call_hooked or any_global):
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(args, kwargs)

    def _call_with_hooks(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """PyTorch's ``_call_impl``: forward pre-hooks (global ones first), the backward
        hooks' wrapping of the inputs, ``forward``, forward hooks, the outputs' wrapping."""
        bw_hook = self._backward_hook_for_call()
        for pre in [*_global_forward_pre_hooks, *self._forward_pre_hooks]:
            if pre.with_kwargs:
                res = pre.fn(self, args, kwargs)
                if res is not None:
                    if not (isinstance(res, tuple) and len(res) == 2):
                        raise RuntimeError(
                            "forward pre-hook must return None or a tuple of (new_args, "
                            f"new_kwargs), but got {res}."
                        )
                    args, kwargs = res
            else:
                res = pre.fn(self, args)
                if res is not None:
                    args = res if isinstance(res, tuple) else (res,)
        called: set[int] = set()
        out = None
        try:
            if bw_hook is not None:
                args = bw_hook.setup_input_hook(args)
            out = self.forward(*args, **kwargs)
            for post in [*_global_forward_hooks, *self._forward_hooks]:
                called.add(id(post))
                out = post.run(self, args, kwargs, out)
        except Exception:
            self._run_always_called(args, kwargs, out, called)
            raise
        if bw_hook is not None:
            if not isinstance(out, (Tensor, tuple)):
                warnings.warn(
                    "For backward hooks to be called, module output should be a Tensor or a "
                    f"tuple of Tensors but received {type(out)}",
                    stacklevel=3,
                )
            out = bw_hook.setup_output_hook(out)
        if self._backward_hooks and self.__dict__.get("_is_full_backward_hook") is False:
            from .module_backward_hooks_legacy import attach_non_full_hooks

            attach_non_full_hooks(self, self._backward_hooks, args, out)
        return out

    def _run_always_called(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], out: Any, called: set[int]
    ) -> None:
        """After ``forward`` (or a hook) raised: the ``always_call`` hooks not yet run; their
        own errors become warnings so the original error is the one raised."""
        for post in [*_global_forward_hooks, *self._forward_hooks]:
            if not post.always_call or id(post) in called:
                continue
            try:
                out = post.run(self, args, kwargs, out)
            except Exception as e:  # noqa: BLE001 - the error from forward is the one to raise
                warnings.warn(
                    "forward hook with ``always_call=True`` raised an exception that was "
                    f"silenced as another error was raised in forward: {e}",
                    stacklevel=3,
                )
