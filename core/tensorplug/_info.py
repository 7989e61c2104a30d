"""The environment doctor behind ``tensorplug info`` and ``tensorplug plugins``.

Everything here runs at diagnosis time only and must never raise: a broken plugin, a CuPy
wheel that does not match the driver or a machine without a GPU are exactly what it is asked
to describe. Each probe is wrapped, and a failure becomes a line of the report.
"""

from __future__ import annotations

import inspect
import os
import platform
import sys
from collections.abc import Callable
from importlib import import_module
from importlib.metadata import PackageNotFoundError, entry_points, version
from typing import Any

from . import _compiled, hookspecs
from ._plugins import GROUP, REGISTRY, _current_name, list_backends

__all__ = ["collect_info", "collect_plugins", "format_info", "format_plugins"]


def _dist_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return ""


def _guard(fn: Callable[[], Any], default: Any = None) -> tuple[Any, str]:
    """``(fn(), "")``, or ``(default, "ExcType: message")`` if it raised."""
    try:
        return fn(), ""
    except Exception as e:  # noqa: BLE001 - diagnostics report failures, they don't raise
        return default, f"{type(e).__name__}: {e}"


def _entry_points() -> list[dict[str, str]]:
    rows = []
    for ep in entry_points(group=GROUP):
        dist = ep.dist
        rows.append(
            {
                "name": ep.name,
                "value": ep.value,
                "distribution": dist.name if dist is not None else "",
                "distribution_version": dist.version if dist is not None else "",
            }
        )
    return rows


def _selection() -> dict[str, str]:
    """Which backend new tensors go to, and which rule chose it."""
    name = _current_name()
    env = os.environ.get("TENSORPLUG_BACKEND")
    if env and name == env:
        how = "TENSORPLUG_BACKEND environment variable"
    elif name == "numpy" and not env:
        how = "default"
    else:
        how = "set_backend() / use_backend()"
    return {"name": name, "chosen_by": how}


def _environment_facts(name: str) -> tuple[dict[str, Any], str]:
    """Merged answers of every plugin's ``tensorplug_environment_info`` hook for ``name``."""

    def ask() -> dict[str, Any]:
        facts: dict[str, Any] = {}
        for answer in REGISTRY.manager().hook.tensorplug_environment_info(backend_name=name):
            if answer:
                facts.update({str(k): v for k, v in answer.items()})
        return facts

    facts, err = _guard(ask, {})
    return facts, err


