"""W1: the seed's two-layer network (100 x 3 -> 32 -> 1), one SGD step, per step.

Forward (mm, add, clamp, mm, add), loss ``(y_pred - y).pow(2).sum()``, backward, and the
in-place SGD update plus ``grad.zero_()`` under ``no_grad``, exactly as
``examples/two_layer_net.py`` does it, in float32.

Run: python benchmarks/bench_w1_seed.py [--threads 1] [--quick]
"""

from __future__ import annotations

import _harness as H
from _harness import np, tp

LR = 1e-4


def data(n: int, d_in: int, d_hidden: int, d_out: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Inputs and initial weights shared by every implementation (float32)."""
    rng = np.random.default_rng(seed)
    f = np.float32
    x = rng.standard_normal((n, d_in)).astype(f)
    y = (x[:, :1] * 0.2 - x[:, 1:2] * 1.3 + rng.standard_normal((n, d_out))).astype(f)
    return {
        "x": x, "y": y,
        "w1": rng.standard_normal((d_in, d_hidden)).astype(f) * f(0.1),
        "w2": rng.standard_normal((d_hidden, d_out)).astype(f) * f(0.1),
        "b1": np.zeros((1, d_hidden), f), "b2": np.zeros((1, d_out), f),
    }  # fmt: skip


def numpy_step(d: dict[str, np.ndarray]) -> object:
    """Hand-written forward and backward: the floor for the NumPy backend."""
    x, y, w1, w2, b1, b2 = d["x"], d["y"], d["w1"], d["w2"], d["b1"], d["b2"]
    lr = np.float32(LR)

    def step() -> float:
        h = x @ w1
        h += b1
        np.maximum(h, 0, out=h)
        out = h @ w2
        out += b2
        diff = out - y
        loss = float(np.dot(diff.ravel(), diff.ravel()))
        g = diff
        g *= 2
        gw2 = h.T @ g
        gb2 = g.sum(0, keepdims=True)
        gh = g @ w2.T
        gh *= h > 0
        gw1 = x.T @ gh
        gb1 = gh.sum(0, keepdims=True)
        for w, gw in ((w1, gw1), (w2, gw2), (b1, gb1), (b2, gb2)):
            gw *= lr
            w -= gw
        return loss

    return step


def framework_step(lib: object, d: dict[str, np.ndarray]) -> object:
    """The seed example's step, written once for tensorplug and PyTorch (same API)."""
    x, y = lib.from_numpy(d["x"].copy()), lib.from_numpy(d["y"].copy())
    w1, w2, b1, b2 = (
        lib.from_numpy(d[k].copy()).requires_grad_() for k in ("w1", "w2", "b1", "b2")
    )

    def step() -> float:
        y_pred = x.mm(w1).add(b1).clamp(min=0).mm(w2).add(b2)
        loss = (y_pred - y).pow(2).sum()
        loss.backward()
        with lib.no_grad():
            w1.sub_(LR * w1.grad)
            w2.sub_(LR * w2.grad)
            b1.sub_(LR * b1.grad)
            b2.sub_(LR * b2.grad)
            w1.grad.zero_()
            w2.grad.zero_()
            b1.grad.zero_()
            b2.grad.zero_()
        return loss

    return step


def impls(
    n: int = 100, d_in: int = 3, d_hidden: int = 32, d_out: int = 1, torch: object = None
) -> dict[str, object]:
    d = data(n, d_in, d_hidden, d_out)
    out = {
        "numpy": numpy_step({k: v.copy() for k, v in d.items()}),
        "tensorplug": framework_step(tp, d),
    }
    if torch is not None:
        out["torch"] = framework_step(torch, d)
    return out


def run(args: object) -> list[tuple[str, dict[str, H.Result]]]:
    rounds = args.rounds or (5 if args.quick else 41)
    res = H.compare("W1", impls(torch=H.torch_or_none(args)), inner=100, rounds=rounds, warmup=20)
    return [("W1 seed step", res)]


def main() -> None:
    args = H.common_args(__doc__).parse_args()
    env = H.setup()
    H.print_env(env)
    print(H.table(run(args)))


if __name__ == "__main__":
    main()
