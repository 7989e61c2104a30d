"""W3: per-op overhead. A chain of 1 000 small elementwise ops on a 2 x 2 float32 tensor that
requires grad, then ``sum()`` and ``backward()``; reported in µs per op.

The chain cycles through four common shapes of call: tensor * scalar, tensor + tensor (a leaf
that requires grad), a unary function (tanh) and tensor - scalar. The floor is the same
sequence of bare NumPy ufunc calls on raw 2 x 2 arrays (forward only: NumPy has no backward).

Run: python benchmarks/bench_w3_overhead.py [--threads 1] [--quick]
"""

from __future__ import annotations

import _harness as H
from _harness import np, tp

OPS = 1000


def bare_numpy() -> object:
    x = np.full((2, 2), 0.5, np.float32)
    mul, add, tanh, sub = np.multiply, np.add, np.tanh, np.subtract

    def chain() -> object:
        y = x
        for _ in range(OPS // 4):
            y = sub(tanh(add(mul(y, 1.01), x)), 0.5)
        return y

    return chain


def framework(lib: object) -> tuple[object, object]:
    x = lib.full((2, 2), 0.5, requires_grad=True)

    def forward() -> object:
        y = x
        for _ in range(OPS // 4):
            y = y * 1.01
            y = y + x
            y = y.tanh()
            y = y - 0.5
        return y

    def forward_backward() -> None:
        forward().sum().backward()

    return forward, forward_backward


def run(args: object) -> list[tuple[str, dict[str, H.Result]]]:
    rounds = args.rounds or (5 if args.quick else 41)
    torch = H.torch_or_none(args)
    fwd = {"numpy": bare_numpy()}
    both = {}
    libs = {"tensorplug": tp} | ({"torch": torch} if torch is not None else {})
    for name, lib in libs.items():
        fwd[name], both[name] = framework(lib)
    f = H.compare("W3 fwd", fwd, inner=5, rounds=rounds, warmup=3, unit_scale=OPS)
    # Forward + backward has no NumPy floor; ratios there are to PyTorch only.
    fb = H.compare("W3 fwd+bwd", both, inner=5, rounds=rounds, warmup=3, unit_scale=OPS)
    return [("W3 forward, per op (numpy = bare ufunc)", f), ("W3 forward+backward, per op", fb)]


def main() -> None:
    args = H.common_args(__doc__).parse_args()
    env = H.setup()
    H.print_env(env)
    print(H.table(run(args)))


if __name__ == "__main__":
    main()
