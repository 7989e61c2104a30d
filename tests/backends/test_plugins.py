"""Plugin discovery, registration, validation, lazy loading and backend selection, with fake
backends registered the way a third-party package would."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import types
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import numpy as np
import pluggy
import pytest

import tensorplug as tp
from tensorplug import _plugins
from tensorplug.plugins import (
    PRIMITIVES,
    Backend,
    BackendSpec,
    BackendUnavailableError,
    DtypeTable,
    dtype_table,
    hookimpl,
    xp_kernels,
)

_NATIVE = {
    tp.bool: np.dtype(np.bool_),
    tp.int32: np.dtype(np.int32),
    tp.int64: np.dtype(np.int64),
    tp.float16: np.dtype(np.float16),
    tp.float32: np.dtype(np.float32),
    tp.float64: np.dtype(np.float64),
}
_FROM_NATIVE = {v: k for k, v in _NATIVE.items()}


def _dtype_of(a: Any) -> tp.dtype:
    return _FROM_NATIVE[np.asarray(a).dtype]


def fake_kernels() -> dict[str, Any]:
    """A complete kernel table from the generic Array-API kernels over NumPy."""
    rng = np.random.default_rng(0)

    def arr(f: Any) -> Any:
        return lambda *a: np.asarray(f(*a))

    k = {
        name: arr(f) if name not in ("setitem", "dtype_of") else f
        for name, f in xp_kernels(np, _dtype_of).items()
    }
    k.update(
        astype=lambda a, d: np.asarray(a).astype(_NATIVE[d]),
        full=lambda shape, v, d: np.full(shape, v, dtype=_NATIVE[d]),
        arange=lambda start, stop, step, d: np.arange(start, stop, step, dtype=_NATIVE[d]),
        linspace=lambda start, stop, n, d: np.linspace(start, stop, n, dtype=_NATIVE[d]),
        eye=lambda n, m, d: np.eye(n, m, dtype=_NATIVE[d]),
        from_host=lambda obj, d: np.array(obj, dtype=None if d is None else _NATIVE[d]),
        to_host=np.asarray,
        random_uniform=lambda shape, d: rng.random(shape).astype(_NATIVE[d]),
        random_normal=lambda shape, d: rng.standard_normal(shape).astype(_NATIVE[d]),
        random_integers=lambda lo, hi, shape, d: rng.integers(lo, hi, shape).astype(_NATIVE[d]),
        scatter_add=np.add.at,
    )
    return k


def fake_plugin(
    name: str, *, probe: Any = None, drop: tuple[str, ...] = (), calls: list[str] | None = None
) -> types.ModuleType:
    """A plugin module declaring backend ``name``; ``drop`` removes kernels from it."""
    mod = types.ModuleType(f"fake_plugin_{name}")

    def load() -> Backend:
        kernels = {k: v for k, v in fake_kernels().items() if k not in drop}
        return Backend(name=name, kernels=kernels, dtypes=_NATIVE, version="9.9")

    @hookimpl
    def tensorplug_backends() -> list[BackendSpec]:
        if calls is not None:
            calls.append(name)
        return [
            BackendSpec(
                name=name, load=load, version="9.9", probe=probe, description=f"fake {name}"
            )
        ]

    mod.tensorplug_backends = tensorplug_backends  # type: ignore[attr-defined]
    return mod


@pytest.fixture
def fake_backend() -> Iterator[str]:
    """Backend ``fake`` registered through the public plugin API, removed afterwards."""
    added = tp.plugins.register(fake_plugin("fake"), source="tests")
    assert added == ["fake"]
    yield "fake"
    tp.plugins.unregister_backend("fake")


@pytest.fixture
def restore_selection() -> Iterator[None]:
    yield
    tp.set_backend(None)


@pytest.fixture(autouse=True)
def default_selection(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests start from the default backend even in a per-backend test session."""
    monkeypatch.delenv("TENSORPLUG_BACKEND", raising=False)
    monkeypatch.setattr(_plugins, "_global", [None])


# -- registration and use -------------------------------------------------------------------


