"""Every producer of program lines, with its weight, and the grad-mode blocks that wrap them
(``no_grad``, ``enable_grad`` inside it, ``set_grad_enabled``)."""

from __future__ import annotations

from . import steps_autograd, steps_pointwise, steps_reduce, steps_shape
from .generate import Gen, Producer, Step

PLAIN: list[tuple[Producer, int]] = [
    *steps_pointwise.PRODUCERS,
    *steps_reduce.PRODUCERS,
    *steps_shape.PRODUCERS,
    *steps_autograd.PRODUCERS,
]

MODES = [
    "with lib.no_grad():",
    "with lib.set_grad_enabled(False):",
    "with lib.no_grad():\n    with lib.enable_grad():",
]


def grad_mode(g: Gen) -> Step | None:
    """Another producer's line, run in a grad-mode block."""
    funcs, weights = zip(*PLAIN)
    inner = g.rng.choices(funcs, weights)[0](g)
    if inner is None:
        return None
    mode = g.rng.choice(MODES)
    indent = "    " * (mode.count("\n") + 1)
    inner.text = f"{mode}\n{indent}{inner.text}"
    inner.info["grad_mode"] = mode
    return inner


PRODUCERS: list[tuple[Producer, int]] = [*PLAIN, (grad_mode, 8)]
