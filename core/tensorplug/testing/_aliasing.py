"""The ``aliasing`` family: in-place writes through views, and views of a base written in place.

A view shares its base's memory: ``x[0].add_(1)`` changes ``x``, and after ``x.mul_(2)`` a view
made earlier shows the new values. A backend whose ``getitem``, ``reshape`` or ``permute``
returns a copy computes every out-of-place op right and still breaks this, silently. Each
scenario builds a view of a base, writes through the view (or through the base), and compares
base and view with the same steps on NumPy float64 arrays, whose basic indexing, reshape of a
contiguous array and transposes are views, as PyTorch's are. Its ``-grad`` variant does it on a
base in the graph with a written value that requires grad, and compares the gradients of
``sum(base * wb) + sum(view * wv)`` with central differences of the NumPy reference (exact:
the scenarios are linear in each input).

Writes through an ``expand()``ed view, whose elements share memory, are refused with a
``RuntimeError`` naming ``expand`` (PyTorch: "more than one element of the written-to tensor
refers to a single memory location"), never NumPy's ``ValueError`` nor a silent write into a
copy. tensorplug refuses ``fill_`` there too (docs/architecture.md), which PyTorch applies to
the one shared element.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _dtype as D
from .._backend import Backend, KnownFailure
from .._creation import tensor
from .._tensor import Tensor
from ._compare import Tol, mismatch, to_numpy


class Value:
    """The written tensor operand (``requires_grad`` in the ``-grad`` variant)."""

    def __repr__(self) -> str:
        return "VALUE"


VALUE = Value()

Step = tuple[Any, ...]
"""A view step, ``(method, *args)``: ``("index", idx)``, ``("reshape", shape)``,
``("view", shape)``, ``("permute", dims)``, ``("transpose", d0, d1)``, ``("t",)``,
``("expand", shape)``, ``("squeeze", dim)``, ``("unsqueeze", dim)``, ``("flatten",)``,
``("diagonal", offset)`` (of a matrix)."""

Write = tuple[Any, ...]
"""An in-place write, ``(method, *args)``: ``("add_", x)``, ``("sub_", x)``, ``("mul_", x)``,
``("copy_", x)``, ``("fill_", number)``, ``("zero_",)``, ``("setitem", idx, x)``; ``x`` a
number or ``VALUE``."""

EXPAND_ERROR = r"expand|more than one element of the written-to tensor"
"""What the refusal of a write through an expanded view must say."""


@dataclass(frozen=True)
class Scenario:
    """One view and one write.

    Args:
        name: the sample name in test IDs and known-failure selectors.
        op: the op database entry it is filed under (the view op it is about).
        shape: the base's shape; its values are ``arange`` (distinct, exact in float16).
        views: the steps from the base to the view.
        write: the write through the view, or None.
        then: a write through the base afterwards (the view must show it), or None.
        value_shape: the shape of ``VALUE`` where a write uses it.
        refused: the write must raise ``RuntimeError`` matching this (an expanded view).
    """

    name: str
    op: str
    shape: tuple[int, ...]
    views: tuple[Step, ...]
    write: Write | None = None
    then: Write | None = None
    value_shape: tuple[int, ...] = ()
    refused: str = ""
    uses_value: bool = field(init=False)

    def __post_init__(self) -> None:
        writes = [w for w in (self.write, self.then) if w is not None]
        object.__setattr__(self, "uses_value", any(VALUE in w for w in writes))


_ = slice(None)
S = Scenario
V = VALUE
# fmt: off
SCENARIOS: tuple[Scenario, ...] = (
    # basic indexing
    S("row_add", "getitem", (3, 4), (("index", 0),), ("add_", 1)),
    S("rows_mul", "getitem", (4, 3), (("index", slice(1, 3)),), ("mul_", V), value_shape=(2, 3)),
    S("column_assign_seen", "getitem", (3, 4), (("index", (_, 1)),),
      then=("setitem", (_, 1), V), value_shape=(3,)),
    S("setitem_in_view", "getitem", (3, 4), (("index", slice(1, None)),),
      ("setitem", (_, 2), V), value_shape=(2,)),
    S("strided_sub", "getitem", (3, 5), (("index", (_, slice(None, None, 2))),),
      ("sub_", V), value_shape=(3, 3)),
    S("element_fill", "getitem", (3, 4), (("index", (1, 2)),), ("fill_", 7.0)),
    S("none_ellipsis_copy", "getitem", (2, 3), (("index", (None, 1, Ellipsis)),),
      ("copy_", V), value_shape=(1, 3)),
    S("base_mul_seen", "getitem", (3, 4), (("index", 1),), then=("mul_", V), value_shape=(3, 4)),
    S("row_fill_one", "getitem", (3, 4), (("index", 0),), ("fill_", 1.0)),
    S("view_of_view_fill", "getitem", (4, 3), (("index", slice(1, 3)), ("index", (_, 0))),
      ("fill_", 5.0)),
    S("view_of_view_zero_then_base_seen", "getitem", (4, 3), (("index", 2), ("index", 1)),
      ("zero_",), then=("add_", V), value_shape=(4, 3)),
    # reshape and view of contiguous tensors
    S("view_add", "reshape", (2, 6), (("view", (3, 4)),), ("add_", V), value_shape=(3, 4)),
    S("reshape_row_mul", "reshape", (2, 6), (("reshape", (4, 3)), ("index", 2)),
      ("mul_", V), value_shape=(3,)),
    S("reshape_base_assign_seen", "reshape", (2, 6), (("reshape", (12,)),),
      then=("setitem", 0, V), value_shape=(6,)),
    S("chain_view_of_view_seen", "reshape", (2, 6), (("view", (3, 4)), ("index", (_, 1))),
      then=("add_", V), value_shape=(2, 6)),
    # not a view: reshaping a transpose copies (in NumPy and PyTorch), so the base stays
    S("reshape_of_transpose_mul", "reshape", (2, 3), (("t",), ("reshape", (6,))),
      ("mul_", V), value_shape=(6,)),
    S("flatten_copy", "flatten", (3, 2, 2), (("flatten",),), ("copy_", V), value_shape=(12,)),
    # the same rule on views of other strides: a view iff the old strides express the shape
    S("reshape_of_transpose_split_add", "reshape", (3, 4), (("t",), ("reshape", (2, 2, 3))),
      ("add_", V), value_shape=(2, 2, 3)),
    S("reshape_of_permute_merge_mul", "reshape", (2, 3, 2), (("permute", (1, 0, 2)),
      ("reshape", (6, 2))), ("mul_", V), value_shape=(6, 2)),
    S("reshape_of_step_slice_mul", "reshape", (3, 4), (("index", (_, slice(None, None, 2))),
      ("reshape", (6,))), ("mul_", V), value_shape=(6,)),
    S("reshape_of_step_slice_split_add", "reshape", (3, 4),
      (("index", (_, slice(None, None, 2))), ("reshape", (3, 2, 1))), ("add_", V),
      value_shape=(3, 2, 1)),
    S("reshape_zero_then_base_seen", "reshape", (2, 6), (("reshape", (3, 4)),), ("zero_",),
      then=("setitem", 1, V), value_shape=(6,)),
    S("squeeze_add", "squeeze", (3, 1, 4), (("squeeze", 1),), ("add_", V), value_shape=(3, 4)),
    S("unsqueeze_mul", "unsqueeze", (3, 4), (("unsqueeze", 0),), ("mul_", V),
      value_shape=(1, 3, 4)),
    # permute, transpose, t(), and chains of views
    S("permute_add", "permute", (2, 3, 4), (("permute", (2, 0, 1)),), ("add_", V),
      value_shape=(4, 2, 3)),
    S("permute_base_sub_seen", "permute", (2, 3, 4), (("permute", (1, 2, 0)),),
      then=("sub_", V), value_shape=(2, 3, 4)),
    S("chain_view_permute_index", "permute", (4, 6),
      (("view", (4, 2, 3)), ("permute", (2, 0, 1)), ("index", (1, slice(1, 3)))),
      ("add_", V), value_shape=(2, 2)),
    S("transpose_sub", "transpose", (3, 4), (("transpose", 0, 1),), ("sub_", V),
      value_shape=(4, 3)),
    S("transpose_setitem", "transpose", (3, 4), (("transpose", 1, 0),),
      ("setitem", 1, V), value_shape=(3,)),
    S("t_row_mul", "t", (3, 4), (("t",), ("index", 1)), ("mul_", 2)),
    S("t_base_add_seen", "t", (3, 4), (("t",),), then=("add_", V), value_shape=(3, 4)),
    S("t_add_number", "t", (3, 4), (("t",),), ("add_", 1)),
    S("chain_index_t_index", "t", (3, 4, 2), (("index", 0), ("t",), ("index", 1)),
      ("mul_", V), value_shape=(4,)),
    # diagonal of a matrix, contiguous or transposed: a strided view
    S("diagonal_mul", "diagonal", (3, 4), (("diagonal",),), ("mul_", V), value_shape=(3,)),
    S("diagonal_offset_base_add_seen", "diagonal", (3, 4), (("diagonal", 1),),
      then=("add_", V), value_shape=(3, 4)),
    S("t_diagonal_below_add", "diagonal", (3, 4), (("t",), ("diagonal", -1)), ("add_", 1)),
    # expand: the view's elements share memory
    S("expand_base_add_seen", "expand", (1, 3), (("expand", (2, 3)),),
      then=("add_", V), value_shape=(1, 3)),
    S("expand_base_setitem_seen", "expand", (2, 1), (("expand", (2, 3)),),
      then=("setitem", 1, V), value_shape=(1,)),
    S("expand_one_base_add_seen", "expand", (1,), (("expand", (4,)),), then=("add_", 1)),
    S("expand_add", "expand", (1,), (("expand", (3,)),), ("add_", 1), refused=EXPAND_ERROR),
    S("expand_rows_mul", "expand", (2, 1), (("expand", (2, 3)),), ("mul_", 2),
      refused=EXPAND_ERROR),
    S("expand_copy", "expand", (1, 3), (("expand", (4, 3)),), ("copy_", V),
      value_shape=(4, 3), refused=EXPAND_ERROR),
    S("expand_slice_add", "expand", (1,), (("expand", (3,)), ("index", slice(1, None))),
      ("add_", 1), refused=EXPAND_ERROR),
    S("expand_fill", "expand", (1,), (("expand", (3,)),), ("fill_", 2.0), refused=EXPAND_ERROR),
    S("expand_assign", "expand", (2, 1), (("expand", (2, 3)),), ("setitem", 0, 5.0),
      refused=EXPAND_ERROR),
)
# fmt: on
"""Every scenario, grouped by the op it is filed under."""

BY_NAME = {s.name: s for s in SCENARIOS}

CORE_KNOWN_FAILURES: tuple[KnownFailure, ...] = ()
"""Known failures of this version of tensorplug itself, applied to every backend as strict
expected failures (a backend cannot fix them). The fix of each removes its declaration: the
kit fails every backend's run on the unexpected pass until then."""


