"""``tensorplug.nn.functional``: activations and losses with PyTorch's signatures."""

from __future__ import annotations

from typing import Any

from .. import _dtype as D
from .._creation import arange
from .._dispatch import nary, unary
from .._grad_mode import is_grad_enabled
from .._graph import OUT, Node
from .._linalg import addmm, matmul
from .._ops_pointwise import relu, sigmoid, tanh, where
from .._tensor import Tensor, _dim


# fmt: off
class SoftmaxBackward0(Node):
    """``exp(x) / sum(exp(x), dim)``: grad = out * (g - sum(g * out, dim))."""
    op, float_only, save = "softmax", True, (OUT,)

    @staticmethod
    def forward(k: Any, x: Any, dim: int) -> Any:
        e = k.exp(k.sub(x, k.amax(x, (dim,), True)))
        return k.div(e, k.sum(e, (dim,), True))

    @staticmethod
    def backward(ctx: Any, ops: Any, g: Any, out: Any) -> tuple[Any]:
        dim = ctx.args[0]
        return (ops.mul(out, ops.sub(g, ops.sum(ops.mul(g, out), (dim,), True))),)


class LogSoftmaxBackward0(Node):
    """``x - logsumexp(x, dim)``: grad = g - exp(out) * sum(g, dim)."""
    op, float_only, save = "log_softmax", True, (OUT,)

    @staticmethod
    def forward(k: Any, x: Any, dim: int) -> Any:
        shifted = k.sub(x, k.amax(x, (dim,), True))
        return k.sub(shifted, k.log(k.sum(k.exp(shifted), (dim,), True)))

    @staticmethod
    def backward(ctx: Any, ops: Any, g: Any, out: Any) -> tuple[Any]:
        dim = ctx.args[0]
        return (ops.sub(g, ops.mul(ops.exp(out), ops.sum(g, (dim,), True))),)


class MseLossBackward0(Node):
    """``mean((a - b)**2)`` (or sum/none): grad a = 2 (a - b) g / n, grad b = -grad a."""
    op, save, broadcasts = "mse_loss", (0, 1), True

    @staticmethod
    def forward(k: Any, a: Any, b: Any, reduction: str) -> Any:
        d = k.sub(a, b)
        sq = k.mul(d, d)
        if reduction == "none":
            return sq
        total = k.sum(sq, None, False)
        return k.div(total, sq.size) if reduction == "mean" else total

    @staticmethod
    def backward(ctx: Any, ops: Any, g: Any, a: Any, b: Any) -> tuple[Any, Any]:
        reduction = ctx.args[0]
        d = ops.sub(a, b)
        scale = 2.0
        if reduction == "mean":
            n = 1
            for s in d.shape:
                n *= s
            scale = 2.0 / n if n else 0.0
        gd = ops.mul(ops.mul(d, scale), g)
        na, nb = ctx.needs_input_grad
        return (ops.sum_to(gd, ctx.shapes[0]) if na else None,
                ops.sum_to(ops.neg(gd), ctx.shapes[1]) if nb else None)


class NllLossBackward0(Node):
    """``-sum(w_i * logp[i, t_i]) / sum(w_i)`` over rows (``w_i`` = 0 for ignored rows): grad
    logp = -g * w_i / den at each ``(i, t_i)``, zero elsewhere."""
    op = "nll_loss"

    @staticmethod
    def forward(k: Any, logp: Any, rows: Any, cols: Any, w: Any, reduction: str) -> Any:
        losses = k.neg(k.mul(k.getitem(logp, (rows, cols)), w))
        if reduction == "none":
            return losses
        total = k.sum(losses, None, False)
        return k.div(total, k.sum(w, None, False)) if reduction == "mean" else total

    @staticmethod
    def backward(ctx: Any, ops: Any, g: Any) -> tuple[Any]:
        rows, cols, w, reduction = ctx.args
        coef = ops.const(w, g)
        if reduction == "mean":
            coef = ops.div(coef, ops.sum(coef, None, False))
        return (ops.index_grad(ops.neg(ops.mul(coef, g)), ctx.shapes[0], (rows, cols), True),)
# fmt: on


