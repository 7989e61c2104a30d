"""Adam and AdamW (Kingma & Ba, 2015; Loshchilov & Hutter, 2019)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._capture_state import capturing
from .._creation import zeros_like
from .._tensor import Tensor
from ._foreach import adam_step, buckets
from ._options import check_adam, check_fused
from ._update import adam_moments, add_to, as_float, write
from .optimizer import PerParameter

__all__ = ["Adam", "AdamW"]


def _squeeze(beta: Any) -> Any:
    return beta.squeeze() if isinstance(beta, Tensor) and beta.dim() != 0 else beta


class Adam(PerParameter):
    """PyTorch's Adam. Per step ``t``, with ``g = grad (+ weight_decay * p)``:
    ``m = lerp(m, g, 1 - beta1)``, ``v = beta2 v + (1 - beta2) g^2``,
    ``p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)``
    (``amsgrad`` uses the running maximum of ``v``; ``decoupled_weight_decay`` multiplies
    ``p`` by ``1 - lr * weight_decay`` instead of adding to ``g``, which is AdamW).

    ``foreach``/``fused``: the multi-tensor step (``_foreach``: a constant number of
    launches per group), by default on GPU backends; ``capturable`` keeps the step count on
    the device; ``differentiable=True`` is refused. Betas given as 0-d tensors
    are used as numbers; PyTorch computes its bias corrections from them in the tensors'
    dtype, so with float32 betas the two agree to about eight digits, not to the last bit.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-3,
        betas: tuple[float | Tensor, float | Tensor] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        if isinstance(lr, Tensor) and foreach and not capturable:
            raise ValueError(
                "lr as a Tensor is not supported for capturable=False and foreach=True"
            )
        check_adam(lr, betas, eps, weight_decay)
        if not (
            (isinstance(betas[0], float) and isinstance(betas[1], float))
            or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))
        ):
            raise ValueError("betas must be either both floats or both Tensors")
        for i, beta in enumerate(betas):
            if isinstance(beta, Tensor):
                if not capturable and foreach:
                    raise ValueError(
                        f"betas[{i}] as a Tensor is not supported for capturable=False and "
                        "foreach=True"
                    )
                if beta.numel() != 1:
                    raise ValueError(f"Tensor betas[{i}] must be 1-element")
        defaults = {
            "lr": lr,
            "betas": tuple(map(_squeeze, betas)),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)
        check_fused(self, fused, foreach, differentiable)

    def _group_step(self, group: dict[str, Any]) -> list[Tensor]:
        if capturing() and not group["capturable"]:
            raise RuntimeError(
                f"Attempting CUDA graph capture of step() for an instance of "
                f"{type(self).__name__} but param_groups' capturable is False."
            )
        flat, rest = buckets(self, group)
        for b in flat:
            for p in b.params:
                if not self.state[p]:
                    self._init_state(p, self.state[p], group)
            if not adam_step(self, b, group):
                rest += b.params
        return rest

    def _init_state(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["step"] = self._step_counter(p, group)
        state["exp_avg"] = zeros_like(p)
        state["exp_avg_sq"] = zeros_like(p)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = zeros_like(p)

    @staticmethod
    def _update(p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, eps = group["lr"], group["eps"]
        t, _, beta1, beta2 = adam_moments(p, state, group)
        k = p._backend.k
        m, v = state["exp_avg"], state["exp_avg_sq"]
        step_size = as_float(lr / (1 - beta1**t))
        bias_correction2_sqrt = (1 - beta2**t) ** 0.5
        if group["amsgrad"]:
            v = state["max_exp_avg_sq"]
            write(v, k.maximum(v._data, state["exp_avg_sq"]._data))
        denom = k.add(k.div(k.sqrt(v._data), bias_correction2_sqrt), eps)
        add_to(p, k.div(k.mul(m._data, -step_size), denom))


class AdamW(Adam):
    """Adam with decoupled weight decay: ``p *= 1 - lr * weight_decay`` before the Adam step
    (default ``weight_decay=1e-2``); ``Adam(..., decoupled_weight_decay=True)``."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-3,
        betas: tuple[float | Tensor, float | Tensor] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )

    def _upgrade_state(self) -> None:
        super()._upgrade_state()
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
