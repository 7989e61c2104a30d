"""The kernel contract (``tensorplug._contract``): one table, its tiers checked when a backend is
built, the effects the built-in backends keep, and the docs that list it."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import cupy_stand_in as stand_in
import tensorplug as tp
from tensorplug import _contract
from tensorplug._tensor_ops import TENSOR_OPS
from tensorplug.plugins import (
    ACCELERATORS,
    DERIVED,
    HOST_BOUNDARY,
    IN_PLACE,
    KERNELS,
    OPTIONAL,
    PRIMITIVES,
    REUSES,
    TIERS,
    Backend,
    BackendOps,
    KernelOps,
    OptionalOps,
    default_kernels,
)

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "core" / "tensorplug"


def _numpy_primitives() -> dict[str, Any]:
    base = tp.get_backend("numpy").kernels
    return {name: base[name] for name in PRIMITIVES}


# -- the table --------------------------------------------------------------------------------


def test_every_kernel_is_in_exactly_one_tier() -> None:
    tiers = list(TIERS.values())
    assert sum(len(t) for t in tiers) == len(set().union(*tiers)) == len(KERNELS)
    assert {name for t in tiers for name in t} == set(KERNELS)
    for tier, names in TIERS.items():
        assert all(KERNELS[n].tier == tier for n in names)


def test_the_protocols_declare_what_a_backend_has() -> None:
    def members(proto: type) -> set[str]:
        return {n for n in vars(proto) if not n.startswith("_")}

    # Optional kernels a backward may call (linalg_inv, linalg_solve; lgamma's and digamma's
    # gradients, ``_contract.SPECIAL``) are declared in KernelOps, so that backwards are typed
    # with them; the other optional ones in OptionalOps and PointwiseOps.
    in_backwards = members(KernelOps) & OPTIONAL
    assert (
        in_backwards
        == {"linalg_inv", "linalg_solve", "linalg_eigh", "linalg_svd", "linalg_qr"}
        | _contract.SPECIAL
    )
    assert (members(KernelOps) - in_backwards) | members(BackendOps) == (
        PRIMITIVES | DERIVED | HOST_BOUNDARY
    )
    assert (
        members(OptionalOps) | members(_contract.PointwiseOps) | in_backwards
        == OPTIONAL | ACCELERATORS
    )
    assert members(KernelOps) <= set(vars(tp.get_backend("numpy").k))
    # The namespace of create_graph=True backwards offers exactly what a formula may call.
    assert set(vars(TENSOR_OPS)) == members(KernelOps)


def test_defaults_are_exactly_the_derived_and_host_boundary_kernels() -> None:
    be = Backend(name="bare", kernels=_numpy_primitives(), dtypes=tp.get_backend("numpy").dtypes)
    assert set(default_kernels(be)) == DERIVED | HOST_BOUNDARY
    assert be.k.from_foreign(np.ones(2), be, None) is None  # declines: the host path


def test_effects_and_signatures_are_declared() -> None:
    assert KERNELS["iadd"].effect == "in_place" and KERNELS["fill_"].effect == "in_place"
    assert KERNELS["where_zero_owned"].effect == "reuses"
    assert KERNELS["add"].effect == "returns" and KERNELS["add"].variants == {"nd"}
    assert KERNELS["sum"].variants == frozenset()
    assert KERNELS["sum"].signature == "(x: Array, axes: Shape | None, keepdims: bool) -> Array"
    assert KERNELS["setitem"].signature.endswith("-> None")
    for name in IN_PLACE:
        assert KERNELS[name].signature.endswith("-> None"), name
    assert all(KERNELS[name].doc for name in KERNELS)
    assert REUSES <= ACCELERATORS


def _kernel_names_the_core_uses() -> dict[str, set[str]]:
    """Every kernel name the core refers to: ``x.k.NAME``, ``k.NAME``, ``ops.NAME``,
    ``getattr(k, "NAME")``, ``k["NAME"]``, ``kernel = "NAME"`` and the in-place table."""
    used: dict[str, set[str]] = {}

    def names_in(node: ast.AST) -> list[str]:
        """The strings ``node`` may evaluate to (an ``if``'s two branches, not its test)."""
        if isinstance(node, ast.Constant):
            return [node.value] if isinstance(node.value, str) else []
        if isinstance(node, ast.IfExp):
            return names_in(node.body) + names_in(node.orelse)
        return [n for child in ast.iter_child_nodes(node) for n in names_in(child)]

    def is_namespace(node: ast.AST) -> bool:
        return (isinstance(node, ast.Attribute) and node.attr == "k") or (
            isinstance(node, ast.Name) and node.id in ("k", "ops")
        )

    for path in CORE.rglob("*.py"):
        if "testing" in path.parts or path.name == "_contract.py":
            continue
        where = str(path.relative_to(CORE))
        for node in ast.walk(ast.parse(path.read_text())):
            found: list[str] = []
            if isinstance(node, ast.Attribute) and is_namespace(node.value):
                found = [node.attr]
            elif isinstance(node, ast.Subscript) and is_namespace(node.value):
                found = names_in(node.slice)
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("getattr", "hasattr")
                and is_namespace(node.args[0])
            ):
                found = names_in(node.args[1])
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and (t.id == "kernel" or t.id.endswith("_KERNELS"))
                for t in node.targets
            ):
                found = names_in(node.value)
            for name in found:
                used.setdefault(name, set()).add(where)
    return used


