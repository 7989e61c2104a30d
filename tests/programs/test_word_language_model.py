# The program keeps its published names (F, W_target, netG, B, T, C, ...) and spelling.
"""A word-level language model in the style of pytorch/examples (``word_language_model``).

The example's ``batchify`` (``narrow``, ``view``, ``t().contiguous()``) and ``get_batch``
(slicing, ``view(-1)``), an Embedding feeding a Linear decoder with tied weights, Dropout,
CrossEntropyLoss, ``clip_grad_norm_`` and Adam, and the perplexity printout.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import tensorplug
from program_runs import assert_same_run, load_state, state_of

torch = pytest.importorskip("torch")

NTOKENS, EMSIZE, BPTT = 50, 16, 6


def train(torch: Any, steps: int, data: Any, init: Any = None) -> dict[str, Any]:
    nn = torch.nn

    class BagModel(nn.Module):
        """Container module with an encoder, a mixing layer and a decoder (weights tied)."""

        def __init__(self, ntoken: int, ninp: int, dropout: float = 0.0) -> None:
            super().__init__()
            self.ntoken = ntoken
            self.drop = nn.Dropout(dropout)
            self.encoder = nn.Embedding(ntoken, ninp)
            self.mix = nn.Linear(ninp, ninp)
            self.decoder = nn.Linear(ninp, ntoken)
            self.decoder.weight = self.encoder.weight
            self.init_weights()

        def init_weights(self) -> None:
            initrange = 0.1
            nn.init.uniform_(self.encoder.weight, -initrange, initrange)
            nn.init.zeros_(self.decoder.bias)

        def forward(self, input: Any) -> Any:
            emb = self.drop(self.encoder(input))
            output = self.drop(torch.tanh(self.mix(emb)))
            decoded = self.decoder(output)
            decoded = decoded.view(-1, self.ntoken)
            return decoded

    def batchify(data: Any, bsz: int) -> Any:
        nbatch = data.size(0) // bsz
        data = data.narrow(0, 0, nbatch * bsz)
        return data.view(bsz, -1).t().contiguous()

    def get_batch(source: Any, i: int) -> tuple[Any, Any]:
        seq_len = min(BPTT, len(source) - 1 - i)
        data = source[i : i + seq_len]
        target = source[i + 1 : i + 1 + seq_len].view(-1)
        return data, target

    torch.manual_seed(4)
    train_data = batchify(torch.tensor(data["corpus"]), 4)
    model = BagModel(NTOKENS, EMSIZE).double()
    initial = load_state(torch, model, init)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    model.train()
    losses, printed = [], []
    for batch, i in enumerate(range(0, train_data.size(0) - 1, BPTT)):
        if batch == steps:
            break
        data_, targets = get_batch(train_data, i)
        model.zero_grad()
        output = model(data_)
        loss = criterion(output, targets)
        loss.backward()
        total = torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        optimizer.step()
        losses += [loss.item(), total.item()]
        cur_loss = loss.item()
        ppl = math.exp(cur_loss)
        printed.append(f"| {batch:5d} batches | loss {cur_loss:5.2f} | ppl {ppl:8.2f}")
    assert model.decoder.weight is model.encoder.weight
    return {"losses": losses, "printed": printed, "initial": initial, "final": state_of(model)}


def test_word_language_model_matches_pytorch() -> None:
    rng = np.random.default_rng(4)
    steps = 8
    data = {"corpus": rng.integers(0, NTOKENS, 4 * (BPTT * steps + 1))}
    ref = train(torch, steps, data)
    got = train(tensorplug, steps, data, init=ref["initial"])
    assert len(ref["losses"]) == 2 * steps
    assert_same_run(ref, got)
