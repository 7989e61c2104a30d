"""Regression tests for reported bugs in ``nn.functional``, the conformance runner, tensor
creation from foreign arrays and the index backward, checked against PyTorch where it applies."""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Iterator

import numpy as np
import pytest

import tensorplug as tp
from tensorplug.nn import functional as F
from tensorplug.plugins import Backend, BackendSpec, hookimpl
from tensorplug.testing.__main__ import main

RNG = np.random.default_rng(7)


# -- 1. nll_loss / cross_entropy with a weight that requires grad -------------------------------


@pytest.mark.parametrize(
    ("fn", "kw"),
    [("nll_loss", {}), ("cross_entropy", {}), ("cross_entropy", {"label_smoothing": 0.1})],
)
def test_class_weight_requiring_grad_raises_like_pytorch(fn: str, kw: dict[str, float]) -> None:
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((3, 4))
    w = RNG.random(4) + 0.5
    t = np.array([0, 2, 1])
    tfn = getattr(torch.nn.functional, fn)
    with pytest.raises(RuntimeError, match="weight"):
        tfn(
            torch.tensor(x, requires_grad=True),
            torch.tensor(t),
            torch.tensor(w, requires_grad=True),
            **kw,
        )
    with pytest.raises(RuntimeError, match=r"nll_loss\(\).*not differentiable.*'weight'"):
        getattr(F, fn)(
            tp.tensor(x, requires_grad=True), tp.tensor(t), tp.tensor(w, requires_grad=True), **kw
        )
    # Without grad mode, or with a detached weight, both compute the same loss.
    with torch.no_grad():
        want = tfn(torch.tensor(x), torch.tensor(t), torch.tensor(w, requires_grad=True), **kw)
    with tp.no_grad():
        got = getattr(F, fn)(tp.tensor(x), tp.tensor(t), tp.tensor(w, requires_grad=True), **kw)
    np.testing.assert_allclose(got.item(), want.item(), rtol=1e-12)


def test_cross_entropy_probability_targets_give_weight_its_gradient() -> None:
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((3, 4))
    p = RNG.random((3, 4))
    p /= p.sum(1, keepdims=True)
    w = RNG.random(4) + 0.5
    tw = torch.tensor(w, requires_grad=True)
    torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(p), tw).backward()
    pw = tp.tensor(w, requires_grad=True)
    F.cross_entropy(tp.tensor(x), tp.tensor(p), pw).backward()
    assert pw.grad is not None
    np.testing.assert_allclose(pw.grad.numpy(), tw.grad.numpy(), rtol=1e-10)


# -- 2. batch_norm on (N, C, *) input; BatchNorm2d --------------------------------------------


def test_batch_norm_4d_matches_pytorch_values_grads_and_running_stats() -> None:
    torch = pytest.importorskip("torch")
    x, w, b = RNG.standard_normal((2, 3, 4, 5)), RNG.random(3) + 0.5, RNG.standard_normal(3)
    mean, var = RNG.standard_normal(3), RNG.random(3) + 0.5
    tt = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    ours = [tp.tensor(a, requires_grad=True) for a in (x, w, b)]
    trm, trv = torch.tensor(mean), torch.tensor(var)
    rm, rv = tp.tensor(mean), tp.tensor(var)
    want = torch.nn.functional.batch_norm(tt[0], trm, trv, tt[1], tt[2], training=True)
    got = F.batch_norm(ours[0], rm, rv, ours[1], ours[2], training=True)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(rm.numpy(), trm.numpy(), rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), trv.numpy(), rtol=1e-12)
    g = RNG.standard_normal(x.shape)
    want.backward(torch.tensor(g))
    got.backward(tp.tensor(g))
    for mine, theirs in zip(ours, tt):
        assert mine.grad is not None and theirs.grad is not None
        np.testing.assert_allclose(mine.grad.numpy(), theirs.grad.numpy(), atol=1e-10)
    want = torch.nn.functional.batch_norm(tt[0], trm, trv, tt[1], tt[2], training=False)
    got = F.batch_norm(ours[0], rm, rv, ours[1], ours[2], training=False)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), atol=1e-12)


def test_batch_norm_running_stats_channel_mismatch_names_op_and_shapes() -> None:
    x = tp.ones(2, 3, 4)
    with pytest.raises(
        RuntimeError,
        match=r"batch_norm\(\): running_mean .* 3 elements.*"
        r"\[2, 3, 4\].*\[4\]",
    ):
        F.batch_norm(x, tp.zeros(4), tp.ones(4), training=True)
    with pytest.raises(RuntimeError, match=r"batch_norm\(\): weight .*\[5\]"):
        F.batch_norm(x, None, None, tp.ones(5), training=True)
    with pytest.raises(ValueError, match=r"batch_norm\(\): expected input of shape \(N, C, \*\)"):
        F.batch_norm(tp.ones(3), None, None, training=True)


