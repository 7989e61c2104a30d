"""Pictures of the autograd graph: Graphviz DOT text, and rendering it to SVG, PNG or PDF.

``to_dot`` needs nothing beyond tensorplug, so a graph can be printed, diffed or pasted into an
online viewer anywhere; ``render`` needs the ``graphviz`` Python package and Graphviz's ``dot``
program (``pip install "tensorplug[viz]"`` plus the system package).

Boxes follow the data: leaves (blue, with the parameter names you pass) at the top, one box per
``grad_fn`` node named as PyTorch names it, the output (green) at the bottom. Each edge is
labelled with the dtype and shape of the tensor that flows along it in forward.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ._graph import FREED, OUT, AccumulateGrad, Node
from ._tensor import Tensor

__all__ = ["GraphvizUnavailableError", "render", "to_dot"]

INSTALL_HINT = (
    'Install the Python package with `pip install "tensorplug[viz]"` (or `pip install '
    "graphviz`) and Graphviz's `dot` program with your system's package manager: "
    "`apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), "
    "`conda install -c conda-forge graphviz` or `winget install graphviz` (Windows). "
    "tensorplug.viz.to_dot(...) works without either and returns the DOT text."
)

_SAVED_NAMES = {0: "self", 1: "other", OUT: "result"}
"""What PyTorch calls a node's saved inputs and output (``_saved_self``, ``_saved_result``)."""


class GraphvizUnavailableError(RuntimeError):
    """``render`` was called but the ``graphviz`` package or the ``dot`` program is missing."""


def to_dot(
    tensor: Tensor,
    params: Mapping[str, Tensor] | None = None,
    show_saved: bool = False,
) -> str:
    r"""The autograd graph that produced ``tensor``, as Graphviz DOT text.

    Args:
        tensor: the output whose history is drawn (usually a loss).
        params: names for tensors, e.g. ``{"w": w, "b": b}``. A leaf gets its name on the box
            of its ``AccumulateGrad`` node; a non-leaf names the node that produced it.
        show_saved: also draw the values each node saved for backward, with their byte size
            (``freed`` once a backward without ``retain_graph`` has released them).

    Returns:
        A ``digraph`` in DOT; ``render`` turns it into a picture.

    Example:
        >>> import tensorplug as tp
        >>> w = tp.ones(3, requires_grad=True)
        >>> dot = tp.viz.to_dot((w * 2).sum(), params={"w": w})
        >>> print("\n".join(line for line in dot.splitlines() if " [label=" in line))
          out [label="output\nfloat32[]", fillcolor="#b8e0b8"];
          n0 [label="SumBackward0"];
          n1 -> n0 [label=" float32[3]"];
          n1 [label="MulBackward0"];
          n2 -> n1 [label=" float32[3]"];
          n2 [label="w\nfloat32[3]", fillcolor="#cfe2f3"];
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"to_dot: expected a Tensor, got {type(tensor).__name__}")
    leaf_names, node_names = _names(params)
    lines = [
        "digraph autograd {",
        '  graph [rankdir=TB, fontname="Helvetica", fontsize=12];',
        '  node [shape=box, style="rounded,filled", fillcolor="#f2f2f2", fontname="Helvetica",'
        " fontsize=12];",
        '  edge [fontname="Helvetica", fontsize=10, color="#555555"];',
    ]
    ids: dict[Node, str] = {}

    def node_id(n: Node) -> str:
        if n not in ids:
            ids[n] = f"n{len(ids)}"
        return ids[n]

    root = tensor._grad_fn
    if root is None and tensor._requires_grad:
        root = tensor._accumulator()
    out_label = _tensor_label(node_names.get(root, "output") if root else "output", tensor)
    lines.append(f'  out [label="{_esc(out_label)}", fillcolor="#b8e0b8"];')
    if root is not None:
        lines.append(f"  {node_id(root)} -> out;")
        for n in _walk(root):
            lines.extend(_node_lines(n, node_id, leaf_names, node_names, show_saved))
    lines.append("}")
    return "\n".join(lines) + "\n"


def _names(params: Mapping[str, Tensor] | None) -> tuple[dict[int, str], dict[Node, str]]:
    """``to_dot``'s ``params``: names of leaves (by id) and of the nodes that made non-leaves."""
    leaf_names: dict[int, str] = {}
    node_names: dict[Node, str] = {}
    for name, t in (params or {}).items():
        if not isinstance(t, Tensor):
            raise TypeError(f"to_dot: params[{name!r}] is a {type(t).__name__}, not a Tensor")
        if t._grad_fn is None:
            leaf_names[id(t)] = name
        else:
            node_names[t._grad_fn] = name
    return leaf_names, node_names


