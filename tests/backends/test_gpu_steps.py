"""``benchmarks/gpu_steps.py`` and ``gpu_check.py``'s options, run on the CPU (the CuPy
stand-in) so that the GPU check does not fail on its first contact with a GPU for a reason a
CPU could have shown."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    paths = [str(ROOT / "tests" / "support"), os.environ.get("PYTHONPATH", "")]
    env = os.environ | {"PYTHONPATH": os.pathsep.join(paths)}
    return subprocess.run([sys.executable, *args], cwd=ROOT / "benchmarks", env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip


def test_the_steps_table_on_the_stand_in() -> None:
    p = _run("gpu_steps.py", "--stand-in", "--quick", "--workloads", "W1")
    assert p.returncode == 0, p.stderr
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("|")]
    assert lines[0].startswith("| step | tensorplug eager | tensorplug graphed | PyTorch eager")
    w1 = lines[2].split(" | ")
    assert w1[0] == "| W1 seed net (100x3→32→1, SGD)"
    assert w1[1].endswith("µs (32)") and w1[2].endswith("µs (1)")  # eager launches; one graph
    assert "PyTorch CUDA is not available" in w1[3] and len(w1) == 7


def test_gpu_check_names_its_steps() -> None:
    p = _run("gpu_check.py", "--help")
    assert p.returncode == 0 and "tests,examples,bench,steps,profile" in p.stdout
    assert "--stand-in" in p.stdout  # the steps on the CPU, launches counted
