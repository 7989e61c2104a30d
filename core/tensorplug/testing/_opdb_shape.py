"""Op-database entries of shape ops, joins and splits, indexing and matrix products."""

# NumPy's stubs type most compositions of ufuncs as Any; references return arrays.
# mypy: disable-error-code="no-any-return"

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

import tensorplug as tp

from .. import _dtype as D
from ._opinfo import ALL, ErrorInput, OpInfo, SampleInput
from ._samples import (
    F16_SUM,
    Gen,
    S,
    errors_of,
    uniform,
)


def _view_samples(
    shape: tuple[int, ...], *calls: tuple[str, tuple[Any, ...], dict[str, Any]]
) -> Callable[[Gen], Iterator[SampleInput]]:
    def gen(rng: Gen) -> Iterator[SampleInput]:
        for name, args, kwargs in calls:
            sh = kwargs.get("_shape", shape)
            kw = {k: v for k, v in kwargs.items() if k != "_shape"}
            yield S(name, (uniform(rng, sh), *args), kw)

    return gen


def _reshape_ref(x: np.ndarray, *shape: Any) -> np.ndarray:
    return np.reshape(x, shape[0] if len(shape) == 1 and isinstance(shape[0], tuple) else shape)


def _flatten_ref(x: np.ndarray, start_dim: int = 0, end_dim: int = -1) -> np.ndarray:
    if x.ndim == 0:
        return x.reshape(1)
    s, e = start_dim % x.ndim, end_dim % x.ndim
    return (
        x.reshape(x.shape[:s] + (-1,) + x.shape[e + 1 :])
        if x.size
        else x.reshape(x.shape[:s] + (int(np.prod(x.shape[s : e + 1])),) + x.shape[e + 1 :])
    )


def _squeeze_ref(x: np.ndarray, dim: Any = None) -> np.ndarray:
    if dim is None:
        return np.squeeze(x)
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    return np.squeeze(x, axis=tuple(d for d in dims if x.shape[d] == 1))


def _split_ref(x: np.ndarray, size: Any, dim: int = 0) -> tuple[np.ndarray, ...]:
    n = x.shape[dim]
    if isinstance(size, int):
        cuts = list(range(size, n, size))
    else:
        cuts = list(np.cumsum(size)[:-1])
    return tuple(np.split(x, cuts, axis=dim))


