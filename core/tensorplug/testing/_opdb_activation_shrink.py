"""Op-database entries of the activations and rearrangements PyTorch models use that issue
16/17's survey found missing: ``threshold``, ``softshrink``, ``hardshrink``, ``prelu``,
``rrelu`` (evaluation: the random slope is a backend's RNG, not a formula), ``rms_norm``,
``pixel_shuffle``, ``pixel_unshuffle``, ``channel_shuffle`` and ``fold``, each with a NumPy
float64 reference."""

# NumPy's stubs type most compositions of ufuncs as Any; references return arrays.
# mypy: disable-error-code="no-any-return"

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

import tensorplug.nn.functional as F

from .. import _dtype as D
from ._compare import Tol
from ._opdb_activation import _act, in_place, underscore
from ._opinfo import ErrorInput, OpInfo, SampleInput, TorchRef, Variant
from ._samples import uniform

Gen = np.random.Generator
S = SampleInput
NN = "tensorplug.nn.functional"
F16 = Tol(2e-3, 2e-3, "float16: a few rounded steps")
F16_GRAD = Tol(2e-2, 2e-2, "float16 gradient through several rounded steps")
COMPOSED = (("*", "a composition of tensor ops here; PyTorch has a node of its own"),)


def _entry(name: str, ref: Any, samples: Any, *variants: Variant, **kw: Any) -> OpInfo:
    nodes = kw.pop("other_nodes", ())
    return OpInfo(
        name, getattr(F, name), ref, samples, namespace=NN, tolerances={D.float16: F16},
        grad_tolerances={D.float16: F16_GRAD},
        torch_ref=TorchRef(f"nn.functional.{name}", variants=variants, other_nodes=nodes), **kw,
    )  # fmt: skip


def _errors(*items: tuple[str, tuple[Any, ...], dict[str, Any], Any, str]) -> Any:
    return lambda: [ErrorInput(S(n, a, k), e, m) for n, a, k, e, m in items]


def _threshold_ref(x: np.ndarray, threshold: float, value: float, inplace: bool = False) -> Any:
    return np.where(x <= threshold, value, x)


def _softshrink_ref(x: np.ndarray, lambd: float = 0.5) -> np.ndarray:
    return x - np.clip(x, -lambd, lambd)  # NaN stays NaN, as PyTorch's


def _hardshrink_ref(x: np.ndarray, lambd: float = 0.5) -> np.ndarray:
    return np.where(np.abs(x) <= lambd, 0.0, x)


def _prelu_ref(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    if x.ndim >= 2 and w.size > 1:
        w = w.reshape(-1, *([1] * (x.ndim - 2)))
    elif x.ndim < 2:
        w = w.reshape(())
    return np.where(x > 0, x, w * x)


def _prelu_samples(rng: Gen) -> Iterator[SampleInput]:
    def x(*shape: int) -> np.ndarray:
        v = uniform(rng, shape)
        return np.where(np.abs(v) < 0.25, 0.5, v)

    yield S("per_channel", (x(2, 3, 4), uniform(rng, (3,), 0.1, 0.5)))
    yield S("shared", (x(2, 3, 2, 2), uniform(rng, (1,), 0.1, 0.5)))
    yield S("vector", (x(5), uniform(rng, (1,), 0.1, 0.5)))
    yield S("0d_shared", (x(), uniform(rng, (1,), 0.1, 0.5)))


def _rrelu_ref(x: np.ndarray, lower: float = 1 / 8, upper: float = 1 / 3, training: bool = False,
               inplace: bool = False) -> np.ndarray:  # fmt: skip
    return np.where(x > 0, x, x * (lower + upper) / 2)


def _rms_norm_ref(x: np.ndarray, shape: Any, weight: Any = None, eps: Any = None) -> np.ndarray:
    n = 1 if isinstance(shape, int) else len(shape)
    dims = tuple(range(x.ndim - n, x.ndim))
    eps = np.finfo(np.float64).eps if eps is None else eps
    out = x / np.sqrt((x * x).mean(axis=dims, keepdims=True) + eps)
    return out if weight is None else out * weight


def _rms_norm_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("last", (uniform(rng, (3, 4)), (4,)))
    yield S("two_dims_weight", (uniform(rng, (2, 3, 4)), [3, 4], uniform(rng, (3, 4))))
    yield S("list_shape_eps", (uniform(rng, (2, 5)), [5]), {"eps": 0.1})


def _shuffle_ref(x: np.ndarray, r: int) -> np.ndarray:
    *lead, c, h, w = x.shape
    y = x.reshape(-1, c // (r * r), r, r, h, w).transpose(0, 1, 4, 2, 5, 3)
    return y.reshape(*lead, c // (r * r), h * r, w * r)


def _unshuffle_ref(x: np.ndarray, r: int) -> np.ndarray:
    *lead, c, h, w = x.shape
    y = x.reshape(-1, c, h // r, r, w // r, r).transpose(0, 1, 3, 5, 2, 4)
    return y.reshape(*lead, c * r * r, h // r, w // r)


def _channel_ref(x: np.ndarray, groups: int) -> np.ndarray:
    n, c = x.shape[:2]
    return x.reshape(n, groups, c // groups, -1).transpose(0, 2, 1, 3).reshape(x.shape)


def _layout_samples(name: str) -> Any:
    def gen(rng: Gen) -> Iterator[SampleInput]:
        if name == "pixel_shuffle":
            yield S("batch", (uniform(rng, (2, 8, 2, 3)), 2))
            yield S("3d_r3", (uniform(rng, (9, 2, 2)), 3))
            yield S("5d", (uniform(rng, (2, 1, 4, 1, 2)), 2))
        elif name == "pixel_unshuffle":
            yield S("batch", (uniform(rng, (2, 2, 4, 6)), 2))
            yield S("3d", (uniform(rng, (1, 3, 6)), 3))
        else:
            yield S("groups2", (uniform(rng, (2, 4, 3)), 2))
            yield S("groups3_4d", (uniform(rng, (1, 6, 2, 2)), 3))

    return gen


def _fold_ref(x: np.ndarray, output_size: Any, kernel_size: Any, dilation: Any = 1,
              padding: Any = 0, stride: Any = 1) -> np.ndarray:  # fmt: skip
    two = [(v, v) if isinstance(v, int) else tuple(v)
           for v in (output_size, kernel_size, dilation, padding, stride)]  # fmt: skip
    (oh, ow), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = two
    batched = x.ndim == 3
    x = x if batched else x[None]
    n, ck, _ = x.shape
    c = ck // (kh * kw)
    bh = (oh + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    bw = (ow + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, c, oh + 2 * ph, ow + 2 * pw))
    cols = x.reshape(n, c, kh, kw, bh, bw)
    for i in range(kh):
        for j in range(kw):
            out[:, :, i * dh : i * dh + sh * (bh - 1) + 1 : sh,
                j * dw : j * dw + sw * (bw - 1) + 1 : sw] += cols[:, :, i, j]  # fmt: skip
    out = out[:, :, ph : ph + oh, pw : pw + ow]
    return out if batched else out[0]


def _fold_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("overlap", (uniform(rng, (2, 8, 4)), (3, 3), 2))
    yield S("padding_stride", (uniform(rng, (1, 12, 15)), (4, 5), (2, 3)),
            {"padding": 1, "stride": (1, 2)})  # fmt: skip
    yield S("unbatched_dilation", (uniform(rng, (4, 4)), (4, 4), 2), {"dilation": 2})


def activation_shrink_ops() -> list[OpInfo]:
    one = np.ones
    return [
        _entry("threshold", _threshold_ref, _act((0.5,), threshold=0.5, value=-2.0),
               in_place("threshold"), underscore("threshold")),
        _entry("softshrink", _softshrink_ref, _act((-0.5, 0.5)),
               errors=_errors(("negative_lambd", (one(2),), {"lambd": -1.0}, RuntimeError,
                               "lambda must be in range"),
                              ("int64", (np.array([1, 2]),), {}, NotImplementedError, "int64"))),
        _entry("hardshrink", _hardshrink_ref, _act((-0.3, 0.3), lambd=0.3)),
        _entry("prelu", _prelu_ref, _prelu_samples,
               errors=_errors(("channels", (one((2, 3)), one(4)), {}, RuntimeError,
                               "Mismatch of parameter numbers and input channel size"),
                              ("2d_weight", (one((2, 3)), one((1, 3))), {}, RuntimeError,
                               "Expected `weight` to be a scalar or 1D tensor"),
                              ("vector_channels", (one(4), one(4)), {}, RuntimeError,
                               "channel size = 1"))),
        _entry("rrelu", _rrelu_ref, _act((0.0,), lower=0.1, upper=0.3),
               in_place("rrelu"), underscore("rrelu"),
               errors=_errors(("lower_above_upper", (one(2), 0.5, 0.2), {}, RuntimeError,
                               "Lower bound should be less than or equal"))),
        _entry("rms_norm", _rms_norm_ref, _rms_norm_samples,
               errors=_errors(("trailing", (one((2, 3)), (4,)), {}, RuntimeError,
                               r"expected input with shape \[\*4\]"),
                              ("weight_shape", (one((2, 3)), (3,), one(2)), {}, RuntimeError,
                               "Expected weight to be of same shape"),
                              ("int_shape", (one((2, 3)), 3), {}, TypeError,
                               "must be a tuple of ints"))),
        _entry("pixel_shuffle", _shuffle_ref, _layout_samples("pixel_shuffle"),
               errors=_errors(("channels", (one((1, 4, 2, 2)), 3), {}, RuntimeError,
                               "divisible by the square of upscale_factor"),
                              ("2d", (one((3, 3)), 2), {}, RuntimeError, "at least 3 dimensions"))),
        _entry("pixel_unshuffle", _unshuffle_ref, _layout_samples("pixel_unshuffle"),
               errors=_errors(("height", (one((1, 1, 3, 4)), 2), {}, RuntimeError,
                               "height to be divisible by downscale_factor"))),
        _entry("channel_shuffle", _channel_ref, _layout_samples("channel_shuffle"),
               errors=_errors(("groups", (one((1, 4, 2)), 3), {}, RuntimeError,
                               "Number of channels must be divisible by groups"),
                              ("2d", (one((2, 4)), 2), {}, RuntimeError, "> 2 dims"))),
        _entry("fold", _fold_ref, _fold_samples,
               other_nodes=(("unbatched_*", "PyTorch squeezes the batch of one last"),),
               errors=_errors(("blocks", (one((2, 8, 5)), (3, 3), 2), {}, RuntimeError,
                               "calculated number of sliding blocks"),
                              ("4d", (one((2, 2, 3, 3)), (3, 3), 2), {}, RuntimeError,
                               "Expected 2D or 3D"))),
    ]  # fmt: skip
