"""Which implementation of the hot modules runs: compiled, or the same files as plain Python.

``_graph.py``, ``_dispatch.py`` and ``_engine.py`` hold the per-op path (recording, dispatch,
the backward engine). Where the install had Cython and a C compiler, ``setup.py`` compiled
each of them, from that very file and the ``.pxd`` beside it, into an extension module of the
same name, which Python's import system prefers to the ``.py``. That is the only difference:
the logic exists once, in readable Python.

The plain ``.py`` files run instead (all three together: compiled modules rely on each
other's C types) when

* ``TENSORPLUG_PURE_PYTHON`` is set to a true value (``1``, ``true``, ``yes``, ``on``), at
  install time or at run time;
* a module was not built (no C compiler, no Cython at install time);
* a ``.py`` file changed after it was compiled (an edited checkout): running the old build
  would silently ignore the edit, so the source wins until ``pip install -e .`` rebuilds.

``status()`` says which and why (``tensorplug info``). This module imports nothing of
tensorplug's, so ``tensorplug/__init__.py`` can run it before any hot module is imported.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

MODULES = ("_grad_mode", "_graph", "_dispatch", "_engine")
"""The compiled modules, in import order (``setup.py`` builds the same list)."""

BUILD_RECORD = "_compiled.json"
"""Written by ``setup.py`` beside the package: the hash of each module's source it compiled."""

_TRUE = {"1", "true", "yes", "on"}
_HERE = os.path.dirname(os.path.abspath(__file__))
_PACKAGE = __name__.rpartition(".")[0]


def source_hash(path: str) -> str:
    """The hash ``setup.py`` records for a compiled module's source file."""
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def pure_python_requested() -> bool:
    """Whether ``TENSORPLUG_PURE_PYTHON`` asks for the plain Python modules."""
    return os.environ.get("TENSORPLUG_PURE_PYTHON", "").strip().lower() in _TRUE


def why_not_compiled(here: str = _HERE) -> str | None:
    """Why the plain ``.py`` files in ``here`` must run, or None when every module's build is
    current."""
    if pure_python_requested():
        return "TENSORPLUG_PURE_PYTHON is set"
    suffixes = importlib.machinery.EXTENSION_SUFFIXES
    missing = [
        m for m in MODULES if not any(os.path.exists(os.path.join(here, m + s)) for s in suffixes)
    ]
    if missing:
        return f"not built ({', '.join(missing)}: no C compiler or no Cython at install time)"
    try:
        with open(os.path.join(here, BUILD_RECORD)) as f:
            built = json.load(f)
    except (OSError, ValueError):
        return f"no build record ({BUILD_RECORD}); reinstall to rebuild"
    changed = [
        m
        for m in MODULES
        if not isinstance(built, dict) or built.get(m) != source_hash(os.path.join(here, m + ".py"))
    ]
    if changed:
        return (
            f"{', '.join(m + '.py' for m in changed)} changed since it was compiled; "
            "`pip install -e .` rebuilds"
        )
    return None


class _SourceFinder:
    """A meta path finder that loads the hot modules from their ``.py`` files."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        package, _, name = fullname.rpartition(".")
        if package != _PACKAGE or name not in MODULES:
            return None
        return importlib.util.spec_from_file_location(fullname, os.path.join(_HERE, name + ".py"))


_reason = why_not_compiled()
if _reason is not None:
    sys.meta_path.insert(0, _SourceFinder())


def status() -> str:
    """``on``, or ``off: <why>`` (what ``tensorplug info`` prints as the compiled hot path)."""
    if _reason is not None:
        return f"off: {_reason}"
    loaded = [sys.modules.get(f"{_PACKAGE}.{m}") for m in MODULES]
    if all(m is not None and is_compiled(m) for m in loaded):
        return "on"
    return "off: the compiled modules did not load"


def is_compiled(module: ModuleType) -> bool:
    """Whether ``module`` was loaded from an extension module rather than its ``.py``."""
    return not str(getattr(module, "__file__", "")).endswith(".py")
