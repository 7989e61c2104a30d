"""``tensorplug.func``: PyTorch's ``torch.func`` functions tensorplug has
(``functional_call``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._tensor import Tensor
from .nn.modules.module import Module
from .nn.utils.stateless import _merge, _reparametrize, _tied

__all__ = ["functional_call"]


def functional_call(
    module: Module,
    parameter_and_buffer_dicts: Mapping[str, Tensor] | Sequence[Mapping[str, Tensor]],
    args: Any = None,
    kwargs: dict[str, Any] | None = None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
) -> Any:
    """``module(*args, **kwargs)`` with the named parameters and buffers replaced (one dict,
    or several with distinct keys); the module's own tensors are back in place afterwards.
    Gradients flow to the given tensors.

    Example:
        >>> import tensorplug as tp
        >>> from tensorplug.func import functional_call
        >>> lin = tp.nn.Linear(2, 1)
        >>> w = {"weight": tp.ones(1, 2), "bias": tp.zeros(1)}
        >>> functional_call(lin, w, (tp.tensor([[1.0, 2.0]]),))
        tensor([[3.]])
    """
    tensors = _merge(parameter_and_buffer_dicts)
    if tie_weights:
        tensors = _tied(module, tensors)
    args = () if args is None else (args if isinstance(args, tuple) else (args,))
    with _reparametrize(module, tensors, strict):
        return module(*args, **(kwargs or {}))