def softmax(input: Tensor, dim: int, dtype: D.dtype | None = None) -> Tensor:
    """Softmax along ``dim`` (shifted by the max, so large inputs don't overflow)."""
    if dtype is not None:
        input = input.to(dtype)
    return unary(SoftmaxBackward0, input, _dim(dim, input.ndim, "softmax"))


def log_softmax(input: Tensor, dim: int, dtype: D.dtype | None = None) -> Tensor:
    """``log(softmax(input, dim))`` computed stably."""
    if dtype is not None:
        input = input.to(dtype)
    return unary(LogSoftmaxBackward0, input, _dim(dim, input.ndim, "log_softmax"))


_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction: str, op: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}(): reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error."""
    _check_reduction(reduction, "mse_loss")
    if input.shape != target.shape:
        import warnings

        warnings.warn(
            f"mse_loss(): using a target size ({list(target.shape)}) that is different to the "
            f"input size ({list(input.shape)}). This will likely lead to incorrect results due "
            "to broadcasting.",
            UserWarning,
            stacklevel=2,
        )
    return nary(MseLossBackward0, (input, target), reduction)


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of class indices ``target`` under log-probabilities ``input``."""
    _check_reduction(reduction, "nll_loss")
    if input.ndim != 2 or target.ndim != 1:
        raise ValueError(
            f"nll_loss(): expected input of shape (N, C) and target of shape (N,), got "
            f"{list(input.shape)} and {list(target.shape)}"
        )
    if target.dtype.is_floating_point:
        raise RuntimeError(
            f"nll_loss(): expected target of integer dtype (class indices), got {target.dtype.name}"
        )
    if input.shape[0] != target.shape[0]:
        raise ValueError(
            f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
            f"({target.shape[0]})."
        )
    if weight is not None and weight.requires_grad and is_grad_enabled():
        # PyTorch's nll_loss has no derivative for ``weight`` and refuses it rather than
        # silently leaving ``weight.grad`` empty; so does this one.
        raise RuntimeError(
            "nll_loss(): the function is not differentiable with respect to argument "
            "'weight'; this input cannot have requires_grad=True (pass weight.detach(), or "
            "compute the loss under no_grad())"
        )
    c = input.shape[1]
    tl = target.tolist()
    bad = [t for t in tl if t != ignore_index and not 0 <= t < c]
    if bad:
        raise IndexError(f"nll_loss(): target {bad[0]} is out of bounds for {c} classes")
    keep = target != ignore_index
    cols = where(keep, target, 0)
    w = keep.to(input.dtype) if weight is None else where(keep, weight.to(input.dtype)[cols], 0.0)
    rows = arange(input.shape[0], backend=input._backend)
    return unary(NllLossBackward0, input, rows._data, cols._data, w._data, reduction)


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross entropy of logits ``input`` (N, C) against class indices or probabilities."""
    logp = log_softmax(input, 1)
    if target.dtype.is_floating_point:
        if target.shape != input.shape:
            raise ValueError(
                f"cross_entropy(): probability targets must have the input's shape "
                f"{list(input.shape)}, got {list(target.shape)}"
            )
        c = input.shape[1]
        if label_smoothing:
            target = target * (1 - label_smoothing) + label_smoothing / c
        losses = -(logp * target if weight is None else logp * target * weight).sum(1)
        return _reduce(losses, reduction)
    loss = nll_loss(logp, target, weight, ignore_index, reduction)
    if label_smoothing:
        c = input.shape[1]
        keep = (target != ignore_index).to(logp.dtype)
        smooth = -(logp if weight is None else logp * weight).sum(1) * keep / c
        denom = keep.sum() if weight is None else (weight[target.clamp(min=0)] * keep).sum()
        smooth_loss = smooth.sum() / denom if reduction == "mean" else _reduce(smooth, reduction)
        loss = loss * (1 - label_smoothing) + smooth_loss * label_smoothing
    return loss


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    _check_reduction(reduction, "loss")
    return (
        losses if reduction == "none" else (losses.mean() if reduction == "mean" else losses.sum())
    )


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``; one ``AddmmBackward0`` node for a batch of vectors, as in
    PyTorch."""
    if bias is not None and input.ndim == 2 and weight.ndim == 2 and bias.ndim <= 2:
        return addmm(bias, input, weight.t())
    out = matmul(input, weight.t() if weight.ndim == 2 else weight)
    return out if bias is None else out + bias