def test_every_kernel_the_core_uses_is_in_the_contract() -> None:
    used = _kernel_names_the_core_uses()
    # ``ops`` is also the name of a plain list in _tensor.py; ``_caches`` and other private
    # names are the kernel namespace's own attributes, not kernels.
    unknown = {
        n: sorted(w)
        for n, w in used.items()
        if n not in KERNELS and n != "append" and not n.startswith("_")
    }
    assert not unknown, f"kernels the core calls that the contract does not declare: {unknown}"
    assert {"mul", "sum_to", "from_foreign", "where_zero_owned", "isub", "random_normal"} <= set(
        used
    )


# -- checked when a backend is built -----------------------------------------------------------


def _build(**changes: Any) -> Backend:
    kernels = {**_numpy_primitives(), **changes}
    return Backend(name="checked", kernels=kernels, dtypes=tp.get_backend("numpy").dtypes)


def test_an_unknown_kernel_name_is_refused_by_name() -> None:
    with pytest.raises(TypeError) as e:
        _build(sigmoid_backwards=lambda g, out: g, scatter=np.add.at)
    message = str(e.value)
    assert message.startswith(
        "backend 'checked' has kernels the contract does not know: scatter, sigmoid_backwards"
    )
    assert "starting with '_'" in message


def test_a_private_helper_is_allowed_and_never_called() -> None:
    be = _build(_fused_adam=lambda *a: None)
    assert be.k._fused_adam is not None


def test_the_nd_variant_is_checked() -> None:
    def add(a: Any, b: Any) -> Any:
        return np.add(a, b)

    def total(a: Any, axes: Any, keepdims: bool) -> Any:
        return np.sum(a, axis=axes, keepdims=keepdims)

    add.nd = np.add  # type: ignore[attr-defined]
    assert _build(add=add).k.add.nd is np.add
    total.nd = total  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="sum carries 'nd', a variant only elementwise kernels"):
        _build(sum=total)
    add.nd = "np.add"  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match=r"add\.nd is not callable"):
        _build(add=add)


def test_a_kernel_that_is_not_callable_is_refused() -> None:
    with pytest.raises(TypeError, match="breaks the kernel contract: relu is not callable"):
        _build(relu=0)


# -- what the built-in backends' kernels do -------------------------------------------------


def _backends() -> dict[str, Callable[[], Backend]]:
    from tensorplug_cupy._backend import make_backend

    def stand_in_gpu(devices: int) -> Callable[[], Backend]:
        return lambda: make_backend(stand_in.make(devices), devices - 1, name="stand-in")

    def array_api_strict() -> Backend:
        pytest.importorskip("array_api_strict")
        from tensorplug_array_api_strict import make_backend as make

        return make()

    def defaults() -> Backend:
        return _build()

    def torch_backend() -> Backend:  # through the Array API adapter
        pytest.importorskip("torch")
        pytest.importorskip("array_api_compat")
        from tensorplug_arrayapi import build_backend
        from tensorplug_arrayapi.torch_plugin import TORCH

        return build_backend(TORCH)

    return {
        "numpy": lambda: tp.get_backend("numpy"),
        "cupy-1-gpu": stand_in_gpu(1),
        "cupy-2nd-of-2-gpus": stand_in_gpu(2),
        "array_api_strict": array_api_strict,
        "defaults": defaults,
        "torch": torch_backend,
    }


