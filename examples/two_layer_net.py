"""The seed article's two-layer network, trained with autograd and manual SGD.

Run: python examples/two_layer_net.py [--backend NAME] [--seed N]
"""

from __future__ import annotations

import argparse

import tensorplug as tp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default=None, help="backend name (default: numpy)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=200)
    args = parser.parse_args()
    if args.backend:
        tp.set_backend(args.backend)
    tp.manual_seed(args.seed)

    # input and output dimensionality, number of observations
    d_in, d_out, n = 3, 1, 100

    # random data: y depends linearly on x, plus noise
    x = tp.randn(n, d_in)
    y = x[:, 0, None] * 0.2 - x[:, 1, None] * 1.3 - x[:, 2, None] * 0.5 + tp.randn(n, 1)

    d_hidden = 32
    w1 = tp.randn(d_in, d_hidden, requires_grad=True)
    w2 = tp.randn(d_hidden, d_out, requires_grad=True)
    b1 = tp.zeros(1, d_hidden, requires_grad=True)
    b2 = tp.zeros(1, d_out, requires_grad=True)

    learning_rate = 1e-4

    for t in range(1, args.epochs + 1):
        # forward pass
        y_pred = x.mm(w1).add(b1).clamp(min=0).mm(w2).add(b2)
        # loss
        loss = (y_pred - y).pow(2).sum()
        if t % 10 == 0:
            print("Epoch:", t, "   Loss:", loss.item())
        # backward pass: gradients of loss w.r.t. every tensor with requires_grad=True
        loss.backward()
        # manual weight update, not recorded in the graph
        with tp.no_grad():
            w1.sub_(learning_rate * w1.grad)
            w2.sub_(learning_rate * w2.grad)
            b1.sub_(learning_rate * b1.grad)
            b2.sub_(learning_rate * b2.grad)
            # gradients accumulate, so zero them after each step
            w1.grad.zero_()
            w2.grad.zero_()
            b1.grad.zero_()
            b2.grad.zero_()


if __name__ == "__main__":
    main()
