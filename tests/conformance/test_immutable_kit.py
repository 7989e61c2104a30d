"""The conformance kit on an immutable backend (``tests/support/immutable_numpy.py``: NumPy's
kernels, every array read-only, no in-place kernel): the core's functional path for in-place
ops and writes through views passes every family, the aliasing family in full."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tensorplug.testing import _aliasing as A

ROOT = Path(__file__).resolve().parents[2]
SUPPORT = ROOT / "tests" / "support"


def _kit(tmp_path: Path, *args: str) -> dict[str, object]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(SUPPORT), os.environ.get("PYTHONPATH")])),
    }
    report = tmp_path / "r.json"
    r = subprocess.run(
        [sys.executable, "-m", "tensorplug.testing", "--backend-module", "immutable_numpy",
         "--backend", "immutable_numpy", "--tp-json", str(report), "-p", "no:randomly", *args],
        capture_output=True, text=True, env=env, cwd=SUPPORT, timeout=600,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    return json.loads(report.read_text())


def test_the_aliasing_family_passes_in_full(tmp_path: Path) -> None:
    report = _kit(tmp_path, "--tp-family", "aliasing")
    results = report["results"]
    assert isinstance(results, list)
    assert sum(x.get("passed", 0) for x in results) >= len(A.SCENARIOS) * 2
    assert not [x for x in results if x.get("failed")]


WRITERS = "*_,setitem,getitem,index_*,scatter*,*pad*,*pool*,ctc_loss,nll_loss,embedding,unfold"
"""The ops whose forward or backward writes into an array (in place on NumPy); the whole kit
passes too (``python -m tensorplug.testing --backend-module immutable_numpy --backend
immutable_numpy`` from tests/support, about a minute here), too long for every CI run."""


def test_every_family_passes_on_the_ops_that_write(tmp_path: Path) -> None:
    report = _kit(tmp_path, "--tp-quick", "--tp-ops", WRITERS)
    results = report["results"]
    assert isinstance(results, list)
    assert {x["family"] for x in results} >= {"forward", "gradcheck", "aliasing", "errors"}
    assert not [x for x in results if x.get("failed")]
