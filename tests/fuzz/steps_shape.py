"""Producers of shape ops (views and copies), indexing (basic, integer and boolean, mixed) and
indexed assignment with broadcasting values of any dtype."""

from __future__ import annotations

import math
import random
from typing import Any

from .generate import Gen, Step, dtype_name


def _reshape_target(rng: random.Random, shape: tuple[int, ...]) -> tuple[int, ...]:
    n = math.prod(shape)
    r = rng.random()
    if r < 0.3:
        return (-1,)
    if r < 0.5:
        return shape[::-1]
    if r < 0.7:
        return (*shape, 1) if rng.random() < 0.5 else (1, *shape)
    if r < 0.9 and len(shape) >= 2:
        return (shape[0], -1)
    return (n + 1,) if rng.random() < 0.3 else (n,)


def reshape(g: Gen) -> Step | None:
    a = g.pick()
    if a is None:
        return None
    rng, v, t = g.rng, g.fresh(), g.t(a)
    shape = tuple(t.shape)
    target = _reshape_target(rng, shape)
    r = rng.random()
    if r < 0.35:
        text, op = f"{v} = {a}.reshape{target!r}", "reshape"
    elif r < 0.55:
        text, op = f"{v} = {a}.view({', '.join(map(str, target))})", "view"
    elif r < 0.7:
        text, op = f"{v} = lib.reshape({a}, {target!r})", "reshape"
    elif r < 0.85 and t.ndim:
        s = rng.randint(-t.ndim, t.ndim - 1)
        text, op = f"{v} = {a}.flatten({s})", "flatten"
    else:
        text, op = f"{v} = lib.flatten({a})", "flatten"
    return Step(text, op, (t,), (v,))


def _perm(rng: random.Random, ndim: int) -> list[int]:
    p = list(range(ndim))
    rng.shuffle(p)
    return [d - ndim if rng.random() < 0.2 else d for d in p]


def dims(g: Gen) -> Step | None:
    """``squeeze``, ``unsqueeze``, ``permute``, ``transpose``, ``t``, ``T``, ``mT``."""
    a = g.pick()
    if a is None:
        return None
    rng, v, t = g.rng, g.fresh(), g.t(a)
    nd = t.ndim
    d = (
        rng.randint(-nd - 1, nd)
        if rng.random() < 0.05
        else rng.randint(-max(nd, 1), max(nd - 1, 0))
    )
    op = rng.choice(["squeeze", "unsqueeze", "permute", "transpose", "t", "T", "mT"])
    if op == "squeeze":
        arg = rng.choice(["", str(d), str(tuple(range(nd)))])
        text = f"{v} = {a}.squeeze({arg})"
    elif op == "unsqueeze":
        text = g.spell(v, a, "unsqueeze", str(rng.randint(-nd - 1, nd)))
    elif op == "permute":
        p = _perm(rng, nd)
        text = f"{v} = {a}.permute({', '.join(map(str, p))})" if p else f"{v} = {a}.permute(())"
    elif op == "transpose":
        e = rng.randint(-max(nd, 1), max(nd - 1, 0))
        text = f"{v} = {a}.{rng.choice(['transpose', 'swapaxes'])}({d}, {e})"
    elif op == "t":
        text = g.spell(v, a, "t")
    else:
        text = f"{v} = {a}.{op}"
    return Step(text, "transpose" if op in ("swapaxes", "mT") else op, (t,), (v,))


