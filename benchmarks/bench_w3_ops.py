"""W3 by op: W3's chain with one op throughout, for each of the common elementwise ops.

W3 proper cycles through four ops; its ratios depend on that mix, because both tensorplug's
and PyTorch's costs vary by op (PyTorch pays most for a Python number operand, tensorplug for
ops whose kernels are several NumPy calls). This script shows each op alone: a chain of
1 000 of it on a 2 x 2 float32 tensor that requires grad, then ``sum()`` and ``backward()``;
µs per op, forward alone (with the bare NumPy calls as the floor) and forward + backward.

Run: python benchmarks/bench_w3_ops.py [--threads 1] [--quick] [--write]
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import _harness as H
from _harness import np, tp

OPS = 1000
LEAF = 0.999  # the second operand: ``y * x`` and ``y / x`` stay finite over 1 000 steps

# name -> (the op on a framework tensor ``y`` with leaf ``x``, the bare NumPy forward on
# arrays). Each NumPy call is what a hand-written forward would do.
CASES: dict[str, tuple[Callable[[Any, Any], Any], Callable[[Any, Any], Any]]] = {
    "y * 1.01": (lambda y, x: y * 1.01, lambda y, x: np.multiply(y, 1.01)),
    "y - 0.5": (lambda y, x: y - 0.5, lambda y, x: np.subtract(y, 0.5)),
    "y + x": (lambda y, x: y + x, lambda y, x: np.add(y, x)),
    "y * x": (lambda y, x: y * x, lambda y, x: np.multiply(y, x)),
    "y / x": (lambda y, x: y / x, lambda y, x: np.true_divide(y, x)),
    "-y": (lambda y, x: -y, lambda y, x: np.negative(y)),
    "y ** 2": (lambda y, x: y**2, lambda y, x: np.square(y)),
    "y.exp()": (lambda y, x: y.exp(), lambda y, x: np.exp(y)),
    "y.sin()": (lambda y, x: y.sin(), lambda y, x: np.sin(y)),
    "y.tanh()": (lambda y, x: y.tanh(), lambda y, x: np.tanh(y)),
    "y.sigmoid()": (
        lambda y, x: y.sigmoid(),
        lambda y, x: np.true_divide(1, np.add(np.exp(np.negative(y)), 1)),
    ),
    "y.relu()": (lambda y, x: y.relu(), lambda y, x: np.maximum(y, 0)),
    "y.clamp(-1, 1)": (lambda y, x: y.clamp(-1, 1), lambda y, x: np.clip(y, -1, 1)),
}


def _chain(op: Callable[[Any, Any], Any], y0: Any, x: Any) -> Callable[[], Any]:
    def chain() -> Any:
        y = y0
        for _ in range(OPS):
            y = op(y, x)
        return y

    return chain


def _backward(forward: Callable[[], Any]) -> Callable[[], None]:
    return lambda: forward().sum().backward()


def _rounds(args: Any) -> int:
    return int(args.rounds or (3 if args.quick else 15))


def run(args: Any) -> list[tuple[str, dict[str, H.Result]]]:
    rounds = _rounds(args)
    torch = H.torch_or_none(args)
    libs = {"tensorplug": tp} | ({"torch": torch} if torch is not None else {})
    rows = []
    for name, (op, bare) in CASES.items():
        a = np.full((2, 2), 0.5, np.float32)
        fwd: dict[str, Callable[[], Any]] = {
            "numpy": _chain(bare, a, np.full((2, 2), LEAF, np.float32))
        }
        both = {}
        for lib_name, lib in libs.items():
            y0 = lib.full((2, 2), 0.5, requires_grad=True)
            fwd[lib_name] = _chain(op, y0, lib.full((2, 2), LEAF, requires_grad=True))
            both[lib_name] = _backward(fwd[lib_name])
        kw = {"inner": 3, "rounds": rounds, "warmup": 2, "unit_scale": OPS}
        rows.append((f"{name} fwd", H.compare(name, fwd, **kw)))
        rows.append((f"{name} fwd+bwd", H.compare(name, both, **kw)))
    return rows


def summary(rows: list[tuple[str, dict[str, H.Result]]]) -> str:
    """One line per op: µs per op and the ratios the W3 targets use, from each
    implementation's fastest round (on a shared machine the medians of this many short
    chains swing by a third between runs; the fastest rounds agree within a few percent)."""
    lines = [
        "| op | NumPy fwd | tensorplug fwd | PyTorch fwd | fwd / NumPy | fwd / PyTorch "
        "| tensorplug fwd+bwd | PyTorch fwd+bwd | fwd+bwd / PyTorch |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def us(r: dict[str, H.Result], k: str) -> str:
        return f"{r[k].min * 1e6:.2f}" if k in r else "—"

    def ratio(r: dict[str, H.Result], a: str, b: str) -> str:
        return f"{r[a].min / r[b].min:.2f}x" if a in r and b in r else "—"

    for (label, f), (_, fb) in zip(rows[::2], rows[1::2]):
        lines.append(
            f"| `{label.removesuffix(' fwd')}` | {us(f, 'numpy')} | {us(f, 'tensorplug')} "
            f"| {us(f, 'torch')} | {ratio(f, 'tensorplug', 'numpy')} "
            f"| {ratio(f, 'tensorplug', 'torch')} | {us(fb, 'tensorplug')} | {us(fb, 'torch')} "
            f"| {ratio(fb, 'tensorplug', 'torch')} |"
        )
    return "\n".join(lines)


def main() -> None:
    p = H.common_args(__doc__)
    p.add_argument("--write", action="store_true", help="update its table in performance.md")
    args = p.parse_args()
    env = H.setup()
    H.print_env(env)
    text = summary(run(args))
    print(text)
    if args.write:
        from run_all import write_doc

        flags = " ".join(a for a in sys.argv[1:] if a != "--write")
        command = f"python benchmarks/bench_w3_ops.py --write {flags}".strip()
        head = (
            f"Command: `{command}`; µs per op, fastest of {_rounds(args)} rounds each; "
            f"timer: {env['timer']}"
        )
        write_doc(f"{head}\n\n{text}", "w3ops")


if __name__ == "__main__":
    main()
