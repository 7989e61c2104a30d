"""The reverse-mode engine: runs the recorded graph's backward functions, newest node first.

A backward formula is written once against an *ops namespace*. The engine passes the
backend's raw kernels and raw saved arrays when ``create_graph=False`` (the common case: no
tensor wrappers, no dispatch, no recording), and differentiable tensor ops
(``_tensor_ops.TENSOR_OPS``) and saved *tensors* when ``create_graph=True``, so the backward
is itself recorded and higher-order gradients work.

Order: every node has a sequence number from when it was made (``Node._seq``); a node's
consumers are all newer than it, and a reachable consumer still to run always has a newer
node holding a gradient on its way from the roots, so the newest pending node has every
gradient it will get (PyTorch's engine orders its ready queue the same way): no dependency
count is needed before a backward. It is iterative, so a 100 000-op chain needs no recursion.

Compiled where the install could (``_engine.pxd``), plain Python otherwise; one source.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Sequence
from heapq import heappop, heappush
from typing import TYPE_CHECKING, Any

from . import _functional_write as fw
from ._describe import creation_site, user_frames
from ._grad_mode import state, switches
from ._graph import (
    FREED,
    LEAF,
    OUT,
    SAVES_INPUT,
    SAVES_INPUTS,
    SAVES_NOTHING,
    SAVES_OUTPUT,
    AccumulateGrad,
    Node,
    OpSpec,
    OutDtype,
    arrays_of,
    new_tensor,
    unpack,
)
from ._tensor import Tensor

if TYPE_CHECKING:
    from ._backend import Backend

_NONE: dict[Any, Any] = {}
"""The empty ``targets`` and ``captured`` of a plain ``backward()``: shared, never written."""

_leaf_lock = threading.Lock()
"""Held while a gradient is added into a leaf's ``.grad``: threads running backward into one
shared leaf must not lose each other's contributions (docs/architecture.md, threads)."""


def run_backward(
    roots: Sequence[tuple[Node, Any]],
    *,
    retain_graph: bool,
    create_graph: bool,
    accumulate: bool = True,
    inputs: Sequence[Any] | None = None,
) -> dict[Node, Any]:
    """Propagate ``roots`` (``(node, grad)`` pairs) to the leaves, in topological order.

    With ``accumulate=False`` (``autograd.grad``) nothing is written to ``.grad``: the grads
    reaching the nodes of ``inputs`` are returned instead, keyed by node. With ``inputs`` and
    ``accumulate=True`` (``backward(inputs=...)``) only those tensors get ``.grad``. Grads are
    raw arrays unless ``create_graph``, in which case they are tensors and every step is
    recorded.
    """
    # Nodes holding a gradient and not yet run: a heap of ``(-_seq, node)`` and their
    # gradients in ``buffers``.
    buffers: dict[Node, Any] = {}
    pending: list[tuple[int, Node]] = []
    for node, g in roots:
        if node in buffers:
            buffers[node] = _add(buffers[node], g, node._backend)
        else:
            buffers[node] = g
            heappush(pending, (-node._seq, node))
    targets: dict[Node, Any] = _NONE
    to_run = None
    if inputs is not None:
        targets = {(t._grad_fn or t._accumulator()): t for t in inputs}
        to_run = _above(targets, _parents([n for _, n in pending]))
    prev_mode = state.grad_enabled
    state.grad_enabled = create_graph
    try:
        return _run(buffers, pending, targets, to_run, retain_graph, create_graph, accumulate)
    finally:
        state.grad_enabled = prev_mode