def test_batchnorm2d_module_matches_pytorch() -> None:
    torch = pytest.importorskip("torch")
    theirs = torch.nn.BatchNorm2d(3).double()
    ours = tp.nn.BatchNorm2d(3, dtype=tp.float64)
    assert repr(ours).startswith("BatchNorm2d(3, eps=1e-05, momentum=0.1")
    for _ in range(2):
        x = RNG.standard_normal((2, 3, 2, 3))
        np.testing.assert_allclose(
            ours(tp.tensor(x)).detach().numpy(),
            theirs(torch.tensor(x)).detach().numpy(),
            atol=1e-12,
        )
    np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy(), rtol=1e-12)
    ours.eval()
    theirs.eval()
    x = RNG.standard_normal((1, 3, 2, 2))
    np.testing.assert_allclose(
        ours(tp.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(), atol=1e-12
    )
    with pytest.raises(ValueError, match="BatchNorm2d: expected 4D input"):
        ours(tp.ones(2, 3, 4))
    with pytest.raises(ValueError, match="BatchNorm1d: expected 2D or 3D input"):
        tp.nn.BatchNorm1d(3)(tp.ones(2, 3, 4, 5))


# -- 3. one_hot class range --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "num_classes", "match"),
    [
        ([3], 2, "smaller than num_classes"),
        ([0, 2], 2, "smaller than num_classes"),
        ([-1], 3, "non-negative"),
        ([-1, 1], -1, "non-negative"),
        ([], -1, "empty"),
    ],
)
def test_one_hot_out_of_range_raises_like_pytorch(
    values: list[int], num_classes: int, match: str
) -> None:
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match=f"(?i){match}"):
        torch.nn.functional.one_hot(torch.tensor(values, dtype=torch.int64), num_classes)
    with pytest.raises(RuntimeError, match=rf"one_hot\(\): .*{match}"):
        F.one_hot(tp.tensor(values, dtype=tp.int64), num_classes)


@pytest.mark.parametrize(("values", "num_classes"), [([1, 0], 2), ([[2], [0]], -1), ([], 3)])
def test_one_hot_in_range_matches_pytorch(values: list[int], num_classes: int) -> None:
    torch = pytest.importorskip("torch")
    want = torch.nn.functional.one_hot(torch.tensor(values, dtype=torch.int64), num_classes)
    got = F.one_hot(tp.tensor(values, dtype=tp.int64), num_classes)
    assert got.dtype == tp.int64
    np.testing.assert_array_equal(got.numpy(), want.numpy())


