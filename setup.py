"""The one build step pyproject.toml cannot state: compiling the hot modules.

``_graph.py``, ``_dispatch.py`` and ``_engine.py`` (``tensorplug._compiled.MODULES``) are
compiled by Cython from those very files and the ``.pxd`` declarations beside them: one
source, run as Python or compiled (docs/architecture.md, "One source, compiled"). Optional:
where no C compiler is found, or ``TENSORPLUG_PURE_PYTHON`` is set at install time, the
install goes on without them and the same files run as plain Python (``tensorplug info``
says which). A record of each compiled source's hash lets tensorplug notice an edited
checkout and run the edited source rather than a stale build.
"""

from __future__ import annotations

import hashlib
import json
import os

from setuptools import Extension, setup

PACKAGE_DIR = os.path.join("core", "tensorplug")
MODULES = ("_grad_mode", "_graph", "_dispatch", "_engine")  # as tensorplug._compiled.MODULES
RECORD = os.path.join(PACKAGE_DIR, "_compiled.json")  # tensorplug._compiled.BUILD_RECORD
DIRECTIVES = {
    "language_level": 3,
    # The .pxd files type what matters; annotations are for the type checker only (Cython
    # would otherwise turn ``x: int`` into a check the Python code does not make).
    "annotation_typing": False,
    # Typed variables may hold None: check before every field access, never crash.
    "nonecheck": True,
    "auto_pickle": False,
    "binding": True,
    "embedsignature": True,
}


def _pure_python() -> bool:
    return os.environ.get("TENSORPLUG_PURE_PYTHON", "").strip().lower() in {
        "1",
        "true",
        "yes",
        "on",
    }


def _extensions() -> list[Extension]:
    if _pure_python():
        return []
    from Cython.Build import cythonize

    exts = [
        Extension(f"tensorplug.{m}", [os.path.join(PACKAGE_DIR, f"{m}.py")], optional=True)
        for m in MODULES
    ]
    built = cythonize(
        exts,
        compiler_directives=DIRECTIVES,
        include_path=["core"],
        build_dir=os.path.join("build", "cython"),
        quiet=True,
    )
    for ext in built:
        ext.optional = True  # no C compiler: the install goes on in pure Python
    hashes = {}
    for m in MODULES:
        with open(os.path.join(PACKAGE_DIR, f"{m}.py"), "rb") as f:
            hashes[m] = hashlib.sha256(f.read()).hexdigest()
    with open(RECORD, "w") as f:
        json.dump(hashes, f, indent=1, sort_keys=True)
    return built


setup(ext_modules=_extensions())