def _chunk_ref(x: np.ndarray, chunks: int, dim: int = 0) -> tuple[np.ndarray, ...]:
    n = x.shape[dim]
    size = -(-n // chunks)
    return _split_ref(x, size, dim)


def _join_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("dim0", ([uniform(rng, (2, 3)), uniform(rng, (1, 3)), uniform(rng, (2, 3))],))
    yield S("dim1", ([uniform(rng, (2, 3)), uniform(rng, (2, 1))],), {"dim": 1})
    yield S("dim_neg", ([uniform(rng, (2, 2, 1)), uniform(rng, (2, 2, 2))],), {"dim": -1})
    yield S("1d_with_empty", ([uniform(rng, (3,)), uniform(rng, (0,))],))
    yield S("single", ([uniform(rng, (4,))],))


def _stack_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("dim0", ([uniform(rng, (2, 3)), uniform(rng, (2, 3)), uniform(rng, (2, 3))],))
    yield S("dim_last", ([uniform(rng, (2, 3)), uniform(rng, (2, 3))],), {"dim": -1})
    yield S("0d", ([uniform(rng, ()), uniform(rng, ())],))
    yield S("empty", ([uniform(rng, (0, 2)), uniform(rng, (0, 2))],), {"dim": 1})


def _join_errors() -> Callable[[], Iterator[ErrorInput]]:
    def gen() -> Iterator[ErrorInput]:
        yield ErrorInput(
            S("shape_mismatch", ([np.ones((2, 3)), np.ones((2, 4))],)),
            RuntimeError,
            r"(?i)sizes of tensors must match|shape",
        )
        yield ErrorInput(
            S("empty_list", ([],)),
            (ValueError, RuntimeError),
            r"(?i)non-empty|expected a non-empty|empty",
        )
        yield ErrorInput(
            S("zero_dim", ([np.array(1.0), np.array(2.0)],)),
            RuntimeError,
            r"zero-dimensional tensor \(at position 0\) cannot be concatenated",
        )

    return gen


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


def _mm_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(
        S("inner_mismatch", (np.ones((2, 3)), np.ones((4, 2)))),
        RuntimeError,
        r"cannot be multiplied|shapes",
    )
    yield ErrorInput(
        S("not_2d", (np.ones((2, 3, 4)), np.ones((4, 2)))), RuntimeError, r"(?i)2D|2-D|matrix|dim"
    )


def _getitem_samples(rng: Gen) -> Iterator[SampleInput]:
    sc = ("scatter_add",)
    yield S("int", (uniform(rng, (3, 4)), 1))
    yield S("slice", (uniform(rng, (3, 4)), slice(1, 3)))
    yield S("column", (uniform(rng, (3, 4)), (slice(None), 1)))
    yield S("steps", (uniform(rng, (4, 5)), (slice(None, None, 2), slice(1, None))))
    yield S("none_ellipsis", (uniform(rng, (2, 3, 4)), (None, Ellipsis, 0)))
    yield S("negative", (uniform(rng, (3, 4)), -1))
    yield S("ellipsis_0d", (uniform(rng, ()), Ellipsis))
    yield S("int_tensor_repeated", (uniform(rng, (3, 4)), np.array([0, 2, 0])), needs_kernels=sc)
    yield S("bool_mask", (uniform(rng, (3, 4)), rng.uniform(size=(3, 4)) > 0.5), needs_kernels=sc)


def _getitem_errors() -> Iterator[ErrorInput]:
    # PyTorch's words, checked in the core: backends differ (CuPy wraps index arrays around).
    for name, index, bad, dim, size in [
        ("out_of_bounds", 5, 5, 0, 3),
        ("negative_out_of_bounds", -4, -4, 0, 3),
        ("second_dim", (0, 4), 4, 1, 4),
        ("after_ellipsis", (Ellipsis, -5), -5, 1, 4),
        ("after_none", (None, slice(None), 4), 4, 1, 4),
        ("int_tensor", np.array([0, 3, 1]), 3, 0, 3),
        ("int_tensor_negative", (slice(None), np.array([[0], [-5]])), -5, 1, 4),
        ("int_list", [1, 7], 7, 0, 3),
    ]:
        yield ErrorInput(
            S(name, (np.ones((3, 4)), index)),
            IndexError,
            rf"^index {bad} is out of bounds for dimension {dim} with size {size}$",
        )
    yield ErrorInput(S("too_many", (np.ones((3, 4)), (0, 0, 0))), IndexError, "too many indices")


def shape_ops() -> list[OpInfo]:
    mm_tol = {D.float16: F16_SUM}
    return [
        OpInfo(
            "reshape",
            tp.reshape,
            _reshape_ref,
            _view_samples(
                (3, 4),
                ("to_2d", ((2, 6),), {}),
                ("infer", ((-1,),), {}),
                ("to_3d", ((2, 3, 2),), {}),
                ("0d", ((1,),), {"_shape": ()}),
                ("empty", ((3, 0),), {"_shape": (0, 3)}),
            ),
            dtypes=ALL,
            errors=errors_of(
                ErrorInput(
                    S("bad_size", (np.ones((2, 3)), (4, 2))),
                    RuntimeError,
                    r"shape '\[4, 2\]' is invalid",
                )
            ),
        ),
        OpInfo(
            "flatten",
            tp.flatten,
            _flatten_ref,
            _view_samples(
                (2, 3, 4),
                ("all", (), {}),
                ("start1", (1,), {}),
                ("middle", (0, 1), {}),
                ("0d", (), {"_shape": ()}),
            ),
            dtypes=ALL,
        ),
        OpInfo(
            "squeeze",
            tp.squeeze,
            _squeeze_ref,
            _view_samples(
                (2, 1, 3, 1),
                ("all", (), {}),
                ("dim1", (1,), {}),
                ("dim_not_one", (0,), {}),
                ("dims", ((1, 3),), {}),
            ),
            dtypes=ALL,
            errors=errors_of(
                ErrorInput(
                    S("dim_out_of_range", (np.ones((2, 1)), 2)),
                    IndexError,
                    "Dimension out of range",
                )
            ),
        ),
        OpInfo(
            "unsqueeze",
            tp.unsqueeze,
            lambda x, d: np.expand_dims(x, d),
            _view_samples(
                (3, 4),
                ("dim0", (0,), {}),
                ("dim_last", (-1,), {}),
                ("middle", (1,), {}),
                ("0d", (0,), {"_shape": ()}),
            ),
            dtypes=ALL,
            errors=errors_of(
                ErrorInput(
                    S("dim_out_of_range", (np.ones((2, 1)), 4)),
                    IndexError,
                    "Dimension out of range",
                )
            ),
        ),
        OpInfo(
            "permute",
            tp.permute,
            lambda x, *d: np.transpose(x, d[0] if len(d) == 1 and isinstance(d[0], tuple) else d),
            _view_samples(
                (2, 3, 4),
                ("reverse", (2, 1, 0), {}),
                ("tuple", ((1, 2, 0),), {}),
                ("negative", (-1, 0, 1), {}),
            ),
            dtypes=ALL,
            errors=errors_of(
                ErrorInput(
                    S("repeated_dim", (np.ones((2, 3)), 0, 0)),
                    RuntimeError,
                    r"(?i)repeated|duplicate",
                )
            ),
        ),
        OpInfo(
            "transpose",
            tp.transpose,
            lambda x, a, b: np.swapaxes(x, a, b),
            _view_samples(
                (2, 3, 4), ("0_2", (0, 2), {}), ("negative", (-1, -2), {}), ("same", (1, 1), {})
            ),
            dtypes=ALL,
        ),
        OpInfo(
            "t",
            tp.t,
            lambda x: x.T,
            _view_samples(
                (3, 4), ("2d", (), {}), ("1d", (), {"_shape": (4,)}), ("0d", (), {"_shape": ()})
            ),
            dtypes=ALL,
            errors=errors_of(ErrorInput(S("3d", (np.ones((2, 3, 4)),)), RuntimeError, r"<= 2")),
        ),
        OpInfo(
            "expand",
            tp.expand,
            lambda x, *s: np.broadcast_to(
                x, tuple(o if n == -1 else n for o, n in zip((1,) * (len(s) - x.ndim) + x.shape, s))
            ),
            _view_samples(
                (3, 1),
                ("expand_1", (3, 4), {}),
                ("new_leading", (2, 3, 4), {}),
                ("keep_minus1", (-1, 5), {}),
                ("0d", (2, 2), {"_shape": ()}),
            ),
            dtypes=ALL,
            errors=errors_of(
                ErrorInput(S("bad_size", (np.ones((3, 2)), 3, 4)), RuntimeError, r"(?i)expand")
            ),
        ),
        OpInfo(
            "broadcast_to",
            tp.broadcast_to,
            lambda x, s: np.broadcast_to(x, s),
            _view_samples((3, 1), ("expand_1", ((3, 4),), {}), ("new_leading", ((2, 3, 4),), {})),
            dtypes=ALL,
        ),
        OpInfo(
            "cat",
            tp.cat,
            lambda xs, dim=0: np.concatenate(xs, axis=dim),
            _join_samples,
            dtypes=ALL,
            aliases=("concat",),
            errors=_join_errors(),
        ),
        OpInfo(
            "stack", tp.stack, lambda xs, dim=0: np.stack(xs, axis=dim), _stack_samples, dtypes=ALL
        ),
        OpInfo(
            "split",
            tp.split,
            _split_ref,
            _view_samples(
                (5, 4),
                ("size2", (2,), {}),
                ("sections", ([1, 3, 1],), {}),
                ("dim1", (3,), {"dim": 1}),
            ),
            dtypes=ALL,
        ),
        OpInfo(
            "chunk",
            tp.chunk,
            _chunk_ref,
            _view_samples(
                (5, 4),
                ("chunks2", (2,), {}),
                ("chunks3_dim1", (3,), {"dim": 1}),
                ("even", (5,), {}),
            ),
            dtypes=ALL,
        ),
        OpInfo(
            "clone",
            tp.clone,
            np.copy,
            _view_samples(
                (3, 4),
                ("nd", (), {}),
                ("0d", (), {"_shape": ()}),
                ("empty", (), {"_shape": (0, 2)}),
            ),
            dtypes=ALL,
        ),
        OpInfo(
            "getitem",
            operator.getitem,
            operator.getitem,
            _getitem_samples,
            dtypes=ALL,
            namespace="tensorplug.Tensor.__getitem__",
            errors=lambda: _getitem_errors(),
        ),
        OpInfo("mm", tp.mm, np.matmul, _mm_samples, tolerances=mm_tol, errors=lambda: _mm_errors()),
        OpInfo("matmul", tp.matmul, np.matmul, _matmul_samples, tolerances=mm_tol),
        OpInfo(
            "addmm",
            tp.addmm,
            _addmm_ref,
            _addmm_samples,
            tolerances=mm_tol,
            errors=lambda: _addmm_errors(),
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
        ),
    ]
