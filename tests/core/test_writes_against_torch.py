"""Writes into tensors (``x[i] = v``, ``fill_``, ``copy_``, in-place ops, through views),
run as small programs in tensorplug and in PyTorch and compared: the values, the gradients,
``requires_grad``, the node names of the values, ``retains_grad``, or the class of the error.
Each program is a corner the differential fuzzer (``tests/fuzz``) found."""

from __future__ import annotations

from typing import Any

import pytest

import tensorplug as tp
from torch_oracle import assert_like_torch

torch = pytest.importorskip("torch", reason="PyTorch is the oracle here (nox installs it)")

PROGRAMS = {
    # t.retain_grad() outlives an in-place change of t (by itself, through a view, by a
    # write into it): the new node keeps t's gradient
    "retain_then_view_zero_": "y = x * 1; v = y.reshape(4, 1); y.retain_grad(); v.zero_()",
    "retain_then_mul_": "y = x * 1; y.retain_grad(); y.mul_(2)",
    "retain_then_setitem": "y = x * 1; y.retain_grad(); y[1:] = 3.0",
    "retain_then_view_mul_": "y = x * 1; v = y.reshape(4, 1); y.retain_grad(); v.mul_(2)",
    "retain_alias_then_write": "b = x * 1; y = b[...]; y.retain_grad(); y[-2:] = 5.0",
    # where's condition changed in place since: refused, never used with its new values
    "where_condition_changed": "m = x > 0; b = lib.where(m, x, w); m.zero_(); b.sum().backward()",
    "copy_into_itself": "b = lib.zeros(1).expand(3); b.copy_(b)",
    # fill_/zero_ give the old values a zero gradient, never g * 0 (NaN where g is inf)
    "fill_then_log": "r = x.log1p(); r.fill_(0); b = lib.log(r)",
    "zero_then_reciprocal": "r = x * 1; r.zero_(); b = r.reciprocal()",
    "empty_float_index": "b = lib.zeros(0)[lib.tensor([])]",
    # a view made outside the graph joins it when a value that requires grad is written in
    "view_joins_graph": "b = c.square(); v = b[...]; s = b[0]; b[...] = w",
    # numbers that do not fit an integer (or float32) tensor are refused, as PyTorch does
    "int_nan": "i = c.int(); i[0] = float('nan')",
    "int_inf_fill": "i = c.int(); i.fill_(float('inf'))",
    "int32_overflow": "i = c.int(); i[0] = 2 ** 31",
    "int32_max": "i = c.int(); i[0] = 2 ** 31 - 1",
    "int64_overflow": "i = c.long(); i[:] = 1e19",
    "float32_overflow": "c[0] = 1e300",
    "float16_overflow_is_inf": "h = c.half(); h[0] = 1e300",
    "number_before_index": "i = lib.zeros((0, 2), dtype=lib.int64); i[-1, None] = float('nan')",
    # index_put_ needs the destination's dtype (a mask takes a one-element value of any)
    "index_put_dtype": "c[[0]] = lib.tensor(1.0, dtype=lib.float64)",
    "mask_put_dtype": "c[c > 0] = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)",
    "mask_fill_any_dtype": "c[c > 2] = lib.tensor([7])",
    # values with extra leading 1-dims, and broadcasting against zero-size dims
    "leading_ones_into_element": "c[0] = lib.tensor([5.0])",
    "copy_into_zero_size": "z = lib.zeros((2, 0, 1)); z.copy_(lib.tensor([1.0]))",
    "copy_zero_size_source": "m = lib.zeros((2, 3, 1)); m.copy_(lib.zeros(0))",
    "setitem_shape_error": "e = lib.tensor(0.5); e[None] = c",
    "empty_list_index": "r = c[[]]",
    "empty_list_index_dim": "r = c.reshape(2, 2)[:, []]",
    "too_many_indices": "e = lib.tensor(1.0, requires_grad=True); e[[0]] = 1.0",
    "empty_expanded_write": "e = c.expand(0, 4); e[1::2] = lib.zeros((1, 0, 4))",
    # detach_ of a view is refused; of a detached alias, allowed
    "detach_view": "y = c[:2]; y.detach_()",
    "detach_alias": "y = c.detach(); y.detach_()",
}


def _run(lib: Any, source: str) -> Any:
    ns: dict[str, Any] = {
        "lib": lib,
        "x": lib.tensor([-2.6, -2.0, 0.5, 3.0], dtype=lib.float64, requires_grad=True),
        "w": lib.tensor([-0.1, 2.2, -0.2, 0.9], dtype=lib.float64, requires_grad=True),
        "c": lib.tensor([0.7, -1.0, 3.0, 1.3]),
    }
    try:
        exec(source, ns)
    except Exception as e:  # noqa: BLE001 - the class is what is compared
        return type(e)
    names = [n for n, v in ns.items() if isinstance(v, lib.Tensor) and len(n) == 1]
    out = {}
    for n in names:
        v = ns[n]
        node = type(v.grad_fn).__name__ if v.grad_fn is not None else None
        out[n] = (v.detach().tolist(), str(v.dtype).split(".")[-1], v.requires_grad, node)
    if "y" in ns and ns["y"].requires_grad:
        y = ns["y"]
        out["retains"] = y.retains_grad
        (y.reshape(-1) * lib.arange(y.numel())).sum().backward()
        out["y.grad"] = None if y.grad is None else y.grad.tolist()
    graph = [ns[n] for n in names if ns[n].requires_grad and ns[n].grad_fn is not None]
    if graph and "y" not in ns:
        sum(g.sum() * (k + 1) for k, g in enumerate(graph)).backward()
    for n in ("x", "w"):
        out[n + ".grad"] = None if ns[n].grad is None else ns[n].grad.tolist()
    return out


@pytest.mark.parametrize("name", PROGRAMS)
def test_matches_pytorch(name: str) -> None:
    assert_like_torch(_run(torch, PROGRAMS[name]), _run(tp, PROGRAMS[name]))