__all__ = [
    "cross_entropy", "linear", "log_softmax", "mse_loss", "nll_loss", "relu", "sigmoid",
    "softmax", "tanh",
]  # fmt: skip


# --------------------------------------------------------------------------------------------
# Layers and losses for ``tensorplug.nn`` (issue 6). New differentiable ops are Node classes
# whose backward runs on either ops namespace; the rest are compositions of differentiable ops.
# --------------------------------------------------------------------------------------------

import math as _math  # noqa: E402
from typing import NamedTuple  # noqa: E402

from .. import _ops_pointwise as _P  # noqa: E402
from .. import _ops_reduce as _R  # noqa: E402

_SQRT_HALF = _math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / _math.sqrt(2.0 * _math.pi)
_TANH_C = _math.sqrt(2.0 / _math.pi)
# erfc by the Chebyshev fit of Numerical Recipes (``erfcc``): relative error < 1.2e-7 for
# every argument, built from primitives only (no backend has to provide an ``erf`` kernel).
_ERFC_C = (
    -1.26551223,
    1.00002368,
    0.37409196,
    0.09678418,
    -0.18628806,
    0.27886807,
    -1.13520398,
    1.48851587,
    -0.82215223,
    0.17087277,
)


def _normal_cdf(ops: Any, x: Any) -> Any:
    """``Phi(x) = erfc(-x / sqrt(2)) / 2`` to 1.2e-7 relative, in either ops namespace: the
    tail ``x < 0`` is computed directly, never as ``1 - something``."""
    z = ops.mul(ops.abs(x), _SQRT_HALF)
    t = ops.div(1.0, ops.add(ops.mul(z, 0.5), 1.0))
    poly = ops.mul(t, _ERFC_C[9])
    for c in _ERFC_C[8:0:-1]:
        poly = ops.mul(ops.add(poly, c), t)
    poly = ops.add(poly, _ERFC_C[0])
    tail = ops.mul(ops.mul(t, ops.exp(ops.sub(poly, ops.mul(z, z)))), 0.5)  # Phi(-|x|)
    return ops.where(ops.lt(x, 0.0), tail, ops.sub(1.0, tail))


def _gelu_parts(ops: Any, x: Any, approximate: str) -> tuple[Any, Any]:
    """``(gelu(x), gelu'(x))``."""
    if approximate == "tanh":
        inner = ops.mul(ops.add(x, ops.mul(ops.mul(ops.mul(x, x), x), 0.044715)), _TANH_C)
        th = ops.tanh(inner)
        half = ops.mul(ops.add(th, 1.0), 0.5)
        dinner = ops.mul(ops.add(ops.mul(ops.mul(x, x), 3 * 0.044715), 1.0), _TANH_C)
        dth = ops.mul(ops.sub(1.0, ops.mul(th, th)), dinner)
        return ops.mul(x, half), ops.add(half, ops.mul(ops.mul(x, 0.5), dth))
    cdf = _normal_cdf(ops, x)
    pdf = ops.mul(ops.exp(ops.mul(ops.mul(x, x), -0.5)), _INV_SQRT_2PI)
    return ops.mul(x, cdf), ops.add(cdf, ops.mul(x, pdf))


# fmt: off
class GeluBackward0(Node):
    """``x * Phi(x)`` (or its tanh approximation): grad = g * (Phi(x) + x * phi(x))."""
    op, float_only, save = "gelu", True, (0,)

    @staticmethod
    def forward(k: Any, x: Any, approximate: str) -> Any:
        return _gelu_parts(k, x, approximate)[0]

    @staticmethod
    def backward(ctx: Any, ops: Any, g: Any, x: Any) -> tuple[Any]:
        return (ops.mul(g, _gelu_parts(ops, x, ctx.args[0])[1]),)


