"""An LSTM forecaster on a synthetic time series: two sines and a little noise, predicted one
step ahead from a window of the past, as a PyTorch tutorial would write it (only the import
changed).

The model is ``nn.LSTM`` (batch_first) and a ``nn.Linear`` head on the last step's output,
trained with Adam on windows of the series' first 80 %; the remaining 20 % is forecast one
step ahead and the mean squared error printed beside that of a naive forecast (the last
value). With ``--plot FILE`` (matplotlib, optional) the forecast and the truth are drawn.

Run: python examples/lstm_forecast.py [--quick] [--backend NAME] [--epochs N] [--plot FILE]
(``--quick``: a few epochs on a short series, what CI runs; the full run takes a minute).
"""

from __future__ import annotations

import argparse
import math

import tensorplug as tp
from tensorplug import nn, optim


class Forecaster(nn.Module):
    def __init__(self, hidden: int, layers: int) -> None:
        super().__init__()
        self.lstm = nn.LSTM(1, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x: tp.Tensor) -> tp.Tensor:
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


def series(n: int) -> tp.Tensor:
    t = tp.arange(n, dtype=tp.float32)
    return (t * (2 * math.pi / 25)).sin() + 0.5 * (t * (2 * math.pi / 7)).sin() + 0.05 * tp.randn(n)


def windows(s: tp.Tensor, width: int) -> tuple[tp.Tensor, tp.Tensor]:
    """Every window of ``width`` past values (N, width, 1) and the value after it (N, 1)."""
    xs = tp.stack([s[i : i + width] for i in range(s.shape[0] - width)])
    return xs.unsqueeze(-1), s[width:].unsqueeze(-1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default=None, help="backend name (default: numpy)")
    parser.add_argument("--quick", action="store_true", help="a short run (CI)")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", default=None, help="save a plot of forecast vs truth here")
    args = parser.parse_args()
    if args.backend:
        tp.set_backend(args.backend)
    tp.manual_seed(args.seed)
    n, width, epochs = (200, 20, 20) if args.quick else (1000, 30, 60)
    epochs = args.epochs or epochs
    x, y = windows(series(n), width)
    split = int(0.8 * x.shape[0])
    model = Forecaster(hidden=16 if args.quick else 32, layers=2)
    opt = optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = nn.MSELoss()
    batch = 32
    for epoch in range(1, epochs + 1):
        total = 0.0
        for i in range(0, split, batch):
            xb, yb = x[i : min(i + batch, split)], y[i : min(i + batch, split)]
            loss = loss_fn(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * xb.shape[0]
        print(f"epoch {epoch:3d}  train mse {total / split:.4f}")
    with tp.no_grad():
        pred = model(x[split:])
        mse = loss_fn(pred, y[split:]).item()
        naive = loss_fn(x[split:, -1], y[split:]).item()
    print(f"test mse {mse:.4f} (naive last-value forecast {naive:.4f})")
    if args.plot:
        import matplotlib.pyplot as plt

        plt.plot(y[split:].squeeze(-1).numpy(), label="truth")
        plt.plot(pred.squeeze(-1).numpy(), label="LSTM forecast")
        plt.legend()
        plt.savefig(args.plot)
        print(f"plot saved to {args.plot}")


if __name__ == "__main__":
    main()
