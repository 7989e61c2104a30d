"""How errors describe tensors and nodes: what made them, where (in anomaly mode), and why a
saved value no longer holds (the version-counter error).

Nothing here runs on the per-op path; ``_graph``, ``_dispatch`` and ``_engine`` call it
only to word an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ._graph import OUT, AccumulateGrad

if TYPE_CHECKING:
    from ._graph import Node


def raise_version_error(node: Node, value: Any, i: int, now: int, expected: int | None) -> None:
    """Name the tensor that was modified (what made it, its shape, device and, in anomaly
    mode, where it was created) and the node that needed it; unless no gradient this node
    computes uses that value (``x[i] = x[i] * 2`` saves ``x[i]`` only for the 2's gradient)."""
    users = type(node).saved_for
    if users is not None and i < len(users) and not any(node.needs_input_grad[j] for j in users[i]):
        return
    save = type(node)._spec.save
    # A custom Function's ctx saves a list of its own: no input index, the producer as now.
    slot = save[i] if i < len(save) else None
    if slot == OUT:
        what, site, changed, role = _changed_output(node, value)
    else:
        what, site, changed = _changed_input(node, value, slot)
        role = f"its input {slot}" if slot is not None else f"saved tensor {i}"
    where = (f"\nThe tensor was created at {site}." if site else "") + changed
    if node.trace is None:
        where += (
            "\nRun the forward pass under `with tensorplug.autograd.detect_anomaly():` to "
            "see where the tensor and the op that saved it were created."
        )
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [{what}, is at version {now}; expected version {expected} "
        f"instead. {node.name()} saved it as {role} for backward, and an in-place op "
        f"(a method ending in `_`, or an indexed assignment) changed it afterwards.{where}\n"
        "Hint: use the out-of-place op (`y = y.add(1)` rather than `y.add_(1)`), or "
        "clone() the tensor before modifying it."
    )


def _changed_output(node: Node, value: Any) -> tuple[str, str, str, str]:
    be = node._backend
    what = (
        f"{be.k.dtype_of(value).name} {list(value.shape)} on {be.device(value)} "
        f"({be.name})], which is the output of {node.name()}"
    )
    return what, creation_site(node), "", "its own output"


def _changed_input(node: Node, value: Any, slot: int | None) -> tuple[str, str, str]:
    # The producer recorded when the node was made; an in-place op since then has rebased
    # the tensor onto its own node, whose trace says where the change happened.
    changed = ""
    in_graph = slot is not None and slot < len(node._next)
    producer = node._next[slot] if in_graph and slot is not None else value._grad_fn
    if isinstance(producer, AccumulateGrad) or producer is None:
        made = "a leaf tensor" if value._requires_grad else "a tensor without grad"
        site = ""
    elif in_graph:
        made = f"the output of {producer.name()}"
        site = creation_site(producer)
    else:  # what made it before the change is not recorded; say what made it last
        made = f"now the output of {producer.name()}"
        at = creation_site(producer)
        changed = f"\nIts current value was made at {at}." if at else ""
        site = ""
    what = (
        f"{value.dtype.name} {list(value.shape)} on {value.device} ({value.backend})], "
        f"which is {made}"
    )
    if in_graph and value._grad_fn is not None and value._grad_fn is not producer:
        at = creation_site(value._grad_fn)
        changed = f"\nIt was changed in place by {value._grad_fn.name()}" + (
            f" at {at}." if at else "."
        )
    return what, site, changed


def describe(t: Any, with_site: bool = True) -> str:
    """A tensor as error messages name it: what made it, dtype, shape, device, creation site.

    The creation site is known for a non-leaf tensor made in anomaly mode.
    """
    fn = t._grad_fn
    made = (
        f"output of {fn.name()}"
        if fn is not None
        else ("leaf tensor, requires_grad=True" if t._requires_grad else "tensor without grad")
    )
    text = f"{t.dtype.name} {list(t.shape)} on {t.device} ({t.backend}), {made}"
    site = creation_site(fn) if with_site else ""
    return f"{text}, created at {site}" if site else text


def creation_site(node: Node | None) -> str:
    """``file:line in function: code`` of the last user frame that created ``node``, or ''."""
    if node is None or node.trace is None:
        return ""
    frames = user_frames(node.trace)
    if not frames:
        return ""
    lines = frames[-1].strip().splitlines()
    head = lines[0].strip()  # 'File "x.py", line 3, in f'
    if head.startswith('File "'):
        path, _, rest = head[6:].partition('", line ')
        head = f"{path}:{rest.replace(', in ', ' in ', 1)}"
    return head + (f": {lines[1].strip()}" if len(lines) > 1 else "")


_PKG_DIR = __file__.rsplit("/", 1)[0].rsplit("\\", 1)[0]


def user_frames(trace: Sequence[str]) -> list[str]:
    """``trace`` (``traceback.format_stack`` lines) without tensorplug's own frames at its end:
    the stack ends at the user's line that called the op."""
    end = len(trace)
    while end > 0 and _PKG_DIR in trace[end - 1].split("\n", 1)[0]:
        end -= 1
    return list(trace[:end]) or list(trace)
