"""``F.multi_head_attention_forward``: ``nn.MultiheadAttention``'s computation as a function of
its weights, with PyTorch's signature (the module calls it, as PyTorch's does)."""

from __future__ import annotations

import math
from typing import Any

from ..._ops_pointwise import where
from ..._ops_shape import cat
from ..._tensor import Tensor
from ._activation import softmax
from ._attention import scaled_dot_product_attention
from ._dropout import dropout
from ._linear import linear
from ._padding import pad

__all__ = ["multi_head_attention_forward"]


def _float_mask(mask: Tensor | None, like: Tensor) -> Tensor | None:
    """A mask as added to the scores: bool ``True`` (leave out) becomes ``-inf``."""
    if mask is None or mask.dtype.is_floating_point:
        return mask
    return where(mask, like.new_full((), -math.inf), like.new_zeros(()))


def _pad_last(mask: Tensor | None) -> Tensor | None:
    """``mask`` with one more column of zeros (a key added at the end takes part)."""
    return None if mask is None else pad(mask, (0, 1))


def _shape_check(
    query: Tensor, key: Tensor, value: Tensor, kpm: Tensor | None, mask: Tensor | None, h: int
) -> bool:
    """Whether the call is batched (3-D query), with PyTorch's errors for mismatched ranks."""
    nd = query.ndim
    if nd not in (2, 3):
        raise AssertionError(
            f"query should be unbatched 2D or batched 3D tensor but received {nd}-D query tensor"
        )
    kind = "batched (3-D)" if nd == 3 else "unbatched (2-D)"
    if key.ndim != nd or value.ndim != nd:
        raise AssertionError(
            f"For {kind} `query`, expected `key` and `value` to be {nd}-D but found "
            f"{key.ndim}-D and {value.ndim}-D tensors respectively"
        )
    if kpm is not None and kpm.ndim != nd - 1:
        raise AssertionError(
            f"For {kind} `query`, expected `key_padding_mask` to be `None` or {nd - 1}-D but "
            f"found {kpm.ndim}-D tensor instead"
        )
    if mask is not None and mask.ndim not in (2, 3):
        raise AssertionError(
            f"For {kind} `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found "
            f"{mask.ndim}-D tensor instead"
        )
    return nd == 3


def _project(
    query: Tensor, key: Tensor, value: Tensor, w: Any, b: Tensor | None, separate: Any
) -> tuple[Tensor, ...]:
    """The inputs projected to queries, keys and values, (L or S, N, E) each: by the packed
    ``w`` (one matrix product for self-attention), or by the three ``separate`` weights."""
    e = query.shape[-1]
    bq, bk, bv = (None, None, None) if b is None else (b[:e], b[e : 2 * e], b[2 * e :])
    if separate is None:
        if query is key and key is value:
            return linear(query, w, b).chunk(3, -1)
        wq, wk, wv = w[:e], w[e : 2 * e], w[2 * e :]
    else:
        wq, wk, wv = separate
    return linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)


def _mask_3d(mask: Tensor | None, length: int, src: int, heads: int) -> Tensor | None:
    """``attn_mask`` as (1 or N * heads, L, S), checked as PyTorch checks it."""
    if mask is None:
        return None
    if mask.ndim == 2:
        if tuple(mask.shape) != (length, src):
            raise RuntimeError(
                f"The shape of the 2D attn_mask is {list(mask.shape)}, but should be "
                f"{(length, src)}."
            )
        return mask.unsqueeze(0)
    if tuple(mask.shape) != (heads, length, src):
        raise RuntimeError(
            f"The shape of the 3D attn_mask is {list(mask.shape)}, but should be "
            f"{(heads, length, src)}."
        )
    return mask


def _heads(x: Tensor, static: Tensor | None, name: str, nh: int, hd: int, add_zero: bool) -> Tensor:
    """(S, N, E) to (N * heads, S, head_dim), or the ``static`` keys or values given so; with
    ``add_zero``, a key (or value) of zeros appended."""
    if static is None:
        x = x.reshape(x.shape[0], nh, hd).transpose(0, 1)
    elif static.shape[0] != nh:
        raise AssertionError(f"expecting {name}.size(0) of {nh}, but got {static.shape[0]}")
    elif static.shape[2] != hd:
        raise AssertionError(f"expecting {name}.size(2) of {hd}, but got {static.shape[2]}")
    else:
        x = static
    return cat([x, x.new_zeros((nh, 1, hd))], 1) if add_zero else x


def _batch_of_one(
    query: Tensor, key: Tensor, value: Tensor, kpm: Tensor | None
) -> tuple[Tensor, Tensor, Tensor, Tensor | None]:
    """Unbatched inputs as a batch of one (``query is key`` kept, for the packed product)."""
    q = query.unsqueeze(1)
    k = q if key is query else key.unsqueeze(1)
    v = k if value is key else value.unsqueeze(1)
    return q, k, v, None if kpm is None else kpm.unsqueeze(0)


