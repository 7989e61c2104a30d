"""Op-database entries of ``nn.functional``'s softmax, losses and ``linear``."""

# NumPy's stubs type most compositions of ufuncs as Any; references return arrays.
# mypy: disable-error-code="no-any-return"

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

import tensorplug.nn.functional as F

from .. import _dtype as D
from ._opinfo import ErrorInput, NoGrad, OpInfo, SampleInput, TorchRef, method
from ._samples import (
    F16_GRAD,
    F16_SUM,
    Gen,
    S,
    errors_of,
    uniform,
)


def _softmax_ref(log: bool) -> Callable[..., np.ndarray]:
    def ref(x: np.ndarray, dim: int) -> np.ndarray:
        if x.ndim == 0 or x.size == 0:  # a 0-d tensor is its own softmax; nothing is nothing
            return np.zeros_like(x) if log else np.ones_like(x)
        s = x - np.max(x, axis=dim, keepdims=True)
        lse = np.log(np.sum(np.exp(s), axis=dim, keepdims=True))
        return s - lse if log else np.exp(s - lse)

    return ref


def _softmax_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("dim1", (uniform(rng, (3, 4)), 1))
    yield S("dim0", (uniform(rng, (3, 4)), 0))
    yield S("3d_neg", (uniform(rng, (2, 3, 4)), -1))
    yield S("large_values", (uniform(rng, (2, 3), 500.0, 510.0), 1))
    yield S("3d_dim1", (uniform(rng, (2, 3, 4)), 1))
    yield S("wide_dim0", (uniform(rng, (3, 4), -60.0, 60.0), 0))  # near one-hot
    yield S("0d", (uniform(rng, ()), -1))
    yield S("empty", (uniform(rng, (0, 3)), 0))


def _mse_ref(a: np.ndarray, b: np.ndarray, reduction: str = "mean") -> np.ndarray:
    sq = (a - b) ** 2
    return (
        sq
        if reduction == "none"
        else np.asarray(np.mean(sq) if reduction == "mean" else np.sum(sq))
    )


def _mse_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("mean", (uniform(rng, (3, 4)), uniform(rng, (3, 4))))
    yield S("sum", (uniform(rng, (5,)), uniform(rng, (5,))), {"reduction": "sum"})
    yield S("none", (uniform(rng, (2, 3)), uniform(rng, (2, 3))), {"reduction": "none"})
    yield S("0d", (uniform(rng, ()), uniform(rng, ())))


