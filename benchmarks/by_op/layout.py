"""Cumulative, layout and contraction ops on medium float32 inputs: ``einsum`` (a matrix
product, a batched one, a three-operand chain), ``cumsum``, ``flip`` and ``roll``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from _harness import np, torch, tp


def _pair(
    fn: Callable[[Any, list[Any]], Any], shapes: list[tuple[int, ...]]
) -> tuple[Callable[[], object], Callable[[], object]]:
    """One forward + backward of ``fn(lib, inputs)`` in each library, on the same values."""
    rng = np.random.default_rng(0)
    host = [rng.standard_normal(s).astype(np.float32) for s in shapes]

    def thunk(lib: Any) -> Callable[[], object]:
        xs = [lib.tensor(h, requires_grad=True) for h in host]

        def step() -> object:
            for x in xs:
                x.grad = None
            fn(lib, xs).sum().backward()
            return xs

        return step

    return thunk(tp), (thunk(torch) if torch is not None else (lambda: None))


def cases() -> list[tuple[str, Callable[[], object], Callable[[], object]]]:
    table: list[tuple[str, Callable[[Any, list[Any]], Any], list[tuple[int, ...]]]] = [
        ("einsum ij,jk->ik 128x128", lambda m, x: m.einsum("ij,jk->ik", *x), [(128, 128)] * 2),
        (
            "einsum bij,bjk->bik 16x64x64",
            lambda m, x: m.einsum("bij,bjk->bik", *x),
            [(16, 64, 64)] * 2,
        ),
        (
            "einsum ij,jk,kl->il 64x256x16x64",
            lambda m, x: m.einsum("ij,jk,kl->il", *x),
            [(64, 256), (256, 16), (16, 64)],
        ),
        (
            "einsum bhqd,bhkd->bhqk 4x4x32x16",
            lambda m, x: m.einsum("bhqd,bhkd->bhqk", *x),
            [(4, 4, 32, 16)] * 2,
        ),
        ("cumsum dim 1 256x256", lambda m, x: m.cumsum(x[0], 1), [(256, 256)]),
        ("cumsum dim 0 256x256", lambda m, x: m.cumsum(x[0], 0), [(256, 256)]),
        ("flip dims 0,1 256x256", lambda m, x: m.flip(x[0], (0, 1)), [(256, 256)]),
        ("roll 5 dim 1 256x256", lambda m, x: m.roll(x[0], 5, 1), [(256, 256)]),
    ]
    return [(label, *_pair(fn, shapes)) for label, fn, shapes in table]
