"""User-defined differentiable ops: ``tensorplug.autograd.Function``, as in PyTorch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._contract import Array, KernelOps
from ._grad_mode import no_grad, state
from ._graph import SAVES_OTHER, Node, new_tensor, record
from ._tensor import Tensor


class FunctionCtx:
    """The ``ctx`` of a custom Function: ``save_for_backward``, ``saved_tensors``,
    ``needs_input_grad`` and any attribute you set."""

    needs_input_grad: tuple[bool, ...]
    saved_tensors: tuple[Tensor | None, ...]
    _to_save: tuple[Tensor | None, ...]

    def save_for_backward(self, *tensors: Tensor | None) -> None:
        self._to_save = tensors

    def mark_non_differentiable(self, *tensors: Tensor) -> None:
        self._non_diff = tensors


class _CustomNode(Node):
    """Graph node of a custom Function; its name is ``<YourFunction>Backward``."""

    __slots__ = ("ctx", "fn_cls")
    saves_as = SAVES_OTHER  # its saved tensors are the user's (``ctx.save_for_backward``)
    ctx: FunctionCtx
    fn_cls: type[Function]

    @staticmethod
    def backward(node: _CustomNode, ops: KernelOps, g: Array, *saved: Array) -> tuple[Array, ...]:
        ctx = node.ctx
        tensor_mode = isinstance(g, Tensor)
        be = node._backend
        gt = g if tensor_mode else new_tensor(Tensor, g, be)
        ctx.saved_tensors = (
            tuple(
                s if s is None or isinstance(s, Tensor) else new_tensor(Tensor, s, be)
                for s in saved
            )
            if tensor_mode
            else tuple(None if s is None else new_tensor(Tensor, s, be) for s in saved)
        )
        try:
            if tensor_mode:
                res = node.fn_cls.backward(ctx, gt)
            else:
                with no_grad():
                    res = node.fn_cls.backward(ctx, gt)
        finally:
            # The node outlives backward while its output is referenced: it must not keep
            # the saved tensors alive after the graph freed them.
            ctx.saved_tensors = ()
        if not isinstance(res, tuple):
            res = (res,)
        n = len(node.next_functions)
        if len(res) < n:
            raise RuntimeError(
                f"function {node.name()} returned an incorrect number of gradients "
                f"(expected {n}, got {len(res)})"
            )
        out: list[Any] = []
        for r, shape in zip(res[:n], node.shapes):
            if r is None:
                out.append(None)
                continue
            if not isinstance(r, Tensor):
                raise TypeError(f"{node.name()}.backward must return Tensors or None")
            if shape is not None and r.shape != tuple(shape):
                raise RuntimeError(
                    f"Function {node.name()} returned an invalid gradient - got "
                    f"{list(r.shape)} but expected shape compatible with {list(shape)}"
                )
            out.append(r if tensor_mode else r._data)
        return tuple(out)


class _FunctionMeta(type):
    def __init__(cls, name: str, bases: tuple[type, ...], ns: dict[str, Any]) -> None:
        super().__init__(name, bases, ns)
        cls._node_cls = type(name + "Backward", (_CustomNode,), {"__slots__": ()})


class Function(metaclass=_FunctionMeta):
    """Base class for ops with a hand-written backward.

    Example:
        >>> import tensorplug as tp
        >>> class Cube(tp.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         ctx.save_for_backward(x)
        ...         return x ** 3
        ...     @staticmethod
        ...     def backward(ctx, g):
        ...         (x,) = ctx.saved_tensors
        ...         return g * 3 * x ** 2
        >>> x = tp.tensor(2.0, requires_grad=True)
        >>> Cube.apply(x).backward(); x.grad
        tensor(12.)
    """

    _node_cls: type[_CustomNode]

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("subclasses of Function must define forward")

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        raise NotImplementedError("subclasses of Function must define backward")

    @classmethod
    def apply(cls, *args: Any) -> Any:
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        ctx._to_save = ()
        with no_grad():
            out = cls.forward(ctx, *args)
        if isinstance(out, tuple):
            raise NotImplementedError(
                f"{cls.__name__}.forward returned a tuple; custom Functions with several "
                "outputs are not supported yet (return one Tensor)"
            )
        if not isinstance(out, Tensor):
            raise TypeError(f"{cls.__name__}.forward must return a Tensor, got {type(out)}")
        if not (state.grad_enabled and any(ctx.needs_input_grad)):
            return out
        if not out.dtype.is_floating_point or any(t is out for t in getattr(ctx, "_non_diff", ())):
            return out  # marked (or, being integer, inherently) non-differentiable
        to_save: tuple[Tensor | None, ...] = ctx._to_save
        ctx._to_save = ()  # the node holds them (and frees them after backward), not ctx
        result = new_tensor(Tensor, out._data, out._backend)
        result._vc = out._vc  # an in-place change of the output must be seen by saved copies
        node: _CustomNode = record(cls._node_cls, tuple(args), result, ())  # type: ignore[assignment]
        node._saved = tuple(to_save)
        node._versions = tuple(None if t is None else t._vc.version for t in to_save)
        node.ctx = ctx
        node.fn_cls = cls
        return result


def once_differentiable(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a custom backward as not differentiable itself (runs under ``no_grad``)."""

    def wrapper(ctx: Any, *grads: Any) -> Any:
        with no_grad():
            return fn(ctx, *grads)

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper
