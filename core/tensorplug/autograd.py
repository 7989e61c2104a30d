"""``tensorplug.autograd``: the engine's public entry points, with PyTorch's signatures."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, TypeVar

from ._engine import run_backward
from ._function import Function, FunctionCtx, once_differentiable
from ._grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled, switches
from ._graph import AccumulateGrad, Node, new_tensor
from ._tensor import Tensor

F = TypeVar("F", bound=Callable[..., Any])


def _as_list(x: Any) -> list[Any]:
    if x is None:
        return []
    if isinstance(x, Tensor):
        return [x]
    return list(x)


def _roots(outputs: list[Tensor], grads: list[Any], create_graph: bool) -> list[tuple[Node, Any]]:
    if len(grads) < len(outputs):
        grads = grads + [None] * (len(outputs) - len(grads))
    roots: list[tuple[Node, Any]] = []
    for out, g in zip(outputs, grads):
        if not isinstance(out, Tensor):
            raise TypeError(f"backward: outputs must be Tensors, got {type(out).__name__}")
        if not out._requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn"
            )
        if g is None:
            if out.numel() != 1:
                raise RuntimeError(
                    "grad can be implicitly created only for scalar outputs (the output has "
                    f"shape {list(out.shape)}; pass gradient= with that shape)"
                )
            g = out._backend.k.full(out._data.shape, 1, out.dtype)
            g = new_tensor(Tensor, g, out._backend) if create_graph else g
        else:
            if not isinstance(g, Tensor):
                raise TypeError(f"gradient must be a Tensor, got {type(g).__name__}")
            if g.shape != out.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[0] has a shape of {list(g.shape)} and "
                    f"output[0] has a shape of {list(out.shape)}."
                )
            if g._backend is not out._backend:
                raise RuntimeError(
                    f"backward: gradient is on {g.device} ({g.backend}) but the output is on "
                    f"{out.device} ({out.backend})"
                )
            if g.dtype != out.dtype:  # every node gets its output's dtype (see ``OutDtype``)
                g = g.to(out.dtype)
            g = g if create_graph else g._data
        node = out._grad_fn if out._grad_fn is not None else out._accumulator()
        roots.append((node, g))
    return roots


def backward(
    tensors: Tensor | Sequence[Tensor],
    grad_tensors: Tensor | Sequence[Tensor | None] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Tensor | Sequence[Tensor] | None = None,
) -> None:
    """Accumulate gradients of ``tensors`` into the ``.grad`` of the graph's leaves.

    Example:
        >>> import tensorplug as tp
        >>> x = tp.ones(2, 2, requires_grad=True)
        >>> x.mean().backward()
        >>> x.grad
        tensor([[0.2500, 0.2500],
                [0.2500, 0.2500]])
    """
    outputs = _as_list(tensors)
    roots = _roots(outputs, _as_list(grad_tensors), create_graph)
    ins = _as_list(inputs) if inputs is not None else None
    if ins is not None and not ins:
        raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    run_backward(
        roots,
        retain_graph=create_graph if retain_graph is None else retain_graph,
        create_graph=create_graph,
        inputs=ins,
    )


def tensor_backward(
    self: Tensor,
    gradient: Tensor | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Sequence[Tensor] | Tensor | None = None,
) -> None:
    """Accumulate the gradient of this tensor into ``.grad`` of the leaves
    (``Tensor.backward``; see ``tensorplug.autograd.backward``)."""
    node = self._grad_fn
    if gradient is None and inputs is None and not create_graph and node is not None:
        data = self._data
        # ``loss.backward()``: the checks ``backward`` makes cannot fail
        if math.prod(data.shape) == 1:
            be = self._backend
            g = be.k.full(data.shape, 1, be.k.dtype_of(data))
            run_backward([(node, g)], retain_graph=bool(retain_graph), create_graph=False)
            return
    backward(self, gradient, retain_graph, create_graph, inputs=inputs)


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Tensor | Sequence[Tensor | None] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool | None = None,
    materialize_grads: bool = False,
) -> tuple[Tensor | None, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, returned (not accumulated).

    With ``create_graph=True`` the result is differentiable: higher-order gradients.

    Example:
        >>> import tensorplug as tp
        >>> x = tp.tensor(3.0, requires_grad=True)
        >>> (g,) = tp.autograd.grad(x ** 3, x, create_graph=True)
        >>> g, tp.autograd.grad(g, x)[0]
        (tensor(27., grad_fn=<MulBackward0>), tensor(18.))
    """
    outs = _as_list(outputs)
    ins = _as_list(inputs)
    for t in ins:
        if not isinstance(t, Tensor) or not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    roots = _roots(outs, _as_list(grad_outputs), create_graph)
    captured = run_backward(
        roots,
        retain_graph=create_graph if retain_graph is None else retain_graph,
        create_graph=create_graph,
        accumulate=False,
        inputs=ins,
    )
    result: list[Tensor | None] = []
    for t in ins:
        node = t._grad_fn if t._grad_fn is not None else t._accumulator()
        g = captured.get(node)
        if g is None:
            if materialize_grads:
                result.append(t.new_zeros(t.shape))
                continue
            if not allow_unused:
                raise RuntimeError(
                    "One of the differentiated Tensors appears to not have been used in the "
                    "graph. Set allow_unused=True if this is the desired behavior."
                )
            result.append(None)
        else:
            result.append(g if create_graph else new_tensor(Tensor, g, t._backend))
    return tuple(result)


