"""Op-database entries for the layers of ``tensorplug.nn.functional`` (convolution, pooling,
normalisation, activations and losses), each with a NumPy float64 reference."""

# NumPy's stubs type most compositions of ufuncs as Any; references return arrays.
# mypy: disable-error-code="no-any-return"

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

import tensorplug.nn.functional as F

from .. import _dtype as D
from ._compare import Tol
from ._opinfo import ErrorInput, NoGrad, OpInfo, SampleInput, TorchRef
from ._samples import away, distinct, uniform

Gen = np.random.Generator
S = SampleInput
NN = "tensorplug.nn.functional"
COMPOSED = (("*", "a composition of tensor ops here; PyTorch has a node of its own"),)
F16 = Tol(1e-3, 1e-2, "float16 accumulation over several terms")
F16_GRAD = Tol(2e-2, 2e-2, "float16 gradient through several rounded steps")


def _pair(v: Any) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def _reduce(losses: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "none":
        return losses
    return np.asarray(losses.mean() if reduction == "mean" else losses.sum())


# -- activations -----------------------------------------------------------------------------

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _gelu_ref(x: np.ndarray, approximate: str = "none") -> np.ndarray:
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    return 0.5 * x * (1 + _erf(x / math.sqrt(2)))


def _softplus_ref(x: np.ndarray, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    with np.errstate(over="ignore"):
        soft = np.log1p(np.exp(beta * x)) / beta
    return np.where(beta * x > threshold, x, soft)


def _act(kink: bool = False, **kwargs: Any) -> Any:
    def gen(rng: Gen) -> Iterator[SampleInput]:
        def x(*shape: int) -> np.ndarray:
            return away(rng, shape) if kink else uniform(rng, shape, -3.0, 3.0)

        yield S("nd", (x(3, 4),), dict(kwargs))
        yield S("0d", (x(),), dict(kwargs))
        yield S("3d", (x(2, 3, 2),), dict(kwargs))
        yield S("empty", (x(0, 2),), dict(kwargs))
        yield S(
            "special",
            (np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0]),),
            dict(kwargs),
            group="special",
        )

    return gen


def _gelu_samples(rng: Gen) -> Iterator[SampleInput]:
    yield from _act()(rng)
    yield S("tanh", (uniform(rng, (3, 4), -3, 3),), {"approximate": "tanh"})


def _softplus_samples(rng: Gen) -> Iterator[SampleInput]:
    yield from _act()(rng)
    yield S("beta2_threshold", (uniform(rng, (3, 4), -3, 3),), {"beta": 2.0, "threshold": 1.5})


# -- losses ----------------------------------------------------------------------------------


def _l1_ref(a: np.ndarray, b: np.ndarray, reduction: str = "mean") -> np.ndarray:
    return _reduce(np.abs(a - b), reduction)


def _l1_samples(rng: Gen) -> Iterator[SampleInput]:
    for name, shape, red in [
        ("mean", (3, 4), "mean"),
        ("sum", (5,), "sum"),
        ("none", (2, 3), "none"),
        ("0d", (), "mean"),
    ]:
        a = uniform(rng, shape)
        yield S(name, (a, np.asarray(a + away(rng, shape))), {"reduction": red})


def _bce_ref(
    x: np.ndarray, t: np.ndarray, weight: np.ndarray | None = None, reduction: str = "mean"
) -> np.ndarray:
    with np.errstate(divide="ignore"):
        loss = -(t * np.maximum(np.log(x), -100) + (1 - t) * np.maximum(np.log1p(-x), -100))
    return _reduce(loss if weight is None else loss * weight, reduction)


def _bce_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("mean", (uniform(rng, (3, 4), 0.05, 0.95), NoGrad(uniform(rng, (3, 4), 0.0, 1.0))))
    yield S(
        "weighted_sum",
        (uniform(rng, (5,), 0.05, 0.95), NoGrad(uniform(rng, (5,), 0.0, 1.0))),
        {"weight": NoGrad(uniform(rng, (5,), 0.5, 2.0)), "reduction": "sum"},
    )
    yield S(
        "none",
        (uniform(rng, (2, 3), 0.05, 0.95), NoGrad(uniform(rng, (2, 3), 0.0, 1.0))),
        {"reduction": "none"},
    )


