"""``nn.utils``: gradient clipping and parameter/vector conversion."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from ..._creation import tensor
from ..._grad_mode import no_grad
from ..._tensor import Tensor
from . import rnn

__all__ = [
    "rnn",
    "clip_grad_norm_",
    "clip_grad_value_",
    "parameters_to_vector",
    "vector_to_parameters",
]


def _params(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


@no_grad()
def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: Any = None,
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
    grads = [p.grad for p in _params(parameters) if p.grad is not None]
    norm_type = float(norm_type)
    if not grads:
        return tensor(0.0)
    if len({g._backend for g in grads}) > 1:
        raise RuntimeError(
            "clip_grad_norm_(): gradients live on more than one backend: "
            + ", ".join(sorted({g.backend for g in grads}))
        )
    if math.isinf(norm_type):
        norms = [g.abs().amax() for g in grads]
        total = norms[0] if len(norms) == 1 else _stack_max(norms)
    else:
        rest = (
            sum(
                (g.abs().pow(norm_type).sum() if norm_type != 2.0 else (g * g).sum())
                for g in grads[1:]
            )
            if len(grads) > 1
            else None
        )
        first = grads[0]
        first_sum = first.abs().pow(norm_type).sum() if norm_type != 2.0 else (first * first).sum()
        total = (first_sum if rest is None else first_sum + rest) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total.item()):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the gradients "
            "by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    coef = (max_norm / (total + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(coef.to(g.dtype))
    return total


def _stack_max(norms: list[Tensor]) -> Tensor:
    from ..._ops_shape import stack

    return stack(norms).amax()


@no_grad()
def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient element to ``[-clip_value, clip_value]`` in place."""
    for p in _params(parameters):
        if p.grad is not None:
            p.grad.clamp_(-clip_value, clip_value)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated into one 1-D tensor."""
    from ..._ops_shape import cat

    return cat([p.reshape(-1) for p in parameters])


@no_grad()
def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of ``vec`` into ``parameters`` (the inverse of the above)."""
    start = 0
    for p in parameters:
        n = p.numel()
        p.copy_(vec[start : start + n].reshape(p.shape))
        start += n
