"""What the fuzzer steps around, each named and explained: known bugs, and declared
differences.

``KNOWN_BUGS`` are bugs already reported and being fixed elsewhere. When a fix lands, its
entry is deleted here and the fuzzer checks that corner from then on. ``DECLARED`` are
differences from PyTorch that tensorplug makes by design, each pointing to where the design
says so. The generator never writes a
line an entry matches, and counts the lines it left out per entry (``python -m fuzz`` prints
them). It judges a line from PyTorch's values before the line runs, so an entry may match a
little more than its bug.

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


def _zero_path_under_create_graph(step: Step, g: Gen) -> bool:
    if not g.create_graph:
        return False
    if step.op == "pow":
        return any(not isinstance(a, g.torch.Tensor) and a == 0 for a in step.args[1:])
    return step.op in ("relu", "sign", "var", "std")


KNOWN_BUGS: list[Skip] = [
    Skip(
        "create-graph-zero-paths",
        "under create_graph, whether a gradient that is zero by construction requires grad: "
        "relu's and sign's (PyTorch's do), x ** 0 and var/std with correction >= numel (PyTorch's "
        "do not); the values are the same",
        _zero_path_under_create_graph,
    ),
]
"""The fixes of branch ``wt-i18bugs`` landed (issue 18): every corner their entries stepped
around (bitwise promotion, writes into bool tensors, ``a[0] = v`` with leading 1-dims,
max's NaN gradient, ``pow(x, True)``, 0-d transpose, empty extrema, ``sign(nan)``, expanded
views, reshape of non-contiguous tensors, prod's double backward, ``clamp_`` with tensor
bounds) is fuzzed again."""


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


def _grad_off(step: Step) -> bool:
    mode = step.info.get("grad_mode")
    return mode is not None and "enable_grad" not in mode


_VIEW_OPS = {"reshape", "view", "flatten", "squeeze", "unsqueeze", "permute", "transpose", "t",
             "T", "mT", "expand", "expand_as", "broadcast_to", "split", "getitem"}  # fmt: skip


def _no_grad_view(step: Step, g: Gen) -> bool:
    # PyTorch marks a view made under no_grad of a tensor that requires grad as requiring
    # grad (a leaf that no gradient reaches, whose in-place change is an error); tensorplug
    # gives it requires_grad=False, as every result under no_grad.
    tensors = _tensors(step, g)
    return step.op in _VIEW_OPS and _grad_off(step) and bool(tensors) and tensors[0].requires_grad


def made_view_without_grad(step: Step) -> bool:
    """``step`` makes a view in a block with grad mode off (``Gen.no_grad_views``)."""
    return step.op in _VIEW_OPS and _grad_off(step)


def _write_into_no_grad_view(step: Step, g: Gen) -> bool:
    # PyTorch refuses an in-place change, with grad mode on, of a view made with grad mode
    # off (or of a view of one): tensorplug keeps no record of the mode a view was made in.
    if not step.writes or _grad_off(step) or not g.no_grad_views:
        return False
    target = g.t(step.writes[0])
    if not target._is_view():
        return False
    if not target.numel():
        return True
    return any(v.numel() and _storage(v) == _storage(target) for v in g.no_grad_views)


def _integer_write_joins_graph(step: Step, g: Gen) -> bool:
    # PyTorch's index_put_ and writes through a view step (CopySlices) into an integer or
    # bool tensor from a value that requires grad mark the integer tensor as requiring grad,
    # which it refuses everywhere else (and not for ``m[...] = w``); tensorplug keeps
    # integer tensors out of the graph (issue 18).
    if not step.writes or not step.args or step.args[0].is_floating_point():
        return False
    return any(v.requires_grad for v in _tensors(step, g)[1:])


def _unrecorded_write_into_views(step: Step, g: Gen) -> bool:
    # A write that autograd does not record (through a detached alias, under no_grad, of
    # values that need no grad) into memory that views in the graph share: PyTorch
    # regenerates those views when they are next read (AsStridedBackward0; an error for an
    # output of split), tensorplug keeps their nodes (their gradients are the same).
    if not step.writes:
        return False
    target = g.t(step.writes[0])
    recorded = not _grad_off(step) and (
        target.requires_grad or any(v.requires_grad for v in _tensors(step, g)[1:])
    )
    if recorded and target.requires_grad:
        return False
    storage = target.untyped_storage().data_ptr() if target.numel() else None
    return any(
        v.requires_grad and v._is_view()
        and (storage is None or v.untyped_storage().data_ptr() == storage)
        for v in (g.t(n) for n in g.names())
    )  # fmt: skip


def _split_views_written(step: Step, g: Gen) -> bool:
    # PyTorch refuses to read an output of split/chunk (a function of several views) after
    # a write into its memory; tensorplug regenerates it as any view.
    if not step.writes or not g.split_outputs:
        return False
    target = g.t(step.writes[0])
    if not target.numel():
        return True
    storage = target.untyped_storage().data_ptr()
    return any(v.untyped_storage().data_ptr() == storage for v in g.split_outputs)


def _requires_grad_after_views(step: Step, g: Gen) -> bool:
    # ``v = x[0]; x.requires_grad_()``: PyTorch's views follow their base's flag; a view
    # made before keeps requires_grad=False here.
    target = step.args[0]
    return step.op == "requires_grad_" and any(g.t(n)._base is target for n in g.names())


def _empty_write(step: Step, g: Gen) -> bool:
    # x[index] = v over no elements: PyTorch's copy returns before it moves the version
    # counter; tensorplug counts every write.
    region = step.info.get("index_shape")
    return step.op == "setitem" and region is not None and 0 in region


def _where_backward_twice(step: Step, g: Gen) -> bool:
    # PyTorch's where (indexing) saves its condition (indices), so a second backward through
    # it without retain_graph fails; tensorplug keeps them as arguments, never freed.
    return step.op in ("where", "index") and g.again and not g.retain


def _empty_integer_softmax(step: Step, g: Gen) -> bool:
    # PyTorch's softmax of an empty integer tensor returns it (no dtype check runs on no
    # elements); tensorplug raises the NotImplementedError of any integer tensor.
    t = _tensors(step, g)
    return step.op in ("softmax", "log_softmax") and bool(t) and t[0].numel() == 0


def _fill_expanded(step: Step, g: Gen) -> bool:
    # PyTorch fills an expand()ed tensor (one value for every element, shared or not), and
    # index_put_ writes into one unchecked; tensorplug refuses every write into one (its
    # backends' expanded arrays are read-only), as PyTorch refuses in-place arithmetic.
    filled = step.op in ("fill_", "zero_") or (
        step.op == "setitem" and bool(step.info.get("advanced"))
    )
    return filled and g.shares_expanded(g.t(step.writes[0]))


def _write_beside_expanded(step: Step, g: Gen) -> bool:
    # A write into a tensor whose own elements do not overlap, in memory an expand() made
    # (a select of an expanded view): PyTorch writes it, tensorplug refuses every write
    # through a view of an expand()ed tensor (docs/architecture.md, "Version counters").
    if not step.writes:
        return False
    target = g.t(step.writes[0])
    overlaps = any(st == 0 and n > 1 for st, n in zip(target.stride(), target.shape))
    return not overlaps and g.shares_expanded(target)


def _self_overlap_write(step: Step, g: Gen) -> bool:
    # ``x[index] = x``: PyTorch refuses a value sharing memory with the written tensor.
    if step.op != "setitem" or not step.writes:
        return False
    target = g.t(step.writes[0])
    return any(
        v is target
        or (v.numel() and target.numel() and _storage(v) == _storage(target))
        for v in _tensors(step, g)[1:]
    )  # fmt: skip


def _storage(t: Any) -> int:
    return int(t.untyped_storage().data_ptr())


def _clamp_bounds_grow(step: Step, g: Gen) -> bool:
    # clamp with tensor bounds broadcast beyond the input's shape: PyTorch's result has the
    # broadcast shape, but its backward fails to fit the input's gradient.
    if step.op != "clamp" or not step.info.get("tensor_bounds"):
        return False
    shapes = [tuple(t.shape) for t in _tensors(step, g)]
    try:
        return tuple(g.torch.broadcast_shapes(*shapes)) != shapes[0]
    except RuntimeError:
        return False


def _pow_bool_exponent(step: Step, g: Gen) -> bool:
    # x ** b with a bool tensor b: PyTorch's gradient for x computes b - 1, which it refuses.
    return step.op == "pow" and any(
        isinstance(a, g.torch.Tensor) and a.dtype == g.torch.bool for a in step.args[1:]
    )


def _pow_half_at_zero(step: Step, g: Gen) -> bool:
    # x ** 0.5 at x = -0.0: PyTorch's gradient goes through sqrt (1 / -0.0 = -inf), ours
    # through the power rule (+inf).
    if step.op != "pow" or len(step.args) < 2 or not isinstance(step.args[0], g.torch.Tensor):
        return False
    if isinstance(step.args[1], g.torch.Tensor) or step.args[1] not in (0.5, -0.5):
        return False
    t = step.args[0]
    return bool(t.is_floating_point() and t.numel() and (t.detach() == 0).any())


def _contiguous_of_strided(step: Step, g: Gen) -> bool:
    # PyTorch's elementwise results keep their input's strides, so contiguous() of one made
    # from a transpose copies (CloneBackward0); tensorplug's results are laid out anew.
    return step.op == "contiguous" and not step.args[0].is_contiguous()


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
        "no-grad-views",
        "a view made under no_grad of a tensor that requires grad: PyTorch's requires_grad",
        _no_grad_view,
    ),
    Skip(
        "integer-write-joins-graph",
        "index_put_ or CopySlices into an integer tensor from a value that requires grad: "
        "PyTorch's graph",
        _integer_write_joins_graph,
    ),
    Skip(
        "unrecorded-write-into-views",
        "a write autograd does not record, into views' memory: PyTorch's regenerated nodes",
        _unrecorded_write_into_views,
    ),
    Skip("split-views-written", "split's outputs after a write: an error", _split_views_written),
    Skip("write-beside-expanded", "writes beside expanded memory", _write_beside_expanded),
    Skip("fill-expanded", "fill_ or index_put_ into an expand()ed tensor", _fill_expanded),
    Skip(
        "write-into-no-grad-view",
        "an in-place change of a view made under no_grad: PyTorch's error",
        _write_into_no_grad_view,
    ),
    Skip(
        "requires-grad-after-views",
        "x.requires_grad_() after views of x were made: PyTorch's views follow",
        _requires_grad_after_views,
    ),
    Skip("clamp-bounds-grow", "clamp's tensor bounds broadcast the result", _clamp_bounds_grow),
    Skip("pow-bool-exponent", "x ** bool tensor: PyTorch's backward fails", _pow_bool_exponent),
    Skip("pow-half-at-zero", "x ** 0.5 at x = -0.0: the infinity's sign", _pow_half_at_zero),
    Skip("contiguous-of-strided", "contiguous() after strided results", _contiguous_of_strided),
    Skip("empty-write", "a write of no elements: the version counter", _empty_write),
    Skip("where-backward-twice", "saved indices never freed", _where_backward_twice),
    Skip("empty-integer-softmax", "softmax of an empty integer tensor", _empty_integer_softmax),
    Skip("self-overlap-write", "x[index] = x: PyTorch refuses it", _self_overlap_write),
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
    ("UnsafeViewBackward0", "ViewBackward0"): "reshape of a result NumPy laid out in an order "
    "that needs a copy (fancy indexing after a slice); PyTorch's results are contiguous",
    ("ViewBackward0", "ReshapeAliasBackward0"): "reshape of a non-contiguous tensor that a "
    "view can give: PyTorch names it after its strided alias",
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
