"""GPT: one training step of a GPT-style decoder (pre-norm blocks of causal self-attention
through ``F.scaled_dot_product_attention`` and a GELU MLP, token and position embeddings,
cross-entropy on the next token, AdamW), float32, side by side with PyTorch at one thread.
The MLP's GELU is GPT-2's tanh approximation; ``--gelu exact`` takes the erf form, where
tensorplug's normal CDF (a Chebyshev fit of erfc, computed in place by the NumPy backend) costs
about 30 array passes forward, the derivative kept for the backward (``gelu_with_derivative``:
the backward is one product; docs/performance.md).

Two sizes, as issue 17 asks: the full one (2 layers, 4 heads, width 128, context 64, batch 16),
where the matmuls dominate (target: at most 1.2x PyTorch), and a small one (width 32, context
16), where the per-op overhead dominates (target: below PyTorch). The model is written once and
built from either library's ``nn`` from the same initial weights.

Run: python benchmarks/bench_gpt.py [--threads 1] [--quick] [--gelu exact]
"""

from __future__ import annotations

from typing import Any

import _harness as H
from _harness import np, tp

VOCAB = 65
SIZES = {  # name: (layers, heads, width, context, batch)
    "GPT step (2 layers, 4 heads, width 128, context 64, batch 16)": (2, 4, 128, 64, 16),
    "GPT small step (2 layers, 4 heads, width 32, context 16, batch 16)": (2, 4, 32, 16, 16),
}


GELU = {"approximate": "tanh"}  # GPT-2's own GELU ("gelu_new"); --gelu exact: PyTorch's erf


def model(lib: Any, layers: int, heads: int, width: int, context: int) -> Any:
    """The same GPT in either library (``lib`` is ``tensorplug`` or ``torch``)."""
    nn, fn = lib.nn, lib.nn.functional

    class Block(nn.Module):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(width), nn.LayerNorm(width)
            self.qkv, self.proj = nn.Linear(width, 3 * width), nn.Linear(width, width)
            self.fc, self.out = nn.Linear(width, 4 * width), nn.Linear(4 * width, width)

        def forward(self, x: Any) -> Any:
            b, t, c = x.shape
            q, k, v = self.qkv(self.ln1(x)).split(c, 2)
            q, k, v = (z.reshape(b, t, heads, c // heads).transpose(1, 2) for z in (q, k, v))
            y = fn.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + self.proj(y.transpose(1, 2).reshape(b, t, c))
            return x + self.out(fn.gelu(self.fc(self.ln2(x)), **GELU))

    class GPT(nn.Module):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.tok, self.pos = nn.Embedding(VOCAB, width), nn.Embedding(context, width)
            self.blocks = nn.ModuleList([Block() for _ in range(layers)])
            self.ln, self.head = nn.LayerNorm(width), nn.Linear(width, VOCAB)

        def forward(self, idx: Any, targets: Any) -> Any:
            x = self.tok(idx) + self.pos.weight[: idx.shape[1]]
            for block in self.blocks:
                x = block(x)
            logits = self.head(self.ln(x))
            return fn.cross_entropy(logits.reshape(-1, VOCAB), targets.reshape(-1))

    return GPT()


def framework_step(lib: Any, size: tuple[int, ...], state: dict[str, Any], data: Any) -> Any:
    net = model(lib, *size[:4])
    net.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
    opt = lib.optim.AdamW(net.parameters(), lr=1e-3)
    idx, targets = lib.tensor(data[0]), lib.tensor(data[1])

    def step() -> float:
        opt.zero_grad()
        loss = net(idx, targets)
        loss.backward()
        opt.step()
        return float(loss.item())

    return step


def impls(size: tuple[int, ...], torch: Any = None) -> dict[str, Any]:
    layers, heads, width, context, batch = size
    tp.manual_seed(0)
    state = {k: v.detach().numpy() for k, v in model(tp, layers, heads, width, context)
             .state_dict().items()}  # fmt: skip
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, VOCAB, (batch, context + 1))
    data = (tokens[:, :-1], tokens[:, 1:])
    out = {"tensorplug": framework_step(tp, size, state, data)}
    if torch is not None:
        out["torch"] = framework_step(torch, size, state, data)
    return out


def run(args: Any) -> list[tuple[str, dict[str, H.Result]]]:
    rounds = args.rounds or (3 if args.quick else 11)
    torch = H.torch_or_none(args)
    rows = []
    for label, size in SIZES.items():
        fns = impls(size, torch)
        rows.append((label, H.compare(label, fns, inner=1, rounds=rounds, warmup=2)))
    return rows


def main() -> None:
    parser = H.common_args(__doc__)
    parser.add_argument("--gelu", choices=("tanh", "exact"), default="tanh")
    args = parser.parse_args()
    GELU["approximate"] = "none" if args.gelu == "exact" else "tanh"
    env = H.setup()
    H.print_env(env)
    print(H.table(run(args)))


if __name__ == "__main__":
    main()
