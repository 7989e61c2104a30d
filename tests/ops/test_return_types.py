"""``tp.return_types``: the named tuples ops return, as ``torch.return_types``."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tensorplug as tp

torch = pytest.importorskip("torch")

_M = np.random.default_rng(0).random((3, 3)) + 3 * np.eye(3)
_V = [[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]]

# (name, tensorplug call, torch call) on the same data
CALLS: list[tuple[str, Callable[[Any], Any], Callable[[Any], Any]]] = [
    ("topk", lambda m: m.topk(2, 1), lambda m: m.topk(2, 1)),
    ("sort", lambda m: m.sort(1), lambda m: m.sort(1)),
    ("max", lambda m: m.max(1), lambda m: m.max(1)),
    ("min", lambda m: m.min(0), lambda m: m.min(0)),
    ("cummax", lambda m: m.cummax(1), lambda m: m.cummax(1)),
    ("cummin", lambda m: m.cummin(1), lambda m: m.cummin(1)),
]


def _linalg_calls(lib: Any) -> dict[str, Any]:
    a = lib.tensor(_M, dtype=lib.float64)
    return {
        "slogdet": lib.slogdet(a),
        "slogdet (method)": a.slogdet(),
        "linalg_slogdet": lib.linalg.slogdet(a),
        "linalg_eigh": lib.linalg.eigh(a),
        "linalg_qr": lib.linalg.qr(a),
        "linalg_svd": lib.linalg.svd(a),
        "linalg_lstsq": lib.linalg.lstsq(a, a),
    }


@pytest.mark.parametrize("name, mine, theirs", CALLS, ids=[c[0] for c in CALLS])
def test_selection_results_are_pytorchs_types(name: str, mine: Any, theirs: Any) -> None:
    out, ref = mine(tp.tensor(_V)), theirs(torch.tensor(_V))
    cls = getattr(tp.return_types, name)
    assert type(out) is cls and isinstance(out, tuple)
    assert type(ref).__name__ == cls.__name__
    fields = tuple(f for f in dir(ref) if f in ("values", "indices"))
    assert set(cls._fields) == set(fields) and cls.n_fields == ref.n_fields == 2
    for f in cls._fields:
        np.testing.assert_array_equal(getattr(out, f).numpy(), getattr(ref, f).numpy())
    values, indices = out
    assert values is out.values and indices is out[1]


def test_linear_algebra_results_are_pytorchs_types() -> None:
    mine, theirs = _linalg_calls(tp), _linalg_calls(torch)
    for key, out in mine.items():
        ref = theirs[key]
        assert type(out).__name__ == type(ref).__name__, key
        assert isinstance(out, getattr(tp.return_types, type(ref).__name__))
        assert len(out) == len(ref) == type(out).n_fields


def test_repr_is_pytorchs_with_tensorplugs_module() -> None:
    out = tp.tensor([1.0, 3.0, 2.0]).topk(2)
    ref = torch.tensor([1.0, 3.0, 2.0]).topk(2)
    assert repr(out) == repr(ref).replace("torch.", "tensorplug.", 1)
    assert repr(out).startswith("tensorplug.return_types.topk(\nvalues=tensor([3., 2.]),")


def test_built_from_one_sequence_as_pytorchs() -> None:
    r = tp.return_types.sort((1, 2))
    assert (r.values, r.indices) == (1, 2) and r == (1, 2)
    assert pickle.loads(pickle.dumps(r)) == r
    assert type(pickle.loads(pickle.dumps(r))) is tp.return_types.sort
    with pytest.raises(TypeError, match=r"takes a 2-sequence \(3-sequence given\)"):
        tp.return_types.topk((1, 2, 3))
    with pytest.raises(TypeError):
        torch.return_types.topk((1, 2, 3))
