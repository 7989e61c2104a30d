"""``Optimizer``: parameter groups, per-parameter state, ``zero_grad`` and state dicts.

Subclasses implement ``step`` with PyTorch's update formulas, in place on the parameters and
under ``no_grad``, so an update is never recorded in the graph.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .._creation import tensor
from .._grad_mode import enable_grad
from .._plugins import backend_for_device
from .._tensor import Tensor


class _Required:
    def __repr__(self) -> str:
        return "<required parameter>"


required: Any = _Required()
"""Marks a hyper-parameter without a default (SGD's ``lr`` in old PyTorch)."""


class Optimizer:
    """Base class of the optimizers.

    Args:
        params: an iterable of tensors, or of dicts (parameter groups: ``{"params": [...],
            "lr": ...}``) whose options override ``defaults`` for that group.
        defaults: the default value of each option.
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {type(params).__name__}"
            )
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines) + "\n)"

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (e.g. a lower ``lr``)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is "
                    f"{type(p).__name__}"
                )
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        if len({id(p) for p in params}) != len(params):
            raise ValueError("optimizer parameter group contains a parameter more than once")
        group["params"] = params
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(
                    f"parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            group.setdefault(name, default)
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if existing & {id(p) for p in params}:
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of every optimized parameter (to ``None`` by default)."""
        from ..nn.modules.module import _zero_grad

        for group in self.param_groups:
            for p in group["params"]:
                _zero_grad(p, set_to_none)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        raise NotImplementedError

    def _closure(self, closure: Callable[[], Any] | None) -> Any:
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # -- state dicts ---------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``, with
        parameters numbered in group order, as in PyTorch."""
        index: dict[int, int] = {}
        groups = []
        for g in self.param_groups:
            ids = []
            for p in g["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            groups.append({**{k: v for k, v in g.items() if k != "params"}, "params": ids})
        state = {index[id(p)]: dict(s) for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore state and options saved by ``state_dict`` (possibly from another backend:
        state tensors move to each parameter's backend and floating dtype)."""
        if not isinstance(state_dict, Mapping) or not {"state", "param_groups"} <= set(state_dict):
            raise ValueError(
                "optimizer state dict must be a mapping with 'state' and 'param_groups' keys"
            )
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has a different number of parameter groups "
                f"({len(saved_groups)}) than the optimizer ({len(self.param_groups)})"
            )
        id_map: dict[int, Tensor] = {}
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"loaded state dict contains a parameter group ({i}) that doesn't match "
                    f"the size of optimizer's group: {len(saved['params'])} vs "
                    f"{len(group['params'])} parameters"
                )
            for idx, p in zip(saved["params"], group["params"]):
                id_map[int(idx)] = p
        self.state = defaultdict(dict)
        for key, values in state_dict["state"].items():
            p = id_map.get(int(key))
            if p is None:
                continue
            self.state[p] = {name: _cast_state(name, v, p) for name, v in values.items()}
        for saved, group in zip(saved_groups, self.param_groups):
            group.update({k: v for k, v in saved.items() if k != "params"})


def _cast_state(name: str, value: Any, param: Tensor) -> Any:
    if not isinstance(value, Tensor) or name == "step":
        return value.clone() if isinstance(value, Tensor) else value
    out = value.detach()
    if out._backend is not param._backend:
        out = out.to(backend=param._backend)
    if out.is_floating_point() and out.dtype is not param.dtype:
        out = out.to(param.dtype)
    return out.clone() if out._data is value._data else out


def step_counter() -> Tensor:
    """A float32 0-d CPU tensor, as PyTorch keeps ``state["step"]``."""
    return tensor(0.0, dtype="float32", backend=backend_for_device("cpu"))


def write(t: Tensor, array: Any) -> None:
    """Store ``array`` into ``t``'s own array, in place, and bump ``t``'s version.

    Updates work on raw backend arrays: an optimizer step runs a dozen elementwise ops per
    parameter, and the tensor layer's per-op checks would cost more than the arithmetic on
    small parameters. The results are written in place, so parameters keep their identity
    and storage.
    """
    t._backend.k.assign(t._data, array)
    t._vc.version += 1


def bump(state: dict[str, Any]) -> float:
    """Increment ``state["step"]`` and return its new value as a Python number."""
    step = state["step"]
    k = step._backend.k
    write(step, k.add(step._data, 1.0))
    return float(k.to_host(step._data))


def grad_of(p: Tensor, maximize: bool) -> Any:
    """The raw gradient array of ``p`` (negated to maximize), checked to live with ``p``."""
    g = p._grad
    assert g is not None  # steps skip parameters without a gradient
    if g._backend is not p._backend or g.shape != p.shape:
        raise RuntimeError(
            f"optimizer step: the gradient ({g.backend}, {list(g.shape)}) does not match its "
            f"parameter ({p.backend}, {list(p.shape)})"
        )
    return p._backend.k.neg(g._data) if maximize else g._data


def check_positive(value: float, name: str, allow_zero: bool = True) -> None:
    if (value < 0 if allow_zero else value <= 0) or value != value:
        raise ValueError(f"Invalid {name} value: {value}")
