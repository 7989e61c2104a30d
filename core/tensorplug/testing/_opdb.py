"""The op database: one ``OpInfo`` per public op of ``tensorplug`` and
``tensorplug.nn.functional``, with NumPy float64 references.

Sample names say what they cover (``0d``, ``empty``, ``broadcast_rhs``, ``transposed``...);
``special`` samples (±0, ±inf, NaN) are kept apart from the gradient families. Smooth ops take
values anywhere in their domain; ops with kinks (``abs``, ``relu``, ``clamp``, ``max``) take
values kept away from them, so finite differences are meaningful.

The entries live in one module per op family; this module assembles them and adds the error
inputs of ops whose own entries define none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ._opdb_activation import activation_ops
from ._opdb_activation_shrink import activation_shrink_ops
from ._opdb_attention import attention_ops
from ._opdb_distance import distance_ops
from ._opdb_embedding import embedding_bilinear_ops
from ._opdb_functional import functional_ops
from ._opdb_index_write import index_write_ops
from ._opdb_inplace import in_place_ops
from ._opdb_inplace_variants import alias_ops, inplace_variant_ops
from ._opdb_layers import layer_ops
from ._opdb_layers3d import layer3d_ops
from ._opdb_layout import layout_ops
from ._opdb_linalg import linalg_ops
from ._opdb_linalg_extra import linalg_extra_ops
from ._opdb_logic import logic_ops
from ._opdb_loss import loss_ops
from ._opdb_math_extra import math_extra_ops
from ._opdb_matrix import matrix_ops
from ._opdb_mha import mha_ops
from ._opdb_nn import nn_ops
from ._opdb_pointwise import pointwise_ops
from ._opdb_pooling_extra import pooling_extra_ops
from ._opdb_reduce import reduction_ops
from ._opdb_rnn import rnn_ops
from ._opdb_rounding import rounding_ops
from ._opdb_scatter_reduce import scatter_reduce_ops
from ._opdb_select import select_ops
from ._opdb_shape import shape_ops
from ._opdb_special import special_ops
from ._opdb_special_functions import special_function_ops
from ._opdb_spectral import spectral_ops
from ._opdb_split import split_ops
from ._opdb_statistics import statistics_ops
from ._opinfo import ErrorInput, OpInfo
from ._samples import S


def _more_errors() -> dict[str, list[ErrorInput]]:
    """Error inputs of ops whose entries above have none: (exception, message regex)."""
    one, i64 = np.ones, np.array
    broadcast = r"size of tensor a \(3\) must match the size of tensor b \(4\)"
    dim = "Dimension out of range"

    def e(name: str, args: tuple[Any, ...], exc: Any, match: str, **kw: Any) -> ErrorInput:
        return ErrorInput(S(name, args, kw), exc, match)

    return {
        "mul": [e("mismatched_shapes", (one((2, 3)), one(4)), RuntimeError, broadcast)],
        "maximum": [e("mismatched_shapes", (one((2, 3)), one(4)), RuntimeError, broadcast)],
        "pow": [
            e("mismatched_shapes", (one((2, 3)), one(4)), RuntimeError, broadcast),
            e(
                "int_negative_exponent",
                (i64([1, 2]), -1),
                RuntimeError,
                "Integers to negative integer powers are not allowed",
            ),
        ],
        "where": [
            e("mismatched_shapes", (one((2, 3)) > 0, one((2, 3)), one(4)), RuntimeError, broadcast),
            # NumPy before 2.5 wraps such a number around silently: the core checks it.
            e(
                "int_overflow",
                (i64([True, False]), i64([1, 2], np.int32), 2**40),
                RuntimeError,
                "value 1099511627776 cannot be converted to type int32 without overflow",
            ),
        ],
        "matmul": [
            e(
                "inner_mismatch",
                (one((2, 3)), one((4, 2))),
                RuntimeError,
                r"shapes cannot be multiplied \(2x3 and 4x2\)",
            ),
            e("0d", (one(()), one(3)), RuntimeError, "at least 1D"),
        ],
        "bmm": [e("2d", (one((2, 3)), one((3, 2))), RuntimeError, "must be a 3D tensor")],
        "dot": [
            e("2d", (one((2, 3)), one(3)), RuntimeError, "1D tensors expected"),
            e("length_mismatch", (one(2), one(3)), RuntimeError, "inconsistent tensor size"),
        ],
        "transpose": [e("dim_out_of_range", (one((2, 3)), 0, 2), IndexError, dim)],
        "flatten": [
            e(
                "start_after_end",
                (one((2, 3)), 1, 0),
                RuntimeError,
                "start_dim cannot come after end_dim",
            )
        ],
        "stack": [
            e(
                "shape_mismatch",
                ([one(2), one(3)],),
                RuntimeError,
                "stack expects each tensor to be equal size",
            )
        ],
        "split": [
            e(
                "sizes_not_summing",
                (one(4), [1, 2]),
                RuntimeError,
                "split_sizes to sum exactly to 4",
            )
        ],
        "chunk": [e("zero_chunks", (one(4), 0), RuntimeError, "greater than 0")],
        "logsumexp": [e("dim_out_of_range", (one((2, 3)), 3), IndexError, dim)],
        "var": [e("dim_out_of_range", (one((2, 3)), 5), IndexError, dim)],
        "argmax": [e("dim_out_of_range", (one((2, 3)), 5), IndexError, dim)],
        "amax": [
            e("empty_no_dim", (one((0, 3)),), RuntimeError, "numel\\(\\) == 0"),
            e("empty_dim", (one((2, 0)), 1), IndexError, "reduction dim 1 to have non-zero size"),
        ],
        "softmax": [
            e("dim_out_of_range", (one((2, 3)), 2), IndexError, dim),
            e("int_input", (i64([1, 2]), 0), NotImplementedError, "not implemented for int64"),
        ],
        "log_softmax": [e("dim_out_of_range", (one((2, 3)), 2), IndexError, dim)],
        "cross_entropy": [
            e(
                "probability_shape",
                (one((2, 3)), one((2, 4))),
                ValueError,
                "probability targets must have the input's shape",
            )
        ],
        "linear": [
            e(
                "in_features_mismatch",
                (one((2, 3)), one((4, 5))),
                RuntimeError,
                "cannot be multiplied",
            )
        ],
        "layer_norm": [
            e(
                "trailing_shape",
                (one((2, 3)), (4,)),
                RuntimeError,
                r"expected input with trailing shape \[4\]",
            )
        ],
        "embedding": [
            e(
                "index_out_of_range",
                (i64([0, 7]), one((3, 2))),
                IndexError,
                "index 7 is out of range for a table of 3 rows",
            ),
            e("float_indices", (one(2), one((3, 2))), RuntimeError, "integer tensor"),
        ],
        "max_pool2d": [
            e("kernel_too_big", (one((1, 1, 2, 2)), 3), RuntimeError, "Output size is too small")
        ],
        "unfold": [e("5d_input", (one((1, 3, 4, 4, 4)), 2), RuntimeError, "Expected 3D or 4D")],
        "binary_cross_entropy": [
            e("input_out_of_range", (one(1) * 1.5, one(1)), RuntimeError, "between 0 and 1")
        ],
        "dropout": [
            e("p_out_of_range", (one(3), 1.5), ValueError, "probability has to be between 0 and 1")
        ],
        "expand": [e("fewer_sizes", (one((2, 3)), 3), RuntimeError, "number of sizes provided")],
        "nll_loss": [
            e(
                "3d_input",
                (one((2, 3, 4)), i64([0, 1])),
                ValueError,
                r"expected input of shape \(N, C\)",
            )
        ],
    }


def _chain(
    own: Callable[[], Iterable[ErrorInput]] | None, extra: list[ErrorInput]
) -> Callable[[], list[ErrorInput]]:
    return lambda: [*(own() if own is not None else []), *extra]


def build_op_db() -> list[OpInfo]:
    """A fresh list of every ``OpInfo``."""
    db = pointwise_ops() + reduction_ops() + shape_ops() + linalg_ops() + in_place_ops()
    db += functional_ops() + nn_ops()
    db += rounding_ops() + special_ops() + logic_ops()  # issue 16's pointwise families
    db += layout_ops()
    db += layer_ops()  # issue 16: convolutions, padding, resampling, pools, norms, dropout
    db += matrix_ops()  # issue 16: tensorplug.linalg
    db += spectral_ops()  # issue 16: tensorplug.linalg's eigvalsh, eigh, svdvals
    db += activation_ops() + loss_ops()  # issue 16's activations, distances and losses
    db += attention_ops()  # issue 17: scaled_dot_product_attention
    db += mha_ops()  # issue 17: multi_head_attention_forward
    db += rnn_ops()  # issue 17: the recurrent cell steps
    db += select_ops()
    db += scatter_reduce_ops() + special_function_ops() + layer3d_ops()  # issue 16 (wt-i16ops)
    db += distance_ops()
    db += embedding_bilinear_ops()  # issue 17: embedding (moved from _opdb_nn), bilinear
    db += activation_shrink_ops() + pooling_extra_ops()  # issue 16/17 (wt-h16nn)
    db += math_extra_ops()  # issue 16 (wt-h16math): more elementwise math, Bessel functions
    db += statistics_ops()  # issue 16 (wt-h16math): order statistics and statistics
    db += linalg_extra_ops()  # issue 16 (wt-h16math): linear-algebra gaps
    more = _more_errors()
    for info in db:
        if info.name in more:
            info.errors = _chain(info.errors, more[info.name])
    db += split_ops() + index_write_ops()  # issue 16 (wt-h16tensor)
    db += inplace_variant_ops(db) + alias_ops(db)  # issue 16 (wt-h16tensor): derived from above
    return db


op_db: list[OpInfo] = build_op_db()
"""The op database, in a stable order."""

OPS: dict[str, OpInfo] = {info.name: info for info in op_db}