# -- 4. leaky_relu dtypes ----------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_leaky_relu_refuses_non_float_like_pytorch(dtype: str) -> None:
    torch = pytest.importorskip("torch")
    values = [-2, 3] if dtype != "bool" else [True, False]
    with pytest.raises(NotImplementedError):
        torch.nn.functional.leaky_relu(torch.tensor(values, dtype=getattr(torch, dtype)))
    with pytest.raises(NotImplementedError, match=rf"leaky_relu\(\): .*{dtype}"):
        F.leaky_relu(tp.tensor(values, dtype=dtype))
    with pytest.raises(NotImplementedError, match=r"leaky_relu\(\)"):
        tp.nn.LeakyReLU(0.1)(tp.tensor(values, dtype=dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_leaky_relu_float_dtype_and_values_match_pytorch(dtype: str) -> None:
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal(6)
    want = torch.nn.functional.leaky_relu(torch.tensor(x, dtype=getattr(torch, dtype)), 0.2)
    got = F.leaky_relu(tp.tensor(x, dtype=dtype), 0.2)
    assert got.dtype.name == dtype
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


# -- 5. the conformance runner on an unusable backend ------------------------------------------


def _probe_plugin(name: str) -> object:
    def load() -> object:
        raise AssertionError("an unavailable backend must not be loaded")

    mod = types.ModuleType(f"unavailable_plugin_{name}")

    @hookimpl
    def tensorplug_backends() -> list[BackendSpec]:
        return [BackendSpec(name=name, load=load, probe=lambda: (False, "no such device here"))]

    mod.tensorplug_backends = tensorplug_backends  # type: ignore[attr-defined]
    return mod


def test_runner_explains_an_unavailable_backend_before_pytest(
    capsys: pytest.CaptureFixture[str],
) -> None:
    tp.plugins.register(_probe_plugin("fix5_nodevice"), source="tests")
    try:
        rc = main(["--backend", "fix5_nodevice"])
    finally:
        tp.plugins.unregister_backend("fix5_nodevice")
    out, err = capsys.readouterr()
    assert rc == 2
    assert "backend 'fix5_nodevice' is unavailable: no such device here" in err
    assert "test session starts" not in out


def test_runner_lists_backends_for_an_unknown_name(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["--backend", "fix5_no_such_backend"])
    out, err = capsys.readouterr()
    assert rc == 2
    assert "unknown backend 'fix5_no_such_backend'; available backends:" in err
    assert "numpy" in err
    assert "test session starts" not in out


# -- 6. tensor()/as_tensor() pick the backend that owns a native array --------------------------


class FakeArray(np.ndarray):
    """The native array type of backend ``fix6_fake`` (a stand-in for a CuPy array)."""


def _fake_backend() -> Backend:
    base = tp.get_backend("numpy")
    kernels = dict(base.kernels)
    from_host = base.k.from_host
    kernels["from_host"] = lambda obj, d: np.asarray(from_host(obj, d)).view(FakeArray)
    return Backend(
        name="fix6_fake", kernels=kernels, dtypes=dict(base.dtypes), array_types=(FakeArray,)
    )


@pytest.fixture
def fake_array_backend() -> Iterator[str]:
    mod = types.ModuleType("fix6_fake_plugin")

    @hookimpl
    def tensorplug_backends() -> list[BackendSpec]:
        return [BackendSpec(name="fix6_fake", load=_fake_backend)]

    mod.tensorplug_backends = tensorplug_backends  # type: ignore[attr-defined]
    assert tp.plugins.register(mod, source="tests") == ["fix6_fake"]
    yield "fix6_fake"
    tp.plugins.unregister_backend("fix6_fake")


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


def test_as_tensor_of_a_cupy_array_uses_the_cupy_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real cupy plugin behind the CuPy stand-in of ``tests/cupy_stand_in.py``, not loaded
    beforehand: a CuPy array given without ``device=`` lands on the GPU backend."""
    import cupy_stand_in as stand_in
    import tensorplug_cupy._backend as cb
    from tensorplug._plugins import REGISTRY

    cp = stand_in.make(devices=2)
    monkeypatch.setattr(cb, "_cupy", lambda: cp)
    monkeypatch.setattr(cb, "_instances", {})
    monkeypatch.setattr(cb, "_peak", {})
    REGISTRY.manager()
    spec = dataclasses.replace(REGISTRY.specs["cupy"], probe=lambda: (True, ""))
    monkeypatch.setitem(REGISTRY.specs, "cupy", spec)
    monkeypatch.delitem(REGISTRY.loaded, "cupy", raising=False)
    try:
        with cp.cuda.Device(1):
            arr = cp.asarray(np.arange(3.0))
        for make in (tp.as_tensor, tp.tensor):
            t = make(arr)
            assert t.backend == "cupy" and t.device == tp.device("cuda:1")
            assert t.tolist() == [0.0, 1.0, 2.0]
    finally:
        REGISTRY.loaded.pop("cupy", None)


# -- 7. the index backward never passes None to setitem/scatter_add ---------------------------


def _no_none_backend() -> Backend:
    """NumPy kernels whose setitem and scatter_add refuse ``None``, as the Array API does."""
    base = tp.get_backend("numpy")
    kernels = dict(base.kernels)

    def refusing(kernel: object) -> object:
        def run(dst: np.ndarray, idx: object, src: np.ndarray) -> None:
            if idx is None or (isinstance(idx, tuple) and any(i is None for i in idx)):
                raise TypeError("None is not a valid setitem index here")
            kernel(dst, idx, src)  # type: ignore[operator]

        return run

    kernels["setitem"] = refusing(kernels["setitem"])
    kernels["scatter_add"] = refusing(kernels["scatter_add"])
    return Backend(name="fix7_no_none", kernels=kernels, dtypes=dict(base.dtypes))


INDICES_WITH_NONE = [
    (None, Ellipsis),
    (Ellipsis, None),
    (0, None, slice(1, 3)),
    (None, 1, None, Ellipsis, None),
    (slice(None, None, 2), None, 2),
    ([1, 0, 1], None, slice(None)),  # advanced, then None: the advanced dims stay in front
    ([1, 0], None, [2, 0]),  # advanced indices separated by None: their dims go first
    (None, [[True, False, True], [False, True, True]]),  # a 2-D mask after None
]


@pytest.mark.parametrize("index", INDICES_WITH_NONE, ids=repr)
def test_index_backward_with_none_matches_pytorch(index: tuple[object, ...]) -> None:
    torch = pytest.importorskip("torch")
    be = _no_none_backend()
    x = RNG.standard_normal((2, 3, 4))

    def convert(i: object, make: object) -> object:
        return make(i) if isinstance(i, list) else i  # type: ignore[operator]

    tx = torch.tensor(x, requires_grad=True)
    ty = tx[tuple(convert(i, torch.tensor) for i in index)]
    ours = tp.tensor(x, requires_grad=True, backend=be)
    y = ours[tuple(convert(i, lambda a: tp.tensor(a, backend=be)) for i in index)]
    assert y.shape == tuple(ty.shape)
    g = RNG.standard_normal(y.shape)
    ty.backward(torch.tensor(g))
    y.backward(tp.tensor(g, backend=be))
    assert ours.grad is not None and tx.grad is not None
    np.testing.assert_allclose(ours.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    # Double backward runs through the same kernel (IndexGradBackward).
    leaf = tp.tensor(x, requires_grad=True, backend=be)
    gg = tp.tensor(g, requires_grad=True, backend=be)
    (gx,) = tp.autograd.grad(
        leaf[tuple(convert(i, lambda a: tp.tensor(a, backend=be)) for i in index)],
        leaf,
        gg,
        create_graph=True,
    )
    (ggrad,) = tp.autograd.grad((gx * gx).sum(), gg)
    np.testing.assert_allclose(gx.detach().numpy(), tx.grad.numpy(), rtol=1e-12)
    assert ggrad.shape == y.shape
