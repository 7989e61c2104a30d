"""The cupy backend on a real GPU: CuPy's numerics, transfers, memory statistics, several GPUs.

Without a usable GPU every test skips with the probe's reason; with ``TENSORPLUG_REQUIRE_GPU=1``
(the GPU check, ``benchmarks/gpu_check.py``) they fail instead, so a broken GPU setup cannot pass
as "skipped". The op-by-op comparison against NumPy is the conformance suite's
(``python -m tensorplug.testing --backend cupy``); these tests cover what it does not.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest

import tensorplug as tp

pytestmark = pytest.mark.gpu


@pytest.fixture(autouse=True)
def gpu() -> Any:
    if not tp.cuda.is_available():
        why = tp.cuda.unavailable_reason()
        if os.environ.get("TENSORPLUG_REQUIRE_GPU") == "1":
            pytest.fail(f"TENSORPLUG_REQUIRE_GPU=1 but CUDA is unavailable: {why}", pytrace=False)
        pytest.skip(f"needs a CUDA GPU: {why}")
    import cupy

    return cupy


def test_backend_and_arrays(gpu: Any) -> None:
    be = tp.get_backend("cupy")
    x = tp.ones(2, 3, device="cuda")
    assert x._backend is be and isinstance(x._data, gpu.ndarray)
    assert x.device == tp.device("cuda:0") and x._data.device.id == 0
    s = x.sum()
    assert isinstance(s._data, gpu.ndarray) and s.item() == 6.0  # 0-d arrays, not scalars
    assert tp.cuda.device_count() >= 1 and tp.cuda.get_device_name()


def test_python_scalars_do_not_promote(gpu: Any) -> None:
    x = tp.ones(3, device="cuda")
    assert (x * 2.5).dtype is tp.float32 and (2.5 - x).dtype is tp.float32
    i = tp.ones(3, dtype=tp.int32, device="cuda")
    assert (i + 1).dtype is tp.int32 and (i * 1.5).dtype is tp.float32
    h = tp.ones(3, dtype=tp.float16, device="cuda")
    assert (h + 1.0).dtype is tp.float16 and (h + x).dtype is tp.float32


def test_two_layer_net_matches_numpy(gpu: Any) -> None:
    """One training step of the seed's network, the same data on both backends."""
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in ((64, 10), (64, 1), (10, 32), (32, 1))]

    def step(device: str) -> list[np.ndarray]:
        x, y, w1, w2 = (tp.tensor(a, dtype=tp.float64, device=device) for a in arrays)
        w1.requires_grad_()
        w2.requires_grad_()
        loss = ((x.mm(w1).clamp(min=0).mm(w2) - y) ** 2).sum()
        loss.backward()
        return [loss.item(), w1.grad.cpu().numpy(), w2.grad.cpu().numpy()]

    for a, b in zip(step("cuda"), step("cpu")):
        np.testing.assert_allclose(a, b, rtol=1e-10)


def test_transfers_and_the_gradient_back(gpu: Any) -> None:
    x = tp.tensor([1.0, -2.0, 3.0], dtype=tp.float64, requires_grad=True)
    y = x.cuda()
    assert y.device == "cuda:0" and y.grad_fn.name() == "ToCopyBackward0"
    (y.exp() * 2).sum().backward()
    assert x.grad.device == "cpu"
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(x.detach().numpy()))
    z = tp.arange(6, device="cuda").reshape(2, 3)
    np.testing.assert_array_equal(z.cpu().numpy(), np.arange(6).reshape(2, 3))
    np.testing.assert_array_equal(z.to(backend="numpy").numpy(), z.numpy())


def test_dlpack_from_pytorch_cuda(gpu: Any) -> None:
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("PyTorch has no CUDA here")
    from tensorplug_cupy._backend import _from_foreign

    t = torch.arange(4.0, device="cuda")
    a = _from_foreign(gpu, 0, t)
    t += 1  # the moved array is a copy, as a transfer must be
    np.testing.assert_array_equal(gpu.asnumpy(a), [0.0, 1.0, 2.0, 3.0])


def test_index_gradient_with_repeated_indices(gpu: Any) -> None:
    x = tp.zeros(5, device="cuda", requires_grad=True)
    x[tp.tensor([1, 1, 4, 1], device="cuda")].sum().backward()
    assert x.grad.tolist() == [0.0, 3.0, 0.0, 0.0, 1.0]


def test_manual_seed_reproduces(gpu: Any) -> None:
    tp.manual_seed(11)
    a = tp.randn(1000, device="cuda")
    u = tp.rand(10, device="cuda", dtype=tp.float16)
    tp.manual_seed(11)
    assert tp.randn(1000, device="cuda").tolist() == a.tolist()
    assert tp.rand(10, device="cuda", dtype=tp.float16).tolist() == u.tolist()
    assert abs(a.mean().item()) < 0.2 and 0.8 < a.std().item() < 1.2
    r = tp.randint(0, 3, (1000,), device="cuda")
    assert set(r.tolist()) == {0, 1, 2} and r.dtype is tp.int64


def test_memory_statistics_and_synchronize(gpu: Any) -> None:
    tp.cuda.synchronize()
    before = tp.cuda.memory_allocated()
    tp.cuda.reset_peak_memory_stats()
    x = tp.zeros(1 << 20, device="cuda")  # 4 MiB
    tp.cuda.synchronize()
    assert tp.cuda.memory_allocated() >= before + 4 * 2**20
    assert tp.cuda.max_memory_allocated() >= tp.cuda.memory_allocated()
    assert tp.cuda.memory_reserved() >= tp.cuda.memory_allocated()
    del x
    assert tp.cuda.memory_allocated() == before
    assert tp.cuda.max_memory_allocated() >= before + 4 * 2**20


def test_mixing_cpu_and_gpu_names_both(gpu: Any) -> None:
    with pytest.raises(RuntimeError, match=r"add\(\).*cpu \(numpy\) and cuda:0 \(cupy\)"):
        tp.ones(2) + tp.ones(2, device="cuda")


def test_second_gpu(gpu: Any) -> None:
    if tp.cuda.device_count() < 2:
        pytest.skip(f"needs two GPUs; {tp.cuda.device_count()} visible")
    x = tp.arange(4.0, device="cuda:1", requires_grad=True)
    y = (x * x + x.exp()).sum()
    assert y._data.device.id == 1
    y.backward()
    assert x.grad._data.device.id == 1 and x.grad.device == tp.device("cuda:1")
    np.testing.assert_allclose(x.grad.tolist(), 2 * np.arange(4.0) + np.exp(np.arange(4.0)),
                               rtol=1e-5)  # fmt: skip
    moved = x.detach().to("cuda:0")
    assert moved._data.device.id == 0 and moved.tolist() == x.tolist()
    with pytest.raises(RuntimeError, match=r"cuda:1 \(cupy\) and cuda:0 \(cupy\)"):
        x + moved
    tp.cuda.synchronize(1)
