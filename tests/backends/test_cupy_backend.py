"""The cupy backend's device logic, run on the CPU through a NumPy stand-in for CuPy.

The real ``tensorplug_cupy`` code builds the backend here (registry wiring, one instance per
GPU, kernels pinned to their GPU, transfers, random numbers, memory statistics); only the
``cupy`` module under it is the stand-in of ``tests/support/cupy_stand_in.py``, which enforces
CuPy's rule that kernels take arrays from the current device only. CuPy's numerics need a GPU:
``tests/backends/test_cupy_gpu.py``.
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import cupy_stand_in as stand_in
import tensorplug as tp
from tensorplug._plugins import REGISTRY
from tensorplug.plugins import InfoSection
from tensorplug.testing import pytest_plugin

SUPPORT = Path(__file__).resolve().parents[1] / "support"  # cupy_stand_in.py


def test_creation_on_a_device_places_the_array_there(gpus: stand_in.FakeCupy) -> None:
    a = tp.ones(2, 3, device="cuda")
    b = tp.zeros(4, device="cuda:1")
    assert (a.device, b.device) == (tp.device("cuda:0"), tp.device("cuda:1"))
    assert a.backend == b.backend == "cupy" and a.is_cuda
    assert (a._data.dev, b._data.dev) == (0, 1)
    assert tp.get_backend("cupy") is a._backend  # cuda:0 is the registry's instance
    assert tp.randn(3, device="cuda:1")._data.dev == 1
    assert tp.tensor([1.0, 2.0], device="cuda:1")._data.dev == 1
    assert repr(b).endswith("device='cuda:1')")


def test_device_reports_where_the_array_is(gpus: stand_in.FakeCupy) -> None:
    with gpus.cuda.Device(1):
        arr = gpus.zeros(3)
    t = tp.as_tensor(arr, device="cuda")  # wrapped as it came, by the cuda:0 instance
    assert t.device == tp.device("cuda:1")
    assert tp.cuda.get_device_name(1) == "Stand-in GPU"


def test_ops_on_the_second_gpu_run_there(gpus: stand_in.FakeCupy) -> None:
    # The stand-in refuses a kernel whose input is not on the current device, as CuPy does;
    # these pass only because each kernel runs with cuda:1 made current.
    x = tp.arange(6.0, device="cuda:1").reshape(2, 3)
    y = (x * 2 + 1).sum(dim=1)
    assert y._data.dev == 1 and y.device == "cuda:1"
    assert y.tolist() == [9.0, 27.0]
    assert stand_in.current_device() == 0  # restored after every kernel


def test_mixing_devices_names_the_op_and_both_devices(gpus: stand_in.FakeCupy) -> None:
    a = tp.ones(2, device="cuda:0")
    with pytest.raises(RuntimeError, match=r"add\(\).*cuda:0 \(cupy\) and cuda:1 \(cupy\)"):
        a + tp.ones(2, device="cuda:1")
    with pytest.raises(RuntimeError, match=r"mul\(\).*cpu \(numpy\) and cuda:0 \(cupy\)"):
        tp.ones(2) * a
    with pytest.raises(RuntimeError, match=r"cuda:1 \(cupy\) and cuda:0 \(cupy\)"):
        tp.cat([tp.ones(1, device="cuda:1"), a])


def test_transfers_keep_values_and_land_on_the_device(gpus: stand_in.FakeCupy) -> None:
    x = tp.tensor([[1.0, -2.0], [3.5, 4.0]])
    g0 = x.to("cuda")
    g1 = g0.to("cuda:1")
    assert (g0.device, g1.device) == ("cuda:0", tp.device("cuda:1"))
    assert g1._data.dev == 1 and isinstance(g1._data, stand_in.FakeArray)
    assert x.cuda().device == "cuda:0" and x.cuda(1).device == tp.device("cuda:1")
    back = g1.cpu()
    assert back.device == "cpu" and back.backend == "numpy"
    np.testing.assert_array_equal(back.numpy(), x.numpy())
    np.testing.assert_array_equal(g1.to(backend="numpy").numpy(), x.numpy())
    assert g1.to("cuda:1") is g1 and back.cpu() is back
    assert x.to(device="cuda:1", dtype=tp.float64).dtype is tp.float64
    assert x.to("cupy").device == "cuda:0"  # a backend name: its default device


def test_unknown_or_missing_devices_are_clear_errors(gpus: stand_in.FakeCupy) -> None:
    with pytest.raises(ValueError, match=r"cuda:5 does not exist: 2 CUDA device\(s\)"):
        tp.zeros(1, device="cuda:5")
    with pytest.raises(ValueError, match="backend 'numpy' has no device 'cuda:0'"):
        tp.zeros(1, backend="numpy", device="cuda:0")
    with pytest.raises(ValueError, match="no backend provides device 'tpu'"):
        tp.ones(1).to("tpu")


def test_gradient_of_a_transfer_is_the_reverse_transfer(gpus: stand_in.FakeCupy) -> None:
    x = tp.tensor([1.0, -2.0, 3.0], dtype=tp.float64, requires_grad=True)
    y = x.to("cuda:1")
    assert y.grad_fn.name() == "ToCopyBackward0" and y.requires_grad
    ((y * y).sum().cpu() + y.to("cuda:0").sum().cpu()).backward()
    assert x.grad.device == "cpu"
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy() + 1)


def test_gradient_accumulates_on_the_second_gpu(gpus: stand_in.FakeCupy) -> None:
    # x feeds two ops: the engine adds their gradients, which must happen on cuda:1.
    x = tp.tensor([1.0, 2.0], device="cuda:1", requires_grad=True)
    (x * x + x.exp()).sum().backward()
    assert x.grad.device == tp.device("cuda:1") and x.grad._data.dev == 1
    np.testing.assert_allclose(x.grad.tolist(), [2 + np.e, 4 + np.e**2], rtol=1e-6)
    (x * 3).sum().backward()  # accumulates into the existing .grad
    np.testing.assert_allclose(x.grad.tolist(), [5 + np.e, 7 + np.e**2], rtol=1e-6)


def test_double_backward_through_a_transfer(gpus: stand_in.FakeCupy) -> None:
    x = tp.tensor([0.5, 2.0], dtype=tp.float64, requires_grad=True)
    y = (x.to("cuda:1") ** 3).sum()
    (g,) = tp.autograd.grad(y, x, create_graph=True)
    assert g.device == "cpu"
    np.testing.assert_allclose(g.detach().numpy(), 3 * x.detach().numpy() ** 2)
    (gg,) = tp.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), 6 * x.detach().numpy())


def test_sgd_update_runs_in_place_on_its_gpu(
    gpus: stand_in.FakeCupy, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = tp.ones(3, device="cuda:1", requires_grad=True)
    (w * tp.tensor([1.0, 2.0, 3.0], device="cuda:1")).sum().backward()
    calls = []
    for name in ("isub", "imul", "idiv"):
        kernel = getattr(w._backend.k, name)
        monkeypatch.setattr(w._backend.k, name, lambda d, s, f=kernel, n=name: (
            calls.append((n, stand_in.current_device())), f(d, s))[1])  # fmt: skip
    data = w._data
    with tp.no_grad():
        w -= 0.5 * w.grad
        w *= 2
        w /= 4
    assert w._data is data and data.dev == 1
    assert calls == [("isub", 0), ("imul", 0), ("idiv", 0)]  # pinned inside the kernel
    assert w.tolist() == [0.25, 0.0, -0.25]


def test_index_backward_uses_scatter_add(gpus: stand_in.FakeCupy) -> None:
    x = tp.zeros(4, device="cuda:1", requires_grad=True)
    idx = tp.tensor([0, 0, 2], device="cuda:1")
    x[idx].sum().backward()
    assert x.grad.tolist() == [2.0, 0.0, 1.0, 0.0]


def test_manual_seed_reproduces_per_device(gpus: stand_in.FakeCupy) -> None:
    tp.manual_seed(7)
    a = tp.randn(5, device="cuda:1")
    h = tp.rand(3, device="cuda", dtype=tp.float16)
    tp.manual_seed(7)
    np.testing.assert_array_equal(tp.randn(5, device="cuda:1").tolist(), a.tolist())
    assert tp.rand(3, device="cuda", dtype=tp.float16).tolist() == h.tolist()
    assert h.dtype is tp.float16
    tp.cuda.manual_seed(3)
    c = tp.randint(0, 10, (6,), device="cuda:1")
    tp.cuda.manual_seed(3)
    assert tp.randint(0, 10, (6,), device="cuda:1").tolist() == c.tolist()


def test_generator_streams_per_device(gpus: stand_in.FakeCupy) -> None:
    def draw(seed: int) -> list[object]:
        g = tp.Generator("cuda").manual_seed(seed)
        return [tp.randn(4, device="cuda:1", generator=g).tolist(), g.initial_seed()] + [
            tp.multinomial(tp.ones(5, device="cuda"), 3, generator=g).tolist()
        ]

    assert draw(4) == draw(4) and draw(4) != draw(5)
    with pytest.raises(tp.UnsupportedOperation, match="CuPy's generators"):
        g = tp.Generator("cuda").manual_seed(1)
        tp.rand(2, device="cuda", generator=g)
        g.get_state()
    with pytest.raises(RuntimeError, match="Expected a 'cuda' device type for generator"):
        tp.rand(2, device="cuda", generator=tp.Generator())


def test_set_rng_state_leaves_the_gpu_streams(gpus: stand_in.FakeCupy) -> None:
    tp.manual_seed(1)
    first, second = tp.rand(3, device="cuda").tolist(), tp.rand(3, device="cuda").tolist()
    tp.manual_seed(1)
    assert tp.rand(3, device="cuda").tolist() == first
    tp.set_rng_state(tp.get_rng_state())  # the CPU state only, as PyTorch's
    assert tp.rand(3, device="cuda").tolist() == second


def test_cuda_module_reports_devices_and_memory(gpus: stand_in.FakeCupy) -> None:
    assert tp.cuda.is_available() and tp.cuda.unavailable_reason() == ""
    assert tp.cuda.device_count() == 2
    tp.zeros(1, device="cuda:1")  # loads the backends, which install the peak tracker
    malloc = gpus.cuda.get_allocator()
    with gpus.cuda.Device(1):
        malloc(1000)
        malloc(24)
    gpus.pool.free(1000, device=1)
    assert tp.cuda.memory_allocated("cuda:1") == 24
    assert tp.cuda.max_memory_allocated(1) == 1024
    assert tp.cuda.memory_allocated(0) == 0
    tp.cuda.reset_peak_memory_stats(1)
    assert tp.cuda.max_memory_allocated(1) == 24
    tp.cuda.synchronize("cuda:1")
    tp.cuda.synchronize()
    assert stand_in.synced() == [1, 0]
    with pytest.raises(ValueError, match="expected a CUDA device"):
        tp.cuda.memory_allocated("cpu")


def test_peak_tracker_leaves_a_users_allocator_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    import tensorplug_cupy._backend as cb

    cp = stand_in.make(devices=1)

    def mine(n: int) -> None:
        return None

    cp.cuda.set_allocator(mine)
    cb._track_peak_memory(cp)
    assert cp.cuda.get_allocator() is mine


def test_one_gpu_needs_no_device_switching(monkeypatch: pytest.MonkeyPatch) -> None:
    import tensorplug_cupy._backend as cb

    cp = stand_in.make(devices=1)
    be = cb.make_backend(cp, 0)
    assert be.k.scatter_add is cp.add.at  # not wrapped: nothing else can be current
    cp2 = stand_in.make(devices=2)
    two = cb.make_backend(cp2, 1)
    assert two.k.scatter_add is not cp2.add.at  # wrapped: makes cuda:1 current first
    assert two.k.scatter_add.__name__ == "at"  # the name kept for tracebacks
    assert two.info == {"library": "cupy", "device": "cuda:1"}


@pytest.mark.parametrize("backend", ["cupy-stand-in", "cupy-stand-in-gpu1"])
def test_conformance_suite_on_the_kernel_table(backend: str) -> None:
    """The shared suite on the cupy backend's own kernel table (astype, full, from_host, copy,
    in-place, scatter_add, random, ...), its arrays from the stand-in: catches a kernel with
    the wrong signature or dtype handling before a GPU ever sees it. On the second stand-in
    GPU it also catches array arithmetic in the core that bypasses the kernels."""
    path = os.pathsep.join(filter(None, [str(SUPPORT), os.environ.get("PYTHONPATH")]))
    cmd = [sys.executable, "-m", "tensorplug.testing", "--backend-module", "cupy_stand_in",
           "--backend", backend, "-q", "-p", "no:cacheprovider", "-W", "error",
           "--tp-quick"]  # fmt: skip
    env = os.environ | {"PYTHONPATH": path}
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    last = p.stdout.splitlines()[-1]  # "N passed, M xfailed" (the core's known failures)
    assert " passed" in last and not re.search(r"\d+ failed", last), last


def test_environment_info_describes_the_gpus(
    gpus: stand_in.FakeCupy, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tensorplug_cupy.plugin as plugin

    assert plugin.tensorplug_environment_info("numpy") is None
    monkeypatch.setattr(plugin, "probe", lambda: (True, ""))
    info = plugin.tensorplug_environment_info("cupy")
    assert info["cuda:1"] == "Stand-in GPU, 16 GiB, compute capability 9.0"
    assert info["CUDA driver"] == "12.9" and info["CuPy"] == "0.0-stand-in"
    assert isinstance(info["diagnosis"], InfoSection) and info["diagnosis"].title == "CuPy"
    # The conformance header is one line: the facts without the CuPy block.
    header = pytest_plugin._environment_info("cupy")
    assert header["cuda:0"].startswith("Stand-in GPU") and "diagnosis" not in header
    monkeypatch.setattr(plugin, "probe", lambda: (False, "no GPU"))
    info = plugin.tensorplug_environment_info("cupy")  # no devices: the reason is the probe's
    assert list(info) == ["diagnosis"] and info["diagnosis"].facts["reason"] == "no GPU"


def test_broken_cuda_libraries_fail_at_selection(
    gpus: stand_in.FakeCupy, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_cublas(*args: object) -> None:
        raise ImportError("libcublas.so.12: cannot open shared object file")

    monkeypatch.setattr(gpus, "matmul", no_cublas, raising=False)
    with pytest.raises(tp.BackendUnavailableError) as e:
        tp.set_backend("cupy")
    message = str(e.value)
    assert message.startswith("backend 'cupy' failed to load: RuntimeError: CuPy cannot run")
    assert "libcublas.so.12" in message and "(NVRTC, cuBLAS) are missing" in message
    assert tp.get_backend().name == "numpy"


def test_as_tensor_of_a_cupy_array_uses_the_cupy_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real cupy plugin behind the CuPy stand-in, not loaded beforehand: a CuPy array given
    without ``device=`` lands on the GPU backend."""
    import tensorplug_cupy._backend as cb

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
