"""The old ``nn.utils.weight_norm``: a forward pre-hook recomputing ``weight`` from the
parameters ``weight_g`` and ``weight_v`` before each call, as PyTorch's (deprecated there in
favour of ``parametrizations.weight_norm``, and kept because old code and checkpoints use it).

Example:
    >>> import warnings
    >>> import tensorplug as tp
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", FutureWarning)
    ...     lin = tp.nn.utils.weight_norm(tp.nn.Linear(3, 2))
    >>> [name for name, _ in lin.named_parameters()]
    ['bias', 'weight_g', 'weight_v']
"""

from __future__ import annotations

import warnings
from typing import Any, TypeVar

from ..modules.module import Module
from ..parameter import Parameter
from .parametrizations import _weight_norm, norm_except_dim

__all__ = ["WeightNorm", "remove_weight_norm", "weight_norm"]

T_module = TypeVar("T_module", bound=Module)


class WeightNorm:
    """The forward pre-hook: ``module.<name> = _weight_norm(<name>_v, <name>_g, dim)``."""

    name: str
    dim: int

    def __init__(self, name: str, dim: int | None) -> None:
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module: Module) -> Any:
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return _weight_norm(v, g, self.dim)

    @staticmethod
    def apply(module: Module, name: str, dim: int | None) -> WeightNorm:
        warnings.warn(
            "`tensorplug.nn.utils.weight_norm` is deprecated in favor of "
            "`tensorplug.nn.utils.parametrizations.weight_norm`.",
            FutureWarning,
            stacklevel=3,
        )
        for hook in module._forward_pre_hooks:
            if isinstance(hook.fn, WeightNorm) and hook.fn.name == name:
                raise RuntimeError(
                    f"Cannot register two weight_norm hooks on the same parameter {name}"
                )
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        del module._parameters[name]
        module.register_parameter(
            name + "_g", Parameter(norm_except_dim(weight, 2, fn.dim).detach())
        )
        module.register_parameter(name + "_v", Parameter(weight.detach()))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module: Module) -> None:
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.detach()))

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module: T_module, name: str = "weight", dim: int | None = 0) -> T_module:
    """Split ``module.<name>`` into a magnitude ``<name>_g`` and a direction ``<name>_v``
    (the norm over every dimension but ``dim``; ``dim=None``: the whole tensor), recombined
    before each forward."""
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module: T_module, name: str = "weight") -> T_module:
    """Undo ``weight_norm``: ``module.<name>`` is one parameter again, with today's value."""
    for hook in module._forward_pre_hooks:
        if isinstance(hook.fn, WeightNorm) and hook.fn.name == name:
            hook.fn.remove(module)
            module._forward_pre_hooks.remove(hook)
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
