"""``Optimizer``: parameter groups, per-parameter state, ``zero_grad``, state dicts and hooks.

Subclasses implement ``step`` with PyTorch's update formulas, in place on the parameters and
under ``no_grad``, so an update is never recorded in the graph. The state dict has PyTorch's
layout (``{"state": {0: {...}}, "param_groups": [{..., "params": [0, 1]}]}``, the same keys,
``step`` a 0-d tensor), so a state saved by PyTorch, its tensors converted, loads here.
"""

from __future__ import annotations

import functools
import warnings
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from copy import deepcopy
from itertools import chain
from typing import Any, TypeVar

from .._dtype import float32
from .._grad_mode import no_grad
from .._graph import RemovableHandle
from .._tensor import Tensor
from ._update import scalar_tensor

__all__ = [
    "Optimizer",
    "PerParameter",
    "register_optimizer_step_pre_hook",
    "register_optimizer_step_post_hook",
]

_F = TypeVar("_F", bound=Callable[..., Any])


class _RequiredParameter:
    """Singleton class representing a required parameter for an Optimizer."""

    def __repr__(self) -> str:
        return "<required parameter>"


required: Any = _RequiredParameter()
"""Marks a hyper-parameter without a default (a group must give it)."""

_global_step_pre_hooks: list[Callable[..., Any]] = []
_global_step_post_hooks: list[Callable[..., Any]] = []

_GROUP_FALLBACKS = {
    "maximize": False,
    "foreach": None,
    "capturable": False,
    "differentiable": False,
    "fused": None,
    "decoupled_weight_decay": False,
}
"""Options a state dict saved by an older PyTorch may lack, and the value they then take."""


def register_optimizer_step_pre_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Call ``hook(optimizer, args, kwargs)`` before every optimizer's ``step``; it may return
    new ``(args, kwargs)``."""
    _global_step_pre_hooks.append(hook)
    return RemovableHandle(_global_step_pre_hooks, hook)


def register_optimizer_step_post_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Call ``hook(optimizer, args, kwargs)`` after every optimizer's ``step``."""
    _global_step_post_hooks.append(hook)
    return RemovableHandle(_global_step_post_hooks, hook)


