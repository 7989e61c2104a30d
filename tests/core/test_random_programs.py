"""Random programs (op chains with reuse, in-place ops and indexed assignment on non-leaf
tensors) run in PyTorch and tensorplug: the same value and the same first and second
derivatives. Each seed is one reproducible program."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tensorplug as tp

torch = pytest.importorskip("torch")

Op = Callable[..., Any]

UNARY: list[Op] = [
    lambda lib, a: a.exp() * 0.1,
    lambda lib, a: a.tanh(),
    lambda lib, a: a.sigmoid(),
    lambda lib, a: (a * a + 1).log(),
    lambda lib, a: a.relu(),
    lambda lib, a: a.abs(),
    lambda lib, a: a.sin(),
    lambda lib, a: a.clamp(-0.5, 0.5),
    lambda lib, a: a**2,
    lambda lib, a: a.t(),
    lambda lib, a: a.softmax(1),
    lambda lib, a: a.log_softmax(0),
    lambda lib, a: a.sum(0, keepdim=True).expand(3, 3),
    lambda lib, a: a.mean(1, keepdim=True) * a,
    lambda lib, a: a.max(1, keepdim=True).values - a,
    lambda lib, a: a[lib.tensor([2, 0, 0])],
    lambda lib, a: a[[2, 1, 0]],
    lambda lib, a: lib.cat([a[:1], a[1:] * 2]),
    lambda lib, a: a.reshape(9).reshape(3, 3),
    lambda lib, a: a.permute(1, 0),
    lambda lib, a: lib.where(a > 0, a, a * 0.1),
    lambda lib, a: a.std(0, keepdim=True) + a,
    lambda lib, a: a.detach() * a,
    lambda lib, a: a.clone(),
    lambda lib, a: a.norm(dim=1, keepdim=True) + a,
    lambda lib, a: a.prod(1, keepdim=True) + a,
    lambda lib, a: a.var(1, keepdim=True) * a,
    lambda lib, a: a.logsumexp(0) + a,
    lambda lib, a: a.amax(dim=(0, 1)) - a.amin(0),
    lambda lib, a: a.min(0).values + a,
    lambda lib, a: 1 - a,
    lambda lib, a: 2 / (a * a + 1),
    lambda lib, a: 2**a,
    lambda lib, a: (a * a + 0.5) ** a,
    lambda lib, a: a[a > 0].sum() + a,
    lambda lib, a: lib.cat(a.split([1, 2], 1), 1) * a.chunk(3)[0],
    lambda lib, a: a.unsqueeze(0).squeeze(0),
    lambda lib, a: lib.bmm(a.unsqueeze(0), a.unsqueeze(0))[0],
    lambda lib, a: (
        lib.nn.functional.cross_entropy(a, lib.tensor([0, 2, 1]), reduction="none").unsqueeze(1) + a
    ),
    lambda lib, a: a.norm(p=1, dim=0) + a,
    lambda lib, a: a.transpose(0, 1)[1:, None].squeeze(1).sum(0) + a,
    lambda lib, a: lib.nn.functional.linear(a, a, a[0]),
    lambda lib, a: a.clamp(min=0.1) * a.clamp(max=-0.1),
]
BINARY: list[Op] = [
    lambda lib, a, b: a + b,
    lambda lib, a, b: a * b,
    lambda lib, a, b: a - b,
    lambda lib, a, b: a / (b * b + 1),
    lambda lib, a, b: a @ b,
    lambda lib, a, b: lib.maximum(a, b),
    lambda lib, a, b: lib.stack([a, b]).sum(0),
    lambda lib, a, b: lib.nn.functional.mse_loss(a, b, reduction="none"),
]
INPLACE: list[Op] = [
    # through views: recorded on the base (CopySlices)
    lambda lib, a, b: a[0].mul_(b[0]),
    lambda lib, a, b: a.t()[1].add_(b[1]),
    lambda lib, a, b: a[:, 1:].clamp_(-1, 1),
    lambda lib, a, b: a[1].__setitem__(2, b[0, 0]),
    lambda lib, a, b: a.view(9)[::2].sub_(b.reshape(9)[1::2]),
    lambda lib, a, b: a[1:][0].div_(b[0] * b[0] + 1),
    lambda lib, a, b: a[0].copy_(b[2]),
    lambda lib, a, b: a[2].zero_(),
    lambda lib, a, b: a.unsqueeze(0)[0, 1].mul_(2),
    lambda lib, a, b: a.permute(1, 0)[0][1:].add_(b[0, :2]),
    lambda lib, a, b: a.add_(b),
    lambda lib, a, b: a.mul_(b),
    lambda lib, a, b: a.sub_(b, alpha=0.5),
    lambda lib, a, b: a.clamp_(-1, 1),
    lambda lib, a, b: a.div_(b * b + 1),
    lambda lib, a, b: a.copy_(b),
]


def program(seed: int, lib: Any, leaves: list[Any]) -> Any:
    """A random computation over ``leaves``, the same for both libraries given ``seed``."""
    rng = random.Random(seed)
    vals = list(leaves)
    for _ in range(rng.randint(3, 12)):
        k = rng.random()
        if k < 0.45:
            vals.append(rng.choice(UNARY)(lib, rng.choice(vals)))
        elif k < 0.85:
            vals.append(rng.choice(BINARY)(lib, rng.choice(vals), rng.choice(vals)))
        elif k < 0.95:
            made = vals[len(leaves) :]
            if not made:
                continue
            a = rng.choice(made) * 1
            rng.choice(INPLACE)(lib, a, rng.choice(vals))
            vals.append(a)
        else:
            a = rng.choice(vals) * 1
            a[rng.randint(0, 2)] = rng.choice(vals)[0] * 2
            vals.append(a)
    made = vals[len(leaves) :]
    if not made:
        return vals[0].sum()
    total = made[0].sum()
    for i, v in enumerate(made[1:], 2):
        total = total + (v * i).sum()
    return total


def _run(seed: int, lib: Any, order: int) -> tuple[float, list[np.ndarray | None]]:
    rng = np.random.default_rng(seed)
    leaves = [
        lib.tensor(rng.normal(size=(3, 3)), dtype=lib.float64, requires_grad=True) for _ in range(3)
    ]
    out = program(seed, lib, leaves)
    grads = lib.autograd.grad(out, leaves, allow_unused=True, create_graph=order == 2)
    if order == 2:
        used = [g for g in grads if g is not None and g.requires_grad]
        if not used:
            return out.item(), [None] * len(leaves)
        total = (used[0] * used[0]).sum()
        for g in used[1:]:
            total = total + (g * g).sum()
        grads = lib.autograd.grad(total, leaves, allow_unused=True)
    return out.item(), [None if g is None else _array(lib, g) for g in grads]


def _array(lib: Any, g: Any) -> np.ndarray:
    # PyTorch may return an unmaterialised zero tensor, which has no data to convert.
    return np.array((g.detach() + lib.zeros(tuple(g.shape), dtype=lib.float64)).tolist())


def _check(seed: int, order: int) -> None:
    try:
        want_value, want = _run(seed, torch, order)
    except (RuntimeError, IndexError):
        # Some random programs mix shapes that do not broadcast: an error in both libraries.
        with pytest.raises((RuntimeError, IndexError, ValueError)):
            _run(seed, tp, order)
        return
    value, got = _run(seed, tp, order)
    np.testing.assert_allclose(value, want_value, rtol=1e-9)
    for g, w in zip(got, want):
        if g is None or w is None:
            nonzero = w if g is None else g
            assert nonzero is None or not np.any(nonzero), f"seed {seed}"
            continue
        np.testing.assert_allclose(g, w, rtol=1e-8, atol=1e-10, err_msg=f"seed {seed}")


@pytest.mark.filterwarnings("ignore:Using a target size")
@pytest.mark.filterwarnings("ignore:mse_loss")
@pytest.mark.parametrize("block", range(6))
def test_random_programs_first_order(block: int) -> None:
    for seed in range(block * 40, block * 40 + 40):
        _check(seed, 1)


@pytest.mark.filterwarnings("ignore:Using a target size")
@pytest.mark.filterwarnings("ignore:mse_loss")
@pytest.mark.parametrize("block", range(3))
def test_random_programs_second_order(block: int) -> None:
    for seed in range(1000 + block * 30, 1000 + block * 30 + 30):
        _check(seed, 2)
