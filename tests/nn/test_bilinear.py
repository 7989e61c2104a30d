"""``nn.Bilinear`` and ``functional.bilinear`` against PyTorch (values, gradients,
initialisation bounds, errors, ``repr``); the op database checks the functional on every
backend."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

import tensorplug as tp

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batch", [(4,), (2, 3), ()])
def test_bilinear_module_matches_pytorch(bias: bool, batch: tuple[int, ...]) -> None:
    rng = np.random.default_rng(3)
    theirs = torch.nn.Bilinear(2, 3, 4, bias=bias).double()
    ours = tp.nn.Bilinear(2, 3, 4, bias=bias, dtype=tp.float64)
    ours.load_state_dict({k: tp.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    x1, x2 = rng.standard_normal((*batch, 2)), rng.standard_normal((*batch, 3))
    out = ours(tp.tensor(x1), tp.tensor(x2))
    ref = theirs(torch.tensor(x1), torch.tensor(x2))
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    ref.sum().backward()
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(
            ours.get_parameter(name).grad.numpy(), p.grad.numpy(), rtol=1e-12
        )


def test_bilinear_init_and_repr() -> None:
    layer = tp.nn.Bilinear(4, 3, 5)
    assert layer.weight.shape == (5, 4, 3) and layer.bias.shape == (5,)
    assert float(layer.weight.abs().max()) <= 0.5  # U(-1/sqrt(4), 1/sqrt(4))
    assert repr(layer) == repr(torch.nn.Bilinear(4, 3, 5))
    assert repr(tp.nn.Bilinear(1, 2, 3, False)) == repr(torch.nn.Bilinear(1, 2, 3, False))


@pytest.mark.parametrize(
    "shapes",
    [
        ((5, 2), (3,), (4, 2, 3), None),
        ((5, 2), (6, 3), (4, 2, 3), None),
        ((5, 3), (5, 3), (4, 2, 3), None),
        ((5, 2), (5, 2), (4, 2, 3), None),
        ((5, 2), (5, 3), (4, 2, 3), (3,)),
    ],
)
def test_bilinear_errors_match_pytorch(shapes: Any) -> None:
    def call(lib: Any) -> None:
        *xs, b = shapes
        args = [lib.ones(*s) for s in xs]
        lib.nn.functional.bilinear(*args, None if b is None else lib.ones(*b))

    with pytest.raises(RuntimeError) as theirs:
        call(torch)
    with pytest.raises(RuntimeError, match=re.escape(str(theirs.value).splitlines()[0])):
        call(tp)
