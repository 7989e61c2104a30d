"""``tensorplug info`` / ``tensorplug plugins``: what they report, and that they never crash."""

from __future__ import annotations

import json
import platform
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import tensorplug as tp
from tensorplug import _info, _plugins, hookspecs
from tensorplug.__main__ import main
from tensorplug._plugins import REGISTRY
from tensorplug.plugins import BackendSpec, InfoSection, hookimpl


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
    assert data["numpy"] == np.__version__  # from its distribution: the core imports no NumPy
    assert "installed wheel" in data["sections"]["CuPy"]  # the CuPy plugin's block


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


# -- the CuPy block, from the CuPy plugin's hook, with its helpers replaced --------------------


def _fake_cupy_plugin(
    monkeypatch: pytest.MonkeyPatch,
    *,
    wheels: list[tuple[str, str]],
    driver: int | None,
    probe: tuple[bool, str],
) -> None:
    plugin = pytest.importorskip("tensorplug_cupy.plugin")
    doctor = pytest.importorskip("tensorplug_cupy._doctor")
    monkeypatch.setattr(plugin, "installed_wheels", lambda: wheels)
    monkeypatch.setattr(plugin, "driver_cuda_version", lambda: driver)
    monkeypatch.setattr(plugin, "probe", lambda: (False, probe[1]))  # never load a GPU here
    monkeypatch.setattr(doctor.plugin, "probe", lambda: probe)
    # No GPU here: what an imported CuPy would say is covered on a GPU machine.
    monkeypatch.setattr(doctor, "runtime_facts", lambda: {"visible devices": 1})


def _cupy_block() -> dict[str, Any]:
    section: dict[str, Any] = _info.collect_info()["sections"]["CuPy"]
    return section


def test_cupy_wheel_newer_than_the_driver_gets_the_exact_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fake_cupy_plugin(
        monkeypatch,
        wheels=[("cupy-cuda13x", "14.0.0")],
        driver=12040,
        probe=(False, "cupy-cuda13x is built for CUDA 13.0 ..."),
    )
    c = _cupy_block()
    assert c["installed wheel"] == "cupy-cuda13x 14.0.0"
    assert c["built for CUDA"] == "13.x"
    assert c["driver CUDA"] == "12.4"
    assert c["usable"] is False
    assert c["fix"] == 'pip uninstall -y cupy-cuda13x && pip install "tensorplug[cuda12]"'


def test_two_cupy_wheels_are_both_removed_by_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_cupy_plugin(
        monkeypatch,
        wheels=[("cupy-cuda12x", "13.0"), ("cupy-cuda13x", "14.0")],
        driver=13000,
        probe=(False, "several CuPy packages are installed"),
    )
    assert _cupy_block()["fix"] == (
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
    c = _cupy_block()
    assert c["driver CUDA"] == "none (no NVIDIA driver found)"
    assert c["fix"].startswith("none needed to use the CPU (no NVIDIA driver here)")
    assert "tensorplug[cuda12]" in c["fix"]
    text = run(capsys, "info")
    assert "\n\nCuPy:\n  installed wheel:      cupy-cuda12x 14.2.0\n" in text
    assert "  driver CUDA:          none (no NVIDIA driver found)" in text
    assert "  usable:               no" in text


def test_a_working_cupy_gets_no_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_cupy_plugin(
        monkeypatch, wheels=[("cupy-cuda12x", "14.2.0")], driver=13000, probe=(True, "")
    )
    c = _cupy_block()
    assert c["usable"] is True and "fix" not in c and c["visible devices"] == 1
    assert list(c) == [
        "installed wheel", "built for CUDA", "driver CUDA", "CUDA_VISIBLE_DEVICES",
        "visible devices", "usable"]  # fmt: skip


def test_cupy_helpers_that_raise_are_reported_not_fatal(monkeypatch: pytest.MonkeyPatch) -> None:
    plugin = pytest.importorskip("tensorplug_cupy.plugin")

    def boom() -> Any:
        raise RuntimeError("CUDA said no")

    for name in ("installed_wheels", "driver_cuda_version", "probe"):
        monkeypatch.setattr(plugin, name, boom)
    c = _cupy_block()
    assert c["installed wheel"] == "RuntimeError: CUDA said no"
    assert c["driver CUDA"] == "RuntimeError: CUDA said no"
    assert c["usable"] is False and c["reason"] == "RuntimeError: CUDA said no"


def test_a_backend_plugin_that_fails_to_import_is_listed_as_broken(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The core knows no backend by name: a CuPy plugin that cannot be imported is a broken
    # entry point like any other, and its block is simply absent.
    monkeypatch.setitem(sys.modules, "tensorplug_cupy.plugin", None)  # import raises
    registry = _plugins._Registry()  # a fresh discovery
    monkeypatch.setattr(_plugins, "REGISTRY", registry)
    monkeypatch.setattr(_info, "REGISTRY", registry)
    info = _info.collect_info()
    rows = {b["name"]: b for b in info["backends"]}
    assert rows["cupy"]["status"] == "broken"
    assert "tensorplug_cupy.plugin" in rows["cupy"]["reason"]
    assert "CuPy" not in info["sections"]
    assert rows["numpy"]["status"] == "active"


def test_sections_of_a_third_party_plugin_are_printed_after_the_table(
    capsys: pytest.CaptureFixture[str],
) -> None:
    class Doctor:
        @hookimpl
        def tensorplug_environment_info(self, backend_name: str) -> dict[str, Any] | None:
            if backend_name != "numpy":
                return None
            return {"frob": InfoSection("Frobnicator", {"driver": "1.2", "working": True})}

    doctor = Doctor()
    REGISTRY.manager().register(doctor)
    try:
        data = json.loads(run(capsys, "info", "--json"))
        assert data["sections"]["Frobnicator"] == {"driver": "1.2", "working": True}
        assert "frob" not in next(b for b in data["backends"] if b["name"] == "numpy")["facts"]
        text = run(capsys, "info")
        assert "\nFrobnicator:\n  driver:  1.2\n  working: yes\n" in text
    finally:
        REGISTRY.manager().unregister(doctor)


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
