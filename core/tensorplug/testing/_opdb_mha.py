"""Op-database entry for ``nn.functional.multi_head_attention_forward`` (issue 17), with a NumPy
float64 reference written from the definition: project, split into heads, ``softmax(q k^T /
sqrt(d) + mask) v``, join the heads, project out. The samples ask for the attention weights
(the database compares tensors; ``need_weights=False``, whose second output is None, is
checked against PyTorch in tests/nn/test_attention_transformer.py)."""

# NumPy's stubs type most compositions of ufuncs as Any; references return arrays.
# mypy: disable-error-code="no-any-return"

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

import tensorplug.nn.functional as F

from .. import _dtype as D
from ._compare import Tol
from ._opinfo import ErrorInput, OpInfo, SampleInput, TorchRef
from ._samples import uniform

Gen = np.random.Generator
S = SampleInput


def _float(mask: Any) -> Any:
    if mask is None or mask.dtype != bool:
        return mask
    return np.where(mask, -np.inf, 0.0)


def _pad(mask: Any) -> Any:
    return None if mask is None else np.concatenate([mask, np.zeros((*mask.shape[:-1], 1))], -1)


def _mha_ref(query: Any, key: Any, value: Any, embed_dim_to_check: int, num_heads: int,
             in_proj_weight: Any, in_proj_bias: Any, bias_k: Any, bias_v: Any,
             add_zero_attn: bool, dropout_p: float, out_proj_weight: Any, out_proj_bias: Any,
             training: bool = True, key_padding_mask: Any = None, need_weights: bool = True,
             attn_mask: Any = None, use_separate_proj_weight: bool = False,
             q_proj_weight: Any = None, k_proj_weight: Any = None, v_proj_weight: Any = None,
             static_k: Any = None, static_v: Any = None, average_attn_weights: bool = True,
             is_causal: bool = False) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    batched = query.ndim == 3
    if not batched:
        query, key, value = query[:, None], key[:, None], value[:, None]
        key_padding_mask = None if key_padding_mask is None else key_padding_mask[None]
    length, n, e = query.shape
    h = num_heads
    hd = e // h
    ws = (
        (q_proj_weight, k_proj_weight, v_proj_weight)
        if use_separate_proj_weight
        else np.split(in_proj_weight, 3)
    )
    bs = np.split(in_proj_bias, 3) if in_proj_bias is not None else (0.0, 0.0, 0.0)
    q, k, v = (x @ w.T + b for x, w, b in zip((query, key, value), ws, bs))
    mask, kpm = _float(attn_mask), _float(key_padding_mask)
    if mask is not None and mask.ndim == 2:
        mask = mask[None]
    if bias_k is not None:
        k = np.concatenate([k, np.broadcast_to(bias_k, (1, n, e))])
        v = np.concatenate([v, np.broadcast_to(bias_v, (1, n, e))])
        mask, kpm = _pad(mask), _pad(kpm)
    q, k, v = (x.reshape(x.shape[0], n * h, hd).transpose(1, 0, 2) for x in (q, k, v))
    if add_zero_attn:
        k = np.concatenate([k, np.zeros((n * h, 1, hd))], 1)
        v = np.concatenate([v, np.zeros((n * h, 1, hd))], 1)
        mask, kpm = _pad(mask), _pad(kpm)
    s = k.shape[1]
    scores = q @ k.transpose(0, 2, 1) / math.sqrt(hd)
    if mask is not None:
        scores = scores + mask
    if kpm is not None:
        scores = scores + np.repeat(kpm[:, None, None, :], h, 1).reshape(n * h, 1, s)
    w = np.exp(scores - scores.max(-1, keepdims=True))
    w = w / w.sum(-1, keepdims=True)
    out = (w @ v).transpose(1, 0, 2).reshape(length, n, e) @ out_proj_weight.T
    if out_proj_bias is not None:
        out = out + out_proj_bias
    weights = w.reshape(n, h, length, s)
    if average_attn_weights:
        weights = weights.mean(1)
    if not batched:
        out, weights = out[:, 0], weights[0]
    return out, weights


