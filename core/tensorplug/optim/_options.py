"""Checks of optimizer options, with PyTorch's wording (``Invalid learning rate: -1``).

The implementation options PyTorch offers for speed on its devices are accepted with their
defaults: ``foreach`` and ``fused`` select the multi-tensor step of SGD, Adam and AdamW
(``_foreach``; the other optimizers have only the per-parameter one), and
``capturable`` (state kept on the device for CUDA graph capture; here it only places
``state["step"]`` on the parameter's device, as in PyTorch's state dict). The updates are
those of PyTorch's for-loop implementation. ``differentiable=True`` is refused
(``Optimizer.add_param_group``).
"""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor


def check_lr(lr: float | Tensor) -> None:
    """A learning rate: a non-negative number or one-element tensor."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    check(lr, "learning rate")


def check(value: Any, what: str) -> None:
    """``value >= 0`` (NaN is refused too), else ``ValueError("Invalid {what}: {value}")``."""
    if not value >= 0.0:
        raise ValueError(f"Invalid {what}: {value}")


def check_betas(betas: tuple[Any, Any]) -> None:
    """Each of the two betas in ``[0, 1)``."""
    for i in (0, 1):
        if not 0.0 <= betas[i] < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {betas[i]}")


def check_adam(lr: float | Tensor, betas: tuple[Any, Any], eps: float, weight_decay: float) -> None:
    """The options the Adam family shares, checked in PyTorch's order."""
    check_lr(lr)
    check(eps, "epsilon value")
    check_betas(betas)
    check(weight_decay, "weight_decay value")


def check_fused(opt: Any, fused: bool | None, foreach: bool | None, differentiable: bool) -> None:
    """PyTorch's checks of ``fused=True``: not with ``differentiable`` nor ``foreach``, and
    only floating parameters."""
    if not fused:
        return
    if differentiable:
        raise RuntimeError("`fused` does not support `differentiable`")
    if foreach:
        raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
    for group in opt.param_groups:
        for p in group["params"]:
            if not p.is_floating_point():
                raise RuntimeError(
                    "`fused=True` requires all the params to be floating point Tensors of "
                    f"supported devices: {[p.device.type]} but {p.dtype} and {p.device.type}"
                )
