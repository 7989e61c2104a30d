"""The seed article's two-layer network again, now with ``nn.Sequential`` and ``optim.SGD``.

The data and the initial weights come from the same ``tp.randn`` draws, in the same order, as
``examples/two_layer_net.py``, so with the same seed both print the same loss curve.

Run: python examples/two_layer_net_nn.py [--backend NAME] [--seed N]
"""

from __future__ import annotations

import argparse

import tensorplug as tp
from tensorplug import nn, optim


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default=None, help="backend name (default: numpy)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=200)
    args = parser.parse_args()
    if args.backend:
        tp.set_backend(args.backend)
    tp.manual_seed(args.seed)

    d_in, d_out, n = 3, 1, 100
    x = tp.randn(n, d_in)
    y = x[:, 0, None] * 0.2 - x[:, 1, None] * 1.3 - x[:, 2, None] * 0.5 + tp.randn(n, 1)

    # The manual version's initial weights: the next two draws, in the same order.
    d_hidden = 32
    w1 = tp.randn(d_in, d_hidden)
    w2 = tp.randn(d_hidden, d_out)

    model = nn.Sequential(
        nn.Linear(d_in, d_hidden),
        nn.ReLU(),
        nn.Linear(d_hidden, d_out),
    )
    # Replace Linear's own (Kaiming-uniform) initialisation by those weights. Linear stores
    # its weight as (out_features, in_features) and computes x @ weight.T, hence the .t().
    with tp.no_grad():
        model[0].weight.copy_(w1.t())
        model[2].weight.copy_(w2.t())
        model[0].bias.zero_()
        model[2].bias.zero_()

    loss_fn = nn.MSELoss(reduction="sum")
    optimizer = optim.SGD(model.parameters(), lr=1e-4)
    print(model)

    for t in range(1, args.epochs + 1):
        loss = loss_fn(model(x), y)
        if t % 10 == 0:
            print("Epoch:", t, "   Loss:", loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


if __name__ == "__main__":
    main()
