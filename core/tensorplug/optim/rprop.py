"""Rprop, resilient backpropagation (Riedmiller & Braun, 1993): steps from gradient signs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._creation import full_like, zeros_like
from .._tensor import Tensor
from ._options import check_lr
from ._update import add_to, as_float, bump, grad_of, write
from .optimizer import PerParameter

__all__ = ["Rprop"]


class Rprop(PerParameter):
    """PyTorch's Rprop: each entry keeps its own step size (starting at ``lr``), multiplied
    by ``etaplus`` while the gradient keeps its sign and by ``etaminus`` when it flips
    (clamped to ``step_sizes``); ``p -= sign(g) * step_size``, skipping an entry whose
    gradient has just flipped (its gradient is remembered as 0).

    ``foreach`` and ``capturable`` are accepted and change nothing (see
    ``tensorplug.optim``); ``differentiable=True`` is refused.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {
            "lr": lr,
            "etas": etas,
            "step_sizes": step_sizes,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _init_state(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["step"] = self._step_counter(p, group)
        state["prev"] = zeros_like(p)
        assert p.grad is not None  # a state is made on a parameter's first step
        state["step_size"] = full_like(p.grad, as_float(group["lr"]))

    @staticmethod
    def _update(p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        etaminus, etaplus = group["etas"]
        step_size_min, step_size_max = group["step_sizes"]
        bump(state)
        k = p._backend.k
        g = grad_of(p, group["maximize"])
        prev, step_size = state["prev"], state["step_size"]
        sign = k.sign(k.mul(g, prev._data))
        # sign > 0: etaplus, < 0: etaminus, 0: 1 (NaN stays NaN, as in PyTorch).
        factor = k.where(
            k.gt(sign, 0),
            etaplus,
            k.where(k.lt(sign, 0), etaminus, k.where(k.eq(sign, 0), 1, sign)),
        )
        write(step_size, k.clamp(k.mul(step_size._data, factor), step_size_min, step_size_max))
        g = k.where(k.eq(factor, etaminus), 0, g)
        add_to(p, k.mul(k.mul(k.sign(g), -1), step_size._data))
        write(prev, g)
