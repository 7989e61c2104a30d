"""The one GPU check: run it on a machine with an NVIDIA GPU, CuPy and PyTorch (CUDA).

    python benchmarks/gpu_check.py --out gpu_check.md          # minutes; each step time-limited

Steps, each with its own time limit, each recorded with its command, exit code and output:
  1. the environment: nvidia-smi, versions, ``tp.list_backends()``, the GPUs;
  2. the cupy unit and GPU tests (``TENSORPLUG_REQUIRE_GPU=1``: a missing GPU fails, never skips);
  3. the full conformance suite: ``python -m tensorplug.testing --backend cupy``;
  4. the seed examples with ``--backend cupy`` (and ``numpy``, to compare);
  5. benchmarks: the seed network (W1), the medium MLP (W2) and one small op (W3), as
     hand-written CuPy, tensorplug on CuPy and PyTorch CUDA, timed with a synchronize;
  6. a cProfile of tensorplug's W1 step: where a launch-bound step's time goes;
  7. W1, W2, GPT and LSTM training steps, eager and captured in a CUDA graph, side by side
     with PyTorch CUDA eager and graphed, with kernel launches per step (``gpu_steps.py``);
  8. tensorplug.distributed on the GPU (needs ``tensorplug[mpi]`` and CuPy's NCCL): the
     collectives and DDP checks of tests/distributed on CuPy tensors over an NCCL group (one
     rank: NCCL refuses two ranks on one GPU; every rank with a GPU of its own where there are
     several) and over an MPI group (two ranks, staged through host memory).
The report (Markdown, for docs/gpu.md) goes to ``--out``; full logs beside it in ``NAME.logs/``.
Nothing needs installing: the tree is used in place (``core/``, ``backends/`` on the path, and
a throw-away entry-point record so the cupy plugin is discovered as when installed).
``--backend numpy --device cpu`` runs the same steps on the CPU, to test this script;
``--stand-in`` then runs step 7 on the CuPy stand-in of the tests, which counts the launches
per step as a GPU would launch them (``gpu_steps.py --stand-in``).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib.util import find_spec
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _entry_point_shim() -> str:
    """A directory whose dist-info declares the built-in plugins, for an uninstalled tree."""
    d = Path(tempfile.mkdtemp(prefix="tp-gpu-check-"))
    info = d / "tensorplug_gpu_check_shim-0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tensorplug-gpu-check-shim\n"
                                   "Version: 0\n")  # fmt: skip
    (info / "entry_points.txt").write_text(
        "[tensorplug.backends]\nnumpy = tensorplug_numpy.plugin\ncupy = tensorplug_cupy.plugin\n"
    )
    return str(d)


def _environment() -> dict[str, str]:
    paths = [str(ROOT / "core"), str(ROOT / "backends"), _entry_point_shim()]
    env = os.environ.copy()
    env["PYTHONPATH"] = os.pathsep.join([*paths, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    sys.path[:0] = paths
    return env


class Report:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.logs = out.with_name(out.stem + ".logs")
        self.logs.mkdir(parents=True, exist_ok=True)
        self.parts: list[str] = []
        self.failed: list[str] = []

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.out.write_text("\n".join(self.parts) + "\n")  # written as it goes: a kill keeps it
        print(text, flush=True)

    def run(self, title: str, cmd: list[str], env: dict[str, str], timeout: int,
            tail: int = 25) -> str:  # fmt: skip
        """Run ``cmd``; record the command, exit code, time and the last lines of output."""
        t0 = time.perf_counter()
        try:
            p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                               timeout=timeout)  # fmt: skip
            rc, output = p.returncode, p.stdout + p.stderr
        except subprocess.TimeoutExpired as e:
            out = e.stdout or ""
            rc = 124
            output = (
                out.decode() if isinstance(out, bytes) else out
            ) + f"\n[timed out: {timeout}s]"
        dt = time.perf_counter() - t0
        slug = "".join(c if c.isalnum() else "_" for c in title.lower())[:60]
        (self.logs / f"{slug}.log").write_text(output)
        if rc != 0:
            self.failed.append(title)
        lines = output.strip().splitlines()[-tail:]
        shown = " ".join(
            "<script>" if i and cmd[i - 1] == "-c" else (c if " " not in c else repr(c))
            for i, c in enumerate(cmd)
        ).replace(sys.executable, "python")
        self.add(f"### {title}\n\n`{shown}` → exit {rc} in {dt:.0f} s\n\n```\n"
                 + "\n".join(lines) + "\n```\n")  # fmt: skip
        return output


def environment(rep: Report, env: dict[str, str], backend: str) -> None:
    smi = shutil.which("nvidia-smi")
    if smi:
        rep.run("nvidia-smi", [smi], env, 60, tail=20)
    code = (
        "import platform, numpy, tensorplug as tp\n"
        "print('python', platform.python_version(), '| numpy', numpy.__version__)\n"
        "for b in tp.list_backends():\n"
        "    print(f'{b.name:8} {b.status:12} {b.version:10} {b.device_type:5} {b.reason}')\n"
        "try:\n"
        "    import torch; print('torch', torch.__version__, '| cuda', torch.cuda.is_available())\n"
        "except ImportError: print('torch: not installed')\n"
        f"if {backend == 'cupy'}:\n"
        "    print('tp.cuda.is_available():', tp.cuda.is_available(),\n"
        "          tp.cuda.unavailable_reason())\n"
        "    from tensorplug_cupy.plugin import installed_wheels\n"
        "    print('CuPy wheels:', installed_wheels())\n"
        "    if tp.cuda.is_available():\n"
        "        from tensorplug_cupy._backend import describe_devices\n"
        "        for k, v in describe_devices().items(): print(f'{k}: {v}')\n"
    )
    rep.run("Environment", [sys.executable, "-c", code], env, 120, tail=40)


def tests(rep: Report, env: dict[str, str], backend: str, timeout: int, workers: int) -> None:
    names = ("backend", "probe", "gpu", "fused", "gpu_graphs", "launches")
    files = [f"tests/backends/test_cupy_{name}.py" for name in names]
    files.append("tests/backends/test_cuda_graphs.py")
    e = env | ({"TENSORPLUG_REQUIRE_GPU": "1"} if backend == "cupy" else {})
    # A fresh GPU machine compiles every CuPy kernel once: spread that over processes. Timing
    # plugins (pytest-benchmark) refuse xdist with a warning, which the suite makes an error.
    par = ["-n", str(workers), "-p", "no:benchmark"] if workers and find_spec("xdist") else []
    rep.run("cupy unit and GPU tests", [sys.executable, "-m", "pytest", *files, "-q", "-rs",
                                        "-p", "no:cacheprovider"], e, timeout)  # fmt: skip
    rep.run(f"Conformance suite on {backend}",
            [sys.executable, "-m", "tensorplug.testing", "--backend", backend, "-q", "-rfEX", *par],
            env, timeout, tail=60)  # fmt: skip


def examples(rep: Report, env: dict[str, str], backend: str) -> None:
    for script in ("examples/autograd_tour.py", "examples/two_layer_net.py"):
        if not (ROOT / script).exists():
            continue
        for be in dict.fromkeys((backend, "numpy")):
            rep.run(f"{script} --backend {be}", [sys.executable, script, "--backend", be],
                    env, 180, tail=30)  # fmt: skip


def distributed(rep: Report, env: dict[str, str], timeout: int) -> None:
    """The checks of tests/distributed (support/distributed_checks.py) on real CuPy and NCCL."""
    mpiexec = shutil.which("mpiexec", path=str(Path(sys.executable).parent)) or shutil.which(
        "mpiexec"
    )
    if mpiexec is None or find_spec("mpi4py") is None:
        rep.failed.append("distributed")
        rep.add(
            '### Distributed\n\nnot run: needs mpi4py and mpiexec (pip install "tensorplug[mpi]")\n'
        )
        return
    checks = ["all_reduce_and_reduce", "data_movement", "reduce_scatter", "ddp_equivalence",
              "ddp_no_sync_and_state"]  # fmt: skip
    script = str(ROOT / "tests" / "support" / "distributed_checks.py")
    tmp = tempfile.mkdtemp(prefix="tp-dist-")
    support = str(ROOT / "tests" / "support")
    base = env | {"CHECK_DEVICE": "cuda", "CHECK_TMP": tmp,
                  "PYTHONPATH": env["PYTHONPATH"] + os.pathsep + support}  # fmt: skip
    gpus = _gpu_count(env)
    ranks = str(max(1, gpus))
    rep.run(f"NCCL group, {ranks} rank(s)", [mpiexec, "-n", ranks, sys.executable, script, *checks],
            base | {"CHECK_BACKEND": "nccl"}, timeout, tail=20)  # fmt: skip
    rep.run("MPI group with GPU tensors, 2 ranks", [mpiexec, "-n", "2", sys.executable, script,
            *checks], base | {"CHECK_BACKEND": "mpi"}, timeout, tail=20)  # fmt: skip


def _gpu_count(env: dict[str, str]) -> int:
    code = "import cupy; print(cupy.cuda.runtime.getDeviceCount())"
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    return int(p.stdout.strip() or 0) if p.returncode == 0 else 0


# -- benchmarks -----------------------------------------------------------------------------


def _weights(rng: Any, shapes: dict[str, tuple[int, ...]], scale: dict[str, float]) -> Any:
    import numpy as np

    return {k: (rng.standard_normal(s) * scale.get(k, 1.0)).astype(np.float32)
            for k, s in shapes.items()}  # fmt: skip


def workloads() -> dict[str, dict[str, Any]]:
    import numpy as np

    rng = np.random.default_rng(0)
    w1 = _weights(rng, {"x": (100, 3), "y": (100, 1), "w1": (3, 32), "w2": (32, 1)},
                  {"w1": 0.1, "w2": 0.1})  # fmt: skip
    w2 = _weights(rng, {"x": (4096, 512), "y": (4096, 10), "w1": (512, 1024), "w2": (1024, 10)},
                  {"w1": 512**-0.5, "w2": 1024**-0.5})  # fmt: skip
    for d in (w1, w2):
        d["b1"] = np.zeros((1, d["w1"].shape[1]), np.float32)
        d["b2"] = np.zeros((1, d["w2"].shape[1]), np.float32)
    return {"W1 seed net step (100x3→32→1)": w1, "W2 medium MLP step (4096x512→1024→10)": w2}


def by_hand(xp: Any, d: dict[str, Any]) -> Callable[[], Any]:
    """Forward and backward written out on the array library: the floor."""
    x, y, w1, w2, b1, b2 = (xp.asarray(d[k]) for k in ("x", "y", "w1", "w2", "b1", "b2"))
    lr = xp.float32(1e-4)

    def step() -> Any:
        h = x @ w1
        h += b1
        xp.maximum(h, 0, out=h)
        diff = h @ w2
        diff += b2
        diff -= y
        loss = (diff * diff).sum()
        g = diff * 2
        gw2, gb2 = h.T @ g, g.sum(0, keepdims=True)
        gh = g @ w2.T
        gh *= h > 0
        gw1, gb1 = x.T @ gh, gh.sum(0, keepdims=True)
        for w, gw in ((w1, gw1), (w2, gw2), (b1, gb1), (b2, gb2)):
            gw *= lr
            w -= gw
        return loss

    return step


def framework(lib: Any, d: dict[str, Any], device: str) -> Callable[[], Any]:
    """The seed example's step, written once for tensorplug and PyTorch."""
    x, y = (lib.tensor(d[k], device=device) for k in ("x", "y"))
    params = [lib.tensor(d[k], device=device, requires_grad=True) for k in ("w1", "w2", "b1", "b2")]
    w1, w2, b1, b2 = params

    def step() -> Any:
        loss = (x.mm(w1).add(b1).clamp(min=0).mm(w2).add(b2) - y).pow(2).sum()
        loss.backward()
        with lib.no_grad():
            for p in params:
                p.sub_(1e-4 * p.grad)
                p.grad.zero_()
        return loss

    return step


