# The program keeps its published names (F, W_target, netG, B, T, C, ...) and spelling.
# ruff: noqa: N806
"""The DCGAN of pytorch/examples (``dcgan/main.py``), shrunk to 16x16 images.

ConvTranspose2d, BatchNorm2d (training statistics and running buffers), ReLU,
LeakyReLU(inplace=True), Tanh, Conv2d, the example's ``weights_init`` through ``Module.apply``
and ``nn.init``, BCEWithLogitsLoss, ``torch.full``/``fill_`` labels, ``detach``, and two Adams
with betas (0.5, 0.999).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorplug
from program_runs import assert_same_run, load_state, state_of

torch = pytest.importorskip("torch")

NZ, NGF, NDF, NC = 8, 8, 8, 3


def train(torch: Any, steps: int, data: Any, init: Any = None) -> dict[str, Any]:
    nn = torch.nn
    optim = torch.optim

    def weights_init(m: Any) -> None:
        classname = m.__class__.__name__
        if classname.find("Conv") != -1:
            torch.nn.init.normal_(m.weight, 0.0, 0.02)
        elif classname.find("BatchNorm") != -1:
            torch.nn.init.normal_(m.weight, 1.0, 0.02)
            torch.nn.init.zeros_(m.bias)

    class Generator(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.main = nn.Sequential(
                nn.ConvTranspose2d(NZ, NGF * 2, 4, 1, 0, bias=False),
                nn.BatchNorm2d(NGF * 2),
                nn.ReLU(True),
                nn.ConvTranspose2d(NGF * 2, NGF, 4, 2, 1, bias=False),
                nn.BatchNorm2d(NGF),
                nn.ReLU(True),
                nn.ConvTranspose2d(NGF, NC, 4, 2, 1, bias=False),
                nn.Tanh(),
            )

        def forward(self, input: Any) -> Any:
            return self.main(input)

    class Discriminator(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.main = nn.Sequential(
                nn.Conv2d(NC, NDF, 4, 2, 1, bias=False),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(NDF, NDF * 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(NDF * 2),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(NDF * 2, 1, 4, 1, 0, bias=False),
            )

        def forward(self, input: Any) -> Any:
            return self.main(input).view(-1, 1).squeeze(1)

    torch.manual_seed(3)
    netG = Generator().double()
    netG.apply(weights_init)
    netD = Discriminator().double()
    netD.apply(weights_init)
    initial_g = load_state(torch, netG, init and init["G"])
    initial_d = load_state(torch, netD, init and init["D"])
    criterion = nn.BCEWithLogitsLoss()
    real_label, fake_label = 1, 0
    optimizerD = optim.Adam(netD.parameters(), lr=0.0002, betas=(0.5, 0.999))
    optimizerG = optim.Adam(netG.parameters(), lr=0.0002, betas=(0.5, 0.999))
    losses = []
    for i in range(steps):
        # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
        netD.zero_grad()
        real_cpu = torch.tensor(data["real"][i])
        batch_size = real_cpu.size(0)
        label = torch.full((batch_size,), real_label, dtype=real_cpu.dtype)
        output = netD(real_cpu)
        errD_real = criterion(output, label)
        errD_real.backward()
        D_x = output.mean().item()
        noise = torch.tensor(data["noise"][i])
        fake = netG(noise)
        label.fill_(fake_label)
        output = netD(fake.detach())
        errD_fake = criterion(output, label)
        errD_fake.backward()
        D_G_z1 = output.mean().item()
        errD = errD_real + errD_fake
        optimizerD.step()
        # (2) Update G network: maximize log(D(G(z)))
        netG.zero_grad()
        label.fill_(real_label)
        output = netD(fake)
        errG = criterion(output, label)
        errG.backward()
        D_G_z2 = output.mean().item()
        optimizerG.step()
        losses += [errD.item(), errG.item(), D_x, D_G_z1, D_G_z2]
    final = {f"G.{k}": v for k, v in state_of(netG).items()}
    final.update({f"D.{k}": v for k, v in state_of(netD).items()})
    return {"losses": losses, "initial": {"G": initial_g, "D": initial_d}, "final": final}


def test_dcgan_matches_pytorch() -> None:
    rng = np.random.default_rng(3)
    steps = 4
    data = {
        "real": rng.uniform(-1, 1, (steps, 4, NC, 16, 16)),
        "noise": rng.standard_normal((steps, 4, NZ, 1, 1)),
    }
    ref = train(torch, steps, data)
    got = train(tensorplug, steps, data, init=ref["initial"])
    assert_same_run(ref, got)
