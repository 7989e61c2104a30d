"""Op-database entries of matrix products: ``mm``, ``matmul``, ``addmm``, ``bmm``, ``dot``."""

# NumPy's stubs type most compositions of ufuncs as Any; references return arrays.
# mypy: disable-error-code="no-any-return"

from __future__ import annotations

import operator
from collections.abc import Iterator
from typing import Any

import numpy as np

import tensorplug as tp

from .. import _dtype as D
from ._opinfo import ErrorInput, OpInfo, SampleInput, TorchRef, Variant, method
from ._samples import F16_SUM, Gen, S, torch_function, uniform


def _mm_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("nd", (uniform(rng, (3, 4)), uniform(rng, (4, 2))))
    yield S("vector_like", (uniform(rng, (1, 5)), uniform(rng, (5, 1))))
    yield S("empty_inner", (uniform(rng, (3, 0)), uniform(rng, (0, 2))))
    yield S("empty_outer", (uniform(rng, (0, 3)), uniform(rng, (3, 2))))


def _addmm_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("bias_row", (uniform(rng, (4,)), uniform(rng, (3, 2)), uniform(rng, (2, 4))))
    yield S("full", (uniform(rng, (3, 4)), uniform(rng, (3, 2)), uniform(rng, (2, 4))))
    yield S(
        "beta_alpha",
        (uniform(rng, (3, 1)), uniform(rng, (3, 2)), uniform(rng, (2, 4))),
        {"beta": 0.5, "alpha": -2.0},
    )
    yield S("empty_inner", (uniform(rng, (4,)), uniform(rng, (3, 0)), uniform(rng, (0, 4))))


def _addmm_ref(c: Any, a: Any, b: Any, beta: float = 1, alpha: float = 1) -> Any:
    return beta * c + alpha * np.matmul(a, b)


def _addmm_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(
        S("inner_mismatch", (np.ones(2), np.ones((2, 3)), np.ones((4, 2)))),
        RuntimeError,
        r"cannot be multiplied \(2x3 and 4x2\)",
    )
    yield ErrorInput(
        S("bias_too_big", (np.ones((3, 2, 2)), np.ones((2, 3)), np.ones((3, 2)))),
        RuntimeError,
        r"cannot be broadcast",
    )


def _matmul_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("2d_2d", (uniform(rng, (3, 4)), uniform(rng, (4, 2))))
    yield S("1d_1d", (uniform(rng, (4,)), uniform(rng, (4,))))
    yield S("2d_1d", (uniform(rng, (3, 4)), uniform(rng, (4,))))
    yield S("1d_2d", (uniform(rng, (4,)), uniform(rng, (4, 2))))
    yield S("batched_broadcast", (uniform(rng, (2, 3, 4)), uniform(rng, (4, 2))))
    yield S("batched_both", (uniform(rng, (2, 1, 2, 3)), uniform(rng, (3, 3, 2))))
    yield S("empty_inner", (uniform(rng, (3, 0)), uniform(rng, (0, 2))))
    yield S("batched_3d", (uniform(rng, (2, 3, 4)), uniform(rng, (2, 4, 5))))
    yield S("2d_3d", (uniform(rng, (3, 4)), uniform(rng, (2, 4, 5))))
    yield S("1d_3d", (uniform(rng, (4,)), uniform(rng, (2, 4, 3))))
    yield S("3d_1d", (uniform(rng, (2, 3, 4)), uniform(rng, (4,))))


def _mm_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(
        S("inner_mismatch", (np.ones((2, 3)), np.ones((4, 2)))),
        RuntimeError,
        r"cannot be multiplied|shapes",
    )
    yield ErrorInput(
        S("not_2d", (np.ones((2, 3, 4)), np.ones((4, 2)))), RuntimeError, r"(?i)2D|2-D|matrix|dim"
    )


def linalg_ops() -> list[OpInfo]:
    mm_tol = {D.float16: F16_SUM}
    return [
        OpInfo(
            "mm",
            tp.mm,
            np.matmul,
            _mm_samples,
            tolerances=mm_tol,
            errors=lambda: _mm_errors(),
            torch_ref=torch_function("mm"),
        ),
        OpInfo(
            "matmul",
            tp.matmul,
            np.matmul,
            _matmul_samples,
            tolerances=mm_tol,
            torch_ref=TorchRef(
                "matmul",
                (method("matmul"), Variant("operator", operator.matmul)),
                other_nodes=(("*2d_3d", "a matrix times a batch: PyTorch expands, then clones"),),
            ),
        ),
        OpInfo(
            "addmm",
            tp.addmm,
            _addmm_ref,
            _addmm_samples,
            tolerances=mm_tol,
            errors=lambda: _addmm_errors(),
            torch_ref=torch_function("addmm"),
        ),
        OpInfo(
            "bmm",
            tp.bmm,
            np.matmul,
            lambda rng: iter(
                [
                    S("nd", (uniform(rng, (2, 3, 4)), uniform(rng, (2, 4, 2)))),
                    S("empty_batch", (uniform(rng, (0, 3, 4)), uniform(rng, (0, 4, 2)))),
                ]
            ),
            tolerances=mm_tol,
            torch_ref=torch_function("bmm"),
        ),
        OpInfo(
            "dot",
            tp.dot,
            np.dot,
            lambda rng: iter(
                [
                    S("nd", (uniform(rng, (5,)), uniform(rng, (5,)))),
                    S("empty", (uniform(rng, (0,)), uniform(rng, (0,)))),
                ]
            ),
            tolerances=mm_tol,
            torch_ref=torch_function("dot"),
        ),
    ]
