"""tensorplug.distributed and DistributedDataParallel under ``mpiexec -n 2`` and ``-n 4``:
each test starts one MPI job running checks of ``support/distributed_checks.py`` on every rank
(collectives against NumPy references for every op and dtype, DDP against one process on the
whole batch, no_sync, faults). Needs mpi4py and an MPI (``pip install "tensorplug[mpi]"``):
without them the tests skip, except with ``TENSORPLUG_REQUIRE_MPI=1`` (the nox session
``distributed`` sets it), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

SUPPORT = Path(__file__).resolve().parents[1] / "support"


def _mpiexec() -> str:
    here = Path(sys.executable).parent / "mpiexec"
    found = str(here) if here.exists() else shutil.which("mpiexec")
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        found = None
    if found is None:
        if os.environ.get("TENSORPLUG_REQUIRE_MPI") == "1":
            pytest.fail(
                'TENSORPLUG_REQUIRE_MPI=1 but mpi4py or mpiexec is missing: pip install "tensorplug[mpi]"'  # noqa: E501
            )
        pytest.skip('needs mpi4py and mpiexec: pip install "tensorplug[mpi]"')
    return found


def run(n: int, *checks: str, env: dict[str, str] | None = None, timeout: float = 240) -> Any:
    """``mpiexec -n n python distributed_checks.py checks...``: its result and seconds."""
    full = {**os.environ, "PYTHONPATH": str(SUPPORT), **(env or {})}
    full.setdefault("CHECK_TMP", os.environ.get("TMPDIR", "/tmp"))
    cmd = [_mpiexec(), "-n", str(n), sys.executable, str(SUPPORT / "distributed_checks.py")]
    start = time.perf_counter()
    out = subprocess.run([*cmd, *checks], capture_output=True, text=True, timeout=timeout, env=full)
    return out, time.perf_counter() - start


def passed(out: Any, *checks: str) -> None:
    assert out.returncode == 0, out.stdout + out.stderr
    assert [line for line in out.stdout.splitlines() if line.startswith("OK")] == [
        f"OK {c}" for c in checks
    ]


@pytest.mark.parametrize("n", [2, 4])
def test_collectives_match_numpy(n: int, tmp_path: Path) -> None:
    checks = (
        "all_reduce_and_reduce",
        "data_movement",
        "reduce_scatter",
        "async_p2p_objects_groups",
    )
    out, _ = run(n, *checks, env={"CHECK_TMP": str(tmp_path)})
    passed(out, *checks)


@pytest.mark.parametrize("n", [2, 4])
def test_ddp_equals_one_process_on_the_whole_batch(n: int, tmp_path: Path) -> None:
    checks = ("ddp_equivalence", "ddp_overlaps_backward", "ddp_no_sync_and_state", "ddp_errors")
    out, _ = run(n, *checks, env={"CHECK_TMP": str(tmp_path)})
    passed(out, *checks)


def test_shape_mismatch_named_under_debug_detail() -> None:
    out, _ = run(2, "debug_mismatch", env={"TENSORPLUG_DISTRIBUTED_DEBUG": "DETAIL"})
    passed(out, "debug_mismatch")


@pytest.mark.parametrize(
    ("check", "says"),
    [
        ("raise_on_rank_1", "uncaught ValueError on rank 1; aborting the job"),
        ("timeout", "timed out after 1 s"),
        ("killed_rank", "Killed (signal 9)"),
    ],
)
def test_a_failing_rank_ends_the_job(check: str, says: str) -> None:
    """The other ranks wait in an all-reduce; the job must end within seconds, not hang."""
    out, seconds = run(3, check, env={"CHECK_TIMEOUT": "1"}, timeout=60)
    assert out.returncode != 0
    assert says in out.stdout + out.stderr
    assert seconds < 30


def test_ddp_digits_example_trains_and_reloads(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    example = SUPPORT.parents[1] / "examples" / "ddp_digits.py"
    cmd = [_mpiexec(), "-n", "2", sys.executable, str(example), "--epochs", "2", "--quiet"]
    out = subprocess.run(
        [*cmd, "--checkpoint-dir", str(tmp_path)], capture_output=True, text=True, timeout=240
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "held-out accuracy" in out.stdout and "on every rank after 2 epochs" in out.stdout
    assert "reloaded on every rank" in out.stdout


STAND_IN = {"CHECK_STAND_IN": "1", "CHECK_DEVICE": "cuda"}
"""CuPy tensors on the CuPy stand-in (tests/support/cupy_stand_in.py), NCCL on MPI
(tests/support/nccl_stand_in.py): the NCCL group's code and the staging of GPU tensors run."""