def _backends(entry_rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    by_source = {f"{r['distribution']} ({r['value']})": r for r in entry_rows}
    rows: list[dict[str, Any]] = []
    for b in list_backends():
        ep = by_source.get(b.source)
        row: dict[str, Any] = {
            "name": b.name,
            "status": b.status,
            "reason": b.reason,
            "version": b.version,
            "device_type": b.device_type,
            "distribution": ep["distribution"] if ep else b.source,
            "distribution_version": ep["distribution_version"] if ep else "",
            "entry_point": f"{ep['name']} = {ep['value']}" if ep else "",
        }
        if b.status != "broken":
            facts, err = _environment_facts(b.name)
            if err:
                facts["environment_info failed"] = err
            row["facts"] = facts
        rows.append(row)
    return rows


def _cupy_section() -> dict[str, Any]:
    """The facts that settle "why does CuPy not work here", each obtained defensively.

    The CuPy plugin (``tensorplug_cupy.plugin``) knows how to ask the driver without importing
    CuPy; its helpers are used when present, and their absence is reported, not fatal.
    """
    out: dict[str, Any] = {}
    plugin, err = _guard(lambda: import_module("tensorplug_cupy.plugin"))
    if plugin is None:
        out["plugin"] = f"tensorplug_cupy is not importable ({err})"
        return out

    def call(name: str, *args: Any) -> tuple[Any, str]:
        fn = getattr(plugin, name, None)
        if fn is None:
            return None, f"tensorplug_cupy.plugin has no {name}()"
        return _guard(lambda: fn(*args))

    wheels, err = call("installed_wheels")
    wheels = wheels or []
    out["wheel"] = ", ".join(f"{n} {v}" for n, v in wheels) if wheels else (err or "none")
    majors = sorted({m for n, _ in wheels if (m := _wheel_major(n)) is not None})
    out["built_for_cuda"] = ", ".join(f"{m}.x" for m in majors) if majors else "unknown"
    driver, err = call("driver_cuda_version")
    out["driver_cuda"] = _cuda(driver) if driver else (err or "none (no NVIDIA driver found)")
    out["cuda_visible_devices"] = os.environ.get("CUDA_VISIBLE_DEVICES", "(not set)")
    if wheels and driver:
        out.update(_cupy_runtime())
    ok, reason = (False, "")
    probe = getattr(plugin, "probe", None)
    if probe is not None:
        (ok, reason), err = _guard(probe, (False, ""))
        reason = reason or err
    out["usable"] = bool(ok)
    if reason:
        out["reason"] = reason
    hint, _ = call("install_hint", driver or None)
    if hint and not ok:
        fix = _fix(wheels, driver, hint)
        if fix:
            out["fix"] = fix
    return out


def _cupy_runtime() -> dict[str, Any]:
    """Ask an imported CuPy for the runtime it carries and the devices it sees."""
    out: dict[str, Any] = {}
    cupy, err = _guard(lambda: import_module("cupy"))
    if cupy is None:
        out["import"] = f"import cupy failed: {err}"
        return out
    runtime, err = _guard(lambda: cupy.cuda.runtime.runtimeGetVersion())
    out["cuda_runtime"] = _cuda(runtime) if runtime else err
    count, err = _guard(lambda: cupy.cuda.runtime.getDeviceCount())
    out["devices"] = count if count is not None else err
    return out


def _fix(wheels: list[tuple[str, str]], driver: Any, hint: str) -> str:
    """What repairs the CuPy install: one command line where one does, else the advice.

    A CuPy wheel needs a driver for its CUDA major version or newer; several wheels at once
    overwrite each other's files. ``hint`` is the CuPy plugin's install line for this driver.
    """
    line = hint.split(" (")[0] if hint.startswith("pip install") else ""
    if not isinstance(driver, int) or not driver:
        return f"none needed to use the CPU (no NVIDIA driver here); on a GPU machine: {hint}"
    if not line:
        return hint
    if not wheels:
        return line
    driver_major = driver // 1000
    too_new = [n for n, _ in wheels if (_wheel_major(n) or 0) > driver_major]
    if len(wheels) > 1 or too_new:
        return f"pip uninstall -y {' '.join(n for n, _ in wheels)} && {line}"
    return ""


def _wheel_major(name: str) -> int | None:
    """12 for ``cupy-cuda12x``; ``None`` for a source build or ROCm."""
    if name.startswith("cupy-cuda") and name.endswith("x"):
        digits = name[len("cupy-cuda") : -1]
        return int(digits) if digits.isdigit() else None
    return None


def _cuda(v: Any) -> str:
    return f"{v // 1000}.{v % 1000 // 10}" if isinstance(v, int) else str(v)


def collect_info() -> dict[str, Any]:
    """Everything ``tensorplug info`` reports, as plain JSON-able data."""
    from . import __version__

    numpy_version, _ = _guard(lambda: import_module("numpy").__version__, "")
    entry_rows = _entry_points()
    return {
        "tensorplug": __version__,
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
        },
        "platform": platform.platform(),
        "compiled_hot_path": _compiled.status(),
        "numpy": numpy_version or "not installed",
        "pluggy": _dist_version("pluggy"),
        "selected_backend": _selection(),
        "backends": _backends(entry_rows),
        "cupy": _cupy_section(),
    }