def scenarios_of(op: str) -> list[Scenario]:
    return [s for s in SCENARIOS if s.op == op]


# -- the steps, on tensors and on NumPy arrays --------------------------------------------------


def view_tensor(x: Tensor, step: Step) -> Tensor:
    name, *args = step
    if name == "index":
        return x[args[0]]
    if name in ("permute", "view", "reshape", "expand"):
        args = list(args[0])
    out: Tensor = getattr(x, name)(*args)  # and transpose, t, squeeze, unsqueeze, flatten
    return out


def view_array(a: np.ndarray, step: Step) -> np.ndarray:
    """The same step on a NumPy array; every result must share ``a``'s memory."""
    name, *args = step
    if name == "index":
        idx = args[0] if isinstance(args[0], tuple) else (args[0],)
        out = a[idx if Ellipsis in idx else (*idx, Ellipsis)]  # a 0-d view, not a scalar
    elif name in ("view", "reshape"):
        out = a.reshape(args[0])
    elif name == "permute":
        out = a.transpose(args[0])
    elif name == "transpose":
        out = np.swapaxes(a, *args)
    elif name == "t":
        out = a.T
    elif name == "expand":
        out = np.broadcast_to(a, args[0])
    elif name == "squeeze":
        out = np.squeeze(a, args[0])
    elif name == "unsqueeze":
        out = np.expand_dims(a, args[0])
    elif name == "diagonal":  # a matrix's, writable (NumPy's own is read-only)
        off = args[0] if args else 0
        corner = a[max(0, -off) :, max(0, off) :]
        n = max(0, min(corner.shape))
        out = np.lib.stride_tricks.as_strided(corner, (n,), (sum(a.strides),), writeable=True)
    else:
        out = a.reshape(-1)
    # Every step is a view, but a reshape that cannot be one: NumPy and PyTorch both copy.
    assert np.shares_memory(out, a) or name in ("reshape", "flatten"), f"{step} copied"
    return out


