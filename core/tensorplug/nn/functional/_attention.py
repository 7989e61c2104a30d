"""Attention: ``scaled_dot_product_attention`` as one node (PyTorch's CPU math path records
a chain of matmul, softmax and view nodes): its backward is the fused softmax-attention
gradient, from the weights forward kept, or recomputed as tensor ops for double backward."""

from __future__ import annotations

import math
from typing import Any

from ... import _dtype as D
from ..._contract import Array, KernelOps
from ..._dispatch import nary
from ..._graph import Node
from ..._ops_layout import repeat_interleave
from ..._ops_pointwise import where
from ..._tensor import Tensor
from ..._tensor_ops import TENSOR_OPS

__all__ = ["scaled_dot_product_attention"]


def _swap(ndim: int) -> tuple[int, ...]:
    return (*range(ndim - 2), ndim - 1, ndim - 2)


def _weights(k: Any, q: Array, key: Array, mask: Array | None, args: tuple[Any, ...]) -> Array:
    """``softmax(q key^T scale + mask)`` over the last dim, with the causal mask applied and
    rows that mask out every key given zero weights (as PyTorch's safe softmax)."""
    scale, causal, _, nd, _ = args
    s = k.matmul(k.mul(q, scale), k.permute(key, _swap(nd)))
    if mask is not None:
        s = k.add(s, mask)
    if causal is not None:  # (L, S): -inf above the diagonal, 0 elsewhere
        s = k.add(s, k.const(causal, q))
    top = k.amax(s, (nd - 1,), True)
    top = k.where(k.eq(top, -math.inf), 0.0, top)  # a row masked out everywhere: weights 0
    e = k.exp(k.sub(s, top))
    total = k.sum(e, (nd - 1,), True)
    return k.div(e, k.where(k.eq(total, 0.0), 1.0, total))


# fmt: off
class ScaledDotProductAttentionBackward0(Node):
    """``P @ v`` with ``P = dropout(softmax(q k^T scale + mask))`` over the keys: with
    ``dP = g v^T`` (dropout's mask and rescaling applied) and ``dS = P * (dP - sum(dP * P))``,
    grad q = scale dS k, grad k = scale dS^T q, grad v = P^T g, grad mask = dS (each summed
    to its input's shape). ``P`` is kept from forward (as PyTorch's math path keeps it); a
    ``create_graph`` backward recomputes it from q and k as tensor ops."""
    op, float_only, save = "scaled_dot_product_attention", True, (0, 1, 2, 3)

    @staticmethod
    def forward(k: Any, q: Array, key: Array, v: Array, mask: Any, *args: Any) -> Array:
        p = _weights(k, q, key, mask, args)
        keep, kept = args[2], args[4]
        kept.append(p)
        return k.matmul(p if keep is None else k.mul(p, keep), v)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, q: Array, key: Array, v: Array,
                 mask: Any) -> tuple[Any, ...]:
        (scale, _, keep, nd, kept), shapes = ctx.args, ctx.shapes
        nq, nk, nv, nm = ctx.needs_input_grad
        # the weights kept by forward; recomputed as tensor ops for a differentiable backward
        p = _weights(ops, q, key, mask, ctx.args) if ops is TENSOR_OPS else kept[0]
        if keep is not None:
            keep = ops.const(keep, q)
        pd = p if keep is None else ops.mul(p, keep)
        gv = ops.sum_to(ops.matmul(ops.permute(pd, _swap(nd)), g), shapes[2]) if nv else None
        if not (nq or nk or nm):
            return None, None, gv, None
        dp = ops.matmul(g, ops.permute(v, _swap(nd)))
        if keep is not None:
            dp = ops.mul(dp, keep)
        ds = ops.mul(p, ops.sub(dp, ops.sum(ops.mul(dp, p), (nd - 1,), True)))
        return (ops.sum_to(ops.matmul(ops.mul(ds, scale), key), shapes[0]) if nq else None,
                ops.sum_to(ops.matmul(ops.permute(ds, _swap(nd)), ops.mul(q, scale)), shapes[1])
                if nk else None, gv, ops.sum_to(ds, shapes[3]) if nm else None)
# fmt: on


def _causal_bias(query: Tensor, cols: int) -> Array:
    """(L, S) of ``query``'s dtype: ``-inf`` where key ``j`` comes after query ``i``, else 0."""
    k = query._backend.k
    rows = query.shape[-2]
    later = k.lt(k.iota(rows, (rows, 1), query._data), k.iota(cols, (1, cols), query._data))
    return k.where(later, k.full((), -math.inf, query.dtype), k.full((), 0.0, query.dtype))


