"""``nn.Conv3d``, ``ConvTranspose3d``, ``MaxPool3d`` and ``AvgPool3d`` against PyTorch's: the
same parameters' names and shapes, and the same outputs from the same weights."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorplug as tp

torch = pytest.importorskip("torch")


@pytest.mark.parametrize(
    "name, args, kwargs",
    [
        ("Conv3d", (2, 4, 3), {"padding": 1, "stride": (1, 2, 1)}),
        ("Conv3d", (4, 4, (2, 3, 1)), {"groups": 2, "bias": False, "dilation": 2}),
        ("ConvTranspose3d", (2, 3, 2), {"stride": 2, "output_padding": 1}),
        ("MaxPool3d", (2,), {"stride": 1, "padding": 1}),
        ("AvgPool3d", (3,), {"stride": 2, "padding": 1, "count_include_pad": False}),
    ],
)
def test_layer_matches_pytorch(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    mine = getattr(tp.nn, name)(*args, **kwargs, **({"dtype": tp.float64} if "Conv" in name
                                                   else {}))  # fmt: skip
    state = {k: tp.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
    assert {k: tuple(v.shape) for k, v in state.items()} == {
        k: tuple(v.shape) for k, v in mine.state_dict().items()
    }
    mine.load_state_dict(state)
    x = np.random.default_rng(0).random((2, args[0] if "Conv" in name else 3, 5, 6, 5))
    got, want = mine(tp.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-12)
    assert repr(mine) == repr(theirs)