def _bce_logits_ref(
    x: np.ndarray,
    t: np.ndarray,
    weight: np.ndarray | None = None,
    reduction: str = "mean",
    pos_weight: np.ndarray | None = None,
) -> np.ndarray:
    log_sig = -np.logaddexp(0.0, -x)
    log_one_minus = -np.logaddexp(0.0, x)
    pw = 1.0 if pos_weight is None else pos_weight
    loss = -(pw * t * log_sig + (1 - t) * log_one_minus)
    return _reduce(loss if weight is None else loss * weight, reduction)


def _bce_logits_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("mean", (uniform(rng, (3, 4), -3, 3), uniform(rng, (3, 4), 0.0, 1.0)))
    yield S(
        "pos_weight_sum",
        (uniform(rng, (2, 3), -3, 3), uniform(rng, (2, 3), 0.0, 1.0)),
        {"pos_weight": NoGrad(uniform(rng, (3,), 0.5, 2.0)), "reduction": "sum"},
    )
    yield S(
        "weight_none",
        (uniform(rng, (4,), -3, 3), uniform(rng, (4,), 0.0, 1.0)),
        {"weight": NoGrad(uniform(rng, (4,), 0.5, 2.0)), "reduction": "none"},
    )
    yield S(
        "large_logits",
        (uniform(rng, (4,), 30.0, 40.0) * np.array([1, -1, 1, -1]), uniform(rng, (4,), 0.0, 1.0)),
    )


# -- normalisation ---------------------------------------------------------------------------


