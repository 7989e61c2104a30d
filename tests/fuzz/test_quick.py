"""The fuzzer's quick mode, run by pytest: a fixed range of seeds on the modules this process
loaded (compiled or plain), and a shorter range on the other build in a process of its own.
Every program must run as in PyTorch; a failure prints its shrunk reproduction. The long mode
is ``python -m fuzz`` (``nox -s fuzz``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import tensorplug as tp

torch = pytest.importorskip("torch", reason="PyTorch is the oracle here (nox installs it)")

from .campaign import campaign  # noqa: E402 - after the oracle is known to be there

SEEDS = range(200)
"""Seeds checked in this process (a few seconds per hundred, compiled)."""
OTHER_BUILD_SEEDS = 100
"""Seeds checked on the other build, in a subprocess."""


def test_programs_run_as_in_pytorch() -> None:
    torch.set_num_threads(1)
    report = campaign(SEEDS, torch, tp)
    assert not report.failures, "\n\n".join(f.report() for f in report.failures[:3])
    assert report.clean == len(SEEDS)


def test_programs_run_as_in_pytorch_on_the_other_build() -> None:
    compiled = tp._compiled.status() == "on"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent.parent))
    env.pop("TENSORPLUG_PURE_PYTHON", None)
    if compiled:
        env["TENSORPLUG_PURE_PYTHON"] = "1"
    build = "pure" if compiled else "compiled"
    cmd = [sys.executable, "-m", "fuzz", "--build", build, "--programs", str(OTHER_BUILD_SEEDS)]
    run = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert f"{OTHER_BUILD_SEEDS} programs, {OTHER_BUILD_SEEDS} clean" in run.stdout, run.stdout
