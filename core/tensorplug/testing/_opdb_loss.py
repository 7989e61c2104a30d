"""Op-database entries for issue 16's losses (smooth L1, Huber, KL, Poisson and Gaussian NLL,
the margin losses), each with a NumPy float64 reference. Samples keep away from each loss's
kinks (``|d| = beta``, a margin reached exactly), so finite differences are meaningful, and
class-like targets (±1, 0/1) never require grad."""

# NumPy's stubs type most compositions of ufuncs as Any; references return arrays.
# mypy: disable-error-code="no-any-return"

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

import tensorplug.nn.functional as F

from .. import _dtype as D
from ._compare import Tol
from ._opinfo import ErrorInput, NoGrad, OpInfo, SampleInput, TorchRef
from ._samples import away, uniform

Gen = np.random.Generator
S = SampleInput
NN = "tensorplug.nn.functional"
F16 = Tol(5e-3, 1e-2, "float16: several rounded terms summed")
F16_GRAD = Tol(3e-2, 3e-2, "float16 gradient through several rounded steps")


def _reduce(losses: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "none":
        return losses
    return np.asarray(losses.mean() if reduction == "mean" else losses.sum())


def _signs(rng: Gen, shape: tuple[int, ...]) -> np.ndarray:
    return np.where(rng.uniform(-1, 1, shape) >= 0, 1.0, -1.0)


def _errors(*cases: tuple[str, tuple[Any, ...], dict[str, Any], type, str]) -> Callable[..., Any]:
    return lambda: [ErrorInput(S(n, a, kw), exc, m) for n, a, kw, exc, m in cases]


# -- regression ------------------------------------------------------------------------------


def _smooth_l1_ref(
    a: np.ndarray,
    b: np.ndarray,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> np.ndarray:
    d = np.abs(a - b)
    return _reduce(np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta), reduction)


def _huber_ref(
    a: np.ndarray,
    b: np.ndarray,
    reduction: str = "mean",
    delta: float = 1.0,
    weight: np.ndarray | None = None,
) -> np.ndarray:
    d = np.abs(a - b)
    losses = np.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))
    return _reduce(losses if weight is None else losses * weight, reduction)


def _pairs(scale_name: str) -> Any:
    """Inputs whose differences sit on both sides of the kink at ``scale``, never near it."""

    def gen(rng: Gen) -> Iterator[SampleInput]:
        def pair(shape: tuple[int, ...], scale: float) -> tuple[np.ndarray, np.ndarray]:
            a = uniform(rng, shape)
            mag = rng.choice([0.3, 0.6, 1.5, 2.5], shape) + rng.uniform(-0.1, 0.1, shape)
            return a, np.asarray(a - _signs(rng, shape) * mag * scale)

        yield S("mean", pair((3, 4), 1.0))
        yield S("sum_scaled", pair((5,), 0.5), {"reduction": "sum", scale_name: 0.5})
        yield S("none", pair((2, 3), 2.0), {"reduction": "none", scale_name: 2.0})
        yield S("0d", pair((), 1.0))

    return gen


def _huber_samples(rng: Gen) -> Iterator[SampleInput]:
    yield from _pairs("delta")(rng)
    a = uniform(rng, (2, 3))
    b = np.asarray(a - _signs(rng, (2, 3)) * rng.choice([0.4, 1.6], (2, 3)))
    yield S("weight", (a, b), {"weight": NoGrad(uniform(rng, (2, 3), 0.5, 2.0))})


# -- divergences and likelihoods -------------------------------------------------------------


def _kl_ref(
    i: np.ndarray,
    t: np.ndarray,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    log_target: bool = False,
) -> np.ndarray:
    losses = np.exp(t) * (t - i) if log_target else t * np.log(t) - t * i
    if reduction == "batchmean":
        return np.asarray(losses.sum() / (i.shape[0] if i.ndim else 1))
    return _reduce(losses, reduction)