def _run(
    buffers: dict[Node, Any],
    pending: list[tuple[int, Node]],
    targets: dict[Node, Any],
    to_run: set[Node] | None,
    retain_graph: bool,
    create_graph: bool,
    accumulate: bool,
) -> dict[Node, Any]:
    """The engine's loop: run the newest pending node and pass its gradients on. The newest
    pending node, when newer than all of ``pending``, is held with its gradient in ``carry``
    instead (a chain of ops never touches the heap)."""
    captured: dict[Node, Any] = _NONE if accumulate else {}
    summed: set[Node] = set()  # buffered sums this engine made: arrays nobody else holds
    carry: Node | None = None
    carry_g: Any = None
    grads: Any
    while carry is not None or pending:
        if carry is not None:
            node, g = carry, carry_g
            carry = carry_g = None
        else:
            node = heappop(pending)[1]
            g = buffers.pop(node)
        extra = node._extra
        if extra is not None and (extra.pre_hooks is not None or extra.retain is not None):
            g = _run_pre_hooks(node, g, create_graph)
        spec: OpSpec = type(node)._spec
        if targets is not _NONE and not _wanted(
            node, g, spec, targets, to_run, accumulate, captured, create_graph
        ):
            continue
        if spec.saves == LEAF:
            if accumulate:
                _accumulate_into_leaf(node, g, create_graph)  # type: ignore[arg-type]
            continue
        if create_graph or (extra is not None and extra.trace is not None):
            grads = _traced_backward(node, g, create_graph)
        else:
            grads = _plain_backward(node, spec, g)
        if not retain_graph:
            node._saved = FREED
        extra = node._extra  # a pre-hook may have added post-hooks
        if extra is not None and extra.post_hooks is not None:
            _run_post_hooks(node, extra.post_hooks, grads, g)
        for nxt, gi in zip(node._next, grads):
            if nxt is None or gi is None:
                continue
            if nxt is carry:  # a second gradient from this node (``y * y``)
                carry_g = _add(carry_g, gi, nxt._backend)
                continue
            buf = buffers.get(nxt)
            if buf is None:  # ``nxt`` is pending from now on
                seq = nxt._seq
                if carry is None:
                    if not pending or seq > -pending[0][0]:
                        carry, carry_g = nxt, gi
                        continue
                elif seq > carry._seq:
                    buffers[carry] = carry_g
                    heappush(pending, (-carry._seq, carry))
                    carry, carry_g = nxt, gi
                    continue
                buffers[nxt] = gi
                heappush(pending, (-seq, nxt))
            elif nxt in summed and not create_graph and nxt._backend.mutable and _fits(buf, gi):
                nxt._backend.k.iadd(buf, gi)  # a sum this engine made: nobody else holds it
            else:
                buffers[nxt] = _add(buf, gi, nxt._backend)
                summed.add(nxt)
            buf = None
        # Drop this frame's references: a gradient held only by ``buffers`` or ``carry_g``
        # is one the next node may overwrite (``backward_owned``), and frees as soon as it
        # is used.
        g = grads = gi = None
    return captured


def _fits(buf: Any, g: Any) -> bool:
    """Whether ``g`` can be added into ``buf`` in place (same shape and dtype)."""
    return bool(buf.shape == g.shape and buf.dtype == g.dtype)


def _add(a: Any, b: Any, be: Backend) -> Any:
    """Two gradients for one node, summed. Never in place: the first may be an array another
    node also holds. Raw arrays go through the backend's kernel, not ``+``: a GPU backend runs
    kernels on its device."""
    return a + b if isinstance(a, Tensor) else be.k.add(a, b)


# --------------------------------------------------------------------------------------------
# One node's backward
# --------------------------------------------------------------------------------------------


def _plain_backward(node: Node, spec: OpSpec, g: Any) -> tuple[Any, ...]:
    """``node``'s backward on raw arrays with the backend's kernels (no anomaly mode, no
    ``create_graph``): the saved values unpacked by their layout, each version-checked (a
    mismatch, or a freed graph, goes through ``unpack``, which names it), and the gradients
    given their inputs' dtypes."""
    k = node._backend.k
    saves = spec.saves
    fn = spec.backward
    saved = node._saved
    versions = node._versions
    if saves == SAVES_NOTHING:
        grads = fn(node, k, g)
    elif saved is FREED:  # released by an earlier backward: ``unpack`` says so
        grads = fn(node, k, g, *arrays_of(node, unpack(node)))
    elif saves == SAVES_INPUTS:
        a, b = saved
        va, vb = versions
        if (va is None or a._vc.version == va) and (vb is None or b._vc.version == vb):
            grads = fn(node, k, g, a if va is None else a._data, b if vb is None else b._data)
        else:
            grads = fn(node, k, g, *arrays_of(node, unpack(node)))
    elif saves in (SAVES_INPUT, SAVES_OUTPUT):
        value = saved[0]
        version = versions[0]
        if version is not None:
            if saves == SAVES_OUTPUT:
                if node._out_vc.version != version:
                    value = arrays_of(node, unpack(node))[0]
            elif value._vc.version == version:
                value = value._data
            else:
                value = arrays_of(node, unpack(node))[0]
        owned = spec.backward_owned
        if (
            owned is not None
            and (node._extra is None or node._extra.post_hooks is None)
            and _getrefcount(g) == _SOLE_OWNER
        ):
            fn = owned  # nothing but the engine holds ``g``: it may be overwritten
        grads = fn(node, k, g, value)
    else:
        grads = fn(node, k, g, *arrays_of(node, unpack(node)))
    dts = node.dtype
    if dts.__class__ is OutDtype and node._extra is None:
        return grads  # its gradients have its dtypes (``OutDtype``)
    for gi, dt in zip(grads, dts):
        if gi is not None and dt is not None and gi.dtype is not dt and gi.dtype != dt:
            return _match_dtypes(node, grads, False)
    return grads


