"""W4: scaling. W1's network and step with the batch size and the hidden width swept together
(16 ... 4096), so the crossover where kernels, not Python, dominate is visible.

Run: python benchmarks/bench_w4_scaling.py [--threads 1] [--quick]
"""

from __future__ import annotations

import _harness as H
import bench_w1_seed as W1

SIZES = (16, 64, 256, 1024, 4096)


def run(args: object) -> list[tuple[str, dict[str, H.Result]]]:
    torch = H.torch_or_none(args)
    rows = []
    for size in SIZES[:3] if args.quick else SIZES:
        # batch = hidden = size: per-step work grows as size**2 while op count stays fixed
        impls = W1.impls(n=size, d_in=3, d_hidden=size, d_out=1, torch=torch)
        inner = max(1, 20_000 // (size * 8))
        rounds = args.rounds or (3 if args.quick else 11)
        res = H.compare(f"W4 n=h={size}", impls, inner=inner, rounds=rounds, warmup=3)
        rows.append((f"W4 batch = hidden = {size}", res))
    return rows


def main() -> None:
    args = H.common_args(__doc__).parse_args()
    env = H.setup()
    H.print_env(env)
    print(H.table(run(args)))


if __name__ == "__main__":
    main()
