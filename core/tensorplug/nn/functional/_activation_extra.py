"""More activations, as PyTorch's ``nn.functional`` has them: the exponential family (ELU, SELU,
CELU), the piecewise-linear ones (hardtanh, ReLU6, hardswish, hardsigmoid), Mish, log-sigmoid,
GLU, softsign, tanhshrink, softmin and Gumbel-softmax.

Where PyTorch records an activation as a node of its own (``EluBackward0``,
``HardswishBackward0``...), so does this module: one node class, its forward a few kernel
calls and its backward beside it in tensor ops. The others are compositions, as they are in
PyTorch (``softsign`` ends in ``DivBackward0`` there too).
"""

from __future__ import annotations

import warnings
from typing import Any

from ... import _dtype as D
from ..._contract import Array, KernelOps
from ..._creation import arange, rand
from ..._dispatch import unary
from ..._graph import OUT, Node
from ..._inplace import inplace as _inplace
from ..._ops_reduce import argmax
from ..._tensor import Tensor, _dim
from ._activation import softmax

__all__ = [
    "elu", "selu", "celu", "hardtanh", "relu6", "hardswish", "hardsigmoid", "mish",
    "logsigmoid", "glu", "softsign", "tanhshrink", "softmin", "gumbel_softmax",
    "elu_", "selu_", "celu_", "hardtanh_",
]  # fmt: skip

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_ONE_SIXTH_F32 = 0.1666666716337204
"""1/6 rounded to float32: PyTorch's CPU hardsigmoid backward uses that constant, in float64
too, and its gradient is held to PyTorch's."""


def _floating(input: Tensor, op: str) -> None:
    """PyTorch's kernels of these activations exist for floating-point dtypes only."""
    if not input.dtype.is_floating_point:
        raise NotImplementedError(
            f"{op}(): not implemented for {input.dtype.name} tensors; it needs a "
            "floating-point input (convert with .float())"
        )


def _apply(cls: type[Node], input: Tensor, inplace: bool, *args: Any) -> Tensor:
    return _inplace(cls, input, args=args) if inplace else unary(cls, input, *args)


# fmt: off
class EluBackward0(Node):
    """``scale * x`` for x > 0, ``scale * alpha * (exp(input_scale * x) - 1)`` elsewhere:
    grad = g * scale for x > 0, g * scale * alpha * input_scale * exp(input_scale * x)
    elsewhere."""
    elementwise = True
    op, save = "elu", (0,)

    @staticmethod
    def forward(k: Any, x: Any, alpha: float, scale: float, input_scale: float) -> Any:
        # No mask and no ``where`` (the costliest kernel on a small array): the negative
        # branch from min(x, 0). Where alpha * input_scale <= 1 (ELU with alpha <= 1, every
        # CELU) that branch never exceeds scale * x, so one ``maximum`` picks the branch;
        # SELU adds the positive part instead. The same values and NaNs as PyTorch's.
        neg = k.minimum(x, 0.0)
        neg = k.expm1(neg if input_scale == 1.0 else k.mul(neg, input_scale))
        neg = neg if alpha * scale == 1.0 else k.mul(neg, alpha * scale)
        pos = x if scale == 1.0 else k.mul(x, scale)
        if 0.0 <= alpha * input_scale <= 1.0 and scale > 0.0 and input_scale > 0.0:
            return k.maximum(pos, neg)
        return k.add(k.relu(pos), neg)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        alpha, scale, input_scale = ctx.args
        neg = ops.mul(ops.exp(ops.mul(x, input_scale)), alpha * scale * input_scale)
        return (ops.where(ops.gt(x, 0.0), ops.mul(g, scale), ops.mul(g, neg)),)


class EluBackward1(EluBackward0):
    """In-place ``elu_``, differentiated from its output: grad = g * scale for out > 0,
    g * input_scale * (out + scale * alpha) elsewhere."""
    save = (OUT,)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, out: Array) -> tuple[Array]:
        alpha, scale, input_scale = ctx.args
        if alpha < 0:  # the output no longer tells the branch: PyTorch refuses it too
            raise RuntimeError(
                "In-place elu backward calculation is triggered with a negative slope which "
                "is not supported. This is caused by calling in-place forward function with a "
                "negative slope, please call out-of-place version instead."
            )
        neg = ops.mul(ops.add(out, alpha * scale), input_scale)
        return (ops.where(ops.gt(out, 0.0), ops.mul(g, scale), ops.mul(g, neg)),)


