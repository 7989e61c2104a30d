"""The plugin boundary, read from the source: the core imports no backend package and no array
library, and a backend imports from tensorplug only ``tensorplug.plugins``."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "core" / "tensorplug"
BACKENDS = {
    "tensorplug_numpy": ROOT / "backends" / "tensorplug_numpy",
    "tensorplug_cupy": ROOT / "backends" / "tensorplug_cupy",
    "tensorplug_arrayapi": ROOT / "backends" / "tensorplug_arrayapi",
    "tensorplug_array_api_strict": (
        ROOT / "examples" / "backend_plugin" / "src" / "tensorplug_array_api_strict"
    ),
}
ARRAY_LIBRARIES = frozenset(
    {"numpy", "cupy", "cupyx", "jax", "jaxlib", "torch", "array_api_strict", "dask", "mlx"}
)

ALLOWED_IN_CORE = {
    # The conformance kit computes its references with NumPy in float64.
    "testing/": {"numpy"},
    # The checkpoint format's reader and writer work on host arrays, which the kernel
    # contract's host boundary defines as NumPy's (``to_host`` gives them, ``from_host``
    # takes them): bytes on disk to host arrays and back, never a computation.
    "_safetensors.py": {"numpy"},
    # The compatibility page's generator records PyTorch's names when PyTorch is installed
    # (``python -m tensorplug.testing.compat --write``); nothing else imports it.
    "testing/_compat_names.py": {"torch"},
    # MPI moves host memory, which the kernel contract's host boundary defines as NumPy arrays
    # (``to_host`` gives them): the MPI transport makes its receive buffers there.
    "distributed/_mpi.py": {"numpy"},
    # NCCL's Python bindings are CuPy's (``cupy.cuda.nccl``), imported by an NCCL group only.
    "distributed/_nccl.py": {"cupy"},
}
"""Core modules allowed an array library, each with its reason. A stale entry fails too."""


def imports(source: str) -> set[str]:
    """The modules a source file imports: ``import``, ``from ... import`` (absolute ones) and
    ``import_module``/``__import__`` calls with a literal name."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            if node.module == "tensorplug":  # ``from tensorplug import plugins``
                found.update(f"tensorplug.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None))
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value)
    return found


def _top(module: str) -> str:
    return module.partition(".")[0]


def test_the_scan_sees_every_kind_of_import() -> None:
    source = (
        "import numpy as np\nfrom cupy import cuda\nfrom . import _dtype\n"
        "import importlib\nimportlib.import_module('tensorplug_cupy._backend')\n"
        "def f():\n    import jax.numpy\n    __import__('torch')\n"
        "from tensorplug import plugins, _tensor\n"
    )
    assert {_top(m) for m in imports(source)} == {
        "numpy", "cupy", "importlib", "tensorplug_cupy", "jax", "torch", "tensorplug"
    }  # fmt: skip
    assert {"tensorplug.plugins", "tensorplug._tensor"} <= imports(source)


def _sources(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def test_the_core_imports_no_backend_and_no_array_library() -> None:
    bad: dict[str, set[str]] = {}
    used_allowance: set[str] = set()
    for path in _sources(CORE):
        rel = path.relative_to(CORE).as_posix()
        tops = {_top(m) for m in imports(path.read_text())}
        forbidden = tops & (ARRAY_LIBRARIES | set(BACKENDS))
        for prefix, allowed in ALLOWED_IN_CORE.items():
            if rel.startswith(prefix) and forbidden & allowed:
                used_allowance.add(prefix)
                forbidden -= allowed
        if forbidden:
            bad[rel] = forbidden
    assert not bad, f"core modules importing a backend or an array library: {bad}"
    assert used_allowance == set(ALLOWED_IN_CORE), "an allowance no module needs any more"


@pytest.mark.parametrize("package", sorted(BACKENDS))
def test_a_backend_imports_only_tensorplug_plugins(package: str) -> None:
    files = _sources(BACKENDS[package])
    assert files
    bad: dict[str, set[str]] = {}
    for path in files:
        found = imports(path.read_text())
        wrong = {m for m in found if _top(m) == "tensorplug" and m != "tensorplug.plugins"}
        wrong |= {m for m in found if _top(m) in BACKENDS and _top(m) != package}
        if wrong:
            bad[path.name] = wrong
    assert not bad, f"{package} imports more of tensorplug than tensorplug.plugins: {bad}"


def test_a_numpy_program_never_imports_another_backend() -> None:
    code = (
        "import sys, tensorplug as tp\n"
        "x = tp.ones(3, requires_grad=True)\n"
        "(x * 2 + x.exp()).sum().backward()\n"
        "assert x.grad is not None\n"
        "print(sorted(m for m in sys.modules if m.startswith(('tensorplug_', 'cupy'))))\n"
    )
    env = os.environ.copy()
    env.pop("TENSORPLUG_BACKEND", None)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[0] == str(
        [
            "tensorplug_numpy",
            "tensorplug_numpy._backend",
            "tensorplug_numpy._gelu",
            "tensorplug_numpy._lstm",
            "tensorplug_numpy._malloc",
            "tensorplug_numpy._pointwise",
            "tensorplug_numpy._scan",
            "tensorplug_numpy.plugin",
        ]
    )