@pytest.mark.parametrize(
    ("n", "checks"),
    [
        (2, ("all_reduce_and_reduce", "data_movement", "reduce_scatter", "ddp_equivalence",
             "ddp_no_sync_and_state")),
        (4, ("all_reduce_and_reduce", "data_movement", "reduce_scatter")),
    ],
)  # fmt: skip
def test_nccl_group_on_the_stand_in(n: int, checks: tuple[str, ...], tmp_path: Path) -> None:
    env = {**STAND_IN, "CHECK_BACKEND": "nccl", "CHECK_TMP": str(tmp_path)}
    out, _ = run(n, *checks, env=env)
    passed(out, *checks)


def test_gpu_tensors_over_an_mpi_group_are_staged_through_host(tmp_path: Path) -> None:
    checks = ("all_reduce_and_reduce", "data_movement", "reduce_scatter", "ddp_equivalence")
    out, _ = run(2, *checks, env={**STAND_IN, "CHECK_BACKEND": "mpi", "CHECK_TMP": str(tmp_path)})
    passed(out, *checks)


def test_the_run_wrapper_starts_the_processes(tmp_path: Path) -> None:
    _mpiexec()
    script = tmp_path / "hello.py"
    script.write_text(  # a file per rank: mpiexec may interleave the ranks' stdout mid-line
        "import sys, pathlib, tensorplug.distributed as dist\n"
        "dist.init_process_group()\n"
        "r, n = dist.get_rank(), dist.get_world_size()\n"
        "pathlib.Path(sys.argv[1], f'{r}.txt').write_text(f'rank {r} of {n} {sys.argv[2:]}')\n"
    )
    cmd = [sys.executable, "-m", "tensorplug.distributed.run", "-n", "2", str(script)]
    out = subprocess.run(
        [*cmd, str(tmp_path), "--x", "1"], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    said = [(tmp_path / f"{r}.txt").read_text() for r in range(2)]
    assert said == ["rank 0 of 2 ['--x', '1']", "rank 1 of 2 ['--x', '1']"]


@pytest.mark.parametrize("n", [3])
def test_the_same_program_as_pytorch_with_gloo(n: int, tmp_path: Path) -> None:
    """support/distributed_parity.py, written against PyTorch's API, run under mpiexec with
    PyTorch (Gloo) and with tensorplug (MPI): collectives, DDP with and without no_sync and
    the sampler give the same arrays (float64, to 1e-12)."""
    pytest.importorskip("torch")
    script = str(SUPPORT / "distributed_parity.py")
    results = {}
    for lib in ("torch", "tensorplug"):
        path = tmp_path / f"{lib}.npz"
        env = {
            **os.environ,
            "PYTHONPATH": str(SUPPORT),
            "PARITY_PORT": str(29500 + os.getpid() % 400),
        }
        cmd = [_mpiexec(), "-n", str(n), sys.executable, script, lib, str(path)]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env)
        assert out.returncode == 0, out.stdout + out.stderr
        results[lib] = dict(np.load(path))
    theirs, ours = results["torch"], results["tensorplug"]
    assert sorted(theirs) == sorted(ours) and any(k.endswith("param_2.weight") for k in ours)
    for key, expected in theirs.items():
        got = ours[key]
        assert got.dtype == expected.dtype and got.shape == expected.shape, key
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12, err_msg=key)


def test_on_an_immutable_backend(tmp_path: Path) -> None:
    """Collectives and DDP on ``immutable_numpy`` (tests/support): every write into a tensor
    goes through the core's functional path (``_functional_write``), none into its memory."""
    checks = ("all_reduce_and_reduce", "data_movement", "ddp_equivalence", "ddp_no_sync_and_state")
    out, _ = run(2, *checks, env={"CHECK_IMMUTABLE": "1", "CHECK_TMP": str(tmp_path)})
    passed(out, *checks)
