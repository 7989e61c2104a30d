"""The one command, ``python -m tensorplug.testing``, end to end in subprocesses: header and
summary, known failures as strict expected failures, unsupported dtypes and kernels, declared
tolerances in the summary, invalid declarations, and the installed example backend."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest

import tensorplug as tp
from tensorplug.plugins import BackendSpec, hookimpl
from tensorplug.testing.__main__ import main

ROOT = Path(__file__).resolve().parents[2]
SUPPORT = ROOT / "tests" / "support"  # conformance_toy_backend.py


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join([str(SUPPORT), *filter(None, [os.environ.get("PYTHONPATH")])])
    env = {**os.environ, "PYTHONPATH": path}
    return subprocess.run(
        [sys.executable, "-m", "tensorplug.testing", *args, "-p", "no:randomly", "-rfExX"],
        capture_output=True,
        text=True,
        env=env,
        cwd=SUPPORT,
        timeout=600,
    )


def test_numpy_quick_run_prints_header_and_summary() -> None:
    r = _run("--backend", "numpy", "--tp-quick", "--tp-family", "forward,gradcheck,engine")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    out = r.stdout
    assert f"backend numpy {tp.get_backend('numpy').version} on device cpu" in out
    assert f"tensorplug {tp.__version__}" in out
    assert "tensorplug conformance summary: backend numpy" in out
    assert "forward" in out and "gradcheck" in out and "(engine)" in out
    row = next(line for line in out.splitlines() if line.startswith("exp ") and "float64" in line)
    assert row.split()[2:4] == ["1", "1"]  # one quick sample each: forward, gradcheck


def test_json_report(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    r = _run(
        "--backend-module",
        "conformance_toy_backend",
        "--backend",
        "toy",
        "--tp-ops",
        "exp,neg",
        "--tp-quick",
        "--tp-json",
        str(out),
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    report = json.loads(out.read_text())
    assert report["backend"] == "toy" and report["device"] == "cpu"
    assert "float16" not in report["dtypes"]
    rows = {(x["op"], x["dtype"], x["family"]): x for x in report["results"]}
    assert rows[("exp", "float32", "forward")] == {
        "op": "exp",
        "dtype": "float32",
        "family": "forward",
        "xfailed": 1,
    }
    assert rows[("neg", "float64", "gradcheck")]["passed"] == 1
    assert rows[("exp", "float16", "unsupported")]["passed"] == 1
    assert report["known_failures"][0]["reason"].startswith("exp kernel is")
    assert report["tolerances"][0]["op"] == "sin"


def _json_run(tmp_path: Path, name: str, *args: str) -> tuple[Any, dict[str, Any]]:
    out = tmp_path / f"{name}.json"
    r = _run(*args, "--tp-json", str(out))
    return r, json.loads(out.read_text())


def test_json_report_and_summary_under_xdist(tmp_path: Path) -> None:
    """With ``-n 2`` the tests run in worker processes: the controller's summary and JSON
    report hold every result, and the declarations the workers used."""
    pytest.importorskip("xdist")
    args = ("--backend-module", "conformance_toy_backend", "--backend", "toy")
    args += ("--tp-ops", "exp,sin,neg", "--tp-quick")
    serial, expected = _json_run(tmp_path, "serial", *args)
    r, report = _json_run(tmp_path, "xdist", *args, "-n", "2")
    assert r.returncode == 0 == serial.returncode, r.stdout[-3000:] + r.stderr
    assert "2 workers" in r.stdout
    assert report["results"] and report == expected
    assert report["exit_status"] == 0
    assert "tensorplug conformance summary: backend toy" in r.stdout
    summary = r.stdout[r.stdout.index("conformance summary") :]
    assert "exp [forward, *, [!e]*]: exp kernel is" in summary
    assert "sin float32: rtol=0.0001 atol=0.0001: toy: sin through a slow path" in summary
    assert "matched no" not in summary  # the workers' use of each declaration reached it


def test_a_failing_run_under_xdist_reports_its_failures_and_exit_status(tmp_path: Path) -> None:
    pytest.importorskip("xdist")
    r, report = _json_run(
        tmp_path,
        "xpass",
        *("--backend-module", "conformance_toy_backend", "--backend", "toy_xpass"),
        *("--tp-ops", "neg", "--tp-family", "forward", "-n", "2"),
    )
    assert r.returncode == 1 and report["exit_status"] == 1
    rows = {(x["op"], x["dtype"]): x for x in report["results"]}
    assert rows[("neg", "float32")] == {"op": "neg", "dtype": "float32", "family": "forward",
                                        "xpassed": 6}  # fmt: skip
    assert "XPASS(strict)" in r.stdout and "claimed broken, but it works" in r.stdout


def test_a_test_that_kills_its_worker_is_reported(tmp_path: Path) -> None:
    pytest.importorskip("xdist")
    (tmp_path / "dying_backend.py").write_text(
        "import os\n"
        "import tensorplug as tp\n"
        "from tensorplug.plugins import Backend, BackendSpec, hookimpl\n"
        "def _make():\n"
        "    base = tp.get_backend('numpy')\n"
        "    k = dict(base.kernels)\n"
        "    k['sign'] = lambda a: os._exit(3)  # a crash in native code, say\n"
        "    return Backend(name='dying', kernels=k, dtypes=dict(base.dtypes))\n"
        "@hookimpl\n"
        "def tensorplug_backends():\n"
        "    return [BackendSpec('dying', _make)]\n"
    )
    out = tmp_path / "report.json"
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    r = subprocess.run(
        [
            sys.executable, "-m", "tensorplug.testing", "--backend-module", "dying_backend",
            "--tp-ops", "sign,neg", "--tp-family", "forward", "--tp-dtypes", "float64",
            "--tp-quick", "-n", "2", "--tp-json", str(out),
        ],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600,
    )  # fmt: skip
    report = json.loads(out.read_text())
    assert r.returncode == 1 and report["exit_status"] == 1, r.stdout[-3000:]
    assert [c.rsplit("::", 1)[1] for c in report["crashed"]] == ["test_forward[sign-float64-nd]"]
    assert "crashed its worker (counted nowhere above)" in r.stdout
    assert {x["op"] for x in report["results"]} == {"neg"}


def test_known_failures_unsupported_and_tolerances() -> None:
    r = _run(
        "--backend-module",
        "conformance_toy_backend",
        "--backend",
        "toy",
        "--tp-ops",
        "exp,sin,nll_loss",
        "-v",
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    out = r.stdout
    # The wrong exp kernel fails the forward family: declared, so an expected failure.
    assert "XFAIL" in out and "exp kernel is exp(x) * (1 + 1e-3)" in out
    assert "known failures declared by the backend:" in out
    # float16 is not claimed: exp's float16 case checks the error instead.
    assert "test_unsupported[exp-float16-dtype_float16] PASSED" in out
    # No scatter_add: nll_loss's gradient checks become checks of the error instead.
    assert "test_unsupported[nll_loss-float64-mean-kernel_scatter_add] PASSED" in out
    assert "test_gradcheck[nll_loss" not in out
    assert "loosened tolerances declared by the backend:" in out
    assert "sin float32: rtol=0.0001 atol=0.0001: toy: sin through a slow path" in out
    assert "optional kernels: none" in out


def test_an_unexpected_pass_fails_the_run() -> None:
    r = _run(
        "--backend-module",
        "conformance_toy_backend",
        "--backend",
        "toy_xpass",
        "--tp-ops",
        "neg",
        "--tp-family",
        "forward",
    )
    assert r.returncode == 1
    assert "XPASS(strict)" in r.stdout and "claimed broken, but it works" in r.stdout


def test_a_host_round_trip_inside_a_graph_is_found() -> None:
    r = _run(
        "--backend-module",
        "conformance_toy_backend",
        "--backend",
        "toy_host",
        "--tp-family",
        "engine",
        "--tp-dtypes",
        "float64",
    )
    assert r.returncode == 1
    assert "host transfers inside a pure-device graph" in r.stdout
    assert "test_no_host_round_trips[float64]" in r.stdout
    assert "1 failed, 4 passed" in r.stdout


def test_a_declaration_naming_no_op_is_an_error() -> None:
    r = _run(
        "--backend-module", "conformance_toy_backend", "--backend", "toy_typo", "--tp-ops", "neg"
    )
    assert r.returncode != 0
    assert "no op matches 'nonexistent_op'" in r.stdout + r.stderr


def test_a_wrong_backward_fails_with_the_worst_element(tmp_path: Path) -> None:
    # A backend whose sin kernel is right but whose cos kernel (used by sin's backward) is
    # sin: gradcheck must fail naming the op, the sample and the worst element.
    (tmp_path / "bad_cos_backend.py").write_text(
        "import tensorplug as tp\n"
        "from tensorplug.plugins import Backend, BackendSpec, hookimpl\n"
        "def _make():\n"
        "    base = tp.get_backend('numpy')\n"
        "    k = dict(base.kernels)\n"
        "    k['cos'] = base.k.sin\n"
        "    return Backend(name='bad_cos', kernels=k, dtypes=dict(base.dtypes))\n"
        "@hookimpl\n"
        "def tensorplug_backends():\n"
        "    return [BackendSpec('bad_cos', _make)]\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "tensorplug.testing",
            "--backend-module",
            "bad_cos_backend",
            "--tp-ops",
            "sin",
            "--tp-family",
            "gradcheck",
            "--tp-quick",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
    )
    assert r.returncode == 1
    assert "gradcheck(sin-float64-nd): Jacobian mismatch" in r.stdout
    assert "worst element: d output[" in r.stdout and "analytic" in r.stdout


def test_unknown_backend_lists_the_available_ones() -> None:
    r = _run("--backend", "no_such_backend")
    assert r.returncode != 0
    assert "unknown backend 'no_such_backend'" in r.stdout + r.stderr
    assert "numpy" in r.stdout + r.stderr


def test_example_backend_plugin_passes_quick_run() -> None:
    """The tutorial backend (``examples/backend_plugin``), installed (console script) or from
    its source tree; it registers as ``array_api_strict_tutorial`` (tensorplug's adapter has
    ``array_api_strict``)."""
    pytest.importorskip("array_api_strict")
    installed = any(
        ep.name == "array_api_strict_tutorial" for ep in entry_points(group="tensorplug.backends")
    )
    if installed:
        cmd = ["tensorplug-conformance", "--backend", "array_api_strict_tutorial"]
        env = dict(os.environ)
    else:
        cmd = [
            sys.executable,
            "-m",
            "tensorplug.testing",
            "--backend-module",
            "tensorplug_array_api_strict.plugin",
        ]
        env = {**os.environ, "PYTHONPATH": str(ROOT / "examples/backend_plugin/src")}
    r = subprocess.run(
        [*cmd, "--tp-quick"], capture_output=True, text=True, cwd=SUPPORT, env=env, timeout=600
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert "tensorplug conformance summary: backend array_api_strict_tutorial" in r.stdout
    assert "known failures declared: 0" in r.stdout  # its one gap (None in setitem) closed


def test_the_plugin_is_inert_in_other_runs(tmp_path: Path) -> None:
    (tmp_path / "test_plain.py").write_text("def test_one():\n    assert 1 + 1 == 2\n")
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tensorplug.testing.pytest_plugin",
            "-p",
            "no:cacheprovider",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 passed" in r.stdout and "tensorplug conformance" not in r.stdout


def test_a_backend_without_float64_gets_gradients_checked_against_numpy() -> None:
    r = _run(
        "--backend-module",
        "conformance_toy_backend",
        "--backend",
        "toy_no64",
        "--tp-quick",
        "--tp-ops",
        "exp,matmul,softmax",
        "-v",
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert "test_grad_parity[exp-float32-nd] PASSED" in r.stdout
    assert "test_gradcheck[" not in r.stdout  # no float64 to take finite differences in
    assert "test_unsupported[exp-float64-dtype_float64] PASSED" in r.stdout


def test_tests_on_a_device_backend_carry_the_gpu_marker() -> None:
    r = _run(
        "--backend-module",
        "conformance_toy_backend",
        "--backend",
        "toy_cuda",
        "--tp-ops",
        "neg",
        "--tp-quick",
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert "on device cuda:0" in r.stdout
    r = _run(
        "--backend-module",
        "conformance_toy_backend",
        "--backend",
        "toy_cuda",
        "--tp-ops",
        "neg",
        "--tp-quick",
        "-m",
        "not gpu",
    )
    assert r.returncode == 5  # every test deselected: none ran


# -- before pytest starts: an unusable or unknown backend --------------------------------------


def _probe_plugin(name: str) -> object:
    def load() -> object:
        raise AssertionError("an unavailable backend must not be loaded")

    mod = types.ModuleType(f"unavailable_plugin_{name}")

    @hookimpl
    def tensorplug_backends() -> list[BackendSpec]:
        return [BackendSpec(name=name, load=load, probe=lambda: (False, "no such device here"))]

    mod.tensorplug_backends = tensorplug_backends  # type: ignore[attr-defined]
    return mod


def test_runner_explains_an_unavailable_backend_before_pytest(
    capsys: pytest.CaptureFixture[str],
) -> None:
    tp.plugins.register(_probe_plugin("nodevice"), source="tests")
    try:
        rc = main(["--backend", "nodevice"])
    finally:
        tp.plugins.unregister_backend("nodevice")
    out, err = capsys.readouterr()
    assert rc == 2
    assert "backend 'nodevice' is unavailable: no such device here" in err
    assert "test session starts" not in out


def test_runner_lists_backends_for_an_unknown_name(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["--backend", "no_such_backend"])
    out, err = capsys.readouterr()
    assert rc == 2
    assert "unknown backend 'no_such_backend'; available backends:" in err
    assert "numpy" in err
    assert "test session starts" not in out
