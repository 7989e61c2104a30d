"""Module traversal, placement and gradient helpers side by side with PyTorch: ``apply``,
``named_modules`` (``memo``, ``prefix``, ``remove_duplicate``), ``named_children``,
``named_buffers``, ``get_submodule``/``get_parameter``/``get_buffer``, ``zero_grad``,
``requires_grad_``, ``to``/``half``/``double``/``float``, non-persistent buffers and
``extra_repr``; and ``tensorplug.nn.parallel``."""

from __future__ import annotations

from typing import Any

import pytest

import tensorplug as tp

torch = pytest.importorskip("torch")


def _tree(lib: Any) -> Any:
    nn = lib.nn
    shared = nn.Linear(2, 2)

    class Tree(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = shared
            self.b = nn.Sequential(shared, nn.BatchNorm1d(2), nn.ReLU())
            self.register_buffer("scratch", lib.zeros(1), persistent=False)
            self.register_buffer("count", lib.zeros(()))

        def extra_repr(self) -> str:
            return "custom=1"

    return Tree()


def _traversal(lib: Any) -> list[Any]:
    t = _tree(lib)
    order: list[str] = []
    t.apply(lambda m: order.append(type(m).__name__))
    memo: set[Any] = {t.b}
    return [
        order,
        [n for n, _ in t.named_modules()],
        [n for n, _ in t.named_modules(remove_duplicate=False)],
        [n for n, _ in t.named_modules(prefix="root")],
        [n for n, _ in t.named_modules(memo=memo)],
        [n for n, _ in t.named_children()],
        [n for n, _ in t.named_buffers()],
        [n for n, _ in t.named_buffers(prefix="x", recurse=False)],
        [n for n, _ in t.named_parameters(remove_duplicate=False)],
        list(t.state_dict()),
        # PyTorch 2.13's BatchNorm also prints its new ``bias`` flag (not this issue's layer)
        repr(t).replace(", bias=True, track", ", track"),
    ]


def test_traversal_matches_pytorch() -> None:
    assert _traversal(tp) == _traversal(torch)


def _lookups(lib: Any) -> list[Any]:
    t = _tree(lib)
    out: list[Any] = [
        t.get_submodule("b.1") is t.b[1],
        t.get_parameter("b.0.weight") is t.a.weight,
        tuple(t.get_buffer("b.1.running_mean").shape),
        t.get_submodule("") is t,
    ]
    for target, getter in [
        ("b.7", t.get_submodule),
        ("a.weight", t.get_submodule),
        ("b.1.missing", t.get_parameter),
        ("b.1.running_mean", t.get_parameter),
        ("a.weight", t.get_buffer),
        ("nope.x", t.get_buffer),
    ]:
        with pytest.raises(AttributeError) as info:
            getter(target)
        out.append(str(info.value))
    return out


def test_get_submodule_parameter_buffer_match_pytorch() -> None:
    assert _lookups(tp) == _lookups(torch)


def _grads_and_placement(lib: Any) -> list[Any]:
    t = _tree(lib)
    t.b(lib.ones(3, 2)).sum().backward()
    out: list[Any] = [t.a.weight.grad is not None]
    t.zero_grad(set_to_none=False)
    out.append(float(t.a.weight.grad.abs().sum()))
    t.zero_grad()
    out.append(t.a.weight.grad is None)
    t.requires_grad_(False)
    out.append([p.requires_grad for p in t.parameters()])
    t.requires_grad_()
    w = t.a.weight
    for convert in (t.double, t.half, t.float, lambda: t.to(lib.float64), lambda: t.to("cpu")):
        assert convert() is t
        out.append(
            (
                str(t.a.weight.dtype).split(".")[-1],
                str(t.b[1].num_batches_tracked.dtype).split(".")[-1],
                str(t.count.dtype).split(".")[-1],
                t.a.weight is w,
            )
        )
    return out


def test_gradients_and_placement_match_pytorch() -> None:
    assert _grads_and_placement(tp) == _grads_and_placement(torch)


def test_parallel_package_exists() -> None:
    import tensorplug.nn.parallel as parallel

    assert tp.nn.parallel is parallel
    assert "data-parallel" in (parallel.__doc__ or "")


def _registration_errors(lib: Any) -> list[tuple[str, str]]:
    m = lib.nn.Module()
    m.x = 1
    out = []
    for register in (m.register_buffer, m.register_parameter, m.add_module):
        for name in (1, "a.b", "", "x"):
            with pytest.raises((TypeError, KeyError)) as info:
                register(name, None)
            out.append((info.type.__name__, str(info.value)))
    return out


def test_registration_errors_match_pytorch() -> None:
    assert _registration_errors(tp) == _registration_errors(torch)