def _mha_samples(rng: Gen) -> Iterator[SampleInput]:
    length, src, n, e, h = 2, 3, 2, 4, 2

    def call(*lead: int, sep: bool = False, bias: bool = True, **kw: Any) -> SampleInput:
        q = uniform(rng, (*lead, e))
        k = uniform(rng, (src, *lead[1:], e))
        v = uniform(rng, (src, *lead[1:], e))
        w_in = None if sep else uniform(rng, (3 * e, e), -0.8, 0.8)
        b_in = uniform(rng, (3 * e,)) if bias else None
        b_out = uniform(rng, (e,)) if bias else None
        w_out = uniform(rng, (e, e), -0.8, 0.8)
        bk, bv = kw.pop("bias_kv", (None, None))
        args = (q, k, v, e, h, w_in, b_in, bk, bv, kw.pop("zero", False), 0.0, w_out, b_out)
        if sep:
            kw["use_separate_proj_weight"] = True
            for c in "qkv":
                kw[f"{c}_proj_weight"] = uniform(rng, (e, e), -0.8, 0.8)
        return S(kw.pop("name"), args, kw)

    yield call(length, n, name="batched")
    yield call(length, name="unbatched", average_attn_weights=False)
    mask = np.array([[False, True, False], [False, False, True]])
    kpm = np.array([[False, False, True], [False, True, False]])
    yield call(length, n, name="bool_masks", attn_mask=mask, key_padding_mask=kpm)
    yield call(length, n, name="float_mask_3d", attn_mask=uniform(rng, (n * h, length, src)))
    bkv = (uniform(rng, (1, 1, e)), uniform(rng, (1, 1, e)))
    yield call(length, n, name="bias_kv_zero_attn", bias_kv=bkv, zero=True, attn_mask=mask)
    yield call(length, n, name="separate_proj_no_bias", sep=True, bias=False)


def _mha_errors() -> Iterator[ErrorInput]:
    one = np.ones
    w, b, wo = one((12, 4)), one(12), one((4, 4))

    def s(name: str, q: Any, k: Any, v: Any, **kw: Any) -> SampleInput:
        return S(name, (q, k, v, kw.pop("e", 4), 2, w, b, None, None, False, 0.0, wo, None), kw)

    q3 = one((2, 1, 4))
    yield ErrorInput(
        s("4d_query", one((1, 2, 2, 4)), one((1, 2, 2, 4)), one((1, 2, 2, 4))),
        AssertionError, "query should be unbatched 2D or batched 3D tensor",
    )  # fmt: skip
    yield ErrorInput(s("2d_key_for_3d_query", q3, one((2, 4)), q3), AssertionError,
                     "expected `key` and `value` to be 3-D")  # fmt: skip
    yield ErrorInput(s("embed_dim_mismatch", q3, q3, q3, e=6), AssertionError,
                     "was expecting embedding dimension of 6, but got 4")  # fmt: skip
    k3 = one((3, 1, 4))
    yield ErrorInput(s("2d_mask_shape", q3, k3, k3, attn_mask=one((2, 2))), RuntimeError,
                     "The shape of the 2D attn_mask is")  # fmt: skip
    yield ErrorInput(s("causal_without_mask", q3, q3, q3, is_causal=True), RuntimeError,
                     "Need attn_mask if specifying the is_causal")  # fmt: skip


def mha_ops() -> list[OpInfo]:
    return [
        OpInfo(
            "multi_head_attention_forward", F.multi_head_attention_forward, _mha_ref,
            _mha_samples, namespace="tensorplug.nn.functional", errors=_mha_errors,
            tolerances={D.float16: Tol(5e-3, 3e-2, "float16 projections, scores and softmax")},
            grad_tolerances={D.float16: Tol(5e-2, 5e-2, "float16 gradient through softmax")},
            torch_ref=TorchRef("nn.functional.multi_head_attention_forward"),
        ),
    ]  # fmt: skip
