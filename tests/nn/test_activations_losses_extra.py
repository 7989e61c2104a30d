"""Issue 16's activations, distances and losses beyond what the op database holds: the layers
against PyTorch's, the ``inplace=`` forms, the warnings PyTorch gives (deprecated arguments,
an implicit dim, KL's ``'mean'``), the Gumbel-softmax sampler, and the integer-input errors.
Values, gradients and node names of the functions themselves are the database's
(``tests/ops/test_torch_parity.py``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorplug as tp
import tensorplug.nn.functional as F
from tensorplug import nn

torch = pytest.importorskip("torch", reason="PyTorch is the oracle here (nox installs it)")

RNG = np.random.default_rng(16)
X = RNG.uniform(-4, 4, (4, 4))

# (name, args, kwargs) of layers taking one input, built the same way in both libraries
ONE_INPUT = [
    ("ELU", (), {"alpha": 0.7}), ("SELU", (), {}), ("CELU", (1.5,), {}),
    ("Hardtanh", (-2.0, 2.0), {}), ("ReLU6", (), {}), ("Hardswish", (), {}),
    ("Hardsigmoid", (), {}), ("Mish", (), {}), ("LogSigmoid", (), {}), ("Softsign", (), {}),
    ("Tanhshrink", (), {}), ("Softmin", (1,), {}), ("GLU", (), {}), ("GLU", (0,), {}),
]  # fmt: skip


def _pair(a: np.ndarray) -> tuple[tp.Tensor, Any]:
    return tp.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def _check(ours: tp.Tensor, theirs: Any, leaves: list[tuple[tp.Tensor, Any]]) -> None:
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), 1e-12, 1e-14)
    w = RNG.standard_normal(tuple(theirs.shape))
    (ours * tp.tensor(w)).sum().backward()
    (theirs * torch.tensor(w)).sum().backward()
    for p, t in leaves:
        if p.grad is None or t.grad is None:  # a target used only in comparisons
            assert p.grad is None and t.grad is None
            continue
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), 1e-10, 1e-12)


@pytest.mark.parametrize(("name", "args", "kwargs"), ONE_INPUT)
def test_activation_layers_match_pytorch(name: str, args: tuple[Any, ...], kwargs: Any) -> None:
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    x, xt = _pair(X)
    _check(ours(x), theirs(xt), [(x, xt)])


@pytest.mark.parametrize("name", ["ELU", "SELU", "CELU", "Hardtanh", "ReLU6", "Hardswish",
                                  "Hardsigmoid", "Mish"])  # fmt: skip
def test_inplace_layers_write_their_input_like_pytorch(name: str) -> None:
    ours, theirs = getattr(nn, name)(inplace=True), getattr(torch.nn, name)(inplace=True)
    assert repr(ours) == repr(theirs)
    x, xt = _pair(X)
    y, yt = x * 1.0, xt * 1.0  # not leaves: they may be written
    out, out_t = ours(y), theirs(yt)
    assert out is y and out_t is yt
    assert out.grad_fn.name() == out_t.grad_fn.name()
    _check(out, out_t, [(x, xt)])


def test_inplace_on_a_leaf_that_requires_grad_is_refused() -> None:
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        F.elu(tp.ones(3, requires_grad=True), inplace=True)
    with tp.no_grad():
        x = tp.tensor([-1.0, 2.0])
        assert F.hardtanh(x, inplace=True) is x
    assert x.tolist() == [-1.0, 1.0]


@pytest.mark.parametrize("fn", ["elu", "celu"])
def test_inplace_backward_with_a_negative_alpha_raises_like_pytorch(fn: str) -> None:
    for lib, f in [(torch, getattr(torch.nn.functional, fn)), (tp, getattr(F, fn))]:
        x = lib.tensor([-1.0, 2.0], requires_grad=True)
        out = f(x * 1.0, alpha=-0.5, inplace=True)
        with pytest.raises(RuntimeError, match="negative slope which is not supported"):
            out.sum().backward()
    got = F.celu(tp.tensor([-1.0, 2.0], requires_grad=True), alpha=-0.5)
    want = torch.nn.functional.celu(torch.tensor([-1.0, 2.0]), alpha=-0.5)
    np.testing.assert_allclose(got.detach().numpy(), want.numpy(), 1e-12)


def _losses() -> list[tuple[str, dict[str, Any], tuple[np.ndarray, ...]]]:
    a, b, c = (RNG.uniform(-2, 2, (4, 3)) for _ in range(3))
    sign = np.where(RNG.uniform(-1, 1, 4) > 0, 1.0, -1.0)
    logp = np.log(RNG.dirichlet(np.ones(3), 4))
    p = RNG.dirichlet(np.ones(3), 4)
    return [
        ("SmoothL1Loss", {"beta": 0.5}, (a, b)),
        ("SmoothL1Loss", {"reduction": "sum", "beta": 0.0}, (a, b)),
        ("HuberLoss", {"delta": 0.5, "reduction": "none"}, (a, b)),
        ("KLDivLoss", {"reduction": "batchmean"}, (logp, p)),
        ("KLDivLoss", {"reduction": "sum", "log_target": True}, (logp, np.log(p))),
        ("PoissonNLLLoss", {}, (a, np.abs(b) * 2)),
        ("PoissonNLLLoss", {"log_input": False, "full": True}, (np.abs(a) + 0.1, np.abs(b) * 3)),
        ("GaussianNLLLoss", {"full": True}, (a, b, np.abs(c) + 0.1)),
        ("MarginRankingLoss", {"margin": 0.3}, (a[:, 0], b[:, 0], sign)),
        ("HingeEmbeddingLoss", {"margin": 0.5}, (a, np.sign(b))),
        ("TripletMarginLoss", {"margin": 2.0, "swap": True}, (a, b, c)),
        ("TripletMarginLoss", {"p": 1.0, "reduction": "none"}, (a, b, c)),
        ("CosineEmbeddingLoss", {"margin": -0.5}, (a, b, sign)),
        ("MultiLabelSoftMarginLoss", {}, (a, (b > 0).astype(np.float64))),
    ]


@pytest.mark.parametrize(("name", "kwargs", "inputs"), _losses())
def test_loss_layers_match_pytorch(name: str, kwargs: Any, inputs: tuple[np.ndarray, ...]) -> None:
    ours, theirs = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    pairs = [_pair(a) for a in inputs]
    _check(ours(*[p for p, _ in pairs]), theirs(*[t for _, t in pairs]), pairs)


def test_distance_layers_match_pytorch() -> None:
    for ours, theirs in [
        (nn.CosineSimilarity(dim=0, eps=1e-6), torch.nn.CosineSimilarity(dim=0, eps=1e-6)),
        (nn.PairwiseDistance(p=3.0, keepdim=True), torch.nn.PairwiseDistance(p=3.0, keepdim=True)),
    ]:
        (x, xt), (y, yt) = _pair(X), _pair(X[::-1].copy())
        _check(ours(x, y), theirs(xt, yt), [(x, xt), (y, yt)])


def test_deprecated_size_average_and_reduce_read_and_warned_as_pytorch() -> None:
    a, b = RNG.uniform(-2, 2, (2, 3)), RNG.uniform(-2, 2, (2, 3))
    for size_average, reduce in [(False, None), (None, False), (True, True)]:
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            got = F.smooth_l1_loss(tp.tensor(a), tp.tensor(b), size_average, reduce)
        with pytest.warns(UserWarning):
            want = torch.nn.functional.smooth_l1_loss(
                torch.tensor(a), torch.tensor(b), size_average, reduce
            )
        np.testing.assert_allclose(got.numpy(), want.numpy(), 1e-12)
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert nn.HingeEmbeddingLoss(size_average=False).reduction == "sum"


def test_kl_div_mean_warns_and_divides_by_every_element() -> None:
    logp, p = np.log(RNG.dirichlet(np.ones(3), 2)), RNG.dirichlet(np.ones(3), 2)
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        got = F.kl_div(tp.tensor(logp), tp.tensor(p))
    with pytest.warns(UserWarning):
        want = torch.nn.functional.kl_div(torch.tensor(logp), torch.tensor(p))
    np.testing.assert_allclose(got.numpy(), want.numpy(), 1e-12)


def test_softmin_without_dim_warns_and_takes_pytorch_dim() -> None:
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        got = F.softmin(tp.tensor(X))
    with pytest.warns(UserWarning):
        want = torch.nn.functional.softmin(torch.tensor(X))
    np.testing.assert_allclose(got.numpy(), want.numpy(), 1e-12)
    out = F.softmin(tp.tensor([1, 2, 3]), 0, dtype=tp.float64)
    assert out.dtype is tp.float64


@pytest.mark.parametrize(
    "fn", ["elu", "selu", "celu", "hardswish", "hardsigmoid", "mish", "logsigmoid", "glu"]
)
def test_integer_inputs_raise_like_pytorch(fn: str) -> None:
    with pytest.raises(NotImplementedError):
        getattr(torch.nn.functional, fn)(torch.tensor([-2, 4]))
    with pytest.raises(NotImplementedError, match=f"{fn}\\(\\): not implemented for int64"):
        getattr(F, fn)(tp.tensor([-2, 4]))


def test_hardtanh_and_relu6_keep_integer_dtypes_like_pytorch() -> None:
    got = F.hardtanh(tp.tensor([-3, 0, 3]), -0.5, 1.5)
    assert got.dtype is tp.int64 and got.tolist() == [0, 0, 1]
    assert F.relu6(tp.tensor([-1, 9])).tolist() == [0, 6]
    with pytest.raises(RuntimeError, match="Bool inputs not supported for hardtanh"):
        F.hardtanh(tp.tensor([True]))


def test_gumbel_softmax_samples_through_the_backend_generator() -> None:
    logits = tp.tensor(np.log([0.1, 0.2, 0.7]))
    tp.manual_seed(3)
    first = F.gumbel_softmax(logits.expand(2000, 3), tau=0.5)
    tp.manual_seed(3)
    again = F.gumbel_softmax(logits.expand(2000, 3), tau=0.5)
    np.testing.assert_array_equal(first.numpy(), again.numpy())
    np.testing.assert_allclose(first.sum(-1).numpy(), 1.0, 1e-12)
    hard = F.gumbel_softmax(logits.expand(20000, 3), hard=True)
    assert set(np.unique(hard.numpy())) <= {0.0, 1.0}
    # The argmax of logits + Gumbel noise is a sample of softmax(logits).
    np.testing.assert_allclose(hard.numpy().mean(0), [0.1, 0.2, 0.7], atol=0.015)


def test_gumbel_softmax_hard_passes_the_soft_gradient() -> None:
    logits = tp.tensor(RNG.standard_normal((4, 5)), requires_grad=True)
    tp.manual_seed(1)
    hard = F.gumbel_softmax(logits, tau=2.0, hard=True, dim=0)
    tp.manual_seed(1)
    soft = F.gumbel_softmax(logits, tau=2.0, dim=0)
    w = tp.tensor(RNG.standard_normal((4, 5)))
    (g_hard,) = tp.autograd.grad((hard * w).sum(), [logits])
    (g_soft,) = tp.autograd.grad((soft * w).sum(), [logits])
    np.testing.assert_allclose(g_hard.numpy(), g_soft.numpy(), 1e-12, 1e-14)
    assert (hard.detach().sum(0).numpy() == 1).all()
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
        F.gumbel_softmax(logits, eps=1e-5)


def test_double_backward_of_the_nodes_matches_pytorch() -> None:
    for name, kwargs in [("elu", {"alpha": 0.5}), ("celu", {"alpha": 2.0}), ("mish", {}),
                         ("logsigmoid", {}), ("hardswish", {}), ("glu", {"dim": 0})]:  # fmt: skip
        x, xt = _pair(X)
        (g,) = tp.autograd.grad(getattr(F, name)(x, **kwargs).sum(), [x], create_graph=True)
        (gt,) = torch.autograd.grad(
            getattr(torch.nn.functional, name)(xt, **kwargs).sum(), [xt], create_graph=True
        )
        (gg,) = tp.autograd.grad((g * g).sum(), [x])
        (ggt,) = torch.autograd.grad((gt * gt).sum(), [xt])
        np.testing.assert_allclose(gg.numpy(), ggt.numpy(), 1e-9, 1e-12, err_msg=name)
    a, b = _pair(X), _pair(X[::-1].copy())
    for fn in ("smooth_l1_loss", "huber_loss"):
        (g,) = tp.autograd.grad(getattr(F, fn)(a[0], b[0]), [a[0]], create_graph=True)
        (gt,) = torch.autograd.grad(
            getattr(torch.nn.functional, fn)(a[1], b[1]), [a[1]], create_graph=True
        )
        (gg,) = tp.autograd.grad((g * g).sum(), [b[0]])
        (ggt,) = torch.autograd.grad((gt * gt).sum(), [b[1]])
        np.testing.assert_allclose(gg.numpy(), ggt.numpy(), 1e-9, 1e-12, err_msg=fn)


def test_ctc_layer_matches_pytorch_from_logits() -> None:
    logits = RNG.standard_normal((8, 3, 6))
    targets, lengths = np.array([[1, 2, 2, 5], [3, 1, 0, 0], [4, 4, 4, 4]]), [4, 2, 3]
    ours, theirs = nn.CTCLoss(blank=0, zero_infinity=True), torch.nn.CTCLoss(zero_infinity=True)
    x, xt = _pair(logits)
    got = ours(F.log_softmax(x, 2), tp.tensor(targets), tp.tensor([8, 7, 8]), tp.tensor(lengths))
    want = theirs(
        xt.log_softmax(2), torch.tensor(targets), torch.tensor([8, 7, 8]), torch.tensor(lengths)
    )
    _check(got, want, [(x, xt)])


def test_ctc_gradient_through_log_softmax_is_the_true_derivative() -> None:
    """PyTorch's CTC gradient folds in log_softmax's part; through log_softmax it is the
    derivative of the loss by the logits, which finite differences confirm."""
    logits = RNG.standard_normal((5, 2, 4))
    args = (tp.tensor(np.array([[1, 2], [3, 3]])), (5, 4), (2, 2))

    def loss(z: np.ndarray) -> float:
        return float(F.ctc_loss(F.log_softmax(tp.tensor(z), 2), *args, reduction="sum").item())

    x = tp.tensor(logits, requires_grad=True)
    F.ctc_loss(F.log_softmax(x, 2), *args, reduction="sum").backward()
    numeric = np.zeros_like(logits)
    for i in np.ndindex(logits.shape):
        step = np.zeros_like(logits)
        step[i] = 1e-6
        numeric[i] = (loss(logits + step) - loss(logits - step)) / 2e-6
    np.testing.assert_allclose(x.grad.numpy(), numeric, rtol=1e-6, atol=1e-8)


def test_ctc_has_no_double_backward_as_in_pytorch() -> None:
    lp = F.log_softmax(tp.tensor(RNG.standard_normal((4, 1, 3)), requires_grad=True), 2)
    loss = F.ctc_loss(lp, tp.tensor([[1, 2]]), (4,), (2,))
    with pytest.raises(RuntimeError, match="derivative for ctc_loss_backward is not implemented"):
        tp.autograd.grad(loss, [lp], create_graph=True)
