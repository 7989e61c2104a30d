"""Adam and AdamW (Kingma & Ba, 2015; Loshchilov & Hutter, 2019)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from .._creation import zeros_like
from .._grad_mode import no_grad
from .optimizer import Optimizer, bump, check_positive, grad_of, step_counter, write


class Adam(Optimizer):
    """PyTorch's Adam. Per step ``t``, with ``g = grad (+ weight_decay * p)``:
    ``m = lerp(m, g, 1 - beta1)``, ``v = beta2 v + (1 - beta2) g^2``,
    ``p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)``
    (``amsgrad`` uses the running maximum of ``v``).
    """

    _decoupled = False

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        check_positive(lr, "learning rate")
        check_positive(eps, "epsilon value")
        check_positive(weight_decay, "weight_decay value")
        for i, b in enumerate(betas):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {b}")
        super().__init__(
            params,
            {
                "lr": lr,
                "betas": tuple(betas),
                "eps": eps,
                "weight_decay": weight_decay,
                "amsgrad": amsgrad,
                "maximize": maximize,
            },
        )

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = self._closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state.get(p)
                if not state:
                    state = self.state[p] = {
                        "step": step_counter(),
                        "exp_avg": zeros_like(p),
                        "exp_avg_sq": zeros_like(p),
                    }
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = zeros_like(p)
                t = bump(state)
                k = p._backend.k
                g = grad_of(p, group["maximize"])
                if wd != 0:
                    if self._decoupled:
                        write(p, k.mul(p._data, 1 - lr * wd))
                    else:
                        g = k.add(g, k.mul(p._data, wd))
                m, v = state["exp_avg"], state["exp_avg_sq"]
                write(m, k.add(m._data, k.mul(k.sub(g, m._data), 1 - beta1)))  # lerp
                write(v, k.add(k.mul(v._data, beta2), k.mul(k.mul(g, g), 1 - beta2)))
                step_size = lr / (1 - beta1**t)
                bc2_sqrt = math.sqrt(1 - beta2**t)
                if group["amsgrad"]:
                    v = state["max_exp_avg_sq"]
                    write(v, k.maximum(v._data, state["exp_avg_sq"]._data))
                denom = k.add(k.div(k.sqrt(v._data), bc2_sqrt), eps)
                write(p, k.sub(p._data, k.mul(k.div(m._data, denom), step_size)))
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay: ``p *= 1 - lr * weight_decay`` before the Adam step
    (default ``weight_decay=1e-2``)."""

    _decoupled = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
