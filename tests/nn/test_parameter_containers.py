"""``nn.ParameterList``, ``nn.ParameterDict`` and ``nn.Unflatten`` against PyTorch."""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any

import pytest

import tensorplug as tp

torch = pytest.importorskip("torch")


def _fix(text: str) -> str:
    return text.replace("tensorplug.", "torch.")


def _list_story(lib: Any) -> list[Any]:
    pl = lib.nn.ParameterList([lib.zeros(2), lib.nn.Parameter(lib.ones(3))])
    pl.append(lib.zeros(1, 4))
    pl += [7]
    pl[0] = lib.ones(5)
    log: list[Any] = [len(pl), [n for n, _ in pl.named_parameters()], _fix(repr(pl))]
    log.append([type(p).__name__ for p in pl])
    log.append(type(pl[-2]).__name__)
    log.append(len(pl[1:3]))
    log.append(list(pl.state_dict()))
    for bad in (lambda: pl[4], lambda: pl(1), lambda: pl.extend(lib.ones(2))):
        try:
            bad()
        except Exception as e:  # noqa: BLE001 - compared with PyTorch's
            log.append((type(e), str(e)))
    return log


def test_parameter_list_behaves_as_pytorch() -> None:
    assert _list_story(tp) == _list_story(torch)


def _dict_story(lib: Any) -> list[Any]:
    pd = lib.nn.ParameterDict({"b": lib.zeros(2), "a": lib.ones(3)})
    pd.update(OrderedDict([("z", lib.zeros(1)), ("c", 3)]))
    pd.update([("y", lib.ones(2))])
    log: list[Any] = [list(pd.keys()), [n for n, _ in pd.named_parameters()], _fix(repr(pd))]
    log.append((pd.pop("z").shape == (1,), "z" in pd, len(pd)))
    log.append(pd.setdefault("new", lib.ones(1)).requires_grad)
    log.append(pd.get("missing", "default"))
    log.append(list(reversed(pd)))
    log.append(pd.popitem()[0])
    log.append(list(pd.copy().keys()))
    del pd["c"]
    log.append(list(pd.state_dict()))
    for bad in (lambda: pd[1], lambda: pd.update(5), lambda: pd.update([("k",)]), lambda: pd(1)):
        try:
            bad()
        except Exception as e:  # noqa: BLE001 - compared with PyTorch's
            log.append((type(e), str(e)))
    pd.clear()
    log.append(len(pd))
    return log


def test_parameter_dict_behaves_as_pytorch() -> None:
    assert _dict_story(tp) == _dict_story(torch)


def test_containers_train_with_an_optimizer() -> None:
    pl = tp.nn.ParameterList([tp.ones(2)])
    opt = tp.optim.SGD(pl.parameters(), lr=0.5)
    (pl[0] * 2).sum().backward()
    opt.step()
    assert pl[0].tolist() == [0.0, 0.0]


@pytest.mark.parametrize(
    ("dim", "sizes", "shape"),
    [(1, (2, 3), (4, 6)), (-1, [2, -1], (4, 6)), (0, (1, 4), (4, 6)), (1, (3,), (2, 3, 5))],
)
def test_unflatten_matches_pytorch(dim: int, sizes: Any, shape: tuple[int, ...]) -> None:
    ours, theirs = tp.nn.Unflatten(dim, sizes), torch.nn.Unflatten(dim, sizes)
    assert ours(tp.zeros(*shape)).shape == tuple(theirs(torch.zeros(*shape)).shape)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize(
    ("dim", "sizes", "shape"),
    [(1, (2, 2), (3, 5)), (1, (3, -1), (3, 4)), (3, (1,), (3, 4)), (1, (), (3, 4))],
)
def test_unflatten_errors_match_pytorch(dim: int, sizes: Any, shape: tuple[int, ...]) -> None:
    with pytest.raises((RuntimeError, IndexError)) as theirs:
        torch.nn.Unflatten(dim, sizes)(torch.zeros(*shape))
    with pytest.raises(theirs.type, match=re.escape(str(theirs.value).splitlines()[0])):
        tp.nn.Unflatten(dim, sizes)(tp.zeros(*shape))


@pytest.mark.parametrize(("dim", "sizes"), [(1, 6), (1, (2, 3.0))])
def test_unflatten_constructor_errors_match_pytorch(dim: Any, sizes: Any) -> None:
    with pytest.raises(TypeError) as theirs:
        torch.nn.Unflatten(dim, sizes)
    with pytest.raises(TypeError) as ours:
        tp.nn.Unflatten(dim, sizes)
    assert str(ours.value) == str(theirs.value)
