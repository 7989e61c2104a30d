"""``Module.state_dict`` and ``load_state_dict``, with their hooks, as PyTorch walks them.

Each module saves and loads its own parameters and persistent buffers
(``_save_to_state_dict``, ``_load_from_state_dict``, the methods subclasses override to rename
or convert old keys) and then recurses into its children with ``prefix + name + "."``, so a
hook sees exactly the prefix PyTorch gives it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from ..._grad_mode import no_grad
from ..._graph import RemovableHandle
from ..._tensor import Tensor
from ..parameter import Parameter
from .module_extras import EXTRA_STATE_KEY, has_extra_state

if TYPE_CHECKING:
    from .module import Module

__all__ = ["StateDictMixin", "_IncompatibleKeys"]


class IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]


class _IncompatibleKeys(IncompatibleKeys):
    """What ``load_state_dict`` returns: the keys it did not find and did not expect."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class _StateHook:
    """A registered hook; ``public`` ones (the ``register_*`` API) must return ``None``."""

    __slots__ = ("fn", "public")

    def __init__(self, fn: Callable[..., Any], public: bool) -> None:
        self.fn = fn
        self.public = public


def _add(hooks: list[_StateHook], fn: Callable[..., Any], public: bool) -> RemovableHandle:
    record = _StateHook(fn, public)
    hooks.append(record)
    return RemovableHandle(hooks, record)


