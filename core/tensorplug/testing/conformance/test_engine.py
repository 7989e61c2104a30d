"""Engine invariants, run through the backend under test (parametrized by float dtype)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest

import tensorplug as tp
from tensorplug.plugins import Backend
from tensorplug.testing import assert_close
from tensorplug.testing._cases import Case
from tensorplug.testing.pytest_plugin import family


def _leaf(case: Case, be: Backend, values: Any) -> tp.Tensor:
    return tp.tensor(values, dtype=case.dtype, backend=be.name, requires_grad=True)


@family("engine")
def test_accumulates_on_reused_leaves(case: Case, tp_backend: Backend) -> None:
    x = _leaf(case, tp_backend, [0.5, -1.0, 2.0])
    (x * x + x).sum().backward()  # x used three times in one graph
    assert x.grad is not None
    expected = np.array([2.0, -1.0, 5.0])
    assert_close(x.grad, expected.astype(x.grad.numpy().dtype), check_dtype=False)
    (x * 3.0).sum().backward()  # a second graph accumulates into .grad
    assert_close(x.grad, (expected + 3.0).astype(x.grad.numpy().dtype), check_dtype=False)


@family("engine")
def test_no_grad_records_nothing(case: Case, tp_backend: Backend) -> None:
    x = _leaf(case, tp_backend, [1.0, 2.0])
    with tp.no_grad():
        y = (x * 2).exp().sum()
    assert not y.requires_grad and y.grad_fn is None
    z = x.sum()
    assert z.requires_grad and z.grad_fn is not None


@family("engine")
def test_graph_released_after_backward(case: Case, tp_backend: Backend) -> None:
    x = _leaf(case, tp_backend, [1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    y.backward()  # retained: runs again and accumulates
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()  # released
    assert x.grad is not None
    assert_close(
        x.grad.detach(),
        (2 * np.exp([1.0, 2.0]) * np.array([2.0, 3.0])).astype(x.grad.numpy().dtype),
        check_dtype=False,
        rtol=2e-3,
        atol=1e-3,
    )


@family("engine")
def test_grad_dtype_equals_input_dtype(case: Case, tp_backend: Backend) -> None:
    x = _leaf(case, tp_backend, [[0.5, 1.5], [2.0, -1.0]])
    y = ((x * 2.5 + 1).sigmoid() @ x.t()).mean() / 3
    y.backward()
    assert x.grad is not None and x.grad.dtype is case.dtype
    assert x.grad.device == x.device and x.grad.backend == tp_backend.name
    if tp.float64 in tp_backend.supported_dtypes and case.dtype is not tp.float64:
        w = tp.tensor([1.0, 2.0], dtype=tp.float64, backend=tp_backend.name, requires_grad=True)
        v = tp.tensor([3.0, 4.0], dtype=case.dtype, backend=tp_backend.name, requires_grad=True)
        (w * v).sum().backward()  # promoted to float64 forward, cast back in backward
        assert v.grad is not None and w.grad is not None
        assert v.grad.dtype is case.dtype and w.grad.dtype is tp.float64


@contextmanager
def _counting(be: Backend, names: tuple[str, ...]) -> Iterator[dict[str, int]]:
    counts = dict.fromkeys(names, 0)
    originals = {n: getattr(be.k, n) for n in names}

    def counter(name: str) -> Any:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return originals[name](*args, **kwargs)

        return wrapped

    # Derived kernels may call the backend's own table directly: wrap it there too.
    table = be.kernels if isinstance(be.kernels, dict) else {}
    in_table = {n: table[n] for n in names if n in table}
    for n in names:
        setattr(be.k, n, counter(n))
        if n in in_table:
            table[n] = getattr(be.k, n)
    try:
        yield counts
    finally:
        for n, f in originals.items():
            setattr(be.k, n, f)
        table.update(in_table)


@family("engine")
def test_no_host_round_trips(case: Case, tp_backend: Backend) -> None:
    """A graph of device tensors runs forward and backward without touching the host."""
    x = _leaf(case, tp_backend, [[0.5, 1.5, -0.5], [2.0, -1.0, 0.25]])
    w = _leaf(case, tp_backend, [[0.1, 0.2], [0.3, -0.4], [0.5, 0.6]])
    with _counting(tp_backend, ("to_host", "from_host")) as calls:
        h = (x @ w).tanh() * 2.0 + x.sum(1, keepdim=True)
        loss = tp.nn.functional.log_softmax(h, 1).mean() + (h.relu() ** 2).sum() / 4
        loss.backward()
    assert calls == {"to_host": 0, "from_host": 0}, (
        f"host transfers inside a pure-device graph: {calls}"
    )
    assert x.grad is not None and w.grad is not None
