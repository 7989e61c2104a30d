"""Shared benchmark machinery: thread pinning, interleaved timing, ratios, reporting.

Import this module *before* NumPy or PyTorch: BLAS libraries read their thread count from the
environment when they load, so ``--threads N`` (default 1) is applied here, at import time.
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


def _threads_from_argv(argv: Sequence[str]) -> int:
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            return int(argv[i + 1])
        if a.startswith("--threads="):
            return int(a.split("=", 1)[1])
    return int(os.environ.get("TP_BENCH_THREADS", "1"))


__all__ = ["THREADS", "Result", "compare", "np", "setup", "table", "torch", "tp"]

THREADS = _threads_from_argv(sys.argv)
TIMER = time.process_time if "--cpu-time" in sys.argv else time.perf_counter
"""Wall-clock time by default; ``--cpu-time`` counts this process's CPU time instead, which
time spent waiting for a core on a shared machine does not inflate."""
if "numpy" in sys.modules or "torch" in sys.modules:
    raise RuntimeError("import benchmarks/_harness.py before numpy/torch, so thread pins apply")
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):  # fmt: skip
    os.environ[_var] = str(THREADS)

import numpy as np  # noqa: E402 - must follow the environment pins above

import tensorplug as tp  # noqa: E402

try:
    import torch
except ImportError:  # PyTorch is optional: its columns are skipped
    torch = None

try:
    from threadpoolctl import threadpool_info, threadpool_limits
except ImportError:
    threadpool_info = threadpool_limits = None

_LIMITS: Any = None


def setup() -> dict[str, Any]:
    """Pin every thread pool to ``THREADS`` and describe the machine and libraries."""
    global _LIMITS
    if torch is not None:
        torch.set_num_threads(THREADS)
    if threadpool_limits is not None:
        _LIMITS = threadpool_limits(THREADS)
    pools = []
    if threadpool_info is not None:
        pools = [
            f"{p['internal_api']} {p.get('version') or ''} ({p['num_threads']} threads, "
            f"{os.path.basename(p['filepath'])})"
            for p in threadpool_info()
        ]
    env = {
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {_cpu_name()}, {os.cpu_count()} logical CPUs",
        "os": platform.platform(terse=True),
        "numpy": np.__version__,
        "blas": _blas(),
        "thread_pools": pools or ["threadpoolctl not installed: pools unverified"],
        "torch": (
            f"{torch.__version__} ({torch.get_num_threads()} threads)"
            if torch is not None
            else "not installed (pip install torch): skipped"
        ),
        "threads": THREADS,
        "hot_path": _hot_path(),
        "timer": "process CPU time (--cpu-time)"
        if TIMER is time.process_time
        else "wall-clock (perf_counter)",
    }
    return env


def _blas() -> str:
    try:
        b = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{b['name']} {b.get('version', '')}".strip()
    except Exception:  # noqa: BLE001 - informational only
        return "unknown"


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _hot_path() -> str:
    """tensorplug's per-op path: compiled (``_compiled.py``) or pure Python, and why."""
    from tensorplug import _compiled

    status = _compiled.status()
    return "compiled" if status == "on" else f"pure Python ({status})"


def print_env(env: dict[str, Any]) -> None:
    print(f"threads pinned to {env['threads']} (OMP/OpenBLAS/MKL env, threadpoolctl, torch)")
    print(f"  timer   {env['timer']}")
    print(f"  tensorplug hot path: {env['hot_path']}")
    for key in ("machine", "os", "python", "numpy", "blas", "torch"):
        print(f"  {key:7s} {env[key]}")
    for p in env["thread_pools"]:
        print(f"  pool    {p}")


@dataclass
class Result:
    """Per-call timings of one implementation on one workload (seconds)."""

    workload: str
    impl: str
    times: list[float] = field(default_factory=list)
    unit_scale: float = 1.0
    """Divides a time to give the reported unit (e.g. the op count for µs per op)."""

    @property
    def median(self) -> float:
        return statistics.median(self.times) / self.unit_scale

    @property
    def min(self) -> float:
        return min(self.times) / self.unit_scale

    @property
    def max(self) -> float:
        return max(self.times) / self.unit_scale


def compare(
    workload: str,
    impls: dict[str, Callable[[], Any]],
    *,
    inner: int,
    rounds: int,
    warmup: int = 3,
    unit_scale: float = 1.0,
) -> dict[str, Result]:
    """Time each implementation ``rounds`` times, ``inner`` calls per round, interleaved.

    Rounds alternate between implementations (in a rotating order) so drift in the machine's
    speed lands on all of them alike. Garbage collection stays on, as in real use, but a
    collection runs between rounds so one implementation's garbage is not charged to another,
    and one untimed call follows it: the first call after the collection and the switch from
    another implementation runs several times slower (cold caches, an allocator that just
    returned its memory; 390 against 80 µs for tensorplug's W1 step), a cost of the
    harness's own interleaving that a training loop never pays.
    """
    names = list(impls)
    for fn in impls.values():
        for _ in range(warmup):
            fn()
    results = {n: Result(workload, n, unit_scale=unit_scale) for n in names}
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            fn = impls[name]
            gc.collect()
            fn()  # settle after the collection and the switch (see above); not timed
            t0 = TIMER()
            for _ in range(inner):
                fn()
            results[name].times.append((TIMER() - t0) / inner)
    return results


def ratios(results: dict[str, Result], name: str) -> tuple[float | None, float | None]:
    """``name``'s median over hand-written NumPy's and over PyTorch's (None when absent)."""
    me = results[name].median
    np_ = results.get("numpy")
    th = results.get("torch")
    return (me / np_.median if np_ else None, me / th.median if th else None)


def fmt_time(s: float) -> str:
    if s >= 1e-3:
        return f"{s * 1e3:.3f} ms"
    return f"{s * 1e6:.2f} µs"


def _fmt_ratio(r: float | None) -> str:
    return "—" if r is None else f"{r:.2f}x"


def table(rows: list[tuple[str, dict[str, Result]]]) -> str:
    """A Markdown table: one line per (workload, implementation)."""
    lines = [
        "| workload | implementation | median | min | max | / NumPy | / PyTorch |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for label, results in rows:
        for name, r in results.items():
            vs_np, vs_torch = ratios(results, name)
            lines.append(
                f"| {label} | {name} | {fmt_time(r.median)} | {fmt_time(r.min)} | "
                f"{fmt_time(r.max)} | {_fmt_ratio(vs_np)} | {_fmt_ratio(vs_torch)} |"
            )
    return "\n".join(lines)


def common_args(description: str) -> Any:
    import argparse

    p = argparse.ArgumentParser(description=description)
    p.add_argument(
        "--threads",
        type=int,
        default=THREADS,
        help="threads for every BLAS/OpenMP pool and torch (default 1)",
    )
    p.add_argument("--rounds", type=int, default=None, help="timed rounds per implementation")
    p.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run)")
    p.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    p.add_argument(
        "--cpu-time",
        action="store_true",
        help="time with process CPU time instead of wall-clock (for shared machines)",
    )
    return p


def torch_or_none(args: Any) -> Any:
    if torch is None:
        print("PyTorch not installed: its column is skipped (pip install torch==2.13.0)")
        return None
    return None if args.no_torch else torch
