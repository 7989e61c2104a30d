"""Op-database entries for issue 16's activations (ELU family, hard and smooth gates, GLU,
softmin, Gumbel-softmax) and distances (``normalize``, ``cosine_similarity``,
``pairwise_distance``), each with a NumPy float64 reference."""

# NumPy's stubs type most compositions of ufuncs as Any; references return arrays.
# mypy: disable-error-code="no-any-return"

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import numpy as np

import tensorplug.nn.functional as F

from .. import _dtype as D
from ._compare import Tol
from ._opinfo import ErrorInput, OpInfo, SampleInput, TorchRef, Variant
from ._samples import SPECIAL, uniform

Gen = np.random.Generator
S = SampleInput
NN = "tensorplug.nn.functional"
F16 = Tol(2e-3, 2e-3, "float16: exp/log/tanh then products, each rounded")
F16_GRAD = Tol(2e-2, 2e-2, "float16 gradient through several rounded steps")
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _functional(x: Any) -> Any:
    """The ``nn.functional`` of the library the tensor ``x`` comes from."""
    return sys.modules[type(x).__module__.split(".")[0] + ".nn.functional"]


def in_place(name: str) -> Variant:
    """``F.name(x.clone(), ..., inplace=True)`` in the library the tensor comes from."""

    def call(x: Any, *args: Any, **kwargs: Any) -> Any:
        return getattr(_functional(x), name)(x.clone(), *args, inplace=True, **kwargs)

    return Variant("inplace", call)


def underscore(name: str) -> Variant:
    """``F.name_(x.clone(), ...)``, the in-place function PyTorch spells with ``_``."""

    def call(x: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs.pop("inplace", None)
        return getattr(_functional(x), name + "_")(x.clone(), *args, **kwargs)

    return Variant(name + "_", call)


IN_PLACE_FUNCTIONS = ("elu", "selu", "celu", "hardtanh")
"""Activations with an ``F.name_`` form too; checked as a variant of their entries."""


def _act(kinks: tuple[float, ...] = (), lo: float = -3.0, hi: float = 3.0, **kwargs: Any) -> Any:
    """Samples of an elementwise activation, kept 0.25 away from its ``kinks``."""

    def gen(rng: Gen) -> Iterator[SampleInput]:
        def x(*shape: int) -> np.ndarray:
            v = uniform(rng, shape, lo, hi)
            for k in kinks:
                near = np.abs(v - k) < 0.25
                v = np.where(near, k + np.where(v >= k, 0.25, -0.25), v)
            return np.asarray(v)

        yield S("nd", (x(3, 4),), dict(kwargs))
        yield S("0d", (x(),), dict(kwargs))
        yield S("3d", (x(2, 3, 2),), dict(kwargs))
        yield S("empty", (x(0, 2),), dict(kwargs))
        yield S("special", (SPECIAL.copy(),), dict(kwargs), group="special")

    return gen


def _with(base: Any, name: str, kink_free: np.ndarray | None = None, **kwargs: Any) -> Any:
    """``base``'s samples and one more with other arguments."""

    def gen(rng: Gen) -> Iterator[SampleInput]:
        yield from base(rng)
        x = uniform(rng, (4, 3), -4.0, 4.0) if kink_free is None else kink_free
        yield S(name, (x,), kwargs)

    return gen


def _floats_only(name: str) -> Any:
    return lambda: [
        ErrorInput(S("int64_input", (np.array([-1, 2]),)), NotImplementedError, "int64")
    ]


def _elu_ref(x: np.ndarray, alpha: float = 1.0, inplace: bool = False) -> np.ndarray:
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _selu_ref(x: np.ndarray, inplace: bool = False) -> np.ndarray:
    return SELU_SCALE * _elu_ref(x, SELU_ALPHA)


def _celu_ref(x: np.ndarray, alpha: float = 1.0, inplace: bool = False) -> np.ndarray:
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0) / alpha))


