"""The issue-16 layers against PyTorch: the convolutions (1-D, transposed, padding modes),
pools, ``Upsample``, group/instance/local response normalisation and channel dropout, each
built in both libraries, PyTorch's ``state_dict`` loaded into ours (same keys and shapes),
then outputs, gradients, buffers and ``repr`` compared in float64."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import tensorplug as tp
import tensorplug.nn.functional as F
from tensorplug import nn

torch = pytest.importorskip("torch")

CASES: list[tuple[str, tuple[Any, ...], dict[str, Any], tuple[int, ...]]] = [
    ("Conv1d", (4, 6, 3), {"stride": 2, "padding": 1, "groups": 2}, (2, 4, 9)),
    ("Conv1d", (4, 6, 4), {"padding": "same", "padding_mode": "circular"}, (2, 4, 9)),
    ("Conv2d", (4, 6, 3), {"padding": "same", "padding_mode": "reflect", "bias": False},
     (2, 4, 7, 7)),
    ("Conv2d", (4, 6, (3, 2)), {"padding": 2, "padding_mode": "circular"}, (2, 4, 7, 7)),
    ("Conv2d", (4, 6, 3), {"padding": 1, "padding_mode": "replicate", "dilation": 2},
     (2, 4, 7, 7)),
    ("ConvTranspose1d", (4, 6, 3), {"stride": 2, "output_padding": 1, "groups": 2}, (2, 4, 9)),
    ("ConvTranspose2d", (4, 6, 3), {"stride": 2, "padding": 1, "dilation": 2}, (2, 4, 5, 5)),
    ("ConvTranspose2d", (4, 6, 3), {"padding": 1}, (2, 4, 5, 5)),
    ("GroupNorm", (2, 4), {}, (3, 4, 5)),
    ("InstanceNorm1d", (4,), {"affine": True, "track_running_stats": True}, (3, 4, 5)),
    ("InstanceNorm2d", (4,), {}, (4, 5, 6)),
    ("LocalResponseNorm", (3,), {}, (2, 5, 4, 3)),
    ("MaxPool1d", (3,), {"stride": 2, "padding": 1}, (2, 4, 9)),
    ("AvgPool1d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True}, (2, 4, 9)),
    ("MaxPool2d", (3,), {"stride": 2, "ceil_mode": True}, (2, 4, 8, 8)),
    ("AdaptiveAvgPool1d", (4,), {}, (2, 4, 9)),
    ("AdaptiveAvgPool2d", ((2, 3),), {}, (2, 4, 9, 7)),
    ("AdaptiveMaxPool2d", (3,), {}, (2, 4, 9, 7)),
    ("AdaptiveMaxPool1d", (3,), {}, (2, 4, 7)),
    ("Upsample", (), {"scale_factor": 2, "mode": "bilinear", "align_corners": True},
     (2, 4, 3, 3)),
    ("Upsample", (), {"size": (5, 4), "mode": "bicubic"}, (2, 4, 3, 3)),
    ("UpsamplingNearest2d", (), {"scale_factor": 2}, (2, 4, 3, 3)),
    ("UpsamplingBilinear2d", (), {"size": 5}, (2, 4, 3, 3)),
    ("ZeroPad2d", ((1, 2, 0, 3),), {}, (2, 3, 4)),
    ("ConstantPad1d", (2, 1.5), {}, (2, 3, 4)),
    ("ReflectionPad2d", (2,), {}, (2, 3, 4, 5)),
    ("ReplicationPad1d", ((1, 3),), {}, (2, 3, 4)),
    ("CircularPad2d", ((1, 0, 2, 1),), {}, (1, 2, 3, 4)),
]  # fmt: skip


@pytest.mark.parametrize(("name", "args", "kwargs", "shape"), CASES, ids=[c[0] for c in CASES])
def test_layer_loads_torch_state_and_matches(
    name: str, args: tuple[Any, ...], kwargs: dict[str, Any], shape: tuple[int, ...]
) -> None:
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    ours = getattr(nn, name)(*args, **kwargs).double()
    state = theirs.state_dict()
    mine = ours.state_dict()
    assert sorted(mine) == sorted(state)
    assert all(tuple(mine[k].shape) == tuple(v.shape) for k, v in state.items())
    ours.load_state_dict({k: tp.tensor(v.numpy()) for k, v in state.items()})
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(0).standard_normal(shape)
    xo, xt = tp.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, ref = ours(xo), theirs(xt)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), atol=1e-12)
    g = np.random.default_rng(1).standard_normal(tuple(ref.shape))
    out.backward(tp.tensor(g))
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), atol=1e-10)
    for (key, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), atol=1e-10, err_msg=key)
    for (key, b), (_, c) in zip(ours.named_buffers(), theirs.named_buffers()):
        np.testing.assert_allclose(b.numpy(), c.numpy(), rtol=1e-12, err_msg=key)


@pytest.mark.parametrize("name", ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"])
def test_conv_initialisation_is_pytorchs(name: str) -> None:
    # kaiming_uniform_(a=sqrt(5)) over fan_in = weight.shape[1] * taps: U(+-1/sqrt(fan_in))
    tp.manual_seed(0)
    layer = getattr(nn, name)(16, 32, 3)
    fan_in = layer.weight.shape[1] * math.prod(layer.kernel_size)
    bound = 1 / math.sqrt(fan_in)
    w = layer.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound
    assert np.abs(layer.bias.detach().numpy()).max() <= bound


def test_conv_transpose_output_size() -> None:
    layer = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    x = tp.randn(1, 2, 4, 4)
    assert layer(x).shape == (1, 3, 7, 7)
    assert layer(x, output_size=(8, 8)).shape == (1, 3, 8, 8)
    with pytest.raises(ValueError, match="valid sizes range from 7 to 8"):
        layer(x, output_size=(9, 9))


def test_pools_return_pytorchs_indices() -> None:
    x = np.random.default_rng(2).permutation(2 * 3 * 7 * 8).reshape(2, 3, 7, 8).astype(float)
    for ours, theirs in [
        (nn.MaxPool2d(3, 2, 1, return_indices=True),
         torch.nn.MaxPool2d(3, 2, 1, return_indices=True)),
        (nn.AdaptiveMaxPool2d((3, 5), True), torch.nn.AdaptiveMaxPool2d((3, 5), True)),
        (nn.MaxPool1d(2, return_indices=True), torch.nn.MaxPool1d(2, return_indices=True)),
    ]:  # fmt: skip
        xs = x if not isinstance(ours, nn.MaxPool1d) else x.reshape(6, 7, 8)
        (out, idx), (ref, ridx) = ours(tp.tensor(xs)), theirs(torch.tensor(xs))
        np.testing.assert_array_equal(out.numpy(), ref.numpy())
        np.testing.assert_array_equal(idx.numpy(), ridx.numpy())
        assert idx.dtype == tp.int64


def test_channel_dropout_zeroes_whole_channels() -> None:
    tp.manual_seed(0)
    y = F.dropout2d(tp.ones(100, 40, 3, 3), 0.3).numpy()
    per_channel = y.reshape(100, 40, 9)
    assert np.all(per_channel == per_channel[:, :, :1])  # one draw per (sample, channel)
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.7)}
    assert abs((per_channel[:, :, 0] == 0).mean() - 0.3) < 0.03
    y1 = F.dropout1d(tp.ones(3, 200, 4), 0.5).numpy()
    assert np.all(y1 == y1[:, :, :1])
    assert nn.Dropout2d(0.5).eval()(tp.ones(2, 3, 2, 2)).shape == (2, 3, 2, 2)
    with pytest.raises(RuntimeError, match="Expected 2D or 3D input"):
        F.dropout1d(tp.ones(2, 3, 4, 5))
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        F.dropout2d(tp.ones(2, 3, 4))


def test_second_derivatives_of_layers() -> None:
    from tensorplug.testing import gradgradcheck

    rng = np.random.default_rng(4)
    x = tp.tensor(rng.standard_normal((1, 2, 5, 5)), requires_grad=True)
    w = tp.tensor(rng.standard_normal((2, 3, 3, 3)), requires_grad=True)
    assert gradgradcheck(lambda a, b: F.conv_transpose2d(a, b, stride=2), (x, w))
    assert gradgradcheck(lambda a: F.pad(a, (1, 2, 2, 1), mode="reflect"), (x,))
    assert gradgradcheck(lambda a: F.max_pool2d(a, 2, ceil_mode=True), (x,))
    assert gradgradcheck(lambda a: F.interpolate(a, scale_factor=1.5, mode="bicubic"), (x,))
