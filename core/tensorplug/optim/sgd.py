"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .._grad_mode import no_grad
from .._tensor import Tensor
from .optimizer import Optimizer, check_positive, grad_of, write


class SGD(Optimizer):
    """PyTorch's SGD: with ``g = grad + weight_decay * p``,
    ``buf = g`` on the first step, then ``buf = momentum * buf + (1 - dampening) * g``;
    the step direction is ``g + momentum * buf`` (Nesterov) or ``buf``; ``p -= lr * d``.

    Example:
        >>> import tensorplug as tp
        >>> w = tp.nn.Parameter(tp.tensor([1.0]))
        >>> opt = tp.optim.SGD([w], lr=0.1)
        >>> (w * 3).sum().backward()
        >>> opt.step()
        >>> w
        Parameter containing:
        tensor([0.7000], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        check_positive(lr, "learning rate")
        check_positive(momentum, "momentum")
        check_positive(weight_decay, "weight_decay")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(
            params,
            {
                "lr": lr,
                "momentum": momentum,
                "dampening": dampening,
                "weight_decay": weight_decay,
                "nesterov": nesterov,
                "maximize": maximize,
            },
        )

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, momentum, wd = group["lr"], group["momentum"], group["weight_decay"]
            dampening, nesterov = group["dampening"], group["nesterov"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                k = p._backend.k
                g = grad_of(p, group["maximize"])
                if wd != 0:
                    g = k.add(g, k.mul(p._data, wd))
                if momentum != 0:
                    state = self.state.setdefault(p, {})
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = Tensor._make(k.copy(g), p._backend)
                    else:
                        write(buf, k.add(k.mul(buf._data, momentum), k.mul(g, 1 - dampening)))
                    g = k.add(g, k.mul(buf._data, momentum)) if nesterov else buf._data
                write(p, k.sub(p._data, k.mul(g, lr)))
        return loss
