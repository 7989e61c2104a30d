"""Adadelta (Zeiler, 2012)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._creation import zeros_like
from .._tensor import Tensor
from ._options import check, check_lr
from ._update import add_to, addcmul, as_float, bump, decayed, grad_of, write
from .optimizer import PerParameter

__all__ = ["Adadelta"]


class Adadelta(PerParameter):
    """PyTorch's Adadelta: ``v = rho v + (1 - rho) g^2``,
    ``delta = sqrt(u + eps) / sqrt(v + eps) * g``, ``u = rho u + (1 - rho) delta^2``,
    ``p -= lr * delta`` (``g`` with ``weight_decay * p`` added).

    ``foreach`` and ``capturable`` are accepted and change nothing (see
    ``tensorplug.optim``); ``differentiable=True`` is refused.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check(eps, "epsilon value")
        check(weight_decay, "weight_decay value")
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "capturable": capturable,
            "foreach": foreach,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _init_state(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["step"] = self._step_counter(p, group)
        state["square_avg"] = zeros_like(p)
        state["acc_delta"] = zeros_like(p)

    @staticmethod
    def _update(p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, rho, eps = as_float(group["lr"]), group["rho"], group["eps"]
        bump(state)
        k = p._backend.k
        g = decayed(p, grad_of(p, group["maximize"]), group["weight_decay"])
        v, u = state["square_avg"], state["acc_delta"]
        write(v, addcmul(k, k.mul(v._data, rho), 1 - rho, g, g))
        std = k.sqrt(k.add(v._data, eps))
        delta = k.mul(k.div(k.sqrt(k.add(u._data, eps)), std), g)
        write(u, addcmul(k, k.mul(u._data, rho), 1 - rho, delta, delta))
        add_to(p, k.mul(delta, -lr))
