"""Producers of in-place ops (on values, through fresh views of them, as augmented
assignments), and of what changes the graph rather than the data: ``retain_grad``, hooks,
``detach``, ``requires_grad_``. Grad-mode blocks wrap other producers (``catalogue``)."""

from __future__ import annotations

from .generate import Gen, Step

METHODS = ["add_", "sub_", "mul_", "div_", "clamp_", "zero_", "fill_", "copy_"]
AUGMENTED = {"add_": "+=", "sub_": "-=", "mul_": "*=", "div_": "/="}


def _view_of(g: Gen, a: str) -> str:
    """``a`` itself, or a fresh view of it to write through."""
    t, rng = g.t(a), g.rng
    r = rng.random()
    if r < 0.6 or t.ndim == 0:
        return a
    if r < 0.75:
        return f"{a}[{rng.randint(-t.shape[0], t.shape[0] - 1) if t.shape[0] else 0}]"
    if r < 0.85:
        return f"{a}[{rng.choice(['1:', '::2', ':-1', '...'])}]"
    if r < 0.92 and t.ndim >= 2:
        return f"{a}.t()" if t.ndim == 2 else f"{a}.transpose(0, 1)"
    return f"{a}.unsqueeze(0)"


def inplace(g: Gen) -> Step | None:
    rng = g.rng
    pool = g.names(lambda t: not (t.is_leaf and t.requires_grad))
    a = rng.choice(pool) if pool and rng.random() < 0.9 else g.pick()
    if a is None:
        return None
    target = _view_of(g, a)
    op = rng.choice(METHODS)
    operand = g.partner(a) if rng.random() < 0.7 else g.scalar()
    if op in ("add_", "sub_", "mul_", "div_"):
        if target == a and rng.random() < 0.3:
            text = f"{a} {AUGMENTED[op]} {operand}"
        else:
            alpha = ", alpha=2" if op in ("add_", "sub_") and rng.random() < 0.2 else ""
            text = f"{target}.{op}({operand}{alpha})"
        args = (g.t(a), g.value(operand.split()[0]))
    elif op == "clamp_":
        tensors = rng.random() < 0.3
        lo = g.partner(a) if tensors else g.scalar(["-1", "0", "-0.5", "None"])
        hi = g.partner(a) if tensors else g.scalar(["1", "0.5", "None"])
        text = f"{target}.clamp_({lo}, {hi})"
        args = (g.t(a), g.value(lo), g.value(hi))
        return Step(text, op, args, writes=(a,), info={"tensor_bounds": tensors})
    elif op == "zero_":
        text, args = f"{target}.zero_()", (g.t(a),)
    elif op == "fill_":
        value = g.scalar() if rng.random() < 0.8 else g.leaf(())
        text, args = f"{target}.fill_({value})", (g.t(a), g.value(value))
    else:
        src = g.partner(a)
        text, args = f"{target}.copy_({src})", (g.t(a), g.t(src))
    return Step(text, op, args, writes=(a,), info={"through_view": target != a})


def graph(g: Gen) -> Step | None:
    """``retain_grad``, ``register_hook`` (logging, or scaling the gradient), ``detach``,
    ``detach_``, ``requires_grad_``."""
    rng = g.rng
    a = g.pick(lambda t: t.requires_grad) if rng.random() < 0.85 else g.pick()
    if a is None:
        return None
    t = g.t(a)
    r = rng.random()
    if r < 0.3:
        return Step(f"{a}.retain_grad()", "retain_grad", (t,), writes=(a,))
    if r < 0.65:
        scale = "" if rng.random() < 0.6 else f", {rng.choice(['2.0', '-1', '0.5'])}"
        name = "h" + g.fresh()[1:]
        return Step(f'{a}.register_hook(hook("{name}"{scale}))', "hook", (t,), writes=(a,))
    if r < 0.8:
        v = g.fresh()
        return Step(f"{v} = {a}.detach()", "detach", (t,), (v,))
    if r < 0.85:
        return Step(f"{a}.detach_()", "detach_", (t,), writes=(a,))
    flag = "" if rng.random() < 0.8 else "False"
    b = g.pick(lambda u: u.is_leaf and not u.requires_grad) if rng.random() < 0.8 else a
    b = b or a
    return Step(f"{b}.requires_grad_({flag})", "requires_grad_", (g.t(b),), writes=(b,))


PRODUCERS = [(inplace, 12), (graph, 6)]
