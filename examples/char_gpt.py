"""Train a small GPT-style character model on the source of a Python standard-library module
(it ships with Python: no download), printing a falling loss with a progress bar, then sample.

The model: token and position embeddings, pre-norm blocks of causal self-attention through
``F.scaled_dot_product_attention`` and a GELU MLP, a final ``LayerNorm`` and a linear head;
AdamW on the next character's cross-entropy. Written as one writes it for PyTorch.

Run: python examples/char_gpt.py [--quick] [--steps N] [--backend NAME] [--seed S]
     full mode (the default): 4 layers, width 128, context 64, 2000 steps (minutes on a CPU);
     --quick: 2 layers, width 32, context 32, 60 steps (seconds; what CI runs).
"""

from __future__ import annotations

import argparse
import difflib
import time
from pathlib import Path

import tensorplug as tp
import tensorplug.nn.functional as F
from tensorplug import nn, optim


class Block(nn.Module):
    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.qkv, self.proj = nn.Linear(width, 3 * width), nn.Linear(width, width)
        self.fc, self.out = nn.Linear(width, 4 * width), nn.Linear(4 * width, width)

    def forward(self, x: tp.Tensor) -> tp.Tensor:
        b, t, c = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(c, 2)
        q, k, v = (z.reshape(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(y.transpose(1, 2).reshape(b, t, c))
        return x + self.out(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, vocab: int, width: int, heads: int, layers: int, context: int) -> None:
        super().__init__()
        self.tok, self.pos = nn.Embedding(vocab, width), nn.Embedding(context, width)
        self.blocks = nn.ModuleList([Block(width, heads) for _ in range(layers)])
        self.ln, self.head = nn.LayerNorm(width), nn.Linear(width, vocab)

    def forward(self, idx: tp.Tensor) -> tp.Tensor:
        x = self.tok(idx) + self.pos.weight[: idx.shape[1]]
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln(x))


def progress(step: int, total: int, loss: float, start: float) -> str:
    done = int(30 * step / total)
    bar = "#" * done + "." * (30 - done)
    return f"[{bar}] {step}/{total} loss {loss:.3f} ({time.perf_counter() - start:.0f}s)"


def sample(model: GPT, start: list[int], n: int, context: int, temperature: float) -> list[int]:
    """``n`` more characters, each drawn from the model's distribution for the next one."""
    out = list(start)
    model.eval()
    with tp.no_grad():
        for _ in range(n):
            idx = tp.tensor([out[-context:]])
            probs = F.softmax(model(idx)[0, -1] / temperature, -1)
            out.append(int(tp.multinomial(probs, 1).item()))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small model, a few steps (CI)")
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--backend", default=None, help="e.g. cupy where a GPU exists")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.backend:
        tp.set_default_backend(args.backend)
    tp.manual_seed(args.seed)
    layers, width, context, steps, batch = (
        (2, 32, 32, 60, 16) if args.quick else (4, 128, 64, 2000, 32)
    )
    steps = args.steps or steps
    text = Path(difflib.__file__).read_text(encoding="utf-8")
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    data = tp.tensor([index[c] for c in text])
    print(f"{len(text)} characters of {Path(difflib.__file__).name}, {len(chars)} distinct")
    model = GPT(len(chars), width, 4, layers, context)
    opt = optim.AdamW(model.parameters(), lr=3e-3 if args.quick else 1e-3)
    start = time.perf_counter()
    for step in range(1, steps + 1):
        at = tp.randint(0, len(text) - context - 1, (batch,)).tolist()
        x = tp.stack([data[i : i + context] for i in at])
        y = tp.stack([data[i + 1 : i + context + 1] for i in at])
        loss = F.cross_entropy(model(x).reshape(-1, len(chars)), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step == 1 or step % max(1, steps // 10) == 0 or step == steps:
            print(progress(step, steps, loss.item(), start), flush=True)
    prompt = [index[c] for c in "def "]
    out = sample(model, prompt, 80 if args.quick else 400, context, 0.8)
    print("sample:")
    print("".join(chars[i] for i in out))


if __name__ == "__main__":
    main()