def small_op(lib: Any, device: str) -> Callable[[], Any]:
    a = lib.ones(100, device=device)
    b = lib.ones(100, device=device)
    return lambda: a + b


def time_interleaved(fns: dict[str, Callable[[], Any]], syncs: dict[str, Callable[[], None]],
                     inner: int, rounds: int) -> dict[str, float]:  # fmt: skip
    """Median seconds per call; implementations alternate within each round."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    for name, fn in fns.items():  # warm-up: kernel compilation, pools, cuBLAS handles
        for _ in range(3):
            fn()
        syncs[name]()
    for _ in range(rounds):
        for name, fn in fns.items():
            sync = syncs[name]
            sync()
            t0 = time.perf_counter()
            for _ in range(inner):
                fn()
            sync()
            times[name].append((time.perf_counter() - t0) / inner)
    return {k: statistics.median(v) for k, v in times.items()}


def benchmarks(rep: Report, backend: str, device: str, quick: bool) -> None:
    import tensorplug as tp

    try:
        import torch
    except ImportError:
        torch = None
    if backend == "cupy":
        import cupy as xp

        xp_sync = xp.cuda.Device().synchronize
        torch_ok = torch is not None and torch.cuda.is_available()
        torch_sync = torch.cuda.synchronize if torch_ok else None
    else:
        import numpy as xp

        def xp_sync() -> None:
            return None

        torch_ok, torch_sync = torch is not None, (lambda: None)

    tp.set_backend(backend)
    tp_sync = tp.cuda.synchronize if device == "cuda" else (lambda: None)
    lib = xp.__name__
    rows = [f"| workload | {lib} by hand | tensorplug ({backend}) | PyTorch ({device}) "
            f"| tensorplug / {lib} | tensorplug / PyTorch |",
            "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    cases: list[tuple[str, dict[str, Callable[[], Any]], int]] = []
    for name, d in workloads().items():
        fns = {"hand": by_hand(xp, d), "tp": framework(tp, d, device)}
        if torch_ok:
            fns["torch"] = framework(torch, d, device)
        cases.append((name, fns, 50 if name.startswith("W1") else 5))
    ones = xp.ones(100, xp.float32)
    small = {"hand": lambda: ones + ones, "tp": small_op(tp, device)}
    if torch_ok:
        small["torch"] = small_op(torch, device)
    cases.append(("W3 one small add (100 elements)", small, 500))
    syncs = {"hand": xp_sync, "tp": tp_sync, "torch": torch_sync or (lambda: None)}
    for name, fns, inner in cases:
        t0 = time.perf_counter()
        res = time_interleaved(fns, syncs, inner, 3 if quick else 11)
        us = {k: f"{v * 1e6:.1f} µs" for k, v in res.items()}
        r_hand = f"{res['tp'] / res['hand']:.2f}x"
        r_torch = f"{res['tp'] / res['torch']:.2f}x" if "torch" in res else "-"
        rows.append(f"| {name} | {us['hand']} | {us['tp']} | {us.get('torch', '-')} "
                    f"| {r_hand} | {r_torch} |")  # fmt: skip
        print(f"{name}: {us} ({time.perf_counter() - t0:.0f} s)", flush=True)
    rep.add("### Benchmarks (median time per step; a synchronize closes each timed round)\n\n"
            + "\n".join(rows) + "\n")  # fmt: skip


def profile(rep: Report, backend: str, device: str, steps: int = 200) -> None:
    """Where a small step's time goes on this backend: cProfile of the W1 step, by own time."""
    import cProfile
    import io
    import pstats

    import tensorplug as tp

    tp.set_backend(backend)
    sync = tp.cuda.synchronize if device == "cuda" else (lambda: None)
    step = framework(tp, next(iter(workloads().values())), device)
    for _ in range(5):
        step()
    sync()
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    for _ in range(steps):
        step()
    sync()
    prof.disable()
    dt = (time.perf_counter() - t0) / steps
    out = io.StringIO()
    pstats.Stats(prof, stream=out).strip_dirs().sort_stats("tottime").print_stats(25)
    lines = [ln for ln in out.getvalue().splitlines() if ln.strip()][2:]
    rep.add(f"### Profile: W1 step on {backend}, {steps} steps ({dt * 1e6:.0f} µs a step "
            "under the profiler)\n\n```\n" + "\n".join(lines) + "\n```\n")  # fmt: skip


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--out", default=os.path.join(os.environ.get("OUT", "."), "gpu_check.md"))
    p.add_argument("--backend", default="cupy")
    p.add_argument("--device", default="cuda")
    p.add_argument("--quick", action="store_true", help="fewer benchmark rounds")
    p.add_argument(
        "--skip",
        default="",
        help="comma-separated: tests,examples,bench,steps,profile,distributed",
    )
    p.add_argument("--timeout", type=int, default=240, help="seconds per test step")
    p.add_argument("--stand-in", action="store_true", help="steps on the CuPy stand-in (CPU)")
    p.add_argument(
        "--workers",
        type=int,
        default=min(8, os.cpu_count() or 1),
        help="conformance suite in this many processes (needs pytest-xdist; 0: one)",
    )
    args = p.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    rep = Report(Path(args.out).resolve())
    env = _environment()
    rep.add(f"## GPU check: backend {args.backend} on {args.device}\n\n"
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.node()}, "
            f"`python benchmarks/gpu_check.py {' '.join(sys.argv[1:])}`\n")  # fmt: skip
    environment(rep, env, args.backend)
    if "tests" not in skip:
        tests(rep, env, args.backend, args.timeout, args.workers)
    if "examples" not in skip:
        examples(rep, env, args.backend)
    if "bench" not in skip:
        try:
            benchmarks(rep, args.backend, args.device, args.quick)
        except Exception as e:  # noqa: BLE001 - the report must say what broke, then go on
            rep.failed.append("benchmarks")
            rep.add(f"### Benchmarks\n\nfailed: {type(e).__name__}: {e}\n")
    if "steps" not in skip and (args.device == "cuda" or args.stand_in):
        flags = [*(["--quick"] if args.quick else []), *(["--stand-in"] if args.stand_in else [])]
        steps_env = env | {"PYTHONPATH": os.pathsep.join([str(ROOT / "tests" / "support"),
                                                          env["PYTHONPATH"]])}  # fmt: skip
        rep.run("Steps eager and graphed (tensorplug and PyTorch)",
                [sys.executable, "benchmarks/gpu_steps.py", *flags],
                steps_env, args.timeout, tail=20)  # fmt: skip
    if "profile" not in skip:
        try:
            profile(rep, args.backend, args.device)
        except Exception as e:  # noqa: BLE001 - as for the benchmarks
            rep.failed.append("profile")
            rep.add(f"### Profile\n\nfailed: {type(e).__name__}: {e}\n")
    if "distributed" not in skip and args.backend == "cupy":
        distributed(rep, env, args.timeout)
    rep.add("**Result: " + ("all steps passed" if not rep.failed else
                            "failed steps: " + ", ".join(rep.failed)) + "**")  # fmt: skip
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
