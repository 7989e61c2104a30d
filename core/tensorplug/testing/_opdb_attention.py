"""Op-database entry for issue 17's attention, ``scaled_dot_product_attention``, with a NumPy
float64 reference written from the definition (``softmax(q k^T scale + mask) v``)."""

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


def _sdpa_ref(q: np.ndarray, k: np.ndarray, v: np.ndarray, attn_mask: Any = None,
              dropout_p: float = 0.0, is_causal: bool = False, scale: Any = None,
              enable_gqa: bool = False) -> np.ndarray:  # fmt: skip
    if enable_gqa:
        k = np.repeat(k, q.shape[-3] // k.shape[-3], -3)
        v = np.repeat(v, q.shape[-3] // v.shape[-3], -3)
    s = q @ np.swapaxes(k, -1, -2) * (1 / math.sqrt(q.shape[-1]) if scale is None else scale)
    if is_causal:
        attn_mask = np.tril(np.ones(s.shape[-2:], dtype=bool))
    if attn_mask is not None:
        s = np.where(attn_mask, s, -np.inf) if attn_mask.dtype == bool else s + attn_mask
    top = s.max(-1, keepdims=True)
    e = np.exp(s - np.where(np.isinf(top), 0.0, top))
    total = e.sum(-1, keepdims=True)
    return (e / np.where(total == 0, 1.0, total)) @ v


def _sdpa_samples(rng: Gen) -> Iterator[SampleInput]:
    def qkv(*lead: int, length: int = 3, src: int = 4, e: int = 5, ev: int = 2) -> tuple[Any, ...]:
        return (uniform(rng, (*lead, length, e)), uniform(rng, (*lead, src, e)),
                uniform(rng, (*lead, src, ev)))  # fmt: skip

    yield S("heads", qkv(2, 2))
    yield S("3d", qkv(2))
    yield S("unbatched_2d", qkv())
    yield S("causal", qkv(2, 2, length=4, src=4), {"is_causal": True})
    yield S("causal_rectangular", qkv(1, 3, src=5), {"is_causal": True})
    yield S("float_mask_broadcast", (*qkv(2, 2), uniform(rng, (3, 4))))
    yield S("float_mask_per_head", qkv(2, 2), {"attn_mask": uniform(rng, (2, 1, 3, 4))})
    mask = rng.random((3, 4)) > 0.4
    mask[:, 0] = True
    yield S("bool_mask", qkv(2, 2), {"attn_mask": mask})
    dead = mask.copy()
    dead[1] = False
    yield S("bool_mask_row_masked_out", qkv(2), {"attn_mask": dead})
    yield S("scale", qkv(2, 2), {"scale": 0.7})
    q, k, v = qkv(2, 4)
    yield S("gqa", (q, k[:, :2], v[:, :2]), {"enable_gqa": True})
    yield S("broadcast_batch", (q, k[:1], v[:1]))
    yield S("dropout_p0", qkv(2), {"dropout_p": 0.0})


def _sdpa_errors() -> Iterator[ErrorInput]:
    one = np.ones
    yield ErrorInput(S("1d", (one(3), one(3), one(3))), RuntimeError, "at least 2 dimensional")
    yield ErrorInput(
        S("mask_and_causal", (one((2, 3)), one((2, 3)), one((2, 3))),
          {"attn_mask": one((2, 2)), "is_causal": True}),
        RuntimeError, "Explicit attn_mask should not be set when is_causal=True",
    )  # fmt: skip
    yield ErrorInput(
        S("int_mask", (one((2, 3)), one((2, 3)), one((2, 3))),
          {"attn_mask": np.zeros((2, 2), np.int64)}),
        RuntimeError, "Expected attn_mask dtype to be bool or float",
    )  # fmt: skip
    yield ErrorInput(
        S("dropout_p_above_1", (one((2, 3)), one((2, 3)), one((2, 3))), {"dropout_p": 1.5}),
        RuntimeError, "dropout probability has to be between 0 and 1, but got 1.5",
    )  # fmt: skip
    yield ErrorInput(
        S("gqa_heads_not_dividing", (one((1, 3, 2, 4)), one((1, 2, 2, 4)), one((1, 2, 2, 4))),
          {"enable_gqa": True}),
        RuntimeError, "Number of heads in key and value must divide the number of heads in",
    )  # fmt: skip


def attention_ops() -> list[OpInfo]:
    return [
        OpInfo(
            "scaled_dot_product_attention", F.scaled_dot_product_attention, _sdpa_ref,
            _sdpa_samples, namespace="tensorplug.nn.functional", errors=_sdpa_errors,
            tolerances={D.float16: Tol(2e-3, 2e-2, "float16 scores, softmax and two matmuls")},
            grad_tolerances={D.float16: Tol(3e-2, 3e-2, "float16 gradient through softmax")},
            torch_ref=TorchRef(
                "nn.functional.scaled_dot_product_attention",
                other_nodes=(("*", "PyTorch's CPU math path records matmul, softmax and view "
                              "nodes (UnsafeViewBackward0); tensorplug one fused node"),),
            ),
        ),
    ]  # fmt: skip
