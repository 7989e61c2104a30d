"""The CuPy backend's fused kernels (issue 21) on the stand-in: each equals the formula it
replaces (the default kernel, on the stand-in and on NumPy, float64), launches once (or twice
with a reduction), and its CUDA source is checked as far as a machine without NVRTC can."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

import cupy_stand_in as stand_in
import tensorplug as tp
from tensorplug._contract import FUSED
from tensorplug.plugins import default_kernels
from tensorplug_cupy._backend import make_backend
from tensorplug_cupy._fused import SOURCES
from tensorplug_cupy._fused_optim import OPTIM_SOURCES


@pytest.fixture
def cp() -> stand_in.FakeCupy:
    return stand_in.make(devices=1)


def fused_arrays(cp: Any, d: Any = np.float64) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    out = rng.uniform(0.05, 0.95, (4, 5)).astype(d)  # a softmax-like output in (0, 1)
    return {
        "g": cp.asarray(rng.standard_normal((4, 5)).astype(d)),
        "x": cp.asarray((rng.standard_normal((4, 5)) * 3).astype(d)),
        "out": cp.asarray(out),
        "b": cp.asarray(rng.standard_normal((4, 5)).astype(d)),
        "u": cp.asarray(rng.uniform(0, 1, (4, 5)).astype(d)),
        "rows": cp.asarray(np.arange(4)),
        "cols": cp.asarray(np.array([0, 4, 2, 1])),
    }


def fused_calls(a: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    g, x, out, b, u = a["g"], a["x"], a["out"], a["b"], a["u"]
    rows, cols = a["rows"], a["cols"]
    return {
        "tanh_backward": (g, np.tanh(out)),
        "sigmoid_backward": (g, out),
        "relu_backward": (g, x),
        "silu_backward": (g, x),
        "gelu_backward": (g, x, "none"),
        "gelu_backward/tanh": (g, x, "tanh"),
        "softmax_backward": (g, out, (1,)),
        "log_softmax_backward": (g, np.log(out), (0,)),
        "mse_loss_backward": (g[:1, :1].reshape(()), x, b, 0.1),
        "mse_loss_sum": (x, b),
        "dropout_mask": (u, 0.3, 1 / 0.7),
        "gelu": (x, "none"),
        "gelu/tanh": (x, "tanh"),
        "clamp_backward": (g, x, -0.5, 0.5),
        "clamp_backward/min": (g, x, 0, None),
        "clamp_backward/max": (g, x, None, 1.0),
        "pow_backward": (g, x, 3),
        "pow_backward/2": (g, x, 2),
        "pow_backward/half": (g, out, 0.5),
        "dropout": (x, u, 0.3, 1 / 0.7),
        "dropout_backward": (g, u, 0.3, 1 / 0.7),
        "softmax": (x, (1,)),
        "log_softmax": (x, (0,)),
        "mse_loss_mean": (x, b[:1]),
        "nll_loss_terms": (x, rows, cols, out[:, 0].copy()),
        "nll_loss_backward": (g[0, 0].copy(), (4, 5), rows, cols, out[:, 0].copy(), True),
        "nll_loss_backward/none": (g[0].copy()[:4], (4, 5), rows, cols, out[:, 0].copy(), False),
    }


# Softmax's and log-softmax's: the maximum, the sum of the shifted exponentials, the output.
_LAUNCHES = {"softmax_backward": 2, "log_softmax_backward": 2, "softmax": 3, "log_softmax": 3,
             "nll_loss_backward": 2}  # fmt: skip
_LAUNCHES_OF = {"nll_loss_backward/none": 1}  # no sum of the weights


@pytest.mark.parametrize("name", sorted(fused_calls(fused_arrays(np))))
def test_each_fused_kernel_is_its_formula_in_one_launch(cp: Any, name: str) -> None:
    be = make_backend(cp, 0, name="stand-in")
    kernel = name.split("/")[0]
    args = fused_calls(fused_arrays(cp))[name]
    with stand_in.launches() as n:
        got = getattr(be.k, kernel)(*args)
    assert n.total == _LAUNCHES_OF.get(name, _LAUNCHES.get(kernel, 1)), n.by_name
    assert any(name in SOURCES for name in n.by_name), n.by_name  # its own kernel
    formula = default_kernels(be)[kernel]
    with stand_in.launches() as unfused:
        want = formula(*args)
    assert unfused.total > n.total
    # The same formula on NumPy's kernels, float64.
    numpy_args = tuple(a.view(np.ndarray) if isinstance(a, np.ndarray) else a for a in args)
    on_numpy = getattr(tp.get_backend("numpy").k, kernel)(*numpy_args)
    # GELU's exact form: CUDA's normcdf against the default's erfc fit (1.2e-7 relative).
    rtol = 2e-7 if name in ("gelu_backward", "gelu") else 1e-12
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=rtol, atol=1e-15)
    np.testing.assert_allclose(np.asarray(got), np.asarray(on_numpy), rtol=rtol, atol=1e-15)
    assert got.dtype == np.float64


def test_other_dtypes_take_the_formula(cp: Any) -> None:
    be = make_backend(cp, 0, name="stand-in")
    a = fused_arrays(cp, np.float16)
    with stand_in.launches() as n:
        got = be.k.softmax_backward(a["g"], a["out"], (1,))
    assert "tp_softmax_backward" not in n.by_name and n.total == 4
    assert got.dtype == np.float16


def test_every_fused_kernel_of_the_contract_has_a_cupy_kernel(cp: Any) -> None:
    be = make_backend(cp, 0, name="stand-in")
    for name in FUSED | {"tanh_backward", "sigmoid_backward"}:
        assert getattr(be.kernels[name], "__module__", "") == "tensorplug_cupy._fused", name


_CUDA_NAMES = frozenset(
    {"exp", "log", "pow", "sqrt", "tanh", "normcdf", "T", "I", "double", "ptrdiff_t", "bool"}
)


@pytest.mark.parametrize("name", sorted({**SOURCES, **OPTIM_SOURCES}))
def test_the_cuda_source_names_only_its_parameters(name: str) -> None:
    """What can be checked without NVRTC: every name is a parameter, a local declared
    ``T name = ...`` (or ``double``), the reduction's ``a``/``b`` or a CUDA math function;
    brackets balance; constants are written as Python's repr, so they round-trip exactly;
    every statement but the last declares a local or writes an output."""
    s = {**SOURCES, **OPTIM_SOURCES}[name]
    params = {p.split()[-1] for p in f"{s.in_params}, {s.out_params}".split(",")}
    outs = {p.split()[-1] for p in s.out_params.split(",")}
    body = " ".join((s.operation, *(s.reduce or ())))
    declared = set(re.findall(r"\b(?:T|double|ptrdiff_t|bool) (\w+) =", body))
    names = set(re.findall(r"\b[A-Za-z_]\w*\b", re.sub(r"\d+\.\d+(e-?\d+)?", "", body)))
    allowed = params | declared | _CUDA_NAMES | ({"a", "b"} if s.reduce else {"i"})
    assert names <= allowed, sorted(names - allowed)
    assert body.count("(") == body.count(")")
    for stmt in s.operation.split(";")[:-1]:
        head = stmt.split()[0]
        declares = head in {"T", "double", "ptrdiff_t", "bool"} | outs
        assert declares, f"{name}: statement {stmt!r} declares nothing"


def test_the_stand_in_refuses_a_source_that_differs_from_its_twin(cp: Any) -> None:
    s = SOURCES["tp_tanh_backward"]
    with pytest.raises(AssertionError, match="differs from its twin"):
        cp.ElementwiseKernel(s.in_params, s.out_params, "y = g * (1 + out * out)",
                             "tp_tanh_backward")  # fmt: skip
    with pytest.raises(KeyError, match="no twin"):
        cp.ElementwiseKernel("T x", "T y", "y = x", "tp_unknown")


def test_fuse_is_one_launch(cp: Any) -> None:
    @cp.fuse()
    def axpy(a: Any, x: Any, y: Any) -> Any:
        return a * x + y

    x = cp.ones(3)
    with stand_in.launches() as n:
        r = axpy(2.0, x, x)
    assert n.total == 1 and r.tolist() == [3.0, 3.0, 3.0]


def test_the_nll_loss_weights_in_one_launch(cp: Any) -> None:
    be = make_backend(cp, 0, name="stand-in")
    target = cp.asarray(np.array([3, -100, 0, 2, -100]))
    like = cp.asarray(np.zeros((5, 4)))
    with stand_in.launches() as n:
        cols, w = be.k.nll_loss_weights(target, -100, like)
    assert n.by_name == {"tp_nll_loss_weights": 1}
    assert cols.tolist() == [3, 0, 0, 2, 0] and cols.dtype == np.int64
    assert w.tolist() == [1.0, 0.0, 1.0, 1.0, 0.0] and w.dtype == np.float64
    want = default_kernels(be)["nll_loss_weights"](target, -100, like)
    assert [a.tolist() for a in want] == [cols.tolist(), w.tolist()]
    small = cp.asarray(np.array([1, 0], dtype=np.uint8))  # -100 is no uint8: the formula
    assert be.k.nll_loss_weights(small, -100, like)[1].tolist() == [1.0, 1.0]
