"""Fixtures of the backend tests: the cupy backend on stand-in GPUs."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

import cupy_stand_in as stand_in
from tensorplug._plugins import REGISTRY


@pytest.fixture
def gpus(monkeypatch: pytest.MonkeyPatch) -> Iterator[stand_in.FakeCupy]:
    """Two stand-in GPUs behind the real cupy plugin."""
    import tensorplug_cupy._backend as cb

    cp = stand_in.make(devices=2)
    monkeypatch.setattr(cb, "_cupy", lambda: cp)
    monkeypatch.setattr(cb, "_instances", {})
    monkeypatch.setattr(cb, "_peak", {})
    monkeypatch.setattr("tensorplug_cupy._graphs._pools", [])  # no other test's graphs
    REGISTRY.manager()
    spec = REGISTRY.specs["cupy"]
    monkeypatch.setitem(REGISTRY.specs, "cupy", dataclasses.replace(spec, probe=lambda: (True, "")))
    monkeypatch.delitem(REGISTRY.loaded, "cupy", raising=False)
    yield cp
    REGISTRY.loaded.pop("cupy", None)
