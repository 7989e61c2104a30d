"""Adagrad (Duchi, Hazan & Singer, 2011)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._creation import full_like
from .._tensor import Tensor
from ._options import check, check_fused, check_lr
from ._update import add_to, as_float, bump, decayed, grad_of, write
from .optimizer import PerParameter

__all__ = ["Adagrad"]


class Adagrad(PerParameter):
    """PyTorch's Adagrad: ``s += g^2``, ``p -= lr / (1 + (t - 1) lr_decay) * g / (sqrt(s) +
    eps)`` (``g`` with ``weight_decay * p`` added). As in PyTorch, the state of the
    parameters given to the constructor exists from the start (``s`` filled with
    ``initial_accumulator_value``).

    ``foreach`` and ``fused`` are accepted and change nothing (see ``tensorplug.optim``);
    ``differentiable=True`` is refused.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        check_lr(lr)
        check(lr_decay, "lr_decay value")
        check(weight_decay, "weight_decay value")
        check(initial_accumulator_value, "initial_accumulator_value value")
        check(eps, "epsilon value")
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        check_fused(self, fused, foreach, differentiable)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, self.state[p], group)

    def _init_state(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        # PyTorch reads the constructor's value, not the group's.
        state["step"] = self._step_counter(p, group)
        state["sum"] = full_like(p, self.defaults["initial_accumulator_value"])

    @staticmethod
    def _update(p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        t = bump(state)
        k = p._backend.k
        g = decayed(p, grad_of(p, group["maximize"]), group["weight_decay"])
        clr = as_float(group["lr"] / (1 + (t - 1) * group["lr_decay"]))
        s = state["sum"]
        write(s, k.add(s._data, k.mul(g, g)))
        std = k.add(k.sqrt(s._data), group["eps"])
        add_to(p, k.div(k.mul(g, -clr), std))
