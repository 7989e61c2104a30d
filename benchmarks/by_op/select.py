"""Selection ops on medium float32 inputs (1000 x 1000), forward + backward: ``gather`` and
``scatter_add`` along a dim with a random index of the same size, ``sort`` and ``topk``
along the last dim, and ``index_select``, ``masked_fill`` and ``tril`` beside them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from _harness import np, torch, tp

N = 1000


def _pair(
    fn: Callable[[Any, Any, Any], Any], index: Callable[[Any], Any] | None = None
) -> tuple[Callable[[], object], Callable[[], object]]:
    """One forward + backward of ``fn(lib, x, index)`` in each library, on the same values;
    ``index(rng)`` makes the host index (or mask) each library gets as a tensor."""
    rng = np.random.default_rng(0)
    host = rng.standard_normal((N, N)).astype(np.float32)
    extra = index(rng) if index is not None else None

    def thunk(lib: Any) -> Callable[[], object]:
        x = lib.tensor(host, requires_grad=True)
        i = lib.tensor(extra) if extra is not None else None

        def step() -> object:
            x.grad = None
            fn(lib, x, i).sum().backward()
            return x

        return step

    return thunk(tp), (thunk(torch) if torch is not None else (lambda: None))


def _square_index(rng: Any) -> Any:
    return rng.integers(0, N, (N, N))


def _rows(rng: Any) -> Any:
    return rng.integers(0, N, (N,))


def _mask(rng: Any) -> Any:
    return rng.uniform(size=(N, N)) > 0.5


def cases() -> list[tuple[str, Callable[[], object], Callable[[], object]]]:
    table: list[tuple[str, Callable[[Any, Any, Any], Any], Callable[[Any], Any] | None]] = [
        ("gather dim 1 1000x1000", lambda m, x, i: m.gather(x, 1, i), _square_index),
        (
            "scatter_add dim 1 1000x1000",
            lambda m, x, i: m.scatter_add(m.zeros(N, N), 1, i, x),
            _square_index,
        ),
        ("sort dim -1 1000x1000", lambda m, x, i: m.sort(x).values, None),
        ("topk 10 dim -1 1000x1000", lambda m, x, i: m.topk(x, 10).values, None),
        ("topk 100 dim -1 1000x1000", lambda m, x, i: m.topk(x, 100).values, None),
        ("index_select dim 0 1000x1000", lambda m, x, i: m.index_select(x, 0, i), _rows),
        ("masked_fill 1000x1000", lambda m, x, i: m.masked_fill(x, i, 0.0), _mask),
        ("tril 1000x1000", lambda m, x, i: m.tril(x), None),
    ]
    return [(label, *_pair(fn, index)) for label, fn, index in table]


def floors() -> list[tuple[str, Callable[[], object]]]:
    """``gather``'s and ``scatter_add``'s NumPy floor: a ``take`` at each element's flat
    position and an ``np.add.at`` into zeros (forward and backward, one each), the flat
    positions built beforehand."""
    rng = np.random.default_rng(0)
    host = rng.standard_normal((N, N)).astype(np.float32).reshape(-1)
    lin = (_square_index(rng) + np.arange(N)[:, None] * N).reshape(-1)

    def take_then_add_at() -> object:
        host.take(lin)
        np.add.at(np.zeros(N * N, np.float32), lin, host)
        return host

    return [
        ("gather dim 1 1000x1000", take_then_add_at),
        ("scatter_add dim 1 1000x1000", take_then_add_at),
    ]
