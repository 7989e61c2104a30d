"""``Module``'s less common methods, as PyTorch's: ``set_submodule``, ``to_empty``,
``type``, ``share_memory`` and the extra state a subclass may keep in its ``state_dict``
(``get_extra_state``/``set_extra_state``, saved under the key ``_extra_state``)."""

from __future__ import annotations

from typing import Any

from ..._creation import empty_like
from ..._grad_mode import no_grad
from ..._tensor import Tensor

__all__ = ["EXTRA_STATE_KEY", "ModuleExtrasMixin", "has_extra_state"]

EXTRA_STATE_KEY = "_extra_state"


def has_extra_state(module: Any) -> bool:
    """Whether ``module``'s class defines ``get_extra_state`` (its state dict then holds
    ``prefix + "_extra_state"``)."""
    return type(module).get_extra_state is not ModuleExtrasMixin.get_extra_state


class ModuleExtrasMixin:
    """The methods; ``Module`` derives from this class."""

    def get_extra_state(self) -> Any:
        """The state to save beside the parameters and buffers; define it (and
        ``set_extra_state``) in a subclass to have ``state_dict`` carry it."""
        raise RuntimeError(
            "Reached a code path in Module.get_extra_state() that should never be called. "
            "Please file an issue at https://github.com/pytorch/pytorch/issues/new?template="
            "bug-report.yml to report this bug."
        )

    def set_extra_state(self, state: Any) -> None:
        """Restore what ``get_extra_state`` returned (called by ``load_state_dict``)."""
        raise RuntimeError(
            "Reached a code path in Module.set_extra_state() that should never be called. "
            "Please file an issue at https://github.com/pytorch/pytorch/issues/new?template="
            "bug-report.yml to report this bug."
        )

    def set_submodule(self, target: str, module: Any, strict: bool = False) -> None:
        """Put ``module`` at the dotted path ``target`` (its parent must exist; with
        ``strict``, so must the attribute replaced)."""
        from .module import Module

        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        path, _, name = target.rpartition(".")
        parent = self.get_submodule(path)  # type: ignore[attr-defined]
        if strict and not hasattr(parent, name):
            raise AttributeError(parent._get_name() + " has no attribute `" + name + "`")
        if hasattr(parent, name) and not isinstance(getattr(parent, name), Module):
            raise AttributeError("`" + name + "` is not an nn.Module")
        setattr(parent, name, module)

    def to_empty(self, *, device: Any = None, recurse: bool = True) -> Any:
        """Parameters and buffers replaced by uninitialised tensors of their shapes and dtypes
        on ``device`` (the parameters keep their identity), to be filled by an initialisation
        or a ``load_state_dict``."""

        def fn(t: Tensor) -> Tensor:
            return empty_like(t, device=device)

        if recurse:
            return self._apply(fn)  # type: ignore[attr-defined]
        from .module import _rebind

        with no_grad():
            for p in self._parameters.values():  # type: ignore[attr-defined]
                if p is not None:
                    _rebind(p, fn(p))
            buffers = self._buffers  # type: ignore[attr-defined]
            for name, b in buffers.items():
                if b is not None:
                    buffers[name] = fn(b)
        return self

    def type(self, dst_type: Any) -> Any:
        """Every parameter and buffer cast to ``dst_type`` (integer buffers too, as in
        PyTorch)."""
        return self._apply(lambda t: t.to(dst_type))  # type: ignore[attr-defined]

    def share_memory(self) -> Any:
        """PyTorch moves the storages to shared memory for worker processes; tensorplug's
        worker processes receive copies, so there is nothing to move: returns the module."""
        return self
