"""Op-database entries of shape ops, joins and splits, and indexing."""

# NumPy's stubs type most compositions of ufuncs as Any; references return arrays.
# mypy: disable-error-code="no-any-return"

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

import tensorplug as tp

from ._opinfo import ALL, ErrorInput, OpInfo, SampleInput, TorchRef, Variant, method
from ._samples import Gen, S, errors_of, torch_function, torch_method, uniform, view_samples


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
        cuts = list(range(size, n, size)) if size else []
    else:
        cuts = list(np.cumsum(size)[:-1])
    return tuple(np.split(x, cuts, axis=dim))


def _chunk_ref(x: np.ndarray, chunks: int, dim: int = 0) -> tuple[np.ndarray, ...]:
    n = x.shape[dim]
    if n == 0:
        return _split_ref(x, [0] * chunks, dim)
    return _split_ref(x, -(-n // chunks), dim)


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


def _getitem_samples(rng: Gen) -> Iterator[SampleInput]:
    sc = ("scatter_add",)
    yield S("int", (uniform(rng, (3, 4)), 1))
    yield S("slice", (uniform(rng, (3, 4)), slice(1, 3)))
    yield S("column", (uniform(rng, (3, 4)), (slice(None), 1)))
    yield S("steps", (uniform(rng, (4, 5)), (slice(None, None, 2), slice(1, None))))
    yield S("none_ellipsis", (uniform(rng, (2, 3, 4)), (None, Ellipsis, 0)))
    yield S("negative", (uniform(rng, (3, 4)), -1))
    yield S("ellipsis_0d", (uniform(rng, ()), Ellipsis))
    # no real step (PyTorch skips slices over a whole dim): AliasBackward0
    yield S("whole_slices", (uniform(rng, (3, 4)), (slice(0, 3), slice(None))))
    yield S("int_tensor_repeated", (uniform(rng, (3, 4)), np.array([0, 2, 0])), needs_kernels=sc)
    yield S("bool_mask", (uniform(rng, (3, 4)), rng.uniform(size=(3, 4)) > 0.5), needs_kernels=sc)
    yield S("int_pair_negative", (uniform(rng, (3, 4)), (-1, 2)))
    yield S("none_slice_none", (uniform(rng, (3, 4)), (None, slice(None), None)))
    yield S("ellipsis_int", (uniform(rng, (2, 3, 4)), (Ellipsis, 1)))
    yield S("mixed", (uniform(rng, (2, 3, 4)), (0, Ellipsis, None, slice(1, 3))))
    yield S("int_tensor_2d", (uniform(rng, (3, 2)), np.array([[0, 1], [2, 0]])), needs_kernels=sc)
    yield S(
        "two_int_tensors",
        (uniform(rng, (2, 3)), (np.array([0, 1, 1]), np.array([2, 0, 2]))),
        needs_kernels=sc,
    )
    yield S("list", (uniform(rng, (3, 4)), [0, 2]), needs_kernels=sc)
    yield S("bool_rows", (uniform(rng, (3, 4)), np.array([True, False, True])), needs_kernels=sc)


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


def _T(x: Any) -> Any:  # noqa: N802 - PyTorch's name
    return x.T


def _mT(x: Any) -> Any:  # noqa: N802
    return x.mT


def shape_ops() -> list[OpInfo]:
    return [
        OpInfo(
            "reshape",
            tp.reshape,
            _reshape_ref,
            view_samples(
                (3, 4),
                ("to_2d", ((2, 6),), {}),
                ("infer", ((-1,),), {}),
                ("to_3d", ((2, 3, 2),), {}),
                ("0d", ((1,),), {"_shape": ()}),
                ("empty", ((3, 0),), {"_shape": (0, 3)}),
                ("varargs", (4, 3), {}),
            ),
            dtypes=ALL,
            errors=errors_of(
                ErrorInput(
                    S("bad_size", (np.ones((2, 3)), (4, 2))),
                    RuntimeError,
                    r"shape '\[4, 2\]' is invalid",
                ),
                ErrorInput(S("no_shape", (np.ones((2, 3)),)), TypeError, "missing"),
            ),
            torch_ref=TorchRef(
                method("reshape").call,
                (
                    method("reshape"),
                    Variant("view", method("view").call),
                    # A transposed input: a copy that is no view (UnsafeViewBackward0 of a
                    # clone); ``view`` of it raises, as it cannot be one.
                    Variant("of_transpose", lambda x, *s: x.transpose(0, -1).reshape(*s)),
                    Variant("view_of_transpose", lambda x, *s: x.transpose(0, -1).view(*s)),
                ),
                other_nodes=(
                    (
                        "of_transpose:varargs",
                        "a view of a non-contiguous tensor: PyTorch's ReshapeAliasBackward0",
                    ),
                ),
            ),
        ),
        OpInfo(
            "flatten",
            tp.flatten,
            _flatten_ref,
            view_samples(
                (2, 3, 4),
                ("all", (), {}),
                ("start1", (1,), {}),
                ("middle", (0, 1), {}),
                ("0d", (), {"_shape": ()}),
                ("one_dim", (1, 1), {}),  # the input itself
            ),
            dtypes=ALL,
            torch_ref=torch_function("flatten"),
        ),
        OpInfo(
            "squeeze",
            tp.squeeze,
            _squeeze_ref,
            view_samples(
                (2, 1, 3, 1),
                ("all", (), {}),
                ("dim1", (1,), {}),
                ("dim_not_one", (0,), {}),
                ("dims", ((1, 3),), {}),
                ("dim_neg", (-1,), {}),
            ),
            dtypes=ALL,
            errors=errors_of(
                ErrorInput(
                    S("dim_out_of_range", (np.ones((2, 1)), 2)),
                    IndexError,
                    "Dimension out of range",
                )
            ),
            torch_ref=TorchRef("squeeze", (method("squeeze"),)),
        ),
        OpInfo(
            "unsqueeze",
            tp.unsqueeze,
            lambda x, d: np.expand_dims(x, d),
            view_samples(
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
            torch_ref=torch_function("unsqueeze"),
        ),
        OpInfo(
            "permute",
            tp.permute,
            lambda x, *d: np.transpose(x, d[0] if len(d) == 1 and isinstance(d[0], tuple) else d),
            view_samples(
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
            torch_ref=torch_method("permute"),
        ),
        OpInfo(
            "transpose",
            tp.transpose,
            lambda x, a, b: np.swapaxes(x, a, b) if x.ndim else x,  # 0-d: dims 0 and -1
            view_samples(
                (2, 3, 4),
                ("0_2", (0, 2), {}),
                ("negative", (-1, -2), {}),
                ("same", (1, 1), {}),
                ("0d", (0, -1), {"_shape": ()}),
            ),
            dtypes=ALL,
            torch_ref=torch_function("transpose"),
        ),
        OpInfo(
            "t",
            tp.t,
            lambda x: x.T,
            view_samples(
                (3, 4), ("2d", (), {}), ("1d", (), {"_shape": (4,)}), ("0d", (), {"_shape": ()})
            ),
            dtypes=ALL,
            errors=errors_of(ErrorInput(S("3d", (np.ones((2, 3, 4)),)), RuntimeError, r"<= 2")),
            torch_ref=torch_function("t"),
        ),
        OpInfo(
            "expand",
            tp.expand,
            lambda x, *s: np.broadcast_to(
                x, tuple(o if n == -1 else n for o, n in zip((1,) * (len(s) - x.ndim) + x.shape, s))
            ),
            view_samples(
                (3, 1),
                ("expand_1", (3, 4), {}),
                ("new_leading", (2, 3, 4), {}),
                ("keep_minus1", (-1, 5), {}),
                ("0d", (2, 2), {"_shape": ()}),
                ("new_leading_minus1", (2, -1, 4), {}),
            ),
            dtypes=ALL,
            errors=errors_of(
                ErrorInput(S("bad_size", (np.ones((3, 2)), 3, 4)), RuntimeError, r"(?i)expand")
            ),
            torch_ref=torch_method("expand"),
        ),
        OpInfo(
            "broadcast_to",
            tp.broadcast_to,
            lambda x, s: np.broadcast_to(x, s),
            view_samples((3, 1), ("expand_1", ((3, 4),), {}), ("new_leading", ((2, 3, 4),), {})),
            dtypes=ALL,
            torch_ref=torch_function("broadcast_to"),
        ),
        OpInfo(
            "cat",
            tp.cat,
            lambda xs, dim=0: np.concatenate(xs, axis=dim),
            _join_samples,
            dtypes=ALL,
            aliases=("concat",),
            errors=_join_errors(),
            torch_ref=TorchRef("cat"),
        ),
        OpInfo(
            "stack",
            tp.stack,
            lambda xs, dim=0: np.stack(xs, axis=dim),
            _stack_samples,
            dtypes=ALL,
            torch_ref=TorchRef("stack"),
        ),
        OpInfo(
            "split",
            tp.split,
            _split_ref,
            view_samples(
                (5, 4),
                ("size2", (2,), {}),
                ("sections", ([1, 3, 1],), {}),
                ("dim1", (3,), {"dim": 1}),
                ("sections_dim1", ([1, 3],), {"dim": 1}),
                ("size0_of_empty", (0,), {"_shape": (0, 4)}),
            ),
            dtypes=ALL,
            torch_ref=TorchRef("split", (method("split"),)),
        ),
        OpInfo(
            "chunk",
            tp.chunk,
            _chunk_ref,
            view_samples(
                (5, 4),
                ("chunks2", (2,), {}),
                ("chunks3_dim1", (3,), {"dim": 1}),
                ("even", (5,), {}),
                ("fewer_pieces", (3,), {"_shape": (4, 2)}),
                ("empty_dim", (2,), {"_shape": (0, 4)}),  # two empty pieces
            ),
            dtypes=ALL,
            torch_ref=torch_function("chunk"),
        ),
        OpInfo(
            "clone",
            tp.clone,
            np.copy,
            view_samples(
                (3, 4),
                ("nd", (), {}),
                ("0d", (), {"_shape": ()}),
                ("empty", (), {"_shape": (0, 2)}),
            ),
            dtypes=ALL,
            torch_ref=torch_function("clone"),
        ),
        OpInfo(
            "getitem",
            operator.getitem,
            operator.getitem,
            _getitem_samples,
            dtypes=ALL,
            namespace="tensorplug.Tensor.__getitem__",
            errors=lambda: _getitem_errors(),
            torch_ref=TorchRef(operator.getitem),
        ),
        OpInfo(
            "T",
            _T,
            _T,
            view_samples((3, 4), ("2d", (), {}), ("empty", (), {"_shape": (0, 3)})),
            dtypes=ALL,
            namespace="tensorplug.Tensor.T",
            torch_ref=TorchRef(_T),
        ),
        OpInfo(
            "mT",
            _mT,
            lambda x: np.swapaxes(x, -1, -2),
            view_samples(
                (2, 3, 4),
                ("3d", (), {}),
                ("2d", (), {"_shape": (3, 4)}),
                ("empty_batch", (), {"_shape": (0, 2, 3)}),
            ),
            dtypes=ALL,
            namespace="tensorplug.Tensor.mT",
            errors=errors_of(ErrorInput(S("1d", (np.ones(3),)), RuntimeError, "matrices")),
            torch_ref=TorchRef(_mT),
        ),
    ]
