"""Random generators: ``tp.Generator``, the default generator and ``manual_seed``.

Every backend has one generator behind its random kernels (``random_uniform``,
``random_normal``, ``random_integers``): the *default stream*, which ``tp.manual_seed``
reseeds on every backend, loaded now or later. A ``tp.Generator`` is an independent stream:
for each backend it is used with it asks the backend's generator (``Backend.rng``, see
``RandomGenerator`` in ``_contract.py``) for a new one seeded with its seed (``fork``), and
draws from that. The core never touches an array library: it only calls these objects.

A generator's state (``get_state``) is its seed and the state of each stream it made, as
JSON bytes in an int64 tensor (PyTorch's is a uint8 tensor; tensorplug has no uint8).
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from . import _dtype as D
from ._backend import Backend, Device, UnsupportedOperation
from ._contract import Array, RandomGenerator, Shape
from ._plugins import REGISTRY
from ._tensor import Tensor

DEFAULT_SEED = 67280421310721
"""The seed of a new ``Generator`` (PyTorch's ``default_rng_seed_val``)."""

_seed: list[int] = [secrets.randbits(63)]
"""The default stream's seed: random per process until ``manual_seed``."""
_seeded: dict[int, int] = {}
"""``id(backend)`` -> the seed last applied to that backend's default stream."""


def _check_seed(seed: Any) -> int:
    """``seed`` as PyTorch takes it: an int in ``[-2**63, 2**64)``, negative ones wrapped."""
    if isinstance(seed, Tensor):
        seed = seed.item()
    if not isinstance(seed, int):
        raise TypeError(f"manual_seed expects an int, got {type(seed).__name__}")
    if not -(2**63) <= seed < 2**64:
        raise RuntimeError(f"Overflow when unpacking long: seed {seed} is out of range")
    return int(seed) % 2**64


def seed_backend(be: Backend) -> None:
    """Apply the last ``manual_seed`` to a backend loaded after it was called."""
    s = _seed[0]
    if _seeded.get(id(be)) != s:
        be.manual_seed(s)
        _seeded[id(be)] = s


def manual_seed(seed: int) -> Generator:
    """Seed the default stream of every backend (loaded now or later); returns
    ``default_generator``, as PyTorch does.

    Example:
        >>> import tensorplug as tp
        >>> _ = tp.manual_seed(0); a = tp.rand(2)
        >>> _ = tp.manual_seed(0); bool((tp.rand(2) == a).all())
        True
    """
    _seed[0] = _check_seed(seed)
    _seeded.clear()
    for be in list(REGISTRY.loaded.values()):
        seed_backend(be)
    return default_generator


def seed() -> int:
    """Seed the default streams with a nondeterministic seed, and return it."""
    s = secrets.randbits(63)
    manual_seed(s)
    return s


def initial_seed() -> int:
    """The seed of the default streams (the last ``manual_seed``, else a random one)."""
    return _seed[0]


def _key(be: Backend) -> str:
    """The name a stream for ``be`` has in a state: the backend and its device."""
    return f"{be.name}@{be.info.get('device', be.device_type)}"


def _rng(be: Backend, op: str) -> RandomGenerator:
    if be.rng is None:
        raise UnsupportedOperation(
            f"{op}: backend '{be.name}' does not make independent random streams "
            "(Backend.rng), so it cannot draw from a tp.Generator; leave generator= out"
        )
    return be.rng


def _state_tensor(doc: dict[str, Any]) -> Tensor:
    from ._creation import tensor

    return tensor(list(json.dumps(doc).encode()), dtype=D.int64, device="cpu")


def _read_state(new_state: Any) -> dict[str, Any]:
    if not isinstance(new_state, Tensor):
        raise TypeError(f"set_state expects a Tensor, got {type(new_state).__name__}")
    try:
        doc: dict[str, Any] = json.loads(bytes(int(v) for v in new_state.reshape(-1).tolist()))
        if not isinstance(doc["seed"], int) or not isinstance(doc["streams"], dict):
            raise TypeError
    except (ValueError, TypeError, KeyError):
        raise RuntimeError(
            "set_state: the tensor is not a generator state (one that get_state() returned)"
        ) from None
    return doc


class Generator:
    """An independent source of random numbers, as ``torch.Generator``: pass it as
    ``generator=`` to the random functions. Same seed, same numbers.

    Example:
        >>> import tensorplug as tp
        >>> g = tp.Generator().manual_seed(42)
        >>> a = tp.rand(3, generator=g)
        >>> bool((tp.rand(3, generator=tp.Generator().manual_seed(42)) == a).all())
        True
    """

    def __init__(self, device: Any = "cpu") -> None:
        self.device = Device.parse(device)
        self._initial_seed = DEFAULT_SEED
        self._streams: dict[Backend, RandomGenerator] = {}
        self._pending: dict[str, Any] = {}  # states set for streams not made yet

    def __repr__(self) -> str:
        return f"<tensorplug.Generator device={self.device}>"

    def manual_seed(self, seed: int) -> Generator:
        """Restart from ``seed``; returns the generator."""
        self._initial_seed = _check_seed(seed)
        self._streams.clear()
        self._pending.clear()
        return self

    def seed(self) -> int:
        """Restart from a nondeterministic seed, and return it."""
        s = secrets.randbits(63)
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._initial_seed

    def get_state(self) -> Tensor:
        """The seed and the state of every stream, as an int64 tensor."""
        streams = dict(self._pending)
        streams.update({_key(be): g.get_state() for be, g in self._streams.items()})
        return _state_tensor({"seed": self._initial_seed, "streams": streams})

    def set_state(self, new_state: Tensor) -> Generator:
        """Go back to a state ``get_state`` returned."""
        doc = _read_state(new_state)
        self._initial_seed = doc["seed"]
        self._streams.clear()
        self._pending = dict(doc["streams"])
        return self

    def stream(self, be: Backend, op: str) -> RandomGenerator | None:
        """This generator's stream on ``be`` (``None``: the backend's default stream)."""
        g = self._streams.get(be)
        if g is None:
            if be.device_type != self.device.type:
                raise RuntimeError(
                    f"Expected a '{be.device_type}' device type for generator but found "
                    f"'{self.device.type}'"
                )
            g = _rng(be, op).fork(self._initial_seed)
            state = self._pending.pop(_key(be), None)
            if state is not None:
                g.set_state(state)
            self._streams[be] = g
        return g


class _DefaultGenerator(Generator):
    """``tp.default_generator``: the backends' default streams, behind the random kernels.
    Its state holds the default streams of the loaded CPU backends."""

    def manual_seed(self, seed: int) -> Generator:
        return manual_seed(seed)

    def seed(self) -> int:
        return seed()

    def initial_seed(self) -> int:
        return _seed[0]

    def _cpu_backends(self) -> list[Backend]:
        found = [be for be in REGISTRY.loaded.values() if be.device_type == "cpu" and be.rng]
        for be in found:
            seed_backend(be)
        return found

    def get_state(self) -> Tensor:
        streams = {_key(be): _rng(be, "get_state").get_state() for be in self._cpu_backends()}
        return _state_tensor({"seed": _seed[0], "streams": streams})

    def set_state(self, new_state: Tensor) -> Generator:
        doc = _read_state(new_state)
        _seed[0] = doc["seed"]
        for be in list(REGISTRY.loaded.values()):
            state = doc["streams"].get(_key(be)) if be.device_type == "cpu" else None
            if state is not None and be.rng is not None:
                be.rng.set_state(state)
            elif be.device_type == "cpu":
                be.manual_seed(_seed[0])
            _seeded[id(be)] = _seed[0]  # other devices keep their streams, as in PyTorch
        return self

    def stream(self, be: Backend, op: str) -> RandomGenerator | None:
        seed_backend(be)
        return None


default_generator: Generator = _DefaultGenerator()


def get_rng_state() -> Tensor:
    """The default generator's state (``set_rng_state`` restores it)."""
    return default_generator.get_state()


def set_rng_state(new_state: Tensor) -> None:
    default_generator.set_state(new_state)


def _stream(be: Backend, generator: Any, op: str) -> RandomGenerator | None:
    if generator is None:
        seed_backend(be)
        return None
    if not isinstance(generator, Generator):
        raise TypeError(
            f"{op}(): argument 'generator' must be tensorplug.Generator, not "
            f"{type(generator).__name__}"
        )
    return generator.stream(be, op)


def uniform(be: Backend, shape: Shape, d: D.dtype, generator: Any, op: str) -> Array:
    """``U[0, 1)`` samples from ``generator`` (``None``: the default stream)."""
    g = _stream(be, generator, op)
    return be.k.random_uniform(shape, d) if g is None else g.uniform(shape, d)


def normal(be: Backend, shape: Shape, d: D.dtype, generator: Any, op: str) -> Array:
    """``N(0, 1)`` samples from ``generator`` (``None``: the default stream)."""
    g = _stream(be, generator, op)
    return be.k.random_normal(shape, d) if g is None else g.normal(shape, d)


def integers(
    be: Backend, low: int, high: int, shape: Shape, d: D.dtype, generator: Any, op: str
) -> Array:
    """Integers uniform in ``[low, high)`` from ``generator`` (``None``: the default stream)."""
    g = _stream(be, generator, op)
    if g is None:
        return be.k.random_integers(low, high, shape, d)
    return g.integers(low, high, shape, d)
