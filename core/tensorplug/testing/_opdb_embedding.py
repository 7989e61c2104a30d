"""Op-database entries of issue 17's lookup and small layers: ``nn.functional.embedding``
(``padding_idx``, ``max_norm``, ``scale_grad_by_freq``) and ``nn.functional.bilinear``."""

# NumPy's stubs type most compositions of ufuncs as Any; references return arrays.
# mypy: disable-error-code="no-any-return"

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

import tensorplug.nn.functional as F

from .. import _dtype as D
from ._compare import Tol
from ._opinfo import ErrorInput, OpInfo, SampleInput, TorchRef
from ._samples import uniform

Gen = np.random.Generator
S = SampleInput
NN = "tensorplug.nn.functional"


def _embedding_ref(
    idx: np.ndarray,
    weight: np.ndarray,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
) -> np.ndarray:
    rows = weight[idx]
    if max_norm is None:
        return rows
    norms = np.linalg.norm(rows, ord=norm_type, axis=-1, keepdims=True)
    return np.where(norms > max_norm, rows * (max_norm / (norms + 1e-7)), rows)


def _embedding_samples(rng: Gen) -> Iterator[SampleInput]:
    sc = ("scatter_add",)
    yield S("repeated_rows", (np.array([1, 3, 1, 0]), uniform(rng, (5, 3))), needs_kernels=sc)
    yield S("2d_indices", (np.array([[0, 2], [4, 2]]), uniform(rng, (5, 2))), needs_kernels=sc)
    yield S(
        # PyTorch's padding row gets no gradient though it reaches the output: forward only.
        "padding_idx",
        (np.array([0, 2, 0]), uniform(rng, (3, 2))),
        {"padding_idx": 0},
        group="forward_only",
    )
    yield S(
        "scale_grad_by_freq",
        (np.array([[1, 3], [1, 1]]), uniform(rng, (4, 3))),
        {"scale_grad_by_freq": True},
        forward_kernels=("scatter_add",),
        # The gradient is divided by each index's count by design, not the derivative:
        # checked against PyTorch's in tests/nn/test_embedding.py, not by finite differences.
        group="forward_only",
    )
    big = uniform(rng, (4, 3)) * 3.0
    # max_norm rescales the table in place outside autograd (PyTorch's gradient ignores it).
    yield S(
        "max_norm",
        (np.array([2, 0, 2]), big),
        {"max_norm": 1.0},
        group="forward_only",
        forward_kernels=("scatter_add",),
    )
    yield S(
        "max_norm_l1",
        (np.array([1, 3]), big),
        {"max_norm": 1.5, "norm_type": 1.0},
        group="forward_only",
        forward_kernels=("scatter_add",),
    )


def _bilinear_ref(
    x1: np.ndarray, x2: np.ndarray, w: np.ndarray, b: np.ndarray | None = None
) -> np.ndarray:
    out = np.einsum("...i,oij,...j->...o", x1, w, x2)
    return out if b is None else out + b


def _bilinear_samples(rng: Gen) -> Iterator[SampleInput]:
    def u(*shape: int) -> np.ndarray:
        return uniform(rng, shape)

    yield S("batch", (u(5, 2), u(5, 3), u(4, 2, 3), u(4)))
    yield S("no_bias", (u(5, 2), u(5, 3), u(4, 2, 3)))
    yield S("extra_batch_dims", (u(2, 3, 2), u(2, 3, 3), u(4, 2, 3), u(4)))
    yield S("single_vectors", (u(2), u(3), u(1, 2, 3), u(1)))


def _bilinear_errors() -> Iterator[ErrorInput]:
    def e(name: str, shapes: tuple[tuple[int, ...], ...], match: str) -> ErrorInput:
        return ErrorInput(S(name, tuple(np.ones(s) for s in shapes)), RuntimeError, match)

    yield e("ndim_mismatch", ((5, 2), (3,), (4, 2, 3)), "input dimensions do not match")
    yield e("batch_mismatch", ((5, 2), (6, 3), (4, 2, 3)), "input batch dimensions do not match")
    yield e("in1_mismatch", ((5, 3), (5, 3), (4, 2, 3)), "input1 size does not match weight size")
    yield e("in2_mismatch", ((5, 2), (5, 2), (4, 2, 3)), "input2 size does not match weight size")
    yield e(
        "bias_mismatch", ((5, 2), (5, 3), (4, 2, 3), (3,)), "bias size does not match weight size"
    )


def embedding_bilinear_ops() -> list[OpInfo]:
    composed = (("no_bias", "composed of einsum here; PyTorch ends in its _trilinear node"),)
    f16: dict[D.dtype, Any] = {D.float16: Tol(1e-3, 1e-2, "float16 sums of six products")}
    return [
        OpInfo(
            "embedding",
            F.embedding,
            _embedding_ref,
            _embedding_samples,
            namespace=NN,
            tolerances={D.float16: Tol(3e-3, 1e-3, "max_norm: a float16 row norm, then a rescale")},
            torch_ref=TorchRef("nn.functional.embedding"),
        ),
        OpInfo(
            "bilinear",
            F.bilinear,
            _bilinear_ref,
            _bilinear_samples,
            namespace=NN,
            errors=_bilinear_errors,
            tolerances=f16,
            torch_ref=TorchRef("nn.functional.bilinear", other_nodes=composed),
        ),
    ]
