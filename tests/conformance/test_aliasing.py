"""The ``aliasing`` family: its reference is PyTorch's behaviour, it fails a backend whose views
are copies (which every other family passes), numpy and array_api_strict pass it, and the
core's own known failures are valid and current."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tensorplug as tp
from tensorplug.testing import _aliasing as A
from tensorplug.testing._cases import FAMILIES, Selection, generate, matches
from tensorplug.testing._opdb import OPS, op_db

ROOT = Path(__file__).resolve().parents[2]
SUPPORT = ROOT / "tests" / "support"  # conformance_toy_backend.py


def _kit(*args: str, json_path: Path | None = None) -> tuple[Any, dict[str, Any]]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(SUPPORT), str(ROOT / "examples/backend_plugin/src")]
            + list(filter(None, [os.environ.get("PYTHONPATH")]))
        ),
    }
    extra = ["--tp-json", str(json_path)] if json_path else []
    r = subprocess.run(
        [sys.executable, "-m", "tensorplug.testing", *args, *extra, "-p", "no:randomly"],
        capture_output=True, text=True, env=env, cwd=SUPPORT, timeout=600,
    )  # fmt: skip
    return r, json.loads(json_path.read_text()) if json_path else {}


def _failed_ops(report: dict[str, Any]) -> set[str]:
    return {x["op"] for x in report["results"] if x["family"] == "aliasing" and x.get("failed")}


@pytest.mark.parametrize("scenario", A.SCENARIOS, ids=lambda s: s.name)
@pytest.mark.parametrize("grad", [False, True], ids=["values", "grad"])
def test_scenarios_match_pytorch(scenario: A.Scenario, grad: bool) -> None:
    """The NumPy reference (values, and gradients by central differences) is what PyTorch
    computes; a write tensorplug refuses is refused by PyTorch too, except ``fill_``, which
    PyTorch applies to the one shared element."""
    torch = pytest.importorskip("torch")
    s = scenario
    base_np, value_np = A.inputs(s)
    leaf = torch.tensor(base_np, requires_grad=grad)
    value = None if value_np is None else torch.tensor(value_np, requires_grad=grad)
    base = leaf * 1 if grad else leaf
    view = base
    for step in s.views:
        view = A.view_tensor(view, step)
    if s.refused:
        assert s.write is not None
        if s.write[0] == "fill_":  # PyTorch allows it; tensorplug refuses it (stricter)
            A.write_tensor(view, s.write, value)
            assert torch.equal(base.detach(), torch.full_like(base, s.write[1]))
            return
        with pytest.raises(RuntimeError, match=s.refused):
            A.write_tensor(view, s.write, value)
        return
    if s.write is not None:
        A.write_tensor(view, s.write, value)
    if s.then is not None:
        A.write_tensor(base, s.then, value)
    want_base, want_view = A.reference(s, base_np, value_np)
    np.testing.assert_array_equal(base.detach().numpy(), want_base)
    np.testing.assert_array_equal(view.detach().numpy(), want_view)
    if grad:
        wb = torch.tensor(A._weights(want_base.shape, 0))
        wv = torch.tensor(A._weights(want_view.shape, 2))
        ((base * wb).sum() + (view * wv).sum()).backward()
        got = [t.grad.numpy() for t in (leaf, value) if t is not None]
        for g, want in zip(got, A.reference_grads(s, base_np, value_np), strict=True):
            np.testing.assert_array_equal(g, want)


def test_every_scenario_is_filed_under_an_op_and_reaches_the_cases() -> None:
    assert "aliasing" in FAMILIES
    names = [s.name for s in A.SCENARIOS]
    assert len(names) == len(set(names))
    assert {s.op for s in A.SCENARIOS} <= set(OPS)
    be = tp.get_backend("numpy")
    cases = list(generate("aliasing", op_db, be, Selection()))
    assert {c.sample_name.removesuffix("-grad") for c in cases} == set(names)
    assert {c.dtype for c in cases} == {tp.float16, tp.float32, tp.float64}
    assert all(c.dtype is tp.float64 for c in cases if c.sample_name.endswith("-grad"))
    quick = list(generate("aliasing", op_db, be, Selection(quick=True)))
    first = {c.sample_name.removesuffix("-grad") for c in quick}
    assert first == {A.scenarios_of(op)[0].name for op in {s.op for s in A.SCENARIOS}}


def test_the_core_known_failures_are_valid() -> None:
    """Each names a case that exists; run on numpy (below) they are all met and all fail,
    so none is stale."""
    cases = list(generate("aliasing", op_db, tp.get_backend("numpy"), Selection()))
    for kf in A.CORE_KNOWN_FAILURES:
        assert kf.reason.startswith("tensorplug core, issue 18: "), kf
        assert any(matches(kf, c) for c in cases), f"{kf} matches no aliasing case"


@pytest.mark.parametrize(
    ("backend", "ops"),
    [
        ("toy_copy_getitem", {"getitem", "t", "permute", "reshape"}),
        ("toy_copy_reshape", {"reshape", "flatten", "squeeze", "unsqueeze", "permute"}),
        ("toy_copy_permute", {"permute", "transpose", "t"}),
        ("toy_copy_broadcast_to", {"expand"}),
        ("toy_copyviews", {"getitem", "reshape", "flatten", "permute", "transpose", "t"}),
    ],
)
def test_a_backend_whose_views_are_copies_fails_the_kit(
    tmp_path: Path, backend: str, ops: set[str]
) -> None:
    """Its values are all right, so every other family passes it; the aliasing family fails
    it on each op whose view it copies."""
    args = ("--backend-module", "conformance_toy_backend", "--backend", backend)
    r, report = _kit(*args, "--tp-family", "aliasing", json_path=tmp_path / "r.json")
    assert r.returncode == 1 and report["exit_status"] == 1, r.stdout[-3000:] + r.stderr
    assert ops <= _failed_ops(report), _failed_ops(report)
    assert "the base after the write" in r.stdout or "the view after the write" in r.stdout


def test_the_other_families_pass_a_backend_whose_views_are_copies() -> None:
    r, _ = _kit(
        *("--backend-module", "conformance_toy_backend", "--backend", "toy_copyviews"),
        *("--tp-ops", "getitem,reshape,permute,transpose,t,flatten"),
        *("--tp-family", ",".join(f for f in FAMILIES if f != "aliasing")),
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("--backend", "numpy"),
        ("--backend-module", "tensorplug_array_api_strict.plugin"),
    ],
    ids=["numpy", "array_api_strict"],
)
def test_numpy_and_array_api_strict_pass_under_xdist(tmp_path: Path, args: tuple[str, ...]) -> None:
    """Both pass (the core's known failures as strict expected failures), and under ``-n 2``
    the family's results reach the JSON report and the summary."""
    if "array_api_strict" in args[-1]:
        pytest.importorskip("array_api_strict")
    pytest.importorskip("xdist")
    r, report = _kit(*args, "--tp-family", "aliasing", "-n", "2", json_path=tmp_path / "r.json")
    assert r.returncode == 0 and report["exit_status"] == 0, r.stdout[-3000:] + r.stderr
    rows = [x for x in report["results"] if x["family"] == "aliasing"]
    assert {x["op"] for x in rows} >= {"getitem", "reshape", "permute", "transpose", "t", "expand"}
    assert sum(x.get("passed", 0) for x in rows) > 50
    xfailed = sum(x.get("xfailed", 0) for x in rows)
    assert xfailed >= len(A.CORE_KNOWN_FAILURES)
    assert not any(x.get("failed") or x.get("xpassed") for x in rows)
    summary = r.stdout[r.stdout.index("conformance summary") :]
    listed = "known failures of tensorplug itself, for every backend:" in summary
    assert listed == bool(A.CORE_KNOWN_FAILURES)
    assert "matched no test" not in summary
    assert re.search(r"aliasing", summary)
