"""Shared pieces of the op database: deterministic value generators, sample families for
pointwise ops, and helpers for error inputs and result dtypes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .. import _dtype as D
from ._compare import Tol
from ._opinfo import INTS, ErrorInput, SampleInput, TorchRef, Variant, method

Gen = np.random.Generator
S = SampleInput

SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.5])
"""±0, ±inf and NaN, plus ordinary values, for the ``special`` group."""

F16_SUM = Tol(1e-3, 1e-2, "float16 accumulation over several terms")
F16_GRAD = Tol(2e-2, 2e-2, "float16 gradient through several rounded steps")


def uniform(rng: Gen, shape: tuple[int, ...], lo: float = -2.0, hi: float = 2.0) -> np.ndarray:
    return np.asarray(rng.uniform(lo, hi, shape), dtype=np.float64)


def away(rng: Gen, shape: tuple[int, ...], margin: float = 0.25) -> np.ndarray:
    """Values in ±[margin, 2], away from the kink at 0 of abs/relu/sign."""
    mag = rng.uniform(margin, 2.0, shape)
    return np.asarray(np.sign(rng.uniform(-1, 1, shape) + 1e-9) * mag, dtype=np.float64)


def distinct(rng: Gen, shape: tuple[int, ...]) -> np.ndarray:
    """A permutation of well-separated values: no ties for max/min/sort-like ops."""
    n = int(np.prod(shape))
    return (rng.permutation(n).astype(np.float64) * 0.5 - n / 4 + 0.125).reshape(shape)


def unary(
    lo: float = -2.0, hi: float = 2.0, *, kink: bool = False
) -> Callable[[Gen], Iterator[SampleInput]]:
    def gen(rng: Gen) -> Iterator[SampleInput]:
        def x(*shape: int) -> np.ndarray:
            return away(rng, shape) if kink else uniform(rng, shape, lo, hi)

        yield S("nd", (x(3, 4),))
        yield S("0d", (x(),))
        yield S("1d", (x(5),))
        yield S("3d", (x(2, 3, 2),))
        yield S("empty", (x(0, 3),))
        yield S("special", (SPECIAL.copy(),), group="special")

    return gen


def binary(
    lo: float = -2.0,
    hi: float = 2.0,
    rlo: float | None = None,
    rhi: float | None = None,
    *,
    kink: bool = False,
    scalar: Any = 2,
) -> Callable[[Gen], Iterator[SampleInput]]:
    rlo = lo if rlo is None else rlo
    rhi = hi if rhi is None else rhi

    def gen(rng: Gen) -> Iterator[SampleInput]:
        def a(*shape: int) -> np.ndarray:
            return uniform(rng, shape, lo, hi)

        def b(*shape: int) -> np.ndarray:
            # Operands of max/min differ by at least 0.25, so no ties.
            # ``np.asarray``: 0-d arithmetic gives NumPy scalars, not arrays.
            return (
                np.asarray(a(*shape) + away(rng, shape)) if kink else uniform(rng, shape, rlo, rhi)
            )

        x = a(3, 4)
        yield S("nd", (x, b(3, 4) if not kink else x + away(rng, (3, 4))))
        yield S("0d", (a(), b()))
        yield S("1d", (a(5), b(5)))
        r = a(4)
        yield S(
            "broadcast_rhs",
            (a(3, 4) if not kink else r + away(rng, (3, 4)), b(4) if not kink else r),
            broadcasts=True,
        )
        c = a(3, 1)
        yield S("broadcast_both", (c, b(1, 4) if not kink else c.T + 5.0), broadcasts=True)
        yield S("0d_rhs", (a(2, 3), b() if not kink else np.array(10.0)), broadcasts=True)
        if scalar is not None:
            yield S("scalar_rhs", (a(3, 2), scalar))
        yield S("empty", (a(0, 4), b(0, 4)))
        yield S("special", (SPECIAL.copy(), SPECIAL[::-1].copy()), group="special")
        if not kink:
            # Each operand gains dimensions from the other, of different ranks.
            yield S("broadcast_ranks", (a(2, 3, 1), b(3, 4)), broadcasts=True)

    return gen


def broadcast_errors() -> Callable[[], Iterator[ErrorInput]]:
    def gen() -> Iterator[ErrorInput]:
        yield ErrorInput(
            S("mismatched_shapes", (np.ones((2, 3)), np.ones((4,)))),
            RuntimeError,
            r"size of tensor a \(3\) must match the size of tensor b \(4\)",
        )

    return gen


def with_kernels(
    samples: Callable[[Gen], Iterator[SampleInput]],
    forward: tuple[str, ...] = (),
    grad: tuple[str, ...] = (),
) -> Callable[[Gen], Iterator[SampleInput]]:
    """``samples`` each declaring the optional kernels its forward (``forward_kernels``: a
    backend without them is checked to raise ``UnsupportedOperation``) or its gradient
    (``needs_kernels``) takes."""

    def gen(rng: Gen) -> Iterator[SampleInput]:
        for s in samples(rng):
            s.forward_kernels = (*s.forward_kernels, *forward)
            s.needs_kernels = (*s.needs_kernels, *grad)
            yield s

    return gen


def errors_of(*errors: ErrorInput) -> Callable[[], Iterator[ErrorInput]]:
    return lambda: iter(errors)


def sigmoid_ref(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)))


def to_bool(d: D.dtype) -> D.dtype:
    return D.bool_


def to_int64(d: D.dtype) -> D.dtype:
    return D.int64


def sum_dtype(d: D.dtype) -> D.dtype:
    return D.int64 if d in (D.bool_, *INTS) else d


def view_samples(
    shape: tuple[int, ...], *calls: tuple[str, tuple[Any, ...], dict[str, Any]]
) -> Callable[[Gen], Iterator[SampleInput]]:
    """One sample a call: ``(name, args after the tensor, kwargs)``, the tensor of ``shape``
    (or of the ``_shape`` in kwargs)."""

    def gen(rng: Gen) -> Iterator[SampleInput]:
        for name, args, kwargs in calls:
            sh = kwargs.get("_shape", shape)
            kw = {k: v for k, v in kwargs.items() if k != "_shape"}
            yield S(name, (uniform(rng, sh), *args), kw)

    return gen


def torch_function(name: str, *variants: Variant) -> TorchRef:
    """PyTorch's ``torch.NAME``, the op also checked as the method ``x.NAME(...)``."""
    return TorchRef(name, (method(name), *variants))


def torch_method(name: str, *variants: Variant) -> TorchRef:
    """An op PyTorch spells as a method only (``x.expand(3, 4)``), or whose function takes
    fewer spellings than tensorplug's (``torch.permute`` wants a tuple)."""
    return TorchRef(method(name).call, (method(name), *variants))
