"""Run every workload (W1-W4) side by side, check the performance targets, and (``--write``)
regenerate the table and chart in ``docs/performance.md``.

Run: python benchmarks/run_all.py [--threads 1] [--quick] [--write]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import _harness as H
import bench_w1_seed as W1
import bench_w2_medium as W2
import bench_w3_overhead as W3
import bench_w4_scaling as W4

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "performance.md"
CHART = ROOT / "docs" / "img" / "benchmark-ratios.png"


def targets(
    rows: dict[str, dict[str, H.Result]], mem: dict[str, int]
) -> list[tuple[str, str, bool | None]]:
    """Each target of issue 5: (description, measured, met); met is None when not measurable."""

    def ratio(label: str, a: str, b: str) -> float | None:
        r = rows[label]
        return r[a].median / r[b].median if a in r and b in r else None

    out = []
    w1 = ratio("W1", "tensorplug", "torch")
    out.append(("W1 step ≤ 0.5 x PyTorch", _r(w1), None if w1 is None else w1 <= 0.5))
    w2 = ratio("W2", "tensorplug", "numpy")
    out.append(("W2 step ≤ 1.05 x hand-written NumPy", _r(w2), w2 <= 1.05))
    fb = ratio("W3 fb", "tensorplug", "torch")
    out.append(
        ("W3 forward+backward per op ≤ 0.6 x PyTorch", _r(fb), None if fb is None else fb <= 0.6)
    )
    fw = ratio("W3 fwd", "tensorplug", "numpy")
    out.append(("W3 forward per op ≤ 3 x bare NumPy call", _r(fw), fw <= 3))
    m = mem["tensorplug"] / mem["numpy"]
    out.append(("W2 peak memory ≤ 1.2 x hand-written NumPy", _r(m), m <= 1.2))
    return out


def _r(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}x"


def targets_table(ts: list[tuple[str, str, bool | None]]) -> str:
    lines = ["| target | measured | met |", "|---|---:|:---:|"]
    for desc, got, ok in ts:
        lines.append(f"| {desc} | {got} | {'—' if ok is None else ('yes' if ok else '**no**')} |")
    return "\n".join(lines)


def chart(rows: list[tuple[str, dict[str, H.Result]]], path: Path) -> None:
    """Three panels: cost over hand-written NumPy (W1-W3), tensorplug over PyTorch against
    the issue-5 targets, and W4's ratio to NumPy as the size grows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(15, 4.4))
    short = {"W1 seed step": "W1 step", "W2 medium step": "W2 step",
             "W3 forward, per op (numpy = bare ufunc)": "W3 fwd/op",
             "W3 forward+backward, per op": "W3 fwd+bwd/op"}  # fmt: skip
    main = [(short.get(lbl, lbl), r) for lbl, r in rows if not lbl.startswith("W4")]
    names = ["tensorplug", "torch"]
    width = 0.38
    with_np = [(lbl, r) for lbl, r in main if "numpy" in r]
    for j, name in enumerate(names):
        pts = [
            (i + (j - 0.5) * width, r[name].median / r["numpy"].median)
            for i, (_, r) in enumerate(with_np)
            if name in r
        ]
        if pts:
            ax1.bar(*zip(*pts), width, label=name)
    ax1.axhline(1.0, color="k", lw=0.8)
    ax1.set_xticks(range(len(with_np)), [lbl for lbl, _ in with_np])
    ax1.set_yscale("log")
    ax1.set_ylabel("median time / hand-written NumPy (log)")
    ax1.set_title("Cost over the NumPy floor (1.0)")
    ax1.legend()
    goals = {"W1 step": 0.5, "W2 step": None, "W3 fwd/op": None, "W3 fwd+bwd/op": 0.6}
    vs = [
        (lbl, r["tensorplug"].median / r["torch"].median)
        for lbl, r in main
        if "torch" in r and "tensorplug" in r
    ]
    ax2.bar(range(len(vs)), [v for _, v in vs], 0.5, color="C0")
    for i, (lbl, _) in enumerate(vs):
        if goals.get(lbl):
            ax2.plot([i - 0.3, i + 0.3], [goals[lbl]] * 2, "r--", lw=1.5)
    ax2.axhline(1.0, color="k", lw=0.8)
    ax2.set_xticks(range(len(vs)), [lbl for lbl, _ in vs])
    ax2.set_ylabel("tensorplug / PyTorch (median)")
    ax2.set_title("tensorplug vs PyTorch (red: issue-5 target)")
    scaling = [(lbl, r) for lbl, r in rows if lbl.startswith("W4")]
    sizes = [int(lbl.rsplit(" ", 1)[1]) for lbl, _ in scaling]
    for name in names:
        if scaling and all(name in r for _, r in scaling):
            ax3.plot(
                sizes, [r[name].median / r["numpy"].median for _, r in scaling], "o-", label=name
            )
    ax3.axhline(1.0, color="k", lw=0.8)
    ax3.set_xscale("log", base=2)
    ax3.set_yscale("log")
    ax3.set_xlabel("batch = hidden size")
    ax3.set_ylabel("median step time / hand-written NumPy (log)")
    ax3.set_title("W4: W1's network scaled up")
    ax3.legend()
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    for ax in (ax1, ax3):  # plain numbers on the log axes, not powers of ten
        ax.yaxis.set_major_formatter(ScalarFormatter())
        ax.yaxis.set_minor_formatter(NullFormatter())
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)


