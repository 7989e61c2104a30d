"""Checking programs: one seed (generate, run in both libraries, compare, shrink what fails),
and a campaign of many seeds under a count or a time budget.

A program that runs longer than ``TIMEOUT`` seconds in tensorplug is a failure (a hang), as
is any difference from PyTorch. A failure is shrunk before it is reported: lines are dropped,
one at a time, while the program still fails the same way (``Mismatch.signature``), then the
finale is cut down the same way.
"""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .catalogue import PRODUCERS
from .compare import Mismatch, compare
from .generate import generate
from .program import Program
from .runner import execute

TIMEOUT = 20
"""Seconds one program may take in tensorplug before it counts as a hang."""


class Hang(Exception):
    pass


@contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach the main thread only
        return

    def expire(signum: int, frame: Any) -> None:
        raise Hang(f"no result after {seconds} s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@dataclass
class Failure:
    seed: int
    mismatches: list[Mismatch]
    program: Program

    def report(self) -> str:
        first = self.mismatches[0]
        lines = self.program.all_lines()
        where = lines[first.line].text if first.line < len(lines) else "(end of program)"
        return (
            f"seed {self.seed}: {first}\n  at: {where}\n"
            f"reproduction (shrunk to {len(lines)} lines):\n{self.program.source()}"
        )


def differences(program: Program, torch: Any, tp: Any) -> list[Mismatch]:
    """How tensorplug's run of ``program`` differs from PyTorch's."""
    want = execute(program, torch)
    try:
        with _deadline(TIMEOUT):
            got = execute(program, tp)
    except Hang as e:
        return [Mismatch(0, "program", "hang", str(e))]
    return compare(got, want)


def shrink(program: Program, torch: Any, tp: Any, signature: tuple[str, str]) -> Program:
    """The smallest program found, by dropping lines and parts of the finale, that still
    fails with ``signature``."""

    def fails(p: Program) -> bool:
        return any(m.signature == signature for m in differences(p, torch, tp))

    changed = True
    while changed:
        changed = False
        for i in range(len(program.lines) - 1, -1, -1):
            if i < len(program.lines) and fails(candidate := program.without(i)):
                program, changed = candidate, True
        fin = program.finale
        cuts: list[dict[str, Any]] = [
            *({"outputs": tuple(o for o in fin.outputs if o != x)} for x in fin.outputs),
            *({"inputs": tuple(o for o in fin.inputs if o != x)} for x in fin.inputs),
            *({k: False} for k in ("double", "again", "retain", "create_graph", "via_grad")),
        ]
        for cut in cuts:
            candidate = program.with_finale(**cut)
            if candidate.finale != program.finale and fails(candidate):
                program, changed = candidate, True
    return program


def check(seed: int, torch: Any, tp: Any, skipped: Counter[str] | None = None) -> Failure | None:
    """Generate the program of ``seed``, compare the libraries on it, shrink a failure."""
    gen_skipped: Counter[str] = Counter()
    program = generate(seed, torch, PRODUCERS, gen_skipped)
    if skipped is not None:
        skipped.update(gen_skipped)
    found = differences(program, torch, tp)
    if not found:
        return None
    small = shrink(program, torch, tp, found[0].signature)
    return Failure(seed, differences(small, torch, tp) or found, small)


@dataclass
class Report:
    clean: int = 0
    failures: list[Failure] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def programs(self) -> int:
        return self.clean + len(self.failures)


def campaign(
    seeds: Iterable[int],
    torch: Any,
    tp: Any,
    minutes: float | None = None,
    on_failure: Callable[[Failure], None] | None = None,
    progress: Callable[[int, Report], None] | None = None,
) -> Report:
    """Check ``seeds`` in order until they or ``minutes`` run out."""
    report, start = Report(), time.monotonic()
    for seed in seeds:
        if minutes is not None and time.monotonic() - start > minutes * 60:
            break
        if progress is not None:
            progress(seed, report)
        failure = check(seed, torch, tp, report.skipped)
        if failure is None:
            report.clean += 1
        else:
            report.failures.append(failure)
            if on_failure is not None:
                on_failure(failure)
        report.seconds = time.monotonic() - start
    return report


__all__ = ["Failure", "Report", "campaign", "check", "differences", "shrink"]
