"""The training family: a small MLP and a small CNN trained a few steps with Adam on the
backend under test and on NumPy from the same start, their parameters compared.

Every other family checks one op; this one checks what users run: forward, loss, backward
through every layer, gradient accumulation and the optimizer's in-place updates, several
steps deep (an immutable backend's functional writes included). Both runs start from the
same parameters (made on NumPy, then moved with ``Module.to``) and the same batches.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import _dtype as D
from .._creation import tensor
from .._generator import manual_seed
from .._plugins import use_backend
from ..nn import Conv2d, Flatten, Linear, MaxPool2d, Module, ReLU, Sequential, Tanh
from ..nn.functional import cross_entropy
from ..optim import Adam

STEPS = 4
"""Adam steps per run: enough for the moments to matter, few enough to stay a quick check."""


def mlp() -> Module:
    return Sequential(Linear(6, 16), Tanh(), Linear(16, 16), ReLU(), Linear(16, 3))


def cnn() -> Module:
    return Sequential(
        Conv2d(1, 4, 3, padding=1), ReLU(), MaxPool2d(2), Conv2d(4, 6, 3), Flatten(), Linear(24, 3)
    )


MODELS: dict[str, tuple[Callable[[], Module], tuple[int, ...]]] = {
    "mlp": (mlp, (8, 6)),
    "cnn": (cnn, (8, 1, 8, 8)),
}
"""Name -> (the model, the shape of one input batch)."""


def train(model: str, backend: str, d: D.dtype, steps: int = STEPS) -> list[np.ndarray]:
    """``model``'s parameters (host arrays) after ``steps`` Adam steps on ``backend``."""
    make, shape = MODELS[model]
    manual_seed(0)
    with use_backend("numpy"):
        net = make()
    net.to(backend, dtype=d)
    opt = Adam(net.parameters(), lr=0.05)
    data = np.random.default_rng(1)
    for _ in range(steps):
        x = tensor(data.standard_normal(shape), dtype=d, backend=backend)
        # Class probabilities as targets: no integer-index gradient, which needs the
        # optional scatter_add (array-api-strict has none).
        y = tensor(np.eye(3)[data.integers(0, 3, shape[0])], dtype=d, backend=backend)
        opt.zero_grad()
        loss = cross_entropy(net(x), y)
        loss.backward()
        opt.step()
    return [p.detach().numpy() for p in net.parameters()]
