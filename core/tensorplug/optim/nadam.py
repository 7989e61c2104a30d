"""NAdam: Adam with Nesterov momentum (Dozat, 2016), with its momentum-decay schedule."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._creation import zeros_like
from .._tensor import Tensor
from ._options import check, check_adam
from ._update import (
    adam_moments,
    add_to,
    as_float,
    scalar_tensor,
    write,
)
from .optimizer import PerParameter

__all__ = ["NAdam"]


class NAdam(PerParameter):
    """PyTorch's NAdam: with ``mu_t = beta1 (1 - 0.96^(t psi) / 2)`` (``psi`` the
    ``momentum_decay``) and ``mu_product`` their running product,
    ``p -= lr (1 - mu_t) / (1 - mu_product) g / d + lr mu_{t+1} / (1 - mu_product mu_{t+1})
    m / d`` where ``d = sqrt(v / (1 - beta2^t)) + eps`` and ``m``, ``v`` are Adam's moments.
    ``mu_product`` is kept as PyTorch keeps it: a 0-d float32 tensor (float64 when that is
    the default dtype), so its rounding is PyTorch's.

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
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_adam(lr, betas, eps, weight_decay)
        check(momentum_decay, "momentum_decay value")
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _init_state(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["step"] = self._step_counter(p, group)
        state["mu_product"] = scalar_tensor(1.0, p, group["capturable"])
        state["exp_avg"] = zeros_like(p)
        state["exp_avg_sq"] = zeros_like(p)

    def _upgrade_state(self) -> None:
        super()._upgrade_state()
        for group in self.param_groups:
            for p in group["params"]:
                s = self.state.get(p)
                if s and not isinstance(s.get("mu_product"), Tensor):
                    s["mu_product"] = scalar_tensor(s["mu_product"], p, group["capturable"])

    @staticmethod
    def _update(p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, eps, psi = group["lr"], group["eps"], group["momentum_decay"]
        t, g, beta1, beta2 = adam_moments(p, state, group)
        k = p._backend.k
        bias_correction2 = 1 - beta2**t
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (t * psi)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((t + 1) * psi)))
        mp = state["mu_product"]
        write(mp, mp._backend.k.mul(mp._data, mu))  # rounded to the counter's dtype
        mu_product = float(mp)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        denom = k.add(k.sqrt(k.div(v._data, bias_correction2)), eps)
        c_grad = as_float(-lr * (1.0 - mu) / (1.0 - mu_product))
        c_avg = as_float((-lr * mu_next) / (1.0 - mu_product * mu_next))
        add_to(p, k.div(k.mul(g, c_grad), denom))
        add_to(p, k.div(k.mul(m._data, c_avg), denom))