def write_tensor(t: Tensor, w: Write, value: Any) -> None:
    name, *args = w
    args = [value if a is VALUE else a for a in args]
    if name == "setitem":
        t[args[0]] = args[1]
    else:
        getattr(t, name)(*args)


def write_array(a: np.ndarray, w: Write, value: Any) -> None:
    name, *args = w
    args = [value if a is VALUE else a for a in args]
    if name == "setitem":
        a[args[0]] = args[1]
    elif name in ("add_", "sub_", "mul_"):
        getattr(np, {"add_": "add", "sub_": "subtract", "mul_": "multiply"}[name])(
            a, args[0], out=a
        )
    else:  # copy_, fill_, zero_
        a[...] = args[0] if args else 0


# -- the reference and the check ----------------------------------------------------------------


def _weights(shape: tuple[int, ...], offset: int) -> np.ndarray:
    return ((np.arange(math.prod(shape)) + offset) % 5 + 1.0).reshape(shape)


def inputs(s: Scenario) -> tuple[np.ndarray, np.ndarray | None]:
    """The base's values and the written value (distinct small integers: exact everywhere)."""
    base = np.arange(math.prod(s.shape), dtype=np.float64).reshape(s.shape)
    value = -2.0 - np.arange(math.prod(s.value_shape)).reshape(s.value_shape)
    return base, value if s.uses_value else None