def _kl_samples(rng: Gen) -> Iterator[SampleInput]:
    def logp(*shape: int) -> np.ndarray:
        return uniform(rng, shape, -3.0, -0.1)

    def p(*shape: int) -> np.ndarray:
        return uniform(rng, shape, 0.05, 1.0)

    # 'mean' (the default) warns, in PyTorch as here: tests/nn checks it, not the database.
    yield S("batchmean", (logp(3, 4), p(3, 4)), {"reduction": "batchmean"})
    yield S(
        "sum",
        (
            logp(
                5,
            ),
            p(
                5,
            ),
        ),
        {"reduction": "sum"},
    )
    yield S("none", (logp(2, 3), p(2, 3)), {"reduction": "none"})
    yield S("log_target", (logp(3, 4), logp(3, 4)), {"reduction": "none", "log_target": True})
    yield S("log_target_batchmean", (logp(2, 5), logp(2, 5)), {"reduction": "batchmean",
                                                              "log_target": True})  # fmt: skip


def _poisson_ref(
    i: np.ndarray,
    t: np.ndarray,
    log_input: bool = True,
    full: bool = False,
    size_average: Any = None,
    eps: float = 1e-8,
    reduce: Any = None,
    reduction: str = "mean",
) -> np.ndarray:
    losses = np.exp(i) - t * i if log_input else i - t * np.log(i + eps)
    if full:
        safe = np.where(t > 1, t, 2.0)
        stirling = safe * np.log(safe) - safe + 0.5 * np.log(2 * math.pi * safe)
        losses = losses + np.where(t > 1, stirling, 0.0)
    return _reduce(losses, reduction)


def _poisson_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("log_input", (uniform(rng, (3, 4)), uniform(rng, (3, 4), 0.0, 4.0)))
    yield S(
        "rates_sum",
        (uniform(rng, (5,), 0.2, 3.0), uniform(rng, (5,), 0.0, 4.0)),
        {"log_input": False, "reduction": "sum"},
    )
    yield S(
        "full_none",
        (uniform(rng, (2, 3)), uniform(rng, (2, 3), 0.1, 4.0)),
        {"full": True, "reduction": "none"},
    )