@pytest.fixture(params=sorted(_backends()))
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Backend:
    monkeypatch.syspath_prepend(str(ROOT / "examples" / "backend_plugin" / "src"))
    be: Backend = _backends()[request.param]()
    return be


def test_in_place_kernels_write_their_first_argument_and_return_none(backend: Backend) -> None:
    k = backend.k
    f32 = tp.float32

    def fresh() -> Any:
        return k.from_host([1.0, 2.0, 4.0], f32)

    idx = k.from_host([0, 0, 2], tp.int64)
    two = k.from_host([2.0, 2.0, 2.0], f32)
    calls: dict[str, tuple[Callable[[Any], Any], list[float]]] = {
        "setitem": (lambda a: k.setitem(a, 1, 7.0), [1.0, 7.0, 4.0]),
        "assign": (lambda a: k.assign(a, two), [2.0, 2.0, 2.0]),
        "iadd": (lambda a: k.iadd(a, two), [3.0, 4.0, 6.0]),
        "isub": (lambda a: k.isub(a, two), [-1.0, 0.0, 2.0]),
        "imul": (lambda a: k.imul(a, two), [2.0, 4.0, 8.0]),
        "idiv": (lambda a: k.idiv(a, two), [0.5, 1.0, 2.0]),
        "fill_": (lambda a: k.fill_(a, 3.0), [3.0, 3.0, 3.0]),
        "scatter_add": (lambda a: k.scatter_add(a, idx, two), [5.0, 2.0, 6.0]),
        # The optimizer updates: m = 1, v = 4, p += -1 * m / sqrt(v); buf = 2, p -= buf / 2.
        "adam_update": (lambda a: k.adam_update(a, two, k.sub(two, two), k.sub(two, two), None,
                                                1.0, 0.0, 0.5, 0.0, 0.5, 1, 0.0),
                        [0.5, 1.5, 3.5]),
        "sgd_update": (lambda a: k.sgd_update(a, two, k.sub(two, two), 0.0, 0.5, 0.0, False, 0.5),
                       [0.0, 1.0, 3.0]),
    }  # fmt: skip
    assert set(calls) == IN_PLACE
    ran = []
    for name, (call, want) in calls.items():
        if not backend.has_kernel(name):
            assert name in OPTIONAL | ACCELERATORS
            continue
        a = fresh()
        assert call(a) is None, f"{name} returned a value"
        assert np.asarray(k.to_host(a)).tolist() == want, name
        ran.append(name)
    assert {"setitem", "assign", "iadd"} <= set(ran)


def test_reshape_view_gives_a_view_or_declines(backend: Backend) -> None:
    """A view of a contiguous array (the default declines: it cannot tell); ``None`` where the
    layout needs a copy (reshape's result would be no view). Never a copy claimed a view."""
    k = backend.k
    a = k.reshape(k.arange(0, 6, 1, tp.float32), (2, 3))
    for x, shape, can in ((a, (3, 2), True), (k.permute(a, (1, 0)), (6,), False)):
        r = k.reshape_view(x, shape)
        if r is None:
            assert not can or "reshape_view" not in backend.kernels, (backend.name, shape)
            continue
        assert can and tuple(r.shape) == shape, (backend.name, shape)
        k.setitem(r, (0, ...), 9.0)  # through the view: its source changes too
        assert np.asarray(k.to_host(x)).reshape(-1)[0] == 9.0, backend.name


