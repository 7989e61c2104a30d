"""ASGD, averaged stochastic gradient descent (Polyak & Juditsky, 1992)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._creation import tensor, zeros_like
from .._tensor import Tensor
from ._options import check, check_lr
from ._update import add_to, as_float, bump, decayed, grad_of, scalar_tensor, write
from .optimizer import PerParameter

__all__ = ["ASGD"]


class ASGD(PerParameter):
    """PyTorch's ASGD: ``p *= 1 - lambd * eta``, ``p -= eta * g`` (``g`` with
    ``weight_decay * p`` added), then the running average ``ax`` moves towards ``p`` by
    ``mu``; after step ``t``, ``eta = lr / (1 + lambd lr t)^alpha`` and
    ``mu = 1 / max(1, t - t0)`` (so averaging starts at step ``t0``). ``step``, ``eta`` and
    ``mu`` are 0-d tensors in the default dtype beside the parameter, as PyTorch keeps
    them, so their rounding is PyTorch's.

    ``foreach`` and ``capturable`` are accepted and change nothing (see
    ``tensorplug.optim``); ``differentiable=True`` is refused.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        check_lr(lr)
        check(weight_decay, "weight_decay value")
        defaults = {
            "lr": lr,
            "lambd": lambd,
            "alpha": alpha,
            "t0": t0,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _step_counter(self, p: Tensor, group: dict[str, Any]) -> Tensor:
        return scalar_tensor(0.0, p, on_param=True)

    def _init_state(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["step"] = self._step_counter(p, group)
        state["eta"] = scalar_tensor(as_float(group["lr"]), p, on_param=True)
        state["mu"] = scalar_tensor(1.0, p, on_param=True)
        state["ax"] = zeros_like(p)

    @staticmethod
    def _update(p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, lambd, alpha = as_float(group["lr"]), group["lambd"], group["alpha"]
        t = bump(state)
        k = p._backend.k
        g = decayed(p, grad_of(p, group["maximize"]), group["weight_decay"])
        eta, mu, ax = state["eta"], state["mu"], state["ax"]
        eta_value = float(eta)
        write(p, k.mul(p._data, 1 - lambd * eta_value))
        add_to(p, k.mul(g, -eta_value))
        mu_value = float(mu)
        if mu_value != 1:
            write(ax, k.add(ax._data, k.mul(k.sub(p._data, ax._data), mu_value)))
        else:
            write(ax, k.copy(p._data))
        # Rounded to the default dtype whatever the counters' (a loaded state's may differ),
        # as PyTorch's torch.as_tensor of the new values rounds them.
        eta.fill_(float(tensor(lr / ((1 + lambd * lr * t) ** alpha))))
        mu.fill_(float(tensor(1 / max(1, t - group["t0"]))))