def _traced_backward(node: Node, g: Any, create_graph: bool) -> tuple[Any, ...]:
    """``node``'s backward in tensor mode (``create_graph``) or in anomaly mode: errors get a
    note naming the forward call that made the node, and non-finite gradients are caught."""
    backend = node._backend
    try:
        saved = unpack(node)
        if create_graph:
            from ._tensor_ops import TENSOR_OPS

            values = tuple(
                [
                    new_tensor(Tensor, v, backend, node) if slot == OUT else _as_tensor(v, backend)
                    for v, slot in zip(saved, _slots(node, len(saved)))
                ]
            )
            grads = type(node)._spec.backward(node, TENSOR_OPS, g, *values)
        else:
            grads = type(node)._spec.backward(node, backend.k, g, *arrays_of(node, saved))
    except Exception as e:
        if node.trace is not None and not getattr(e, "_tp_traced", False):
            e._tp_traced = True  # type: ignore[attr-defined]
            _add_note(
                e,
                f"Error detected in {node.name()} during backward (anomaly mode). Traceback of "
                "the forward call that created it:\n" + "".join(user_frames(node.trace)),
            )
        raise
    if node.trace is not None and switches.check_nan:
        _check_anomaly(node, grads, create_graph)
    return _match_dtypes(node, grads, create_graph)


def _slots(node: Node, n: int) -> list[int | None]:
    save = type(node)._spec.save
    return [save[i] if i < len(save) else None for i in range(n)]


def _as_tensor(value: Any, be: Backend) -> Any:
    """A saved value for tensor mode: tensors and numbers as they are, arrays wrapped."""
    if value is None or isinstance(value, (int, float, Tensor)):
        return value
    return new_tensor(Tensor, value, be)


def _match_dtypes(node: Node, grads: Any, create_graph: bool) -> tuple[Any, ...]:
    """Each gradient gets its input's dtype (inputs promoted in forward differ from it)."""
    fixed = None
    for i, (gi, dt) in enumerate(zip(grads, node.dtype)):
        if gi is None or dt is None:
            continue
        have = gi._data.dtype if create_graph else gi.dtype
        if have is not dt and have != dt:
            fixed = list(grads) if fixed is None else fixed
            be = node._backend
            target = _tp_dtype(be, dt)
            fixed[i] = gi.to(target) if create_graph else be.k.astype(gi, target)
    return tuple(grads) if fixed is None else tuple(fixed)


def _tp_dtype(be: Backend, native: Any) -> Any:
    for d, n in be.dtypes.items():
        if n == native:
            return d
    raise TypeError(f"no tensorplug dtype for {native}")


# ``Node.backward_owned`` needs exact reference counts to prove a gradient unshared: CPython
# with the GIL has them; PyPy and free-threaded builds get 0 here, so it is never used there.
_getrefcount: Callable[[Any], int] = (
    sys.getrefcount
    if hasattr(sys, "getrefcount") and getattr(sys, "_is_gil_enabled", lambda: True)()
    else (lambda obj: 0)
)


def _probe_refcount(g: Any) -> int:
    return _getrefcount(g)


def _sole_owner_count() -> int:
    """What ``_getrefcount`` says, in ``_plain_backward``, of a gradient that only the
    engine's loop holds: measured here the same way (a local passed to a function), since
    compiled and interpreted frames count their references differently."""
    g = object()
    return _probe_refcount(g)


