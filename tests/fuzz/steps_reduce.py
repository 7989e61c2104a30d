"""Producers of reductions (over all dims, one dim, several, none; empty and zero-size
dims included) and matrix products (``mm``, ``bmm``, ``matmul``/``@``, ``dot``, ``addmm``)."""

from __future__ import annotations

from typing import Any

from .generate import Gen, Step, dtype_name

REDUCTIONS = ["sum", "mean", "prod", "amax", "amin", "max", "min", "var", "std", "logsumexp",
              "norm", "argmax", "argmin", "all", "any"]  # fmt: skip
TUPLE_DIMS = {"sum", "mean", "amax", "amin", "var", "std", "logsumexp", "norm", "all", "any"}
NEEDS_DIM = {"logsumexp"}


def _dim(g: Gen, ndim: int, op: str) -> Any:
    """A dim argument for ``op``: None, an int (now and then out of range), or a tuple of
    dims (now and then empty)."""
    rng = g.rng
    r = rng.random()
    if r < 0.25 and op not in NEEDS_DIM:
        return None
    if r < 0.75 or op not in TUPLE_DIMS or ndim == 0:
        if rng.random() < 0.04:
            return ndim if rng.random() < 0.5 else -ndim - 1
        return rng.randint(-max(ndim, 1), max(ndim, 1) - 1)
    if rng.random() < 0.1:
        return ()
    k = rng.randint(1, ndim)
    return tuple(rng.sample(range(-ndim, 0) if rng.random() < 0.3 else range(ndim), k))


def reduction(g: Gen) -> Step | None:
    a = g.pick()
    if a is None:
        return None
    rng, v = g.rng, g.fresh()
    op = rng.choice(REDUCTIONS)
    ndim = g.t(a).ndim
    dim = _dim(g, ndim, op)
    kwargs = []
    if dim is not None:
        kwargs.append(f"{dim!r}" if rng.random() < 0.5 else f"dim={dim!r}")
    if rng.random() < 0.3 and (dim is not None or op in ("max", "min")) and kwargs:
        kwargs.append("keepdim=True")
    if op in ("var", "std") and rng.random() < 0.4:
        kwargs.append(rng.choice(["correction=0", "correction=2", "unbiased=False"]))
    if op in ("sum", "mean", "prod") and rng.random() < 0.15:
        kwargs.append(f"dtype=lib.{rng.choice(['float64', 'float32', 'int64'])}")
    if op == "norm":
        kwargs.insert(0, rng.choice(["1", "2", "3", "inf", "'fro'"]))
    if op in ("max", "min") and dim is not None and isinstance(dim, int):
        field = rng.choice([".values", ".indices", "[0]"])
    else:
        field = ""
    text = g.spell(v, a, op, ", ".join(kwargs)) + field
    return Step(text, op, (g.t(a),), (v,), info={"dim": dim})


def _shaped(g: Gen, shape: tuple[int, ...], like: str) -> str:
    """A value of ``shape``, mostly of ``like``'s dtype: an existing one or a fresh leaf."""
    dtype = dtype_name(g.t(like)) if g.rng.random() < 0.9 else None
    fits = g.names(lambda t: tuple(t.shape) == shape and (dtype is None or dtype_name(t) == dtype))
    if fits and g.rng.random() < 0.5:
        return g.rng.choice(fits)
    return g.leaf(shape, dtype)


def matrix_product(g: Gen) -> Step | None:
    rng = g.rng
    op = rng.choice(["mm", "bmm", "matmul", "@", "dot", "addmm"])
    want = {"mm": (2,), "bmm": (3,), "dot": (1,), "addmm": (2,)}.get(op, (1, 2, 3))
    a = g.pick(lambda t: t.ndim in want and t.dtype != g.torch.bool)
    if a is None or rng.random() < 0.15:
        a = g.leaf(rng.choice([(2, 3), (3,), (2, 2, 3), (0, 3), (2, 0), (1, 3)]))
    shape = tuple(g.t(a).shape)
    k = shape[-1] if shape else 1
    if rng.random() < 0.06:
        k += 1  # shapes that do not fit: an error in both
    n = rng.choice([1, 2, 3, 0] if rng.random() < 0.2 else [1, 2, 3])
    if op == "dot" or (op in ("matmul", "@") and rng.random() < 0.3):
        other = (k,)
    elif op == "bmm" or (len(shape) == 3 and rng.random() < 0.5):
        other = (shape[0] if len(shape) == 3 else 2, k, n)
    else:
        other = (k, n)
    b = _shaped(g, other, a)
    v = g.fresh()
    if op == "@":
        return Step(f"{v} = {a} @ {b}", "matmul", (g.t(a), g.t(b)), (v,))
    if op == "addmm":
        c = _shaped(g, rng.choice([(shape[0], n), (n,), (1, n), ()]), a)
        return Step(f"{v} = lib.addmm({c}, {a}, {b})", op, (g.t(c), g.t(a), g.t(b)), (v,))
    return Step(g.spell(v, a, op, b), op, (g.t(a), g.t(b)), (v,))


PRODUCERS = [(reduction, 16), (matrix_product, 6)]
