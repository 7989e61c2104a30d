"""Random orders for shuffling and splitting, from a seed or a generator."""

from __future__ import annotations

import random
from typing import Any, Protocol

from ..._creation import randint


class _Permutations(Protocol):
    """What shuffling needs of a generator: ``numpy.random.Generator`` has it."""

    def permutation(self, n: int) -> Any: ...


class _SeededPermutations:
    """Random orders of ``range(n)`` from Python's generator, seeded once: each call a new
    order, the sequence of orders fixed by the seed."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def permutation(self, n: int) -> list[int]:
        order = list(range(n))
        self._random.shuffle(order)
        return order


def _seed_from(generator: Any) -> int:
    """A fresh seed: from tensorplug's generator (so ``tensorplug.manual_seed`` fixes it), or
    drawn from ``generator`` when it is a ``numpy.random.Generator``."""
    if callable(getattr(generator, "integers", None)):
        return int(generator.integers(0, 2**62))
    return int(randint(0, 2**62, ()).item())


def _rng(generator: Any) -> _Permutations:
    """A source of permutations from an int seed or a generator with ``permutation(n)``
    (``numpy.random.Generator``); by default seeded from tensorplug's generator."""
    if callable(getattr(generator, "permutation", None)):
        return generator  # type: ignore[no-any-return]
    if generator is None:
        generator = _seed_from(None)
    if isinstance(generator, bool) or not isinstance(generator, int):
        raise TypeError(
            f"generator must be an int seed or a numpy.random.Generator, got "
            f"{type(generator).__name__}"
        )
    return _SeededPermutations(generator)


def _order(gen: _Permutations, n: int) -> list[int]:
    return [int(i) for i in gen.permutation(n)]
