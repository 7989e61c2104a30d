"""RMSprop (Hinton's lecture 6e), optionally centered and with momentum."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._creation import zeros_like
from .._tensor import Tensor
from ._options import check, check_lr
from ._update import add_to, addcmul, as_float, bump, decayed, grad_of, lerp, write
from .optimizer import PerParameter

__all__ = ["RMSprop"]


class RMSprop(PerParameter):
    """PyTorch's RMSprop: ``v = alpha v + (1 - alpha) g^2``; ``avg = sqrt(v - mean_g^2)``
    (centered) or ``sqrt(v)``, plus ``eps``; then ``buf = momentum buf + g / avg`` and
    ``p -= lr * buf``, or ``p -= lr * g / avg`` without momentum.

    ``foreach`` and ``capturable`` are accepted and change nothing (see
    ``tensorplug.optim``); ``differentiable=True`` is refused.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_lr(lr)
        check(eps, "epsilon value")
        check(momentum, "momentum value")
        check(weight_decay, "weight_decay value")
        check(alpha, "alpha value")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _init_state(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["step"] = self._step_counter(p, group)
        state["square_avg"] = zeros_like(p)
        if group["momentum"] > 0:
            state["momentum_buffer"] = zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = zeros_like(p)

    @staticmethod
    def _update(p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, alpha, momentum = as_float(group["lr"]), group["alpha"], group["momentum"]
        bump(state)
        k = p._backend.k
        g = decayed(p, grad_of(p, group["maximize"]), group["weight_decay"])
        v = state["square_avg"]
        write(v, addcmul(k, k.mul(v._data, alpha), 1 - alpha, g, g))
        if group["centered"]:
            mg = state["grad_avg"]
            write(mg, lerp(k, mg._data, g, 1 - alpha))
            avg = k.sqrt(k.sub(v._data, k.mul(mg._data, mg._data)))
        else:
            avg = k.sqrt(v._data)
        avg = k.add(avg, group["eps"])
        if momentum > 0:
            buf = state["momentum_buffer"]
            write(buf, k.add(k.mul(buf._data, momentum), k.div(g, avg)))
            add_to(p, k.mul(buf._data, -lr))
        else:
            add_to(p, k.div(k.mul(g, -lr), avg))