def expand(g: Gen) -> Step | None:
    """``expand``, ``expand_as``, ``broadcast_to``: views where a dim of 1 repeats."""
    a = g.pick()
    if a is None:
        return None
    rng, v, t = g.rng, g.fresh(), g.t(a)
    sizes = [rng.choice([2, 3]) if n == 1 and rng.random() < 0.7 else n for n in t.shape]
    if rng.random() < 0.3:
        sizes.insert(0, rng.choice([1, 2, 0]))
    if rng.random() < 0.3 and t.ndim:
        sizes[-1] = -1
    r = rng.random()
    if r < 0.6:
        text, op = f"{v} = {a}.expand({', '.join(map(str, sizes))})", "expand"
    elif r < 0.8:
        target = tuple(abs(s) if s != -1 else t.shape[-1] for s in sizes)
        text, op = f"{v} = lib.broadcast_to({a}, {target!r})", "broadcast_to"
    else:
        b = g.partner(a)
        text, op = f"{v} = {a}.expand_as({b})", "expand_as"
    return Step(text, op, (t,), (v,))


def join(g: Gen) -> Step | None:
    """``cat``/``stack`` of 2 or 3 values (mixed dtypes now and then)."""
    a = g.pick()
    if a is None:
        return None
    rng, v, t = g.rng, g.fresh(), g.t(a)
    op = rng.choice(["cat", "stack", "concat"])
    nd = t.ndim + (op == "stack")
    dim = rng.randint(-max(nd, 1), max(nd - 1, 0))
    others = []
    for _ in range(rng.randint(1, 2)):
        shape = list(t.shape)
        if op != "stack" and shape and rng.random() < 0.5:
            shape[dim] = rng.choice([0, 1, 2])
        dtype = None if rng.random() < 0.2 else dtype_name(t)
        others.append(a if rng.random() < 0.3 else g.leaf(tuple(shape), dtype))
    names = [a, *others]
    rng.shuffle(names)
    text = f"{v} = lib.{op}([{', '.join(names)}], {dim})"
    return Step(text, op, tuple(g.t(n) for n in names), (v,))


