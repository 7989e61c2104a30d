"""The CuPy block of ``tensorplug info``: the facts that settle "why does CuPy not work here".

Reached through the plugin's ``tensorplug_environment_info`` hook, at diagnosis time only. It
must never raise: a CuPy wheel that does not match the driver, or a machine without a GPU, is
exactly what it is asked to describe. Each probe is wrapped, and a failure becomes a line of
the report. The driver is asked without importing CuPy (``plugin.driver_cuda_version``);
CuPy is imported only when a wheel and a driver are both there.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from importlib import import_module
from typing import Any

from . import plugin

TITLE = "CuPy"


def guard(fn: Callable[[], Any], default: Any = None) -> tuple[Any, str]:
    """``(fn(), "")``, or ``(default, "ExcType: message")`` if it raised."""
    try:
        return fn(), ""
    except Exception as e:  # noqa: BLE001 - diagnostics report failures, they don't raise
        return default, f"{type(e).__name__}: {e}"


def diagnose() -> dict[str, Any]:
    """The CuPy block, label -> value, in the order ``tensorplug info`` prints it."""
    out: dict[str, Any] = {}
    wheels, err = guard(plugin.installed_wheels)
    wheels = wheels or []
    out["installed wheel"] = ", ".join(f"{n} {v}" for n, v in wheels) if wheels else (err or "none")
    majors = sorted({m for n, _ in wheels if (m := wheel_major(n)) is not None})
    out["built for CUDA"] = ", ".join(f"{m}.x" for m in majors) if majors else "unknown"
    driver, err = guard(plugin.driver_cuda_version)
    runtime = runtime_facts() if wheels and driver else {}
    if "CUDA runtime" in runtime:
        out["CUDA runtime"] = runtime.pop("CUDA runtime")
    out["driver CUDA"] = _cuda(driver) if driver else (err or "none (no NVIDIA driver found)")
    out["CUDA_VISIBLE_DEVICES"] = os.environ.get("CUDA_VISIBLE_DEVICES", "(not set)")
    out.update(runtime)
    (ok, reason), err = guard(plugin.probe, (False, ""))
    out["usable"] = bool(ok)
    if reason or err:
        out["reason"] = reason or err
    hint, _ = guard(lambda: plugin.install_hint(driver or None))
    if hint and not ok:
        fix = _fix(wheels, driver, hint)
        if fix:
            out["fix"] = fix
    return out


def runtime_facts() -> dict[str, Any]:
    """Ask an imported CuPy for the runtime it carries and the devices it sees."""
    cupy, err = guard(lambda: import_module("cupy"))
    if cupy is None:
        return {"import": f"import cupy failed: {err}"}
    runtime, err = guard(lambda: cupy.cuda.runtime.runtimeGetVersion())
    count, count_err = guard(lambda: cupy.cuda.runtime.getDeviceCount())
    return {
        "CUDA runtime": _cuda(runtime) if runtime else err,
        "visible devices": count if count is not None else count_err,
    }


def _fix(wheels: list[tuple[str, str]], driver: Any, hint: str) -> str:
    """What repairs the CuPy install: one command line where one does, else the advice.

    A CuPy wheel needs a driver for its CUDA major version or newer; several wheels at once
    overwrite each other's files. ``hint`` is the plugin's install line for this driver.
    """
    line = hint.split(" (")[0] if hint.startswith("pip install") else ""
    if not isinstance(driver, int) or not driver:
        return f"none needed to use the CPU (no NVIDIA driver here); on a GPU machine: {hint}"
    if not line:
        return hint
    if not wheels:
        return line
    driver_major = driver // 1000
    too_new = [n for n, _ in wheels if (wheel_major(n) or 0) > driver_major]
    if len(wheels) > 1 or too_new:
        return f"pip uninstall -y {' '.join(n for n, _ in wheels)} && {line}"
    return ""


def wheel_major(name: str) -> int | None:
    """12 for ``cupy-cuda12x``; ``None`` for a source build or ROCm."""
    if name.startswith("cupy-cuda") and name.endswith("x"):
        digits = name[len("cupy-cuda") : -1]
        return int(digits) if digits.isdigit() else None
    return None


def _cuda(v: Any) -> str:
    return f"{v // 1000}.{v % 1000 // 10}" if isinstance(v, int) else str(v)
