"""Producers of elementwise lines: unary ops, arithmetic with tensors and Python scalars
(reflected too), comparisons, ``where``, logical ops, ``clamp``, ``pow``, casts, softmax and
the ``*_like`` creators."""

from __future__ import annotations

from .generate import DTYPES, Gen, Step, is_float

UNARY = ["neg", "abs", "exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "sin", "cos", "tanh",
         "sigmoid", "relu", "reciprocal", "square", "sign"]  # fmt: skip
BINARY = ["+", "-", "*", "/"]
FUNCTIONS = {"+": "add", "-": "sub", "*": "mul", "/": "div"}
COMPARISONS = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
EXPONENTS = ["2", "3", "0.5", "-1", "0", "1.5", "-2", "1", "True"]
CASTS = ["float", "double", "half", "long", "int", "bool"]


def unary(g: Gen) -> Step | None:
    a = g.pick()
    if a is None:
        return None
    op = g.rng.choice(UNARY)
    v = g.fresh()
    text = f"{v} = -{a}" if op == "neg" and g.rng.random() < 0.3 else g.spell(v, a, op)
    return Step(text, op, (g.t(a),), (v,))


def binary(g: Gen) -> Step | None:
    """``a op b`` with a tensor or a scalar on either side, or ``lib.add(a, b, alpha=...)``."""
    a = g.pick()
    if a is None:
        return None
    sym = g.rng.choice(BINARY)
    v, r = g.fresh(), g.rng.random()
    b = g.partner(a) if r < 0.65 else g.scalar()
    other = g.value(b)
    if r < 0.35:
        text = f"{v} = {a} {sym} {b}"
    elif r < 0.5 and sym in "+-":
        text = f"{v} = lib.{FUNCTIONS[sym]}({a}, {b}, alpha={g.scalar(['2', '-1', '0.5'])})"
    elif r < 0.65:
        text = f"{v} = {a}.{FUNCTIONS[sym]}({b})"
    elif r < 0.85:
        text = f"{v} = {a} {sym} {b}"
    else:
        text = f"{v} = {b} {sym} {a}"
    return Step(text, FUNCTIONS[sym], (g.t(a), other), (v,))


def extremum(g: Gen) -> Step | None:
    """``maximum``/``minimum`` of two tensors."""
    a = g.pick()
    if a is None:
        return None
    b, v = g.partner(a), g.fresh()
    op = g.rng.choice(["maximum", "minimum"])
    return Step(g.spell(v, a, op, b), op, (g.t(a), g.t(b)), (v,))


def comparison(g: Gen) -> Step | None:
    a = g.pick()
    if a is None:
        return None
    sym = g.rng.choice(list(COMPARISONS))
    b = g.partner(a) if g.rng.random() < 0.5 else g.scalar()
    v = g.fresh()
    if g.rng.random() < 0.7:
        text = f"{v} = {a} {sym} {b}"
    else:
        text = f"{v} = lib.{COMPARISONS[sym]}({a}, {b})"
    return Step(text, COMPARISONS[sym], (g.t(a), g.value(b)), (v,))


def where(g: Gen) -> Step | None:
    """``where(cond, x, y)``: the condition a bool value or a comparison; x, y tensors or
    scalars."""
    a = g.pick()
    if a is None:
        return None
    cond = g.pick(lambda t: t.dtype == g.torch.bool)
    if cond is None or g.rng.random() < 0.5:
        cond = f"{a} > {g.scalar(['0', '0.5', '-1'])}"
    x = a if g.rng.random() < 0.7 else g.scalar()
    y = g.partner(a) if g.rng.random() < 0.6 else g.scalar()
    v = g.fresh()
    args = tuple(g.value(n) for n in (x, y))
    return Step(f"{v} = lib.where({cond}, {x}, {y})", "where", args, (v,))


def logical(g: Gen) -> Step | None:
    """``&``, ``|`` and ``~`` (on bool values; the known-bug list filters other dtypes)."""
    a = g.pick(lambda t: t.dtype == g.torch.bool) or g.pick()
    if a is None:
        return None
    v = g.fresh()
    if g.rng.random() < 0.3:
        return Step(f"{v} = ~{a}", "invert", (g.t(a),), (v,))
    sym = g.rng.choice(["&", "|"])
    b = g.partner(a) if g.rng.random() < 0.7 else g.scalar(["True", "False", "1", "0"])
    other = g.value(b)
    return Step(f"{v} = {a} {sym} {b}", "and" if sym == "&" else "or", (g.t(a), other), (v,))