class Im2ColBackward0(Node):
    """``unfold``: the sliding (kh, kw) windows of a padded (N, C, H, W) input as columns
    (N, C*kh*kw, L); grad = each window's g added back at its place (col2im), padding cropped."""
    op, float_only = "unfold", True

    @staticmethod
    def forward(k: Any, x: Any, geom: _Geom, fill: float) -> Any:
        kh, kw, ph, pw = geom.kh, geom.kw, geom.ph, geom.pw
        n, c, h, w = x.shape
        if ph or pw:
            xp = k.full((n, c, h + 2 * ph, w + 2 * pw), fill, k.dtype_of(x))
            k.setitem(xp, (slice(None), slice(None), slice(ph, ph + h), slice(pw, pw + w)), x)
            x = xp
        patches = [k.getitem(x, _window(i, j, geom)) for i in range(kh) for j in range(kw)]
        return k.reshape(k.stack(patches, 2), (n, c * kh * kw, geom.ho * geom.wo))

    @staticmethod
    def backward(ctx: Any, ops: Any, g: Any) -> tuple[Any]:
        geom = ctx.args[0]
        kh, kw, ph, pw = geom.kh, geom.kw, geom.ph, geom.pw
        n, c, h, w = ctx.shapes[0]
        padded = (n, c, h + 2 * ph, w + 2 * pw)
        g = ops.reshape(g, (n, c, kh * kw, geom.ho, geom.wo))
        acc = None
        for i in range(kh):
            for j in range(kw):
                part = ops.getitem(g, (slice(None), slice(None), i * kw + j))
                back = ops.index_grad(part, padded, _window(i, j, geom), False)
                acc = back if acc is None else ops.add(acc, back)
        if ph or pw:
            acc = ops.getitem(acc, (slice(None), slice(None), slice(ph, ph + h),
                                    slice(pw, pw + w)))
        return (acc,)


class EmbeddingBackward0(Node):
    """``weight[indices]``: grad weight = g added into the rows named by ``indices``, except
    the ``padding_idx`` row, which gets no gradient."""
    op = "embedding"

    @staticmethod
    def forward(k: Any, weight: Any, idx: Any, keep: Any) -> Any:
        return k.getitem(weight, idx)

    @staticmethod
    def backward(ctx: Any, ops: Any, g: Any) -> tuple[Any]:
        idx, keep = ctx.args
        if keep is not None:
            g = ops.mul(g, ops.const(keep, g))
        return (ops.index_grad(g, ctx.shapes[0], (idx,), True),)
# fmt: on


class _Geom(NamedTuple):
    """Kernel, dilation, padding and stride of an unfold, and its output size (ho, wo)."""

    kh: int
    kw: int
    dh: int
    dw: int
    ph: int
    pw: int
    sh: int
    sw: int
    ho: int
    wo: int


def _window(i: int, j: int, geom: _Geom) -> tuple[slice, ...]:
    """The strided slice of the padded input that window offset (i, j) reads."""
    r, q = i * geom.dh, j * geom.dw
    return (
        slice(None),
        slice(None),
        slice(r, r + geom.sh * (geom.ho - 1) + 1, geom.sh),
        slice(q, q + geom.sw * (geom.wo - 1) + 1, geom.sw),
    )


def _pair(v: Any, name: str, op: str) -> tuple[int, int]:
    if isinstance(v, int):
        return (v, v)
    if isinstance(v, (tuple, list)) and len(v) == 2 and all(isinstance(a, int) for a in v):
        return (int(v[0]), int(v[1]))
    raise TypeError(f"{op}(): {name} must be an int or a pair of ints, got {v!r}")


