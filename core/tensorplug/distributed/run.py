"""``python -m tensorplug.distributed.run -n 4 script.py [args]``: a thin wrapper around the
MPI launcher (the ``mpiexec`` beside this Python, as ``pip install "tensorplug[mpi]"`` puts
it, else the one on the ``PATH``), for those used to ``torchrun --nproc-per-node``. Anything
more (hosts, binding, Slurm) is the launcher's own business: call ``mpiexec`` or ``srun``
directly (docs/distributed.md)."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path


def launcher() -> str:
    """The ``mpiexec`` to use, or SystemExit saying how to get one."""
    beside = Path(sys.executable).parent / "mpiexec"
    found = str(beside) if beside.exists() else shutil.which("mpiexec")
    if found is None:
        raise SystemExit('no mpiexec found: pip install "tensorplug[mpi]" (or load your MPI)')
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tensorplug.distributed.run", description=__doc__
    )
    parser.add_argument("-n", "--nproc", type=int, default=1, help="number of processes")
    parser.add_argument("script", help="the Python script every process runs")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="the script's arguments")
    args = parser.parse_args(argv)
    if args.nproc < 1:
        parser.error(f"-n must be at least 1, got {args.nproc}")
    cmd = [launcher(), "-n", str(args.nproc), sys.executable, args.script, *args.args]
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    main()
