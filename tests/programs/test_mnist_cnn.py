# The program keeps its published names (F, W_target, netG, B, T, C, ...) and spelling.
# ruff: noqa: N806
"""The MNIST CNN of pytorch/examples (``mnist/main.py``), shrunk to 14x14 inputs.

Conv2d, ReLU, max_pool2d, Dropout (p=0, so the runs stay comparable), flatten, Linear,
log_softmax and nll_loss / cross_entropy, SGD with momentum under StepLR, and the example's
evaluation loop (``argmax(keepdim=True)``, ``eq(view_as)``, ``sum().item()``).
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
    optim = torch.optim
    from_lr = torch.optim.lr_scheduler

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 4, 3, 1)
            self.conv2 = nn.Conv2d(4, 8, 3, 1)
            self.dropout1 = nn.Dropout(0.0)
            self.dropout2 = nn.Dropout(0.0)
            self.fc1 = nn.Linear(200, 32)
            self.fc2 = nn.Linear(32, 10)

        def forward(self, x: Any) -> Any:
            x = self.conv1(x)
            x = F.relu(x)
            x = self.conv2(x)
            x = F.relu(x)
            x = F.max_pool2d(x, 2)
            x = self.dropout1(x)
            x = torch.flatten(x, 1)
            x = self.fc1(x)
            x = F.relu(x)
            x = self.dropout2(x)
            x = self.fc2(x)
            return F.log_softmax(x, dim=1)

    torch.manual_seed(1)
    model = Net().double()
    initial = load_state(torch, model, init)
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    scheduler = from_lr.StepLR(optimizer, step_size=1, gamma=0.7)
    images, labels = torch.tensor(data["images"]), torch.tensor(data["labels"])
    losses, printed = [], []
    for epoch in range(1, 3):
        model.train()
        for batch_idx in range(steps):
            data_, target = images[batch_idx * 8 : (batch_idx + 1) * 8], labels[batch_idx * 8 :][:8]
            optimizer.zero_grad()
            output = model(data_)
            loss = F.nll_loss(output, target)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            printed.append(
                f"Train Epoch: {epoch} [{batch_idx * len(data_)}]\tLoss: {loss.item():.6f}"
            )
        model.eval()
        test_loss, correct = 0.0, 0
        with torch.no_grad():
            output = model(images)
            test_loss += F.cross_entropy(output, labels, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(labels.view_as(pred)).sum().item()
        losses.append(test_loss / len(images))
        printed.append(f"Test set: Accuracy: {correct}/{len(images)}, lr {scheduler.get_last_lr()}")
        scheduler.step()
    return {"losses": losses, "printed": printed, "initial": initial, "final": state_of(model)}


def test_mnist_cnn_matches_pytorch() -> None:
    rng = np.random.default_rng(0)
    steps = 4
    data = {
        "images": rng.standard_normal((8 * steps, 1, 14, 14)),
        "labels": rng.integers(0, 10, 8 * steps),
    }
    ref = train(torch, steps, data)
    got = train(tensorplug, steps, data, init=ref["initial"])
    assert_same_run(ref, got)