def write_doc(text: str, block: str = "bench") -> None:
    """Replace the text between ``<!-- block:start -->`` and ``<!-- block:end -->``."""
    doc = DOC.read_text()
    start, end = f"<!-- {block}:start -->", f"<!-- {block}:end -->"
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    if not pattern.search(doc):
        raise SystemExit(f"{DOC} has no {start} ... {end} block to fill")
    DOC.write_text(pattern.sub(lambda _: f"{start}\n{text}\n{end}", doc))


def main() -> None:
    p = H.common_args(__doc__)
    p.add_argument(
        "--write",
        action="store_true",
        help="update docs/performance.md and its chart with this run",
    )
    p.add_argument("--json", type=Path, help="also save the raw timings here")
    args = p.parse_args()
    env = H.setup()
    H.print_env(env)
    rows: list[tuple[str, dict[str, H.Result]]] = []
    for mod in (W1, W2, W3, W4):
        print(f"running {mod.__name__} ...", file=sys.stderr, flush=True)
        rows += mod.run(args)
    mem = W2.run.memory  # type: ignore[attr-defined]
    by_key = {"W1": rows[0][1], "W2": rows[1][1], "W3 fwd": rows[2][1], "W3 fb": rows[3][1]}
    ts = targets(by_key, mem)
    report = "\n\n".join(
        [
            H.table(rows),
            W2.memory_table(mem),
            targets_table(ts),
        ]
    )
    print(report)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "env": env,
                    "memory": mem,
                    "rows": [
                        {"label": lbl, "impl": n, "times": r.times, "unit_scale": r.unit_scale}
                        for lbl, res in rows
                        for n, r in res.items()
                    ],
                },
                indent=1,
            )
        )
    if args.write:
        chart(rows, CHART)
        machine = "\n".join(
            [
                f"- machine: {env['machine']}; {env['os']}",
                f"- Python {env['python']}, NumPy {env['numpy']} ({env['blas']}), "
                f"PyTorch {env['torch']}",
                f"- threads: {env['threads']} everywhere; pools: " + "; ".join(env["thread_pools"]),
                f"- tensorplug's hot path: {env['hot_path']}",
            ]
        )
        flags = " ".join(a for a in sys.argv[1:] if a != "--write")
        command = f"python benchmarks/run_all.py --write {flags}".strip()
        write_doc(
            f"Command: `{command}` (what `nox -s bench{' -- ' + flags if flags else ''}` "
            "runs)\n\n"
            f"Timer: {env['timer']}\n\n{machine}\n\n"
            f"{report}\n\n![time ratios](img/{CHART.name})"
        )
        print(f"wrote {DOC.relative_to(ROOT)} and {CHART.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