def _geometry(
    x: Tensor, kernel_size: Any, dilation: Any, padding: Any, stride: Any, op: str
) -> _Geom:
    if not isinstance(x, Tensor) or x.ndim != 4:
        shape = list(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"{op}(): expected a 4-D input (N, C, H, W), got {shape}")
    kh, kw = _pair(kernel_size, "kernel_size", op)
    dh, dw = _pair(dilation, "dilation", op)
    ph, pw = _pair(padding, "padding", op)
    sh, sw = _pair(stride, "stride", op)
    if min(kh, kw, dh, dw, sh, sw) <= 0 or min(ph, pw) < 0:
        raise ValueError(
            f"{op}(): kernel_size, dilation and stride must be positive and padding "
            f"non-negative, got kernel_size={(kh, kw)}, dilation={(dh, dw)}, "
            f"stride={(sh, sw)}, padding={(ph, pw)}"
        )
    h, w = x.shape[2] + 2 * ph, x.shape[3] + 2 * pw
    ho = (h - dh * (kh - 1) - 1) // sh + 1
    wo = (w - dw * (kw - 1) - 1) // sw + 1
    if ho <= 0 or wo <= 0:
        raise ValueError(
            f"{op}(): input of spatial size {list(x.shape[2:])} (padded to {[h, w]}) is "
            f"smaller than the kernel {[kh, kw]} with dilation {[dh, dw]}"
        )
    return _Geom(kh, kw, dh, dw, ph, pw, sh, sw, ho, wo)


