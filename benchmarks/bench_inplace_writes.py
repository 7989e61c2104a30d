"""Per-call cost of writes into tensors (issue 19): in-place ops, indexed writes, ``copy_``,
``zero_``, gradient accumulation into ``.grad`` and an MLP step with Adam, on NumPy (the path
every write now takes through ``_functional_write``: compare with an older checkout) and on
the immutable test double (``tests/support/immutable_numpy.py``: the same kernels, every
write a new array pushed through the views). Interleaved rounds, the minimum per call.
Results: docs/performance.md, "Writes into tensors (issue 19)"."""

from __future__ import annotations

import sys
import timeit
from collections.abc import Callable
from pathlib import Path

import tensorplug as tp


def cases(be: str, n: int) -> dict[str, Callable[[], object]]:
    tp.manual_seed(0)
    x, y = tp.ones(n, n, backend=be), tp.ones(n, n, backend=be)
    w = tp.ones(n, n, backend=be, requires_grad=True)
    model = tp.nn.Sequential(tp.nn.Linear(32, 64), tp.nn.Tanh(), tp.nn.Linear(64, 10))
    model.to(backend=be)
    opt = tp.optim.Adam(model.parameters(), lr=1e-3)
    inp = tp.ones(16, 32, backend=be)

    def add_no_grad() -> None:
        with tp.no_grad():
            x.add_(y)

    def row_add() -> None:
        with tp.no_grad():
            x[3].add_(1)

    def step() -> None:
        opt.zero_grad()
        model(inp).sum().backward()
        opt.step()

    return {
        "x.add_(y)": add_no_grad,
        "x[3].add_(1)": row_add,
        "x[0] = 1.0": lambda: x.__setitem__(0, 1.0),
        "x.copy_(y)": lambda: x.copy_(y),
        "x.zero_()": lambda: x.zero_(),
        "accumulate .grad": lambda: (w * 2).sum().backward(),
        "MLP + Adam step": step,
    }


def main(n: int = 64, rounds: int = 7) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))
    import immutable_numpy

    tp.plugins.register(immutable_numpy)
    table = {"numpy": cases("numpy", n)}
    try:
        table["immutable_numpy"] = cases("immutable_numpy", n)
    except Exception as e:  # noqa: BLE001 - a checkout from before issue 19: NumPy only
        print(f"(no immutable column: {type(e).__name__}: {e})")
    best = {(be, c): float("inf") for be, cs in table.items() for c in cs}
    for _ in range(rounds):
        for be, cs in table.items():
            for name, f in cs.items():
                calls = 100 if "step" in name or "grad" in name else 1000
                best[be, name] = min(best[be, name], timeit.timeit(f, number=calls) / calls)
    print(f"tensorplug {tp.__version__}, {n}x{n} float32, minimum of {rounds} rounds (us)")
    print(f"{'':18s} " + " ".join(f"{be:>16s}" for be in table))
    for name in table["numpy"]:
        print(f"{name:18s} " + " ".join(f"{best[be, name] * 1e6:16.2f}" for be in table))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 64)
