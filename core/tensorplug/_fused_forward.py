"""The defaults of the fused forward kernels (issue 21, ``_contract.FUSED``): softmax and
log-softmax, the squared error's sum and mean, dropout and the NLL loss's weights and terms,
each written
once on the backend's own kernels (``be.k``, looked up at the call, so a backend's overrides
of the kernels they use count). A GPU backend replaces each with one or a few launches
(``tensorplug_cupy._fused``) that must agree with these to rounding."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._backend import Backend
    from ._contract import Array, Kernel, Shape


def forward_defaults(be: Backend) -> dict[str, Kernel]:
    """``mse_loss_sum``, ``mse_loss_mean``, ``dropout_mask``, ``dropout``, ``softmax`` and
    ``log_softmax`` on ``be``'s kernels."""

    def mse_loss_sum(a: Array, b: Array) -> Array:
        k = be.k
        d = k.sub(a, b)
        return k.sum(k.mul(d, d), None, False)

    def mse_loss_mean(a: Array, b: Array) -> Array:
        n = math.prod(y if x == 1 else x for x, y in _aligned(tuple(a.shape), tuple(b.shape)))
        return be.k.div(be.k.mse_loss_sum(a, b), n)

    def dropout_mask(u: Array, p: float, scale: float) -> Array:
        k = be.k
        return k.mul(k.astype(k.ge(u, p), k.dtype_of(u)), scale)

    def nll_loss_weights(target: Array, ignore_index: int, like: Array) -> tuple[Array, Array]:
        k = be.k
        keep = k.ne(target, ignore_index)
        return k.where(keep, target, 0), k.astype(keep, k.dtype_of(like))

    def softmax(x: Array, axes: Shape) -> Array:
        k = be.k
        if not math.prod(x.shape):
            return k.exp(x)  # nothing to normalise (and no maximum of nothing)
        e = k.exp(k.sub(x, k.amax(x, axes, True)))
        return k.div(e, k.sum(e, axes, True))

    def log_softmax(x: Array, axes: Shape) -> Array:
        k = be.k
        if not math.prod(x.shape):
            return k.sub(x, x)
        shifted = k.sub(x, k.amax(x, axes, True))
        return k.sub(shifted, k.log(k.sum(k.exp(shifted), axes, True)))

    return {
        "mse_loss_sum": mse_loss_sum,
        "mse_loss_mean": mse_loss_mean,
        "dropout_mask": dropout_mask,
        "dropout": lambda x, u, p, scale: be.k.mul(x, be.k.dropout_mask(u, p, scale)),
        "softmax": softmax,
        "log_softmax": log_softmax,
        "nll_loss_weights": nll_loss_weights,
        "nll_loss_terms": lambda logp, rows, cols, w: be.k.neg(
            be.k.mul(be.k.getitem(logp, (rows, cols)), w)
        ),
    }


def _aligned(a: Shape, b: Shape) -> list[tuple[int, int]]:
    """The two shapes' sizes, dimension by dimension from the right (1 where one is
    shorter); they broadcast (checked before a kernel runs), so where one is 1 the other is
    the broadcast size."""
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    return list(zip(a, b, strict=True))