class StateDictMixin:
    """Saving and loading a module's parameters and persistent buffers by dotted name."""

    _version: int = 1
    _parameters: dict[str, Parameter | None]
    _buffers: dict[str, Tensor | None]
    _non_persistent_buffers: set[str]
    _modules: dict[str, Module | None]
    _state_dict_pre_hooks: list[_StateHook]
    _state_dict_hooks: list[_StateHook]
    _load_state_dict_pre_hooks: list[_StateHook]
    _load_state_dict_post_hooks: list[_StateHook]

    # -- hooks ---------------------------------------------------------------------------------
    def register_state_dict_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """``hook(module, prefix, keep_vars)`` runs before this module saves its state."""
        return _add(self._state_dict_pre_hooks, hook, True)

    def register_state_dict_post_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """``hook(module, state_dict, prefix, local_metadata)`` runs after this module and its
        children saved their state; it may edit ``state_dict`` in place and must return
        ``None``."""
        return _add(self._state_dict_hooks, hook, True)

    def _register_state_dict_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """The older post hook: a returned dict replaces the state dict."""
        return _add(self._state_dict_hooks, hook, False)

    def register_load_state_dict_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` runs before this module loads its entries."""
        return _add(self._load_state_dict_pre_hooks, hook, True)

    def _register_load_state_dict_pre_hook(
        self, hook: Callable[..., Any], with_module: bool = False
    ) -> RemovableHandle:
        """The older pre hook, called without the module unless ``with_module``."""
        return _add(self._load_state_dict_pre_hooks, hook, with_module)

    def register_load_state_dict_post_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """``hook(module, incompatible_keys)`` runs after loading; it may edit the key lists in
        place (a strict load then fails on what it leaves) and must return ``None``."""
        return _add(self._load_state_dict_post_hooks, hook, True)

    # -- saving --------------------------------------------------------------------------------
    def _save_to_state_dict(self, destination: Any, prefix: str, keep_vars: bool) -> None:
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers:
                destination[prefix + name] = b if keep_vars else b.detach()
        if has_extra_state(self):
            destination[prefix + EXTRA_STATE_KEY] = self.get_extra_state()  # type: ignore[attr-defined]

    def state_dict(
        self, *, destination: Any = None, prefix: str = "", keep_vars: bool = False
    ) -> Any:
        """Parameters and persistent buffers by dotted name (detached, sharing data), in an
        ``OrderedDict`` whose ``_metadata`` holds each module's version, as PyTorch's."""
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        local_metadata = {"version": self._version}
        if hasattr(destination, "_metadata"):
            destination._metadata[prefix[:-1]] = local_metadata
        for hook in self._state_dict_pre_hooks:
            hook.fn(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, child in self._modules.items():
            if child is not None:
                child.state_dict(
                    destination=destination, prefix=f"{prefix}{name}.", keep_vars=keep_vars
                )
        for hook in self._state_dict_hooks:
            res = hook.fn(self, destination, prefix, local_metadata)
            if hook.public and res is not None:
                raise RuntimeError("state_dict post-hook must return None")
            if res is not None:
                destination = res
        return destination

    # -- loading -------------------------------------------------------------------------------
    def _load_from_state_dict(
        self,
        state_dict: Mapping[str, Any],
        prefix: str,
        local_metadata: dict[str, Any],
        strict: bool,
        missing_keys: list[str],
        unexpected_keys: list[str],
        error_msgs: list[str],
    ) -> None:
        """Copy this module's own entries of ``state_dict`` (keys ``prefix + name``) into its
        parameters and persistent buffers, collecting problems in the three lists."""
        for hook in self._load_state_dict_pre_hooks:
            rest = (state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys)
            hook.fn(self, *rest, error_msgs) if hook.public else hook.fn(*rest, error_msgs)
        local: dict[str, Tensor] = {
            name: t
            for table in (self._parameters, self._buffers)
            for name, t in table.items()
            if t is not None
            and not (table is self._buffers and name in self._non_persistent_buffers)
        }
        assign = bool(local_metadata.get("assign_to_params_buffers", False))
        for name, target in local.items():
            key = prefix + name
            if key in state_dict:
                error = _load_one(self, name, key, target, state_dict[key], assign)
                if error:
                    error_msgs.append(error)
            elif strict:
                missing_keys.append(key)
        extra = has_extra_state(self)
        if extra:
            if prefix + EXTRA_STATE_KEY in state_dict:
                self.set_extra_state(state_dict[prefix + EXTRA_STATE_KEY])  # type: ignore[attr-defined]
            elif strict:
                missing_keys.append(prefix + EXTRA_STATE_KEY)
        if strict:
            for key in state_dict:
                if key.startswith(prefix):
                    head = key[len(prefix) :].split(".", 1)[0]
                    mine = head in self._modules or head in local
                    if not mine and not (extra and head == EXTRA_STATE_KEY):
                        unexpected_keys.append(key)

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False
    ) -> _IncompatibleKeys:
        """Copy ``state_dict``'s tensors into this module's parameters and buffers (moving
        them to this module's backend and dtype; ``assign=True`` takes the tensors themselves).
        ``strict`` makes missing and unexpected keys an error; a shape mismatch always is.

        Example:
            >>> import tensorplug as tp
            >>> a, b = tp.nn.Linear(2, 2), tp.nn.Linear(2, 2)
            >>> b.load_state_dict(a.state_dict())
            <All keys matched successfully>
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing: list[str] = []
        unexpected: list[str] = []
        errors: list[str] = []
        metadata = getattr(state_dict, "_metadata", None)
        keys = _IncompatibleKeys(missing, unexpected)

        def load(module: Module, local_state: Mapping[str, Any], prefix: str = "") -> None:
            meta = dict({} if metadata is None else metadata.get(prefix[:-1], {}))
            if assign:
                meta["assign_to_params_buffers"] = True
            module._load_from_state_dict(
                local_state, prefix, meta, True, missing, unexpected, errors
            )
            for name, child in module._modules.items():
                if child is not None:
                    sub = f"{prefix}{name}."
                    load(
                        child,
                        {key: v for key, v in local_state.items() if key.startswith(sub)},
                        sub,
                    )
            for hook in module._load_state_dict_post_hooks:
                if hook.fn(module, keys) is not None:
                    raise RuntimeError(
                        "Hooks registered with ``register_load_state_dict_post_hook`` are not "
                        "expected to return new values, if incompatible_keys need to be "
                        "modified, it should be done inplace."
                    )

        load(self, OrderedDict(state_dict))  # type: ignore[arg-type]
        if strict:
            if unexpected:
                names = ", ".join(f'"{k}"' for k in unexpected)
                errors.insert(0, f"Unexpected key(s) in state_dict: {names}. ")
            if missing:
                names = ", ".join(f'"{k}"' for k in missing)
                errors.insert(0, f"Missing key(s) in state_dict: {names}. ")
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(errors)
            )
        return keys


def _load_one(
    mod: Any, name: str, key: str, target: Tensor, value: Any, assign: bool
) -> str | None:
    """Load ``value`` into ``mod``'s ``name``; the error message, or ``None`` when it worked."""
    if not isinstance(value, Tensor):
        return (
            f'While copying the parameter named "{key}", expected torch.Tensor or Tensor-like '
            f"object from checkpoint but received {type(value)}"
        )
    if target.ndim == 0 and value.ndim == 1:
        value = value[0]  # PyTorch still loads 0.3-era 1-element checkpoints into scalars
    if value.shape != target.shape:
        return (
            f"size mismatch for {key}: copying a param with shape {list(value.shape)} "
            f"from checkpoint, the shape in current model is {list(target.shape)}."
        )
    try:
        with no_grad():
            if not assign:
                target.copy_(value)
            elif isinstance(target, Parameter):
                if not isinstance(value, Parameter):
                    value = Parameter(value, requires_grad=target.requires_grad)
                else:
                    value.requires_grad_(target.requires_grad)
                setattr(mod, name, value)
            else:
                setattr(mod, name, value)
    except Exception as ex:  # noqa: BLE001 - reported with the others, as PyTorch does
        return (
            f'While copying the parameter named "{key}", whose dimensions in the model are '
            f"{list(target.shape)} and whose dimensions in the checkpoint are "
            f"{list(value.shape)}, an exception occurred : {ex.args}."
        )
    return None
