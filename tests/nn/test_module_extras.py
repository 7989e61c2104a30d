"""The less common ``Module`` and container methods PyTorch programs reach for
(``set_submodule``, ``to_empty``, ``type``, extra state in the state dict, ``Sequential``'s
and ``ModuleList``'s list operations, ``ModuleDict.pop``, the global registration hooks), side
by side with PyTorch."""

from __future__ import annotations

from typing import Any

import pytest

import tensorplug as tp

torch = pytest.importorskip("torch")


def _names(m: Any) -> list[str]:
    return [type(c).__name__ for c in m]


def _containers(lib: Any) -> list[Any]:
    nn = lib.nn
    seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Tanh())
    rows: list[Any] = [type(seq.pop(1)).__name__, list(seq._modules)]
    seq.insert(1, nn.Sigmoid())
    seq.insert(-1, nn.Identity())
    rows.append(_names(seq))
    rows.append(_names(seq + nn.Sequential(nn.ReLU())))
    rows.append(_names(nn.Sequential(nn.ReLU(), nn.Tanh()) * 2))
    for bad in (lambda: seq + nn.ReLU(), lambda: seq.insert(9, nn.ReLU())):
        with pytest.raises((ValueError, IndexError)) as e:
            bad()
        rows.append((type(e.value).__name__, str(e.value).split(",")[0]))
    ml = nn.ModuleList([nn.ReLU(), nn.Tanh(), nn.Sigmoid(), nn.Identity()])
    rows.append(type(ml.pop(1)).__name__)
    del ml[0:2]
    rows += [_names(ml), list(ml._modules), _names(ml + [nn.ReLU()])]
    md = nn.ModuleDict({"a": nn.ReLU(), "b": nn.Tanh()})
    rows += [type(md.pop("a")).__name__, list(md.keys())]
    md.clear()
    rows.append(len(md))
    return rows


def test_container_list_operations_match_pytorch() -> None:
    assert _containers(tp) == _containers(torch)


def _submodules(lib: Any) -> list[Any]:
    nn = lib.nn
    net = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU()))
    net.set_submodule("1.0", nn.Tanh())
    rows: list[Any] = [repr(net)]
    for target, mod, strict in (("", nn.ReLU(), False), ("0.weight", nn.ReLU(), False),
                                ("1.9", nn.ReLU(), True), ("0", 3, False)):  # fmt: skip
        with pytest.raises((ValueError, AttributeError)) as e:
            net.set_submodule(target, mod, strict=strict)
        rows.append((type(e.value).__name__, str(e.value).replace("torch.", "tensorplug.")))
    net.type(lib.float64)
    rows.append([str(p.dtype).split(".")[-1] for p in net.parameters()])
    weight = net[0].weight
    net.to_empty(device="cpu")
    rows += [net[0].weight is weight, tuple(net[0].weight.shape), net.share_memory() is net]
    return rows


def test_set_submodule_type_to_empty_match_pytorch() -> None:
    got, want = _submodules(tp), _submodules(torch)
    assert got == want


def _extra_state(lib: Any) -> list[Any]:
    class Counter(lib.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = lib.nn.Linear(1, 1)
            self.steps = 0

        def get_extra_state(self) -> Any:
            return {"steps": self.steps}

        def set_extra_state(self, state: Any) -> None:
            self.steps = state["steps"]

    a, b = Counter(), Counter()
    a.steps = 7
    sd = a.state_dict()
    result = b.load_state_dict(sd)
    missing = b.load_state_dict({k: v for k, v in sd.items() if k != "_extra_state"}, strict=False)
    return [list(sd), sd["_extra_state"], b.steps, repr(result), missing.missing_keys]


def test_extra_state_travels_in_the_state_dict_as_pytorch() -> None:
    assert _extra_state(tp) == _extra_state(torch)
    with pytest.raises(RuntimeError, match="should never be called"):
        tp.nn.Linear(1, 1).get_extra_state()


def _registration_hooks(lib: Any) -> list[Any]:
    mm = lib.nn.modules.module
    log: list[Any] = []

    def swap(m: Any, name: str, value: Any) -> Any:
        log.append((type(m).__name__, name, type(value).__name__))
        if name == "double_me":
            return lib.nn.Parameter(value.detach() * 2)
        return None

    handles = [
        mm.register_module_parameter_registration_hook(swap),
        mm.register_module_buffer_registration_hook(swap),
        mm.register_module_module_registration_hook(swap),
    ]
    try:
        net = lib.nn.Sequential(lib.nn.Linear(1, 1, bias=False))
        net.double_me = lib.nn.Parameter(lib.ones(2))
        net.register_buffer("buf", lib.zeros(1))
        net.register_parameter("nothing", None)
        net.extra = lib.nn.ReLU()
    finally:
        for h in handles:
            h.remove()
    net.after = lib.nn.ReLU()
    return [log, net.double_me.tolist()]


def test_global_registration_hooks_match_pytorch() -> None:
    assert _registration_hooks(tp) == _registration_hooks(torch)