def _check(query: Tensor, key: Tensor, value: Tensor, attn_mask: Any, is_causal: bool,
           dropout_p: float) -> None:  # fmt: skip
    """The arguments checked as PyTorch checks them, with its messages."""
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"scaled_dot_product_attention(): argument '{name}' must be Tensor, not "
                f"{type(t).__name__}"
            )
    if min(query.ndim, key.ndim, value.ndim) < 2:
        raise RuntimeError(
            f"Expected query, key, and value to all be  at least 2 dimensional, but got "
            f"query.dim: {query.ndim} key.dim: {key.ndim} and value.dim: {value.ndim} instead."
        )
    if not query.dtype == key.dtype == value.dtype:
        raise RuntimeError(
            f"Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{query.dtype} key.dtype: {key.dtype} and value.dtype: {value.dtype} instead."
        )
    if not query.dtype.is_floating_point:
        raise RuntimeError(f"expected scalar type Float but found {query.dtype}")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise RuntimeError(
            f"scaled_dot_product_attention(): expected key of shape (..., S, "
            f"{query.shape[-1]}) and value of shape (..., S, Ev) with key's S, got query "
            f"{list(query.shape)}, key {list(key.shape)} and value {list(value.shape)}"
        )
    if attn_mask is not None:
        if attn_mask.dtype is not D.bool_ and not attn_mask.dtype.is_floating_point:
            raise RuntimeError(
                f"Expected attn_mask dtype to be bool or float or to match query dtype, but "
                f"got attn_mask.dtype: {attn_mask.dtype} and  query.dtype: {query.dtype} "
                f"instead."
            )
        if is_causal:
            raise RuntimeError(
                "_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                "is_causal=True"
            )
    if not 0.0 <= dropout_p <= 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")


def _grouped(query: Tensor, key: Tensor, value: Tensor) -> tuple[Tensor, Tensor]:
    """``key`` and ``value`` with each of their heads (dim -3) repeated for the group of
    query heads that shares it (grouped-query attention)."""
    hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
    if hq % hk or hq % hv:
        raise RuntimeError(
            f"Number of heads in key and value must divide the number of heads in query, got "
            f"{hq} query heads, {hk} key heads and {hv} value heads"
        )
    return (repeat_interleave(key, hq // hk, -3) if hk != hq else key,
            repeat_interleave(value, hq // hv, -3) if hv != hq else value)  # fmt: skip


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """``softmax(query @ key^T * scale + mask) @ value`` over the keys, as PyTorch's: query
    (..., L, E), key (..., S, E), value (..., S, Ev); ``attn_mask`` broadcast to (..., L, S),
    bool (True: take part) or float (added to the scores); ``is_causal``: query ``i`` sees
    keys ``0..i``; ``scale`` defaults to ``1 / sqrt(E)``; rows that see no key give zeros.

    Example:
        >>> import tensorplug as tp
        >>> q = tp.ones(1, 2, 4)
        >>> tp.nn.functional.scaled_dot_product_attention(q, q, q, is_causal=True).shape
        (1, 2, 4)
    """
    _check(query, key, value, attn_mask, is_causal, dropout_p)
    if enable_gqa and query.ndim >= 3:
        key, value = _grouped(query, key, value)
    mask: Any = None
    if attn_mask is not None:
        if attn_mask.dtype is D.bool_:
            mask = where(attn_mask, query.new_zeros(()), query.new_full((), -math.inf))
        else:
            mask = attn_mask.to(query.dtype)
    nd = max(query.ndim, key.ndim, value.ndim, 0 if mask is None else mask.ndim)
    causal = _causal_bias(query, key.shape[-2]) if is_causal else None
    keep = None
    if dropout_p > 0.0:
        be = query._backend
        k = be.k
        shape = (*query.shape[:-1], key.shape[-2])
        draws = k.random_uniform(shape, query.dtype)
        p = dropout_p
        keep = k.mul(k.astype(k.ge(draws, p), query.dtype), 0.0 if p == 1.0 else 1.0 / (1.0 - p))
    s = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    return nary(ScaledDotProductAttentionBackward0, (query, key, value, mask),
                s, causal, keep, nd, [])  # fmt: skip