def reference(
    s: Scenario, base: np.ndarray, value: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Base and view after the scenario's writes, on NumPy float64 views."""
    assert not s.refused, "a refused write has no reference"
    base = base.copy()
    view = base
    for step in s.views:
        view = view_array(view, step)
    if s.write is not None:
        write_array(view, s.write, value)
    if s.then is not None:
        write_array(base, s.then, value)
    return base, view


def reference_grads(s: Scenario, base: np.ndarray, value: np.ndarray | None) -> list[np.ndarray]:
    """Central differences of ``sum(base * wb) + sum(view * wv)`` with respect to the base's
    values and the written value: exact, as the loss is linear in each input."""
    b0, v0 = reference(s, base, value)
    wb, wv = _weights(b0.shape, 0), _weights(v0.shape, 2)

    def loss(b: np.ndarray, v: np.ndarray | None) -> float:
        bb, vv = reference(s, b, v)
        return float((bb * wb).sum() + (vv * wv).sum())

    grads = []
    for i, x in enumerate([base, value]):
        if x is None:
            continue
        g = np.zeros_like(x)
        for j in np.ndindex(x.shape):
            hi, lo = x.copy(), x.copy()
            hi[j] += 1.0
            lo[j] -= 1.0
            args_hi = (hi, value) if i == 0 else (base, hi)
            args_lo = (lo, value) if i == 0 else (base, lo)
            g[j] = (loss(*args_hi) - loss(*args_lo)) / 2.0
        grads.append(g)
    return grads


def run(s: Scenario, be: Backend, dtype: D.dtype, grad: bool, tol: Tol) -> None:
    """Run scenario ``s`` on backend ``be``; raise ``AssertionError`` naming what differs."""
    where = f"aliasing scenario {s.name!r} ({dtype.name}{', grad' if grad else ''})"
    base_np, value_np = inputs(s)
    # From copies: a backend's from_host may keep the host array (the tensor would alias it).
    leaf = tensor(base_np.copy(), dtype=dtype, backend=be, requires_grad=grad)
    value = None
    if value_np is not None:
        value = tensor(value_np.copy(), dtype, backend=be, requires_grad=grad)
    base = leaf * 1 if grad else leaf  # in the graph, not a leaf: its views may be written
    view = base
    for step in s.views:
        view = view_tensor(view, step)
    expected_view = base_np
    for step in s.views:
        expected_view = view_array(expected_view, step)
    _compare(view, expected_view, tol, f"{where}: the view before any write")
    if s.refused:
        _check_refused(s, view, value, where)
        _compare(base, base_np, tol, f"{where}: the base after the refused write")
        return
    if s.write is not None:
        write_tensor(view, s.write, value)
    if s.then is not None:
        write_tensor(base, s.then, value)
    want_base, want_view = reference(s, base_np, value_np)
    _compare(base, want_base, tol, f"{where}: the base after the write")
    _compare(view, want_view, tol, f"{where}: the view after the write")
    if grad:
        loss = (base * tensor(_weights(want_base.shape, 0), dtype, backend=be)).sum()
        loss = loss + (view * tensor(_weights(want_view.shape, 2), dtype, backend=be)).sum()
        loss.backward()
        wrt = [(what, t) for what, t in (("base", leaf), ("written value", value)) if t is not None]
        for (what, t), g in zip(wrt, reference_grads(s, base_np, value_np)):
            assert t.grad is not None, f"{where}: no gradient reached the {what}"
            _compare(t.grad, g, tol, f"{where}: the gradient of the {what}")


def _check_refused(s: Scenario, view: Tensor, value: Any, where: str) -> None:
    """The write through an expanded view raises tensorplug's ``RuntimeError``."""
    assert s.write is not None
    try:
        write_tensor(view, s.write, value)
    except RuntimeError as e:
        if re.search(s.refused, str(e)):
            return
        raise AssertionError(
            f"{where}: the write through an expanded view raised RuntimeError without naming "
            f"the problem (expected a message matching {s.refused!r}): {e}"
        ) from e
    except Exception as e:
        raise AssertionError(
            f"{where}: the write through an expanded view raised {type(e).__name__} (expected "
            f"tensorplug's RuntimeError matching {s.refused!r}): {e}"
        ) from e
    raise AssertionError(
        f"{where}: the write through an expanded view was accepted; it must raise "
        "RuntimeError (the view's elements share memory)"
    )


def _compare(actual: Tensor, expected: np.ndarray, tol: Tol, what: str) -> None:
    got = to_numpy(actual)
    assert got.shape == expected.shape, f"{what}: shape {got.shape}, expected {expected.shape}"
    problem = mismatch(got, expected, tol)
    assert not problem, f"{what}: {problem}; got {got.tolist()}, expected {expected.tolist()}"
