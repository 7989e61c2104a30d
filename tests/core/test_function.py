"""Custom functions (``tp.autograd.Function``): ``ctx.save_for_backward``, ``needs_input_grad``,
double backward, non-differentiable outputs and the saved tensors' lifetime."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

import tensorplug as tp


def t64(data: Any, requires_grad: bool = True) -> tp.Tensor:
    return tp.tensor(data, dtype=tp.float64, requires_grad=requires_grad)


class Cube(tp.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: tp.Tensor, scale: float) -> tp.Tensor:
        ctx.save_for_backward(x)
        ctx.scale = scale
        return x**3 * scale

    @staticmethod
    def backward(ctx: Any, g: tp.Tensor) -> Any:
        (x,) = ctx.saved_tensors
        return g * 3 * x**2 * ctx.scale, None


class MulPair(tp.autograd.Function):
    seen: ClassVar[list[Any]] = []

    @staticmethod
    def forward(ctx: Any, a: tp.Tensor, b: tp.Tensor) -> tp.Tensor:
        ctx.save_for_backward(a, b)
        MulPair.seen.append(ctx.needs_input_grad)
        return a * b

    @staticmethod
    def backward(ctx: Any, g: tp.Tensor) -> Any:
        a, b = ctx.saved_tensors
        return (
            g * b if ctx.needs_input_grad[0] else None,
            g * a if ctx.needs_input_grad[1] else None,
        )


def test_custom_function() -> None:
    x = t64([1.0, 2.0])
    y = Cube.apply(x, 2.0)
    assert y.grad_fn.name() == "CubeBackward"
    assert y.tolist() == [2.0, 16.0]
    y.sum().backward()
    assert x.grad.tolist() == [6.0, 24.0]


def test_custom_function_needs_input_grad() -> None:
    MulPair.seen.clear()
    a, b = t64([2.0]), t64([5.0], requires_grad=False)
    MulPair.apply(a, b).sum().backward()
    assert MulPair.seen == [(True, False)]
    assert a.grad.tolist() == [5.0] and b.grad is None


def test_custom_function_no_graph_without_grad() -> None:
    out = Cube.apply(tp.ones(2), 1.0)
    assert out.grad_fn is None
    with tp.no_grad():
        assert Cube.apply(t64([1.0]), 1.0).grad_fn is None


def test_custom_function_double_backward() -> None:
    x = t64(2.0)
    (g,) = tp.autograd.grad(Cube.apply(x, 1.0), x, create_graph=True)
    (gg,) = tp.autograd.grad(g, x)
    assert (g.item(), gg.item()) == (12.0, 12.0)


def test_custom_function_saved_tensor_modified_in_place() -> None:
    x = t64([1.0])
    h = x * 1
    y = Cube.apply(h, 1.0)
    h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_custom_function_non_differentiable_outputs() -> None:
    class ArgSort(tp.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: tp.Tensor) -> tp.Tensor:
            return x.argmax(0)

        @staticmethod
        def backward(ctx: Any, g: tp.Tensor) -> Any:
            raise AssertionError("not differentiable")

    class Marked(tp.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: tp.Tensor) -> tp.Tensor:
            out = x.sign()
            ctx.mark_non_differentiable(out)
            return out

        @staticmethod
        def backward(ctx: Any, g: tp.Tensor) -> Any:
            raise AssertionError("not differentiable")

    x = t64([1.0, -3.0])
    for out in (ArgSort.apply(x), Marked.apply(x)):
        assert not out.requires_grad and out.grad_fn is None


def test_custom_function_releases_saved_tensors_after_backward() -> None:
    import weakref

    x = t64([1.0, 2.0])
    h = x * 2
    out = Cube.apply(h, 1.0)
    saved = weakref.ref(h)
    del h
    out.sum().backward()
    assert saved() is None  # out (and so its node and ctx) is still alive
    with pytest.raises(RuntimeError, match="second time"):
        out.sum().backward()
