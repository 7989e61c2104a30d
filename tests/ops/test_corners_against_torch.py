"""Corners of single ops that the differential fuzzer (``tests/fuzz``) found, run in
tensorplug and in PyTorch and compared: the result (values, dtype, node name) and each
input's gradient, or the class of the error. The op database's samples are well-behaved
data; these are zeros, NaNs, empty and bool operands, and argument orders."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import tensorplug as tp
from torch_oracle import assert_like_torch

torch = pytest.importorskip("torch", reason="PyTorch is the oracle here (nox installs it)")

CALLS = [
    # pow's gradients masked as PyTorch's: grad a = 0 where b == 0; grad b = 0 where a == 0
    # and b >= 0 (-inf where b < 0); 0 ** x; x ** 0 gives zeros (never g * 0 = NaN)
    "a ** b", "a ** a", "0.0 ** b", "0 ** b", "(a ** 0) / lib.tensor([0.0, 1, 2, 3, 4, 5])",
    "2 ** b",
    # the sign in norm(x, 1)'s gradient is 0 at NaN
    "lib.norm(lib.log(a), 1, 0)", "lib.norm(lib.log(a[1:]), 1, 0)",
    # abs's sign is 0 at NaN; maximum/minimum give a NaN input all of g, ties half each
    "lib.abs(a)", "lib.maximum(a, b)", "lib.minimum(b, a)", "lib.minimum(a, a[3])",
    # a vector times a matrix is SqueezeBackward4
    "a[:2] @ m", "m.T @ a[:2]",
    # matrix products of empty bools compute nothing, so PyTorch refuses nothing
    "lib.zeros((2, 0), dtype=lib.bool) @ lib.zeros((0, 1), dtype=lib.bool)",
    "lib.mm(lib.zeros((2, 0), dtype=lib.bool), lib.zeros((0, 3), dtype=lib.bool))",
    "lib.ones((2, 2), dtype=lib.bool) @ lib.ones((2, 1), dtype=lib.bool)",
    "lib.addmm(lib.tensor(False), lib.zeros((2, 0), dtype=lib.bool), lib.zeros((0, 2)) > 0)",
    "lib.addmm(lib.tensor(False), lib.zeros((0, 3), dtype=lib.bool), lib.zeros((3, 2)) > 0)",
    # the gradients of sign and of x ** 0 are zeros, never g * 0 (NaN where g is inf)
    "(lib.sign(a[:4]) + lib.tensor([0.0, 1, 1, 1])).reciprocal()",
    "(a[:3] ** 0 - 1).reciprocal()",
    # a bool operand of sub is refused before alpha scales it
    "lib.sub(a, lib.tensor(False), alpha=-1)", "lib.sub(a, True, alpha=2)",
    # the order of PyTorch's checks: bool before emptiness, the dim before the dtype
    "lib.argmax(lib.zeros(0, dtype=lib.bool), dim=0)",
    "lib.tensor([True]).log_softmax(2)", "lib.tensor([1, 2]).log_softmax(0)",
    # mT of a 0-d tensor is the tensor; of a 1-d one an error
    "b[0].mT", "b.mT",
    # clamp's forms: one node for tensor bounds (ties to the input), numbers, a 0-d tensor
    # outside the graph beside a number, a tensor beside a number refused
    "a.clamp(b, a)", "lib.clamp(a, min=b)", "lib.clamp(a, max=b)",
    "lib.clamp(a, lib.tensor(0.5), 2.0)", "lib.clamp(a, b, 2.0)", "lib.clamp_min(a, b)",
    "(b > 0).clamp(b > 1, b > 2)", "lib.clamp(b > 0, min=b > 1)",
    "a.clone().clamp_(b, a)", "a.clone().clamp_(max=b)", "a.clone().clamp_(lib.tensor(0.5), 2.0)",
]  # fmt: skip


def _run(lib: Any, call: str) -> Any:
    data = [0.0, -0.0, 0.0, 2.0, 3.0, float("nan")]
    names: dict[str, Any] = {
        "lib": lib,
        "a": lib.tensor(data, dtype=lib.float64, requires_grad=True),
        "b": lib.tensor([-0.5, -0.0, 2.0, 0.0, 3.0, 1.0], dtype=lib.float64, requires_grad=True),
        "m": lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=lib.float64, requires_grad=True),
    }
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PyTorch's deprecation of 0-d mT
            out = eval(call, names)
    except Exception as e:  # noqa: BLE001 - the class is what is compared
        return type(e)
    node = type(out.grad_fn).__name__ if out.grad_fn is not None else None
    got: list[Any] = [str(out.dtype).split(".")[-1], np.asarray(out.detach().tolist()), node]
    if out.requires_grad:
        out.sum().backward()
        for n in ("a", "b", "m"):
            g = names[n].grad
            got.append(None if g is None else np.asarray(g.tolist()))
    return got


@pytest.mark.parametrize("call", CALLS)
def test_matches_pytorch(call: str) -> None:
    assert_like_torch(_run(torch, call), _run(tp, call))
