"""Checks run on every rank under ``mpiexec -n N`` by tests/distributed (not a test module):
``python distributed_checks.py NAME ...`` runs the named checks in one job and prints
``OK NAME`` from rank 0 after each; any failure raises, which aborts the job.

References are NumPy's: every rank's input is a function of its rank, so each rank computes
what every collective must give.
"""

from __future__ import annotations

import datetime
import os
import sys
import time

import numpy as np

import tensorplug as tp
import tensorplug.distributed as dist
from tensorplug import nn, optim
from tensorplug.nn.parallel import DistributedDataParallel as DDP  # noqa: N817 - as PyTorch users

DEVICE = os.environ.get("CHECK_DEVICE", "cpu")
BACKEND = os.environ.get("CHECK_BACKEND", "mpi")

DTYPES = ["bool", "int32", "int64", "float16", "float32", "float64"]
OPS = ["SUM", "AVG", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR"]


def data(rank: int, dtype: str, shape: tuple[int, ...] = (2, 3)) -> np.ndarray:
    """Rank ``rank``'s input: small integers, exact in every dtype."""
    rng = np.random.default_rng(100 + rank)
    values = rng.integers(0 if dtype == "bool" else -3, 2 if dtype == "bool" else 4, shape)
    return values.astype(dtype)


def tensor(a: np.ndarray) -> tp.Tensor:
    return tp.tensor(a.copy(), device=DEVICE)


def refused(op: str, dtype: str) -> bool:
    """NCCL has no bitwise reductions (bool's and/or are its min/max)."""
    bitwise = op in ("BAND", "BOR", "BXOR")
    return BACKEND == "nccl" and bitwise and (dtype != "bool" or op == "BXOR")


def reference(op: str, arrays: list[np.ndarray]) -> np.ndarray | None:
    """The reduction of ``arrays`` under ``op``, or None where it is refused for the dtype."""
    a, kind = np.stack(arrays), arrays[0].dtype.kind
    if kind == "b":
        table = {"SUM": np.any, "PRODUCT": np.all, "MIN": np.all, "MAX": np.any,
                 "BAND": np.all, "BOR": np.any}  # fmt: skip
        if op == "BXOR":
            return np.logical_xor.reduce(a, axis=0)
        return None if op == "AVG" else table[op](a, axis=0)
    if kind == "f" and op in ("BAND", "BOR", "BXOR"):
        return None
    bitwise = {"BAND": np.bitwise_and, "BOR": np.bitwise_or, "BXOR": np.bitwise_xor}
    if op in bitwise:
        return bitwise[op].reduce(a, axis=0)
    if op == "AVG":
        s = a.sum(axis=0, dtype=a.dtype)
        return s / len(arrays) if kind == "f" else s // len(arrays)
    f = {"SUM": np.sum, "PRODUCT": np.prod, "MIN": np.min, "MAX": np.max}[op]
    return f(a, axis=0).astype(a.dtype)


def same(t: tp.Tensor, ref: np.ndarray, what: str) -> None:
    got = t.numpy()
    assert got.dtype == ref.dtype and got.shape == ref.shape, (what, got, ref)
    assert np.array_equal(got, ref), (what, got, ref)


def check_all_reduce_and_reduce() -> None:
    r, n = dist.get_rank(), dist.get_world_size()
    for dtype in DTYPES:
        arrays = [data(q, dtype) for q in range(n)]
        for op in OPS:
            ref = None if refused(op, dtype) else reference(op, arrays)
            t = tensor(arrays[r])
            if ref is None:
                try:
                    dist.all_reduce(t, op=getattr(dist.ReduceOp, op))
                except RuntimeError as e:
                    assert "Cannot use ReduceOp" in str(e), e
                    continue
                raise AssertionError(f"all_reduce {op} on {dtype} was not refused")
            dist.all_reduce(t, op=getattr(dist.ReduceOp, op))
            same(t, ref, f"all_reduce {op} {dtype}")
            t = tensor(arrays[r])
            dist.reduce(t, dst=n - 1, op=getattr(dist.ReduceOp, op))
            same(t, ref if r == n - 1 else arrays[r], f"reduce {op} {dtype}")
    # A strided view is reduced through a contiguous copy and written back.
    base = tp.arange(8.0, device=DEVICE) * (r + 1)
    dist.all_reduce(base[::2])
    total = n * (n + 1) // 2
    assert base.tolist() == [float(i * (total if i % 2 == 0 else r + 1)) for i in range(8)]


def check_data_movement() -> None:
    r, n = dist.get_rank(), dist.get_world_size()
    for dtype in DTYPES:
        arrays = [data(q, dtype) for q in range(n)]
        t = tensor(arrays[r])
        dist.broadcast(t, src=n - 1)
        same(t, arrays[n - 1], f"broadcast {dtype}")
        outs = [tensor(np.zeros((2, 3), dtype)) for _ in range(n)]
        dist.all_gather(outs, tensor(arrays[r]))
        for q in range(n):
            same(outs[q], arrays[q], f"all_gather {dtype}")
        out = tensor(np.zeros((2 * n, 3), dtype))
        dist.all_gather_into_tensor(out, tensor(arrays[r]))
        same(out, np.concatenate(arrays), f"all_gather_into_tensor {dtype}")
        gathered = [tensor(np.zeros((2, 3), dtype)) for _ in range(n)] if r == 0 else None
        dist.gather(tensor(arrays[r]), gathered, dst=0)
        if r == 0:
            for q in range(n):
                same(gathered[q], arrays[q], f"gather {dtype}")
        t = tensor(np.zeros((2, 3), dtype))
        pieces = [tensor(data(10 + q, dtype)) for q in range(n)] if r == 1 else None
        dist.scatter(t, pieces, src=1)
        same(t, data(10 + r, dtype), f"scatter {dtype}")
        ins = [tensor(data(20 + 10 * r + q, dtype)) for q in range(n)]
        outs = [tensor(np.zeros((2, 3), dtype)) for _ in range(n)]
        dist.all_to_all(outs, ins)
        for q in range(n):
            same(outs[q], data(20 + 10 * q + r, dtype), f"all_to_all {dtype}")


def check_reduce_scatter() -> None:
    r, n = dist.get_rank(), dist.get_world_size()
    for dtype in DTYPES:
        for op in ("SUM", "MAX", "MIN"):
            chunks = [[data(30 + 10 * q + c, dtype) for c in range(n)] for q in range(n)]
            ref = reference(op, [chunks[q][r] for q in range(n)])
            out = tensor(np.zeros((2, 3), dtype))
            dist.reduce_scatter(out, [tensor(c) for c in chunks[r]], op=getattr(dist.ReduceOp, op))
            same(out, ref, f"reduce_scatter {op} {dtype}")
            out = tensor(np.zeros((2, 3), dtype))
            dist.reduce_scatter_tensor(
                out, tensor(np.concatenate(chunks[r])), op=getattr(dist.ReduceOp, op)
            )
            same(out, ref, f"reduce_scatter_tensor {op} {dtype}")


def check_async_p2p_objects_groups() -> None:
    r, n = dist.get_rank(), dist.get_world_size()
    works = [dist.all_reduce(tp.full((4,), float(r + k)), async_op=True) for k in range(3)]
    assert all(w.wait() for w in works) and all(w.is_completed() for w in works)
    t = tp.full((5,), float(r))
    work = dist.all_reduce(t, async_op=True)
    work.wait()
    assert t.tolist() == [float(n * (n - 1) // 2)] * 5
    if r == 0:
        for q in range(1, n):
            dist.send(tp.full((3,), float(q)), dst=q, tag=7)
    else:
        got = tp.zeros(3)
        assert dist.recv(got, src=0, tag=7) == 0 and got.tolist() == [float(r)] * 3
    objs: list = [None] * n
    dist.all_gather_object(objs, {"rank": r, "name": f"r{r}"})
    assert objs == [{"rank": q, "name": f"r{q}"} for q in range(n)]
    lst = [r, "x"] if r == 0 else [None, None]
    dist.broadcast_object_list(lst, src=0)
    assert lst == [0, "x"]
    evens = dist.new_group([q for q in range(n) if q % 2 == 0])
    if r % 2 == 0:
        t = tp.ones(2)
        dist.all_reduce(t, group=evens)
        assert t.tolist() == [float((n + 1) // 2)] * 2 and dist.get_rank(evens) == r // 2
    else:
        assert evens is None
    dist.barrier()


class _WithUnused(nn.Module):
    def __init__(self, body: nn.Module) -> None:
        super().__init__()
        self.body = body
        self.extra = nn.Linear(3, 3).double()  # never called in forward

    def forward(self, x: tp.Tensor) -> tp.Tensor:
        return self.body(x)


def _model(seed: int = 0, unused: bool = False) -> nn.Module:
    tp.manual_seed(seed + dist.get_rank() * 1000)  # different per rank: DDP broadcasts rank 0's
    layers = [nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 3)]
    model = nn.Sequential(*layers).double()
    return (_WithUnused(model) if unused else model).to(DEVICE)


def _batches(steps: int, size: int = 24) -> list[tuple[tp.Tensor, tp.Tensor]]:
    rng = np.random.default_rng(5)
    return [
        (
            tp.tensor(rng.standard_normal((size, 6)), device=DEVICE),
            tp.tensor(rng.standard_normal((size, 3)), device=DEVICE),
        )
        for _ in range(steps)
    ]


def _equivalence(make_opt, bucket_cap_mb: float, unused: bool = False) -> None:
    """DDP on 1/N of each batch per rank == one process on the whole batch, to 1e-12."""
    r, n = dist.get_rank(), dist.get_world_size()
    single = _model(unused=unused)
    tp.manual_seed(0)
    ref = _model(unused=unused)
    ref.load_state_dict(_rank0_state(single))
    ddp = DDP(single, bucket_cap_mb=bucket_cap_mb, find_unused_parameters=unused)
    opt_ref, opt = make_opt(ref.parameters()), make_opt(ddp.parameters())
    for x, y in _batches(4):
        opt_ref.zero_grad()
        nn.functional.mse_loss(ref(x), y).backward()
        opt_ref.step()
        part = slice(r * len(x) // n, (r + 1) * len(x) // n)
        opt.zero_grad()
        nn.functional.mse_loss(ddp(x[part]), y[part]).backward()
        opt.step()
    for (name, a), b in zip(ref.named_parameters(), ddp.module.parameters()):
        err = float((a - b).abs().max())
        assert err < 1e-12, (name, err)
    if unused:
        assert ddp.module.extra.weight.grad is None


def _rank0_state(model: nn.Module) -> dict:
    state = [{k: v.numpy() for k, v in model.state_dict().items()}]
    dist.broadcast_object_list(state, src=0)
    return {k: tp.tensor(v, device=DEVICE) for k, v in state[0].items()}


def check_ddp_equivalence() -> None:
    sgd = lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9)  # noqa: E731
    adam = lambda ps: optim.Adam(ps, lr=0.01)  # noqa: E731
    _equivalence(sgd, bucket_cap_mb=25)  # one bucket
    _equivalence(sgd, bucket_cap_mb=0.0005)  # a bucket per parameter or two
    _equivalence(adam, bucket_cap_mb=0.001)
    _equivalence(sgd, bucket_cap_mb=0.001, unused=True)


def check_ddp_overlaps_backward() -> None:
    """A bucket of the last layers is all-reduced before backward reaches the first layer."""
    ddp = DDP(_model(), bucket_cap_mb=0.0005)
    first = ddp.module[0].weight  # the last gradient backward computes
    launched: list[int] = []
    first.register_hook(lambda g: launched.append(len(ddp.reducer.works)))
    x, y = _batches(1)[0]
    nn.functional.mse_loss(ddp(x), y).backward()
    assert len(ddp.reducer.buckets) >= 3 and launched and launched[0] >= 2, launched
    assert ddp.reducer.works == []  # all waited for and written back when backward returned


def check_ddp_no_sync_and_state() -> None:
    """Two micro-batches under no_sync then one synced == the average over all three."""
    r, n = dist.get_rank(), dist.get_world_size()
    ddp = DDP(_model(), bucket_cap_mb=0.001)
    ref = _model()
    ref.load_state_dict(ddp.module.state_dict())
    batches = _batches(3, size=4 * n)
    for i, (x, y) in enumerate(batches):
        part = slice(r * 4, (r + 1) * 4)
        if i < 2:
            with ddp.no_sync():
                nn.functional.mse_loss(ddp(x[part]), y[part]).backward()
            # no communication: this rank's own gradient only
            local = [p.grad.clone() for p in ddp.module.parameters()]
            others = [None] * n
            dist.all_gather_object(others, [g.numpy() for g in local])
            assert any(not np.array_equal(others[0][0], o[0]) for o in others[1:]) or n == 1
        else:
            nn.functional.mse_loss(ddp(x[part]), y[part]).backward()
        nn.functional.mse_loss(ref(x), y).backward()
    for a, b in zip(ref.parameters(), ddp.module.parameters()):
        assert float((a.grad - b.grad).abs().max()) < 1e-12
    assert list(ddp.state_dict()) == ["module." + k for k in ddp.module.state_dict()]
    if r == 0:
        path = os.environ["CHECK_TMP"] + "/ddp.pt"
        tp.save(ddp.module.state_dict(), path)
    dist.barrier()
    loaded = tp.load(os.environ["CHECK_TMP"] + "/ddp.pt")
    assert all(
        np.array_equal(loaded[k].numpy(), v.numpy()) for k, v in ddp.module.state_dict().items()
    )


def check_ddp_errors() -> None:
    ddp = DDP(_model(unused=True), bucket_cap_mb=0.001)  # unused layer, not declared
    x, y = _batches(1)[0]
    nn.functional.mse_loss(ddp(x), y).backward()
    try:
        ddp(x)
    except RuntimeError as e:
        assert "find_unused_parameters=True" in str(e), e
    else:
        raise AssertionError("the unreduced bucket was not reported")
    r = dist.get_rank()
    try:
        DDP(nn.Linear(3, 2 + (r == 1)))
    except RuntimeError as e:
        assert "Rank 0" in str(e) and "Rank 1" in str(e), e
    else:
        raise AssertionError("different models were not reported")


def check_debug_mismatch() -> None:
    """Under TENSORPLUG_DISTRIBUTED_DEBUG=DETAIL a shape mismatch raises on every rank."""
    r = dist.get_rank()
    try:
        dist.all_reduce(tp.ones(3 + r, dtype=tp.float32 if r else tp.float64))
    except RuntimeError as e:
        msg = str(e)
        assert "Rank 0 is running all_reduce with (((3,), 'float64'), 'SUM')" in msg, msg
        assert "Rank 1 is running all_reduce with (((4,), 'float32'), 'SUM')" in msg, msg
    else:
        raise AssertionError("the mismatch was not detected")


def check_raise_on_rank_1() -> None:
    """Rank 1 raises; the others wait in a collective: the job must end, not hang."""
    if dist.get_rank() == 1:
        raise ValueError("deliberate failure on rank 1")
    dist.all_reduce(tp.ones(2))


def check_timeout() -> None:
    """Rank 1 never joins: the others' collective times out (1 s) and aborts the job."""
    if dist.get_rank() == 1:
        time.sleep(60)
    dist.all_reduce(tp.ones(2))


def check_killed_rank() -> None:
    if dist.get_rank() == 1:
        os.kill(os.getpid(), 9)
    dist.all_reduce(tp.ones(2))


def main(names: list[str]) -> None:
    if os.environ.get("CHECK_IMMUTABLE") == "1":  # every tensor on an immutable backend
        import immutable_numpy

        tp.plugins.register(immutable_numpy, "distributed_checks")
        tp.set_backend("immutable_numpy")
        assert tp.ones(1).backend == "immutable_numpy"
    if os.environ.get("CHECK_STAND_IN") == "1":
        import nccl_stand_in  # the NCCL group's code on MPI, CuPy's on NumPy

        nccl_stand_in.install()
    timeout = float(os.environ.get("CHECK_TIMEOUT", "60"))
    dist.init_process_group(BACKEND, timeout=datetime.timedelta(seconds=timeout))
    for name in names:
        globals()[f"check_{name}"]()
        dist.barrier()
        if dist.get_rank() == 0:
            print("OK", name, flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1:])
