"""Random orders for shuffling and splitting, from a seed or a generator."""

from __future__ import annotations

import math
import random
from typing import Any, Protocol

from ..._creation import randint
from ..._generator import Generator


class _Permutations(Protocol):
    """What samplers need of a generator: ``numpy.random.Generator`` has it."""

    def permutation(self, n: int) -> Any: ...

    def integers(self, low: int, high: int, size: int) -> Any: ...

    def choice(self, n: int, size: int, replace: bool, p: Any) -> Any: ...


class _SeededPermutations:
    """Random orders of ``range(n)`` from Python's generator, seeded once: each call a new
    order, the sequence of orders fixed by the seed."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def permutation(self, n: int) -> list[int]:
        order = list(range(n))
        self._random.shuffle(order)
        return order

    def integers(self, low: int, high: int, size: int) -> list[int]:
        return [self._random.randrange(low, high) for _ in range(size)]

    def choice(self, n: int, size: int, replace: bool, p: Any) -> list[int]:
        """``size`` of ``range(n)`` drawn with probabilities ``p``; without ``replace``, by
        the smallest ``-log(u) / p`` keys (Efraimidis and Spirakis)."""
        weights = [float(w) for w in p]
        if replace:
            return self._random.choices(range(n), weights, k=size)
        keys = [-math.log(1.0 - self._random.random()) / w if w > 0 else math.inf for w in weights]
        return sorted(range(n), key=keys.__getitem__)[:size]


def _seed_from(generator: Any) -> int:
    """A fresh seed: from tensorplug's generator (so ``tensorplug.manual_seed`` fixes it), or
    drawn from ``generator`` when it is a ``tp.Generator`` or a ``numpy.random.Generator``."""
    if isinstance(generator, Generator):
        return int(randint(0, 2**62, (), generator=generator).item())
    if callable(getattr(generator, "integers", None)):
        return int(generator.integers(0, 2**62))
    return int(randint(0, 2**62, ()).item())


def _rng(generator: Any) -> _Permutations:
    """A source of permutations from an int seed, a ``tp.Generator`` (a seed drawn from it) or
    a generator with ``permutation(n)`` (``numpy.random.Generator``); by default seeded from
    tensorplug's generator."""
    if callable(getattr(generator, "permutation", None)):
        return generator  # type: ignore[no-any-return]
    if generator is None or isinstance(generator, Generator):
        generator = _seed_from(generator)
    if isinstance(generator, bool) or not isinstance(generator, int):
        raise TypeError(
            "generator must be a tensorplug.Generator, an int seed or a "
            f"numpy.random.Generator, got "
            f"{type(generator).__name__}"
        )
    return _SeededPermutations(generator)


def _order(gen: _Permutations, n: int) -> list[int]:
    return [int(i) for i in gen.permutation(n)]