def test_bitwise_kernels_work_bit_by_bit(backend: Backend) -> None:
    """``&``/``|`` of integers (optional: without them, only bool tensors have the ops)."""
    k = backend.k
    if not backend.has_kernel("bitwise_and"):
        assert not backend.has_kernel("bitwise_or")
        with pytest.raises(tp.UnsupportedOperation, match="bitwise_or"):
            tp.tensor([1, 2], backend=backend) | 1
        return
    a = k.from_host([-4, 5, 6], tp.int64)
    b = k.from_host([1, 3, -1], tp.int32)
    for name, want in (("bitwise_and", [0, 1, 6]), ("bitwise_or", [-3, 7, -1])):
        r = getattr(k, name)(a, k.astype(b, tp.int64))
        assert np.asarray(k.to_host(r)).tolist() == want, name
    assert np.asarray(k.to_host(k.bitwise_or(a, 1))).tolist() == [-3, 5, 7]
    assert np.asarray(k.to_host(k.bitwise_and(b, b))).dtype == np.int32


def test_where_zero_owned_gives_where_and_may_reuse_its_argument(backend: Backend) -> None:
    k = backend.k
    if not backend.has_kernel("where_zero_owned"):
        pytest.skip(f"{backend.name} has no where_zero_owned (an accelerator)")
    x = k.from_host(np.arange(1.0, 601.0, dtype=np.float32), None)
    cond = k.gt(k.from_host(np.arange(600) % 3, None), 0)
    want = np.where(np.arange(600) % 3 > 0, np.arange(1.0, 601.0), 0.0)
    got = k.where_zero_owned(cond, x)
    np.testing.assert_array_equal(np.asarray(k.to_host(got)), want)


# -- the docs list the table ------------------------------------------------------------------


def kernel_table() -> str:
    """The kernel table of docs/backend-guide.md, as the contract says it should read."""
    rows = ["| kernel | signature | tier | effect |", "| --- | --- | --- | --- |"]
    for spec in KERNELS.values():
        nd = " (`nd`)" if spec.variants else ""
        signature = spec.signature.replace("|", "\\|")  # a table cell's pipe, escaped
        rows.append(f"| `{spec.name}`{nd} | `{signature}` | {spec.tier} | {spec.effect} |")
    return "\n".join(rows)


def test_the_backend_guide_lists_every_kernel_as_the_contract_declares_it() -> None:
    guide = (ROOT / "docs" / "backend-guide.md").read_text()
    expected = kernel_table()
    assert expected in guide, (
        "docs/backend-guide.md's kernel table differs from tensorplug._contract; the table "
        f"should read:\n\n{expected}\n"
    )


def test_the_guide_names_each_tier_set_with_its_members() -> None:
    guide = (ROOT / "docs" / "backend-guide.md").read_text()
    for tier_set in ("PRIMITIVES", "DERIVED", "OPTIONAL", "ACCELERATORS", "HOST_BOUNDARY"):
        assert f"tensorplug.plugins.{tier_set}" in guide, tier_set
    for name in OPTIONAL | ACCELERATORS | HOST_BOUNDARY:
        assert re.search(rf"`{name}`", guide), name
    assert _contract.PRIVATE_PREFIX == "_"


def test_builtin_backend_kernels_are_all_part_of_the_contract() -> None:
    """Every kernel the NumPy backend provides is a primitive, a derived kernel with a default,
    an optional kernel or an accelerator: no undocumented kernel names creep in."""
    be = tp.get_backend("numpy")
    known = PRIMITIVES | OPTIONAL | ACCELERATORS | set(default_kernels(be))
    extra = set(vars(be.k)) - known
    assert not extra, f"kernels outside the contract: {sorted(extra)}"


def test_cumulative_kernels_run_along_one_axis_in_the_input_dtype(backend: Backend) -> None:
    """``cumsum``/``cumprod``: the library's, the standard's or the log-step default alike."""
    k = backend.k
    host = np.arange(1, 13, dtype=np.float32).reshape(3, 4) / 4
    x = k.from_host(host, tp.float32)
    for name, want in (("cumsum", np.cumsum), ("cumprod", np.cumprod)):
        for axis in (0, 1):
            got = getattr(k, name)(x, axis)
            assert k.dtype_of(got) is tp.float32, (backend.name, name)
            np.testing.assert_allclose(np.asarray(k.to_host(got)), want(host, axis), rtol=1e-6)
    ints = k.cumsum(k.from_host([[1, 2, 3]], tp.int64), 1)
    assert np.asarray(k.to_host(ints)).tolist() == [[1, 3, 6]]