def test_fake_backend_runs_ops_and_autograd(fake_backend: str) -> None:
    x = tp.tensor([1.0, 2.0, 3.0], backend=fake_backend, requires_grad=True)
    assert x.backend == "fake"
    y = (x * x + tp.ones(3, backend="fake")).sum()
    assert y.backend == "fake" and y.item() == 17.0
    y.backward()
    assert x.grad.backend == "fake"
    assert x.grad.tolist() == [2.0, 4.0, 6.0]
    assert tp.get_backend("fake").name == "fake"


def test_mixing_backends_names_both(fake_backend: str) -> None:
    a = tp.ones(2, backend="fake")
    b = tp.ones(2)
    with pytest.raises(RuntimeError, match="fake") as e:
        a + b
    assert "numpy" in str(e.value)


def test_transfer_between_backends_is_differentiable(fake_backend: str) -> None:
    x = tp.tensor([1.0, 2.0], requires_grad=True)
    y = x.to("fake")
    assert y.backend == "fake"
    (y * 3).sum().backward()
    assert x.grad.backend == "numpy" and x.grad.tolist() == [3.0, 3.0]


def test_list_backends_fields(fake_backend: str) -> None:
    rows = {r.name: r for r in tp.list_backends()}
    np_row = rows["numpy"]
    assert np_row.available and np_row.reason == ""
    assert np_row.version == np.__version__
    assert np_row.device_type == "cpu"
    assert np_row.status == "active"
    assert "tensorplug" in np_row.source
    fake = rows["fake"]
    assert (fake.available, fake.version, fake.status, fake.source) == (
        True,
        "9.9",
        "available",
        "tests",
    )


def test_unavailable_backend_reports_reason() -> None:
    tp.plugins.register(fake_plugin("nodevice", probe=lambda: (False, "no device here")))
    try:
        row = next(r for r in tp.list_backends() if r.name == "nodevice")
        assert (row.available, row.reason, row.status) == (False, "no device here", "unavailable")
        with pytest.raises(BackendUnavailableError, match="no device here"):
            tp.zeros(1, backend="nodevice")
    finally:
        tp.plugins.unregister_backend("nodevice")


def test_missing_kernels_named_in_one_error() -> None:
    kernels = {k: v for k, v in fake_kernels().items() if k not in ("exp", "matmul", "concat")}
    with pytest.raises(TypeError, match="concat, exp, matmul"):
        Backend(name="partial", kernels=kernels, dtypes=_NATIVE)
    tp.plugins.register(fake_plugin("partial", drop=("sum", "getitem")))
    try:
        with pytest.raises(BackendUnavailableError, match="getitem, sum"):
            tp.zeros(1, backend="partial")
    finally:
        tp.plugins.unregister_backend("partial")


def test_primitives_are_the_frozen_contract() -> None:
    assert isinstance(PRIMITIVES, frozenset)
    assert {"add", "matmul", "sum", "getitem", "to_host"} <= PRIMITIVES
    assert set(fake_kernels()) >= PRIMITIVES


def test_backend_must_support_float32() -> None:
    with pytest.raises(TypeError, match="float32"):
        Backend(name="nof32", kernels=fake_kernels(), dtypes={tp.float64: np.float64})


def test_invalid_hookimpl_is_refused() -> None:
    mod = types.ModuleType("typo_plugin")

    @hookimpl
    def tensorplug_backend() -> list[BackendSpec]:  # typo: not a hook
        return []

    mod.tensorplug_backend = tensorplug_backend  # type: ignore[attr-defined]
    with pytest.raises(pluggy.PluginValidationError, match="tensorplug_backend"):
        tp.plugins.register(mod)


def test_failed_registration_leaves_registry_usable() -> None:
    bad = types.ModuleType("bad_spec_plugin")
    bad.tensorplug_backends = hookimpl(lambda: ["not a spec"])  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="BackendSpec"):
        tp.plugins.register(bad)
    assert not _plugins.REGISTRY.manager().is_registered(bad)
    plugin = fake_plugin("again")
    assert tp.plugins.register(plugin) == ["again"]
    tp.plugins.unregister_backend("again")
    assert tp.plugins.register(plugin) == ["again"]  # unregistering made room for it
    tp.plugins.unregister_backend("again")
    with pytest.raises(ValueError, match="unknown backend 'again'"):
        tp.zeros(1, backend="again")


