"""``nn.init.trunc_normal_``, ``orthogonal_`` and ``sparse_``: the distributions PyTorch's
draw from (their statistics over many samples), and PyTorch's errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tensorplug as tp
from tensorplug.nn import init


def _gen(seed: int) -> tp.Generator:
    return tp.Generator().manual_seed(seed)


def test_trunc_normal_has_the_truncated_moments() -> None:
    mean, std, a, b = 0.5, 2.0, -1.0, 3.0
    t = init.trunc_normal_(tp.empty(400, 500, dtype=tp.float64), mean, std, a, b, _gen(0))
    x = t.numpy()
    assert a <= x.min() and x.max() <= b and x.min() < a + 0.01 and x.max() > b - 0.01
    al, be = (a - mean) / std, (b - mean) / std
    pdf = [math.exp(-v * v / 2) / math.sqrt(2 * math.pi) for v in (al, be)]
    z = (math.erf(be / math.sqrt(2)) - math.erf(al / math.sqrt(2))) / 2
    want_mean = mean + std * (pdf[0] - pdf[1]) / z
    want_var = std**2 * (1 + (al * pdf[0] - be * pdf[1]) / z - ((pdf[0] - pdf[1]) / z) ** 2)
    assert abs(x.mean() - want_mean) < 0.01 and abs(x.var() / want_var - 1) < 0.01


def test_trunc_normal_warns_as_pytorch_far_from_its_bounds() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        init.trunc_normal_(tp.empty(3), mean=5.0)
    assert [str(w.message) for w in caught] == [
        "mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
        "The distribution of values may be incorrect."
    ]


@pytest.mark.parametrize("shape", [(4, 6), (6, 4), (3, 2, 4), (5, 5)])
def test_orthogonal_gives_orthonormal_rows_or_columns(shape: tuple[int, ...]) -> None:
    w = init.orthogonal_(tp.empty(*shape, dtype=tp.float64), gain=1.5, generator=_gen(1))
    m = w.numpy().reshape(shape[0], -1) / 1.5
    small = min(m.shape)
    gram = m @ m.T if m.shape[0] == small else m.T @ m
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-12)


def test_orthogonal_is_uniform_over_rotations() -> None:
    # Haar-distributed Q: each entry has mean 0 and variance 1/n, and det +-1 equally often.
    draws = np.stack([init.orthogonal_(tp.empty(3, 3, dtype=tp.float64), generator=_gen(s))
                      .numpy() for s in range(1500)])  # fmt: skip
    np.testing.assert_allclose(draws.mean(0), 0.0, atol=0.05)
    np.testing.assert_allclose((draws**2).mean(0), 1 / 3, atol=0.04)
    assert abs(np.mean(np.linalg.det(draws) > 0) - 0.5) < 0.05


def test_sparse_zeroes_the_same_count_in_each_column() -> None:
    w = init.sparse_(tp.empty(50, 400, dtype=tp.float64), 0.3, std=0.5, generator=_gen(2))
    x = w.numpy()
    assert ((x == 0).sum(0) == 15).all()
    assert abs(x[x != 0].std() / 0.5 - 1) < 0.02
    # which rows are zero differs from column to column (a fresh permutation each)
    assert len({tuple(np.flatnonzero(x[:, c] == 0)) for c in range(400)}) > 390


def test_errors_as_pytorch() -> None:
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions are supported"):
        init.orthogonal_(tp.empty(3))
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.sparse_(tp.empty(3, 2, 2), 0.5)
