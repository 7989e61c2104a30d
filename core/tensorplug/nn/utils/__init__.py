"""``nn.utils``: gradient clipping, parameter/vector conversion, parametrizations
(``parametrize``, ``parametrizations``) and the older hook-based ``weight_norm`` and
``spectral_norm``."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from ..._creation import tensor
from ..._grad_mode import no_grad
from ..._tensor import Tensor
from . import fusion, parametrizations, parametrize, rnn, stateless
from .spectral_norm import remove_spectral_norm, spectral_norm
from .weight_norm import remove_weight_norm, weight_norm

__all__ = [
    "fusion",
    "parametrizations",
    "parametrize",
    "remove_spectral_norm",
    "remove_weight_norm",
    "spectral_norm",
    "weight_norm",
    "rnn",
    "stateless",
    "clip_grad_norm_",
    "clip_grad_value_",
    "clip_grads_with_norm_",
    "get_total_norm",
    "parameters_to_vector",
    "vector_to_parameters",
]


def _params(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def _grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    return [p.grad for p in _params(parameters) if p.grad is not None]


def _one_backend(tensors: list[Tensor], what: str) -> None:
    if len({t._backend for t in tensors}) > 1:
        raise RuntimeError(
            f"{what}(): gradients live on more than one backend: "
            + ", ".join(sorted({t.backend for t in tensors}))
        )


@no_grad()
def get_total_norm(
    tensors: Tensor | Iterable[Tensor],
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """The ``norm_type`` norm of the norms of ``tensors`` (their joint norm), a 0-d tensor;
    ``0.`` when there are none. ``foreach`` is accepted for PyTorch's signature: every backend
    here takes the same path."""
    from ..._ops_shape import stack
    from ...linalg import vector_norm

    ts = _params(tensors)
    if not ts:
        return tensor(0.0)
    _one_backend(ts, "get_total_norm")
    norm_type = float(norm_type)
    total = vector_norm(stack([vector_norm(t, norm_type) for t in ts]), norm_type)
    if error_if_nonfinite and not math.isfinite(total.item()):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the gradients "
            "by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return total


@no_grad()
def clip_grads_with_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    total_norm: Tensor,
    foreach: bool | None = None,
) -> None:
    """Scale the gradients in place by ``max_norm / (total_norm + 1e-6)``, clamped to 1."""
    grads = _grads(parameters)
    if not grads:
        return
    coef = (max_norm / (total_norm + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(coef.to(g.dtype))


@no_grad()
def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Scale all gradients in place so their joint ``norm_type`` norm is at most ``max_norm``.

    Returns the total norm before clipping (a 0-d tensor), as PyTorch does; the scale is
    ``max_norm / (total + 1e-6)``, clamped to 1.

    Example:
        >>> import tensorplug as tp
        >>> p = tp.nn.Parameter(tp.zeros(2))
        >>> p.grad = tp.tensor([3.0, 4.0])
        >>> tp.nn.utils.clip_grad_norm_([p], 1.0)
        tensor(5.)
    """
    params = _params(parameters)
    total = get_total_norm(_grads(params), norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(params, max_norm, total, foreach)
    return total


@no_grad()
def clip_grad_value_(
    parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None
) -> None:
    """Clamp every gradient element to ``[-clip_value, clip_value]`` in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        g.clamp_(-clip_value, clip_value)


def _check_tensor(obj: Any) -> None:
    if not isinstance(obj, Tensor):
        raise TypeError(f"expected Tensor, but got: {type(obj).__name__}")


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated into one 1-D tensor."""
    from ..._ops_shape import cat

    return cat([p.reshape(-1) for p in parameters])


@no_grad()
def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of ``vec`` into ``parameters`` (the inverse of the above)."""
    _check_tensor(vec)
    start = 0
    for p in parameters:
        n = p.numel()
        p.copy_(vec[start : start + n].reshape(p.shape))
        start += n
