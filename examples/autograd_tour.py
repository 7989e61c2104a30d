"""The seed article's tour of the autograd graph, in Python.

Run: python examples/autograd_tour.py [--backend NAME] [--graph PATH]

With Graphviz installed (pip install "tensorplug[viz]" plus the `dot` program) it also draws
the graph into autograd_tour.svg.
"""

from __future__ import annotations

import argparse

import tensorplug as tp


def print_graph(root: object, names: dict[int, str]) -> None:
    """Print each node with its next_functions indented below it (no recursion)."""
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if node is None:
            continue
        label = node.name()
        if label == "AccumulateGrad":
            label += f" ({names.get(id(node.variable), 'leaf')})"
        print("  " * depth + label)
        for nxt, _ in reversed(node.next_functions):
            stack.append((nxt, depth + 1))


def draw(out: tp.Tensor, params: dict[str, tp.Tensor], path: str) -> None:
    """Render the graph picture if Graphviz is installed; otherwise say how to get it."""
    try:
        tp.viz.render(out, path, params=params)
    except tp.viz.GraphvizUnavailableError as e:
        print(f"(no graph picture: {e})")
    else:
        print(f"Graph picture written to {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default=None, help="backend name (default: numpy)")
    parser.add_argument("--graph", default="autograd_tour.svg", help="where to draw the graph")
    args = parser.parse_args()
    if args.backend:
        tp.set_backend(args.backend)

    # A first look: the mean of a tensor that requires grad.
    x = tp.ones(2, 2, requires_grad=True)
    y = x.mean()
    print(y.grad_fn.name())
    y.backward()
    print(x.grad)

    # Digging deeper: inputs x1, x2 connected to `out` through y and z.
    x1 = tp.ones(2, 2, requires_grad=True)
    x2 = tp.tensor(1.1, requires_grad=True)
    y = x1 * (x2 + 2)
    z = y.pow(2) * 3
    out = z.mean()
    y.retain_grad()
    z.retain_grad()

    # Walk the graph from out.grad_fn down to the leaves, as the article does.
    print("The graph of out, from out.grad_fn to the leaves:")
    print_graph(out.grad_fn, {id(x1): "x1", id(x2): "x2"})
    draw(out, {"x1": x1, "x2": x2, "y": y, "z": z, "out": out}, args.graph)

    out.backward()
    print("z.grad", z.grad, sep="\n")
    print("y.grad", y.grad, sep="\n")
    print("x2.grad", x2.grad, sep="\n")
    print("x1.grad", x1.grad, sep="\n")


if __name__ == "__main__":
    main()