def _check_sizes(query: Tensor, key: Tensor, value: Tensor, embed_dim: int, heads: int,
                 attn_mask: Tensor | None, causal: bool, is_causal: bool,
                 separate: bool) -> bool:  # fmt: skip
    """PyTorch's checks of the sizes and the causal hint; whether the causal hint is used."""
    e = query.shape[-1]
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer "
            "module method `generate_square_subsequent_mask` to create this mask."
        )
    if e != embed_dim:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim}, but got {e}")
    if (e // heads) * heads != e:
        raise AssertionError(f"embed_dim {e} not divisible by num_heads {heads}")
    if not separate and tuple(key.shape) != tuple(value.shape):
        raise AssertionError(
            f"key shape {list(key.shape)} does not match value shape {list(value.shape)}"
        )
    return causal


def _attend(q: Tensor, keys: Tensor, values: Tensor, mask: Tensor | None, p: float,
            causal: bool, need_weights: bool, n: int,
            h: int) -> tuple[Tensor, Tensor | None]:  # fmt: skip
    """Attention of (N * heads, L, d) queries over (N * heads, S, d) keys and values: the
    output (L, N, heads * d) and, with ``need_weights``, the weights (N, heads, L, S)."""
    length, hd = q.shape[1:]
    s = keys.shape[1]
    if need_weights:
        scores = (q * math.sqrt(1.0 / float(hd))) @ keys.transpose(1, 2)
        weights = softmax(scores if mask is None else scores + mask, -1)
        if p > 0.0:
            weights = dropout(weights, p)
        out = (weights @ values).transpose(0, 1).reshape(length, n, h * hd)
        return out, weights.reshape(n, h, length, s)
    if mask is not None:  # (1 or N * heads, L, S) to (1 or N, 1 or heads, L, S)
        lead = (1, 1) if mask.shape[0] == 1 else (n, h)
        mask = mask.reshape(*lead, mask.shape[1], s)
    out = scaled_dot_product_attention(
        q.reshape(n, h, length, hd),
        keys.reshape(n, h, s, hd),
        values.reshape(n, h, s, hd),
        mask,
        p,
        causal,
    )
    return out.permute(2, 0, 1, 3).reshape(length, n, h * hd), None


def multi_head_attention_forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    embed_dim_to_check: int,
    num_heads: int,
    in_proj_weight: Tensor | None,
    in_proj_bias: Tensor | None,
    bias_k: Tensor | None,
    bias_v: Tensor | None,
    add_zero_attn: bool,
    dropout_p: float,
    out_proj_weight: Tensor,
    out_proj_bias: Tensor | None,
    training: bool = True,
    key_padding_mask: Tensor | None = None,
    need_weights: bool = True,
    attn_mask: Tensor | None = None,
    use_separate_proj_weight: bool = False,
    q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None,
    v_proj_weight: Tensor | None = None,
    static_k: Tensor | None = None,
    static_v: Tensor | None = None,
    average_attn_weights: bool = True,
    is_causal: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """Multi-head attention of (L, N, E) (or unbatched (L, E)) inputs: ``(output, weights)``,
    ``weights`` (N, L, S) averaged over the heads, (N, heads, L, S), or None without
    ``need_weights``. A bool mask is True where a key is left out; a float one is added.

    Example:
        >>> import tensorplug as tp
        >>> import tensorplug.nn.functional as F
        >>> x = tp.ones(3, 1, 4)
        >>> w, b = tp.ones(12, 4), tp.zeros(12)
        >>> out, att = F.multi_head_attention_forward(
        ...     x, x, x, 4, 2, w, b, None, None, False, 0.0, tp.eye(4), None)
        >>> out.shape, att.shape
        ((3, 1, 4), (1, 3, 3))
    """
    batched = _shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value, key_padding_mask = _batch_of_one(query, key, value, key_padding_mask)
    length, n, e = query.shape
    causal = _check_sizes(query, key, value, embed_dim_to_check, num_heads, attn_mask,
                          is_causal and key_padding_mask is None and not need_weights,
                          is_causal, use_separate_proj_weight)  # fmt: skip
    separate = (q_proj_weight, k_proj_weight, v_proj_weight) if use_separate_proj_weight else None
    q, keys, values = _project(query, key, value, in_proj_weight, in_proj_bias, separate)
    h, hd = num_heads, e // num_heads
    mask = None if causal else _mask_3d(_float_mask(attn_mask, q), length, key.shape[0], n * h)
    kpm = _float_mask(key_padding_mask, q)
    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            which = "key" if static_k is not None else "value"
            raise AssertionError(f"bias cannot be added to static {which}.")
        keys = cat([keys, bias_k.expand(1, n, e)], 0)
        values = cat([values, bias_v.expand(1, n, e)], 0)
        mask, kpm = _pad_last(mask), _pad_last(kpm)
    q = q.reshape(length, n * h, hd).transpose(0, 1)
    keys = _heads(keys, static_k, "static_k", n * h, hd, add_zero_attn)
    values = _heads(values, static_v, "static_v", n * h, hd, add_zero_attn)
    if add_zero_attn:
        mask, kpm = _pad_last(mask), _pad_last(kpm)
    if kpm is not None:
        s = keys.shape[1]
        kpm = kpm.reshape(n, 1, 1, s).expand(n, h, 1, s).reshape(n * h, 1, s)
        mask = kpm if mask is None else mask + kpm
    p = dropout_p if training else 0.0
    out, att = _attend(q, keys, values, mask, p, causal, need_weights, n, h)
    if att is not None and average_attn_weights:
        att = att.mean(1)
    out = linear(out.reshape(length * n, e), out_proj_weight, out_proj_bias).reshape(length, n, -1)
    if not batched:
        out = out.squeeze(1)
        att = None if att is None else att.squeeze(0)
    return out, att
