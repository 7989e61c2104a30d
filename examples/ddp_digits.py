"""The digits example (examples/digits.py) trained data-parallel across processes.

Each process holds a replica of the model and trains on its share of every epoch
(``DistributedSampler``); ``DistributedDataParallel`` averages the gradients across the
processes during backward, so the replicas stay identical and the run is the single-process
one with a global batch of ``--batch-size``.

Run: pip install "tensorplug[examples,mpi]"
     mpiexec -n 4 python examples/ddp_digits.py [--model mlp|cnn] [--epochs N]
     (on a cluster: srun -n 4 python examples/ddp_digits.py; docs/distributed.md)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

from digits import accuracy, make_model  # the model and metric of the single-process example
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import tensorplug as tp
import tensorplug.distributed as dist
from tensorplug import nn, optim
from tensorplug.nn.parallel import DistributedDataParallel
from tensorplug.utils.data import DataLoader, TensorDataset
from tensorplug.utils.data.distributed import DistributedSampler


def load(seed: int) -> tuple[tp.Tensor, ...]:
    digits = load_digits()  # the same split on every rank (same seed)
    images = digits.images.astype("float32") / 16.0
    x_train, x_test, y_train, y_test = train_test_split(
        images, digits.target, test_size=0.25, random_state=seed, stratify=digits.target
    )
    return (
        tp.tensor(x_train).unsqueeze(1),
        tp.tensor(y_train),
        tp.tensor(x_test).unsqueeze(1),
        tp.tensor(y_test),
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32, help="global batch (all ranks)")
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checkpoint-dir", default=None)
    parser.add_argument("--quiet", action="store_true", help="no per-epoch lines")
    args = parser.parse_args()

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    if args.batch_size % world:
        raise SystemExit(f"--batch-size {args.batch_size} must be divisible by {world} ranks")
    x_train, y_train, x_test, y_test = load(args.seed)
    train_set = TensorDataset(x_train, y_train)
    sampler = DistributedSampler(train_set, shuffle=True, seed=args.seed)
    loader = DataLoader(train_set, batch_size=args.batch_size // world, sampler=sampler)

    tp.manual_seed(args.seed + rank)  # replicas start different: DDP broadcasts rank 0's
    model = DistributedDataParallel(make_model(args.model))
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    loss_fn = nn.CrossEntropyLoss()
    if rank == 0:
        print(f"{world} ranks, {len(sampler)} of {len(train_set)} training images each per epoch")
    start = time.perf_counter()
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)  # a new shuffle each epoch, the same on every rank
        model.train()
        total = tp.zeros(2, dtype=tp.float64)
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()  # gradients averaged over the ranks here
            optimizer.step()
            total += tp.tensor([loss.item(), 1.0], dtype=tp.float64)
        scheduler.step()
        dist.all_reduce(total)  # the mean loss over all ranks' batches
        if rank == 0 and not args.quiet:
            print(f"epoch {epoch + 1}: loss {float(total[0] / total[1]):.4f}")

    acc = accuracy(model.module, x_test, y_test)
    accs: list[float] = [0.0] * world
    dist.all_gather_object(accs, acc)
    if len(set(accs)) != 1:
        raise SystemExit(f"the replicas disagree: accuracies {accs}")
    path = os.path.join(
        args.checkpoint_dir or tempfile.gettempdir(), f"ddp_digits_{args.model}.safetensors"
    )
    if rank == 0:
        print(
            f"{args.model}: held-out accuracy {acc:.2%} on every rank after {args.epochs} epochs "
            f"({time.perf_counter() - start:.1f} s)"
        )
        tp.save(model.module.state_dict(), path)  # rank 0 writes; a plain model's keys
    dist.barrier()
    restored = make_model(args.model)
    restored.load_state_dict(tp.load(path))
    if accuracy(restored, x_test, y_test) != acc:
        raise SystemExit(f"rank {rank}: the checkpoint disagrees with the trained model")
    if rank == 0:
        print(f"{args.model}: checkpoint {path} reloaded on every rank")
    dist.destroy_process_group()
    if args.model == "mlp" and args.epochs >= 20 and acc < 0.95:
        sys.exit(f"MLP accuracy {acc:.2%} is below 95%")


if __name__ == "__main__":
    main()
