"""``tensorplug info`` / ``tensorplug plugins``: what they report, and that they never crash."""

from __future__ import annotations

import json
import platform
import re
import subprocess
import sys
import types
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import tensorplug as tp
from tensorplug import _info, hookspecs
from tensorplug.__main__ import main
from tensorplug._plugins import REGISTRY
from tensorplug.plugins import BackendSpec, hookimpl


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_info_json_reports_versions_and_the_numpy_backend(
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = json.loads(run(capsys, "info", "--json"))
    assert data["tensorplug"] == tp.__version__
    assert data["python"]["version"] == platform.python_version()
    assert data["numpy"] == np.__version__
    (numpy_row,) = [b for b in data["backends"] if b["name"] == "numpy"]
    assert numpy_row["status"] == "active"
    assert numpy_row["version"] == np.__version__
    assert numpy_row["device_type"] == "cpu"
    assert numpy_row["distribution"] == "tensorplug"
    assert numpy_row["entry_point"] == "numpy = tensorplug_numpy.plugin"
    assert data["selected_backend"] == {"name": "numpy", "chosen_by": "default"}
    assert "cupy" in data


def test_info_text_has_every_section(capsys: pytest.CaptureFixture[str]) -> None:
    out = run(capsys, "info")
    assert out.startswith(f"tensorplug  {tp.__version__}\n")
    assert f"NumPy       {np.__version__}" in out
    assert "Backends (entry-point group 'tensorplug.backends'):" in out
    assert "CuPy:" in out


def test_selection_rule_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TENSORPLUG_BACKEND", "numpy")
    assert _info.collect_info()["selected_backend"]["chosen_by"] == (
        "TENSORPLUG_BACKEND environment variable"
    )


class _Plugin:
    """A third-party plugin: one backend that cannot run here, with facts and a broken hook."""

    @hookimpl
    def tensorplug_backends(self) -> list[BackendSpec]:
        def load() -> Any:
            raise AssertionError("info must not load an unavailable backend")

        return [
            BackendSpec(
                "frob",
                load=load,
                device_type="frob",
                version="9.9",
                probe=lambda: (False, "needs a frobnicator; pip install frob-driver"),
            ),
            BackendSpec("crashy", load=load, device_type="cpu", version="1.0"),
        ]

    @hookimpl
    def tensorplug_environment_info(self, backend_name: str) -> dict[str, Any] | None:
        if backend_name == "crashy":
            raise OSError("driver library exploded")
        return {"frobnicators": 0} if backend_name == "frob" else None


@pytest.fixture
def third_party() -> Iterator[None]:
    plugin = _Plugin()
    assert sorted(tp.plugins.register(plugin, "frob-plugin 9.9 (test)")) == ["crashy", "frob"]
    yield
    for name in ("frob", "crashy"):
        tp.plugins.unregister_backend(name)
    if REGISTRY.manager().is_registered(plugin):
        REGISTRY.manager().unregister(plugin)


def test_info_reports_an_unavailable_backend_with_its_reason_and_facts(
    third_party: None, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads(run(capsys, "info", "--json"))
    rows = {b["name"]: b for b in data["backends"]}
    assert rows["frob"]["status"] == "unavailable"
    assert rows["frob"]["reason"] == "needs a frobnicator; pip install frob-driver"
    assert rows["frob"]["facts"] == {"frobnicators": 0}
    assert rows["frob"]["distribution"] == "frob-plugin 9.9 (test)"  # registered by hand
    # One plugin's failing hook is reported and the rest of the report still comes out.
    assert rows["crashy"]["status"] == "available"
    assert rows["crashy"]["facts"] == {
        "environment_info failed": "OSError: driver library exploded"
    }
    text = run(capsys, "info")
    assert "frob is unavailable: needs a frobnicator; pip install frob-driver" in text
    assert "frob: frobnicators: 0" in text


def test_info_lists_broken_plugins(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    REGISTRY.manager()
    monkeypatch.setitem(REGISTRY.broken, "badplug", "ImportError: No module named 'badplug'")
    rows = {b["name"]: b for b in json.loads(run(capsys, "info", "--json"))["backends"]}
    assert rows["badplug"]["status"] == "broken"
    assert rows["badplug"]["reason"] == "ImportError: No module named 'badplug'"
    assert "Broken:\n  badplug: ImportError" in run(capsys, "plugins")


def test_plugins_lists_every_hook_and_the_entry_points(capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(run(capsys, "plugins", "--json"))
    declared = sorted(n for n in vars(hookspecs) if n.startswith("tensorplug_"))
    assert [h["name"] for h in data["hooks"]] == declared
    assert all(h["summary"] for h in data["hooks"])
    eps = {e["name"]: e for e in data["entry_points"]}
    assert eps["numpy"]["value"] == "tensorplug_numpy.plugin"
    mods = {p["module"]: p["hooks"] for p in data["plugins"]}
    assert "tensorplug_backends" in mods["tensorplug_numpy.plugin"]
    text = run(capsys, "plugins")
    assert "tensorplug_environment_info(backend_name: 'str')" in text
    assert re.search(r"\n  numpy +tensorplug_numpy\.plugin +tensorplug ", text)


# -- the CuPy diagnosis, with the plugin's helpers replaced ----------------------------------


def _fake_cupy_plugin(
    monkeypatch: pytest.MonkeyPatch,
    *,
    wheels: list[tuple[str, str]],
    driver: int | None,
    probe: tuple[bool, str],
) -> None:
    real = pytest.importorskip("tensorplug_cupy.plugin")
    fake = types.ModuleType("tensorplug_cupy.plugin")
    fake.installed_wheels = lambda: wheels  # type: ignore[attr-defined]
    fake.driver_cuda_version = lambda: driver  # type: ignore[attr-defined]
    fake.probe = lambda: probe  # type: ignore[attr-defined]
    fake.install_hint = real.install_hint  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tensorplug_cupy.plugin", fake)
    # No GPU here: what an imported CuPy would say is covered on a GPU machine.
    monkeypatch.setattr(_info, "_cupy_runtime", lambda: {"devices": 1})


def test_cupy_wheel_newer_than_the_driver_gets_the_exact_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fake_cupy_plugin(
        monkeypatch,
        wheels=[("cupy-cuda13x", "14.0.0")],
        driver=12040,
        probe=(False, "cupy-cuda13x is built for CUDA 13.0 ..."),
    )
    c = _info.collect_info()["cupy"]
    assert c["wheel"] == "cupy-cuda13x 14.0.0"
    assert c["built_for_cuda"] == "13.x"
    assert c["driver_cuda"] == "12.4"
    assert c["usable"] is False
    assert c["fix"] == 'pip uninstall -y cupy-cuda13x && pip install "tensorplug[cuda12]"'


def test_two_cupy_wheels_are_both_removed_by_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_cupy_plugin(
        monkeypatch,
        wheels=[("cupy-cuda12x", "13.0"), ("cupy-cuda13x", "14.0")],
        driver=13000,
        probe=(False, "several CuPy packages are installed"),
    )
    assert _info.collect_info()["cupy"]["fix"] == (
        'pip uninstall -y cupy-cuda12x cupy-cuda13x && pip install "tensorplug[cuda13]"'
    )


def test_cupy_without_a_gpu_says_nothing_needs_fixing_for_cpu_use(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _fake_cupy_plugin(
        monkeypatch,
        wheels=[("cupy-cuda12x", "14.2.0")],
        driver=None,
        probe=(False, "no NVIDIA driver found"),
    )
    c = _info.collect_info()["cupy"]
    assert c["driver_cuda"] == "none (no NVIDIA driver found)"
    assert c["fix"].startswith("none needed to use the CPU (no NVIDIA driver here)")
    assert "tensorplug[cuda12]" in c["fix"]
    text = run(capsys, "info")
    assert "  driver CUDA:          none (no NVIDIA driver found)" in text
    assert "  usable:               no" in text


def test_a_working_cupy_gets_no_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_cupy_plugin(
        monkeypatch, wheels=[("cupy-cuda12x", "14.2.0")], driver=13000, probe=(True, "")
    )
    c = _info.collect_info()["cupy"]
    assert c["usable"] is True and "fix" not in c and c["devices"] == 1


def test_cupy_helpers_that_raise_are_reported_not_fatal(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("tensorplug_cupy.plugin")

    def boom() -> Any:
        raise RuntimeError("CUDA said no")

    fake.installed_wheels = boom  # type: ignore[attr-defined]
    fake.driver_cuda_version = boom  # type: ignore[attr-defined]
    fake.probe = boom  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tensorplug_cupy.plugin", fake)
    c = _info.collect_info()["cupy"]
    assert c["wheel"] == "RuntimeError: CUDA said no"
    assert c["driver_cuda"] == "RuntimeError: CUDA said no"
    assert c["usable"] is False and c["reason"] == "RuntimeError: CUDA said no"


def test_missing_cupy_plugin_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tensorplug_cupy.plugin", None)  # import raises
    c = _info.collect_info()["cupy"]
    assert c["plugin"].startswith("tensorplug_cupy is not importable (")


def test_python_dash_m_runs_and_a_bare_call_prints_usage() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tensorplug", "info"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "numpy" in done.stdout and done.stderr == ""
    bare = subprocess.run(
        [sys.executable, "-m", "tensorplug"], capture_output=True, text=True, timeout=120
    )
    assert bare.returncode == 2 and "usage: tensorplug" in bare.stdout