class detect_anomaly:  # noqa: N801 - PyTorch's name
    """Debug mode for backward: a context manager and a decorator, as PyTorch's.

    While it is on, every graph node records the stack of the forward call that created it
    (costly: use it to debug, not to train). Then

    * an exception raised in a node's backward gets a note naming the node and showing where
      its forward was called;
    * with ``check_nan`` (the default) a backward that returns NaN or inf raises at once,
      naming the node, the input whose gradient went bad, and that forward call;
    * an in-place or device error names where the tensor involved was created.

    Example:
        >>> import tensorplug as tp
        >>> x = tp.tensor([0.0, 1.0], requires_grad=True)
        >>> with tp.autograd.detect_anomaly():
        ...     y = x.sqrt().sum()
        ...     y.backward()  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        RuntimeError: Function 'SqrtBackward0' returned inf values in its 0th output ...

        As a decorator:

        >>> @tp.autograd.detect_anomaly()
        ... def step(x):
        ...     return (x * 2).sum().backward()
        >>> step(x)
        >>> x.grad
        tensor([2., 2.])
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        self._prev: list[tuple[bool, bool]] = []

    def __enter__(self) -> None:
        self._prev.append((switches.anomaly, switches.check_nan))
        switches.anomaly = True
        switches.check_nan = self.check_nan

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        switches.anomaly, switches.check_nan = self._prev.pop()

    def __call__(self, fn: F) -> F:
        check_nan = self.check_nan

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            # A fresh context per call: recursion and threads don't share the saved state.
            with detect_anomaly(check_nan):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class set_detect_anomaly(detect_anomaly):  # noqa: N801 - PyTorch's name
    """Turn anomaly mode on or off at once; as a context manager, restore it on exit.

    Example:
        >>> import tensorplug as tp
        >>> with tp.autograd.set_detect_anomaly(True):
        ...     tp.autograd.is_anomaly_enabled()
        True
        >>> tp.autograd.is_anomaly_enabled()
        False
    """

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        super().__init__(check_nan)
        self.mode = bool(mode)
        self._prev.append((switches.anomaly, switches.check_nan))
        switches.anomaly = self.mode
        switches.check_nan = check_nan

    def __enter__(self) -> None:
        switches.anomaly = self.mode
        switches.check_nan = self.check_nan

    def __call__(self, fn: F) -> F:
        raise TypeError("set_detect_anomaly is not a decorator; use detect_anomaly()")


def is_anomaly_enabled() -> bool:
    """Whether nodes created now record their forward traceback (in every thread, as in
    PyTorch)."""
    return switches.anomaly


def is_anomaly_check_nan_enabled() -> bool:
    """Whether anomaly mode checks each backward result for NaN and inf."""
    return switches.check_nan


__all__ = [
    "AccumulateGrad",
    "Function",
    "FunctionCtx",
    "Node",
    "backward",
    "detect_anomaly",
    "is_anomaly_check_nan_enabled",
    "is_anomaly_enabled",
    "set_detect_anomaly",
    "enable_grad",
    "grad",
    "is_grad_enabled",
    "no_grad",
    "once_differentiable",
    "set_grad_enabled",
]
