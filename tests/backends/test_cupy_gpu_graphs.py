"""Issue 21 on a real GPU: the fused kernels' CUDA source compiled by CuPy and checked
against the formulas they replace, and a training step captured in a CUDA graph and replayed.
Skips without a GPU (fails with ``TENSORPLUG_REQUIRE_GPU=1``: ``benchmarks/gpu_check.py``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import test_cupy_gpu
from test_cupy_fused import fused_arrays, fused_calls

import tensorplug as tp
import tensorplug.nn.functional as F
from graph_training import train
from tensorplug.plugins import default_kernels

pytestmark = pytest.mark.gpu
gpu = test_cupy_gpu.gpu  # the fixture: skips (or fails) without a GPU


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(fused_calls(fused_arrays(np))))
def test_each_compiled_kernel_is_its_formula(gpu: Any, name: str, dtype: Any) -> None:
    be = tp.get_backend("cupy")
    kernel = name.split("/")[0]
    args = fused_calls(fused_arrays(gpu, dtype))[name]
    got = getattr(be.k, kernel)(*args)
    want = default_kernels(be)[kernel](*args)
    rtol = (2e-7 if name in ("gelu_backward", "gelu") else 1e-12) if dtype is np.float64 else 2e-5
    np.testing.assert_allclose(gpu.asnumpy(got), gpu.asnumpy(want), rtol=rtol, atol=1e-6 * rtol)
    assert got.dtype == dtype


def _w1(steps: int, graphed: bool) -> list[Any]:
    rng = np.random.default_rng(0)
    ps = [tp.nn.Parameter(tp.tensor(rng.standard_normal(s), device="cuda"))
          for s in ((3, 8), (8,), (8, 1), (1,))]  # fmt: skip
    opt = tp.optim.AdamW(ps, lr=1e-2, capturable=True)
    data = [(rng.standard_normal((16, 3)), rng.standard_normal((16, 1))) for _ in range(steps)]
    sx, sy = (
        tp.zeros(16, 3, dtype=tp.float64, device="cuda"),
        tp.zeros(16, 1, dtype=tp.float64, device="cuda"),
    )

    def step() -> Any:
        w1, b1, w2, b2 = ps
        loss = F.mse_loss(F.gelu(sx @ w1 + b1) @ w2 + b2, sy)
        loss.backward()
        opt.step()
        return loss

    def load(x: Any, y: Any) -> None:
        sx.copy_(tp.tensor(x, device="cuda"))
        sy.copy_(tp.tensor(y, device="cuda"))

    train(step, opt, data, load, graphed, warmup=3)
    return [p.detach().cpu().numpy() for p in ps]


def test_a_captured_step_replays_the_eager_step(gpu: Any) -> None:
    for a, b in zip(_w1(8, False), _w1(8, True), strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-10)


def test_a_host_copy_in_a_capture_is_refused(gpu: Any) -> None:
    x = tp.ones(4, device="cuda")
    refused = pytest.raises(RuntimeError, match=r"to_host: cannot be captured")
    with refused, tp.cuda.graph(tp.cuda.CUDAGraph()):
        (x * 2).sum().item()
    refused = pytest.raises(RuntimeError, match=r"cannot be captured in a CUDA graph")
    with refused, tp.cuda.graph(tp.cuda.CUDAGraph()):
        tp.nonzero(x)