def _gaussian_ref(
    i: np.ndarray,
    t: np.ndarray,
    var: Any,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> np.ndarray:
    v = np.asarray(var, dtype=np.float64)
    if v.ndim and v.shape == i.shape[:-1]:
        v = v[..., None]
    v = np.maximum(v, eps)
    losses = 0.5 * (np.log(v) + (i - t) ** 2 / v) + np.zeros_like(i)
    if full:
        losses = losses + 0.5 * math.log(2 * math.pi)
    return _reduce(losses, reduction)


def _gaussian_samples(rng: Gen) -> Iterator[SampleInput]:
    def u(*shape: int, lo: float = -2.0) -> np.ndarray:
        return uniform(rng, shape, lo, 2.0)

    yield S("heteroscedastic", (u(3, 4), u(3, 4), u(3, 4, lo=0.2)))
    yield S("per_row", (u(3, 4), u(3, 4), u(3, lo=0.2)), {"reduction": "sum"})
    yield S("broadcast_dim", (u(3, 4), u(3, 4), u(3, 1, lo=0.2)), {"reduction": "none"})
    yield S("full", (u(2, 3), u(2, 3), u(2, 3, lo=0.2)), {"full": True})
    yield S(
        "number_var",
        (
            u(
                4,
            ),
            u(
                4,
            ),
            0.5,
        ),
    )


# -- margin losses ---------------------------------------------------------------------------


def _ranking_ref(
    x1: np.ndarray,
    x2: np.ndarray,
    t: np.ndarray,
    margin: float = 0,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> np.ndarray:
    return _reduce(np.maximum(-t * (x1 - x2) + margin, 0), reduction)


def _ranking_samples(rng: Gen) -> Iterator[SampleInput]:
    cases: list[tuple[str, tuple[int, ...], dict[str, Any]]] = [
        ("mean", (6,), {}),
        ("margin_sum", (5,), {"margin": 0.1, "reduction": "sum"}),
        ("2d_none", (2, 3), {"reduction": "none"}),
    ]
    for name, shape, kw in cases:
        x1 = uniform(rng, shape)
        yield S(name, (x1, np.asarray(x1 + away(rng, shape)), _signs(rng, shape)), kw)


def _hinge_ref(
    x: np.ndarray,
    t: np.ndarray,
    margin: float = 1.0,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> np.ndarray:
    losses = np.where(t != 1, np.maximum(margin - x, 0), 0) + np.where(t != -1, x, 0)
    return _reduce(losses, reduction)


def _hinge_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("mean", (1.0 + away(rng, (3, 4)), NoGrad(_signs(rng, (3, 4)))))
    yield S(
        "margin_none",
        (0.5 + away(rng, (5,)), NoGrad(_signs(rng, (5,)))),
        {"margin": 0.5, "reduction": "none"},
    )


def _dist(a: np.ndarray, b: np.ndarray, p: float, eps: float) -> np.ndarray:
    return np.linalg.norm(a - b + eps, ord=p, axis=-1)


def _triplet_ref(
    a: np.ndarray,
    pos: np.ndarray,
    n: np.ndarray,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> np.ndarray:
    d_neg = _dist(a, n, p, eps)
    if swap:
        d_neg = np.minimum(d_neg, _dist(pos, n, p, eps))
    return _reduce(np.maximum(margin + _dist(a, pos, p, eps) - d_neg, 0), reduction)


def _triplet_samples(rng: Gen) -> Iterator[SampleInput]:
    cases: list[tuple[str, dict[str, Any]]] = [
        ("mean", {}),
        ("p1_sum", {"p_norm": 1.0, "reduction": "sum"}),
        ("swap_none", {"swap": True, "reduction": "none", "margin": 0.5}),
    ]
    for name, kw in cases:
        while True:  # no triplet on the hinge, no tie in the swap's minimum
            a, p, n = (uniform(rng, (4, 3)) for _ in range(3))
            args = dict(kw)
            pn = args.pop("p_norm", 2.0)
            dp, dn, ds = _dist(a, p, pn, 1e-6), _dist(a, n, pn, 1e-6), _dist(p, n, pn, 1e-6)
            margin = args.get("margin", 1.0)
            if np.all(np.abs(margin + dp - np.minimum(dn, ds)) > 0.1) and np.all(
                np.abs(dn - ds) > 0.1
            ):
                break
        if pn != 2.0:
            args["p"] = pn
        yield S(name, (a, p, n), args)


def _cosine_emb_ref(
    x1: np.ndarray,
    x2: np.ndarray,
    t: np.ndarray,
    margin: float = 0,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> np.ndarray:
    d = t.ndim
    mag = ((x1 * x1).sum(d) + 1e-12) * ((x2 * x2).sum(d) + 1e-12)
    cos = (x1 * x2).sum(d) / np.sqrt(mag)
    losses = np.where(t == 1, 1 - cos, 0) + np.where(t == -1, np.maximum(cos - margin, 0), 0)
    return _reduce(losses, reduction)


def _cosine_emb_samples(rng: Gen) -> Iterator[SampleInput]:
    emb: list[tuple[str, tuple[int, ...], dict[str, Any]]] = [
        ("mean", (4, 3), {}),
        ("margin_sum", (5, 3), {"margin": 0.2, "reduction": "sum"}),
        ("vectors_none", (4,), {"reduction": "none"}),
    ]
    for name, shape, kw in emb:
        while True:  # no cosine on the hinge at ``margin``
            x1, x2 = uniform(rng, shape), uniform(rng, shape)
            cos = _cosine_emb_ref(x1, x2, np.ones(shape[:-1]), 0.0, reduction="none")
            if np.all(np.abs(1 - cos - kw.get("margin", 0.0)) > 0.1):
                break
        yield S(name, (x1, x2, NoGrad(_signs(rng, shape[:-1]))), kw)


def _multilabel_ref(
    x: np.ndarray,
    t: np.ndarray,
    weight: np.ndarray | None = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> np.ndarray:
    losses = t * np.logaddexp(0.0, -x) + (1 - t) * np.logaddexp(0.0, x)
    if weight is not None:
        losses = losses * weight
    return _reduce(losses.sum(-1) / x.shape[-1], reduction)


def _multilabel_samples(rng: Gen) -> Iterator[SampleInput]:
    def labels(*shape: int) -> NoGrad:
        return NoGrad((rng.uniform(0, 1, shape) > 0.5).astype(np.float64))

    yield S("mean", (uniform(rng, (3, 4)), labels(3, 4)))
    yield S("weight_sum", (uniform(rng, (2, 5)), labels(2, 5)),
            {"weight": NoGrad(uniform(rng, (5,), 0.5, 2.0)), "reduction": "sum"})  # fmt: skip
    yield S("none", (uniform(rng, (4, 3)), labels(4, 3)), {"reduction": "none"})


def _ctc_ref(
    lp: np.ndarray,
    targets: np.ndarray,
    input_lengths: Any,
    target_lengths: Any,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
) -> np.ndarray:
    """The forward recursion over the extended labels, one sample at a time, in log space."""
    batched = lp.ndim == 3
    lp3 = lp if batched else lp[:, None]
    lens = list(np.atleast_1d(target_lengths))
    if targets.ndim == 2:
        rows = [list(r[:n]) for r, n in zip(targets, lens)]
    else:  # concatenated
        ends = np.cumsum(lens)
        rows = [list(targets[e - n : e]) for e, n in zip(ends, lens)]
    out = []
    for n, (steps, labels) in enumerate(zip(np.atleast_1d(input_lengths), rows)):
        ext = [blank] + [v for c in labels for v in (c, blank)]
        alpha = np.full(len(ext), -np.inf)
        alpha[:2] = lp3[0, n, ext[:2]]
        for t in range(1, steps):
            prev = [alpha, np.r_[-np.inf, alpha[:-1]], np.r_[-np.inf, -np.inf, alpha[:-2]]]
            ok = [s >= 2 and ext[s] != blank and ext[s] != ext[s - 2] for s in range(len(ext))]
            prev[2] = np.where(ok, prev[2], -np.inf)
            alpha = np.logaddexp.reduce(prev, axis=0) + lp3[t, n, ext]
        nll = -np.logaddexp.reduce(alpha[-2:] if len(ext) > 1 else alpha)
        out.append(0.0 if zero_infinity and np.isinf(nll) else nll)
    losses = np.array(out) if batched else np.array(out[0])
    if reduction == "mean":
        return np.asarray(np.mean(losses / np.maximum(np.array(lens), 1)))
    return np.asarray(losses.sum()) if reduction == "sum" else losses


def _ctc_samples(rng: Gen) -> Iterator[SampleInput]:
    def log_probs(*shape: int) -> np.ndarray:
        x = uniform(rng, shape, -2.0, 2.0)
        return np.asarray(x - np.log(np.exp(x).sum(-1, keepdims=True)))

    padded = np.array([[1, 2, 2], [3, 1, 0], [4, 4, 1]])
    yield S("mean", (log_probs(7, 3, 5), padded, (7, 6, 7), (3, 2, 3)))
    yield S("sum_concatenated", (log_probs(6, 2, 4), np.array([1, 2, 3, 3]), (6, 5), (2, 2)),
            {"reduction": "sum"})  # fmt: skip
    yield S("none_blank_last", (log_probs(5, 2, 4), np.array([[0, 1], [2, 2]]), (5, 5), (2, 1)),
            {"reduction": "none", "blank": 3})  # fmt: skip
    yield S("unbatched", (log_probs(6, 4), np.array([1, 3]), (6,), (2,)), {"reduction": "none"})
    yield S(
        "zero_infinity",
        (log_probs(4, 2, 3), np.array([[1, 1, 1], [2, 1, 0]]), (4, 4), (3, 2)),
        {"reduction": "none", "zero_infinity": True},
    )


def _entry(name: str, op: Any, ref: Any, samples: Any, **kw: Any) -> OpInfo:
    return OpInfo(
        name,
        op,
        ref,
        samples,
        namespace=NN,
        tolerances={D.float16: F16},
        grad_tolerances={D.float16: F16_GRAD},
        torch_ref=TorchRef(f"nn.functional.{name}"),
        **kw,
    )


def loss_ops() -> list[OpInfo]:
    one = np.ones
    return [
        _entry("smooth_l1_loss", F.smooth_l1_loss, _smooth_l1_ref, _pairs("beta"),
               errors=_errors(("negative_beta", (one(2), one(2)), {"beta": -1.0},
                               RuntimeError, "negative values for beta"),
                              ("int64", (np.array([1]), np.array([2])), {},
                               NotImplementedError, "not implemented for int64"))),
        _entry("huber_loss", F.huber_loss, _huber_ref, _huber_samples,
               errors=_errors(("weight_size", (one(2), one(2)), {"weight": one(3)},
                               ValueError, "Weights and input must have the same size"))),
        _entry("kl_div", F.kl_div, _kl_ref, _kl_samples,
               errors=_errors(("bad_reduction", (one(2), one(2)), {"reduction": "avg"},
                               ValueError, "avg is not a valid value for reduction"),
                              ("int64_target", (one(2), np.array([1, 2])), {"reduction": "sum"},
                               RuntimeError, "Integral inputs not supported"))),
        _entry("poisson_nll_loss", F.poisson_nll_loss, _poisson_ref, _poisson_samples),
        _entry("gaussian_nll_loss", F.gaussian_nll_loss, _gaussian_ref, _gaussian_samples,
               errors=_errors(("negative_var", (one(2), one(2), -one(2)), {}, ValueError,
                               "var has negative entry"),
                              ("var_size", (one((2, 3)), one((2, 3)), one((3, 2))), {},
                               ValueError, "var is of incorrect size"))),
        _entry("margin_ranking_loss", F.margin_ranking_loss, _ranking_ref, _ranking_samples,
               errors=_errors(("dims", (one(2), one(2), one((1, 2))), {}, RuntimeError,
                               "should have same dimension"))),
        _entry("hinge_embedding_loss", F.hinge_embedding_loss, _hinge_ref, _hinge_samples,
               errors=_errors(("mismatched", (one((2, 3)), one((2, 4))), {}, RuntimeError,
                               "must match the size"))),
        _entry("triplet_margin_loss", F.triplet_margin_loss, _triplet_ref, _triplet_samples,
               errors=_errors(("zero_margin", (one((2, 3)),) * 3, {"margin": 0.0},
                               ValueError, "margin must be greater than 0"))),
        _entry("cosine_embedding_loss", F.cosine_embedding_loss, _cosine_emb_ref,
               _cosine_emb_samples,
               errors=_errors(("2d_target", (one((2, 3)), one((2, 3)), one((2, 3))), {},
                               RuntimeError, "multi-target not supported"))),
        _entry("multilabel_soft_margin_loss", F.multilabel_soft_margin_loss, _multilabel_ref,
               _multilabel_samples),
        # PyTorch's CTC gradient folds in log_softmax's part (exp(lp) - posterior), not the
        # derivative by log_probs: held to PyTorch's by the parity test, not to finite
        # differences here (tests/nn checks those through log_softmax); no double backward.
        _entry("ctc_loss", F.ctc_loss, _ctc_ref, _ctc_samples, dtypes=(D.float32, D.float64),
               grad_dtypes=(), supports_gradgrad=False,
               errors=_errors(("blank_target", (np.zeros((3, 1, 4)), np.array([[0]]), (3,), (1,)),
                               {}, RuntimeError, "never blank"),
                              ("long_input_length", (np.zeros((3, 1, 4)), np.array([[1]]), (4,),
                                                     (1,)), {}, RuntimeError, "input_lengths"))),
    ]  # fmt: skip
