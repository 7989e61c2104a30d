"""A training loop that runs its first steps eagerly and the rest from a CUDA graph captured
once (``tp.cuda.graph``), or every step eagerly: the tests compare the two."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import tensorplug as tp


def train(step: Callable[[], Any], opt: Any, batches: Iterable[Any],
          load: Callable[..., None], graphed: bool, warmup: int) -> None:  # fmt: skip
    """For each batch: ``load(*batch)`` into the static inputs, then ``step()`` (eager), or
    after ``warmup`` eager steps the replay of a capture of it."""
    g = None
    for i, batch in enumerate(batches):
        load(*batch)
        if graphed and i >= warmup:
            if g is None:  # captured once: a capture runs nothing, the replay runs the step
                opt.zero_grad(set_to_none=True)
                g = tp.cuda.CUDAGraph()
                with tp.cuda.graph(g):
                    step()
            g.replay()
        else:
            opt.zero_grad(set_to_none=True)
            step()
