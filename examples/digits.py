"""Train an MLP and a small CNN on scikit-learn's bundled 8x8 digits (no download).

The full workflow: a DataLoader with seeded shuffling, a model built from ``tp.nn`` layers,
Adam with a cosine learning-rate schedule, a tqdm progress bar, held-out accuracy, and a
safetensors checkpoint that is saved, loaded into a fresh model and checked.

Run: pip install "tensorplug[examples]"
     python examples/digits.py [--model mlp|cnn|both] [--backend NAME] [--epochs N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from tqdm import tqdm

import tensorplug as tp
from tensorplug import nn, optim
from tensorplug.utils.data import DataLoader, TensorDataset


def make_model(kind: str) -> nn.Module:
    if kind == "mlp":
        return nn.Sequential(
            nn.Flatten(),
            nn.Linear(64, 128),
            nn.ReLU(),
            nn.Dropout(0.1),
            nn.Linear(128, 10),
        )
    return nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, padding=1),  # 16 x 8 x 8
        nn.ReLU(),
        nn.MaxPool2d(2),  # 16 x 4 x 4
        nn.Conv2d(16, 32, kernel_size=3, padding=1),  # 32 x 4 x 4
        nn.ReLU(),
        nn.MaxPool2d(2),  # 32 x 2 x 2
        nn.Flatten(),
        nn.Linear(32 * 2 * 2, 10),
    )


@tp.no_grad()
def accuracy(model: nn.Module, x: tp.Tensor, y: tp.Tensor) -> float:
    model.eval()
    predicted = model(x).argmax(dim=1)
    return float((predicted == y).to(tp.float32).mean().item())


def train(kind: str, data: tuple[tp.Tensor, ...], args: argparse.Namespace) -> float:
    x_train, y_train, x_test, y_test = data
    tp.manual_seed(args.seed)
    model = make_model(kind)
    loader = DataLoader(
        TensorDataset(x_train, y_train),
        batch_size=args.batch_size,
        shuffle=True,
        generator=args.seed,
    )
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    loss_fn = nn.CrossEntropyLoss()
    print(f"\n{kind.upper()} ({sum(p.numel() for p in model.parameters())} parameters)")
    start = time.perf_counter()
    bar = tqdm(range(1, args.epochs + 1), desc=kind, unit="epoch", disable=args.quiet)
    for _ in bar:
        model.train()
        total, batches = 0.0, 0
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
            batches += 1
        scheduler.step()
        bar.set_postfix(loss=f"{total / batches:.4f}", lr=f"{scheduler.get_last_lr()[0]:.2e}")
    acc = accuracy(model, x_test, y_test)
    print(
        f"{kind}: held-out accuracy {acc:.2%} after {args.epochs} epochs "
        f"({time.perf_counter() - start:.1f} s)"
    )

    # Checkpoint: everything needed to resume, in one safetensors file (no pickle).
    path = os.path.join(args.checkpoint_dir, f"digits_{kind}.safetensors")
    tp.save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "accuracy": acc,
        },
        path,
    )
    ckpt = tp.load(path)
    restored = make_model(kind)
    restored.load_state_dict(ckpt["model"])
    optim.Adam(restored.parameters(), lr=args.lr).load_state_dict(ckpt["optimizer"])
    again = accuracy(restored, x_test, y_test)
    print(f"{kind}: checkpoint {path} reloaded into a fresh model: accuracy {again:.2%}")
    if again != acc:
        raise SystemExit(f"{kind}: the reloaded model disagrees ({again} vs {acc})")
    return acc


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", choices=["mlp", "cnn", "both"], default="both")
    parser.add_argument("--backend", default=None, help="backend name (default: numpy)")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--checkpoint-dir",
        default=None,
        help="where checkpoints go (default: a new temporary directory)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args()
    if args.backend:
        tp.set_backend(args.backend)
    args.checkpoint_dir = args.checkpoint_dir or tempfile.mkdtemp(prefix="digits-")
    print(f"backend: {tp.get_backend().name}")

    digits = load_digits()  # 1797 images of 8x8 pixels with values 0..16, shipped in sklearn
    images = digits.images.astype("float32") / 16.0
    x_train, x_test, y_train, y_test = train_test_split(
        images, digits.target, test_size=0.25, random_state=args.seed, stratify=digits.target
    )
    data = (
        tp.tensor(x_train).unsqueeze(1),
        tp.tensor(y_train),
        tp.tensor(x_test).unsqueeze(1),
        tp.tensor(y_test),
    )
    print(f"{len(x_train)} training and {len(x_test)} held-out images")

    results = {
        k: train(k, data, args) for k in (["mlp", "cnn"] if args.model == "both" else [args.model])
    }
    if results.get("mlp", 1.0) < 0.95:
        sys.exit(f"MLP accuracy {results['mlp']:.2%} is below 95%")


if __name__ == "__main__":
    main()
