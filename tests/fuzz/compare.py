"""Two traces of one program, PyTorch's and tensorplug's, compared entry by entry.

Data compares exactly for integers and bools; floating-point data within the tolerance of the
least precise float dtype the program holds (``loosest``), scaled by the largest magnitude in
the tensor (a chain of ops loses digits in proportion to the values it went through), with
NaN in the same places and infinities equal.
Errors compare by the built-in class a caller would catch (``runner.builtin_kinds``): where
PyTorch raises ``RuntimeError``, tensorplug may raise it or a subclass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .runner import Entry, Observation, Other, Raised, Snapshot
from .skips import NODE_NAMES

TOLERANCE = {"float16": (1e-2, 1e-2), "float32": (1e-4, 1e-5), "float64": (1e-7, 1e-9)}
"""(rtol, atol) per dtype; atol is scaled by the largest finite magnitude of the expected
tensor (at least 1)."""


@dataclass(frozen=True)
class Mismatch:
    """One difference: at program line ``line``, in ``what`` (a value, ``raised``, a
    gradient, a hook call), of ``kind`` (``value``, ``dtype``, ``error type``...)."""

    line: int
    what: str
    kind: str
    detail: str

    @property
    def signature(self) -> tuple[str, str]:
        """What the shrinker keeps while it shrinks: the kind and the sort of entry (a value,
        a gradient, a hook call, an error)."""
        sort = self.what.split()[0] if self.what.startswith("hook") else self.what
        sort = "grad" if sort.endswith(".grad") or sort.startswith("grads") else sort
        return self.kind, "value" if sort[0] == "v" and sort[1:].isdigit() else sort

    def __str__(self) -> str:
        return f"line {self.line}, {self.what}: {self.kind}: {self.detail}"


def loosest(trace: list[Entry]) -> str:
    """The least precise floating-point dtype of a program's values: every float compares
    within its tolerance, as digits lost in float16 stay lost after a cast to float64."""
    found = {obs.dtype for _, _, obs in trace if isinstance(obs, Snapshot)}
    return next((d for d in ("float16", "float32") if d in found), "float64")


def close(got: np.ndarray, want: np.ndarray, dtype: str) -> bool:
    if want.dtype.kind not in "fc":
        return bool(np.array_equal(got, want))
    got, want = got.astype(np.float64), want.astype(np.float64)
    nan = np.isnan(want)
    if not np.array_equal(np.isnan(got), nan):
        return False
    inf = np.isinf(want) | np.isinf(got)
    if not np.array_equal(got[inf], want[inf]):
        return False
    finite = ~(nan | inf)
    if not finite.any():
        return True
    rtol, atol = TOLERANCE.get(dtype, TOLERANCE["float64"])
    scale = max(1.0, float(np.abs(want[finite]).max()))
    return bool(np.allclose(got[finite], want[finite], rtol=rtol, atol=atol * scale))


def _snapshots(got: Snapshot, want: Snapshot, tol: str, value: bool) -> tuple[str, str] | None:
    """The first field in which two tensors differ, and how. Node names count for the
    program's values only: a gradient's graph is made of tensorplug's backward formulas,
    which are not PyTorch's."""
    for field in ("dtype", "shape", "requires_grad", "is_leaf", "node"):
        g, w = getattr(got, field), getattr(want, field)
        if field == "node" and (not value or (g, w) in NODE_NAMES):
            continue
        if g != w:
            return field, f"tensorplug {g!r}, PyTorch {w!r}"
    if not close(got.data, want.data, tol if want.data.dtype.kind == "f" else want.dtype):
        return "value", f"tensorplug\n{got.data}\nPyTorch\n{want.data}"
    return None


def _observations(
    got: Observation, want: Observation, tol: str, value: bool
) -> tuple[str, str] | None:
    if isinstance(want, Raised) or isinstance(got, Raised):
        if not (isinstance(want, Raised) and isinstance(got, Raised)):
            return "raised", f"tensorplug {got}, PyTorch {want}"
        if want.kind not in got.kinds:  # as ``pytest.raises(type(e))``: a subclass will do
            return "error type", f"tensorplug {got.message!r}, PyTorch {want.message!r}"
        return None
    if isinstance(want, Snapshot) and isinstance(got, Snapshot):
        return _snapshots(got, want, tol, value)
    if isinstance(want, Other) and isinstance(got, Other):
        return _others(got.value, want.value, tol)
    return "kind", f"tensorplug {type(got).__name__}, PyTorch {type(want).__name__}"


def _others(got: object, want: object, tol: str) -> tuple[str, str] | None:
    if isinstance(want, tuple) and isinstance(got, tuple) and len(got) == len(want):
        for g, w in zip(got, want):
            found = _observations(g, w, tol, False)  # type: ignore[arg-type]
            if found:
                return found
        return None
    if isinstance(want, float) and isinstance(got, float):
        if close(np.array(got), np.array(want), tol):
            return None
    elif got == want and type(got) is type(want):
        return None
    return "value", f"tensorplug {got!r}, PyTorch {want!r}"


def compare(got: list[Entry], want: list[Entry]) -> list[Mismatch]:
    """Every difference of tensorplug's trace ``got`` from PyTorch's ``want``; where a line
    raised in one library only, that is the line's only difference."""
    g = {(line, what): obs for line, what, obs in got}
    w = {(line, what): obs for line, what, obs in want}
    tol = loosest(want)
    out: list[Mismatch] = []
    raised_once: set[int] = set()
    for line, what in [*w, *(k for k in g if k not in w)]:
        if line in raised_once:
            continue
        if (line, "raised") in g and (line, "raised") not in w:
            raised_once.add(line)
            out.append(Mismatch(line, "raised", "raised", f"tensorplug {g[line, 'raised']}"))
            continue
        if (line, "raised") in w and (line, "raised") not in g:
            raised_once.add(line)
            out.append(Mismatch(line, "raised", "no error", f"PyTorch {w[line, 'raised']}"))
            continue
        if (line, what) not in g or (line, what) not in w:
            side = "tensorplug" if (line, what) in g else "PyTorch"
            out.append(Mismatch(line, what, "missing", f"only {side} has it"))
            continue
        value = what[0] == "v" and what[1:].isdigit()
        found = _observations(g[line, what], w[line, what], tol, value)
        if found:
            out.append(Mismatch(line, what, *found))
    return out
