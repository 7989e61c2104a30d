"""The environment doctor behind ``tensorplug info`` and ``tensorplug plugins``.

Everything here runs at diagnosis time only and must never raise: a broken plugin or a backend
that cannot run here is exactly what it is asked to describe. Each probe is wrapped, and a
failure becomes a line of the report. What a backend's plugin knows about its own install (the
CuPy plugin's check of its wheel against the NVIDIA driver) comes through the
``tensorplug_environment_info`` hook, as facts and ``InfoSection`` blocks; no backend or array
library is imported here.
"""

from __future__ import annotations

import inspect
import os
import platform
import sys
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, entry_points, version
from typing import Any

from . import _compiled, hookspecs
from ._plugins import GROUP, REGISTRY, InfoSection, _current_name, list_backends

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


def _backends(
    entry_rows: list[dict[str, str]],
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """One row per backend, and the plugins' ``InfoSection`` blocks by title."""
    by_source = {f"{r['distribution']} ({r['value']})": r for r in entry_rows}
    rows: list[dict[str, Any]] = []
    sections: dict[str, dict[str, Any]] = {}
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
            for key, value in list(facts.items()):
                if isinstance(value, InfoSection):
                    sections[value.title] = {str(k): v for k, v in value.facts.items()}
                    del facts[key]
            row["facts"] = facts
        rows.append(row)
    return rows, sections


def collect_info() -> dict[str, Any]:
    """Everything ``tensorplug info`` reports, as plain JSON-able data."""
    from . import __version__

    entry_rows = _entry_points()
    backends, sections = _backends(entry_rows)
    return {
        "tensorplug": __version__,
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
        },
        "platform": platform.platform(),
        "compiled_hot_path": _compiled.status(),
        "numpy": _dist_version("numpy") or "not installed",
        "pluggy": _dist_version("pluggy"),
        "selected_backend": _selection(),
        "backends": backends,
        "sections": sections,
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
    for title, facts in info["sections"].items():
        lines += ["", f"{title}:"]
        width = max((len(label) for label in facts), default=0) + 2
        for label, value in facts.items():
            value = "yes" if value is True else "no" if value is False else value
            lines.append(f"  {label + ':':{width}}{value}")
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