class CeluBackward0(EluBackward0):
    """``celu(x, alpha) = elu(x, alpha, 1, 1 / alpha)``: its gradient likewise."""
    op = "celu"


class CeluBackward1(EluBackward1):
    """In-place ``celu_``, differentiated from its output as ``EluBackward1``."""
    op = "celu"


class HardtanhBackward0(Node):
    """``clamp(x, min_val, max_val)``: grad = g where min_val < x < max_val, else 0."""
    elementwise = True
    op, save = "hardtanh", (0,)
    kernel = "clamp"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        lo, hi = ctx.args
        return (ops.where(ops.gt(x, lo), ops.where(ops.lt(x, hi), g, 0.0), 0.0),)


class HardswishBackward0(Node):
    """``x * clamp(x + 3, 0, 6) / 6``: grad = 0 for x < -3, g * (x / 3 + 1/2) for
    -3 <= x <= 3, g for x > 3."""
    elementwise = True
    op, save = "hardswish", (0,)

    @staticmethod
    def forward(k: Any, x: Any) -> Any:
        return k.mul(x, k.div(k.clamp(k.add(x, 3.0), 0.0, 6.0), 6.0))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        mid = ops.mul(g, ops.add(ops.div(x, 3.0), 0.5))
        return (ops.where(ops.lt(x, -3.0), 0.0, ops.where(ops.le(x, 3.0), mid, g)),)


class HardsigmoidBackward0(Node):
    """``clamp(x + 3, 0, 6) / 6``: grad = g / 6 where -3 < x < 3, else 0 (1/6 as PyTorch
    rounds it, ``_ONE_SIXTH_F32``)."""
    elementwise = True
    op, save = "hardsigmoid", (0,)

    @staticmethod
    def forward(k: Any, x: Any) -> Any:
        return k.div(k.clamp(k.add(x, 3.0), 0.0, 6.0), 6.0)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        inside = ops.where(ops.lt(x, 3.0), ops.mul(g, _ONE_SIXTH_F32), 0.0)
        return (ops.where(ops.gt(x, -3.0), inside, 0.0),)


def _softplus(k: Any, x: Any) -> Any:
    """``log(1 + exp(x))`` without overflow: ``max(x, 0) + log1p(exp(-|x|))``."""
    return k.add(k.relu(x), k.log1p(k.exp(k.neg(k.abs(x)))))


class MishBackward0(Node):
    """``x * tanh(softplus(x))``: grad = g * (t + x * sigmoid(x) * (1 - t**2)), with
    t = tanh(softplus(x)) = (1 - q**2) / (1 + q**2), q = sigmoid(-x) (no overflow)."""
    elementwise = True
    op, save = "mish", (0,)

    @staticmethod
    def forward(k: Any, x: Any) -> Any:
        return k.mul(x, k.tanh(_softplus(k, x)))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        q2 = ops.sigmoid(ops.neg(x))
        q2 = ops.mul(q2, q2)
        t = ops.div(ops.sub(1.0, q2), ops.add(q2, 1.0))
        dt = ops.mul(ops.mul(x, ops.sigmoid(x)), ops.sub(1.0, ops.mul(t, t)))
        return (ops.mul(g, ops.add(t, dt)),)


class LogSigmoidBackward0(Node):
    """``log(sigmoid(x)) = -softplus(-x)``: grad = g * sigmoid(-x)."""
    elementwise = True
    op, save = "logsigmoid", (0,)

    @staticmethod
    def forward(k: Any, x: Any) -> Any:
        return k.sub(k.minimum(x, 0.0), k.log1p(k.exp(k.neg(k.abs(x)))))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        return (ops.mul(g, ops.sigmoid(ops.neg(x))),)


def _halves(x: Any, dim: int) -> tuple[Any, Any]:
    n = x.shape[dim] // 2
    lead = (slice(None),) * dim
    return (*lead, slice(0, n)), (*lead, slice(n, None))


class GluBackward0(Node):
    """``a * sigmoid(b)``, ``a`` and ``b`` the halves of x along ``dim``: grad a =
    g * sigmoid(b), grad b = g * a * sigmoid(b) * (1 - sigmoid(b))."""
    op, float_only, save = "glu", True, (0,)

    @staticmethod
    def forward(k: Any, x: Any, dim: int) -> Any:
        ia, ib = _halves(x, dim)
        return k.mul(k.getitem(x, ia), k.sigmoid(k.getitem(x, ib)))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        dim = ctx.args[0]
        ia, ib = _halves(x, dim)
        a, s = ops.getitem(x, ia), ops.sigmoid(ops.getitem(x, ib))
        ga = ops.mul(g, s)
        return (ops.concat([ga, ops.mul(ops.mul(ga, a), ops.sub(1.0, s))], dim),)
