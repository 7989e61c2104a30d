"""A fuzz program: lines of Python written once against ``lib`` (tensorplug or torch), and the
backward pass that ends it.

Each line is real source, so a failing program prints as a reproduction that runs as it is
(``Program.source``): bind ``lib`` to either library and paste. Values are named ``v0, v1,
...``, each bound once; a line that changes a value in place names it in ``writes``. Dropping a
line drops every line that reads a value only it bound, which is what the shrinker needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

NAME = re.compile(r"\bv\d+\b")

PREAMBLE = '''\
import math
nan, inf = math.nan, math.inf
calls = []  # (hook name, gradient) in the order the hooks ran


def hook(name, scale=None):
    """A gradient hook that logs its gradient and, given a scale, replaces it."""
    def fn(g):
        calls.append((name, g))
        return None if scale is None else g * scale
    return fn


def square_sum(*grads):
    """The sum of squares of the gradients that have a graph (double backward's loss)."""
    terms = [(g * g).sum() for g in grads if g is not None and g.requires_grad]
    return sum(terms[1:], terms[0]) if terms else None
'''
"""The helpers every program may call, shown once at the top of a reproduction."""


@dataclass(frozen=True)
class Line:
    """One statement of a program.

    Args:
        text: the source, one statement (a ``with`` block counts as one).
        op: the catalogue name of what it does (``add``, ``setitem``, ``leaf``...), for
            reports and the known-bug list.
        defines: the names it binds.
        writes: the names whose data or history it changes in place.
    """

    text: str
    op: str
    defines: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()

    @property
    def uses(self) -> set[str]:
        return set(NAME.findall(self.text)) - set(self.defines)


@dataclass(frozen=True)
class Finale:
    """How a program ends: a loss over some values, its backward pass, and what to read.

    Args:
        outputs: summed (each times its position + 1) into the loss.
        via_grad: ``autograd.grad`` over ``inputs`` instead of ``loss.backward()``.
        inputs: the leaves whose gradients are asked for (``autograd.grad``) or read.
        create_graph: keep the backward pass differentiable.
        again: run the backward pass a second time (``retain`` says whether the first kept
            the graph; without it PyTorch refuses the second).
        retain: ``retain_graph=True`` on the first pass.
        double: differentiate the squared gradients again (needs ``create_graph``).
    """

    outputs: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()
    via_grad: bool = False
    create_graph: bool = False
    again: bool = False
    retain: bool = False
    double: bool = False

    def lines(self, live: set[str]) -> list[Line]:
        """The finale as lines, over the outputs and inputs that ``live`` still holds."""
        outs = [o for o in self.outputs if o in live]
        ins = [i for i in self.inputs if i in live]
        if not outs:
            return []
        terms = [f"{o}.sum()" if k == 0 else f"{o}.sum() * {k + 1}" for k, o in enumerate(outs)]
        lines = [Line("loss = " + " + ".join(terms), "loss", ("loss",))]
        flags = ", create_graph=True" if self.create_graph else ""
        flags += ", retain_graph=True" if self.retain else ""
        if self.via_grad:
            call = f"lib.autograd.grad(loss, [{', '.join(ins)}], allow_unused=True{flags})"
            lines.append(Line(f"grads = {call}", "grad", ("grads",)))
        else:
            lines.append(Line(f"loss.backward({flags[2:]})", "backward"))
        if self.again:
            lines.append(Line("loss.backward()", "backward"))
        if self.double and ins:
            grads = "grads" if self.via_grad else ", ".join(f"{i}.grad" for i in ins)
            star = "*" if self.via_grad else ""
            lines.append(Line(f"gg = square_sum({star}{grads})", "square_sum", ("gg",)))
            call = f"lib.autograd.grad(gg, [{', '.join(ins)}], allow_unused=True)"
            lines.append(Line(f"grads2 = {call} if gg is not None else None", "grad", ("grads2",)))
        return lines


@dataclass(frozen=True)
class Program:
    """A seeded program: its lines, then its finale."""

    seed: int
    lines: tuple[Line, ...]
    finale: Finale = field(default_factory=Finale)

    def all_lines(self) -> list[Line]:
        live = {n for line in self.lines for n in line.defines}
        return [*self.lines, *self.finale.lines(live)]

    def source(self, helpers: bool = False) -> str:
        """A runnable reproduction: ``lib`` bound, the helpers (``PREAMBLE`` itself, or a
        line that runs it from ``tests/``), then the program."""
        body = "\n".join(line.text for line in self.all_lines())
        run = PREAMBLE if helpers else "from fuzz.program import PREAMBLE; exec(PREAMBLE)\n"
        head = f"import tensorplug as lib  # or: import torch as lib\n{run}# seed {self.seed}"
        return f"{head}\n{body}\n"

    def without(self, index: int) -> Program:
        """The program without line ``index`` and every line that reads what only it bound."""
        gone = set(self.lines[index].defines)
        kept = []
        for i, line in enumerate(self.lines):
            if i == index or line.uses & gone:
                gone |= set(line.defines)
                continue
            kept.append(line)
        return replace(self, lines=tuple(kept))

    def with_finale(self, **changes: object) -> Program:
        return replace(self, finale=replace(self.finale, **changes))  # type: ignore[arg-type]
