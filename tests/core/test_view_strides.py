"""``reshape``, ``view``, ``stride()``, ``is_contiguous()`` and ``contiguous()`` of views on a
backend without strides (``mutable=False``): the core decides from the view's recorded ops
(``_view_strides``) as PyTorch does from its strides. Each program is a chain of view ops on
a (2, 3, 4)-shaped base and a final reshape; a write through the reshaped tensor must reach
the base exactly where it does in PyTorch (a view) and nowhere where PyTorch copies. Run on
NumPy (real strides), on the immutable double and on JAX where it is installed."""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np
import pytest

import immutable_numpy  # tests/support, on sys.path in every test run
import tensorplug as tp
from tensorplug._view_strides import reshape_strides, row_major

torch = pytest.importorskip("torch", reason="PyTorch is the oracle here (nox installs it)")

BACKENDS = ["numpy", "immutable_numpy"] + (["jax"] if importlib.util.find_spec("jax") else [])


@pytest.fixture(scope="module", autouse=True)
def _registered() -> None:
    if "immutable_numpy" not in tp.list_backends():
        tp.plugins.register(immutable_numpy, "tests/core/test_view_strides.py")


# (name, the view chain on ``x``, the target of the final reshape)
PROGRAMS = [
    ("contiguous", "x", (6, 4)),
    ("transpose_merge", "x.transpose(1, 2)", (2, 12)),
    ("transpose_split", "x.transpose(0, 1)", (3, 2, 2, 2)),
    ("transpose_keep_merged_pair", "x.transpose(0, 2)", (2, 6, 2)),
    ("permute_merge_lead", "x.permute(1, 0, 2)", (6, 4)),
    ("permute_merge_tail", "x.permute(1, 0, 2)", (3, 8)),
    ("permute_back", "x.permute(2, 0, 1).permute(1, 2, 0)", (24,)),
    ("t_of_matrix", "x[0].t()", (12,)),
    ("t_of_matrix_split", "x[0].t()", (2, 2, 3)),
    ("step_slice_flat", "x[:, :, ::2]", (12,)),
    ("step_slice_lead_merge", "x[:, ::2]", (4, 4)),
    ("step_slice_add_dim", "x[:, :, ::2]", (2, 3, 2, 1)),
    ("slice_rows_merge", "x[:, 1:]", (4, 4)),
    ("slice_rows_keep", "x[:, 1:]", (2, 8)),
    ("select_then_merge", "x[:, 1]", (8,)),
    ("select_of_transpose", "x.transpose(0, 2)[1]", (6,)),
    ("index_none", "x[:, None, 1:]", (2, 8)),
    ("unsqueeze_squeeze", "x.unsqueeze(1).squeeze(1).transpose(0, 1)", (6, 4)),
    ("unsqueeze_end", "x[:, :, 1:].unsqueeze(3)", (2, 9)),
    ("expand_merge", "x[:, :1].expand(2, 3, 4)", (6, 4)),
    ("expand_split", "x[:, :1].expand(2, 3, 4)", (2, 3, 2, 2)),
    ("reshape_chain", "x.transpose(1, 2).reshape(2, 2, 2, 3)", (4, 2, 3)),
    ("diagonal", "x.diagonal(0, 1, 2)", (6,)),
    ("diagonal_offset", "x.diagonal(-1, 2, 1).t()", (6,)),
    ("split_piece", "x.split(2, dim=2)[1]", (6, 2)),
    ("unbind_piece", "x.unbind(1)[2]", (8,)),
    ("empty", "x[:, :0].transpose(0, 1)", (0, 8)),
]


def _run(lib: Any, chain: str, target: tuple[int, ...], **kw: Any) -> dict[str, Any]:
    x = lib.arange(24.0, **kw).reshape(2, 3, 4)
    v = eval(chain, {"x": x})  # a fixed program of this file
    # The strides of dims longer than 1 (NumPy's of a size-1 dim may differ from PyTorch's;
    # they step over nothing).
    strides = tuple(s for s, n in zip(v.stride(), v.shape) if n != 1)
    got: dict[str, Any] = {"stride": strides, "contiguous": v.is_contiguous()}
    r = v.reshape(target)
    try:
        r.mul_(-1)
    except RuntimeError:  # a view of an expanded tensor
        got["refused"] = True
    got["base_after_reshape_write"] = np.array(x.tolist())
    try:
        v.view(target)
        got["view"] = "ok"
    except RuntimeError:
        got["view"] = "RuntimeError"
    c = v.contiguous()
    c.add_(100)
    got["base_after_contiguous_write"] = np.array(x.tolist())
    return got


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("chain", "target"), [p[1:] for p in PROGRAMS], ids=[p[0] for p in PROGRAMS]
)
def test_reshape_of_a_view_is_a_view_exactly_where_pytorch_makes_one(
    backend: str, chain: str, target: tuple[int, ...]
) -> None:
    want = _run(torch, chain, target)
    got = _run(tp, chain, target, backend=backend)
    assert got.keys() == want.keys()
    for key in want:
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)


def test_reshape_strides_is_pytorchs_compute_stride() -> None:
    """Against the strides PyTorch gives ``as_strided(...).view(new)`` (or its refusal)."""
    cases = [
        ((2, 3, 4), (12, 4, 1), (6, 4)),
        ((4, 3), (1, 4), (12,)),
        ((4, 3), (1, 4), (2, 2, 3)),
        ((3, 1, 4), (4, 7, 1), (12,)),
        ((3, 4), (8, 2), (3, 2, 2)),
        ((3, 4), (8, 2), (12,)),
        ((2, 3), (0, 1), (6,)),
        ((2, 3), (0, 1), (2, 3, 1)),
        ((), (), (1, 1)),
        ((0, 3), (3, 1), (3, 0)),
    ]
    for shape, strides, new in cases:
        base = torch.zeros(64)
        src = base.as_strided(shape, strides)
        try:
            want: Any = tuple(src.view(new).stride())
        except RuntimeError:
            want = None
        assert reshape_strides(shape, strides, new) == want, (shape, strides, new)


def test_row_major_is_pytorchs_contiguous_strides() -> None:
    for shape in [(2, 3, 4), (3, 1, 2), (0, 2), (4, 0, 1), ()]:
        assert row_major(shape) == tuple(torch.zeros(shape).stride())
