# The program keeps its published names (F, W_target, netG, B, T, C, ...) and spelling.
# ruff: noqa: N806
"""A tiny GPT in the style of karpathy/minGPT (``mingpt/model.py``), attention by hand.

``split``, ``view``/``transpose``, ``@``, ``tril`` registered as a buffer, ``masked_fill`` with
``-inf``, softmax, LayerNorm, the NewGELU written with ``tanh``/``pow``, Embedding for tokens and
positions, ModuleDict/ModuleList, ``cross_entropy(ignore_index=-1)``, minGPT's AdamW parameter
groups (decay / no decay, found through ``named_modules``/``named_parameters``), gradient
clipping, and ``generate`` with ``topk``, index assignment of ``-inf`` and ``multinomial``
(made deterministic by ``top_k=1``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import tensorplug
from program_runs import assert_same_run, load_state, state_of

torch = pytest.importorskip("torch")

VOCAB, BLOCK, EMBD, HEADS, LAYERS = 11, 8, 16, 2, 2


def train(torch: Any, steps: int, data: Any, init: Any = None) -> dict[str, Any]:
    nn = torch.nn
    F = torch.nn.functional

    class NewGELU(nn.Module):
        def forward(self, x: Any) -> Any:
            c = math.sqrt(2.0 / math.pi)
            return 0.5 * x * (1.0 + torch.tanh(c * (x + 0.044715 * torch.pow(x, 3.0))))

    class CausalSelfAttention(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.c_attn = nn.Linear(EMBD, 3 * EMBD)
            self.c_proj = nn.Linear(EMBD, EMBD)
            self.attn_dropout = nn.Dropout(0.0)
            self.resid_dropout = nn.Dropout(0.0)
            mask = torch.tril(torch.ones(BLOCK, BLOCK)).view(1, 1, BLOCK, BLOCK)
            self.register_buffer("bias", mask)
            self.n_head, self.n_embd = HEADS, EMBD

        def forward(self, x: Any) -> Any:
            B, T, C = x.size()
            q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
            k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
            att = F.softmax(att, dim=-1)
            att = self.attn_dropout(att)
            y = att @ v
            y = y.transpose(1, 2).contiguous().view(B, T, C)
            return self.resid_dropout(self.c_proj(y))

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.ln_1 = nn.LayerNorm(EMBD)
            self.attn = CausalSelfAttention()
            self.ln_2 = nn.LayerNorm(EMBD)
            self.mlp = nn.ModuleDict(
                dict(
                    c_fc=nn.Linear(EMBD, 4 * EMBD),
                    c_proj=nn.Linear(4 * EMBD, EMBD),
                    act=NewGELU(),
                    dropout=nn.Dropout(0.0),
                )
            )
            m = self.mlp
            self.mlpf = lambda x: m.dropout(m.c_proj(m.act(m.c_fc(x))))

        def forward(self, x: Any) -> Any:
            x = x + self.attn(self.ln_1(x))
            return x + self.mlpf(self.ln_2(x))

    class GPT(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = nn.ModuleDict(
                dict(
                    wte=nn.Embedding(VOCAB, EMBD),
                    wpe=nn.Embedding(BLOCK, EMBD),
                    drop=nn.Dropout(0.0),
                    h=nn.ModuleList([Block() for _ in range(LAYERS)]),
                    ln_f=nn.LayerNorm(EMBD),
                )
            )
            self.lm_head = nn.Linear(EMBD, VOCAB, bias=False)

        def configure_optimizers(self) -> Any:
            decay, no_decay = set(), set()
            whitelist = (torch.nn.Linear,)
            blacklist = (torch.nn.LayerNorm, torch.nn.Embedding)
            for mn, m in self.named_modules():
                for pn, _p in m.named_parameters():
                    fpn = f"{mn}.{pn}" if mn else pn
                    if pn.endswith("bias"):
                        no_decay.add(fpn)
                    elif pn.endswith("weight") and isinstance(m, whitelist):
                        decay.add(fpn)
                    elif pn.endswith("weight") and isinstance(m, blacklist):
                        no_decay.add(fpn)
            param_dict = dict(self.named_parameters())
            assert len(decay & no_decay) == 0
            assert len(param_dict.keys() - (decay | no_decay)) == 0
            optim_groups = [
                {"params": [param_dict[pn] for pn in sorted(decay)], "weight_decay": 0.1},
                {"params": [param_dict[pn] for pn in sorted(no_decay)], "weight_decay": 0.0},
            ]
            return torch.optim.AdamW(optim_groups, lr=5e-3, betas=(0.9, 0.95))

        def forward(self, idx: Any, targets: Any = None) -> tuple[Any, Any]:
            _b, t = idx.size()
            pos = torch.arange(0, t, dtype=torch.long).unsqueeze(0)
            tok_emb = self.transformer.wte(idx)
            pos_emb = self.transformer.wpe(pos)
            x = self.transformer.drop(tok_emb + pos_emb)
            for block in self.transformer.h:
                x = block(x)
            x = self.transformer.ln_f(x)
            logits = self.lm_head(x)
            loss = None
            if targets is not None:
                loss = F.cross_entropy(
                    logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1
                )
            return logits, loss

        @torch.no_grad()
        def generate(self, idx: Any, max_new_tokens: int, top_k: int) -> Any:
            for _ in range(max_new_tokens):
                idx_cond = idx if idx.size(1) <= BLOCK else idx[:, -BLOCK:]
                logits, _ = self(idx_cond)
                logits = logits[:, -1, :]
                v, _ = torch.topk(logits, top_k)
                logits[logits < v[:, [-1]]] = -float("Inf")
                probs = F.softmax(logits, dim=-1)
                idx_next = torch.multinomial(probs, num_samples=1)
                idx = torch.cat((idx, idx_next), dim=1)
            return idx

    torch.manual_seed(5)
    model = GPT().double()
    initial = load_state(torch, model, init)
    optimizer = model.configure_optimizers()
    model.train()
    losses = []
    for step in range(steps):
        x = torch.tensor(data["x"][step])
        y = torch.tensor(data["y"][step])
        _logits, loss = model(x, y)
        model.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    sampled = model.generate(torch.tensor(data["x"][0][:, :3]), BLOCK + 2, top_k=1)
    losses += [float(t) for t in sampled.view(-1).tolist()]
    return {"losses": losses, "initial": initial, "final": state_of(model)}


def test_mingpt_matches_pytorch() -> None:
    rng = np.random.default_rng(5)
    steps = 5
    tokens = rng.integers(0, VOCAB, (steps, 4, BLOCK + 1))
    data = {"x": tokens[:, :, :-1], "y": tokens[:, :, 1:].copy()}
    data["y"][:, :, :2] = -1  # minGPT masks the prompt part of a sequence with -1
    ref = train(torch, steps, data)
    got = train(tensorplug, steps, data, init=ref["initial"])
    assert_same_run(ref, got)