def test_duplicate_backend_name_is_reported() -> None:
    before = dict(_plugins.REGISTRY.broken)
    impostor = fake_plugin("numpy")
    try:
        assert tp.plugins.register(impostor, source="impostor") == []
        assert tp.get_backend("numpy").version == np.__version__
        rows = [r for r in tp.list_backends() if r.status == "broken"]
        assert any("already provided" in r.reason and "impostor" in r.reason for r in rows)
    finally:
        _plugins.REGISTRY.broken.clear()
        _plugins.REGISTRY.broken.update(before)
        _plugins.REGISTRY.manager().unregister(impostor)


# -- broken plugins and discovery ------------------------------------------------------------


def test_broken_entry_point_is_isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "tp_raising_plugin.py").write_text("raise RuntimeError('plugin exploded')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    eps = [
        EntryPoint("missing", "tp_no_such_module_xyz", _plugins.GROUP),
        EntryPoint("raising", "tp_raising_plugin", _plugins.GROUP),
        EntryPoint("numpy", "tensorplug_numpy.plugin", _plugins.GROUP),
    ]
    monkeypatch.setattr(
        _plugins, "entry_points", lambda group: eps if group == _plugins.GROUP else []
    )
    registry = _plugins._Registry()
    monkeypatch.setattr(_plugins, "REGISTRY", registry)
    rows = {r.name: r for r in tp.list_backends()}
    assert rows["missing"].status == "broken" and not rows["missing"].available
    assert "tp_no_such_module_xyz" in rows["missing"].reason
    assert "ModuleNotFoundError" in rows["missing"].reason
    assert rows["raising"].status == "broken"
    assert "plugin exploded" in rows["raising"].reason
    assert rows["numpy"].available
    assert registry.get("numpy").name == "numpy"
    with pytest.raises(RuntimeError, match=r"broken.*plugin exploded"):
        registry.get("raising")


def _run(code: str, env: dict[str, str] | None = None) -> str:
    full_env = dict(os.environ)
    full_env.pop("TENSORPLUG_BACKEND", None)
    full_env.update(env or {})
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_real_entry_points_from_a_dist_info(tmp_path: Path) -> None:
    """Discovery through installed metadata: a good third-party plugin and a broken one."""
    dist = tmp_path / "tp_fakeplug-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: tp-fakeplug\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[tensorplug.backends]\nthirdparty = tp_fakeplug\nbroken = tp_missing_module_abc\n"
    )
    (tmp_path / "tp_fakeplug.py").write_text(
        textwrap.dedent("""
        from tensorplug.plugins import BackendSpec, hookimpl

        def _load():
            from tensorplug_numpy._backend import make_backend
            import dataclasses
            return dataclasses.replace(make_backend(), name="thirdparty")

        @hookimpl
        def tensorplug_backends():
            return [BackendSpec(name="thirdparty", load=_load, version="0.1")]
    """)
    )
    out = _run(
        """
        import tensorplug as tp
        rows = {r.name: r for r in tp.list_backends()}
        print(rows["thirdparty"].status, rows["thirdparty"].source)
        print(rows["broken"].status, "tp_missing_module_abc" in rows["broken"].reason)
        print(tp.ones(2, backend="thirdparty").backend, tp.ones(2).backend)
        """,
        {"PYTHONPATH": str(tmp_path) + os.pathsep + os.environ.get("PYTHONPATH", "")},
    )
    assert out.splitlines() == [
        "available tp-fakeplug (tp_fakeplug)",
        "broken True",
        "thirdparty numpy",
    ]


def test_import_loads_no_backend() -> None:
    out = _run(
        """
        import sys
        import tensorplug as tp
        from tensorplug import _plugins
        print("tensorplug_numpy._backend" in sys.modules, _plugins.REGISTRY.pm is None)
        tp.zeros(1)
        print("tensorplug_numpy._backend" in sys.modules)
        """
    )
    assert out.splitlines() == ["False True", "True"]


