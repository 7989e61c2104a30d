"""The package is typed for its users: ``py.typed`` ships, and the methods bound to ``Tensor``
at import time are declared on the class, so a type checker sees ``x.sum()`` as a Tensor.
(``nox -s typecheck`` runs mypy in strict mode on the package itself.)"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import tensorplug as tp
from tensorplug._methods import _METHODS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {
    "tensorplug": ROOT / "core" / "tensorplug",
    "tensorplug_numpy": ROOT / "backends" / "tensorplug_numpy",
    "tensorplug_cupy": ROOT / "backends" / "tensorplug_cupy",
}


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_py_typed_marker_exists_and_is_packaged(package: str) -> None:
    assert (PACKAGES[package] / "py.typed").is_file()
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "py.typed" in config["tool"]["setuptools"]["package-data"][package]


def test_every_method_bound_at_import_is_declared_on_tensor() -> None:
    declared = set()
    for cls in tp.Tensor.__mro__:
        declared |= set(vars(cls).get("__annotations__", {}))
    bound = {name for name in _METHODS if not name.startswith("__")} | {"T", "mT"}
    missing = sorted(bound - declared)
    assert not missing, (
        f"Tensor methods bound in _methods.py without a type declaration on Tensor: {missing}; "
        "add `name: Callable[..., Tensor]` next to the others in _tensor.py"
    )