def clamp(g: Gen) -> Step | None:
    """``clamp``/``clip``/``clamp_min``/``clamp_max`` with scalar or tensor bounds."""
    a = g.pick()
    if a is None:
        return None
    rng, v = g.rng, g.fresh()
    if rng.random() < 0.3:
        op = rng.choice(["clamp_min", "clamp_max"])
        bound = g.partner(a) if rng.random() < 0.4 else g.scalar(["0", "-0.5", "1", "nan"])
        text = f"{v} = {a}.{op}({bound})"
        return Step(text, op, (g.t(a), g.value(bound)), (v,))
    tensors = rng.random() < 0.35
    lo = g.partner(a) if tensors else g.scalar(["-1", "-0.5", "0", "None", "nan"])
    hi = g.partner(a) if tensors else g.scalar(["1", "0.5", "2", "None", "-1"])
    name = rng.choice(["clamp", "clip"])
    if rng.random() < 0.5:
        text = f"{v} = {a}.{name}({lo}, {hi})"
    else:
        text = f"{v} = lib.{name}({a}, min={lo}, max={hi})"
    args = tuple(g.value(n) for n in (a, lo, hi))
    return Step(text, "clamp", args, (v,), info={"tensor_bounds": tensors})


def power(g: Gen) -> Step | None:
    """``x ** n``, ``n ** x``, ``x ** y``, ``lib.pow``."""
    a = g.pick()
    if a is None:
        return None
    rng, v = g.rng, g.fresh()
    r = rng.random()
    if r < 0.5:
        e = g.scalar(EXPONENTS)
        text = f"{v} = {a} ** {e}" if rng.random() < 0.6 else f"{v} = lib.pow({a}, {e})"
        return Step(text, "pow", (g.t(a), g.value(e)), (v,))
    if r < 0.7:
        base = g.scalar(["2", "0.5", "3", "-1.5"])
        return Step(f"{v} = {base} ** {a}", "pow", (g.value(base), g.t(a)), (v,))
    b = g.partner(a)
    text = f"{v} = {a} ** {b}" if rng.random() < 0.5 else f"{v} = lib.pow({a}, {b})"
    return Step(text, "pow", (g.t(a), g.t(b)), (v,))


def cast(g: Gen) -> Step | None:
    a = g.pick()
    if a is None:
        return None
    rng, v = g.rng, g.fresh()
    r = rng.random()
    if r < 0.5:
        text = f"{v} = {a}.{rng.choice(CASTS)}()"
    elif r < 0.8:
        text = f"{v} = {a}.to(lib.{rng.choice(DTYPES)})"
    else:
        text = f"{v} = {a}.type_as({g.pick()})"
    return Step(text, "to", (g.t(a),), (v,))


def softmax(g: Gen) -> Step | None:
    a = g.pick(lambda t: t.ndim > 0) if g.rng.random() < 0.9 else g.pick()
    if a is None:
        return None
    rng, v = g.rng, g.fresh()
    op = rng.choice(["softmax", "log_softmax"])
    dim = rng.randint(-g.t(a).ndim - 1, max(g.t(a).ndim, 1))
    dtype = f", dtype=lib.{rng.choice(['float32', 'float64'])}" if rng.random() < 0.2 else ""
    text = g.spell(v, a, op, f"{dim}{dtype}", fn="lib.nn.functional")
    return Step(text, op, (g.t(a),), (v,))


def like(g: Gen) -> Step | None:
    """``zeros_like``, ``ones_like``, ``full_like``, ``new_zeros``... (no graph)."""
    a = g.pick()
    if a is None:
        return None
    rng, v = g.rng, g.fresh()
    dtype = f", dtype=lib.{rng.choice(DTYPES)}" if rng.random() < 0.3 else ""
    grad = ", requires_grad=True" if rng.random() < 0.2 and (dtype or is_float(g.t(a))) else ""
    r = rng.random()
    if r < 0.6:
        fn = rng.choice(["zeros_like", "ones_like"])
        text = f"{v} = lib.{fn}({a}{dtype}{grad})"
    elif r < 0.8:
        text = f"{v} = lib.full_like({a}, {g.scalar(['2', '-0.5', 'True'])}{dtype}{grad})"
    else:
        shape = tuple(g.t(a).shape)[::-1]
        text = f"{v} = {a}.{rng.choice(['new_zeros', 'new_ones'])}({shape!r}{dtype}{grad})"
    return Step(text, "like", (g.t(a),), (v,))


PRODUCERS = [
    (unary, 12), (binary, 16), (extremum, 3), (comparison, 4), (where, 4), (logical, 2),
    (clamp, 4), (power, 4), (cast, 4), (softmax, 2), (like, 2),
]  # fmt: skip