def test_pluggy_is_never_called_per_op(monkeypatch: pytest.MonkeyPatch, fake_backend: str) -> None:
    calls: list[str] = []
    tp.plugins.register(fake_plugin("counted", calls=calls))
    try:
        tp.zeros(1, backend="counted")  # load it
        hook_calls = []
        real_call = pluggy.HookCaller.__call__

        def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
            hook_calls.append(self.name)
            return real_call(self, *args, **kwargs)

        monkeypatch.setattr(pluggy.HookCaller, "__call__", counting)
        monkeypatch.setattr(_plugins, "entry_points", lambda **kw: pytest.fail("rediscovery"))
        n_calls = len(calls)
        for name in ("numpy", "counted", "fake"):
            x = tp.ones(3, backend=name, requires_grad=True)
            for _ in range(50):
                y = (x * 2 + 1).relu().sum()
                y.backward()
            tp.zeros(2, backend=name).exp()
        assert hook_calls == []
        assert len(calls) == n_calls
    finally:
        tp.plugins.unregister_backend("counted")


# -- selection -------------------------------------------------------------------------------


def test_selection_precedence(
    monkeypatch: pytest.MonkeyPatch, fake_backend: str, restore_selection: None
) -> None:
    tp.plugins.register(fake_plugin("fake2"))
    try:
        assert tp.zeros(1).backend == "numpy"  # default
        monkeypatch.setenv("TENSORPLUG_BACKEND", "fake")
        assert tp.zeros(1).backend == "fake"  # environment
        assert tp.get_backend().name == "fake"
        tp.set_backend("fake2")
        assert tp.zeros(1).backend == "fake2"  # set_backend beats the environment
        with tp.use_backend("numpy"):
            assert tp.zeros(1).backend == "numpy"  # context manager beats set_backend
            assert tp.get_backend().name == "numpy"
            assert tp.zeros(1, backend="fake").backend == "fake"  # explicit beats all
            assert tp.tensor([1.0], backend="fake2").backend == "fake2"
            with tp.use_backend("fake"):
                assert tp.ones(1).backend == "fake"
            assert tp.ones(1).backend == "numpy"
        assert tp.zeros(1).backend == "fake2"
        tp.set_backend(None)
        assert tp.zeros(1).backend == "fake"
        monkeypatch.delenv("TENSORPLUG_BACKEND")
        assert tp.zeros(1).backend == "numpy"
    finally:
        tp.plugins.unregister_backend("fake2")


def test_use_backend_is_thread_local(fake_backend: str) -> None:
    import threading

    seen = []
    with tp.use_backend("fake"):
        th = threading.Thread(target=lambda: seen.append(tp.zeros(1).backend))
        th.start()
        th.join()
        assert tp.zeros(1).backend == "fake"
    assert seen == ["numpy"]


def test_env_var_selection_in_a_fresh_process() -> None:
    assert (
        _run("import tensorplug as tp; print(tp.zeros(1).backend)", {"TENSORPLUG_BACKEND": "numpy"})
        == "numpy"
    )
    full_env = dict(os.environ, TENSORPLUG_BACKEND="nonexistent")
    out = subprocess.run(
        [sys.executable, "-c", "import tensorplug as tp; tp.zeros(1)"],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )
    assert out.returncode != 0
    assert "unknown backend 'nonexistent'" in out.stderr and "numpy" in out.stderr


def test_unknown_backend_errors_list_available(fake_backend: str) -> None:
    for call in (
        lambda: tp.set_backend("nope"),
        lambda: tp.use_backend("nope").__enter__(),
        lambda: tp.ones(1, backend="nope"),
        lambda: tp.ones(1).to("nope"),
    ):
        with pytest.raises((ValueError, RuntimeError), match="nope") as e:
            call()
        if "unknown backend" in str(e.value):
            assert "numpy" in str(e.value) and "fake" in str(e.value)


def test_device_argument_selects_a_cpu_backend() -> None:
    assert tp.zeros(1, device="cpu").backend == "numpy"
    assert tp.zeros(1, device="cpu").device == "cpu"
    with pytest.raises(ValueError, match="no backend provides device"):
        tp.zeros(1, device="tpu")


# -- helpers for a backend over an array namespace ------------------------------------------


def test_dtype_table_from_a_namespace_claims_what_it_has() -> None:
    table = dtype_table(np, library="NumPy")
    assert table[tp.float32] is np.float32 and table[tp.bool] is np.bool_
    assert set(dtype_table(np, exclude=[tp.float16])) == set(tp.plugins.ALL_DTYPES) - {tp.float16}
    no_half = types.SimpleNamespace(float32="f4", float64="f8", int64="i8", bool_="?")
    assert dict(dtype_table(no_half)) == {
        tp.float32: "f4", tp.float64: "f8", tp.int64: "i8", tp.bool: "?"
    }  # fmt: skip