def pieces(g: Gen) -> Step | None:
    """One piece of ``split``/``chunk``."""
    a = g.pick(lambda t: t.ndim > 0)
    if a is None:
        return None
    rng, v, t = g.rng, g.fresh(), g.t(a)
    dim = rng.randint(-t.ndim, t.ndim - 1)
    n = t.shape[dim]
    if rng.random() < 0.5:
        size = rng.choice([1, 2, 3]) if rng.random() < 0.7 else [n - n // 2, n // 2]
        call = f"{a}.split({size!r}, {dim})"
    else:
        call = f"{a}.chunk({rng.choice([1, 2, 3])}, {dim})"
    k = rng.randint(-1, 1)
    return Step(f"{v} = {call}[{k}]", "split", (t,), (v,))


def copies(g: Gen) -> Step | None:
    a = g.pick()
    if a is None:
        return None
    op = g.rng.choice(["clone", "contiguous", "detach"])
    v = g.fresh()
    return Step(f"{v} = {a}.{op}()", op, (g.t(a),), (v,))


def _slice(rng: random.Random, n: int) -> str:
    def bound() -> str:
        return "" if rng.random() < 0.4 else str(rng.randint(-n - 1, n + 1))

    step = "" if rng.random() < 0.6 else f":{rng.choice([1, 2, 3])}"
    return f"{bound()}:{bound()}{step}"


def basic_index(rng: random.Random, shape: tuple[int, ...]) -> list[str]:
    """Items of a basic index: ints (now and then out of range), slices, ``None``, ``...``."""
    items = []
    for n in shape[: rng.randint(0, len(shape))]:
        r = rng.random()
        if r < 0.35 and n > 0:
            items.append(str(rng.randint(-n, n - 1)))
        elif r < 0.38:
            items.append(str(n) if rng.random() < 0.5 else str(-n - 1))
        elif r < 0.85:
            items.append(_slice(rng, n))
        else:
            items.append(":")
    if rng.random() < 0.2:
        items.insert(rng.randint(0, len(items)), "None")
    if rng.random() < 0.15:
        items.insert(rng.randint(0, len(items)), "...")
    return items


def _advanced(g: Gen, t: Any, a: str) -> list[str]:
    """An index with an integer list or tensor, or a boolean mask, among basic items."""
    rng, shape = g.rng, tuple(t.shape)
    r = rng.random()
    if r < 0.3 and shape:
        mask = g.pick(lambda m: m.dtype == g.torch.bool and tuple(m.shape) == shape)
        return [mask or f"{a} > {rng.choice(['0', '0.5', '-1'])}"]
    if r < 0.5 and shape:
        k = rng.randint(1, len(shape))
        mask = [bool(x) for x in g.data_rng.random(math.prod(shape[:k])) < 0.5]
        nested = _nest(mask, shape[:k])
        return [f"lib.tensor({nested!r})"] + [":"] * rng.randint(0, len(shape) - k)
    dim = rng.randint(0, max(len(shape) - 1, 0))
    n = shape[dim] if shape else 1
    hi = n - 1 if rng.random() < 0.95 else n  # now and then out of range
    idx = [rng.randint(-n, hi) for _ in range(rng.randint(1, 3))] if hi >= -n else []
    text = repr(idx) if rng.random() < 0.5 or not idx else f"lib.tensor({idx!r})"
    items = [":"] * dim + [text]
    if rng.random() < 0.3 and len(shape) > dim + 1:
        other = shape[dim + 1]
        items.append(repr([rng.randint(-other, other - 1) for _ in idx]) if other else "0")
    return items


def _nest(flat: list[Any], shape: tuple[int, ...]) -> Any:
    if len(shape) <= 1:
        return flat
    step = len(flat) // shape[0] if shape[0] else 0
    return [_nest(flat[i * step : (i + 1) * step], shape[1:]) for i in range(shape[0])]


def getitem(g: Gen) -> Step | None:
    a = g.pick()
    if a is None:
        return None
    t = g.t(a)
    advanced = g.rng.random() < 0.4
    items = _advanced(g, t, a) if advanced else basic_index(g.rng, tuple(t.shape))
    v = g.fresh()
    index = ", ".join(items) if items else "..."
    return Step(f"{v} = {a}[{index}]", "index" if advanced else "getitem", (t,), (v,))


def _region(g: Gen, a: str, index: str) -> tuple[int, ...] | None:
    try:
        return tuple(eval(f"{a}.detach()[{index}]", g.ns).shape)
    except Exception:  # noqa: BLE001 - an index the tensor refuses: the write fails too
        return None


def setitem(g: Gen) -> Step | None:
    """``a[index] = value``: a scalar, or a tensor of the region's shape, of a shape that
    broadcasts to it, or (now and then) of one that does not."""
    a = g.pick(lambda t: not (t.is_leaf and t.requires_grad)) if g.rng.random() < 0.9 else g.pick()
    if a is None:
        return None
    rng, t = g.rng, g.t(a)
    advanced = rng.random() < 0.4
    items = _advanced(g, t, a) if advanced else basic_index(rng, tuple(t.shape))
    index = ", ".join(items) if items else "..."
    region = _region(g, a, index)
    if region is None or rng.random() < 0.25:
        value = g.scalar()
    else:
        shape = list(region)
        r = rng.random()
        if r < 0.3 and shape:
            shape = shape[rng.randint(1, len(shape)) :]
        elif r < 0.5:
            shape = [1 if rng.random() < 0.5 else n for n in shape]
        elif r < 0.55:
            shape = [1, *shape]
        elif r < 0.6:
            shape = [*shape[:-1], 5] if shape else [2]
        fits = g.names(lambda u: tuple(u.shape) == tuple(shape))
        value = rng.choice(fits) if fits and rng.random() < 0.3 else g.leaf(tuple(shape))
        if rng.random() < 0.25:
            value = f"{value} * 2"
    base = value.split()[0]
    args = (t, g.value(base))
    info = {"index_shape": region, "advanced": advanced}
    return Step(f"{a}[{index}] = {value}", "setitem", args, writes=(a,), info=info)


PRODUCERS = [
    (reshape, 6), (dims, 7), (expand, 3), (join, 4), (pieces, 3), (copies, 3),
    (getitem, 12), (setitem, 10),
]  # fmt: skip
