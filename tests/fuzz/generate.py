"""The program generator: one seed, one program, the same every time.

The generator writes a program line by line and runs each line in PyTorch as it goes, so it
can pick operands that fit (shapes that broadcast, a dim in range, an index inside the
tensor) from the values the program really holds. A line PyTorch refuses is kept now and then
(tensorplug must refuse it too, with the same exception class) and otherwise dropped; a line
that would meet a known bug or a declared difference is never written (``skips``). What a
line does is chosen by the producers of ``steps_*``, each a function ``(gen) -> Step | None``.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import skips
from .program import Finale, Line, Program
from .runner import _compile, _run_line, namespace

FLOATS = ("float16", "float32", "float64")
INTS = ("int32", "int64")
DTYPES = ("bool", *INTS, *FLOATS)
SHAPES = [
    (), (1,), (3,), (4,), (2, 3), (3, 2), (1, 3), (2, 1), (3, 3), (2, 1, 3), (2, 3, 2),
    (1, 2, 3), (0,), (0, 3), (2, 0),
]  # fmt: skip
SCALARS = ["0", "1", "2", "-1", "0.5", "-2.5", "3", "1e-3", "True", "False", "nan", "inf",
           "-inf", "-0.0"]  # fmt: skip
KEEP_ERRORS = 0.35
"""The share of lines PyTorch refuses that stay in the program, as error checks."""


@dataclass
class Step:
    """A candidate line: its source and what the known-bug list needs to judge it.

    Args:
        args: the operands as PyTorch holds them (tensors, numbers), the tensor the op works
            on first.
        info: facts about the call a known bug may depend on (``index_shape``...).
    """

    text: str
    op: str
    args: tuple[Any, ...] = ()
    defines: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    info: dict[str, Any] = field(default_factory=dict)


Producer = Callable[["Gen"], "Step | None"]


def dtype_name(t: Any) -> str:
    return str(t.dtype).split(".")[-1]


def is_float(t: Any) -> bool:
    return bool(t.dtype.is_floating_point)


class Gen:
    """The state of one program being written: its lines and PyTorch's values of them."""

    def __init__(self, seed: int, torch: Any) -> None:
        self.seed = seed
        self.torch = torch
        self.rng = random.Random(seed)
        self.data_rng = np.random.default_rng(seed)
        self.ns = namespace(torch)
        self.lines: list[Line] = []
        self.count = 0
        self.second_order = self.rng.random() < 0.3
        # The finale's choices that a skip may depend on, made first.
        self.create_graph = self.second_order or self.rng.random() < 0.15
        self.again = self.rng.random() < 0.12
        self.retain = self.again and self.rng.random() < 0.6
        self.split_outputs: list[Any] = []
        self.no_grad_views: list[Any] = []  # views made in a block with grad mode off
        self.specials = self.rng.random() < 0.3  # NaN, inf, -0.0 in the data
        self.expanded: list[Any] = []  # the bases an expand()ed value is a view of
        self.skipped: Counter[str] = Counter()

    # -- names and values ---------------------------------------------------------------

    def fresh(self) -> str:
        self.count += 1
        return f"v{self.count - 1}"

    def t(self, name: str) -> Any:
        return self.ns[name]

    def names(self, pred: Callable[[Any], bool] | None = None) -> list[str]:
        torch, out = self.torch, []
        for n, v in self.ns.items():
            if n[0] == "v" and n[1:].isdigit() and isinstance(v, torch.Tensor):
                try:
                    if pred is None or pred(v):
                        out.append(n)
                except RuntimeError:
                    pass  # PyTorch refuses to tell of a view whose base changed: pass it by
        return out

    def pick(self, pred: Callable[[Any], bool] | None = None) -> str | None:
        found = self.names(pred)
        return self.rng.choice(found) if found else None

    def value(self, text: str) -> Any:
        """What ``text`` (a value's name, or a literal like ``nan``) stands for in PyTorch."""
        if text in self.ns:
            return self.ns[text]
        return eval(text, {"nan": math.nan, "inf": math.inf})

    def spell(self, v: str, a: str, op: str, args: str = "", fn: str = "lib") -> str:
        """``v = a.op(args)`` or ``v = lib.op(a, args)`` (``fn`` for another namespace), one
        of the two spellings at random."""
        if self.rng.random() < 0.5:
            return f"{v} = {a}.{op}({args})"
        return f"{v} = {fn}.{op}({a}{', ' if args else ''}{args})"

    def scalar(self, pool: list[str] | None = None) -> str:
        return self.rng.choice(pool or SCALARS)

    def partner(self, name: str, same_shape: bool = False) -> str:
        """Another value whose shape broadcasts with ``name``'s (now and then one that does
        not), or a fresh leaf of a shape that does."""
        shape = tuple(self.t(name).shape)
        if self.rng.random() < 0.08:
            return self.pick() or name
        fits = self.names(lambda v: _broadcasts(tuple(v.shape), shape, same_shape))
        if fits and self.rng.random() < 0.7:
            return self.rng.choice(fits)
        return self.leaf(shape if same_shape else _broadcast_partner(self.rng, shape))

    # -- leaves -------------------------------------------------------------------------

    def leaf(
        self, shape: tuple[int, ...] | None = None, dtype: str | None = None,
        grad: bool | None = None,
    ) -> str:  # fmt: skip
        """Write a line making a new leaf, and return its name."""
        rng = self.rng
        shape = rng.choice(SHAPES) if shape is None else shape
        dtype = dtype or rng.choice(DTYPES[:3] + FLOATS * 3)
        grad = dtype in FLOATS and rng.random() < 0.7 if grad is None else grad
        name = self.fresh()
        flags = f"dtype=lib.{dtype}" + (", requires_grad=True" if grad else "")
        if math.prod(shape) == 0:
            text = f"{name} = lib.zeros({shape!r}, {flags})"
        else:
            text = f"{name} = lib.tensor({self._data(shape, dtype)!r}, {flags})"
        self._keep(Step(text, "leaf", defines=(name,)), self.run(text))
        return name

    def _data(self, shape: tuple[int, ...], dtype: str) -> Any:
        r, n = self.data_rng, math.prod(shape)
        if dtype == "bool":
            a = r.random(n) < 0.5
        elif dtype in INTS:
            a = r.integers(-4, 5, n)
        else:
            a = np.round(r.normal(0, 1.5, n), 2)
            a = np.where(r.random(n) < 0.2, np.round(a), a)  # ties and zeros
            if self.specials:
                special = r.choice([np.nan, np.inf, -np.inf, -0.0, 0.0], n)
                a = np.where(r.random(n) < 0.15, special, a)
        return np.asarray(a).astype(dtype).reshape(shape).tolist()

    # -- writing lines ------------------------------------------------------------------

    def run(self, text: str) -> bool:
        """Run ``text`` in PyTorch; whether it went through."""
        return _run_line(_compile(text), self.ns) is None

    def emit(self, step: Step) -> bool:
        """Write ``step`` unless a known bug or a declared difference would meet it; whether
        it was written."""
        skip = skips.first_match(step, self)
        if skip is not None:
            self.skipped[skip.name] += 1
            return False
        ok = self.run(step.text)
        if ok or self.rng.random() < KEEP_ERRORS:
            self._keep(step, ok)
        return ok

    def _keep(self, step: Step, ok: bool) -> None:
        self.lines.append(Line(step.text, step.op, step.defines if ok else (), step.writes))
        if ok and step.op in ("expand", "expand_as", "broadcast_to"):
            self.expanded += [_root(self.ns[n]) for n in step.defines]
        if ok and step.op == "split":
            self.split_outputs += [self.ns[n] for n in step.defines]
        if ok and skips.made_view_without_grad(step):
            self.no_grad_views += [self.ns[n] for n in step.defines]

    def shares_expanded(self, t: Any) -> bool:
        """Whether ``t`` shares memory with a value an ``expand`` made: a view of the same
        base, or (``detach``) a tensor on the same storage."""
        root = _root(t)
        return any(
            root is e or (t.numel() and e.numel() and _storage(e) == _storage(t))
            for e in self.expanded
        )

    # -- the program --------------------------------------------------------------------

    def finale(self) -> Finale:
        rng = self.rng
        grads = self.names(lambda v: v.requires_grad and is_float(v))
        outputs = rng.sample(grads, min(len(grads), rng.randint(1, 4))) if grads else []
        inputs = self.names(lambda v: v.is_leaf and v.requires_grad)
        create, again = self.create_graph, self.again
        return Finale(
            outputs=tuple(outputs),
            inputs=tuple(inputs),
            via_grad=bool(inputs) and rng.random() < 0.3,
            create_graph=create,
            again=again,
            retain=self.retain,
            double=self.second_order and create,
        )


