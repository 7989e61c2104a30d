"""Training steps on a GPU, eager and captured, side by side with PyTorch CUDA (issue 21).

For each workload (W1 seed net, W2 medium MLP, the small GPT of ``bench_gpt``, the LSTM of
``bench_lstm``): the median time of one step of tensorplug on CuPy eager and replayed from a
``tp.cuda.graph`` capture, and of PyTorch CUDA eager and ``torch.cuda.graph``-replayed, with
the kernels each launches per step (counted by PyTorch's profiler, whose CUPTI tracing sees
every kernel of the process, CuPy's too). Prints a Markdown table for docs/gpu.md; a step
that cannot be captured gets the reason in its cell. ``benchmarks/gpu_check.py`` runs it.

``--stand-in`` runs everything on the CPU through the CuPy stand-in of the tests (launches
counted by the stand-in), so the script is tested without a GPU
(``tests/backends/test_gpu_steps.py``).

Run: python benchmarks/gpu_steps.py [--quick] [--stand-in] [--workloads W1,W2,GPT,LSTM]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _harness  # noqa: F401 - first: it pins BLAS threads before NumPy loads
import bench_gpt
import numpy as np

import tensorplug as tp

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = ("W1", "W2", "GPT", "LSTM")
Step = Callable[[], Any]


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer rounds")
    p.add_argument("--stand-in", action="store_true", help="the CuPy stand-in, on the CPU")
    p.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated")
    args = p.parse_args(argv)
    args.workloads = [w for w in args.workloads.split(",") if w]
    unknown = sorted(set(args.workloads) - set(WORKLOADS))
    if unknown:
        p.error(f"unknown workloads {', '.join(unknown)} (choose from {', '.join(WORKLOADS)})")
    return args


def use_stand_in() -> Any:
    """The cupy backend on the stand-in of the tests, as ``device="cuda"``."""
    import dataclasses

    sys.path.insert(0, str(ROOT / "tests" / "support"))
    import cupy_stand_in
    import tensorplug_cupy._backend as cb
    from tensorplug._plugins import REGISTRY

    cp = cupy_stand_in.make(devices=1)
    cb._cupy = lambda: cp  # type: ignore[assignment]
    REGISTRY.manager()
    spec = REGISTRY.specs["cupy"]
    REGISTRY.specs["cupy"] = dataclasses.replace(spec, probe=lambda: (True, ""))
    return cupy_stand_in


# -- the steps, written once for both libraries --------------------------------------------


def mlp(lib: Any, sizes: tuple[int, int, int, int], device: str) -> tuple[Step, list[Any]]:
    """W1/W2: ``n x d_in -> hidden -> d_out``, ReLU, summed squared error, SGD by hand."""
    n, d_in, hidden, d_out = sizes
    rng = np.random.default_rng(0)
    f = np.float32
    x, y = rng.standard_normal((n, d_in)).astype(f), rng.standard_normal((n, d_out)).astype(f)
    shapes = {"w1": (d_in, hidden), "b1": (1, hidden), "w2": (hidden, d_out), "b2": (1, d_out)}
    ws = {k: (rng.standard_normal(s) * d_in**-0.5).astype(f) for k, s in shapes.items()}
    w1, b1, w2, b2 = (lib.tensor(ws[k], device=device, requires_grad=True) for k in shapes)
    xs, ys = lib.tensor(x, device=device), lib.tensor(y, device=device)

    def step() -> Any:
        loss = (xs.mm(w1).add(b1).clamp(min=0).mm(w2).add(b2) - ys).pow(2).sum()
        loss.backward()
        with lib.no_grad():
            for p in (w1, b1, w2, b2):
                p.sub_(1e-4 * p.grad)
                p.grad.zero_()
        return loss

    return step, [xs, ys]


def gpt(lib: Any, device: str, capturable: bool) -> tuple[Step, list[Any]]:
    """``bench_gpt``'s small GPT with AdamW (``capturable`` for a captured step)."""
    layers, heads, width, context, batch = 2, 4, 32, 16, 16
    lib.manual_seed(0)
    net = bench_gpt.model(lib, layers, heads, width, context).to(device)
    opt = lib.optim.AdamW(net.parameters(), lr=1e-3, capturable=capturable)
    tokens = np.random.default_rng(0).integers(0, bench_gpt.VOCAB, (batch, context + 1))
    idx, targets = (lib.tensor(t, device=device) for t in (tokens[:, :-1], tokens[:, 1:]))

    def step() -> Any:
        opt.zero_grad(set_to_none=False)
        loss = net(idx, targets)
        loss.backward()
        opt.step()
        return loss

    return step, [idx, targets]


def lstm(lib: Any, device: str) -> tuple[Step, list[Any]]:
    """``bench_lstm``'s step: a 2-layer LSTM of width 256, MSE, SGD by hand."""
    seq, batch, width = 35, 20, 256
    lib.manual_seed(0)
    net = lib.nn.LSTM(width, width, num_layers=2).to(device)
    x = np.random.default_rng(0).standard_normal((seq, batch, width)).astype(np.float32)
    xs = lib.tensor(x, device=device)
    target = lib.zeros(seq, batch, width, device=device)
    params = list(net.parameters())

    def step() -> Any:
        out, _ = net(xs)
        loss = lib.nn.functional.mse_loss(out, target)
        loss.backward()
        with lib.no_grad():
            for p in params:
                p.sub_(p.grad, alpha=1e-3)
                p.grad.zero_()
        return loss

    return step, [xs]