def _node_lines(
    n: Node,
    node_id: Callable[[Node], str],
    leaf_names: dict[int, str],
    node_names: dict[Node, str],
    show_saved: bool,
) -> list[str]:
    """One node's box and the edges into it (labelled with what flows along them)."""
    nid = node_id(n)
    if isinstance(n, AccumulateGrad):
        var = n.variable
        label = _tensor_label(leaf_names.get(id(var), "leaf"), var)
        return [f'  {nid} [label="{_esc(label)}", fillcolor="#cfe2f3"];']
    label = n.name() + (f"\n= {node_names[n]}" if n in node_names else "")
    lines = [f'  {nid} [label="{_esc(label)}"];']
    shapes = getattr(n, "shapes", None) or ()
    dtypes = getattr(n, "dtype", None) or ()
    for i, (nxt, _) in enumerate(n.next_functions):
        if nxt is None:
            continue
        edge = ""
        if i < len(shapes) and shapes[i] is not None:
            dt = dtypes[i] if i < len(dtypes) else None
            edge = f' [label=" {_esc(_describe(n, dt, shapes[i]))}"]'
        lines.append(f"  {node_id(nxt)} -> {nid}{edge};")
    if show_saved:
        lines.extend(_saved_lines(n, nid))
    return lines


def render(
    tensor: Tensor,
    path: str | Path,
    params: Mapping[str, Tensor] | None = None,
    show_saved: bool = False,
) -> Path:
    """Draw ``tensor``'s autograd graph into ``path``; the suffix picks the format.

    ``.svg``, ``.png``, ``.pdf`` and every other output format of ``dot -T`` work; ``.dot`` and
    ``.gv`` write the DOT text itself (no Graphviz needed).

    Raises:
        GraphvizUnavailableError: the ``graphviz`` package or the ``dot`` program is missing;
            the message says how to install them.

    Returns:
        The path written.
    """
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if not fmt:
        raise ValueError(f"render: {str(path)!r} has no suffix; use e.g. graph.svg or graph.png")
    source = to_dot(tensor, params=params, show_saved=show_saved)
    if fmt in ("dot", "gv"):
        path.write_text(source)
        return path
    try:
        import graphviz
    except ImportError:
        raise GraphvizUnavailableError(
            f"render: the `graphviz` Python package is not installed. {INSTALL_HINT}"
        ) from None
    try:
        data = graphviz.Source(source).pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise GraphvizUnavailableError(
            f"render: Graphviz's `dot` program was not found on PATH. {INSTALL_HINT}"
        ) from None
    except ValueError as e:  # graphviz rejects unknown formats before running dot
        raise ValueError(f"render: cannot write {str(path)!r}: {e}") from None
    path.write_bytes(data)
    return path


# -- helpers ---------------------------------------------------------------------------------


def _walk(root: Node) -> Iterator[Node]:
    """Every node reachable from ``root``, each once, parents before children (no recursion)."""
    seen = {root}
    stack = [root]
    while stack:
        n = stack.pop()
        yield n
        for nxt, _ in reversed(n.next_functions):
            if nxt is not None and nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)


def _tensor_label(name: str, t: Tensor) -> str:
    return f"{name}\n{t.dtype.name}{list(t.shape)}"


def _describe(n: Node, native_dtype: Any, shape: Any) -> str:
    return f"{_dtype_name(n, native_dtype)}{list(shape)}"


def _dtype_name(n: Node, native: Any) -> str:
    """tensorplug's name for a backend's native dtype (``float32``), else the native name."""
    if native is None:
        return ""
    for d, nat in getattr(n._backend, "dtypes", {}).items():
        if nat == native:
            return str(d.name)
    return str(native)


def _saved_lines(n: Node, nid: str) -> list[str]:
    saved = getattr(n, "_saved", ())
    save = getattr(type(n), "save", ())
    versions: tuple[Any, ...] = getattr(n, "_versions", ())
    if saved is FREED and versions:  # something was saved, now freed
        return [
            f'  {nid}_saved [label="saved: freed", shape=note, fillcolor="#fde9d9"];',
            f"  {nid}_saved -> {nid} [style=dashed, arrowhead=none];",
        ]
    rows = []
    for i, value in enumerate(saved):
        arr = value._data if isinstance(value, Tensor) else value
        if arr is None or isinstance(arr, (int, float, bool)):
            continue
        # Built-in nodes save by input index; a custom Function's ctx saves a plain list.
        name = _SAVED_NAMES.get(save[i], f"input{save[i]}") if i < len(save) else f"saved{i}"
        shape = list(getattr(arr, "shape", ()))
        dt = _dtype_name(n, getattr(arr, "dtype", None))
        rows.append(f"{name}: {dt}{shape}, {_bytes(arr)}")
    if not rows:
        return []
    label = "\\n".join(_esc(r) for r in rows)
    return [
        f'  {nid}_saved [label="{label}", shape=note, fillcolor="#fde9d9"];',
        f"  {nid}_saved -> {nid} [style=dashed, arrowhead=none];",
    ]


def _bytes(arr: Any) -> str:
    n = getattr(arr, "nbytes", None)
    if n is None:
        size = 1
        for s in getattr(arr, "shape", ()):
            size *= int(s)
        n = size * getattr(getattr(arr, "dtype", None), "itemsize", 0)
    n = int(n)
    if n < 1024:
        return f"{n} B"
    if n < 1024**2:
        return f"{n / 1024:.1f} KiB"
    return f"{n / 1024**2:.1f} MiB"


def _esc(text: str) -> str:
    """Quote ``text`` for a DOT label; newlines become DOT's centred line breaks."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
