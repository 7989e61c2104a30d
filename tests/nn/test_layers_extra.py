"""The layers PyTorch models use that issue 16/17's survey found missing (``PReLU``,
``RMSNorm``, ``PixelShuffle``, ``MaxUnpool2d``, ``EmbeddingBag``, the 3-D pads and norms, the
margin losses...) against PyTorch's: the same ``repr``, the same state-dict names and shapes,
and the same outputs from the same weights; and what the op database cannot hold (training
randomness, in-place modules, module-only errors)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorplug as tp

torch = pytest.importorskip("torch")
TF = torch.nn.functional

RNG = np.random.default_rng(0)
X4 = RNG.standard_normal((2, 4, 4, 6))
X5 = RNG.standard_normal((2, 3, 4, 5, 4))

# (layer, constructor args, kwargs, input shape or array)
LAYERS: list[tuple[str, tuple[Any, ...], dict[str, Any], Any]] = [
    ("PReLU", (), {}, X4),
    ("PReLU", (4, 0.1), {}, X4),
    ("Threshold", (0.1, 2.0), {}, X4),
    ("Softshrink", (), {}, X4),
    ("Hardshrink", (0.3,), {}, X4),
    ("RReLU", (0.1, 0.2), {}, X4),
    ("Softmax2d", (), {}, X4),
    ("RMSNorm", (6,), {}, X4),
    ("RMSNorm", ([4, 6],), {"eps": 1e-3, "elementwise_affine": False}, X4),
    ("BatchNorm3d", (3,), {}, X5),
    ("InstanceNorm3d", (3,), {"affine": True}, X5),
    ("PixelShuffle", (2,), {}, X4),
    ("PixelUnshuffle", (2,), {}, X4),
    ("ChannelShuffle", (2,), {}, X4),
    ("Fold", ((3, 4), 2), {}, RNG.standard_normal((2, 8, 6))),
    ("Unfold", (2,), {"padding": 1, "stride": 2}, X4),
    ("ZeroPad3d", (1,), {}, X5),
    ("ConstantPad3d", ((1, 0, 2, 1, 0, 1), 2.5), {}, X5),
    ("ReflectionPad3d", (1,), {}, X5),
    ("ReplicationPad3d", ((1, 2, 0, 1, 2, 0),), {}, X5),
    ("CircularPad3d", (1,), {}, X5),
    ("AdaptiveAvgPool3d", ((2, 3, 2),), {}, X5),
    ("AdaptiveMaxPool3d", ((3, None, 2),), {}, X5),
    ("LPPool1d", (2, 3), {"stride": 2}, np.abs(X4[0])),
    ("LPPool2d", (3, 2), {}, np.abs(X4)),
    ("LPPool3d", (2, 2), {}, np.abs(X5)),
    ("Dropout3d", (0.3,), {}, X5),
    ("AlphaDropout", (0.3,), {}, X4),
    ("FeatureAlphaDropout", (0.3,), {}, X4),
]


def _pair(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any]:
    theirs = getattr(torch.nn, name)(*args, **kwargs).double().eval()
    mine = getattr(tp.nn, name)(*args, **kwargs).double().eval()
    state = {k: tp.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
    assert {k: tuple(v.shape) for k, v in state.items()} == {
        k: tuple(v.shape) for k, v in mine.state_dict().items()
    }
    mine.load_state_dict(state)
    return mine, theirs


@pytest.mark.parametrize("name, args, kwargs, x", LAYERS, ids=[f"{c[0]}-{i}" for i, c in
                                                                enumerate(LAYERS)])  # fmt: skip
def test_layer_matches_pytorch(
    name: str, args: tuple[Any, ...], kwargs: dict[str, Any], x: np.ndarray
) -> None:
    mine, theirs = _pair(name, args, kwargs)
    assert repr(mine) == repr(theirs)
    xt, xm = torch.tensor(x, requires_grad=True), tp.tensor(x, requires_grad=True)
    want, got = theirs(xt), mine(xm)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-12,
                               atol=1e-14)  # fmt: skip
    g = RNG.standard_normal(want.shape)
    want.backward(torch.tensor(g))
    got.backward(tp.tensor(g))
    np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    for (k, p), q in zip(mine.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-10, err_msg=k)


def test_batchnorm3d_running_stats_match_pytorch() -> None:
    mine, theirs = _pair("BatchNorm3d", (3,), {})
    mine.train(), theirs.train()
    for _ in range(2):
        got, want = mine(tp.tensor(X5)), theirs(torch.tensor(X5))
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-10)
    for k, v in theirs.state_dict().items():
        np.testing.assert_allclose(mine.state_dict()[k].numpy(), v.numpy(), rtol=1e-12)


def test_max_unpool_inverts_max_pool_as_pytorch() -> None:
    for n, x in ((1, X4[0]), (2, X4), (3, X5[..., :4, :])):
        pool_t = getattr(torch.nn, f"MaxPool{n}d")(2, return_indices=True)
        pool_m = getattr(tp.nn, f"MaxPool{n}d")(2, return_indices=True)
        unpool_t, unpool_m = (
            getattr(torch.nn, f"MaxUnpool{n}d")(2),
            getattr(tp.nn, f"MaxUnpool{n}d")(2),
        )
        assert repr(unpool_m) == repr(unpool_t)
        want = unpool_t(*pool_t(torch.tensor(x)))
        got = unpool_m(*pool_m(tp.tensor(x)))
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    x = RNG.standard_normal((1, 2, 5, 7))
    want = torch.nn.functional.max_unpool2d(
        *torch.nn.functional.max_pool2d(torch.tensor(x), 2, return_indices=True), 2,
        output_size=(1, 2, 5, 7))  # fmt: skip
    got = tp.nn.functional.max_unpool2d(
        *tp.nn.functional.max_pool2d(tp.tensor(x), 2, return_indices=True), 2,
        output_size=(1, 2, 5, 7))  # fmt: skip
    np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_matches_pytorch(mode: str) -> None:
    kw: dict[str, Any] = {"mode": mode, "padding_idx": 1}
    mine, theirs = _pair("EmbeddingBag", (6, 3), kw)
    assert repr(mine) == repr(theirs)
    idx, off = [0, 2, 1, 5, 5, 3, 1], [0, 3, 3, 5]
    want = theirs(torch.tensor(idx), torch.tensor(off))
    got = mine(tp.tensor(idx), tp.tensor(off))
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-12)
    want.sum().backward()
    got.sum().backward()
    np.testing.assert_allclose(mine.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize(
    "name, kwargs, target",
    [
        ("SoftMarginLoss", {}, np.sign(RNG.standard_normal((5, 4)))),
        ("MultiMarginLoss", {"p": 2, "margin": 0.5}, np.array([0, 3, 1, 1, 2])),
        ("MultiLabelMarginLoss", {"reduction": "sum"},
         np.array([[3, 0, -1, 1], [0, 1, 2, 3], [-1, 0, 0, 0], [2, -1, 0, 0], [1, 2, -1, 3]])),
    ],
)  # fmt: skip
def test_margin_loss_matches_pytorch(name: str, kwargs: dict[str, Any], target: Any) -> None:
    x = RNG.standard_normal((5, 4))
    theirs, mine = getattr(torch.nn, name)(**kwargs), getattr(tp.nn, name)(**kwargs)
    assert repr(mine) == repr(theirs)
    want, got = theirs(torch.tensor(x), torch.tensor(target)), mine(tp.tensor(x), tp.tensor(target))
    np.testing.assert_allclose(got.item(), want.item(), rtol=1e-12)


def test_multi_margin_weight_is_a_buffer() -> None:
    w = np.array([1.0, 2.0, 0.5, 1.0])
    theirs = torch.nn.MultiMarginLoss(weight=torch.tensor(w))
    mine = tp.nn.MultiMarginLoss(weight=tp.tensor(w))
    assert list(mine.state_dict()) == list(theirs.state_dict()) == ["weight"]
    x, t = RNG.standard_normal((5, 4)), np.array([0, 3, 1, 1, 2])
    want, got = theirs(torch.tensor(x), torch.tensor(t)), mine(tp.tensor(x), tp.tensor(t))
    np.testing.assert_allclose(got.item(), want.item(), rtol=1e-12)


def test_triplet_margin_with_distance_loss_module() -> None:
    theirs, mine = torch.nn.TripletMarginWithDistanceLoss(), tp.nn.TripletMarginWithDistanceLoss()
    assert repr(mine) == repr(theirs)
    a, p, n = (RNG.standard_normal((4, 3)) for _ in range(3))
    want = theirs(*(torch.tensor(v) for v in (a, p, n)))
    np.testing.assert_allclose(mine(*(tp.tensor(v) for v in (a, p, n))).item(), want.item())
    with pytest.raises(ValueError, match="expected margin to be greater than 0"):
        tp.nn.TripletMarginWithDistanceLoss(margin=0.0)


def test_rrelu_training_draws_slopes_in_range_and_eval_is_fixed() -> None:
    layer = tp.nn.RReLU(0.1, 0.3)
    x = -tp.ones(2000, dtype=tp.float64)
    slopes = -layer(x).numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and slopes.std() > 0.03
    layer.eval()
    np.testing.assert_allclose(-layer(x).numpy(), 0.2)


def test_alpha_dropout_keeps_mean_and_variance() -> None:
    x = tp.tensor(RNG.standard_normal(200_000))
    y = tp.nn.functional.alpha_dropout(x, 0.2, training=True)
    assert abs(y.mean().item()) < 0.02 and abs(y.std().item() - 1) < 0.02
    z = tp.nn.FeatureAlphaDropout(0.5)(tp.ones(4, 8, 3)).numpy()
    assert (z == z[:, :, :1]).all()  # whole channels
    assert tp.nn.AlphaDropout(0.5).eval()(x) is x


@pytest.mark.parametrize(
    "layer, fn",
    [
        (lambda: tp.nn.Threshold(0.0, -1.0, inplace=True), lambda x: TF.threshold_(x, 0.0, -1.0)),
        (lambda: tp.nn.LeakyReLU(0.2, inplace=True), lambda x: TF.leaky_relu_(x, 0.2)),
        (lambda: tp.nn.RReLU(inplace=True).eval(), lambda x: TF.rrelu_(x)),
        (lambda: tp.nn.SiLU(inplace=True), lambda x: TF.silu(x, inplace=True)),
        (lambda: tp.nn.ReLU(inplace=True), lambda x: TF.relu(x, inplace=True)),
        (lambda: lambda x: tp.nn.functional.relu(x, inplace=True), lambda x: TF.relu_(x)),
        (lambda: lambda x: tp.nn.functional.silu(x, inplace=True), lambda x: TF.silu(x, True)),
        (lambda: lambda x: tp.nn.functional.relu_(x), lambda x: TF.relu_(x)),
    ],
)  # fmt: skip
def test_inplace_modules_write_into_their_input(layer: Any, fn: Any) -> None:
    x = RNG.standard_normal((3, 4))
    leaf_m = tp.tensor(x, requires_grad=True)
    leaf_t = torch.tensor(x, requires_grad=True)
    xm, xt = leaf_m * 1, leaf_t * 1
    out_m, out_t = layer()(xm), fn(xt)
    assert out_m is xm and out_m.grad_fn.name() == out_t.grad_fn.name()
    np.testing.assert_allclose(xm.detach().numpy(), xt.detach().numpy())
    out_m.sum().backward()
    out_t.sum().backward()
    np.testing.assert_allclose(leaf_m.grad.numpy(), leaf_t.grad.numpy())


def test_module_errors_as_pytorch() -> None:
    with pytest.raises(ValueError, match="3D or 4D"):
        tp.nn.Softmax2d()(tp.ones(2))
    with pytest.raises(ValueError, match="expected 5D"):
        tp.nn.BatchNorm3d(3)(tp.ones(2, 3, 4))
    with pytest.raises(ValueError, match="only p == 1 and p == 2"):
        tp.nn.MultiMarginLoss(p=3)
    with pytest.raises(AssertionError, match="padding_idx must be within"):
        tp.nn.EmbeddingBag(3, 2, padding_idx=5)
