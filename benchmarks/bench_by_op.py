"""By op: each op's forward + backward on medium inputs, tensorplug beside PyTorch.

Every module in ``benchmarks/by_op/`` defines ``cases()``: a list of ``(label, tensorplug
thunk, torch thunk)``, each thunk running one forward and backward on inputs it built once.
This script imports them all, times each pair interleaved in one process with every thread
pool pinned to one thread (``_harness``: environment, threadpoolctl and
``torch.set_num_threads``), and reports the ratio tensorplug / PyTorch per case (from the
fastest round of each, as ``bench_w3_ops.py`` does: on a shared machine medians swing), and
the median and range of the ratio round by round. A module may also define ``floors()``:
``(label, thunk)`` pairs, the plain NumPy calls a case cannot do without (its matrix
products, its ``take`` and ``np.add.at``), timed in the same rounds.

Run: python benchmarks/bench_by_op.py [--threads 1] [--quick] [--only NAME] [--write]
"""

from __future__ import annotations

import importlib
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _harness as H

HERE = Path(__file__).resolve().parent
Case = tuple[str, Callable[[], object], Callable[[], object]]


def modules(only: str | None = None) -> list[Any]:
    """The modules of ``by_op/``, in name order (``only``: the one of that name)."""
    names = sorted(p.stem for p in (HERE / "by_op").glob("*.py") if not p.stem.startswith("_"))
    if only is not None:
        names = [n for n in names if n == only]
    return [importlib.import_module(f"by_op.{n}") for n in names]


def run(args: Any) -> list[tuple[str, str, dict[str, H.Result]]]:
    """``(module, label, results)`` per case."""
    rounds = int(args.rounds or (3 if args.quick else 11))
    rows = []
    for mod in modules(args.only):
        family = mod.__name__.rsplit(".", 1)[1]
        floors = dict(mod.floors()) if hasattr(mod, "floors") else {}
        for label, ours, theirs in mod.cases():
            impls = {"tensorplug": ours} | ({} if args.no_torch else {"torch": theirs})
            if label in floors:
                impls["numpy"] = floors[label]
            print(f"  {family}: {label}", file=sys.stderr, flush=True)
            rows.append((family, label, H.compare(label, impls, inner=5, rounds=rounds)))
    return rows


def _paired(r: dict[str, H.Result], name: str) -> str:
    """The median and range over rounds of ``name``'s time over PyTorch's in the same round
    (the rounds interleave, so a slow moment of a shared machine lands on both)."""
    if name not in r or "torch" not in r:
        return "—"
    q = sorted(a / b for a, b in zip(r[name].times, r["torch"].times))
    return f"{statistics.median(q):.2f}x ({q[0]:.2f}-{q[-1]:.2f})"


def summary(rows: list[tuple[str, str, dict[str, H.Result]]]) -> str:
    lines = [
        "| family | case (forward + backward) | tensorplug | PyTorch | tensorplug / PyTorch "
        "| per round: median (range) | NumPy floor / PyTorch, per round |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for family, label, r in rows:
        ours = r["tensorplug"].min
        theirs = r["torch"].min if "torch" in r else None
        ratio = "—" if theirs is None else f"{ours / theirs:.2f}x"
        th = "—" if theirs is None else H.fmt_time(theirs)
        lines.append(
            f"| {family} | {label} | {H.fmt_time(ours)} | {th} | {ratio} "
            f"| {_paired(r, 'tensorplug')} | {_paired(r, 'numpy')} |"
        )
    return "\n".join(lines)


def main() -> None:
    p = H.common_args(__doc__)
    p.add_argument("--only", help="run one module of by_op/ (its name without .py)")
    p.add_argument("--write", action="store_true", help="update the By op table in performance.md")
    args = p.parse_args()
    env = H.setup()
    H.print_env(env)
    if H.torch is None or args.no_torch:
        print("without PyTorch there are no ratios to report", file=sys.stderr)
    text = summary(run(args))
    print(text)
    if args.write:
        from run_all import write_doc

        flags = " ".join(a for a in sys.argv[1:] if a != "--write")
        command = f"python benchmarks/bench_by_op.py --write {flags}".strip()
        rounds = int(args.rounds or (3 if args.quick else 11))
        head = (
            f"Command: `{command}`; time per forward + backward, fastest of {rounds} rounds "
            f"of 5 calls each; threads: {env['threads']}; timer: {env['timer']}\n\n"
            f"- machine: {env['machine']}; NumPy {env['numpy']} ({env['blas']}), PyTorch "
            f"{env['torch']}; tensorplug's hot path: {env['hot_path']}"
        )
        write_doc(f"{head}\n\n{text}", "byop")


if __name__ == "__main__":
    main()
