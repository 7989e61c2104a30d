"""``tensorplug.func.functional_call`` (and the older ``nn.utils.stateless`` spelling) and
``nn.utils.fusion``, against PyTorch in float64."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import tensorplug as tp

torch = pytest.importorskip("torch")


def _np(t: Any) -> np.ndarray:
    return np.asarray(t.detach().numpy())


def _tied_net(lib: Any) -> Any:
    class Tied(lib.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = lib.nn.Linear(3, 3, bias=False)
            self.out = lib.nn.Linear(3, 3)
            self.out.weight = self.emb.weight  # tied, as a language model's embedding
            self.bn = lib.nn.BatchNorm1d(3)

        def forward(self, x: Any, scale: float = 1.0) -> Any:
            return self.bn(self.out(self.emb(x))) * scale

    net = Tied().double()
    with lib.no_grad():
        net.out.bias.copy_(lib.tensor([0.5, -0.25, 1.0]))
        net.emb.weight.copy_(lib.eye(3))
    return net


def _functional_call(lib: Any) -> list[Any]:
    net = _tied_net(lib)
    w = lib.tensor(np.arange(9.0).reshape(3, 3) / 10, requires_grad=True)
    x = lib.tensor(np.array([[1.0, -1.0, 0.5], [0.0, 2.0, 1.0]]))
    before = _np(net.emb.weight).copy()
    out = lib.func.functional_call(net, {"emb.weight": w}, (x,), {"scale": 2.0})
    (out * out).sum().backward()
    rows = [_np(out), _np(w.grad), net.emb.weight.grad is None]
    rows += [np.array_equal(_np(net.emb.weight), before), _np(net.bn.running_mean)]
    p_and_b = ({"emb.weight": w}, {"bn.running_mean": lib.zeros(3, dtype=lib.float64)})
    rows.append(_np(lib.func.functional_call(net, p_and_b, x, tie_weights=False)))
    for bad, exc in (
        (({"emb.weight": w}, {"emb.weight": w}), ValueError),
        ({"emb.weight": w, "out.weight": w * 2}, ValueError),
    ):
        with pytest.raises(exc) as e:
            lib.func.functional_call(net, bad, (x,))
        rows.append(str(e.value))
    with pytest.raises(RuntimeError) as e:
        lib.func.functional_call(net, {"emb.weight": w, "nope": w}, (x,), strict=True)
    rows.append(str(e.value))
    with pytest.warns(FutureWarning, match="stateless.functional_call` is deprecated"):
        rows.append(_np(lib.nn.utils.stateless.functional_call(net, {"emb.weight": w}, x)))
    return rows


def test_functional_call_matches_pytorch() -> None:
    want, got = _functional_call(torch), _functional_call(tp)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        if isinstance(w, str):
            assert g == w.replace("torch.", "tensorplug.")
        else:
            np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


def _fused(lib: Any, kind: str) -> list[np.ndarray]:
    lib.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "linear":
            layer, bn, x = lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), np.ones((2, 3))
        elif kind == "conv_transpose":
            layer, bn = lib.nn.ConvTranspose2d(2, 3, 2, bias=False), lib.nn.BatchNorm2d(3)
            x = np.ones((1, 2, 3, 3))
        else:
            layer, bn, x = lib.nn.Conv2d(2, 3, 2), lib.nn.BatchNorm2d(3), np.ones((1, 2, 3, 3))
    layer, bn = layer.double(), bn.double()
    with lib.no_grad():
        for i, p in enumerate([*layer.parameters(), *bn.parameters(), bn.running_mean]):
            p.copy_(lib.linspace(-1, 1, p.numel(), dtype=lib.float64).reshape(p.shape) * (i + 1))
        bn.running_var.fill_(2.5)
    layer.eval()
    bn.eval()
    fu = lib.nn.utils.fusion
    if kind == "linear":
        fused = fu.fuse_linear_bn_eval(layer, bn)
    else:
        fused = fu.fuse_conv_bn_eval(layer, bn, transpose=kind == "conv_transpose")
    xt = lib.tensor(x)
    return [_np(fused(xt)), _np(bn(layer(xt))), _np(fused.weight), _np(fused.bias)]


@pytest.mark.parametrize("kind", ["linear", "conv", "conv_transpose"])
def test_fusion_matches_pytorch(kind: str) -> None:
    got, want = _fused(tp, kind), _fused(torch, kind)
    np.testing.assert_allclose(got[0], got[1], rtol=1e-10)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-10)
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        tp.nn.utils.fusion.fuse_linear_bn_eval(tp.nn.Linear(2, 2), tp.nn.BatchNorm1d(2))
