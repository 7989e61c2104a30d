"""``MultiheadAttention`` with PyTorch's parameter layout: a packed ``in_proj_weight`` (or
``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight`` when ``kdim``/``vdim`` differ from
``embed_dim``), ``in_proj_bias``, ``out_proj`` and the optional ``bias_k``/``bias_v``, so a
PyTorch ``state_dict`` loads as it is."""

from __future__ import annotations

import math
from typing import Any

from ..._creation import empty
from ..._ops_pointwise import where
from ..._ops_shape import cat
from ..._tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .linear import Linear
from .module import Module, _factory

__all__ = ["MultiheadAttention", "NonDynamicallyQuantizableLinear"]


class NonDynamicallyQuantizableLinear(Linear):
    """``Linear`` under the name PyTorch gives ``MultiheadAttention.out_proj``."""


def _float_mask(mask: Tensor | None, like: Tensor) -> Tensor | None:
    """A mask as added to the scores: bool ``True`` (leave out) becomes ``-inf``."""
    if mask is None or mask.dtype.is_floating_point:
        return mask
    return where(mask, like.new_full((), -math.inf), like.new_zeros(()))


def _pad_last(mask: Tensor | None) -> Tensor | None:
    """``mask`` with one more column of zeros (a key added at the end takes part)."""
    return None if mask is None else F.pad(mask, (0, 1))


class MultiheadAttention(Module):
    """Attention over ``num_heads`` heads of ``embed_dim // num_heads`` each, as PyTorch's.

    Example:
        >>> import tensorplug as tp
        >>> mha = tp.nn.MultiheadAttention(8, 2, batch_first=True)
        >>> x = tp.ones(1, 3, 8)
        >>> out, weights = mha(x, x, x)
        >>> out.shape, weights.shape
        ((1, 3, 8), (1, 3, 3))
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        device: Any = None,
        dtype: Any = None,
        *,
        backend: Any = None,
    ) -> None:
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(
                f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} "
                f"and num_heads={num_heads} instead"
            )
        kw = _factory(device, dtype, backend)
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(empty(3 * embed_dim, embed_dim, **kw))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = Parameter(empty(embed_dim, embed_dim, **kw))
            self.k_proj_weight = Parameter(empty(embed_dim, self.kdim, **kw))
            self.v_proj_weight = Parameter(empty(embed_dim, self.vdim, **kw))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(empty(3 * embed_dim, **kw))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **kw)
        if add_bias_kv:
            self.bias_k = Parameter(empty(1, 1, embed_dim, **kw))
            self.bias_v = Parameter(empty(1, 1, embed_dim, **kw))
        else:
            self.register_parameter("bias_k", None)
            self.register_parameter("bias_v", None)
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def _project(self, query: Tensor, key: Tensor, value: Tensor) -> tuple[Tensor, ...]:
        """The inputs projected to queries, keys and values, (L or S, N, E) each."""
        e, b = self.embed_dim, self.in_proj_bias
        bq, bk, bv = (None, None, None) if b is None else (b[:e], b[e : 2 * e], b[2 * e :])
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            if query is key and key is value:
                return F.linear(query, w, b).chunk(3, -1)
            wq, wk, wv = w[:e], w[e : 2 * e], w[2 * e :]
        else:
            wq, wk, wv = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
        return F.linear(query, wq, bq), F.linear(key, wk, bk), F.linear(value, wv, bv)

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask: Tensor | None = None,
        need_weights: bool = True,
        attn_mask: Tensor | None = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        """``(output, weights)``: inputs (L, N, E) or (N, L, E) with ``batch_first``, or
        unbatched (L, E); ``key_padding_mask`` (N, S) and a bool ``attn_mask`` (L, S) or
        (N * num_heads, L, S) are True where a key is left out (a float one is added);
        ``weights`` (N, L, S) averaged over the heads, or (N, num_heads, L, S)."""
        if is_causal and attn_mask is None:
            raise RuntimeError("Need attn_mask if specifying the is_causal hint")
        batched = query.ndim == 3
        if not batched:
            query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif self.batch_first:
            query, key, value = (x.transpose(0, 1) for x in (query, key, value))
        out, weights = self._attend(query, key, value, key_padding_mask, need_weights, attn_mask)
        if self.batch_first and batched:
            out = out.transpose(0, 1)
        if weights is not None:
            if average_attn_weights:
                weights = weights.mean(1)
            if not batched:
                weights = weights.squeeze(0)
        return (out if batched else out.squeeze(1)), weights

    def _attend(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask: Tensor | None,
        need_weights: bool,
        attn_mask: Tensor | None,
    ) -> tuple[Tensor, Tensor | None]:
        """PyTorch's ``multi_head_attention_forward`` on (L, N, E) inputs."""
        length, n, e = query.shape
        h, hd = self.num_heads, self.head_dim
        q, keys, values = self._project(query, key, value)
        mask = _float_mask(attn_mask, q)
        if mask is not None and mask.ndim == 2:
            mask = mask.unsqueeze(0)
        kpm = _float_mask(key_padding_mask, q)
        if self.bias_k is not None and self.bias_v is not None:
            keys = cat([keys, self.bias_k.expand(1, n, e)], 0)
            values = cat([values, self.bias_v.expand(1, n, e)], 0)
            mask, kpm = _pad_last(mask), _pad_last(kpm)
        q = q.reshape(length, n * h, hd).transpose(0, 1)
        keys = keys.reshape(keys.shape[0], n * h, hd).transpose(0, 1)
        values = values.reshape(values.shape[0], n * h, hd).transpose(0, 1)
        if self.add_zero_attn:
            keys = cat([keys, keys.new_zeros((n * h, 1, hd))], 1)
            values = cat([values, values.new_zeros((n * h, 1, hd))], 1)
            mask, kpm = _pad_last(mask), _pad_last(kpm)
        s = keys.shape[1]
        if kpm is not None:
            kpm = kpm.reshape(n, 1, 1, s).expand(n, h, 1, s).reshape(n * h, 1, s)
            mask = kpm if mask is None else mask + kpm
        p = self.dropout if self.training else 0.0
        if need_weights:
            scores = (q * (1.0 / math.sqrt(hd))) @ keys.transpose(1, 2)
            if mask is not None:
                scores = scores + mask
            weights = F.softmax(scores, -1)
            if p > 0.0:
                weights = F.dropout(weights, p)
            out = weights @ values
            weights = weights.reshape(n, h, length, s)
        else:
            if mask is not None:  # (1 or N * heads, L, S) to (1 or N, 1 or heads, L, S)
                lead = (1, 1) if mask.shape[0] == 1 else (n, h)
                mask = mask.reshape(*lead, mask.shape[1], s)
            out = F.scaled_dot_product_attention(
                q.reshape(n, h, length, hd),
                keys.reshape(n, h, s, hd),
                values.reshape(n, h, s, hd),
                mask,
                p,
            )
            out = out.permute(2, 0, 1, 3)
            weights = None
        if need_weights:
            out = out.transpose(0, 1)
        out = self.out_proj(out.reshape(length * n, e)).reshape(length, n, e)
        return out, weights
