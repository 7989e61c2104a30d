"""RAdam: Adam with a rectified adaptive learning rate (Liu et al., 2020)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._creation import zeros_like
from .._tensor import Tensor
from ._options import check_adam
from ._update import adam_moments, add_to, as_float
from .optimizer import PerParameter

__all__ = ["RAdam"]


class RAdam(PerParameter):
    """PyTorch's RAdam: Adam's moments ``m``, ``v``; with ``rho_inf = 2 / (1 - beta2) - 1``
    and ``rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)``, the step is
    ``lr m_hat r_t sqrt(1 - beta2^t) / (sqrt(v) + eps)`` when ``rho_t > 5`` (``r_t`` the
    variance rectification) and ``lr m_hat`` (momentum SGD) before.

    ``foreach`` and ``capturable`` are accepted and change nothing (see
    ``tensorplug.optim``); ``differentiable=True`` is refused.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_adam(lr, betas, eps, weight_decay)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "decoupled_weight_decay": decoupled_weight_decay,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _init_state(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["step"] = self._step_counter(p, group)
        state["exp_avg"] = zeros_like(p)
        state["exp_avg_sq"] = zeros_like(p)

    @staticmethod
    def _update(p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, eps = group["lr"], group["eps"]
        t, _, beta1, beta2 = adam_moments(p, state, group)
        k = p._backend.k
        m, v = state["exp_avg"], state["exp_avg_sq"]
        bias_correction1 = 1 - beta1**t
        bias_correction2 = 1 - beta2**t
        step = k.mul(k.div(m._data, bias_correction1), as_float(lr))
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * (beta2**t) / bias_correction2
        if rho_t > 5.0:
            rect = (
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            ) ** 0.5
            adaptive = k.div(bias_correction2**0.5, k.add(k.sqrt(v._data), eps))
            step = k.mul(k.mul(step, adaptive), rect)
        add_to(p, k.neg(step))