def _storage(t: Any) -> int:
    return int(t.untyped_storage().data_ptr())


def _root(t: Any) -> Any:
    return t if t._base is None else t._base


def _broadcasts(a: tuple[int, ...], b: tuple[int, ...], same: bool) -> bool:
    if same:
        return a == b
    return all(x == y or 1 in (x, y) for x, y in zip(reversed(a), reversed(b)))


def _broadcast_partner(rng: random.Random, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts with ``shape``: a suffix, some dims set to 1, a new dim."""
    out = [1 if rng.random() < 0.3 else n for n in shape]
    if out and rng.random() < 0.3:
        out = out[rng.randint(1, len(out)) :]
    if rng.random() < 0.15:
        out.insert(0, rng.choice([1, 2]))
    return tuple(out)


def generate(
    seed: int,
    torch: Any,
    producers: list[tuple[Producer, int]],
    skipped: Counter[str] | None = None,
) -> Program:
    """The program of ``seed``: a few leaves, 4 to 24 steps drawn from ``producers``
    (weighted), and a finale. ``skipped`` counts the lines left out per known bug."""
    gen = Gen(seed, torch)
    if skipped is not None:
        gen.skipped = skipped
    rng = gen.rng
    for _ in range(rng.randint(1, 3)):
        gen.leaf()
    funcs, weights = zip(*producers)
    for _ in range(rng.randint(4, 24)):
        for _attempt in range(3):
            step = rng.choices(funcs, weights)[0](gen)
            if step is not None:
                gen.emit(step)
                break
    return Program(seed, tuple(gen.lines), gen.finale())
