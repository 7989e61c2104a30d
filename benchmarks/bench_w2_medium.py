"""W2: a medium network, n = 4096, 512 -> 1024 -> 10, float32, MSE loss, one SGD step.

Here the kernels (three large matmuls each way) dominate, so a framework should cost little
more than hand-written NumPy. Also measures a step's peak traced memory (``tracemalloc``, which
sees NumPy's allocations; PyTorch's allocator is invisible to it, so it has no memory column).

Run: python benchmarks/bench_w2_medium.py [--threads 1] [--quick]
"""

from __future__ import annotations

import tracemalloc

import _harness as H
from _harness import np, tp

N, D_IN, D_HIDDEN, D_OUT = 4096, 512, 1024, 10
LR = 1e-3


def data(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    f = np.float32
    return {
        "x": rng.standard_normal((N, D_IN), f),
        "y": rng.standard_normal((N, D_OUT), f),
        "w1": rng.standard_normal((D_IN, D_HIDDEN), f) * f(D_IN**-0.5),
        "b1": np.zeros(D_HIDDEN, f),
        "w2": rng.standard_normal((D_HIDDEN, D_OUT), f) * f(D_HIDDEN**-0.5),
        "b2": np.zeros(D_OUT, f),
    }


def numpy_step(d: dict[str, np.ndarray]) -> object:
    """Hand-written forward and backward, in place wherever NumPy allows: the floor."""
    x, y, w1, b1, w2, b2 = (d[k] for k in ("x", "y", "w1", "b1", "w2", "b2"))
    lr = np.float32(LR)

    def step() -> float:
        h = x @ w1
        h += b1
        np.maximum(h, 0, out=h)
        out = h @ w2
        out += b2
        diff = np.subtract(out, y, out=out)
        loss = float(np.vdot(diff, diff)) / diff.size
        g = diff
        g *= np.float32(2.0 / diff.size)
        gw2 = h.T @ g
        gb2 = g.sum(0)
        gh = g @ w2.T
        gh *= h > 0
        gw1 = x.T @ gh
        gb1 = gh.sum(0)
        for w, gw in ((w1, gw1), (b1, gb1), (w2, gw2), (b2, gb2)):
            gw *= lr
            w -= gw
        return loss

    return step


def framework_step(lib: object, d: dict[str, np.ndarray]) -> object:
    """The idiomatic step, written once for tensorplug and PyTorch."""
    x, y = lib.from_numpy(d["x"].copy()), lib.from_numpy(d["y"].copy())
    w1, b1, w2, b2 = (
        lib.from_numpy(d[k].copy()).requires_grad_() for k in ("w1", "b1", "w2", "b2")
    )
    params = (w1, b1, w2, b2)
    mse = lib.nn.functional.mse_loss

    def step() -> float:
        h = (x @ w1 + b1).relu()
        loss = mse(h @ w2 + b2, y)
        loss.backward()
        with lib.no_grad():
            for p in params:
                p.sub_(p.grad, alpha=LR)
                p.grad.zero_()
        return loss

    return step


def impls(torch: object = None) -> dict[str, object]:
    d = data()
    out = {
        "numpy": numpy_step({k: v.copy() for k, v in d.items()}),
        "tensorplug": framework_step(tp, d),
    }
    if torch is not None:
        out["torch"] = framework_step(torch, d)
    return out


def peak_memory(fn: object) -> int:
    """Peak bytes traced during one call, above what was allocated before it."""
    fn()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def run(args: object) -> list[tuple[str, dict[str, H.Result]]]:
    rounds = args.rounds or (3 if args.quick else 11)
    fns = impls(torch=H.torch_or_none(args))
    res = H.compare("W2", fns, inner=1, rounds=rounds, warmup=2)
    mem = {name: peak_memory(fn) for name, fn in fns.items() if name != "torch"}
    run.memory = mem  # type: ignore[attr-defined]
    return [("W2 medium step", res)]


def memory_table(mem: dict[str, int]) -> str:
    floor = mem["numpy"]
    lines = ["| W2 step peak memory (tracemalloc) | MiB | / NumPy |", "|---|---:|---:|"]
    for name, b in mem.items():
        lines.append(f"| {name} | {b / 2**20:.1f} | {b / floor:.2f}x |")
    return "\n".join(lines)


def main() -> None:
    args = H.common_args(__doc__).parse_args()
    env = H.setup()
    H.print_env(env)
    print(H.table(run(args)))
    print()
    print(memory_table(run.memory))  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