def _with_step_hooks(step: _F) -> _F:
    """Run the global and per-optimizer step hooks around ``step``, as PyTorch does."""

    @functools.wraps(step)
    def run(self: Optimizer, *args: Any, **kwargs: Any) -> Any:
        for pre in chain(_global_step_pre_hooks, self._optimizer_step_pre_hooks):
            result = pre(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(
                        f"{step} must return None or a tuple of (new_args, new_kwargs), "
                        f"but got {result}."
                    )
                args, kwargs = result
        out = step(self, *args, **kwargs)
        for post in chain(self._optimizer_step_post_hooks, _global_step_post_hooks):
            post(self, args, kwargs)
        return out

    run.hooked = True  # type: ignore[attr-defined]
    return run  # type: ignore[return-value]


class Optimizer:
    """Base class of the optimizers.

    Args:
        params: an iterable of tensors, of ``(name, tensor)`` pairs (``named_parameters()``),
            or of dicts (parameter groups: ``{"params": [...], "lr": ...}``) whose options
            override ``defaults`` for that group.
        defaults: the default value of each option.
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks: list[Callable[..., Any]] = []
        self._optimizer_step_post_hooks: list[Callable[..., Any]] = []
        self._optimizer_state_dict_pre_hooks: list[Callable[..., Any]] = []
        self._optimizer_state_dict_post_hooks: list[Callable[..., Any]] = []
        self._optimizer_load_state_dict_pre_hooks: list[Callable[..., Any]] = []
        self._optimizer_load_state_dict_post_hooks: list[Callable[..., Any]] = []
        cls = type(self)
        if not getattr(cls.step, "hooked", False):  # as PyTorch, patch the class once
            cls.step = _with_step_hooks(cls.step)  # type: ignore[method-assign]
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {_typename(params)}"
            )
        self.state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for name in (
            "step_pre",
            "step_post",
            "state_dict_pre",
            "state_dict_post",
            "load_state_dict_pre",
            "load_state_dict_post",
        ):
            self.__dict__.setdefault(f"_optimizer_{name}_hooks", [])
        self.defaults.setdefault("differentiable", False)

    def __repr__(self) -> str:
        text = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            text += "".join(f"    {k}: {group[k]}\n" for k in sorted(group) if k != "params")
        return text + ")"

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (e.g. a lower ``lr`` for a
        pre-trained part, or layers unfrozen during training)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        _split_names(param_group, list(params))
        for p in param_group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is {_typename(p)}"
                )
            if not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            param_group.setdefault(name, default)
        if param_group.get("differentiable"):
            raise NotImplementedError(
                "differentiable=True is not supported: tensorplug's optimizers update the "
                "parameters in place outside the autograd graph, so a step cannot be "
                "differentiated through"
            )
        ids = [id(p) for p in param_group["params"]]
        if len(ids) != len(set(ids)):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, "
                "this will cause an error; see github.com/pytorch/pytorch/issues/40967 for "
                "more information",
                stacklevel=3,
            )
        _check_disjoint(self.param_groups, param_group, set(ids))
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of every optimized parameter: to ``None`` by default, else to
        zeros in place (detached first)."""
        from ..nn.modules.module import _zero_grad

        for group in self.param_groups:
            for p in group["params"]:
                _zero_grad(p, set_to_none)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the
        loss (required by ``LBFGS``, optional for the others)."""
        raise NotImplementedError

    def _closure(self, closure: Callable[[], Any] | None) -> Any:
        if closure is None:
            return None
        from .._grad_mode import enable_grad

        with enable_grad():
            return closure()

    def _step_counter(self, p: Tensor, group: dict[str, Any]) -> Tensor:
        return scalar_tensor(0.0, p, group.get("capturable", False), bool(group.get("fused")))

    # -- hooks ---------------------------------------------------------------------------------
    def register_step_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Call ``hook(optimizer, args, kwargs)`` before each ``step``; it may return new
        ``(args, kwargs)``."""
        return _register(self._optimizer_step_pre_hooks, hook, False)

    def register_step_post_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Call ``hook(optimizer, args, kwargs)`` after each ``step``."""
        return _register(self._optimizer_step_post_hooks, hook, False)

    def register_state_dict_pre_hook(
        self, hook: Callable[..., Any], prepend: bool = False
    ) -> RemovableHandle:
        """Call ``hook(optimizer)`` before ``state_dict`` builds the dict."""
        return _register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(
        self, hook: Callable[..., Any], prepend: bool = False
    ) -> RemovableHandle:
        """Call ``hook(optimizer, state_dict)`` on the built dict; it may return a new one."""
        return _register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(
        self, hook: Callable[..., Any], prepend: bool = False
    ) -> RemovableHandle:
        """Call ``hook(optimizer, state_dict)`` before loading; it may return a new dict."""
        return _register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(
        self, hook: Callable[..., Any], prepend: bool = False
    ) -> RemovableHandle:
        """Call ``hook(optimizer)`` after ``load_state_dict``."""
        return _register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # -- state dicts ---------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``, with
        parameters numbered in group order, as in PyTorch. The state's tensors are the
        optimizer's own (not copies)."""
        for pre in self._optimizer_state_dict_pre_hooks:
            pre(self)
        index: dict[int, int] = {}
        groups = []
        start = 0
        for g in self.param_groups:
            for i, p in enumerate(g["params"], start):
                index.setdefault(id(p), i)
            packed = {k: v for k, v in g.items() if k != "params"}
            packed["params"] = [index[id(p)] for p in g["params"]]
            start += len(packed["params"])
            groups.append(packed)
        state = {(index[id(p)] if isinstance(p, Tensor) else p): s for p, s in self.state.items()}
        result: dict[str, Any] = {"state": state, "param_groups": groups}
        for post in self._optimizer_state_dict_post_hooks:
            result = post(self, result) or result
        return result

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore state and options saved by ``state_dict`` (here or, its tensors converted,
        by PyTorch). State tensors are copied to each parameter's backend, in its dtype when
        the parameter is floating (``step`` keeps its own)."""
        if not isinstance(state_dict, Mapping) or not {"state", "param_groups"} <= set(state_dict):
            raise ValueError(
                "optimizer state dict must be a mapping with 'state' and 'param_groups' keys"
            )
        sd: Any = dict(state_dict)
        for pre in self._optimizer_load_state_dict_pre_hooks:
            sd = pre(self, sd) or sd
        saved_groups = deepcopy(sd["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(
            len(s["params"]) != len(g["params"]) for s, g in zip(saved_groups, self.param_groups)
        ):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of "
                "optimizer's group"
            )
        id_map = dict(
            zip(
                chain.from_iterable(g["params"] for g in saved_groups),
                chain.from_iterable(g["params"] for g in self.param_groups),
            )
        )
        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for key, values in sd["state"].items():
            if key in id_map:
                p = id_map[key]
                state[p] = _cast(p, values, _group_of(key, saved_groups))
            else:
                state[key] = values
        for group, saved in zip(self.param_groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
        self.state, self.param_groups = state, saved_groups
        self._upgrade_state()
        for post in self._optimizer_load_state_dict_post_hooks:
            post(self)

    def _upgrade_state(self) -> None:
        """Fill what a state dict from an older PyTorch lacks: options added since, and
        ``step`` kept as a number instead of a tensor."""
        for group in self.param_groups:
            for name, fallback in _GROUP_FALLBACKS.items():
                if name in self.defaults:
                    group.setdefault(name, fallback)
            for p in group["params"]:
                s = self.state.get(p)
                if s and "step" in s and not isinstance(s["step"], Tensor):
                    counter = self._step_counter(p, group)
                    counter.fill_(float(s["step"]))
                    s["step"] = counter


class PerParameter(Optimizer):
    """An optimizer whose update moves each parameter on its own (all but LBFGS): a step
    calls ``_update`` on each parameter with a gradient, after ``_init_state`` has filled
    the parameter's state on its first step."""

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = self._closure(closure)
        for group in self.param_groups:
            for p in self._group_step(group):
                state = self.state[p]
                if not state:
                    self._init_state(p, state, group)
                self._update(p, state, group)
        return loss

    def _group_step(self, group: dict[str, Any]) -> list[Tensor]:
        """Update what a multi-tensor step can of ``group`` (``_foreach``) and return the
        parameters with a gradient left to ``_update`` (all of them, here)."""
        return [p for p in group["params"] if p._grad is not None]

    def _init_state(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        raise NotImplementedError

    @staticmethod
    def _update(p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        raise NotImplementedError


def _typename(x: Any) -> str:
    return f"{type(x).__module__}.{type(x).__qualname__}"


def _register(
    hooks: list[Callable[..., Any]], hook: Callable[..., Any], prepend: bool
) -> RemovableHandle:
    if prepend:
        hooks.insert(0, hook)
    else:
        hooks.append(hook)
    return RemovableHandle(hooks, hook)


def _split_names(group: dict[str, Any], params: list[Any]) -> None:
    """Store ``group["params"]`` as tensors, and the names of ``(name, tensor)`` pairs (from
    ``named_parameters()``) as ``group["param_names"]``."""
    names = [p[0] for p in params if isinstance(p, tuple)]
    group["params"] = [p[1] if isinstance(p, tuple) else p for p in params]
    if names:
        if len(names) != len(params):
            raise ValueError(
                "all optimizer params should be with/without names. Some param names are missing"
            )
        group["param_names"] = names


def _check_disjoint(groups: list[dict[str, Any]], new: dict[str, Any], ids: set[int]) -> None:
    seen: set[int] = set()
    for group in groups:
        seen.update(id(p) for p in group["params"])
        if ("param_names" in new) != ("param_names" in group):
            kind = "with names" if "param_names" in new else "without names"
            raise ValueError(
                "all optimizer param groups should be with/without names. "
                f"cannot add param group {kind} to the optimizer"
            )
    if not seen.isdisjoint(ids):
        raise ValueError("some parameters appear in more than one parameter group")


def _group_of(key: Any, groups: list[dict[str, Any]]) -> dict[str, Any]:
    return next((g for g in groups if key in g["params"]), {})


def _cast(param: Tensor, value: Any, group: Mapping[str, Any], key: Hashable = None) -> Any:
    """A copy of a loaded state ``value`` on ``param``'s backend, tensors cast to its dtype
    when it is floating, as PyTorch's ``load_state_dict`` casts (``step`` stays as saved,
    or float32 on the parameter's device for ``capturable``/``fused`` groups)."""
    if isinstance(value, Tensor):
        out = value.detach()
        if out._backend is not param._backend and (key != "step" or _on_param(group)):
            out = out.to(backend=param._backend)
        if key == "step":
            out = out.to(float32) if _on_param(group) else out
        elif param.is_floating_point():
            out = out.to(param.dtype)
        return out.clone() if out._data is value._data else out
    if isinstance(value, dict):
        return {k: _cast(param, v, group, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(param, v, group) for v in value)
    return value


def _on_param(group: Mapping[str, Any]) -> bool:
    return bool(group.get("capturable") or group.get("fused"))
