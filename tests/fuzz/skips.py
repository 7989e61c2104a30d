"""What the fuzzer steps around, each named and explained: known bugs, and declared
differences.

``KNOWN_BUGS`` are bugs already reported and being fixed elsewhere (branch ``wt-i18bugs``,
the known bugs of issue 18). When a fix lands, its entry is deleted here and the fuzzer
checks that corner from then on. ``DECLARED`` are differences from PyTorch that tensorplug
makes by design, each pointing to where the design says so. The generator never writes a
line an entry matches, and counts the lines it left out per entry (``python -m fuzz`` prints
them). It judges a line from PyTorch's values before the line runs, so an entry may match a
little more than its bug.

One bug of the known list needs no entry: ``mm``'s error wording, as errors compare by class.
``NODE_NAMES`` lists the node names tensorplug gives where PyTorch's differ, as the op
database declares them (``TorchRef.other_nodes``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .generate import Gen, Step


@dataclass(frozen=True)
class Skip:
    """A known bug or a declared difference: a name, what differs, and which candidate
    lines would meet it."""

    name: str
    what: str
    applies: Callable[[Step, Gen], bool]


def _tensors(step: Step, g: Gen) -> list[Any]:
    return [a for a in step.args if isinstance(a, g.torch.Tensor)]


def _has_nan(t: Any) -> bool:
    return bool(t.is_floating_point() and t.numel() and t.detach().isnan().any())


def _has_zero(t: Any) -> bool:
    return bool(t.numel() and (t.detach() == 0).any())


def _bitwise(step: Step, g: Gen) -> bool:
    if step.op not in ("and", "or"):
        return False
    return any(
        (isinstance(a, g.torch.Tensor) and a.dtype != g.torch.bool)
        or (not isinstance(a, (bool, g.torch.Tensor)))
        for a in step.args
    )


def _bool_write_joins_graph(step: Step, g: Gen) -> bool:
    # Integer targets go the same way as bool ones (a write from a value that requires grad
    # records CopySlices); PyTorch keeps both out of the graph.
    if step.op not in ("setitem", "copy_", "fill_") or not step.args:
        return False
    target, values = step.args[0], _tensors(step, g)[1:]
    return not target.is_floating_point() and any(v.requires_grad for v in values)


def _leading_ones(step: Step, g: Gen) -> bool:
    if step.op != "setitem" or step.info.get("index_shape") is None:
        return False
    value = step.args[1]
    return isinstance(value, g.torch.Tensor) and value.ndim > len(step.info["index_shape"])


def _max_nan(step: Step, g: Gen) -> bool:
    return step.op in ("max", "min", "amax", "amin") and any(_has_nan(t) for t in _tensors(step, g))


def _pow_bool(step: Step, g: Gen) -> bool:
    return step.op == "pow" and any(isinstance(a, bool) for a in step.args)


def _transpose_0d(step: Step, g: Gen) -> bool:
    return step.op == "transpose" and step.args[0].ndim == 0


def _empty_extremum(step: Step, g: Gen) -> bool:
    # ``zeros(2, 0).amax(0)``: reducing a dim of a zero-size tensor that is not itself empty.
    if step.op not in ("amax", "amin", "argmax", "argmin"):
        return False
    t = step.args[0]
    return t.numel() == 0 and step.info.get("dim") is not None


def _sign_nan(step: Step, g: Gen) -> bool:
    return step.op == "sign" and _has_nan(step.args[0])


def _write_expanded(step: Step, g: Gen) -> bool:
    # Writes through an expanded view, and writes to a tensor an expanded view shares memory
    # with (the view is not refreshed): both mean the target shares an expand()'s memory.
    return bool(step.writes) and g.shares_expanded(g.t(step.writes[0]))


def _reshape_copy(step: Step, g: Gen) -> bool:
    # PyTorch copies (or, for view, refuses) where strides do not allow a view.
    ops = ("reshape", "view", "flatten")
    return step.op in ops and not step.args[0].is_contiguous()


def _prod_double_backward(step: Step, g: Gen) -> bool:
    return step.op == "prod" and g.second_order and _has_zero(step.args[0])


def _clamp_tensor_bounds(step: Step, g: Gen) -> bool:
    return step.op == "clamp_" and bool(step.info.get("tensor_bounds"))


KNOWN_BUGS = [
    Skip("bitwise-promotion", "bool/int `|` and `&` promote wrongly", _bitwise),
    Skip(
        "bool-write-joins-graph",
        "a bool (or int) tensor written from a float tensor that requires grad joins the graph",
        _bool_write_joins_graph,
    ),
    Skip("setitem-leading-ones", "`a[0] = v` with extra leading 1-dims in v", _leading_ones),
    Skip("max-nan-gradient", "max/amax (min/amin) gradients with NaN", _max_nan),
    Skip("pow-bool-exponent", "pow(x, True): the gradient's dtype", _pow_bool),
    Skip("transpose-0d", "transpose (and .mT) of a 0-d tensor", _transpose_0d),
    Skip("empty-extremum", "zeros(2, 0).amax(0) and its kin (argmax...)", _empty_extremum),
    Skip("sign-nan", "sign(nan)", _sign_nan),
    Skip(
        "expanded-views",
        "writes through expand()ed views; expanded views not refreshed after a base change",
        _write_expanded,
    ),
    Skip(
        "reshape-noncontiguous",
        "reshape (view, flatten) of a non-contiguous tensor treated as a view",
        _reshape_copy,
    ),
    Skip("prod-double-backward-zero", "prod's double backward at zero", _prod_double_backward),
    Skip("clamp_-tensor-bounds", "clamp_ with tensor bounds", _clamp_tensor_bounds),
]


def _grad_mode_on(step: Step) -> bool:
    mode = step.info.get("grad_mode")
    return mode is None or "enable_grad" in mode


def _view_write_outside_graph(step: Step, g: Gen) -> bool:
    # docs/architecture.md, "Version counters": a write through a view of a tensor outside
    # the graph, with a value that requires grad, is refused (PyTorch records it).
    if not step.writes or not _grad_mode_on(step):
        return False
    target = g.t(step.writes[0])
    through_view = bool(step.info.get("through_view")) or target._is_view()
    values = _tensors(step, g)[1:]
    return through_view and not target.requires_grad and any(v.requires_grad for v in values)


def _partial_overlap(step: Step, g: Gen) -> bool:
    # PyTorch refuses an in-place op whose operand shares memory with the written tensor
    # without being it (``x.unsqueeze(0).add_(x)``); tensorplug's arrays compute it.
    if not step.writes:
        return False
    target = g.t(step.writes[0])
    storage = target.untyped_storage().data_ptr()
    return any(
        v.numel() and v.untyped_storage().data_ptr() == storage
        and (bool(step.info.get("through_view")) or v is not target)
        for v in _tensors(step, g)[1:]
    )  # fmt: skip


def _no_dims_quirk(step: Step, g: Gen) -> bool:
    # PyTorch's var/std over dim=() reduce every dim but their gradient counts no elements
    # (inf), and its logsumexp over dim=() of a tensor with dims fails to broadcast its
    # result: tensorplug reduces every dim, as sum(()) does (op database: var, std).
    if step.info.get("dim") != () or not step.args:
        return False
    t = step.args[0]
    if step.op == "logsumexp":
        return bool(t.ndim and t.numel())
    return step.op in ("var", "std") and t.requires_grad


DECLARED = [
    Skip(
        "view-write-outside-graph",
        "a write, with a value that requires grad, through a view of a tensor outside the "
        "graph is refused (docs/architecture.md, version counters)",
        _view_write_outside_graph,
    ),
    Skip(
        "no-dims-quirks",
        "var/std's gradient and logsumexp over dim=(): PyTorch's own bugs",
        _no_dims_quirk,
    ),
    Skip(
        "partial-overlap",
        "in-place ops whose operand overlaps the written tensor: PyTorch refuses them",
        _partial_overlap,
    ),
]

NODE_NAMES = {
    ("DivBackward0", "MulBackward0"): "number / tensor: PyTorch multiplies by the reciprocal "
    "(op database: __rtruediv__)",
}
"""(tensorplug's node, PyTorch's node) pairs the op database declares, with the reason."""


def first_match(step: Step, g: Gen) -> Skip | None:
    """The first known bug or declared difference ``step`` would meet, if any."""
    for skip in (*KNOWN_BUGS, *DECLARED):
        if skip.applies(step, g):
            return skip
    return None