def test_dtype_of_matches_dtype_objects_that_only_compare_equal() -> None:
    # As for JAX: the table holds scalar types (np.float32), the arrays report numpy.dtype
    # objects, which hash differently but compare equal.
    table = dtype_table(np, library="NumPy")
    for d in tp.plugins.ALL_DTYPES:
        a = np.zeros(2, dtype=table[d])
        assert table.dtype_of(a) is d and table.dtype_of(a) is d  # learned, then looked up
    with pytest.raises(TypeError, match="NumPy dtype complex64 has no tensorplug equivalent"):
        table.dtype_of(np.zeros(2, np.complex64))


def test_dtype_of_tolerates_a_library_whose_dtypes_refuse_comparison() -> None:
    class Prickly:
        def __eq__(self, other: object) -> bool:
            raise TypeError("cannot compare")

        __hash__ = object.__hash__

    mine = Prickly()
    table = DtypeTable({tp.float32: mine}, library="prickly")
    assert table.dtype_of(types.SimpleNamespace(dtype=mine)) is tp.float32
    with pytest.raises(TypeError, match=r"prickly dtype .* has no tensorplug equivalent"):
        table.dtype_of(types.SimpleNamespace(dtype=Prickly()))


def test_a_backend_built_on_a_dtype_table_runs() -> None:
    table = dtype_table(np, library="NumPy")
    kernels = {**fake_kernels(), "dtype_of": table.dtype_of}
    be = Backend(name="tabled", kernels=kernels, dtypes=table)
    x = tp.tensor([1.0, 2.0], backend=be)
    assert x.dtype is tp.float32 and (x * 2).tolist() == [2.0, 4.0]


# -- tensor()/as_tensor() of a native array: the backend that owns it --------------------------


class FakeArray(np.ndarray):
    """The native array type of backend ``native_fake`` (a stand-in for a CuPy array)."""


def _fake_backend() -> Backend:
    base = tp.get_backend("numpy")
    kernels = dict(base.kernels)
    from_host = base.k.from_host
    kernels["from_host"] = lambda obj, d: np.asarray(from_host(obj, d)).view(FakeArray)
    return Backend(
        name="native_fake", kernels=kernels, dtypes=dict(base.dtypes), array_types=(FakeArray,)
    )


@pytest.fixture
def fake_array_backend() -> Iterator[str]:
    mod = types.ModuleType("native_array_plugin")

    @hookimpl
    def tensorplug_backends() -> list[BackendSpec]:
        return [BackendSpec(name="native_fake", load=_fake_backend)]

    mod.tensorplug_backends = tensorplug_backends  # type: ignore[attr-defined]
    assert tp.plugins.register(mod, source="tests") == ["native_fake"]
    yield "native_fake"
    tp.plugins.unregister_backend("native_fake")


def test_tensor_of_a_native_array_uses_its_backend(fake_array_backend: str) -> None:
    arr = np.arange(6.0).reshape(2, 3).view(FakeArray)
    t = tp.tensor(arr)  # the fake backend is registered but not loaded yet
    assert t.backend == fake_array_backend
    np.testing.assert_array_equal(t.numpy(), np.arange(6.0).reshape(2, 3))
    arr[0, 0] = 9.0
    assert t[0, 0].item() == 0.0  # tensor() copies
    shared = tp.as_tensor(arr)
    assert shared.backend == fake_array_backend
    arr[0, 1] = 7.0
    assert shared[0, 1].item() == 7.0  # as_tensor() shares memory
    leaf = tp.tensor(arr, requires_grad=True)
    (leaf * 2.0).sum().backward()
    assert leaf.grad is not None and leaf.grad.backend == fake_array_backend
    np.testing.assert_array_equal(leaf.grad.numpy(), np.full((2, 3), 2.0))
    # An explicit backend still wins, and plain NumPy arrays stay with the selected backend.
    assert tp.tensor(arr, backend="numpy").backend == "numpy"
    assert tp.tensor(np.ones(2)).backend == tp.get_backend().name
    with tp.use_backend(fake_array_backend):
        assert tp.tensor(np.ones(2)).backend == fake_array_backend  # host data, converted
