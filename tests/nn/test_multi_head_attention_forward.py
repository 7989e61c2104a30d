"""``F.multi_head_attention_forward`` where the op database cannot go (its second output None
without ``need_weights``; ``static_k``/``static_v``; the causal hint), against PyTorch in
float64, and ``MultiheadAttention`` calling it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorplug as tp

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
L, S, N, E, H = 3, 3, 2, 4, 2
DATA = {
    "x": RNG.uniform(-1, 1, (L, N, E)),
    "w_in": RNG.uniform(-0.8, 0.8, (3 * E, E)),
    "b_in": RNG.uniform(-1, 1, 3 * E),
    "w_out": RNG.uniform(-0.8, 0.8, (E, E)),
    "b_out": RNG.uniform(-1, 1, E),
    "static": RNG.uniform(-1, 1, (N * H, S + 1, E // H)),
    "causal": np.triu(np.ones((L, S), dtype=bool), 1),
}


def _run(lib: Any, **kw: Any) -> list[np.ndarray]:
    t = {k: lib.tensor(v, requires_grad=v.dtype == np.float64) for k, v in DATA.items()}
    for name in ("static_k", "static_v"):
        if kw.pop(name, False):
            kw[name] = t["static"]
    if kw.pop("mask", False):
        kw["attn_mask"] = t["causal"]
    x = t["x"]
    out, w = lib.nn.functional.multi_head_attention_forward(
        x, x, x, E, H, t["w_in"], t["b_in"], None, None, False, 0.0, t["w_out"], t["b_out"], **kw
    )
    out.sum().backward()
    res = [out.detach().numpy()] + [t[k].grad.numpy() for k in ("x", "w_in", "w_out")]
    return res + ([] if w is None else [w.detach().numpy()])


@pytest.mark.parametrize(
    "kw",
    [
        {"need_weights": False},
        {"need_weights": False, "mask": True, "is_causal": True},
        {"need_weights": True, "mask": True, "is_causal": True},
        {"need_weights": False, "static_k": True, "static_v": True},
    ],
    ids=["no_weights", "causal_sdpa", "causal_weights", "static_kv"],
)
def test_matches_pytorch(kw: dict[str, Any]) -> None:
    want, got = _run(torch, **dict(kw)), _run(tp, **dict(kw))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


def test_module_batch_first_self_attention_projects_once() -> None:
    """``batch_first`` transposes ``query is key is value`` once, so the packed projection is
    one use of ``in_proj_weight`` (not three slices of it), as in PyTorch."""
    for batch_first in (True, False):
        mha = tp.nn.MultiheadAttention(E, H, batch_first=batch_first)
        x = tp.ones(N, L, E, requires_grad=True)
        out, _ = mha(x, x, x)
        seen, stack, users = set(), [out.grad_fn], 0
        while stack:
            node = stack.pop()
            if node is None or id(node) in seen:
                continue
            seen.add(id(node))
            nexts = [n for n, _ in node.next_functions]
            users += sum(getattr(n, "variable", None) is mha.in_proj_weight for n in nexts)
            stack.extend(nexts)
        assert users == 1
