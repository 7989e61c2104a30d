"""The old ``nn.utils.spectral_norm``: a forward pre-hook dividing ``weight_orig`` by its
spectral norm, estimated by power iteration on the buffers ``weight_u`` and ``weight_v``, as
PyTorch's (which keeps it beside ``parametrizations.spectral_norm`` for old code and
checkpoints), with its ``state_dict`` version metadata.

Example:
    >>> import tensorplug as tp
    >>> lin = tp.nn.utils.spectral_norm(tp.nn.Linear(3, 2))
    >>> sorted(lin.state_dict())
    ['bias', 'weight_orig', 'weight_u', 'weight_v']
"""

from __future__ import annotations

from typing import Any, TypeVar

from ..._grad_mode import no_grad
from ..._tensor import Tensor
from ...linalg import pinv
from ..functional import normalize
from ..modules.module import Module
from ..parameter import Parameter
from .parametrizations import _default_dim, reshape_weight_to_matrix

__all__ = [
    "SpectralNorm",
    "SpectralNormLoadStateDictPreHook",
    "SpectralNormStateDictHook",
    "remove_spectral_norm",
    "spectral_norm",
]

T_module = TypeVar("T_module", bound=Module)


class SpectralNorm:
    """The forward pre-hook: ``module.<name> = <name>_orig / sigma``."""

    _version: int = 1

    def __init__(
        self, name: str = "weight", n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12
    ) -> None:
        self.name = name
        self.dim = dim
        if n_power_iterations <= 0:
            raise ValueError(
                "Expected n_power_iterations to be positive, but got "
                f"n_power_iterations={n_power_iterations}"
            )
        self.n_power_iterations = n_power_iterations
        self.eps = eps

    def reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        return reshape_weight_to_matrix(weight, self.dim)

    def compute_weight(self, module: Module, do_power_iteration: bool) -> Tensor:
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        weight_mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            with no_grad():
                for _ in range(self.n_power_iterations):
                    v.copy_(normalize(weight_mat.mT @ u, dim=0, eps=self.eps))
                    u.copy_(normalize(weight_mat @ v, dim=0, eps=self.eps))
                u = u.clone()
                v = v.clone()
        sigma = (u * (weight_mat @ v)).sum()
        return weight / sigma  # type: ignore[no-any-return]

    def remove(self, module: Module) -> None:
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        for suffix in ("", "_u", "_v", "_orig"):
            delattr(module, self.name + suffix)
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module, module.training))

    def _solve_v_and_rescale(self, weight_mat: Tensor, u: Tensor, target_sigma: Tensor) -> Tensor:
        """The ``v`` an old (version 0) checkpoint did not store: ``W v = sigma u`` solved."""
        v = (pinv(weight_mat.mT @ weight_mat) @ weight_mat.mT @ u.unsqueeze(1)).squeeze(1)
        return v.mul_(target_sigma / (u * (weight_mat @ v)).sum())

    @staticmethod
    def apply(
        module: Module, name: str, n_power_iterations: int, dim: int, eps: float
    ) -> SpectralNorm:
        for hook in module._forward_pre_hooks:
            if isinstance(hook.fn, SpectralNorm) and hook.fn.name == name:
                raise RuntimeError(
                    f"Cannot register two spectral_norm hooks on the same parameter {name}"
                )
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters[name]
        if weight is None:
            raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
        with no_grad():
            h, w = fn.reshape_weight_to_matrix(weight).shape
            u = normalize(weight.new_empty(h).normal_(0, 1), dim=0, eps=fn.eps)
            v = normalize(weight.new_empty(w).normal_(0, 1), dim=0, eps=fn.eps)
        delattr(module, fn.name)
        module.register_parameter(fn.name + "_orig", weight)
        setattr(module, fn.name, weight.detach())
        module.register_buffer(fn.name + "_u", u)
        module.register_buffer(fn.name + "_v", v)
        module.register_forward_pre_hook(fn)
        module._register_state_dict_hook(SpectralNormStateDictHook(fn))
        module._register_load_state_dict_pre_hook(SpectralNormLoadStateDictPreHook(fn))
        return fn


class SpectralNormLoadStateDictPreHook:
    """Loads a checkpoint saved before version 1 (``weight`` stored, ``weight_v`` not)."""

    def __init__(self, fn: SpectralNorm) -> None:
        self.fn = fn

    def __call__(
        self, state_dict: dict[str, Any], prefix: str, local_metadata: dict[str, Any], *rest: Any
    ) -> None:
        """A load pre-hook: ``rest`` is ``(strict, missing_keys, unexpected_keys, error_msgs)``."""
        strict, missing_keys = rest[0], rest[1]
        fn = self.fn
        version = local_metadata.get("spectral_norm", {}).get(fn.name + ".version", None)
        if version is not None and version >= 1:
            return
        key = prefix + fn.name
        stored = all(key + s in state_dict for s in ("_orig", "_u", "_v"))
        if version is None and key not in state_dict and stored:
            return
        missing = [key + s for s in ("_orig", "", "_u") if key + s not in state_dict]
        if missing:
            if strict:
                missing_keys.extend(missing)
            return
        with no_grad():
            weight_orig = state_dict[key + "_orig"]
            sigma = (weight_orig / state_dict.pop(key)).mean()
            weight_mat = fn.reshape_weight_to_matrix(weight_orig)
            state_dict[key + "_v"] = fn._solve_v_and_rescale(
                weight_mat, state_dict[key + "_u"], sigma
            )


class SpectralNormStateDictHook:
    """Records ``spectral_norm``'s version in the state dict's metadata."""

    def __init__(self, fn: SpectralNorm) -> None:
        self.fn = fn

    def __call__(
        self, module: Module, state_dict: Any, prefix: str, local_metadata: dict[str, Any]
    ) -> None:
        meta = local_metadata.setdefault("spectral_norm", {})
        key = self.fn.name + ".version"
        if key in meta:
            raise RuntimeError(f"Unexpected key in metadata['spectral_norm']: {key}")
        meta[key] = self.fn._version


def spectral_norm(
    module: T_module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> T_module:
    """Divide ``module.<name>`` by its spectral norm before each forward (power iteration on
    ``<name>_u``/``<name>_v`` in training mode); the original is ``<name>_orig``."""
    SpectralNorm.apply(module, name, n_power_iterations, _default_dim(module, dim), eps)
    return module


def remove_spectral_norm(module: T_module, name: str = "weight") -> T_module:
    """Undo ``spectral_norm``: ``module.<name>`` is one parameter again, normalised."""
    for hook in module._forward_pre_hooks:
        if isinstance(hook.fn, SpectralNorm) and hook.fn.name == name:
            hook.fn.remove(module)
            module._forward_pre_hooks.remove(hook)
            break
    else:
        raise ValueError(f"spectral_norm of '{name}' not found in {module}")
    for hooks, cls in (
        (module._state_dict_hooks, SpectralNormStateDictHook),
        (module._load_state_dict_pre_hooks, SpectralNormLoadStateDictPreHook),
    ):
        for h in hooks:
            if isinstance(h.fn, cls) and h.fn.fn.name == name:
                hooks.remove(h)
                break
    return module
