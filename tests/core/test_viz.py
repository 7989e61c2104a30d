"""Graph pictures: the DOT text mirrors the autograd graph; rendering needs Graphviz."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

import tensorplug as tp
from tensorplug.viz import GraphvizUnavailableError, render, to_dot

NODE = re.compile(r'^  (\w+) \[label="((?:[^"\\]|\\.)*)"')
EDGE = re.compile(r"^  (\w+) -> (\w+)")


def parse(dot: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Node id -> label, and the edges, of the DOT that ``to_dot`` writes."""
    assert dot.startswith("digraph autograd {\n") and dot.endswith("}\n")
    nodes: dict[str, str] = {}
    edges = []
    for line in dot.splitlines():
        if m := EDGE.match(line):
            edges.append((m[1], m[2]))
        elif m := NODE.match(line):
            nodes[m[1]] = m[2]
    for a, b in edges:  # every edge joins two declared boxes
        assert a in nodes and b in nodes, (a, b)
    return nodes, edges


def seed_graph() -> tuple[tp.Tensor, tp.Tensor, tp.Tensor, tp.Tensor]:
    x1 = tp.ones(2, 2, requires_grad=True)
    x2 = tp.tensor(1.1, requires_grad=True)
    y = x1 * (x2 + 2)
    out = (y.pow(2) * 3).mean()
    return x1, x2, y, out


def test_seed_graph_has_one_box_per_node_and_edges_follow_next_functions() -> None:
    x1, x2, _, out = seed_graph()
    nodes, edges = parse(to_dot(out, params={"x1": x1, "x2": x2}))
    labels = sorted(nodes.values())
    assert labels == sorted([
        "output\\nfloat32[]", "MeanBackward0", "MulBackward0", "PowBackward0", "MulBackward0",
        "AddBackward0", "x1\\nfloat32[2, 2]", "x2\\nfloat32[]",
    ])  # fmt: skip
    by_label = {v: k for k, v in nodes.items()}
    # Walk the real graph and check each next_functions edge is drawn (input -> op).
    expected = 0
    stack = [out.grad_fn]
    seen = set()
    while stack:
        n = stack.pop()
        if n in seen or n is None:
            continue
        seen.add(n)
        for nxt, _ in n.next_functions:
            if nxt is not None:
                expected += 1
                stack.append(nxt)
    assert len(edges) == expected + 1  # plus the root -> output edge
    assert (by_label["x1\\nfloat32[2, 2]"], by_label["x2\\nfloat32[]"]) not in edges
    add = by_label["AddBackward0"]
    assert (by_label["x2\\nfloat32[]"], add) in edges
    assert (by_label["MeanBackward0"], "out") in edges


def test_edges_carry_the_dtype_and_shape_flowing_in_forward() -> None:
    a = tp.ones(3, 4, dtype=tp.float64, requires_grad=True)
    b = tp.ones(4, dtype=tp.float64, requires_grad=True)
    dot = to_dot((a * b).sum(), params={"a": a, "b": b})
    assert re.search(r'-> n\d+ \[label=" float64\[3, 4\]"\]', dot)
    assert re.search(r'-> n\d+ \[label=" float64\[4\]"\]', dot)


def test_params_name_leaves_and_intermediate_results() -> None:
    x1, _, y, out = seed_graph()
    nodes, _ = parse(to_dot(out, params={"x1": x1, "y": y, "out": out}))
    assert "MulBackward0\\n= y" in nodes.values()
    assert "MeanBackward0\\n= out" in nodes.values()
    assert nodes["out"] == "out\\nfloat32[]"
    assert "leaf\\nfloat32[]" in nodes.values()  # x2 was not named


def test_saved_tensors_are_drawn_with_byte_sizes_then_shown_freed() -> None:
    a = tp.ones(3, 4, dtype=tp.float64, requires_grad=True)
    e = a.exp()  # saves its output: 12 float64 = 96 bytes
    loss = (e * a).sum()
    nodes, edges = parse(to_dot(loss, show_saved=True))
    saved = {k: v for k, v in nodes.items() if k.endswith("_saved")}
    assert "result: float64[3, 4], 96 B" in saved.values()
    assert "self: float64[3, 4], 96 B\\nother: float64[3, 4], 96 B" in saved.values()
    assert all((k, k[: -len("_saved")]) in edges for k in saved)
    assert "_saved" not in to_dot(loss)  # only on request
    loss.backward()
    nodes, _ = parse(to_dot(loss, show_saved=True))
    freed = [v for k, v in nodes.items() if k.endswith("_saved")]
    assert freed == ["saved: freed", "saved: freed"]


