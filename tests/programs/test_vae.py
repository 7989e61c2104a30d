# The program keeps its published names (F, W_target, netG, B, T, C, ...) and spelling.
# ruff: noqa: N806
"""The variational autoencoder of pytorch/examples (``vae/main.py``), shrunk to 64 inputs.

Linear, ReLU, sigmoid, ``exp``/``randn_like`` in the reparameterization (the noise is passed in,
so the runs stay comparable), ``F.binary_cross_entropy(reduction="sum")``, the KL term written
with ``pow``/``exp``/``sum``, and Adam.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorplug
from program_runs import assert_same_run, load_state, state_of

torch = pytest.importorskip("torch")


def train(torch: Any, steps: int, data: Any, init: Any = None) -> dict[str, Any]:
    nn = torch.nn
    F = torch.nn.functional

    class VAE(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1 = nn.Linear(64, 32)
            self.fc21 = nn.Linear(32, 8)
            self.fc22 = nn.Linear(32, 8)
            self.fc3 = nn.Linear(8, 32)
            self.fc4 = nn.Linear(32, 64)

        def encode(self, x: Any) -> tuple[Any, Any]:
            h1 = F.relu(self.fc1(x))
            return self.fc21(h1), self.fc22(h1)

        def reparameterize(self, mu: Any, logvar: Any, noise: Any) -> Any:
            std = torch.exp(0.5 * logvar)
            eps = torch.randn_like(std) if noise is None else noise
            return mu + eps * std

        def decode(self, z: Any) -> Any:
            h3 = F.relu(self.fc3(z))
            return torch.sigmoid(self.fc4(h3))

        def forward(self, x: Any, noise: Any = None) -> tuple[Any, Any, Any]:
            mu, logvar = self.encode(x.view(-1, 64))
            z = self.reparameterize(mu, logvar, noise)
            return self.decode(z), mu, logvar

    def loss_function(recon_x: Any, x: Any, mu: Any, logvar: Any) -> Any:
        BCE = F.binary_cross_entropy(recon_x, x.view(-1, 64), reduction="sum")
        KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return BCE + KLD

    model = VAE().double()
    initial = load_state(torch, model, init)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    losses = []
    for batch_idx in range(steps):
        x = torch.tensor(data["x"][batch_idx])
        noise = torch.tensor(data["noise"][batch_idx])
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(x, noise)
        loss = loss_function(recon_batch, x, mu, logvar)
        loss.backward()
        losses.append(loss.item())
        optimizer.step()
    model.eval()
    with torch.no_grad():
        sample = model.decode(torch.tensor(data["noise"][0]))
        assert tuple(sample.shape) == (16, 64)
        assert tuple(torch.randn_like(sample).shape) == (16, 64)
        losses.append(sample.sum().item())
    return {"losses": losses, "initial": initial, "final": state_of(model)}


def test_vae_matches_pytorch() -> None:
    rng = np.random.default_rng(2)
    steps = 8
    data = {
        "x": rng.uniform(0, 1, (steps, 16, 1, 8, 8)),
        "noise": rng.standard_normal((steps, 16, 8)),
    }
    ref = train(torch, steps, data)
    got = train(tensorplug, steps, data, init=ref["initial"])
    assert_same_run(ref, got)