def build(name: str, lib: Any, device: str, capturable: bool = False) -> tuple[Step, list[Any]]:
    if name == "W1":
        return mlp(lib, (100, 3, 32, 1), device)
    if name == "W2":
        return mlp(lib, (4096, 512, 1024, 10), device)
    if name == "GPT":
        return gpt(lib, device, capturable)
    return lstm(lib, device)


LABELS = {
    "W1": "W1 seed net (100x3→32→1, SGD)",
    "W2": "W2 medium MLP (4096x512→1024→10, SGD)",
    "GPT": "GPT small (2 layers, width 32, context 16, AdamW)",
    "LSTM": "LSTM (2x256, seq 35, batch 20, SGD)",
}


# -- capture, timing and counting -----------------------------------------------------------


def captured(lib: Any, step: Step) -> Step:
    """``step`` captured in a CUDA graph after three warm-up steps (PyTorch's recipe: on a
    side stream for PyTorch); the replay."""
    if lib is tp:
        for _ in range(3):
            step()
        g = tp.cuda.CUDAGraph()
        with tp.cuda.graph(g):
            step()
        return g.replay
    side = lib.cuda.Stream()
    side.wait_stream(lib.cuda.current_stream())
    with lib.cuda.stream(side):
        for _ in range(3):
            step()
    lib.cuda.current_stream().wait_stream(side)
    g = lib.cuda.CUDAGraph()
    with lib.cuda.graph(g):
        step()
    return g.replay


def median_time(fn: Step, sync: Callable[[], None], rounds: int, inner: int) -> float:
    for _ in range(3):
        fn()
    sync()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        sync()
        times.append((time.perf_counter() - t0) / inner)
    return statistics.median(times)


def launches(fn: Step, sync: Callable[[], None], stand_in: Any, torch: Any) -> int | None:
    """Kernels one call of ``fn`` launches (a replayed graph counts its kernels on a GPU,
    one launch on the stand-in)."""
    if stand_in is not None:
        with stand_in.launches() as n:
            fn()
        return n.total
    if torch is None or not torch.cuda.is_available():
        return None
    from torch.profiler import ProfilerActivity, profile

    sync()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        fn()
        sync()
    return sum(1 for e in prof.events() if e.device_type.name == "CUDA")


def cell(run: Callable[[], tuple[float, int | None]]) -> str:
    """``time (launches)``, or why there is none."""
    try:
        t, n = run()
    except Exception as e:  # noqa: BLE001 - the table says what could not run, then goes on
        return f"- ({type(e).__name__}: {str(e)[:90]})"
    return f"{t * 1e6:.0f} µs ({'?' if n is None else n})"


def row(name: str, args: argparse.Namespace, stand_in: Any, torch: Any) -> str:
    rounds, inner = (3, 2) if args.quick else (11, 20 if name in ("W1", "W2") else 3)
    tp_sync = tp.cuda.synchronize
    cells = []
    for graphed in (False, True):

        def run_tp(graphed: bool = graphed) -> tuple[float, int | None]:
            step, _ = build(name, tp, "cuda", capturable=graphed)
            fn = captured(tp, step) if graphed else step
            return median_time(fn, tp_sync, rounds, inner), launches(fn, tp_sync, stand_in, torch)

        cells.append(cell(run_tp))
    for graphed in (False, True):

        def run_torch(graphed: bool = graphed) -> tuple[float, int | None]:
            if torch is None or not torch.cuda.is_available():
                raise RuntimeError("PyTorch CUDA is not available")
            step, _ = build(name, torch, "cuda", capturable=graphed)
            fn = captured(torch, step) if graphed else step
            sync = torch.cuda.synchronize
            return median_time(fn, sync, rounds, inner), launches(fn, sync, None, torch)

        cells.append(cell(run_torch))
    return f"| {LABELS[name]} | " + " | ".join(cells) + " | " + ratios(cells) + " |"


def _us(c: str) -> float | None:
    return float(c.split(" µs")[0]) if " µs" in c else None


def ratios(cells: list[str]) -> str:
    """tensorplug eager and graphed over PyTorch eager."""
    tp_e, tp_g, torch_e = _us(cells[0]), _us(cells[1]), _us(cells[2])
    if torch_e is None:
        return "- | -"
    return " | ".join("-" if t is None else f"{t / torch_e:.2f}x" for t in (tp_e, tp_g))


HEADER = (
    "| step | tensorplug eager | tensorplug graphed | PyTorch eager | PyTorch graphed "
    "| tp eager / PyTorch eager | tp graphed / PyTorch eager |\n"
    "|---|---:|---:|---:|---:|---:|---:|"
)


def main(argv: list[str]) -> int:
    args = parse(argv)
    stand_in = use_stand_in() if args.stand_in else None
    try:
        import torch
    except ImportError:
        torch = None
    print("median time per step (kernel launches per step in brackets)\n")
    print(HEADER, flush=True)
    for name in args.workloads:
        print(row(name, args, stand_in, torch), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
