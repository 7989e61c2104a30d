"""The thresholding activations of PyTorch's ``nn.functional`` that carry a parameter or
randomness: ``threshold``, ``softshrink``, ``hardshrink``, ``prelu`` (a learnt slope per
channel) and ``rrelu`` (a random slope in training), with the ``F.*_`` in-place forms
PyTorch has (``relu_``, ``leaky_relu_``, ``threshold_``, ``rrelu_``).

Each is a node of its own named as PyTorch's ``grad_fn``; the in-place forms are recorded as
PyTorch records them (``ThresholdBackward1``, ``LeakyReluBackward1``,
``RreluWithNoiseBackward1``), their backward taking the input's old value, which the in-place
machinery keeps.
"""

from __future__ import annotations

from typing import Any

from ..._contract import Array, KernelOps
from ..._creation import rand
from ..._dispatch import nary, unary
from ..._graph import Node
from ..._inplace import inplace as _inplace
from ..._ops_pointwise import ReluBackward0, where
from ..._ops_pointwise import relu as _relu
from ..._tensor import Tensor
from ._activation import leaky_relu

__all__ = [
    "threshold", "threshold_", "softshrink", "hardshrink", "prelu", "rrelu", "rrelu_",
    "relu", "relu_", "leaky_relu_",
]  # fmt: skip


def _floating(input: Tensor, op: str) -> None:
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"{op}" not implemented for {input.dtype.name} tensors')


# fmt: off
class ThresholdBackward0(Node):
    """``value`` where x <= threshold, ``x`` elsewhere (NaN stays NaN): grad = 0 where
    x <= threshold, else g."""
    elementwise = True
    op, save = "threshold", (0,)

    @staticmethod
    def forward(k: Any, x: Any, threshold: Any, value: Any) -> Any:
        return k.where(k.le(x, threshold), value, x)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        return (ops.where(ops.le(x, ctx.args[0]), 0.0, g),)


class ThresholdBackward1(ThresholdBackward0):
    """In-place ``threshold_``: the gradient of ``ThresholdBackward0``."""


class SoftshrinkBackward0(Node):
    """``x - l`` where x > l, ``x + l`` where x < -l, 0 elsewhere: grad = g where |x| > l,
    else 0."""
    elementwise = True
    op, save = "softshrink", (0,)

    @staticmethod
    def forward(k: Any, x: Any, lambd: float) -> Any:
        return k.sub(x, k.clamp(x, -lambd, lambd))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        return (ops.where(ops.gt(ops.abs(x), ctx.args[0]), g, 0.0),)


class HardshrinkBackward0(Node):
    """0 where |x| <= l, ``x`` elsewhere (NaN stays NaN): grad = 0 where |x| <= l, else g."""
    elementwise = True
    op, save = "hardshrink", (0,)

    @staticmethod
    def forward(k: Any, x: Any, lambd: float) -> Any:
        return k.where(k.le(k.abs(x), lambd), 0.0, x)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        return (ops.where(ops.le(ops.abs(x), ctx.args[0]), 0.0, g),)


class PreluKernelBackward0(Node):
    """``x`` where x > 0, ``w * x`` elsewhere (``w`` broadcast over the channels): grad x =
    g where x > 0, else g * w; grad w = the sum of g * x where x <= 0, to ``w``'s shape."""
    op, save, broadcasts = "prelu", (0, 1), True

    @staticmethod
    def forward(k: Any, x: Any, w: Any) -> Any:
        return k.where(k.gt(x, 0.0), x, k.mul(w, x))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array, w: Array) -> tuple[Any, ...]:
        pos = ops.gt(x, 0.0)
        gx = ops.where(pos, g, ops.mul(g, w)) if ctx.needs_input_grad[0] else None
        gw = None
        if ctx.needs_input_grad[1]:
            gw = ops.sum_to(ops.where(pos, 0.0, ops.mul(g, x)), ctx.shapes[1])
        return gx, gw