# fmt: on


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` for x > 0, ``alpha * (exp(x) - 1)`` elsewhere."""
    _floating(input, "elu")
    return _apply(EluBackward1 if inplace else EluBackward0, input, inplace, alpha, 1.0, 1.0)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """``scale * elu(x, alpha)`` with the self-normalising constants of Klambauer et al."""
    _floating(input, "selu")
    cls = EluBackward1 if inplace else EluBackward0
    return _apply(cls, input, inplace, _SELU_ALPHA, _SELU_SCALE, 1.0)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    _floating(input, "celu")
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    cls = CeluBackward1 if inplace else CeluBackward0
    return _apply(cls, input, inplace, alpha, 1.0, 1.0 / alpha)


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """``clamp(x, min_val, max_val)``; an integer input stays integer, as in PyTorch."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if not input.dtype.is_floating_point:
        if input.dtype is D.bool_:
            raise RuntimeError("Bool inputs not supported for hardtanh")
        min_val, max_val = int(min_val), int(max_val)
    return _apply(HardtanhBackward0, input, inplace, min_val, max_val)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place ``elu``."""
    return elu(input, alpha, True)


def selu_(input: Tensor) -> Tensor:
    """In-place ``selu``."""
    return selu(input, True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place ``celu``."""
    return celu(input, alpha, True)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """In-place ``hardtanh``."""
    return hardtanh(input, min_val, max_val, True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(x, 0), 6)`` (``hardtanh(x, 0, 6)``, recorded as PyTorch records it)."""
    if input.dtype.is_floating_point:  # hardtanh's checks, inline: this is a hot path
        return _apply(HardtanhBackward0, input, inplace, 0.0, 6.0)
    return hardtanh(input, 0.0, 6.0, inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * relu6(x + 3) / 6`` (Howard et al., MobileNetV3)."""
    _floating(input, "hardswish")
    return _apply(HardswishBackward0, input, inplace)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """``relu6(x + 3) / 6``."""
    _floating(input, "hardsigmoid")
    return _apply(HardsigmoidBackward0, input, inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))`` (Misra, 2019)."""
    _floating(input, "mish")
    return _apply(MishBackward0, input, inplace)


def logsigmoid(input: Tensor) -> Tensor:
    """``log(1 / (1 + exp(-x)))``, computed without overflow."""
    _floating(input, "logsigmoid")
    return unary(LogSigmoidBackward0, input)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit: ``a * sigmoid(b)``, ``a`` and ``b`` the halves of ``input`` along
    ``dim``."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = _dim(dim, input.ndim, "glu")
    if input.shape[d] % 2:
        raise RuntimeError(
            f"Halving dimension must be even, but dimension {d} is size {input.shape[d]}"
        )
    _floating(input, "glu")
    return unary(GluBackward0, input, d)


def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)``."""
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    """``x - tanh(x)``."""
    return input - input.tanh()


def softmin(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: D.dtype | None = None
) -> Tensor:
    """``softmax(-x, dim)``."""
    if dim is None:
        warnings.warn(
            "Implicit dimension choice for softmin has been deprecated. Change the call to "
            "include dim=X as an argument.",
            UserWarning,
            stacklevel=_stacklevel,
        )
        dim = 0 if input.ndim in (0, 1, 3) else 1
    if dtype is None:
        _floating(input, "softmin")
    return softmax(-input, dim, dtype)


def gumbel_softmax(
    logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1
) -> Tensor:
    """``softmax((logits + g) / tau, dim)`` with ``g`` Gumbel(0, 1) noise from the backend's
    random kernel (``-log(E)``, ``E`` exponential); ``hard``: the one-hot of its argmax
    forward, the soft sample's gradient backward (straight through)."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    u = rand(*logits.shape, dtype=logits.dtype, backend=logits._backend)
    gumbels = -(-(-u).log1p()).log()  # E = -log(1 - U) is exponential, -log(E) Gumbel
    y_soft = softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    d = _dim(dim, logits.ndim, "gumbel_softmax")
    index = argmax(y_soft.detach(), d, keepdim=True)
    shape = [1] * logits.ndim
    shape[d] = logits.shape[d]
    classes = arange(logits.shape[d], backend=logits._backend).reshape(shape)
    y_hard = (classes == index).to(logits.dtype)
    return y_hard - y_soft.detach() + y_soft
