"""``tp.cuda.make_graphed_callables`` (issue 21): a module or function whose forward and
backward each replay a captured CUDA graph (``torch.cuda.make_graphed_callables``).

For each callable and its sample arguments: a few warm-up forward and backward passes, then
one capture of the forward (its outputs become static tensors) and one of the backward
(``autograd.grad`` of the static outputs, from static output gradients, to the inputs that
require a gradient and the module's parameters). The graphed callable is a custom
``Function``: its forward copies the arguments into the static inputs and replays the
forward graph; its backward copies the incoming gradients into the static ones, replays the
backward graph and hands back the static gradients, so the parameters' ``.grad`` fill up
through autograd as usual. Outputs are the static tensors, detached: the next call
overwrites them, as in PyTorch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ._creation import ones_like, zeros_like
from ._cuda_graphs import CUDAGraph, graph
from ._function import Function
from ._grad_mode import no_grad
from ._tensor import Tensor
from .autograd import grad as autograd_grad


def _graphed(fn: Callable[..., Any], args: tuple[Tensor, ...], params: list[Tensor],
             warmup: int, allow_unused: bool) -> Callable[..., Any]:  # fmt: skip
    for a in args:
        if not isinstance(a, Tensor):
            raise TypeError(
                f"make_graphed_callables: sample_args must be tensors, got {type(a).__name__}"
            )
    needs = [a for a in args if a.requires_grad] + [p for p in params if p.requires_grad]

    def fwd_bwd() -> tuple[tuple[Tensor, ...], tuple[Tensor | None, ...]]:
        out = fn(*args)
        outs = (out,) if isinstance(out, Tensor) else tuple(out)
        seeds = [o for o in outs if o.requires_grad]
        grads = autograd_grad(seeds, needs, [ones_like(o) for o in seeds],
                              allow_unused=allow_unused)  # fmt: skip
        return outs, grads

    for _ in range(warmup):
        fwd_bwd()
    fwd_graph, bwd_graph = CUDAGraph(), CUDAGraph()
    with graph(fwd_graph):
        out = fn(*args)
    if not isinstance(out, Tensor):
        raise NotImplementedError(
            "make_graphed_callables: a callable returning several tensors is not supported yet "
            "(the graphed callable is a custom Function, which has one output); return one"
        )
    outs = (out,)
    seeds = [o for o in outs if o.requires_grad]
    static_grad_outs = [zeros_like(o) for o in seeds]
    with graph(bwd_graph):
        static_grads = autograd_grad(seeds, needs, static_grad_outs, allow_unused=allow_unused)
    n_args = len(args)

    class Graphed(Function):
        @staticmethod
        def forward(ctx: Any, *inputs: Tensor) -> Any:
            with no_grad():
                for static, new in zip(args, inputs[:n_args], strict=True):
                    if new is not static:
                        static.copy_(new)
            fwd_graph.replay()
            return out.detach()

        @staticmethod
        def backward(ctx: Any, *grads: Tensor) -> Any:
            with no_grad():
                for static, g, o in zip(static_grad_outs, grads, seeds, strict=False):
                    static.copy_(g if g is not None else zeros_like(o))
            bwd_graph.replay()
            it = iter(static_grads)
            out = [next(it) if a.requires_grad else None for a in args]
            out += [next(it) if p.requires_grad else None for p in params]
            return tuple(None if g is None else g.detach() for g in out)

    def run(*inputs: Any) -> Any:
        return Graphed.apply(*inputs, *params)

    return run


def make_graphed_callables(
    callables: Any,
    sample_args: Any,
    num_warmup_iters: int = 3,
    allow_unused_input: bool = False,
    pool: Any = None,
) -> Any:
    """Graphed versions of ``callables`` (a module or function, or a tuple of them, with
    ``sample_args`` a tuple of tensors, or a tuple of such tuples). A module comes back with
    its ``forward`` graphed (in training mode; other calls run it eagerly)."""
    single = not isinstance(callables, tuple)
    fns: Sequence[Any] = (callables,) if single else callables
    samples = (sample_args,) if single else sample_args
    if len(fns) != len(samples):
        raise ValueError("make_graphed_callables: one tuple of sample_args per callable")
    out = []
    for fn, args in zip(fns, samples, strict=True):
        params = list(fn.parameters()) if hasattr(fn, "parameters") else []
        run = _graphed(fn, tuple(args), params, num_warmup_iters, allow_unused_input)
        if hasattr(fn, "forward"):
            eager = fn.forward

            def forward(*inputs: Any, _run: Any = run, _eager: Any = eager, _m: Any = fn) -> Any:
                return _run(*inputs) if _m.training else _eager(*inputs)

            fn.forward = forward
            out.append(fn)
        else:
            out.append(run)
    return out[0] if single else tuple(out)
