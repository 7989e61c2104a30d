"""One data-parallel program written against PyTorch's distributed API, run under ``mpiexec``
with PyTorch (Gloo) or with tensorplug (MPI): ``python distributed_parity.py torch|tensorplug
OUT.npz``. Rank 0 writes every result (collectives, DDP-trained parameters with and without
``no_sync``, sampler shares) to ``OUT.npz``; tests/distributed compares the two files.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import numpy as np


def _rank_and_size() -> tuple[int, int]:
    """From the launcher's environment (MPICH's PMI, Open MPI's), as PyTorch needs them."""
    for r, s in (("PMI_RANK", "PMI_SIZE"), ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE")):
        if r in os.environ:
            return int(os.environ[r]), int(os.environ[s])
    raise SystemExit("run under mpiexec")


def collectives(lib: Any, dist: Any, rank: int, world: int) -> dict[str, Any]:
    """Each collective on float64 (and int64 for the reductions); Gloo has no all_to_all."""
    out: dict[str, Any] = {}
    base = np.arange(6, dtype=np.float64).reshape(2, 3) + 10 * rank
    for name in ("SUM", "MAX", "MIN", "PRODUCT"):
        for dtype in ("float64", "int64"):
            t = lib.tensor(base.astype(dtype))
            dist.all_reduce(t, op=getattr(dist.ReduceOp, name))
            out[f"all_reduce_{name}_{dtype}"] = t.numpy()
    t = lib.tensor(base)
    dist.broadcast(t, src=world - 1)
    out["broadcast"] = t.numpy()
    gathered = [lib.zeros(2, 3, dtype=lib.float64) for _ in range(world)]
    dist.all_gather(gathered, lib.tensor(base))
    out["all_gather"] = np.stack([g.numpy() for g in gathered])
    into = lib.zeros(2 * world, 3, dtype=lib.float64)
    dist.all_gather_single(into, lib.tensor(base))
    out["all_gather_into_tensor"] = into.numpy()
    rs = lib.zeros(2, 3, dtype=lib.float64)
    dist.reduce_scatter_single(rs, lib.tensor(np.concatenate([base] * world)))
    out["reduce_scatter_tensor"] = rs.numpy()
    t = lib.tensor(base)
    dist.reduce(t, dst=0)
    if rank == 0:  # elsewhere the tensor's content is unspecified (Gloo leaves partial sums)
        out["reduce"] = t.numpy()
    objs: list[Any] = [None] * world
    dist.all_gather_object(objs, {"rank": rank})
    out["all_gather_object"] = np.array([o["rank"] for o in objs])
    return out


def training(lib: Any, dist: Any, rank: int, world: int) -> dict[str, Any]:
    """DDP with SGD (momentum) for 3 steps on this rank's part of each batch, then 2
    micro-batches accumulated under no_sync and one synced step."""
    nn = lib.nn
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2)).double()
    with lib.no_grad():
        for p in model.parameters():  # the same start in both libraries (rank 0's is broadcast)
            p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape)) + rank))
    ddp = nn.parallel.DistributedDataParallel(model)
    opt = lib.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    per = 4
    for step in range(6):
        x = lib.tensor(rng.standard_normal((per * world, 4)))
        y = lib.tensor(rng.standard_normal((per * world, 2)))
        part = slice(rank * per, (rank + 1) * per)
        loss = nn.functional.mse_loss(ddp(x[part]), y[part])
        if 3 <= step < 5:
            with ddp.no_sync():
                loss.backward()
            continue
        loss.backward()
        opt.step()
        opt.zero_grad()
    return {f"param_{n}": p.detach().numpy() for n, p in ddp.module.named_parameters()}


def sampler(lib: Any, world: int, rank: int) -> dict[str, Any]:
    data = importlib.import_module(f"{lib.__name__}.utils.data.distributed")
    s = data.DistributedSampler(range(11), shuffle=False)
    return {"sampler": np.array(list(s))}


def main() -> None:
    which, path = sys.argv[1], sys.argv[2]
    rank, world = _rank_and_size()
    lib = importlib.import_module(which)
    dist = importlib.import_module(f"{which}.distributed")
    if which == "torch":
        port = os.environ.get("PARITY_PORT", "29533")
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                                world_size=world)  # fmt: skip
    else:
        dist.init_process_group("mpi")
    results = {**collectives(lib, dist, rank, world), **training(lib, dist, rank, world)}
    results.update(sampler(lib, world, rank))
    shares: list[Any] = [None] * world
    dist.all_gather_object(shares, results)
    if rank == 0:
        np.savez(
            path, **{f"rank{r}_{k}": v for r, res in enumerate(shares) for k, v in res.items()}
        )
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
