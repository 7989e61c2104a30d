"""RMSprop (Hinton's lecture 6e), optionally centered and with momentum."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .._creation import zeros_like
from .._grad_mode import no_grad
from .optimizer import Optimizer, bump, check_positive, grad_of, step_counter, write


class RMSprop(Optimizer):
    """PyTorch's RMSprop: ``v = alpha v + (1 - alpha) g^2``; ``avg = sqrt(v - mean_g^2)``
    (centered) or ``sqrt(v)``, plus ``eps``; then ``buf = momentum buf + g / avg`` and
    ``p -= lr * buf``, or ``p -= lr * g / avg`` without momentum."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        check_positive(lr, "learning rate")
        check_positive(eps, "epsilon value")
        check_positive(momentum, "momentum value")
        check_positive(weight_decay, "weight_decay value")
        check_positive(alpha, "alpha value")
        super().__init__(
            params,
            {
                "lr": lr,
                "alpha": alpha,
                "eps": eps,
                "weight_decay": weight_decay,
                "momentum": momentum,
                "centered": centered,
                "maximize": maximize,
            },
        )

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
            wd, momentum = group["weight_decay"], group["momentum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state.get(p)
                if not state:
                    state = self.state[p] = {"step": step_counter(), "square_avg": zeros_like(p)}
                    if momentum > 0:
                        state["momentum_buffer"] = zeros_like(p)
                    if group["centered"]:
                        state["grad_avg"] = zeros_like(p)
                bump(state)
                k = p._backend.k
                g = grad_of(p, group["maximize"])
                if wd != 0:
                    g = k.add(g, k.mul(p._data, wd))
                v = state["square_avg"]
                write(v, k.add(k.mul(v._data, alpha), k.mul(k.mul(g, g), 1 - alpha)))
                if group["centered"]:
                    mg = state["grad_avg"]
                    write(mg, k.add(mg._data, k.mul(k.sub(g, mg._data), 1 - alpha)))  # lerp
                    avg = k.sqrt(k.sub(v._data, k.mul(mg._data, mg._data)))
                else:
                    avg = k.sqrt(v._data)
                avg = k.add(avg, eps)
                if momentum > 0:
                    buf = state["momentum_buffer"]
                    write(buf, k.add(k.mul(buf._data, momentum), k.div(g, avg)))
                    write(p, k.sub(p._data, k.mul(buf._data, lr)))
                else:
                    write(p, k.sub(p._data, k.mul(k.div(g, avg), lr)))
        return loss