_SOLE_OWNER = _sole_owner_count()


# --------------------------------------------------------------------------------------------
# backward(inputs=...) and autograd.grad: only what leads to the requested inputs
# --------------------------------------------------------------------------------------------


def _wanted(
    node: Node,
    g: Any,
    spec: OpSpec,
    targets: dict[Node, Any],
    to_run: set[Node] | None,
    accumulate: bool,
    captured: dict[Node, Any],
    create_graph: bool,
) -> bool:
    """For ``backward(inputs=...)`` and ``grad``: take what a requested input receives, and
    say whether ``node`` must run (a leaf is then accumulated only if requested)."""
    if node in targets:
        if not accumulate:
            hooks = node._var_ref._hooks if spec.saves == LEAF else None  # type: ignore[attr-defined]
            if hooks:
                # A leaf's hooks see its gradient whether it is accumulated or returned.
                g = _leaf_hooks(hooks, g, node._backend, create_graph)
            captured[node] = g
        elif spec.saves != LEAF:
            _store_grad(targets[node], g, node._backend, create_graph)
        elif accumulate:
            _accumulate_into_leaf(node, g, create_graph)  # type: ignore[arg-type]
            return False
    if spec.saves == LEAF:
        return False
    return to_run is None or node in to_run


def _parents(roots: Sequence[Node]) -> dict[Node, list[Node]]:
    """Each node reachable from ``roots`` with the nodes that point at it. Iterative; a node
    is first reached when its entry is created, so the dict doubles as the visited set."""
    parents: dict[Node, list[Node]] = {}
    stack = list(roots)
    root_set = set(roots)
    while stack:
        node = stack.pop()
        for nxt in node._next:
            if nxt is None:
                continue
            seen = parents.get(nxt)
            if seen is None:
                parents[nxt] = [node]
                if nxt not in root_set:
                    stack.append(nxt)
            else:
                seen.append(node)
    return parents


def _above(targets: dict[Node, Any], parents: dict[Node, list[Node]]) -> set[Node]:
    """Nodes with a target strictly below them: the only ones worth running."""
    result: set[Node] = set()
    stack = list(targets)
    while stack:
        for p in parents.get(stack.pop(), ()):
            if p not in result:
                result.add(p)
                stack.append(p)
    return result


# --------------------------------------------------------------------------------------------
# Leaves, hooks, retained gradients
# --------------------------------------------------------------------------------------------


def _leaf_hooks(hooks: list[Any], g: Any, be: Backend, create_graph: bool) -> Any:
    """A leaf's tensor hooks, in order, each given the gradient the last one returned."""
    for hook in hooks:
        r = hook(g if create_graph else new_tensor(Tensor, g, be))
        if r is not None:
            g = _hook_result(hook, g, r, be, create_graph)
    return g


def _accumulate_into_leaf(node: AccumulateGrad, g: Any, create_graph: bool) -> None:
    """Add ``g`` into the leaf's ``.grad`` as PyTorch's AccumulateGrad does: the first
    gradient copied (``.grad`` owns its memory, apart from any tensor a hook kept), later
    ones added in place, or out of place while building a graph (``create_graph``)."""
    var = node._var_ref
    be = node._backend
    if var._hooks:
        g = _leaf_hooks(var._hooks, g, be, create_graph)
    if not var._requires_grad:
        return  # ``detach_()`` since the graph was recorded: nothing to accumulate into
    _leaf_lock.acquire()  # not a context manager: cheaper, on every leaf of every backward
    try:
        grad = var._grad
        if grad is None:
            var._grad = g.clone() if create_graph else new_tensor(Tensor, be.k.copy(g), be)
        elif create_graph:
            var._grad = grad + g
        elif _fits(grad._data, g):
            # In place even where ``.grad`` has a graph of its own (from a create_graph
            # pass): its version moves on, as in PyTorch.
            if be.mutable:
                be.k.iadd(grad._data, g)
            else:  # the sum rebound into ``.grad`` (and any view of it)
                fw.iadd(grad, g)
            grad._vc.version += 1
        else:
            var._grad = new_tensor(Tensor, be.k.add(grad._data, g), be)
    finally:
        _leaf_lock.release()
    extra = node._extra
    if extra is not None and extra.post_hooks is not None:
        _run_post_hooks(node, extra.post_hooks, (), g)