def unfold(
    input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1
) -> Tensor:
    """Sliding local blocks of a (N, C, H, W) batch as columns (N, C*kh*kw, L) (im2col).

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.functional.unfold(tp.ones(1, 2, 3, 3), 2).shape
        (1, 8, 4)
    """
    geom = _geometry(input, kernel_size, dilation, padding, stride, "unfold")
    return unary(Im2ColBackward0, input, geom, 0.0)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``x * Phi(x)``, Phi the standard normal CDF (``approximate="tanh"``: Hendrycks' tanh
    form). The exact form's normal CDF is accurate to 1.2e-7 (relative), built from primitive
    kernels."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu(): approximate must be 'none' or 'tanh', got {approximate!r}")
    return unary(GeluBackward0, input, approximate)


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation as PyTorch's, computed as ``weight @ unfold(input)``."""
    if weight.ndim != 4:
        raise ValueError(
            f"conv2d(): weight must be 4-D (out, in/groups, kh, kw), got {list(weight.shape)}"
        )
    if isinstance(padding, str):
        raise ValueError("conv2d(): string padding ('same'/'valid') is not supported; pass ints")
    o, cg, kh, kw = weight.shape
    if input.ndim == 4 and (input.shape[1] != cg * groups or o % groups):
        raise RuntimeError(
            f"conv2d(): input with {input.shape[1]} channels does not match weight "
            f"{list(weight.shape)} with groups={groups} (expected {cg * groups} channels, and "
            f"out channels divisible by groups)"
        )
    geom = _geometry(input, (kh, kw), dilation, padding, stride, "conv2d")
    n = input.shape[0]
    cols = unary(Im2ColBackward0, input, geom, 0.0)
    ho, wo = geom[8], geom[9]
    if groups == 1:
        out = matmul(weight.reshape(o, cg * kh * kw), cols)
    else:
        cols = cols.reshape(n, groups, cg * kh * kw, ho * wo)
        out = matmul(weight.reshape(groups, o // groups, cg * kh * kw), cols)
    out = out.reshape(n, o, ho, wo)
    return out if bias is None else out + bias.reshape(1, o, 1, 1)


def _pool_windows(
    input: Tensor,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    ceil_mode: bool,
    fill: float,
    op: str,
) -> tuple[Tensor, _Geom]:
    if ceil_mode:
        raise ValueError(f"{op}(): ceil_mode=True is not supported")
    stride = kernel_size if stride is None or stride == [] else stride
    geom = _geometry(input, kernel_size, dilation, padding, stride, op)
    kh, kw, _, _, ph, pw = geom[:6]
    if ph > kh // 2 or pw > kw // 2:
        raise ValueError(
            f"{op}(): pad should be at most half of the effective kernel size, "
            f"got padding={(ph, pw)} and kernel_size={(kh, kw)}"
        )
    n, c = input.shape[:2]
    cols = unary(Im2ColBackward0, input, geom, fill)
    return cols.reshape(n, c, kh * kw, geom[8] * geom[9]), geom


def max_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor:
    """Max over each window; the gradient goes to the first maximum, as in PyTorch."""
    if return_indices:
        raise ValueError("max_pool2d(): return_indices=True is not supported")
    cols, geom = _pool_windows(
        input, kernel_size, stride, padding, dilation, ceil_mode, -_math.inf, "max_pool2d"
    )
    first = cols.argmax(2, keepdim=True)
    slot = arange(cols.shape[2], backend=cols._backend).reshape(1, 1, -1, 1)
    out = where(slot == first, cols, 0.0).sum(2)
    return out.reshape(*input.shape[:2], geom[8], geom[9])


def avg_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Mean over each window (zero padding counted unless ``count_include_pad=False``)."""
    cols, geom = _pool_windows(input, kernel_size, stride, padding, 1, ceil_mode, 0.0, "avg_pool2d")
    total = cols.sum(2)
    if divisor_override:
        out = total / divisor_override
    elif count_include_pad or not (geom[4] or geom[5]):
        out = total / (geom[0] * geom[1])
    else:
        from .._creation import ones

        ones_in = ones(1, 1, *input.shape[2:], dtype=total.dtype, backend=input._backend)
        counts = unary(Im2ColBackward0, ones_in, geom, 0.0).sum(1)
        out = total / counts
    return out.reshape(*input.shape[:2], geom[8], geom[9])


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    from .._creation import rand

    keep = rand(*input.shape, dtype=input.dtype, backend=input._backend) >= p
    return input * (keep.to(input.dtype) * (1.0 / (1.0 - p)))


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """Rows of ``weight`` selected by the integer tensor ``input``."""
    if input.dtype.is_floating_point:
        raise RuntimeError(
            f"embedding(): indices must be an integer tensor, got {input.dtype.name}"
        )
    n = weight.shape[0]
    if input.numel():
        lo, hi = int(input.min().item()), int(input.max().item())
        if lo < 0 or hi >= n:
            raise IndexError(
                f"embedding(): index {lo if lo < 0 else hi} is out of range for a table of {n} rows"
            )
    keep = None
    if padding_idx is not None:
        pad = padding_idx if padding_idx >= 0 else padding_idx + n
        keep = (input != pad).to(weight.dtype).unsqueeze(-1)._data
    if input._backend is not weight._backend:
        raise RuntimeError(
            f"embedding(): indices are on {input.device} ({input.backend}) but the weight is "
            f"on {weight.device} ({weight.backend})"
        )
    return unary(EmbeddingBackward0, weight, input._data, keep)


def layer_norm(
    input: Tensor,
    normalized_shape: Any,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` dims, then scale and shift."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(shape) :]) != shape:
        raise RuntimeError(
            f"layer_norm(): expected input with trailing shape {list(shape)}, got "
            f"{list(input.shape)}"
        )
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    mu = input.mean(dims, keepdim=True)
    centered = input - mu
    var = (centered * centered).mean(dims, keepdim=True)
    out = centered * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight
    return out if bias is None else out + bias


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel (dim 1) of an ``(N, C, *)`` input by batch statistics (training:
    also updates the running estimates in place, the variance unbiased) or by the running
    estimates (eval)."""
    if input.ndim < 2:
        raise ValueError(
            f"batch_norm(): expected input of shape (N, C, *), got {list(input.shape)}"
        )
    c = input.shape[1]
    for name, t in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        if t is not None and t.numel() != c:
            raise RuntimeError(
                f"batch_norm(): {name} should contain {c} elements, one per channel of the "
                f"input of shape {list(input.shape)}; got {name} of shape {list(t.shape)}"
            )
    dims = (0, *range(2, input.ndim))
    bshape = (1, -1) + (1,) * (input.ndim - 2)
    if training:
        count = input.numel() // input.shape[1]
        if count <= 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size "
                f"{list(input.shape)}"
            )
        mu = input.mean(dims, keepdim=True)
        centered = input - mu
        var = (centered * centered).mean(dims, keepdim=True)
        if running_mean is not None and running_var is not None:
            from .._grad_mode import no_grad

            with no_grad():
                running_mean.mul_(1 - momentum).add_(mu.reshape(-1).detach() * momentum)
                unbiased = var.reshape(-1).detach() * (count / (count - 1))
                running_var.mul_(1 - momentum).add_(unbiased * momentum)
        out = centered * (var + eps).rsqrt()
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm(): running_mean and running_var are needed in eval mode")
        out = (input - running_mean.reshape(bshape)) * (running_var.reshape(bshape) + eps).rsqrt()
    if weight is not None:
        out = out * weight.reshape(bshape)
    return out if bias is None else out + bias.reshape(bshape)


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean (or sum, or none) of ``|input - target|``."""
    _check_reduction(reduction, "l1_loss")
    return _reduce((input - target).abs(), reduction)


def binary_cross_entropy(
    input: Tensor, target: Tensor, weight: Tensor | None = None, reduction: str = "mean"
) -> Tensor:
    """``-(t log(x) + (1 - t) log(1 - x))`` for probabilities ``x``; each log is clamped at
    -100 as PyTorch does, so a 0 or 1 gives a finite loss."""
    _check_reduction(reduction, "binary_cross_entropy")
    if input.shape != target.shape:
        raise ValueError(
            f"binary_cross_entropy(): target size ({list(target.shape)}) must be the same as "
            f"input size ({list(input.shape)})"
        )
    lo, hi = _R.amin(input.detach()).item(), _R.amax(input.detach()).item()
    if input.numel() and (lo < 0 or hi > 1):
        raise RuntimeError(
            "binary_cross_entropy(): all elements of input should be between "
            f"0 and 1, got values in [{lo}, {hi}]"
        )
    log_x = input.log().clamp(min=-100)
    log_1mx = (1 - input).log().clamp(min=-100)
    losses = -(target * log_x + (1 - target) * log_1mx)
    if weight is not None:
        losses = losses * weight
    return _reduce(losses, reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """``binary_cross_entropy(sigmoid(x), t)`` computed stably from logits:
    ``(1 - t) x + lw * softplus(-x)`` with ``lw = 1 + (pos_weight - 1) t``."""
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    if input.shape != target.shape:
        raise ValueError(
            f"binary_cross_entropy_with_logits(): target size ({list(target.shape)}) must be "
            f"the same as input size ({list(input.shape)})"
        )
    softplus_neg = (-input.abs()).exp().log1p() + (-input).relu()
    if pos_weight is not None:
        softplus_neg = softplus_neg * ((pos_weight - 1) * target + 1)
    losses = (1 - target) * input + softplus_neg
    if weight is not None:
        losses = losses * weight
    return _reduce(losses, reduction)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta x)) / beta``, linear above ``threshold`` as in PyTorch."""
    bx = input * beta
    soft = ((-bx.abs()).exp().log1p() + bx.relu()) / beta
    return where(bx > threshold, input, soft)


def silu(input: Tensor) -> Tensor:
    """``x * sigmoid(x)``."""
    return input * _P.sigmoid(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """``x`` where positive, ``negative_slope * x`` elsewhere. Floating-point only, as in
    PyTorch: a fractional slope has no integer result to give."""
    if not input.dtype.is_floating_point:
        raise NotImplementedError(
            f"leaky_relu(): not implemented for {input.dtype.name} tensors; it needs a "
            "floating-point input (convert with .float())"
        )
    return where(input > 0, input, input * negative_slope)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Class indices as int64 one-hot rows (``num_classes`` defaults to ``max + 1``)."""
    if tensor.dtype.is_floating_point:
        raise RuntimeError("one_hot is only applicable to index tensor")
    if tensor.numel():
        lo, hi = int(tensor.min().item()), int(tensor.max().item())
        if lo < 0:
            raise RuntimeError(f"one_hot(): class values must be non-negative, got {lo}")
        if 0 <= num_classes <= hi:
            raise RuntimeError(
                f"one_hot(): class values must be smaller than num_classes ({num_classes}), "
                f"got {hi}"
            )
    elif num_classes < 0:
        raise RuntimeError("one_hot(): can not infer the number of classes from an empty tensor")
    n = hi + 1 if num_classes < 0 else num_classes
    classes = arange(n, backend=tensor._backend)
    return (tensor.unsqueeze(-1) == classes).to(D.int64)


__all__ += [
    "avg_pool2d", "batch_norm", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "conv2d", "dropout", "embedding", "gelu", "l1_loss", "layer_norm", "leaky_relu",
    "max_pool2d", "one_hot", "silu", "softplus", "unfold",
]  # fmt: skip
