"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .._grad_mode import no_grad
from .._tensor import Tensor
from ._foreach import buckets, sgd_step
from ._options import check, check_fused, check_lr
from ._update import add_to, as_float, decayed, grad_of, write
from .optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """PyTorch's SGD: with ``g = grad + weight_decay * p``,
    ``buf = g`` on the first step, then ``buf = momentum * buf + (1 - dampening) * g``;
    the step direction is ``g + momentum * buf`` (Nesterov) or ``buf``; ``p -= lr * d``.

    ``foreach``/``fused``: the multi-tensor step (``_foreach``: a constant number of
    launches per group), by default on GPU backends; ``differentiable=True`` is refused.

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
        lr: float | Tensor = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float | Tensor = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        check_lr(lr)
        check(momentum, "momentum value")
        check(weight_decay, "weight_decay value")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        check_fused(self, fused, foreach, differentiable)

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, momentum = as_float(group["lr"]), group["momentum"]
            dampening, nesterov = group["dampening"], group["nesterov"]
            flat, params = buckets(self, group)
            params += [p for b in flat if not sgd_step(self, b, group) for p in b.params]
            for p in params:
                k = p._backend.k
                g = decayed(p, grad_of(p, group["maximize"]), group["weight_decay"])
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = Tensor._make(k.copy(g), p._backend)
                    else:
                        write(buf, k.add(k.mul(buf._data, momentum), k.mul(g, 1 - dampening)))
                    g = k.add(g, k.mul(buf._data, momentum)) if nesterov else buf._data
                add_to(p, k.mul(g, -lr))
        return loss