def collect_plugins() -> dict[str, Any]:
    """The hooks tensorplug declares, the entry points found, and which plugin implements
    which hook: what ``tensorplug plugins`` prints."""
    pm = REGISTRY.manager()
    hooks = []
    for name, fn in sorted(vars(hookspecs).items()):
        if name.startswith("tensorplug_") and callable(fn):
            doc = inspect.getdoc(fn) or ""
            hooks.append(
                {
                    "name": name,
                    "signature": f"{name}{inspect.signature(fn)}",
                    "summary": doc.splitlines()[0] if doc else "",
                }
            )
    plugins = []
    for plugin in pm.get_plugins():
        callers = pm.get_hookcallers(plugin) or []
        plugins.append(
            {
                "name": pm.get_name(plugin) or repr(plugin),
                "module": getattr(plugin, "__name__", type(plugin).__name__),
                "hooks": sorted(c.name for c in callers),
            }
        )
    plugins.sort(key=lambda p: p["module"])
    broken = [{"name": n, "error": e} for n, e in sorted(REGISTRY.broken.items())]
    return {
        "group": GROUP,
        "hooks": hooks,
        "entry_points": _entry_points(),
        "plugins": plugins,
        "broken": broken,
        "autoload_disabled": os.environ.get("TENSORPLUG_DISABLE_PLUGIN_AUTOLOAD") == "1",
    }


# -- text output -----------------------------------------------------------------------------


def _table(rows: list[list[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [indent + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


def format_info(info: dict[str, Any]) -> str:
    """``collect_info()`` as the text ``tensorplug info`` prints."""
    py = info["python"]
    sel = info["selected_backend"]
    lines = [
        f"tensorplug  {info['tensorplug']}",
        f"Python      {py['version']} ({py['implementation']}, {py['executable']})",
        f"platform    {info['platform']}",
        f"hot path    {'compiled' if info['compiled_hot_path'] == 'on' else 'pure Python'} "
        f"({info['compiled_hot_path']})",
        f"NumPy       {info['numpy']}",
        f"pluggy      {info['pluggy']}",
        f"selected    {sel['name']} ({sel['chosen_by']})",
        "",
        f"Backends (entry-point group {GROUP!r}):",
    ]
    rows = [["name", "status", "version", "device", "distribution"]]
    for b in info["backends"]:
        dist = f"{b['distribution']} {b['distribution_version']}".strip()
        rows.append([b["name"], b["status"], b["version"] or "-", b["device_type"], dist])
    lines.extend(_table(rows))
    for b in info["backends"]:
        if b["reason"]:
            lines.append(f"  {b['name']} is {b['status']}: {b['reason']}")
        for k, v in (b.get("facts") or {}).items():
            if v != b["reason"]:
                lines.append(f"  {b['name']}: {k}: {v}")
    cupy = info["cupy"]
    lines += ["", "CuPy:"]
    labels = {
        "plugin": "plugin",
        "wheel": "installed wheel",
        "built_for_cuda": "built for CUDA",
        "cuda_runtime": "CUDA runtime",
        "driver_cuda": "driver CUDA",
        "cuda_visible_devices": "CUDA_VISIBLE_DEVICES",
        "devices": "visible devices",
        "import": "import",
        "usable": "usable",
        "reason": "reason",
        "fix": "fix",
    }
    for key, label in labels.items():
        if key in cupy:
            value = cupy[key]
            value = "yes" if value is True else "no" if value is False else value
            lines.append(f"  {label + ':':22}{value}")
    return "\n".join(lines) + "\n"


def format_plugins(data: dict[str, Any]) -> str:
    """``collect_plugins()`` as the text ``tensorplug plugins`` prints."""
    lines = ["Hooks (implement them with tensorplug.plugins.hookimpl):"]
    for h in data["hooks"]:
        lines.append(f"  {h['signature']}")
        lines.append(f"      {h['summary']}")
    lines += ["", f"Entry points in group {data['group']!r}:"]
    if data["entry_points"]:
        lines.extend(
            _table(
                [
                    [e["name"], e["value"], f"{e['distribution']} {e['distribution_version']}"]
                    for e in data["entry_points"]
                ]
            )
        )
    else:
        lines.append("  (none: is tensorplug installed with `pip install`?)")
    if data["autoload_disabled"]:
        lines.append("  (not loaded: TENSORPLUG_DISABLE_PLUGIN_AUTOLOAD=1)")
    lines += ["", "Registered plugins and the hooks each implements:"]
    for p in data["plugins"]:
        if p["module"] == "tensorplug.hookspecs" or not p["hooks"]:
            continue
        lines.append(f"  {p['module']}: {', '.join(p['hooks'])}")
    if data["broken"]:
        lines += ["", "Broken:"]
        lines.extend(f"  {b['name']}: {b['error']}" for b in data["broken"])
    return "\n".join(lines) + "\n"