def _run_pre_hooks(node: Node, g: Any, create_graph: bool) -> Any:
    extra = node._extra
    assert extra is not None
    if extra.pre_hooks:
        for hook in extra.pre_hooks:
            r = hook(g if create_graph else new_tensor(Tensor, g, node._backend))
            if r is not None:
                g = _hook_result(hook, g, r, node._backend, create_graph)
    if extra.retain is not None:
        t = extra.retain()
        if t is not None:
            _store_grad(t, g, node._backend, create_graph)
    return g


def _run_post_hooks(node: Node, hooks: list[Any], grads: tuple[Any, ...], g: Any) -> None:
    """``fn(grad_inputs, grad_outputs)`` after ``node`` ran, with tensors, as in PyTorch."""
    be = node._backend
    for hook in hooks:
        hook(_tensors(grads, be), _tensors((g,), be))


def _tensors(values: tuple[Any, ...], be: Backend) -> tuple[Any, ...]:
    return tuple(
        [v if v is None or isinstance(v, Tensor) else new_tensor(Tensor, v, be) for v in values]
    )


def _hook_result(hook: Any, g: Any, r: Any, be: Backend, create_graph: bool) -> Any:
    """A tensor hook's replacement for gradient ``g`` (an array, or a tensor under
    ``create_graph``), refused as PyTorch refuses it when its dtype or size differs."""
    if not isinstance(r, Tensor):
        raise TypeError(f"hook {_hook_name(hook)} returned {type(r).__name__}, not a Tensor")
    was = g if create_graph else new_tensor(Tensor, g, be)
    if r.dtype != was.dtype:
        raise RuntimeError(
            f"hook {_hook_name(hook)} has changed the type of value (was {was.dtype} got {r.dtype})"
        )
    if r.shape != was.shape:
        raise RuntimeError(
            f"hook {_hook_name(hook)} has changed the size of value (was {list(was.shape)} "
            f"got {list(r.shape)})"
        )
    return r if create_graph else r._data


def _hook_name(hook: Any) -> str:
    return f"'{getattr(hook, '__name__', type(hook).__name__)}'"


def _store_grad(t: Any, g: Any, be: Backend, create_graph: bool) -> None:
    """``.grad`` of a non-leaf (``retain_grad`` or ``backward(inputs=...)``): accumulates."""
    if not create_graph:
        g = new_tensor(Tensor, be.k.copy(g), be)
    elif t._grad is None:
        g = g.clone()  # as PyTorch: the retained gradient is not a tensor a hook may hold
    t._grad = g if t._grad is None else t._grad + g


# --------------------------------------------------------------------------------------------
# Anomaly mode
# --------------------------------------------------------------------------------------------


def _add_note(e: BaseException, note: str) -> None:
    """``e.add_note`` on Python 3.11+; on 3.10 the note is appended to the message."""
    if sys.version_info >= (3, 11):
        e.add_note(note)
    elif e.args and isinstance(e.args[0], str):
        e.args = (f"{e.args[0]}\n{note}", *e.args[1:])


def _check_anomaly(node: Node, grads: tuple[Any, ...], create_graph: bool) -> None:
    k = node._backend.k
    for i, gi in enumerate(grads):
        if gi is None:
            continue
        arr = gi._data if create_graph else gi
        if not (k.dtype_of(arr).is_floating_point and bool(k.any_nonfinite(arr))):
            continue
        # NaN is the one value unequal to itself; otherwise the non-finite value is an inf.
        kind = "nan" if bool(k.to_host(k.amax(k.ne(arr, arr), None, False))) else "inf"
        raise RuntimeError(
            f"Function '{node.name()}' returned {kind} values in its {i}th output (the gradient "
            f"for its input {i}, {k.dtype_of(arr).name} {list(arr.shape)}). The forward op "
            f"was created at {creation_site(node)}; its backward formula met a value where "
            "the derivative is not finite (e.g. sqrt or log at 0, division by 0), or received "
            "a non-finite gradient from above.\nTraceback of the forward call:\n"
            + "".join(user_frames(node.trace or []))
        )