def _nll_ref(
    logp: np.ndarray,
    target: np.ndarray,
    weight: np.ndarray | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> np.ndarray:
    n = logp.shape[0]
    keep = target != ignore_index
    cols = np.where(keep, target, 0)
    w = keep.astype(np.float64) if weight is None else np.where(keep, weight[cols], 0.0)
    losses = -logp[np.arange(n), cols] * w
    if reduction == "none":
        return losses
    return np.asarray(losses.sum() / w.sum() if reduction == "mean" else losses.sum())


def _nll_samples(rng: Gen) -> Iterator[SampleInput]:
    sc = ("scatter_add",)
    t = np.array([0, 2, 1, 2])
    yield S("mean", (uniform(rng, (4, 3)), t), needs_kernels=sc)
    yield S(
        "sum_weighted",
        (uniform(rng, (4, 3)), t),
        {"weight": NoGrad(uniform(rng, (3,), 0.5, 2.0)), "reduction": "sum"},
        needs_kernels=sc,
    )
    yield S(
        "none_ignore",
        (uniform(rng, (4, 3)), np.array([0, -100, 1, 2])),
        {"reduction": "none"},
        needs_kernels=sc,
    )


def _nll_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(
        S("target_out_of_bounds", (np.ones((2, 3)), np.array([0, 3]))), IndexError, "out of bounds"
    )
    yield ErrorInput(
        S("batch_mismatch", (np.ones((2, 3)), np.array([0, 1, 2]))), ValueError, "batch_size"
    )


def _ce_ref(
    x: np.ndarray,
    target: np.ndarray,
    weight: np.ndarray | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> np.ndarray:
    logp = _softmax_ref(True)(x, 1)
    c = x.shape[1]
    if target.dtype.kind == "f":
        t = target * (1 - label_smoothing) + label_smoothing / c
        losses = -(logp * t * (1.0 if weight is None else weight)).sum(1)
        return (
            losses
            if reduction == "none"
            else np.asarray(losses.mean() if reduction == "mean" else losses.sum())
        )
    loss = _nll_ref(logp, target, weight, ignore_index, reduction)
    if label_smoothing:
        keep = (target != ignore_index).astype(np.float64)
        wl = logp if weight is None else logp * weight
        smooth = -wl.sum(1) * keep / c
        denom = keep.sum() if weight is None else (weight[np.clip(target, 0, None)] * keep).sum()
        sl = (
            smooth.sum() / denom
            if reduction == "mean"
            else (smooth if reduction == "none" else smooth.sum())
        )
        loss = loss * (1 - label_smoothing) + sl * label_smoothing
    return np.asarray(loss)


def _ce_samples(rng: Gen) -> Iterator[SampleInput]:
    sc = ("scatter_add",)
    t = np.array([1, 0, 2])
    yield S("indices_mean", (uniform(rng, (3, 3)), t), needs_kernels=sc)
    yield S(
        "indices_smoothing", (uniform(rng, (3, 3)), t), {"label_smoothing": 0.1}, needs_kernels=sc
    )
    yield S(
        "indices_weight_sum",
        (uniform(rng, (3, 3)), t),
        {"weight": NoGrad(uniform(rng, (3,), 0.5, 2.0)), "reduction": "sum"},
        needs_kernels=sc,
    )
    p = rng.uniform(0.1, 1.0, (2, 4))
    yield S("probabilities", (uniform(rng, (2, 4)), p / p.sum(1, keepdims=True)))
    for reduction, classes in (("sum", [2, 2, 0]), ("none", [3, 1, 0])):
        x, target = uniform(rng, (3, 4)), np.array(classes)
        yield S(f"indices_{reduction}", (x, target), {"reduction": reduction}, needs_kernels=sc)


def _linear_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("bias", (uniform(rng, (3, 4)), uniform(rng, (2, 4)), uniform(rng, (2,))))
    yield S("no_bias", (uniform(rng, (3, 4)), uniform(rng, (2, 4))))
    yield S("batched", (uniform(rng, (2, 3, 4)), uniform(rng, (2, 4)), uniform(rng, (2,))))
    yield S("1d_input", (uniform(rng, (4,)), uniform(rng, (2, 4)), uniform(rng, (2,))))


def _linear_ref(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    out = x @ w.T
    return out if b is None else out + b


def functional_ops() -> list[OpInfo]:
    nn = "tensorplug.nn.functional"
    return [
        OpInfo(
            "softmax",
            F.softmax,
            _softmax_ref(False),
            _softmax_samples,
            namespace=nn,
            tolerances={D.float16: F16_SUM},
            torch_ref=TorchRef("nn.functional.softmax", (method("softmax"),)),
        ),
        OpInfo(
            "log_softmax",
            F.log_softmax,
            _softmax_ref(True),
            _softmax_samples,
            namespace=nn,
            tolerances={D.float16: F16_SUM},
            torch_ref=TorchRef("nn.functional.log_softmax", (method("log_softmax"),)),
        ),
        OpInfo(
            "mse_loss",
            F.mse_loss,
            _mse_ref,
            _mse_samples,
            namespace=nn,
            tolerances={D.float16: F16_SUM},
            errors=errors_of(
                ErrorInput(
                    S("bad_reduction", (np.ones(2), np.ones(2)), {"reduction": "avg"}),
                    ValueError,
                    "reduction must be one of",
                )
            ),
            torch_ref=TorchRef("nn.functional.mse_loss"),
        ),
        OpInfo(
            "nll_loss",
            F.nll_loss,
            _nll_ref,
            _nll_samples,
            namespace=nn,
            tolerances={D.float16: F16_SUM},
            errors=lambda: _nll_errors(),
            torch_ref=TorchRef("nn.functional.nll_loss"),
        ),
        OpInfo(
            "cross_entropy",
            F.cross_entropy,
            _ce_ref,
            _ce_samples,
            namespace=nn,
            tolerances={D.float16: F16_SUM},
            grad_tolerances={D.float16: F16_GRAD},
            torch_ref=TorchRef(
                "nn.functional.cross_entropy",
                other_nodes=(
                    ("probabilities", "PyTorch divides a sum (DivBackward1); a mean here"),
                ),
            ),
        ),
        OpInfo(
            "linear",
            F.linear,
            _linear_ref,
            _linear_samples,
            namespace=nn,
            tolerances={D.float16: F16_SUM},
            torch_ref=TorchRef(
                "nn.functional.linear",
                other_nodes=(
                    ("batched", "PyTorch folds the batch into a matrix and back (ViewBackward0)"),
                    ("1d_input", "PyTorch's result is a view of a matrix product (ViewBackward0)"),
                ),
            ),
        ),
    ]
