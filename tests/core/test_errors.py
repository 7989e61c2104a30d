"""Bad input gives a clear, normal Python exception naming the op, shapes and dtypes; never a
traceback from deep inside NumPy."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

import pytest

import tensorplug as tp


def _raises(exc: type[Exception], fn: Callable[[], Any], *needles: str) -> str:
    with pytest.raises(exc) as info:
        fn()
    msg = str(info.value)
    for n in needles:
        assert n in msg, f"{n!r} not in {msg!r}"
    # The exception is ours, not a NumPy one re-raised as is.
    assert type(info.value).__module__ in ("builtins", "tensorplug._backend"), type(info.value)
    return msg


@pytest.mark.parametrize(
    ("op", "fn"),
    [
        ("add", lambda a, b: a + b),
        ("sub", lambda a, b: a - b),
        ("mul", lambda a, b: tp.mul(a, b)),
        ("div", lambda a, b: a / b),
        ("maximum", lambda a, b: tp.maximum(a, b)),
        ("pow", lambda a, b: a**b),
        ("where", lambda a, b: tp.where(a > 0, a, b)),
    ],
)
def test_broadcast_mismatch_names_op_and_both_shapes(op: str, fn: Any) -> None:
    a, b = tp.ones(2, 3), tp.ones(4, 3)
    _raises(RuntimeError, lambda: fn(a, b), op, "[2, 3]", "[4, 3]")


@pytest.mark.filterwarnings("ignore:mse_loss")
def test_mse_loss_shape_mismatch() -> None:
    _raises(
        RuntimeError,
        lambda: tp.nn.functional.mse_loss(tp.ones(2, 3), tp.ones(4, 3)),
        "mse_loss",
        "[2, 3]",
        "[4, 3]",
    )


def test_inplace_broadcast_mismatch() -> None:
    _raises(RuntimeError, lambda: tp.ones(3).add_(tp.ones(2, 3)), "add_", "[3]", "[2, 3]")


@pytest.mark.parametrize(
    ("fn", "needles"),
    [
        (lambda: tp.mm(tp.ones(2, 3), tp.ones(4, 5)), ["2x3", "4x5"]),
        (lambda: tp.ones(2, 3) @ tp.ones(2, 3), ["2x3", "2x3"]),
        (lambda: tp.matmul(tp.ones(3), tp.ones(4)), ["3", "4"]),
        (lambda: tp.mm(tp.ones(3), tp.ones(3, 3)), ["mm", "1D"]),
        (lambda: tp.bmm(tp.ones(2, 2, 3), tp.ones(3, 3, 2)), ["bmm", "[2, 2, 3]", "[3, 3, 2]"]),
        (lambda: tp.dot(tp.ones(3), tp.ones(4)), ["3", "4"]),
        (lambda: tp.matmul(tp.ones(2, 3, 4), tp.ones(5, 4, 2)), ["matmul", "[2, 3, 4]"]),
    ],
)
def test_matmul_shape_errors(fn: Any, needles: list[str]) -> None:
    _raises(RuntimeError, fn, *needles)


@pytest.mark.parametrize("kind", [TypeError, IndexError, ArithmeticError, RuntimeError])
def test_mm_shape_error_whatever_the_backend_raises(monkeypatch: Any, kind: type) -> None:
    """A backend's matmul may refuse mismatched shapes with any exception: mm still says
    which shapes cannot be multiplied (it checks them only once the kernel has failed)."""
    k = tp.get_backend("numpy").k

    def refuse(a: Any, b: Any) -> Any:
        raise kind("mismatched operands")

    monkeypatch.setattr(k, "matmul", refuse)
    _raises(RuntimeError, lambda: tp.mm(tp.ones(2, 3), tp.ones(4, 5)), "2x3 and 4x5")


def test_backward_on_non_scalar_without_gradient() -> None:
    x = tp.ones(3, requires_grad=True)
    _raises(RuntimeError, lambda: (x * 2).backward(), "scalar", "[3]")


def test_backward_gradient_shape_mismatch() -> None:
    x = tp.ones(3, requires_grad=True)
    _raises(RuntimeError, lambda: (x * 2).backward(tp.ones(2)), "[2]", "[3]")


def test_backward_on_tensor_without_grad() -> None:
    _raises(RuntimeError, lambda: tp.ones(1).sum().backward(), "does not require grad")


@pytest.mark.parametrize("dtype", [tp.int32, tp.int64, tp.bool])
def test_requires_grad_on_integer_tensor_refused(dtype: Any) -> None:
    _raises(RuntimeError, lambda: tp.ones(2, dtype=dtype).requires_grad_(), "floating point")
    _raises(RuntimeError, lambda: tp.zeros(2, dtype=dtype, requires_grad=True), "floating point")
    _raises(RuntimeError, lambda: tp.tensor([1, 2], dtype=dtype, requires_grad=True))


def test_item_on_multi_element_tensor_says_how_many() -> None:
    _raises(RuntimeError, lambda: tp.ones(2, 3).item(), "6 elements")
    _raises(ValueError, lambda: float(tp.ones(4)), "only one element tensors")
    _raises(RuntimeError, lambda: bool(tp.ones(2)), "more than one value is ambiguous")
    assert tp.ones(1, 1).item() == 1.0


def test_unknown_backend_lists_available() -> None:
    msg = _raises(ValueError, lambda: tp.zeros(2, backend="no-such-backend"), "no-such-backend")
    assert "numpy" in msg
    _raises(ValueError, lambda: tp.set_backend("nope"), "numpy")


def test_numpy_on_tensor_requiring_grad() -> None:
    _raises(RuntimeError, lambda: tp.ones(2, requires_grad=True).numpy(), "detach")


@pytest.mark.parametrize(
    ("fn", "exc", "needles"),
    [
        (lambda: tp.ones(2, 3).reshape(4, 2), RuntimeError, ["[4, 2]", "6"]),
        (lambda: tp.ones(2, 3).view(-1, -1), RuntimeError, []),
        (lambda: tp.ones(2, 3).sum(2), IndexError, ["sum", "2"]),
        (lambda: tp.ones(2, 3).mean(-3), IndexError, ["mean"]),
        (lambda: tp.ones(2, 3).permute(0, 0), RuntimeError, ["permute"]),
        (lambda: tp.ones(2, 3).transpose(0, 2), IndexError, ["transpose"]),
        (lambda: tp.ones(2, 3).squeeze(3), IndexError, ["squeeze"]),
        (lambda: tp.ones(2, 3).unsqueeze(4), IndexError, ["unsqueeze"]),
        (lambda: tp.ones(2, 3).expand(4, 3), RuntimeError, ["expand", "[2, 3]"]),
        (lambda: tp.cat([tp.ones(2, 3), tp.ones(2, 4)]), RuntimeError, ["[2, 3]", "[2, 4]"]),
        (lambda: tp.stack([tp.ones(2), tp.ones(3)]), RuntimeError, ["[2]", "[3]"]),
        (lambda: tp.cat([]), RuntimeError, ["cat"]),
        (lambda: tp.ones(3)[5], IndexError, ["5"]),
        (lambda: tp.ones(3)[tp.tensor([0.5])], IndexError, ["float"]),
        (lambda: tp.ones(3)[tp.tensor([7])], IndexError, ["7"]),
        (lambda: tp.ones(3)["a"], IndexError, ["str"]),
        (lambda: tp.ones(3).split([1, 1]), RuntimeError, ["3"]),
        (lambda: tp.ones(2, 3, 4).t(), RuntimeError, ["t()", "3D"]),
        (lambda: tp.where(tp.ones(2), tp.ones(2), 0.0), TypeError, ["bool"]),
        (lambda: tp.ones(2) + "x", TypeError, ["str"]),
        (lambda: tp.clamp(tp.ones(2)), RuntimeError, ["clamp"]),
        (lambda: tp.ones(2, 3).max(dim=5), IndexError, ["max"]),
        (lambda: tp.zeros(0).max(), (IndexError, RuntimeError), ["max"]),
        (lambda: tp.ones(2, 2).norm(p=-1), ValueError, ["norm"]),
        (
            lambda: tp.nn.functional.cross_entropy(tp.ones(2, 3), tp.tensor([0, 3])),
            IndexError,
            ["3"],
        ),
        (
            lambda: tp.nn.functional.cross_entropy(tp.ones(2, 3), tp.tensor([0, 1, 2])),
            ValueError,
            ["2", "3"],
        ),
        (lambda: tp.zeros(-1), RuntimeError, ["negative"]),
        (lambda: tp.tensor([[1, 2], [3]]), ValueError, []),
        (lambda: tp.ones(2, dtype="complex"), TypeError, ["complex"]),
        (lambda: len(tp.tensor(1.0)), TypeError, ["0-d"]),
    ],
)
def test_bad_input_errors(fn: Any, exc: Any, needles: list[str]) -> None:
    with pytest.raises(exc) as info:
        fn()
    for n in needles:
        assert n in str(info.value), str(info.value)
    assert "numpy" not in type(info.value).__module__


def test_dtype_cast_error_in_place() -> None:
    _raises(RuntimeError, lambda: tp.zeros(2, dtype=tp.int64).mul_(0.5), "mul_", "int64")


def test_grad_of_input_not_requiring_grad() -> None:
    x = tp.ones(1)
    _raises(
        RuntimeError,
        lambda: tp.autograd.grad(tp.ones(1, requires_grad=True).sum(), x),
        "does not require grad",
    )


def test_changing_requires_grad_of_non_leaf() -> None:
    y = tp.ones(1, requires_grad=True) * 2
    _raises(RuntimeError, lambda: setattr(y, "requires_grad", False), "leaf")


def test_custom_function_wrong_gradient_count() -> None:
    class Bad(tp.autograd.Function):
        @staticmethod
        def forward(ctx: Any, a: tp.Tensor, b: tp.Tensor) -> tp.Tensor:
            return a * b

        @staticmethod
        def backward(ctx: Any, g: tp.Tensor) -> Any:
            return (g,)

    a, b = tp.ones(1, requires_grad=True), tp.ones(1, requires_grad=True)
    _raises(RuntimeError, lambda: Bad.apply(a, b).sum().backward(), "BadBackward", "2")


def test_library_exception_types_do_not_leak(monkeypatch: pytest.MonkeyPatch) -> None:
    """A kernel's own exception class (NumPy's AxisError, a CuPy error) surfaces as the nearest
    builtin type, naming the op and its inputs."""

    class LibraryError(ValueError):
        pass

    def broken(x: Any) -> Any:
        raise LibraryError("kernel failed")

    monkeypatch.setattr(tp.get_backend("numpy").k, "exp", broken)
    with pytest.raises(ValueError) as info:
        tp.ones(2, 3).exp()
    assert type(info.value) is ValueError
    assert "exp()" in str(info.value) and "float32[2, 3]" in str(info.value)
    assert "kernel failed" in str(info.value)


def test_equality_with_none_or_str_is_false_not_an_error() -> None:
    x = tp.tensor([1.0, 2.0])
    assert (x == None) is False  # noqa: E711 - the operator itself is under test
    assert (x != None) is True  # noqa: E711
    assert x not in [None, "a"]
    assert (x == "a") is False
    assert (x == 1.0).tolist() == [True, False]
    with pytest.raises(TypeError):
        _ = x < None  # type: ignore[operator]


class Four(enum.IntEnum):
    FOUR = 4


def test_indices_out_of_range_are_refused_before_any_kernel_runs() -> None:
    # The core checks: CuPy would wrap an index tensor around and return a wrong element.
    x = tp.arange(12.0).reshape(3, 4)
    msg = "index {} is out of bounds for dimension {} with size {}"
    _raises(IndexError, lambda: x[3], msg.format(3, 0, 3))
    _raises(IndexError, lambda: x[:, tp.tensor([[0], [4]])], msg.format(4, 1, 4))
    _raises(IndexError, lambda: x[None, ..., -5], msg.format(-5, 1, 4))
    _raises(IndexError, lambda: x[0, Four.FOUR], msg.format(4, 1, 4))  # an int subclass

    def store() -> None:
        x[tp.tensor([1, -4])] = 0.0

    _raises(IndexError, store, msg.format(-4, 0, 3))
    assert x.tolist()[1] == [4.0, 5.0, 6.0, 7.0]  # nothing was written
    # In range, at both ends, and an empty index tensor: fine, as in PyTorch.
    assert x[-3, 3].item() == 3.0 and x[2, -4].item() == 8.0
    assert x[tp.tensor([-3, 2])][:, 0].tolist() == [0.0, 8.0]
    assert x[tp.tensor([], dtype=tp.int64)].shape == (0, 4)
    assert x[x > 5].tolist() == [6.0, 7.0, 8.0, 9.0, 10.0, 11.0]


def test_where_refuses_a_number_its_integer_dtype_cannot_hold() -> None:
    c = tp.tensor([True, False])
    i32 = tp.tensor([1, 2], dtype=tp.int32)
    _raises(RuntimeError, lambda: tp.where(c, i32, 2**31), "where()", "2147483648", "int32")
    _raises(RuntimeError, lambda: tp.where(c, -(2**63) - 1, tp.tensor([1, 2])), "int64")
    assert tp.where(c, i32, -(2**31)).tolist() == [1, -(2**31)]
    assert tp.where(c, i32, 2.5).tolist() == [1.0, 2.5]  # a float promotes instead