def _hardtanh_ref(
    x: np.ndarray, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> np.ndarray:
    return np.clip(x, min_val, max_val)


def _hardswish_ref(x: np.ndarray, inplace: bool = False) -> np.ndarray:
    return x * np.clip(x + 3, 0, 6) / 6


def _hardsigmoid_ref(x: np.ndarray, inplace: bool = False) -> np.ndarray:
    return np.clip(x + 3, 0, 6) / 6


def _mish_ref(x: np.ndarray, inplace: bool = False) -> np.ndarray:
    return x * np.tanh(np.logaddexp(0.0, x))


def _softmax_ref(x: np.ndarray, dim: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def _glu_ref(x: np.ndarray, dim: int = -1) -> np.ndarray:
    a, b = np.split(x, 2, axis=dim)
    return a / (1 + np.exp(-b))


def _glu_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("last_dim", (uniform(rng, (3, 4)),))
    yield S("dim0", (uniform(rng, (2, 3)),), {"dim": 0})
    yield S("3d_middle", (uniform(rng, (2, 6, 2)),), {"dim": -2})


def _glu_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(S("odd", (np.ones((2, 3)),)), RuntimeError, "Halving dimension must be even")
    yield ErrorInput(S("0d", (np.ones(()),)), RuntimeError, "does not support scalars")


def _softmin_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("dim1", (uniform(rng, (3, 4)),), {"dim": 1})
    yield S("dim0", (uniform(rng, (3, 4)),), {"dim": 0})
    yield S("3d_last", (uniform(rng, (2, 3, 4)),), {"dim": -1})


def _gumbel_ref(
    logits: np.ndarray, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1
) -> np.ndarray:
    # The logits' winner leads by 60: Gumbel noise (below 25 but with probability 1e-11)
    # cannot change the sample, so it is the winner's one-hot row, in every library.
    return (logits == logits.max(axis=dim, keepdims=True)).astype(np.float64)


def _gumbel_samples(rng: Gen) -> Iterator[SampleInput]:
    def lead(shape: tuple[int, ...], dim: int) -> np.ndarray:
        x = uniform(rng, shape, -1.0, 1.0)
        winner = rng.integers(0, shape[dim], [s for i, s in enumerate(shape) if i != dim % 2])
        np.put_along_axis(x, np.expand_dims(winner, dim), 60.0, axis=dim)
        return x

    yield S("soft", (lead((3, 4), -1),))
    yield S("hard", (lead((3, 4), -1),), {"hard": True})
    yield S("hard_dim0_tau", (lead((4, 3), 0),), {"hard": True, "tau": 0.5, "dim": 0})


def _normalize_ref(
    x: np.ndarray, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Any = None
) -> np.ndarray:
    n = np.linalg.norm(x, ord=p, axis=dim, keepdims=True) if x.ndim else np.abs(x)
    return x / np.maximum(n, eps)


def _normalize_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("rows", (uniform(rng, (3, 4)),))
    yield S("dim0_p1", (uniform(rng, (3, 4)),), {"p": 1.0, "dim": 0})
    yield S("3d_last", (uniform(rng, (2, 3, 4)),), {"dim": -1})
    yield S("p3", (uniform(rng, (2, 5)),), {"p": 3.0})
    yield S("zero_row_eps", (np.array([[0.0, 0.0], [3.0, 4.0]]),), {"eps": 0.1})


def _cosine_ref(x1: np.ndarray, x2: np.ndarray, dim: int = 1, eps: float = 1e-8) -> np.ndarray:
    x1, x2 = np.broadcast_arrays(x1, x2)
    n1 = np.maximum(np.linalg.norm(x1, axis=dim, keepdims=True), eps)
    n2 = np.maximum(np.linalg.norm(x2, axis=dim, keepdims=True), eps)
    return ((x1 / n1) * (x2 / n2)).sum(axis=dim)


def _cosine_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("rows", (uniform(rng, (3, 4)), uniform(rng, (3, 4))))
    yield S("dim0", (uniform(rng, (3, 4)), uniform(rng, (3, 4))), {"dim": 0})
    yield S("broadcast", (uniform(rng, (3, 4)), uniform(rng, (1, 4))), broadcasts=True)
    yield S("3d_last", (uniform(rng, (2, 3, 4)), uniform(rng, (2, 3, 4))), {"dim": -1})


def _cosine_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(
        S("mismatched", (np.ones((2, 3)), np.ones((2, 4)))), RuntimeError, "must match the size"
    )
    yield ErrorInput(
        S("int64", (np.array([1]), np.array([2])), {"dim": 0}), RuntimeError, "floating-point"
    )


def _pairwise_ref(
    x1: np.ndarray, x2: np.ndarray, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> np.ndarray:
    d = x1 - x2 + eps
    return np.linalg.norm(d, ord=p, axis=max(x1.ndim, x2.ndim) - 1, keepdims=keepdim)


def _pairwise_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("rows", (uniform(rng, (3, 4)), uniform(rng, (3, 4))))
    yield S("p1_keepdim", (uniform(rng, (3, 4)), uniform(rng, (3, 4))), {"p": 1.0, "keepdim": True})
    yield S("p_inf", (uniform(rng, (2, 5)), uniform(rng, (2, 5))), {"p": float("inf")})
    yield S("broadcast", (uniform(rng, (3, 4)), uniform(rng, (4,))), broadcasts=True)
    yield S("vectors", (uniform(rng, (5,)), uniform(rng, (5,))))


def _elementwise(
    name: str, op: Any, ref: Any, samples: Any, *, inplace: bool = False, **kw: Any
) -> OpInfo:
    variants: tuple[Variant, ...] = (in_place(name),) if inplace else ()
    if name in IN_PLACE_FUNCTIONS:
        variants += (underscore(name),)
    return OpInfo(
        name,
        op,
        ref,
        samples,
        namespace=NN,
        tolerances={D.float16: F16},
        grad_tolerances={D.float16: F16_GRAD},
        torch_ref=TorchRef(f"nn.functional.{name}", variants=variants),
        **kw,
    )


def activation_ops() -> list[OpInfo]:
    floats = _floats_only
    bounded = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 4.0, -4.0])
    return [
        _elementwise("elu", F.elu, _elu_ref,
                     _with(_with(_act((0.0,)), "alpha", alpha=0.5), "alpha_above_1", alpha=1.5),
                     inplace=True, errors=floats("elu")),
        _elementwise("selu", F.selu, _selu_ref, _act((0.0,)), inplace=True,
                     errors=floats("selu")),
        _elementwise("celu", F.celu, _celu_ref, _with(_act((0.0,)), "alpha", alpha=2.0),
                     inplace=True, errors=floats("celu")),
        _elementwise("hardtanh", F.hardtanh, _hardtanh_ref,
                     _with(_act((-1.0, 1.0)), "bounds", bounded, min_val=-2.0, max_val=2.0),
                     inplace=True,
                     errors=lambda: [ErrorInput(S("min_above_max", (np.ones(2), 2.0, 1.0)),
                                                ValueError, "min_val cannot be greater")]),
        _elementwise("relu6", F.relu6, lambda x, inplace=False: np.clip(x, 0, 6),
                     _act((0.0, 6.0), -2.0, 8.0), inplace=True),
        _elementwise("hardswish", F.hardswish, _hardswish_ref, _act((-3.0, 3.0), -5.0, 5.0),
                     inplace=True, errors=floats("hardswish")),
        _elementwise("hardsigmoid", F.hardsigmoid, _hardsigmoid_ref,
                     _act((-3.0, 3.0), -5.0, 5.0), inplace=True, errors=floats("hardsigmoid")),
        _elementwise("mish", F.mish, _mish_ref, _act(), inplace=True, errors=floats("mish")),
        _elementwise("logsigmoid", F.logsigmoid, lambda x: -np.logaddexp(0.0, -x), _act(),
                     errors=floats("logsigmoid")),
        _elementwise("softsign", F.softsign, lambda x: x / (1 + np.abs(x)), _act((0.0,))),
        _elementwise("tanhshrink", F.tanhshrink, lambda x: x - np.tanh(x), _act()),
        _elementwise("glu", F.glu, _glu_ref, _glu_samples, errors=_glu_errors),
        _elementwise("softmin", F.softmin,
                     lambda x, dim, dtype=None: _softmax_ref(-x, dim), _softmin_samples),
        _elementwise("gumbel_softmax", F.gumbel_softmax, _gumbel_ref, _gumbel_samples),
        _elementwise("normalize", F.normalize, _normalize_ref, _normalize_samples,
                     errors=lambda: [ErrorInput(S("int64", (np.array([1, 2]),), {"dim": 0}),
                                                RuntimeError, "floating-point")]),
        _elementwise("cosine_similarity", F.cosine_similarity, _cosine_ref, _cosine_samples,
                     errors=_cosine_errors),
        _elementwise("pairwise_distance", F.pairwise_distance, _pairwise_ref,
                     _pairwise_samples),
    ]  # fmt: skip
