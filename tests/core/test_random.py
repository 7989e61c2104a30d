"""Generators (``tp.Generator``, the default one) and sampling: same seed, same numbers;
PyTorch's dtypes, shapes and errors; the right distributions (fixed seeds, generous bounds)."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pytest

import tensorplug as tp
from tensorplug.plugins import Backend


def gen(seed: int = 0) -> tp.Generator:
    return tp.Generator().manual_seed(seed)


def test_generator_api_as_pytorch() -> None:
    g = tp.Generator()
    assert g.initial_seed() == 67280421310721 and g.device == tp.device("cpu")
    assert g.manual_seed(5) is g and g.initial_seed() == 5
    s = g.seed()
    assert g.initial_seed() == s
    assert tp.Generator().manual_seed(-1).initial_seed() == 2**64 - 1
    with pytest.raises(TypeError, match="expects an int"):
        g.manual_seed(1.5)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="Overflow"):
        g.manual_seed(2**64)


@pytest.mark.parametrize(
    "draw",
    [
        lambda g: tp.rand(3, 2, generator=g),
        lambda g: tp.randn(4, generator=g, dtype=tp.float64),
        lambda g: tp.randint(0, 10, (5,), generator=g),
        lambda g: tp.randperm(7, generator=g),
        lambda g: tp.multinomial(tp.tensor([1.0, 2.0, 3.0]), 2, generator=g),
        lambda g: tp.multinomial(tp.ones(2, 4), 6, True, generator=g),
        lambda g: tp.bernoulli(tp.full((5,), 0.5), generator=g),
        lambda g: tp.normal(tp.zeros(3), tp.ones(3), generator=g),
        lambda g: tp.normal(0.0, 1.0, (2,), generator=g),
        lambda g: tp.zeros(4).uniform_(-1, 1, generator=g),
        lambda g: tp.zeros(4).normal_(generator=g),
        lambda g: tp.zeros(4).exponential_(generator=g),
        lambda g: tp.zeros(4, dtype=tp.int64).random_(0, 9, generator=g),
        lambda g: tp.nn.init.kaiming_uniform_(tp.zeros(3, 3), generator=g),
    ],
)
def test_same_seed_same_numbers(draw: Any) -> None:
    a, b = draw(gen(3)), draw(gen(3))
    assert a.tolist() == b.tolist()
    assert draw(gen(3)).tolist() != draw(gen(4)).tolist() or a.numel() < 3


def test_generator_is_independent_of_the_default_stream() -> None:
    g = gen(1)
    a = tp.rand(5, generator=g)
    tp.manual_seed(0)
    tp.rand(100)
    b = gen(1)
    tp.rand(5, generator=b)
    assert tp.rand(5, generator=g).tolist() == tp.rand(5, generator=b).tolist()
    assert a.tolist() != tp.rand(5, generator=gen(2)).tolist()


def test_state_round_trip() -> None:
    g = gen(9)
    tp.rand(3, generator=g)
    state = g.get_state()
    assert state.dtype is tp.int64 and state.ndim == 1
    a = tp.randn(4, generator=g)
    g.set_state(state)
    assert tp.randn(4, generator=g).tolist() == a.tolist()
    assert tp.Generator().set_state(state).initial_seed() == 9
    with pytest.raises(RuntimeError, match="not a generator state"):
        g.set_state(tp.tensor([1, 2, 3]))


def test_default_generator_and_module_functions() -> None:
    assert tp.manual_seed(11) is tp.default_generator
    assert tp.initial_seed() == 11 == tp.default_generator.initial_seed()
    state = tp.get_rng_state()
    a = tp.rand(4)
    tp.set_rng_state(state)
    assert tp.rand(4).tolist() == a.tolist()
    s = tp.seed()
    assert tp.initial_seed() == s
    tp.default_generator.manual_seed(2)
    c = tp.rand(3)
    assert tp.rand(3, generator=tp.default_generator).tolist() != c.tolist()
    tp.manual_seed(2)
    assert tp.rand(3, generator=tp.default_generator).tolist() == c.tolist()


def test_bad_generator_arguments() -> None:
    with pytest.raises(TypeError, match=re.escape("must be tensorplug.Generator, not int")):
        tp.rand(2, generator=3)
    with pytest.raises(RuntimeError, match="Expected a 'cpu' device type for generator"):
        tp.rand(2, generator=tp.Generator("cuda"))


def test_a_backend_without_streams_refuses_generator() -> None:
    numpy = tp.get_backend("numpy")
    be = Backend(name="no_rng", kernels=numpy.kernels, dtypes=numpy.dtypes)
    assert tp.rand(2, backend=be).shape == (2,)  # the default stream still works
    with pytest.raises(tp.UnsupportedOperation, match="does not make independent random"):
        tp.rand(2, backend=be, generator=gen())


def test_multinomial_shapes_and_distribution() -> None:
    g = gen(0)
    assert tp.multinomial(tp.tensor([1.0, 2.0]), 1, generator=g).dtype is tp.int64
    assert tp.multinomial(tp.ones(3, 5), 4, generator=g).shape == (3, 4)
    # Without replacement: distinct indices in each row, the zero-weight one last.
    rows = tp.multinomial(tp.tensor([[1.0, 0.0, 2.0, 3.0]] * 50), 4, generator=g)
    for row in rows.tolist():
        assert sorted(row) == [0, 1, 2, 3] and row[-1] == 1
    w = tp.tensor([1.0, 2.0, 3.0, 4.0])
    counts = [0] * 4
    for i in tp.multinomial(w, 20000, True, generator=g).tolist():
        counts[i] += 1
    for c, p in zip(counts, [0.1, 0.2, 0.3, 0.4]):
        assert abs(c / 20000 - p) < 0.015
    zeros_around = tp.tensor([[0.0, 1.0, 2.0, 0.0, 0.0]], dtype=tp.float16)
    assert set(tp.multinomial(zeros_around, 5000, True, generator=g).tolist()[0]) == {1, 2}
    first = [0] * 4  # the first draw without replacement follows the weights too
    for i in tp.multinomial(w.expand(4000, 4), 2, generator=g)[:, 0].tolist():
        first[i] += 1
    assert abs(first[3] / 4000 - 0.4) < 0.03 and abs(first[0] / 4000 - 0.1) < 0.03


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((tp.tensor([1.0, -1.0]), 1), "contains either `inf`, `nan` or element < 0"),
        ((tp.tensor([1.0, math.inf]), 1), "contains either `inf`, `nan` or element < 0"),
        ((tp.tensor([1.0, math.nan]), 1), "contains either `inf`, `nan` or element < 0"),
        ((tp.tensor([0.0, 0.0]), 1), r"sum of probabilities <= 0"),
        ((tp.ones(2, 2, 2), 1), "prob_dist must be 1 or 2 dim"),
        ((tp.ones(3), 0), "cannot sample n_sample <= 0 samples"),
        ((tp.ones(3), 4), "n_sample > prob_dist.size"),
        ((tp.tensor([1, 2]), 1), "only supports floating-point dtypes for input, got: Long"),
    ],
)
def test_multinomial_errors_as_pytorch(args: Any, message: str) -> None:
    with pytest.raises(RuntimeError, match=message):
        tp.multinomial(*args)


def test_bernoulli() -> None:
    g = gen(1)
    p = tp.full((20000,), 0.3, dtype=tp.float64)
    b = tp.bernoulli(p, generator=g)
    assert b.dtype is tp.float64 and set(b.tolist()) <= {0.0, 1.0}
    assert abs(b.mean().item() - 0.3) < 0.02
    assert abs(tp.bernoulli(tp.zeros(20000), 0.8, generator=g).mean().item() - 0.8) < 0.02
    x = tp.rand(3, requires_grad=True)
    out = x.bernoulli()
    assert type(out.grad_fn).__name__ == "BernoulliBackward0"
    out.sum().backward()
    assert x.grad is not None and x.grad.tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(RuntimeError, match="p_in >= 0 && p_in <= 1"):
        tp.bernoulli(tp.tensor([1.5]))
    with pytest.raises(RuntimeError, match=r"expects p to be in \[0, 1\], but got p=1.5"):
        tp.zeros(2).bernoulli_(1.5)
    with pytest.raises(NotImplementedError, match="Long"):
        tp.bernoulli(tp.ones(3, dtype=tp.int64))


def test_normal_overloads_and_zero_gradients() -> None:
    g = gen(2)
    m = tp.zeros(3, requires_grad=True)
    s = tp.ones(3, requires_grad=True)
    for out, node in [
        (tp.normal(m, s, generator=g), "NormalBackward3"),
        (tp.normal(m, 2.0, generator=g), "NormalBackward1"),
        (tp.normal(0.0, s, generator=g), "NormalBackward2"),
    ]:
        assert type(out.grad_fn).__name__ == node and out.shape == (3,)
    out = tp.normal(tp.zeros(2, 1, requires_grad=True), s)
    assert out.shape == (2, 3)
    tp.normal(m, s).sum().backward()
    assert m.grad.tolist() == [0.0] * 3 and s.grad.tolist() == [0.0] * 3  # as PyTorch
    big = tp.normal(3.0, 2.0, (40000,), generator=g, dtype=tp.float64)
    assert big.dtype is tp.float64
    assert abs(big.mean().item() - 3.0) < 0.05 and abs(big.std().item() - 2.0) < 0.05
    with pytest.raises(RuntimeError, match=re.escape("normal expects all elements of std >= 0.0")):
        tp.normal(m, -s)
    with pytest.raises(
        RuntimeError, match=re.escape("normal expects std >= 0.0, but found std -1")
    ):
        tp.normal(m, -1.0)
    with pytest.raises(RuntimeError, match="must match the size"):
        tp.normal(tp.zeros(2), tp.ones(3))


def test_randperm() -> None:
    p = tp.randperm(100, generator=gen(0))
    assert p.dtype is tp.int64 and sorted(p.tolist()) == list(range(100))
    assert p.tolist() != list(range(100))
    assert tp.randperm(5, dtype=tp.float64).dtype is tp.float64
    assert tp.randperm(0).shape == (0,)
    with pytest.raises(RuntimeError, match="negative dimension"):
        tp.randperm(-1)
    firsts = [0] * 4
    g = gen(5)
    for _ in range(2000):
        firsts[tp.randperm(4, generator=g)[0].item()] += 1
    assert all(abs(c / 2000 - 0.25) < 0.04 for c in firsts)


def test_in_place_fills_distributions() -> None:
    g = gen(4)
    n = 40000
    u = tp.zeros(n, dtype=tp.float64).uniform_(2, 5, generator=g)
    assert u.min().item() >= 2 and u.max().item() < 5 and abs(u.mean().item() - 3.5) < 0.05
    z = tp.zeros(n, dtype=tp.float64).normal_(1, 3, generator=g)
    assert abs(z.mean().item() - 1) < 0.1 and abs(z.std().item() - 3) < 0.1
    e = tp.zeros(n, dtype=tp.float64).exponential_(2.0, generator=g)
    assert e.min().item() >= 0 and abs(e.mean().item() - 0.5) < 0.02
    geo = tp.zeros(n).geometric_(0.25, generator=g)
    assert geo.min().item() == 1 and abs(geo.mean().item() - 4) < 0.15
    c = tp.zeros(n).cauchy_(1.0, 2.0, generator=g)
    inside = ((c - 1.0).abs() < 2.0).to(tp.float32).mean().item()  # P(|X - m| < s) = 1/2
    assert abs(inside - 0.5) < 0.02 and (c < 1.0).to(tp.float32).mean().item() > 0.48
    ln = tp.zeros(n, dtype=tp.float64).log_normal_(0.0, 0.5, generator=g)
    assert abs(ln.log().mean().item()) < 0.02
    r = tp.zeros(n, dtype=tp.int64).random_(3, 7, generator=g)
    assert set(r.tolist()) == {3, 4, 5, 6}
    assert set(tp.zeros(100, dtype=tp.int64).random_(2, generator=g).tolist()) == {0, 1}
    assert tp.zeros(10).random_(generator=g).max().item() <= 2**24
    b = tp.zeros(n).bernoulli_(tp.full((n,), 0.25), generator=g)
    assert abs(b.mean().item() - 0.25) < 0.02


def test_in_place_fills_errors_and_graph() -> None:
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        tp.zeros(2, requires_grad=True).uniform_()
    with pytest.raises(RuntimeError, match="from=2 > to=1"):
        tp.zeros(2).uniform_(2, 1)
    with pytest.raises(RuntimeError, match=re.escape("lambda > 0.0")):
        tp.zeros(2).exponential_(-1)
    with pytest.raises(RuntimeError, match="found std -1"):
        tp.zeros(2).normal_(0, -1)
    with pytest.raises(NotImplementedError, match="Long"):
        tp.zeros(2, dtype=tp.int64).uniform_()
    with pytest.raises(RuntimeError, match="from=5 >= to=2"):
        tp.zeros(2).random_(5, 2)
    x = tp.ones(3, requires_grad=True)
    y = x * 2
    y.normal_()
    assert type(y.grad_fn).__name__ == "NormalBackward0"
    (y * 3).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    with tp.no_grad():
        w = tp.zeros(2, 2, requires_grad=True)
        w.uniform_()
    assert w.grad_fn is None and w.requires_grad


def test_poisson() -> None:
    g = gen(6)
    rates = tp.tensor([0.0, 0.5, 4.0, 20.0], dtype=tp.float64).expand(5000, 4)
    k = tp.poisson(rates, generator=g)
    assert k.dtype is tp.float64 and k.shape == (5000, 4)
    assert k[:, 0].max().item() == 0
    for j, lam in enumerate([0.5, 4.0, 20.0], 1):
        col = k[:, j]
        assert abs(col.mean().item() - lam) < 0.05 * lam + 0.05
        assert abs(col.var().item() - lam) < 0.1 * lam + 0.05
    assert (
        tp.poisson(rates[:3], generator=gen(1)).tolist()
        == tp.poisson(rates[:3], generator=gen(1)).tolist()
    )
    with pytest.raises(RuntimeError, match="rates >= 0"):
        tp.poisson(tp.tensor([-1.0]))


def test_nn_init_takes_a_generator() -> None:
    init = tp.nn.init
    for fill in (init.uniform_, init.normal_, init.xavier_uniform_, init.xavier_normal_):
        a = fill(tp.zeros(4, 3), generator=gen(8))
        assert fill(tp.zeros(4, 3), generator=gen(8)).tolist() == a.tolist()
    k = init.kaiming_normal_(tp.zeros(4, 3), mode="fan_out", generator=gen(8))
    again = init.kaiming_normal_(tp.zeros(4, 3), mode="fan_out", generator=gen(8))
    assert again.tolist() == k.tolist()


def test_data_shuffling_takes_a_generator() -> None:
    from tensorplug.utils.data import DataLoader, random_split

    a = [s.indices for s in random_split(list(range(10)), [5, 5], generator=gen(7))]
    b = [s.indices for s in random_split(list(range(10)), [5, 5], generator=gen(7))]
    assert a == b

    def epochs(seed: int) -> list[list[int]]:
        loader = DataLoader(list(range(8)), batch_size=8, shuffle=True, generator=gen(seed))
        return [batch.tolist() for _ in range(2) for batch in loader]

    orders = epochs(3)
    assert orders == epochs(3) and orders != epochs(4) and orders[0] != orders[1]


def test_multinomial_with_replacement_by_searchsorted_or_comparisons_alike(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One draw of uniforms, then searchsorted (the kernel) or comparisons (the fallback):
    # the same samples, zero weights never drawn, ties at the total on the last positive one.
    w = tp.tensor([[0.0, 1.0, 2.0, 0.0, 3.0, 0.0], [5.0, 0.0, 0.0, 0.0, 0.0, 1.0]])
    with_kernel = tp.multinomial(w, 3000, True, generator=gen(7))
    be = w._backend
    has = be.has_kernel
    monkeypatch.setattr(be, "has_kernel", lambda name: name != "searchsorted" and has(name))
    fallback = tp.multinomial(w, 3000, True, generator=gen(7))
    assert with_kernel.tolist() == fallback.tolist()
    counts = np.bincount(np.asarray(with_kernel.tolist()[0]), minlength=6) / 3000
    assert counts[[0, 3, 5]].sum() == 0
    np.testing.assert_allclose(counts[[1, 2, 4]], [1 / 6, 2 / 6, 3 / 6], atol=0.03)
    assert set(with_kernel.tolist()[1]) == {0, 5}
