"""An LSTM training step side by side with PyTorch (issue 17): 2 layers, hidden 256, sequence
35, batch 20, float32, inputs of width 256, an MSE loss on the output and one SGD step.

The same step is written once for both libraries, from the same initial weights (PyTorch's
``state_dict`` loaded into tensorplug's layer). PyTorch runs its fused CPU LSTM kernel on one
thread; tensorplug runs one node per layer over the whole sequence after the input projection
(``MkldnnRnnLayerBackward0``, ``nn/functional/_rnn_layer.py``), as PyTorch's CPU LSTM records.
The target is a ratio at or below 1.2x.

Run: python benchmarks/bench_lstm.py [--threads 1] [--quick] [--cpu-time]
"""

from __future__ import annotations

import _harness as H
from _harness import np, tp

LAYERS, HIDDEN, SEQ, BATCH, WIDTH = 2, 256, 35, 20, 256
LR = 1e-3


def framework_step(lib: object, state: dict[str, np.ndarray], x: np.ndarray) -> object:
    """The idiomatic step, written once for tensorplug and PyTorch."""
    net = lib.nn.LSTM(WIDTH, HIDDEN, num_layers=LAYERS)
    net.load_state_dict({k: lib.from_numpy(v.copy()) for k, v in state.items()})
    xs, target = lib.from_numpy(x.copy()), lib.from_numpy(np.zeros((SEQ, BATCH, HIDDEN), x.dtype))
    params = list(net.parameters())
    mse = lib.nn.functional.mse_loss

    def step() -> object:
        out, _ = net(xs)
        loss = mse(out, target)
        loss.backward()
        with lib.no_grad():
            for p in params:
                p.sub_(p.grad, alpha=LR)
                p.grad = None
        return loss

    return step


def impls(torch: object = None) -> dict[str, object]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((SEQ, BATCH, WIDTH)).astype(np.float32)
    ref = tp.nn.LSTM(WIDTH, HIDDEN, num_layers=LAYERS)
    state = {k: v.numpy().copy() for k, v in ref.state_dict().items()}
    out = {"tensorplug": framework_step(tp, state, x)}
    if torch is not None:
        out["torch"] = framework_step(torch, state, x)
    return out


def main() -> None:
    args = H.common_args(__doc__).parse_args()
    H.print_env(H.setup())
    rounds = args.rounds or (3 if args.quick else 9)
    res = H.compare("LSTM", impls(torch=H.torch_or_none(args)), inner=1, rounds=rounds, warmup=2)
    print(H.table([("LSTM step (2x256, seq 35, batch 20)", res)]))
    if "torch" in res:
        print(f"tensorplug / PyTorch: {H.ratios(res, 'tensorplug')[1]:.2f}x (target <= 1.2x)")


if __name__ == "__main__":
    main()
