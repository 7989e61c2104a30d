"""The fuzzer's long mode: ``python -m fuzz`` (with ``tests/`` on ``PYTHONPATH``; ``nox -s
fuzz`` sets it).

    python -m fuzz --programs 100000            # per build, compiled and plain modules
    python -m fuzz --minutes 20 --build pure    # the plain modules only, for 20 minutes
    python -m fuzz --start 5000 --programs 1    # one seed again (it prints its shrunk program)

Each build runs in a process of its own (``TENSORPLUG_PURE_PYTHON=1`` picks the plain
modules; a compiled module cannot be unloaded), ``--jobs`` processes per build sharing the
seeds. A process that dies (a crash in compiled code) is reported with the seed it was
running. The exit status is 1 when any program failed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from typing import Any

BUILDS = ("compiled", "pure")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__.split("\n\n")[0])
    p.add_argument("--programs", type=int, help="programs per build (default: 1000)")
    p.add_argument("--minutes", type=float, help="time budget per build, instead of a count")
    p.add_argument("--start", type=int, default=0, help="the first seed (default 0)")
    p.add_argument("--build", choices=[*BUILDS, "both", "current"], default="both")
    p.add_argument("--jobs", type=int, default=1, help="processes per build (default 1)")
    p.add_argument(
        "--worker", type=int, nargs=2, metavar=("INDEX", "STRIDE"), help=argparse.SUPPRESS
    )
    return p.parse_args(argv)


def _worker(args: argparse.Namespace) -> int:
    """Check the seeds ``start + index + k * stride``; print a line per seed and one JSON
    summary line at the end."""
    import torch

    import tensorplug as tp

    from .campaign import campaign

    torch.set_num_threads(1)
    index, stride = args.worker
    count = args.programs if args.programs is not None else (None if args.minutes else 1000)
    stop = None if count is None else args.start + count
    seeds = range(args.start + index, stop if stop is not None else sys.maxsize, stride)

    def progress(seed: int, report: Any) -> None:
        print(f"@{seed}", flush=True)

    def failed(failure: Any) -> None:
        print("!" + json.dumps({"seed": failure.seed, "report": failure.report()}), flush=True)

    report = campaign(seeds, torch, tp, args.minutes, failed, progress)
    summary = {
        "build": tp._compiled.status(),
        "clean": report.clean,
        "failed": [f.seed for f in report.failures],
        "skipped": dict(report.skipped),
        "seconds": round(report.seconds, 1),
    }
    print("=" + json.dumps(summary), flush=True)
    return 1 if report.failures else 0


def _spawn(build: str, index: int, args: argparse.Namespace) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env.pop("TENSORPLUG_PURE_PYTHON", None)
    if build == "pure":
        env["TENSORPLUG_PURE_PYTHON"] = "1"
    cmd = [sys.executable, "-m", "fuzz", "--start", str(args.start)]
    cmd += ["--programs", str(args.programs)] if args.programs is not None else []
    cmd += ["--minutes", str(args.minutes)] if args.minutes is not None else []
    cmd += ["--worker", str(index), str(args.jobs)]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)


def _collect(build: str, proc: subprocess.Popen[str], totals: dict[str, Any]) -> None:
    last, summary = None, None
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("@"):
            last = int(line[1:])
        elif line.startswith("!"):
            print(f"[{build}] " + json.loads(line[1:])["report"], flush=True)
        elif line.startswith("="):
            summary = json.loads(line[1:])
        else:
            print(f"[{build}] {line}", end="", flush=True)
    code = proc.wait()
    if summary is None:
        totals["crashed"].append(f"{build}: exit status {code} while running seed {last}")
        return
    totals["builds"].add(summary["build"])
    totals["clean"] += summary["clean"]
    totals["failed"] += summary["failed"]
    totals["skipped"].update(summary["skipped"])


def _totals() -> dict[str, Any]:
    return {"clean": 0, "failed": [], "crashed": [], "builds": set(), "skipped": Counter()}


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.worker is not None:
        return _worker(args)
    if args.build == "current":
        args.worker = (0, 1)
        return _worker(args)
    builds = BUILDS if args.build == "both" else (args.build,)
    started = time.monotonic()
    totals = {build: _totals() for build in builds}
    # Every process at once (the builds side by side), each read by a thread of its own so
    # that no pipe fills up while another is read.
    readers = []
    for build in builds:
        for j in range(args.jobs):
            proc = _spawn(build, j, args)
            reader = threading.Thread(target=_collect, args=(build, proc, totals[build]))
            reader.start()
            readers.append(reader)
    for reader in readers:
        reader.join()
    status = 0
    for build, t in totals.items():
        ran = t["clean"] + len(t["failed"])
        print(
            f"[{build}] {ran} programs, {t['clean']} clean, "
            f"{len(t['failed'])} failed {sorted(t['failed'])[:50]}, "
            f"crashed: {t['crashed'] or 'none'}; modules: {sorted(t['builds'])}; "
            f"lines left out for known bugs: {dict(t['skipped'])}",
            flush=True,
        )
        status |= bool(t["failed"] or t["crashed"])
    print(f"{time.monotonic() - started:.0f} s", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