def _layer_norm_ref(
    x: np.ndarray,
    normalized_shape: Any,
    weight: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    eps: float = 1e-5,
) -> np.ndarray:
    axes = tuple(range(x.ndim - len(tuple(normalized_shape)), x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + eps)
    if weight is not None:
        y = y * weight
    return y if bias is None else y + bias


def _layer_norm_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("affine", (uniform(rng, (3, 4)), (4,), uniform(rng, (4,)), uniform(rng, (4,))))
    yield S("plain", (uniform(rng, (2, 5)), (5,)))
    yield S(
        "two_dims", (uniform(rng, (2, 3, 4)), (3, 4), uniform(rng, (3, 4)), uniform(rng, (3, 4)))
    )


def _batch_norm_ref(
    x: np.ndarray,
    running_mean: np.ndarray | None,
    running_var: np.ndarray | None,
    weight: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> np.ndarray:
    axes = (0, *range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if training:
        mean, var = x.mean(axis=axes), x.var(axis=axes)
    else:
        assert running_mean is not None and running_var is not None
        mean, var = running_mean, running_var
    y = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    if weight is not None:
        y = y * weight.reshape(shape)
    return y if bias is None else y + bias.reshape(shape)


def _batch_norm_samples(rng: Gen) -> Iterator[SampleInput]:
    # Running statistics are buffers, not parameters: they never require grad (and in
    # training they are None here, so repeated calls don't update them).
    yield S(
        "training_affine",
        (uniform(rng, (4, 3)), None, None, uniform(rng, (3,)), uniform(rng, (3,))),
        {"training": True},
    )
    yield S("training_3d", (uniform(rng, (2, 3, 4)), None, None), {"training": True})
    yield S(
        "training_4d",
        (uniform(rng, (2, 3, 2, 3)), None, None, uniform(rng, (3,)), uniform(rng, (3,))),
        {"training": True},
    )
    yield S(
        "eval_running_stats",
        (
            uniform(rng, (4, 3)),
            NoGrad(uniform(rng, (3,))),
            NoGrad(uniform(rng, (3,), 0.5, 2.0)),
            uniform(rng, (3,)),
            uniform(rng, (3,)),
        ),
    )


def _batch_norm_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(
        S("running_stats_channels", (np.ones((2, 3, 2, 2)), np.zeros(4), np.ones(4))),
        RuntimeError,
        r"batch_norm\(\): running_mean should contain 3 elements.*\[2, 3, 2, 2\].*\[4\]",
    )


# -- convolution and pooling -----------------------------------------------------------------


def _unfold_ref(
    x: np.ndarray, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1
) -> np.ndarray:
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = map(_pair, (kernel_size, dilation, padding, stride))
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    cols = np.empty((n, c, kh, kw, oh, ow))
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = xp[
                :, :, i * dh : i * dh + sh * oh : sh, j * dw : j * dw + sw * ow : sw
            ]
    return cols.reshape(n, c * kh * kw, oh * ow)


def _conv2d_ref(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> np.ndarray:
    if padding == "same":  # stride 1: the reach split, the odd element after (PyTorch's)
        reach = [d * (k - 1) for d, k in zip(_pair(dilation), weight.shape[2:])]
        x = np.pad(x, [(0, 0), (0, 0), *((r // 2, r - r // 2) for r in reach)])
        padding = 0
    n, _, h, w = x.shape
    o, cg, kh, kw = weight.shape
    (sh, sw), (ph, pw), (dh, dw) = map(_pair, (stride, padding, dilation))
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    outs = []
    for g in range(groups):
        xs = x[:, g * cg : (g + 1) * cg]
        ws = weight[g * (o // groups) : (g + 1) * (o // groups)].reshape(o // groups, -1)
        cols = _unfold_ref(xs, (kh, kw), (dh, dw), (ph, pw), (sh, sw))
        outs.append(np.einsum("ok,nkl->nol", ws, cols).reshape(n, o // groups, oh, ow))
    out = np.concatenate(outs, axis=1)
    return out if bias is None else out + bias.reshape(1, -1, 1, 1)


def _conv2d_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S(
        "basic_bias", (uniform(rng, (2, 2, 5, 5)), uniform(rng, (3, 2, 3, 3)), uniform(rng, (3,)))
    )
    yield S(
        "stride_padding",
        (uniform(rng, (1, 2, 5, 4)), uniform(rng, (2, 2, 3, 2))),
        {"stride": 2, "padding": 1},
    )
    yield S("dilation", (uniform(rng, (1, 1, 6, 6)), uniform(rng, (2, 1, 2, 2))), {"dilation": 2})
    yield S(
        "groups",
        (uniform(rng, (1, 4, 4, 4)), uniform(rng, (4, 2, 2, 2)), uniform(rng, (4,))),
        {"groups": 2},
    )
    # Stride 1: the input gradient as a correlation of g with the flipped weight, padded by
    # the reach less the padding (uneven for "same" with an even kernel); none past the reach.
    yield S(
        "same_even_kernel_dilation",
        (uniform(rng, (1, 2, 5, 6)), uniform(rng, (2, 2, 2, 3))),
        {"padding": "same", "dilation": (2, 1)},
    )
    yield S("padding_past_reach", (uniform(rng, (1, 1, 3, 3)), uniform(rng, (2, 1, 2, 2))),
            {"padding": (2, 1)})  # fmt: skip


def _conv2d_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(
        S("channel_mismatch", (np.ones((1, 3, 4, 4)), np.ones((2, 2, 3, 3)))),
        RuntimeError,
        "channels",
    )


def _unfold_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("k2", (uniform(rng, (2, 2, 4, 4)), 2))
    yield S(
        "stride_padding_dilation",
        (uniform(rng, (1, 2, 5, 5)), (2, 3)),
        {"stride": 2, "padding": 1, "dilation": (2, 1)},
    )


def _pool_ref(kind: str) -> Any:
    def ref(
        x: np.ndarray, kernel_size: Any, stride: Any = None, padding: Any = 0, **kwargs: Any
    ) -> np.ndarray:
        (kh, kw), (ph, pw) = _pair(kernel_size), _pair(padding)
        sh, sw = _pair(kernel_size if stride is None else stride)
        h, w = x.shape[2:]
        fill = -np.inf if kind == "max" else 0.0
        xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
        oh, ow = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
        win = np.stack(
            [
                xp[:, :, i : i + sh * oh : sh, j : j + sw * ow : sw]
                for i in range(kh)
                for j in range(kw)
            ]
        )
        if kind == "max":
            return win.max(axis=0)
        if kwargs.get("count_include_pad", True):
            return win.mean(axis=0)
        ones = np.pad(np.ones_like(x), ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        cnt = np.stack(
            [
                ones[:, :, i : i + sh * oh : sh, j : j + sw * ow : sw]
                for i in range(kh)
                for j in range(kw)
            ]
        ).sum(axis=0)
        return win.sum(axis=0) / cnt

    return ref


def _pool_samples(kind: str) -> Any:
    def gen(rng: Gen) -> Iterator[SampleInput]:
        def x(*shape: int) -> np.ndarray:
            return distinct(rng, shape) if kind == "max" else uniform(rng, shape)

        yield S("k2", (x(2, 2, 4, 4), 2))
        yield S("k3_stride1_padding1", (x(1, 2, 4, 5), 3), {"stride": 1, "padding": 1})
        yield S("rect", (x(1, 1, 5, 6), (2, 3)), {"stride": (2, 1)})
        if kind == "avg":
            yield S(
                "exclude_pad",
                (x(1, 1, 4, 4), 3),
                {"stride": 2, "padding": 1, "count_include_pad": False},
            )

    return gen


# -- encodings ----------------------------------------------------------------------------------


def _one_hot_ref(t: np.ndarray, num_classes: int = -1) -> np.ndarray:
    n = int(t.max()) + 1 if num_classes == -1 else num_classes
    return (t[..., None] == np.arange(n)).astype(np.int64)


def _one_hot_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("inferred", (np.array([0, 2, 1, 2]),))
    yield S("num_classes", (np.array([[1, 0], [3, 1]]),), {"num_classes": 5})
    yield S("empty", (np.zeros((0,), np.int64),), {"num_classes": 3})


def _one_hot_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(
        S("class_too_large", (np.array([3]), 2)), RuntimeError, "smaller than num_classes"
    )
    yield ErrorInput(S("negative_class", (np.array([-1, 0]), 3)), RuntimeError, "non-negative")
    yield ErrorInput(S("empty_inferred", (np.zeros((0,), np.int64),)), RuntimeError, "empty")


def _dropout_samples(rng: Gen) -> Iterator[SampleInput]:
    # Only the deterministic settings: the random mask is a backend's RNG, not a formula.
    yield S("eval", (uniform(rng, (3, 4)),), {"p": 0.5, "training": False})
    yield S("p0_training", (uniform(rng, (5,)),), {"p": 0.0, "training": True})


def _dropout_ref(
    x: np.ndarray, p: float = 0.5, training: bool = True, inplace: bool = False
) -> np.ndarray:
    return x if not training or p == 0 else np.zeros_like(x) if p == 1 else x


def nn_ops() -> list[OpInfo]:
    f16 = {D.float16: F16}
    f16g = {D.float16: F16_GRAD}
    return [
        OpInfo(
            "gelu",
            F.gelu,
            _gelu_ref,
            _gelu_samples,
            namespace=NN,
            tolerances={
                D.float16: Tol(2e-3, 1e-3, "erf or tanh, then products, each rounded to float16")
            },
            torch_ref=TorchRef(
                "nn.functional.gelu",
                tolerance=Tol(
                    1e-10, 1e-15, "PyTorch's erf form loses the far negative tail to cancellation"
                ),
            ),
        ),
        OpInfo(
            "silu",
            F.silu,
            lambda x: x / (1 + np.exp(-x)),
            _act(),
            namespace=NN,
            errors=lambda: [
                ErrorInput(S("int64_input", (np.array([-1, 2]),)), NotImplementedError, "int64")
            ],
            torch_ref=TorchRef("nn.functional.silu"),
        ),
        OpInfo(
            "softplus",
            F.softplus,
            _softplus_ref,
            _softplus_samples,
            namespace=NN,
            torch_ref=TorchRef("nn.functional.softplus", other_nodes=COMPOSED),
        ),
        OpInfo(
            "leaky_relu",
            F.leaky_relu,
            lambda x, negative_slope=0.01: np.where(x > 0, x, x * negative_slope),
            _act(kink=True, negative_slope=0.2),
            namespace=NN,
            errors=lambda: [
                ErrorInput(S("int64_input", (np.array([-1, 2]),)), NotImplementedError, "int64")
            ],
            torch_ref=TorchRef("nn.functional.leaky_relu"),
        ),
        OpInfo(
            "dropout",
            F.dropout,
            _dropout_ref,
            _dropout_samples,
            namespace=NN,
            torch_ref=TorchRef("nn.functional.dropout"),
        ),
        OpInfo(
            "l1_loss",
            F.l1_loss,
            _l1_ref,
            _l1_samples,
            namespace=NN,
            tolerances=f16,
            torch_ref=TorchRef("nn.functional.l1_loss"),
        ),
        OpInfo(
            "binary_cross_entropy",
            F.binary_cross_entropy,
            _bce_ref,
            _bce_samples,
            namespace=NN,
            tolerances=f16,
            grad_tolerances=f16g,
            torch_ref=TorchRef("nn.functional.binary_cross_entropy", other_nodes=COMPOSED),
        ),
        OpInfo(
            "binary_cross_entropy_with_logits",
            F.binary_cross_entropy_with_logits,
            _bce_logits_ref,
            _bce_logits_samples,
            namespace=NN,
            tolerances=f16,
            grad_tolerances=f16g,
            torch_ref=TorchRef(
                "nn.functional.binary_cross_entropy_with_logits", other_nodes=COMPOSED
            ),
        ),
        OpInfo(
            "layer_norm",
            F.layer_norm,
            _layer_norm_ref,
            _layer_norm_samples,
            namespace=NN,
            tolerances=f16,
            grad_tolerances=f16g,
            torch_ref=TorchRef(
                "nn.functional.layer_norm",
                other_nodes=(("plain", "without weight and bias a composition of tensor ops"),),
            ),
        ),
        OpInfo(
            "batch_norm",
            F.batch_norm,
            _batch_norm_ref,
            _batch_norm_samples,
            namespace=NN,
            tolerances=f16,
            grad_tolerances=f16g,
            errors=lambda: _batch_norm_errors(),
            torch_ref=TorchRef("nn.functional.batch_norm", other_nodes=COMPOSED),
        ),
        OpInfo(
            "conv2d",
            F.conv2d,
            _conv2d_ref,
            _conv2d_samples,
            namespace=NN,
            tolerances=f16,
            grad_tolerances=f16g,
            errors=lambda: _conv2d_errors(),
            torch_ref=TorchRef("nn.functional.conv2d"),
        ),
        OpInfo(
            "unfold",
            F.unfold,
            _unfold_ref,
            _unfold_samples,
            namespace=NN,
            torch_ref=TorchRef("nn.functional.unfold"),
        ),
        OpInfo(
            "max_pool2d",
            F.max_pool2d,
            _pool_ref("max"),
            _pool_samples("max"),
            namespace=NN,
            torch_ref=TorchRef("nn.functional.max_pool2d"),
        ),
        OpInfo(
            "avg_pool2d",
            F.avg_pool2d,
            _pool_ref("avg"),
            _pool_samples("avg"),
            namespace=NN,
            tolerances=f16,
            torch_ref=TorchRef("nn.functional.avg_pool2d"),
        ),
        OpInfo(
            "one_hot",
            F.one_hot,
            _one_hot_ref,
            _one_hot_samples,
            namespace=NN,
            dtypes=(D.int64,),
            grad_dtypes=(),
            supports_autograd=False,
            result_dtype=lambda d: D.int64,
            errors=lambda: _one_hot_errors(),
            torch_ref=TorchRef("nn.functional.one_hot"),
        ),
    ]
