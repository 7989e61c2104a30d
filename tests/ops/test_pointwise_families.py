"""What the op database cannot hold for the rounding, special-function, value-test, logic and
bitwise ops (issue 16): ops that give Python bools (``allclose``, ``equal``), backwards that
raise as PyTorch's do, integer and bool inputs against PyTorch, defaults that depend on the
dtype, in-place forms of integer ops, a backend without the optional kernels, and the
portable special functions (``_xp_special``) against PyTorch whether or not SciPy serves
the NumPy backend."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorplug as tp
from tensorplug._backend import Backend
from tensorplug._xp_special import special_kernels

torch = pytest.importorskip("torch", reason="PyTorch is the oracle here (nox installs it)")

INTS = np.array([5, -7, 3, 0, -1])


def _same(got: Any, want: Any) -> None:
    assert got.dtype.name == str(want.dtype).split(".")[-1]
    np.testing.assert_allclose(np.asarray(got.tolist()), want.numpy(), rtol=1e-6, equal_nan=True)


@pytest.mark.parametrize(
    "a, b",
    [([1.0, 2.0], [1.0 + 1e-9, 2.0]), ([1.0, 2.0], [1.0, 2.1]), ([1.0], [1.0, 1.0]),
     ([1, 2], [1.0, 2.0]), ([float("nan")], [float("nan")])],
)  # fmt: skip
def test_allclose_and_equal_give_pytorchs_python_bools(a: list[float], b: list[float]) -> None:
    ta, tb = tp.tensor(a), tp.tensor(b)
    assert tp.equal(ta, tb) is torch.equal(torch.tensor(a), torch.tensor(b))
    if ta.dtype is tb.dtype:
        assert tp.allclose(ta, tb) is torch.allclose(torch.tensor(a), torch.tensor(b))
        assert tp.allclose(ta, tb, equal_nan=True) is torch.allclose(
            torch.tensor(a), torch.tensor(b), equal_nan=True
        )
        assert ta.allclose(tb) is tp.allclose(ta, tb)


def test_floor_divide_records_pytorchs_node_without_a_derivative() -> None:
    x = tp.tensor([3.5, -2.5], requires_grad=True)
    for out in (x // 2, tp.floor_divide(x, x), 7 // x):
        assert out.requires_grad and out.grad_fn.name() == "torch::autograd::NotImplemented"
        with pytest.raises(RuntimeError, match="derivative for aten::floor_divide"):
            out.sum().backward()
    out = 3 % x  # a number % tensor has none either
    assert out.grad_fn.name() == "torch::autograd::NotImplemented"
    with pytest.raises(RuntimeError, match="derivative for aten::remainder"):
        out.sum().backward()


@pytest.mark.parametrize("name", ["asinh_", "acosh_", "atanh_"])
def test_inplace_inverse_hyperbolics_have_no_derivative_as_in_pytorch(name: str) -> None:
    x = tp.tensor([1.5, 2.0], dtype=tp.float64, requires_grad=True)
    y = getattr(x.clone(), name)()
    assert y.grad_fn.name() == name[:-1].capitalize() + "Backward1"
    with pytest.raises(NotImplementedError, match="inplace version of " + name[:-1]):
        y.sum().backward()


def test_lgamma_third_derivative_is_polygamma_2() -> None:
    x = tp.tensor([1.5, 2.5], dtype=tp.float64, requires_grad=True)
    (g,) = tp.autograd.grad(tp.lgamma(x).sum(), x, create_graph=True)
    (gg,) = tp.autograd.grad(g.sum(), x, create_graph=True)  # lgamma'' = trigamma
    want = torch.polygamma(1, torch.tensor([1.5, 2.5], dtype=torch.float64))
    np.testing.assert_allclose(np.asarray(gg.tolist()), want.numpy(), rtol=1e-9)
    (ggg,) = tp.autograd.grad(gg.sum(), x)
    want = torch.polygamma(2, torch.tensor([1.5, 2.5], dtype=torch.float64))
    np.testing.assert_allclose(ggg.numpy(), want.numpy(), rtol=1e-12)


@pytest.mark.parametrize(
    "name", ["floor", "ceil", "trunc", "fix", "round", "erf", "lgamma", "log2", "sinh", "exp2",
             "isnan", "isinf", "isfinite", "signbit", "logical_not", "nan_to_num", "sinc"],
)  # fmt: skip
def test_integer_inputs_as_pytorch(name: str) -> None:
    """Rounding keeps integers, floating functions give the default float, tests give bools."""
    got = getattr(tp, name)(tp.tensor(INTS))
    _same(got, getattr(torch, name)(torch.tensor(INTS)))


@pytest.mark.parametrize(
    "call",
    [lambda m, a, b: m.remainder(a, b), lambda m, a, b: m.fmod(a, b), lambda m, a, b: a // b,
     lambda m, a, b: a % 2.5, lambda m, a, b: m.copysign(a, b), lambda m, a, b: m.atan2(a, b),
     lambda m, a, b: m.xlogy(a, b), lambda m, a, b: a ^ b, lambda m, a, b: (a > 0) ^ b,
     lambda m, a, b: a << 2, lambda m, a, b: 1 << b, lambda m, a, b: a >> (b > 2),
     lambda m, a, b: ~a, lambda m, a, b: ~(a > 0), lambda m, a, b: m.logical_xor(a, b),
     lambda m, a, b: m.div(a, b, rounding_mode="trunc"),
     lambda m, a, b: m.div(a, b, rounding_mode="floor"),
     lambda m, a, b: a.clone().div_(b, rounding_mode="trunc")],
)  # fmt: skip
def test_integer_operands_as_pytorch(call: Any) -> None:
    a, b = np.array([7, -7, 6, -1]), np.array([2, 3, -4, 5])
    _same(call(tp, tp.tensor(a), tp.tensor(b)), call(torch, torch.tensor(a), torch.tensor(b)))


@pytest.mark.parametrize(
    "call",
    [lambda m, t: t % m.tensor([1, 0]), lambda m, t: m.fmod(t, 0), lambda m, t: t // 0,
     lambda m, t: 3 // m.tensor([0, 1]), lambda m, t: m.tensor([True]) % m.tensor([True]),
     lambda m, t: m.frac(t), lambda m, t: m.round(t, decimals=1), lambda m, t: m.floor(t > 0),
     lambda m, t: t.float() ^ t, lambda m, t: t << 1.5, lambda m, t: (t > 0) << (t > 0),
     lambda m, t: ~t.float(), lambda m, t: m.bitwise_not(t.float()), lambda m, t: m.atan2(t, 2),
     lambda m, t: m.isclose(t, t.float())],
)  # fmt: skip
def test_refusals_raise_pytorchs_exception_types(call: Any) -> None:
    with pytest.raises(Exception) as want:
        call(torch, torch.tensor([5, 3]))
    with pytest.raises(want.type):
        call(tp, tp.tensor([5, 3]))


def test_in_place_integer_forms() -> None:
    for op in ("__imod__", "__ifloordiv__", "__ixor__", "__iand__", "__ior__", "__ilshift__",
               "__irshift__"):  # fmt: skip
        a, t = tp.tensor([7, -7, 6]), torch.tensor([7, -7, 6])
        assert getattr(a, op)(tp.tensor([2, 3, 1])) is a
        getattr(t, op)(torch.tensor([2, 3, 1]))
        assert a.tolist() == t.tolist(), op
    a = tp.tensor([7, -7])
    with pytest.raises(RuntimeError):
        a.remainder_(2.5)  # a float result cannot be written into an integer tensor
    b = tp.tensor([True, False])
    b ^= tp.tensor([True, True])
    assert b.tolist() == [False, True]


@pytest.mark.parametrize("name", ["logical_and_", "logical_or_", "logical_xor_", "logical_not_"])
def test_in_place_logical_ops_write_zeros_and_ones_outside_the_graph(name: str) -> None:
    args = [[1.5, 0.0, -2.0]] if name == "logical_not_" else [[1.5, 0.0, -2.0], [1.0, 1.0, 0.0]]
    x = tp.tensor(args[0], requires_grad=True).clone()
    t = torch.tensor(args[0], requires_grad=True).clone()
    assert getattr(x, name)(*(tp.tensor(a) for a in args[1:])) is x
    getattr(t, name)(*(torch.tensor(a) for a in args[1:]))
    assert x.tolist() == t.tolist() and x.grad_fn.name() == t.grad_fn.name() == "CloneBackward0"


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_nan_to_num_defaults_are_the_dtypes_extremes(dtype: str) -> None:
    values = [float("nan"), float("inf"), -float("inf"), 1.5]
    got = tp.nan_to_num(tp.tensor(values, dtype=getattr(tp, dtype)))
    _same(got, torch.nan_to_num(torch.tensor(values, dtype=getattr(torch, dtype))))


def test_round_with_decimals_rounds_halves_to_even_as_pytorch() -> None:
    x = [0.5, 1.5, 2.5, -0.5, 1.25, 125.0, 0.125]
    for d in (0, 1, 2, -1):
        want = torch.round(torch.tensor(x, dtype=torch.float64), decimals=d)
        _same(tp.round(tp.tensor(x, dtype=tp.float64), decimals=d), want)
        y = tp.tensor(x, dtype=tp.float64)
        assert y.round_(decimals=d) is y and y.tolist() == want.tolist()


def test_a_backend_without_the_optional_kernels_names_them() -> None:
    numpy = tp.get_backend("numpy")
    kernels = {k: v for k, v in vars(numpy.k).items() if k not in ("erf", "floor", "remainder")}
    bare = Backend(name="bare", kernels=kernels, dtypes=numpy.dtypes)
    x = tp.tensor([1.5, -2.5], backend=bare)
    for call, kernel in [(tp.erf, "erf"), (tp.floor, "floor"), (lambda t: t % 2, "remainder")]:
        with pytest.raises(tp.UnsupportedOperation, match=f"backend 'bare' has no {kernel}"):
            call(x)
    assert tp.isnan(x).tolist() == [False, False]  # compositions of primitives: everywhere


GRID = np.concatenate(
    [np.linspace(-12, 12, 4001), [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-300, 1e-8, 1e5, 1e300]]
)


@pytest.mark.parametrize(
    "name, reference",
    [("erf", torch.erf), ("erfc", torch.erfc), ("lgamma", torch.lgamma),
     ("digamma", torch.digamma), ("erfinv", torch.erfinv)],
)  # fmt: skip
def test_portable_special_functions_match_pytorch(name: str, reference: Any) -> None:
    """``xp_kernels``' own special functions, on NumPy (what a backend without SciPy or
    ``cupyx`` computes), in float64 and float32."""
    kernel = special_kernels(np)[name]
    x = GRID / 12 if name == "erfinv" else GRID
    with np.errstate(all="ignore"):
        # float32: PyTorch computes in float32, this in float64 (near digamma's zero, where
        # float32 keeps few digits, they differ by float32's rounding)
        for dtype, rtol, atol in ((np.float64, 1e-12, 1e-14), (np.float32, 1e-6, 1e-6)):
            got = kernel(x.astype(dtype))
            want = reference(torch.tensor(x.astype(dtype))).numpy()
            assert got.dtype == dtype
            np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)


def test_portable_trigamma_is_digammas_derivative() -> None:
    kernel = special_kernels(np)["trigamma"]
    x = np.array([0.25, 1.0, 1.5, 7.25, 30.0, -0.5, -2.25])
    want = torch.polygamma(1, torch.tensor(x)).numpy()  # PyTorch's: about 5e-10 relative
    np.testing.assert_allclose(kernel(x), want, rtol=2e-9)
    assert kernel(np.array([0.0, -1.0])).tolist() == [np.inf, np.inf]
