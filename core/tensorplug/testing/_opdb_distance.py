"""Op-database entry of ``cdist`` (issue 16): every kind of ``p``, broadcast batches, rows
at distance 0 (where the gradient is 0)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

import tensorplug as tp

from ..nn.functional._cdist import cdist
from ._compare import Tol
from ._opinfo import ErrorInput, OpInfo, SampleInput, TorchRef
from ._samples import Gen, S, errors_of, uniform


def _ref(x1: np.ndarray, x2: np.ndarray, p: float = 2.0) -> np.ndarray:
    d = np.abs(x1[..., :, None, :] - x2[..., None, :, :])
    if p == np.inf:
        return np.asarray(d.max(-1))
    if p == 0:
        return np.asarray((d != 0).sum(-1).astype(x1.dtype))
    return np.asarray((d**p).sum(-1) ** (1 / p))


def _samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("p2", (uniform(rng, (4, 3)), uniform(rng, (5, 3))))
    for p in (1.0, 0.5, 3.0, np.inf):
        yield S(f"p{p}", (uniform(rng, (3, 2)), uniform(rng, (4, 2)), p))
    yield S("p0", (uniform(rng, (3, 2)), uniform(rng, (2, 2)), 0.0))
    yield S("batch_broadcast", (uniform(rng, (2, 1, 3, 2)), uniform(rng, (4, 2, 2))))
    a = uniform(rng, (3, 2))
    b = np.concatenate([a[:1], uniform(rng, (2, 2))])
    # At distance 0 the gradient is PyTorch's 0, a kink finite differences cannot check:
    # compared with PyTorch's (tests/ops/test_torch_parity.py) only.
    yield S("zero_distance_p3", (a, b, 3.0), group="forward_only")


def distance_ops() -> list[OpInfo]:
    errors = errors_of(
        ErrorInput(S("columns", (np.ones((2, 3)), np.ones((2, 2)))), RuntimeError,
                   "X1 and X2 must have the same number of columns"),
        ErrorInput(S("negative_p", (np.ones((2, 2)), np.ones((2, 2)), -1.0)), RuntimeError,
                   "cdist only supports non-negative p values"),
        ErrorInput(S("1d", (np.ones(2), np.ones(2))), RuntimeError, "at least 2D tensors"),
    )  # fmt: skip
    f16 = {tp.float16: Tol(1e-2, 1e-3, "float16 powers and sums over several terms")}
    return [OpInfo("cdist", cdist, _ref, _samples, torch_ref=TorchRef("cdist"),
                   errors=errors, tolerances=f16)]  # fmt: skip


__all__: list[Any] = ["distance_ops"]
