"""tensorplug.distributed on this machine: all-reduce bandwidth against message size for 1, 2
and 4 ranks beside MPI's own (mpi4py's buffer ``Allreduce`` on NumPy arrays: the physical
limit here), the cost of TENSORPLUG_DISTRIBUTED_DEBUG=DETAIL's check, and
DistributedDataParallel's training throughput with its per-bucket compute/communication split.

Run: python benchmarks/bench_distributed.py [--ranks 1 2 4] [--quick]
(it starts ``mpiexec -n N`` itself; results and the scaling model: docs/performance.md,
"Data-parallel training (issue 20)").
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

SIZES = [2**k for k in (10, 12, 14, 16, 18, 20, 22)]  # float32 elements: 4 KiB .. 16 MiB


def _best(fn, reps: int) -> float:
    """Median seconds per call over ``reps`` calls (after one warm-up), all ranks in step."""
    from mpi4py import MPI

    fn()
    times = []
    for _ in range(reps):
        MPI.COMM_WORLD.Barrier()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times = MPI.COMM_WORLD.allreduce(sorted(times)[len(times) // 2], op=MPI.MAX)
    return float(times)


def worker(quick: bool) -> None:
    import numpy as np
    from mpi4py import MPI

    import tensorplug as tp
    import tensorplug.distributed as dist

    dist.init_process_group("mpi")
    comm = MPI.COMM_WORLD
    rows = []
    for n in SIZES[: 5 if quick else None]:
        reps = max(3, min(200, 2**22 // n))
        arr = np.ones(n, np.float32)
        t = tp.ones(n)
        mpi_s = _best(lambda: comm.Allreduce(MPI.IN_PLACE, arr), reps)  # noqa: B023
        tp_s = _best(lambda: dist.all_reduce(t), reps)  # noqa: B023
        rows.append({"elements": n, "mpi_s": mpi_s, "tp_s": tp_s})
    group = dist.new_group()
    assert group is not None
    group.check = True  # as under TENSORPLUG_DISTRIBUTED_DEBUG=DETAIL
    small = tp.ones(1024)
    detail_s = _best(lambda: dist.all_reduce(small, group=group), 100)
    plain_s = _best(lambda: dist.all_reduce(small), 100)
    ddp = ddp_throughput(quick)
    if comm.Get_rank() == 0:
        print(json.dumps({"ranks": comm.Get_size(), "allreduce": rows, "ddp": ddp,
                          "detail_s": detail_s, "plain_small_s": plain_s}))  # fmt: skip
    dist.destroy_process_group()


def ddp_throughput(quick: bool) -> dict[str, float]:
    """An MLP (784-1024-1024-10, 1.9 M parameters, float32) at a fixed global batch of 256:
    seconds per step with DDP, the same step's compute alone (no_sync) and the bucket count."""
    import numpy as np

    import tensorplug as tp
    import tensorplug.distributed as dist
    from tensorplug import nn, optim
    from tensorplug.nn.parallel import DistributedDataParallel

    world = dist.get_world_size()
    tp.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(),
                          nn.Linear(1024, 10))  # fmt: skip
    ddp = DistributedDataParallel(model)
    opt = optim.SGD(ddp.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(0)
    x = tp.tensor(rng.standard_normal((256 // world, 784)).astype("float32"))
    y = tp.tensor(rng.integers(0, 10, 256 // world))
    loss_fn = nn.CrossEntropyLoss()

    def step() -> None:
        opt.zero_grad()
        loss_fn(ddp(x), y).backward()
        opt.step()

    def local_step() -> None:
        opt.zero_grad()
        with ddp.no_sync():
            loss_fn(ddp(x), y).backward()
        opt.step()

    reps = 3 if quick else 10
    return {"step_s": _best(step, reps), "compute_s": _best(local_step, reps),
            "buckets": len(ddp.reducer.buckets),
            "grad_bytes": sum(p.numel() * 4 for p in model.parameters())}  # fmt: skip


def _cell(seconds: float, bus_bytes: float, ranks: int) -> str:
    gb = f" ({bus_bytes / seconds / 1e9:.2f} GB/s)" if ranks > 1 else ""
    return f"{seconds * 1e6:.0f} us{gb}"


def _cell(seconds: float, bus_bytes: float, ranks: int) -> str:
    gb = f" ({bus_bytes / seconds / 1e9:.2f} GB/s)" if ranks > 1 else ""
    return f"{seconds * 1e6:.0f} us{gb}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.quick)
        return
    mpiexec = Path(sys.executable).parent / "mpiexec"
    results = []
    for n in args.ranks:
        cmd = [str(mpiexec if mpiexec.exists() else "mpiexec"), "-n", str(n), sys.executable,
               __file__, "--worker"] + (["--quick"] if args.quick else [])  # fmt: skip
        env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print("All-reduce of float32, median per call; GB/s = bus bandwidth 2(N-1)/N x bytes / time")
    print("| elements | bytes | " + " | ".join(
        f"{r['ranks']} ranks: MPI | tensorplug" for r in results) + " |")  # fmt: skip
    for i, row in enumerate(results[0]["allreduce"]):
        cells = []
        for r in results:
            x = r["allreduce"][i]
            bus = 2 * (r["ranks"] - 1) / r["ranks"] * 4 * x["elements"]
            cells.append(f"{_cell(x['mpi_s'], bus, r['ranks'])} | "
                         f"{_cell(x['tp_s'], bus, r['ranks'])}")  # fmt: skip
        print(f"| {row['elements']} | {4 * row['elements']} | " + " | ".join(cells) + " |")
    print("\nDDP, MLP 784-1024-1024-10 (1.9 M parameters), global batch 256, SGD momentum")
    print("| ranks | step | compute alone (no_sync) | samples/s | buckets | DETAIL check |")
    for r in results:
        d = r["ddp"]
        print(f"| {r['ranks']} | {d['step_s'] * 1e3:.1f} ms | {d['compute_s'] * 1e3:.1f} ms | "
              f"{256 / d['step_s']:.0f} | {d['buckets']} | "
              f"{r['detail_s'] * 1e6:.0f} us vs {r['plain_small_s'] * 1e6:.0f} us |")  # fmt: skip


if __name__ == "__main__":
    main()
