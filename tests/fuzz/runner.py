"""Runs a program on one library and writes down what an observer sees: a trace.

A trace is a list of ``(line, what, observation)`` entries: each value a line binds or changes
(data, dtype, shape, ``requires_grad``, ``is_leaf``, node name), the exception a line raises,
after a backward pass every leaf's ``.grad`` and every retained gradient, and at the end every
value still bound and every hook call. Two libraries that agree give equal traces, up to the
tolerances of ``compare``.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from types import CodeType
from typing import Any

import numpy as np

from .program import PREAMBLE, Program

BACKWARD_OPS = frozenset({"backward", "grad"})


@dataclass(frozen=True)
class Snapshot:
    """A tensor as an observer sees it, its data copied to the host."""

    dtype: str
    shape: tuple[int, ...]
    data: np.ndarray
    requires_grad: bool
    is_leaf: bool
    node: str | None


@dataclass(frozen=True)
class Raised:
    """A line raised: the built-in exception classes it is or derives from (nearest first),
    and the message."""

    kinds: tuple[str, ...]
    message: str

    @property
    def kind(self) -> str:
        return self.kinds[0]


@dataclass(frozen=True)
class Other:
    """A value that is no tensor: a number, None, or a sequence of observations."""

    value: Any


Observation = Snapshot | Raised | Other
Entry = tuple[int, str, Observation]


def builtin_kinds(exc: BaseException) -> tuple[str, ...]:
    """The built-in classes of ``exc``, nearest first (``torch.OutOfMemoryError`` is a
    RuntimeError), so libraries with exception classes of their own compare by what a caller
    catches."""
    return tuple(c.__name__ for c in type(exc).__mro__ if c.__module__ == "builtins")


@functools.lru_cache(maxsize=4096)
def _compile(text: str) -> CodeType:
    return compile(text, "<fuzz program>", "exec")


def namespace(lib: Any) -> dict[str, Any]:
    """A fresh namespace with ``lib`` and the helpers of ``PREAMBLE`` bound."""
    ns: dict[str, Any] = {"lib": lib}
    exec(_compile(PREAMBLE), ns)
    return ns


def is_tensor(lib: Any, x: Any) -> bool:
    return isinstance(x, lib.Tensor)


def _host(lib: Any, t: Any) -> np.ndarray:
    t = t.detach()
    if getattr(t, "_is_zerotensor", None) is not None and t._is_zerotensor():
        # PyTorch's unmaterialised zeros (``autograd.grad`` of an unused branch) hold no data.
        return np.zeros(tuple(t.shape), dtype=str(t.dtype).split(".")[-1])
    return np.array(t.numpy(), copy=True)


def node_name(t: Any) -> str | None:
    """``grad_fn.name()`` without the C++ namespace of PyTorch's ``torch::autograd::*``."""
    fn = t.grad_fn
    return None if fn is None else fn.name().rsplit("::", 1)[-1]


def observe(lib: Any, x: Any) -> Observation:
    if is_tensor(lib, x):
        dtype = x.dtype.name if hasattr(x.dtype, "name") else str(x.dtype).split(".")[-1]
        try:
            fields = (x.requires_grad, x.is_leaf, node_name(x))
        except Exception as e:  # noqa: BLE001 - PyTorch refuses to tell of some views
            return Raised(builtin_kinds(e), f"{type(e).__name__}: {e}")
        return Snapshot(dtype, tuple(x.shape), _host(lib, x), *fields)
    if isinstance(x, (tuple, list)):
        return Other(tuple(observe(lib, v) for v in x))
    return Other(x)


def _values(ns: dict[str, Any], lib: Any) -> list[str]:
    return sorted(
        (n for n, v in ns.items() if n[0] == "v" and n[1:].isdigit() and is_tensor(lib, v)),
        key=lambda n: int(n[1:]),
    )


def _gradients(i: int, ns: dict[str, Any], lib: Any) -> list[Entry]:
    """Every leaf's ``.grad`` and every retained gradient (others warn in PyTorch)."""
    out: list[Entry] = []
    for n in _values(ns, lib):
        t = ns[n]
        try:
            if t.is_leaf or t.retains_grad:
                out.append((i, f"{n}.grad", observe(lib, t.grad)))
        except Exception as e:  # noqa: BLE001 - as in ``observe``
            out.append((i, f"{n}.grad", Raised(builtin_kinds(e), f"{type(e).__name__}: {e}")))
    return out


def _run_line(code: CodeType, ns: dict[str, Any]) -> Raised | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(code, ns)
    except Exception as e:  # noqa: BLE001 - any exception is an observation
        return Raised(builtin_kinds(e), f"{type(e).__name__}: {e}")
    return None


def execute(program: Program, lib: Any) -> list[Entry]:
    """Run ``program`` on ``lib`` and return its trace."""
    ns = namespace(lib)
    trace: list[Entry] = []
    lines = program.all_lines()
    backward_failed = False
    for i, line in enumerate(lines):
        raised = _run_line(_compile(line.text), ns)
        if raised is not None:
            trace.append((i, "raised", raised))
            backward_failed |= line.op in BACKWARD_OPS
            continue
        if line.op in BACKWARD_OPS:
            trace += _gradients(i, ns, lib)
        names = list(line.defines)
        if line.writes:
            names += [n for n in _values(ns, lib) if n not in names]
        trace += [(i, n, observe(lib, ns[n])) for n in names if n in ns]
    end = len(lines)
    trace += [(end, n, observe(lib, ns[n])) for n in _values(ns, lib)]
    if backward_failed:
        # A backward pass that raised may have reached some leaves first, in an order the
        # libraries need not share: gradients and hook calls are no longer comparable.
        return trace
    trace += _gradients(end, ns, lib)
    per_hook: dict[str, int] = {}
    for name, g in ns["calls"]:
        k = per_hook[name] = per_hook.get(name, 0) + 1
        trace.append((end, f"hook {name} call {k}", observe(lib, g)))
    return trace
