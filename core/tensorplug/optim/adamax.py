"""Adamax, Adam's infinity-norm variant (Kingma & Ba, 2015, section 7)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._creation import zeros_like
from .._tensor import Tensor
from ._options import check_adam
from ._update import add_to, as_float, bump, decayed, grad_of, lerp, write
from .optimizer import PerParameter

__all__ = ["Adamax"]


class Adamax(PerParameter):
    """PyTorch's Adamax: ``m = lerp(m, g, 1 - beta1)``,
    ``u = max(beta2 u, |g| + eps)``, ``p -= lr / (1 - beta1^t) * m / u``
    (``g`` with ``weight_decay * p`` added).

    ``foreach`` and ``capturable`` are accepted and change nothing (see
    ``tensorplug.optim``); ``differentiable=True`` is refused.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        check_adam(lr, betas, eps, weight_decay)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _init_state(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["step"] = self._step_counter(p, group)
        state["exp_avg"] = zeros_like(p)
        state["exp_inf"] = zeros_like(p)

    @staticmethod
    def _update(p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        beta1, beta2 = group["betas"]
        t = bump(state)
        k = p._backend.k
        g = decayed(p, grad_of(p, group["maximize"]), group["weight_decay"])
        m, u = state["exp_avg"], state["exp_inf"]
        write(m, lerp(k, m._data, g, 1 - beta1))
        write(u, k.maximum(k.mul(u._data, beta2), k.add(k.abs(g), group["eps"])))
        clr = as_float(group["lr"] / (1 - beta1**t))
        add_to(p, k.div(k.mul(m._data, -clr), u._data))
