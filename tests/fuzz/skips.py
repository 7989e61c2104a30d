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


KNOWN_BUGS: list[Skip] = []
"""Empty since the fixes of branch ``wt-i18bugs`` landed (issue 18): every corner its entries
stepped around (bitwise promotion, writes into bool tensors, ``a[0] = v`` with leading 1-dims,
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