class RreluWithNoiseBackward0(Node):
    """``x * noise``, ``noise`` 1 where x > 0 and the (random or mean) slope elsewhere:
    grad x = g * noise; the noise takes no gradient."""
    op, save, promote = "rrelu", (1,), False

    @staticmethod
    def forward(k: Any, x: Any, noise: Any) -> Any:
        return k.mul(x, noise)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, noise: Array) -> tuple[Any, ...]:
        return ops.mul(g, noise), None


class RreluWithNoiseBackward1(RreluWithNoiseBackward0):
    """In-place ``rrelu_``: the gradient of ``RreluWithNoiseBackward0``."""

# fmt: on


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``input`` where it is above ``threshold``, ``value`` elsewhere.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.functional.threshold(tp.tensor([1.0, 3.0]), 2.0, -1.0)
        tensor([-1.,  3.])
    """
    if inplace:
        return _inplace(ThresholdBackward1, input, args=(threshold, value))
    return unary(ThresholdBackward0, input, threshold, value)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """In-place ``threshold``."""
    return _inplace(ThresholdBackward1, input, args=(threshold, value))


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """Shrink toward 0 by ``lambd``: ``x - lambd``, ``x + lambd`` or 0."""
    _floating(input, "softshrink")
    if lambd < 0:
        raise RuntimeError(
            f"lambda must be in range [0, inf] for input dtype {input.dtype.name}, "
            f"but found {lambd}"
        )
    return unary(SoftshrinkBackward0, input, float(lambd))


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x`` where ``|x| > lambd``, 0 elsewhere."""
    _floating(input, "hardshrink")
    return unary(HardshrinkBackward0, input, float(lambd))


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``max(0, x) + weight * min(0, x)``, ``weight`` one slope or one per channel (dim 1).

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.functional.prelu(tp.tensor([-2.0, 2.0]), tp.tensor([0.25]))
        tensor([-0.5000,  2.0000])
    """
    _floating(input, "prelu")
    if weight.ndim > 1:
        raise RuntimeError(
            f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.ndim}"
        )
    if input.ndim == 0 and weight.numel() != 1:
        raise RuntimeError("Not allow zero-dim input tensor.")
    n = weight.numel()
    if n != 1:
        channels = input.shape[1] if input.ndim >= 2 else 1
        if n != channels:
            raise RuntimeError(
                "Mismatch of parameter numbers and input channel size. Found parameter "
                f"numbers = {n} and channel size = {channels}."
            )
        if input.ndim >= 2:
            weight = weight.reshape(n, *([1] * (input.ndim - 2)))
    elif input.ndim < 2:
        weight = weight.reshape(())
    return nary(PreluKernelBackward0, (input, weight))


def _noise(input: Tensor, lower: float, upper: float, training: bool) -> Tensor:
    """1 where the input is positive, else a slope: uniform in ``[lower, upper)`` per element
    in training, their mean in evaluation."""
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    _floating(input, "rrelu")
    x = input.detach()
    if training:
        slope = rand(*x.shape, dtype=x.dtype, backend=x._backend) * (upper - lower) + lower
    else:
        slope = x.new_full((), (lower + upper) / 2)
    return where(x > 0, x.new_ones(()), slope)


def rrelu(
    input: Tensor,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """Randomised leaky ReLU (Xu et al., 2015): in training each negative element's slope is
    drawn uniformly from ``[lower, upper]``; in evaluation it is ``(lower + upper) / 2``."""
    noise = _noise(input, lower, upper, training)
    if inplace:
        return _inplace(RreluWithNoiseBackward1, input, noise)
    return nary(RreluWithNoiseBackward0, (input, noise))


def rrelu_(
    input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False
) -> Tensor:
    """In-place ``rrelu``."""
    return rrelu(input, lower, upper, training, True)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(x, 0)`` (``tensorplug.relu``); ``inplace`` writes it into ``input``, as
    PyTorch's ``F.relu(x, inplace=True)``."""
    return _inplace(ReluBackward0, input) if inplace else _relu(input)


def relu_(input: Tensor) -> Tensor:
    """In-place ``relu``: ``max(x, 0)`` written into ``input``."""
    return _inplace(ReluBackward0, input)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """In-place ``leaky_relu``."""
    return leaky_relu(input, negative_slope, True)