def test_byte_sizes_use_binary_units() -> None:
    a = tp.ones(512, 1024, requires_grad=True)  # float32: 2 MiB
    nodes, _ = parse(to_dot(a.exp().sum(), show_saved=True))
    assert "result: float32[512, 1024], 2.0 MiB" in nodes.values()


def test_custom_function_nodes_and_their_saved_tensors() -> None:
    class Cube(tp.autograd.Function):
        @staticmethod
        def forward(ctx, x):  # type: ignore[no-untyped-def]
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, g):  # type: ignore[no-untyped-def]
            (x,) = ctx.saved_tensors
            return g * 3 * x**2

    x = tp.ones(5, requires_grad=True)
    nodes, _ = parse(to_dot(Cube.apply(x), params={"x": x}, show_saved=True))
    assert "CubeBackward" in nodes.values()
    assert "saved0: float32[5], 20 B" in nodes.values()
    y = Cube.apply(x).sum()
    y.backward()
    nodes, _ = parse(to_dot(y, show_saved=True))
    assert "saved: freed" in nodes.values()


def test_tensor_without_history_and_a_bare_leaf() -> None:
    nodes, edges = parse(to_dot(tp.ones(2)))
    assert nodes == {"out": "output\\nfloat32[2]"} and edges == []
    w = tp.ones(2, requires_grad=True)
    nodes, edges = parse(to_dot(w, params={"w": w}))
    assert sorted(nodes.values()) == ["output\\nfloat32[2]", "w\\nfloat32[2]"]
    assert edges == [("n0", "out")]


def test_labels_are_escaped() -> None:
    w = tp.ones(1, requires_grad=True)
    dot = to_dot(w * 2, params={'we"ird\\name': w})
    nodes, _ = parse(dot)
    assert 'we\\"ird\\\\name\\nfloat32[1]' in nodes.values()


def test_a_deep_chain_draws_without_recursion() -> None:
    x = tp.ones(1, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0
    nodes, edges = parse(to_dot(y))
    assert len(nodes) == 5002 and len(edges) == 5001


def test_bad_arguments_are_named() -> None:
    with pytest.raises(TypeError, match="to_dot: expected a Tensor, got list"):
        to_dot([1, 2])  # type: ignore[arg-type]
    w = tp.ones(1, requires_grad=True)
    with pytest.raises(TypeError, match=r"params\['w'\] is a int, not a Tensor"):
        to_dot(w, params={"w": 3})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="has no suffix"):
        render(w, "graph")


def test_render_writes_dot_text_without_graphviz(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "graphviz", None)
    w = tp.ones(1, requires_grad=True)
    path = render(w * 2, tmp_path / "g.dot", params={"w": w})
    assert path.read_text() == to_dot(w * 2, params={"w": w})


def test_render_without_the_graphviz_package_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "graphviz", None)  # `import graphviz` raises ImportError
    with pytest.raises(GraphvizUnavailableError) as info:
        render(tp.ones(1, requires_grad=True) * 2, tmp_path / "g.svg")
    msg = str(info.value)
    assert "`graphviz` Python package is not installed" in msg
    assert 'pip install "tensorplug[viz]"' in msg and "apt-get install graphviz" in msg
    assert not (tmp_path / "g.svg").exists()


def test_render_without_the_dot_program_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("graphviz", reason="the viz extra is not installed")
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` on it
    with pytest.raises(GraphvizUnavailableError, match="`dot` program was not found") as info:
        render(tp.ones(1, requires_grad=True) * 2, tmp_path / "g.svg")
    assert "brew install graphviz" in str(info.value)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program not installed")
def test_render_svg_and_png(tmp_path: Path) -> None:
    pytest.importorskip("graphviz", reason="the viz extra is not installed")
    x1, x2, _, out = seed_graph()
    svg = render(out, tmp_path / "tour.svg", params={"x1": x1, "x2": x2})
    text = svg.read_text()
    assert "<svg" in text and "PowBackward0" in text and ">x1<" in text
    png = render(out, str(tmp_path / "tour.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="cannot write"):
        render(out, tmp_path / "tour.nosuchformat")
