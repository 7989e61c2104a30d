"""Ops on bool and integer tensors, Python bools and ``alpha``, against PyTorch: the result's
dtype and values, or the class of the error PyTorch raises. The op database's samples are
float data cast to each dtype; these are the corners that casting does not reach (bool
subtraction and negation, integer powers with negative exponents, ``~``, ``alpha`` beside
mixed dtypes, matrix products of mixed dtypes)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorplug as tp
from torch_oracle import assert_like_torch

torch = pytest.importorskip("torch", reason="PyTorch is the oracle here (nox installs it)")

CALLS = [
    # subtraction and negation refuse bools, tensors or numbers, in every spelling
    "b - b", "b - 1", "1 - b", "f - True", "True - f", "i - b", "lib.sub(b, b)", "f.sub_(True)",
    "f.sub_(b)", "-b", "lib.neg(b)", "b.neg()", "b + b", "i - 1",
    # alpha takes no part in promotion, and must fit the result's dtype
    "lib.add(i, i, alpha=0.5)", "lib.add(f.half(), b, alpha=0.5)", "lib.add(i.int(), b, alpha=-1)",
    "lib.add(b, b, alpha=2)", "lib.add(f, f, alpha=True)", "lib.add(b, b, alpha=True)",
    "lib.add(i, 3, alpha=0.5)", "lib.add(f, 3, alpha=0.5)", "lib.sub(f, i, alpha=2)",
    "f.add_(f, alpha=True)",
    # integer powers: a negative exponent gives 0, or +-1 for a base of +-1
    "b ** b", "b ** i", "i ** b", "2 ** b", "i ** lib.tensor([-1, -2])",
    "lib.tensor([1, -1, 2, 0]) ** lib.tensor([-1, -3, -2, -1])", "i ** -1",
    "3 ** lib.tensor([-1, 0, 2])", "(-1) ** lib.tensor([-1, -2])", "b ** lib.tensor([-1, 2])",
    "lib.tensor([1, -1, 2]).int() ** lib.tensor([-1, -3, -2]).int()",
    # unary ops on bools and integers
    "~i", "~f", "~b", "~i.int()", "lib.relu(b)", "b.relu()", "lib.sign(b)", "i.relu()",
    # matrix products take one dtype, not bool
    "b @ b", "lib.mm(b[None], b[:, None])", "lib.dot(b, b)", "lib.matmul(f, f.double())",
    "lib.addmm(f.double(), f[:, None], f[None])", "lib.bmm(f[None, None], f.half()[None, :, None])",
    "lib.dot(f, i)", "lib.matmul(i, i)",
    # where's condition broadcasts with the values
    "lib.where(lib.ones(5) > 0, f, f)",
]  # fmt: skip


def _run(lib: Any, call: str) -> Any:
    names = {
        "lib": lib,
        "b": lib.tensor([True, False]),
        "i": lib.tensor([1, 2]),
        "f": lib.tensor([1.5, 2.5]),
    }
    try:
        out = eval(call, names)
    except Exception as e:  # noqa: BLE001 - the class is what is compared
        return type(e)
    return str(out.dtype).split(".")[-1], np.asarray(out.detach().numpy())


@pytest.mark.parametrize("call", CALLS)
def test_matches_pytorch(call: str) -> None:
    assert_like_torch(_run(torch, call), _run(tp, call))
