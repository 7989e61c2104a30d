"""The cupy backend's availability probe: every way a machine can lack a usable GPU.

The driver, the installed wheels and CuPy's runtime answers are replaced one at a time, so
each message is checked on any machine; the last tests ask this machine for real.
"""

from __future__ import annotations

import os
import subprocess
import sys
import types
from typing import Any

import pytest

import tensorplug as tp
import tensorplug_cupy.plugin as plugin


@pytest.fixture(autouse=True)
def fresh_probe() -> Any:
    plugin.probe.cache_clear()
    yield
    plugin.probe.cache_clear()


def _machine(
    monkeypatch: pytest.MonkeyPatch, driver: int | None, wheels: list[tuple[str, str]]
) -> None:
    monkeypatch.setattr(plugin, "driver_cuda_version", lambda: driver)
    monkeypatch.setattr(plugin, "installed_wheels", lambda: wheels)
    if not wheels:
        monkeypatch.setattr(plugin.importlib.util, "find_spec", lambda name: None)


def _cupy(built: int, count: int | Exception) -> Any:
    def get_count() -> int:
        if isinstance(count, Exception):
            raise count
        return count

    runtime = types.SimpleNamespace(runtimeGetVersion=lambda: built, getDeviceCount=get_count)
    return types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=runtime))


def test_no_cupy_and_no_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    _machine(monkeypatch, None, [])
    ok, why = plugin.probe()
    assert not ok
    assert why.startswith("CuPy is not installed, and no NVIDIA driver found")


@pytest.mark.parametrize(
    ("driver", "extra"), [(12040, "cuda12"), (12090, "cuda12"), (13000, "cuda13")]
)
def test_no_cupy_names_the_extra_for_the_driver(
    monkeypatch: pytest.MonkeyPatch, driver: int, extra: str
) -> None:
    _machine(monkeypatch, driver, [])
    ok, why = plugin.probe()
    assert not ok and why.startswith("CuPy is not installed")
    assert f'pip install "tensorplug[{extra}]"' in why


def test_a_driver_too_old_for_any_wheel(monkeypatch: pytest.MonkeyPatch) -> None:
    _machine(monkeypatch, 11080, [])
    assert "supports only CUDA 11.8" in plugin.probe()[1]
    assert "update the driver" in plugin.probe()[1]


def test_two_wheels_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    _machine(monkeypatch, 12040, [("cupy-cuda12x", "14.2.0"), ("cupy-cuda13x", "14.2.0")])
    ok, why = plugin.probe()
    assert not ok and "several CuPy packages are installed" in why
    assert "pip uninstall -y cupy-cuda12x cupy-cuda13x" in why
    assert 'pip install "tensorplug[cuda12]"' in why


def test_wheel_installed_but_no_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    _machine(monkeypatch, None, [("cupy-cuda12x", "14.2.0")])
    monkeypatch.setitem(sys.modules, "cupy", None)  # importing it would be an error now
    ok, why = plugin.probe()
    assert not ok and why.startswith("no NVIDIA driver found")


def test_wheel_that_fails_to_import(monkeypatch: pytest.MonkeyPatch) -> None:
    class BrokenWheel:
        """Fails as a wheel whose CUDA libraries are missing does."""

        @staticmethod
        def find_spec(name: str, *args: Any) -> None:
            if name == "cupy":
                raise ImportError("libnvrtc.so.12: cannot open shared object file")

    _machine(monkeypatch, 12040, [("cupy-cuda12x", "14.2.0")])
    monkeypatch.delitem(sys.modules, "cupy", raising=False)
    monkeypatch.setattr(sys, "meta_path", [BrokenWheel, *sys.meta_path])
    ok, why = plugin.probe()
    assert not ok
    assert why.startswith(
        "cupy-cuda12x 14.2.0 is installed but failed to import (ImportError: libnvrtc.so.12"
    )
    assert 'reinstall with pip install "tensorplug[cuda12]"' in why


def test_wheel_newer_than_the_driver() -> None:
    ok, why = plugin._ask_cuda(_cupy(13000, 1), "cupy-cuda13x 14.2.0", 12040)
    assert not ok
    assert "cupy-cuda13x 14.2.0 is built for CUDA 13.0 but the NVIDIA driver supports only" in why
    assert "pip uninstall -y cupy-cuda13x" in why and "tensorplug[cuda12]" in why


def test_older_minor_version_of_the_same_major_is_fine() -> None:
    # CUDA's minor version compatibility: a 12.9 wheel runs on a 12.4 driver.
    assert plugin._ask_cuda(_cupy(12090, 1), "cupy-cuda12x 14.2.0", 12040) == (True, "")


def test_cuda_errors_and_hidden_devices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    err = RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")
    ok, why = plugin._ask_cuda(_cupy(12090, err), "cupy-cuda12x 14.2.0", 12040)
    assert not ok and "CUDA reports no usable GPU (cudaErrorNoDevice" in why
    assert "CUDA_VISIBLE_DEVICES=''" in why
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES")
    ok, why = plugin._ask_cuda(_cupy(12090, 0), "cupy-cuda12x 14.2.0", 12040)
    assert (ok, why) == (False, "no CUDA device is visible")


def test_probe_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom() -> tuple[bool, str]:
        raise OSError("libcuda.so.1: cannot open shared object file")

    monkeypatch.setattr(plugin, "_diagnose", boom)
    ok, why = plugin.probe()
    assert (
        not ok
        and why == "probing CUDA failed: OSError: libcuda.so.1: cannot open shared object file"
    )


# -- this machine, for real ----------------------------------------------------------------


def test_import_tensorplug_does_not_import_cupy() -> None:
    code = (
        "import sys, tensorplug as tp; tp.ones(2) + 1; tp.cuda.memory_allocated(); "
        "assert 'cupy' not in sys.modules or tp.cuda.is_available(), sorted(sys.modules)"
    )
    code0 = "import sys, tensorplug; assert 'cupy' not in sys.modules"
    for c in (code0, code):
        subprocess.run([sys.executable, "-c", c], check=True, env=os.environ.copy())


def test_unavailable_backend_is_listed_with_why_and_selecting_it_says_the_same() -> None:
    ok, why = plugin.probe()
    if ok:
        pytest.skip("a GPU is usable here: the unavailable path cannot be shown")
    row = next(b for b in tp.list_backends() if b.name == "cupy")
    assert (row.available, row.status, row.reason, row.device_type) == (
        False, "unavailable", why, "cuda")  # fmt: skip
    with pytest.raises(tp.BackendUnavailableError, match="backend 'cupy' is unavailable: ") as e:
        tp.set_backend("cupy")
    assert why in str(e.value)
    assert tp.get_backend().name == "numpy"  # the failed selection changed nothing
    with pytest.raises(tp.BackendUnavailableError, match="backend 'cupy' is unavailable"):
        tp.zeros(2, device="cuda")
    with pytest.raises(tp.BackendUnavailableError, match="backend 'cupy' is unavailable"):
        tp.ones(2).cuda()
    assert not tp.cuda.is_available() and tp.cuda.unavailable_reason() == why
    assert tp.cuda.device_count() == 0 and tp.cuda.memory_allocated() == 0
    assert tp.cuda.max_memory_allocated() == 0 and tp.cuda.memory_reserved() == 0
    tp.cuda.manual_seed(0)  # ignored without a GPU, as in PyTorch
    with pytest.raises(tp.BackendUnavailableError, match="CUDA is unavailable: "):
        tp.cuda.synchronize()
    with pytest.raises(tp.BackendUnavailableError, match="CUDA is unavailable: "):
        tp.cuda.get_device_name()
