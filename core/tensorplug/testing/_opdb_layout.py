"""Op-database entries of cumulative ops, layout ops, diagonals and products (``einsum``,
``kron``, ``tensordot``, ...) and the fused multiply-adds."""

# NumPy's stubs type most compositions of ufuncs as Any; references return arrays.
# mypy: disable-error-code="no-any-return"

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

import tensorplug as tp

from .. import _dtype as D
from ._opinfo import ALL, ErrorInput, OpInfo, SampleInput, TorchRef, inplace, method
from ._samples import (
    F16_GRAD,
    F16_SUM,
    Gen,
    S,
    distinct,
    errors_of,
    sum_dtype,
    torch_function,
    uniform,
    view_samples,
)

_COMPOSED = "composed of other ops: PyTorch's last node differs"


def _e(name: str, args: tuple[Any, ...], exc: Any, match: str, **kw: Any) -> ErrorInput:
    return ErrorInput(S(name, args, kw), exc, match)


def _dim_error(op_args: tuple[Any, ...]) -> ErrorInput:
    return _e("dim_out_of_range", op_args, IndexError, "Dimension out of range")


# -- references ----------------------------------------------------------------------------


def _cum(f: Any) -> Any:
    return lambda x, dim, dtype=None: f(x.reshape(1), 0).reshape(()) if x.ndim == 0 else f(x, dim)


def _cummax_ref(x: np.ndarray, dim: int, f: Any = np.maximum) -> tuple[np.ndarray, np.ndarray]:
    x1 = np.moveaxis(np.atleast_1d(x), dim, -1)
    vals = f.accumulate(x1, axis=-1)
    pos = np.where(x1 == vals, np.arange(x1.shape[-1]), 0)
    idx = np.maximum.accumulate(pos, axis=-1)
    if not x.ndim:
        return vals[0], idx[0]
    return np.moveaxis(vals, -1, dim), np.moveaxis(idx, -1, dim)


def _roll_ref(x: np.ndarray, shifts: Any, dims: Any = None) -> np.ndarray:
    return np.roll(x, shifts, dims)


def _diag_embed_ref(x: np.ndarray, offset: int = 0, dim1: int = -2, dim2: int = -1) -> np.ndarray:
    n = x.shape[-1] + abs(offset)
    out = np.zeros(x.shape[:-1] + (n, n))
    i = np.arange(x.shape[-1])
    r, c = (i, i + offset) if offset >= 0 else (i - offset, i)
    out[..., r, c] = x
    nd = x.ndim + 1
    return np.moveaxis(out, (-2, -1), (dim1 % nd, dim2 % nd))


def _einsum_ref(eq: str, *ops: Any) -> np.ndarray:
    ops = tuple(ops[0]) if len(ops) == 1 and isinstance(ops[0], (list, tuple)) else ops
    return np.asarray(np.einsum(eq, *ops))


def _kron_ref(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.kron(a, b)


def _tensordot_ref(a: np.ndarray, b: np.ndarray, dims: Any = 2) -> np.ndarray:
    return np.tensordot(a, b, dims)


def _meshgrid_ref(*xs: np.ndarray, indexing: str = "ij") -> tuple[np.ndarray, ...]:
    return tuple(np.meshgrid(*xs, indexing=indexing))  # type: ignore[call-overload]


def _cartesian_ref(*xs: np.ndarray) -> np.ndarray:
    if len(xs) == 1:
        return xs[0]
    return np.stack([g.reshape(-1) for g in np.meshgrid(*xs, indexing="ij")], 1)


def _rep_int_ref(x: np.ndarray, repeats: Any, dim: int | None = None) -> np.ndarray:
    r = np.asarray(repeats).astype(np.int64) if not isinstance(repeats, int) else repeats
    return np.repeat(x, r, axis=dim)


def _lerp_ref(s: np.ndarray, e: np.ndarray, w: Any) -> np.ndarray:
    return s + w * (e - s)


# -- samples -------------------------------------------------------------------------------


def _cum_samples(zeros: bool) -> Any:
    def gen(rng: Gen) -> Iterator[SampleInput]:
        yield S("dim1", (uniform(rng, (3, 4)), 1))
        yield S("dim0", (uniform(rng, (3, 4)), 0))
        yield S("dim_neg_3d", (uniform(rng, (2, 3, 4)), -2))
        yield S("1d", (uniform(rng, (5,)), 0))
        yield S("0d", (uniform(rng, ()), 0))
        yield S("empty", (uniform(rng, (0, 3)), 0))
        if zeros:
            x = uniform(rng, (3, 5))
            x[0, 1] = x[1, 0] = x[1, 3] = x[2, 4] = 0.0
            yield S("zeros", (x, 1))

    return gen


def _cummax_samples(rng: Gen) -> Iterator[SampleInput]:
    sc = ("scatter_add",)
    yield S("dim1", (distinct(rng, (3, 4)), 1), needs_kernels=sc)
    yield S("dim0", (distinct(rng, (3, 4)), 0), needs_kernels=sc)
    yield S("1d", (distinct(rng, (6,)), 0), needs_kernels=sc)
    yield S("0d", (uniform(rng, ()), 0))  # its gradient is g itself: no scatter


def _einsum_samples(rng: Gen) -> Iterator[SampleInput]:
    u = uniform
    yield S("matmul", ("ij,jk->ik", u(rng, (3, 4)), u(rng, (4, 5))))
    yield S("batched", ("bij,bjk->bik", u(rng, (2, 3, 4)), u(rng, (2, 4, 5))))
    yield S("chain3", ("ij,jk,kl->il", u(rng, (3, 4)), u(rng, (4, 5)), u(rng, (5, 2))))
    yield S("chain4", ("ab,bc,cd,de->ae", *(u(rng, s) for s in ((2, 6), (6, 6), (6, 3), (3, 2)))))
    yield S("diagonal", ("ii->i", u(rng, (3, 3))))
    yield S("trace_implicit", ("ii", u(rng, (3, 3))))
    yield S("ellipsis", ("...ij,...jk", u(rng, (2, 3, 4)), u(rng, (4, 5))))
    yield S("broadcast_label", ("bi,bi->b", u(rng, (1, 3)), u(rng, (4, 3))))
    yield S("outer", ("i,j->ij", u(rng, (3,)), u(rng, (4,))))
    yield S("sum_all", ("ijk->", u(rng, (2, 3, 4))))
    yield S("list", ("ij,ij->i", [u(rng, (3, 4)), u(rng, (3, 4))]))
    yield S("permute", ("ijk->kji", u(rng, (2, 3, 4))))
    yield S("repeated_and_contracted", ("iij,jk->ik", u(rng, (3, 3, 4)), u(rng, (4, 2))))
    yield S("spaces_upper", ("Ab, bC -> AC", u(rng, (2, 3)), u(rng, (3, 2))))
    yield S("empty_contracted", ("ij,jk->ik", u(rng, (2, 0)), u(rng, (0, 2))))
    yield S("empty_broadcast", ("bi,bi->b", u(rng, (1, 3)), u(rng, (0, 3))))


def _einsum_errors() -> Iterator[ErrorInput]:
    one = np.ones
    yield _e("few", ("ij,jk", one((2, 3))), RuntimeError, "fewer operands were provided")
    yield _e("many", ("ij", one((2, 3)), one(3)), RuntimeError, "more operands were provided")
    yield _e("ndim", ("ijk", one((2, 3))), RuntimeError, r"number of subscripts .* \(3\)")
    yield _e("bad_char", ("i1->i", one((2, 3))), RuntimeError, "invalid subscript given at index 1")
    yield _e("size", ("ij,jk", one((2, 3)), one((4, 5))), RuntimeError, "subscript j has size 4")
    yield _e("out_twice", ("ij->ii", one((2, 3))), RuntimeError, "appears more than once")
    yield _e("out_unknown", ("ij->k", one((2, 3))), RuntimeError, "k does not appear")


def _fused_samples(n_extra: int) -> Any:
    def gen(rng: Gen) -> Iterator[SampleInput]:
        u = uniform

        def pos(s: tuple[int, ...]) -> np.ndarray:  # addcdiv's divisor: away from zero
            return u(rng, s, 0.5, 2.0) if n_extra == 2 else u(rng, s)

        yield S("nd", (u(rng, (3, 4)), u(rng, (3, 4)), pos((3, 4))))
        yield S("broadcast", (u(rng, (3, 4)), u(rng, (4,)), pos((3, 1))), broadcasts=True)
        yield S("value", (u(rng, (3, 4)), u(rng, (3, 4)), pos((3, 4))), {"value": -0.5})
        yield S("0d", (u(rng, ()), u(rng, ()), pos(())))

    return gen


def _lerp_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("scalar_weight", (uniform(rng, (3, 4)), uniform(rng, (3, 4)), 0.3))
    yield S("broadcast", (uniform(rng, (3, 4)), uniform(rng, (4,)), 0.75), broadcasts=True)
    yield S("tensor_weight", (uniform(rng, (3, 4)), uniform(rng, (4,)), uniform(rng, (3, 1))))


def _product_ops() -> list[OpInfo]:
    u = uniform
    return [
        OpInfo(
            "einsum",
            tp.einsum,
            _einsum_ref,
            _einsum_samples,
            errors=_einsum_errors,
            torch_ref=TorchRef(
                "einsum",
                other_nodes=(
                    ("chain4", "PyTorch's order of contraction ends in a view"),
                    ("diagonal", "PyTorch takes the diagonal then permutes it"),
                    ("outer", "PyTorch multiplies broadcast operands, no matmul"),
                ),
            ),
        ),
        OpInfo(
            "outer",
            tp.outer,
            np.outer,
            lambda rng: iter([S("vectors", (u(rng, (3,)), u(rng, (4,))))]),
            aliases=("ger",),
            errors=errors_of(_e("2d", (np.ones((2, 2)), np.ones(2)), RuntimeError, "1-D")),
            torch_ref=torch_function("outer"),
        ),
        OpInfo(
            "kron",
            tp.kron,
            _kron_ref,
            lambda rng: iter(
                [
                    S("2d", (u(rng, (2, 3)), u(rng, (3, 2)))),
                    S("ranks", (u(rng, (3,)), u(rng, (2, 2)))),
                ]
            ),
            torch_ref=TorchRef("kron", (method("kron"),), other_nodes=(("*", _COMPOSED),)),
        ),
        OpInfo(
            "tensordot",
            tp.tensordot,
            _tensordot_ref,
            lambda rng: iter(
                [
                    S("dims2", (u(rng, (2, 3, 4)), u(rng, (3, 4, 5)))),
                    S("lists", (u(rng, (2, 3, 4)), u(rng, (4, 2, 5))), {"dims": ([0, 2], [1, 0])}),
                    S("outer", (u(rng, (2,)), u(rng, (3,))), {"dims": 0}),
                ]
            ),
            errors=errors_of(
                _e("mismatch", (np.ones((2, 3)), np.ones((4, 3))), RuntimeError, "contracted")
            ),
            torch_ref=TorchRef("tensordot"),
        ),
        OpInfo(
            "addmv",
            tp.addmv,
            lambda c, m, v, beta=1, alpha=1: beta * c + alpha * (m @ v),
            lambda rng: iter(
                [
                    S("plain", (u(rng, (3,)), u(rng, (3, 4)), u(rng, (4,)))),
                    S(
                        "scaled",
                        (u(rng, (1,)), u(rng, (3, 4)), u(rng, (4,))),
                        {"beta": 0.5, "alpha": 2},
                    ),
                ]
            ),
            errors=errors_of(
                _e("size", (np.ones(3), np.ones((3, 4)), np.ones(5)), RuntimeError, "size mismatch")
            ),
            torch_ref=torch_function("addmv", inplace("addmv_")),
        ),
        OpInfo(
            "baddbmm",
            tp.baddbmm,
            lambda c, a, b, beta=1, alpha=1: beta * c + alpha * (a @ b),
            lambda rng: iter(
                [
                    S("plain", (u(rng, (2, 3, 5)), u(rng, (2, 3, 4)), u(rng, (2, 4, 5)))),
                    S(
                        "scaled",
                        (u(rng, (3, 1)), u(rng, (2, 3, 4)), u(rng, (2, 4, 5))),
                        {"beta": 0.5, "alpha": -2},
                    ),
                ]
            ),
            errors=errors_of(
                _e("2d", (np.ones(3), np.ones((3, 4)), np.ones((4, 2))), RuntimeError, "3D tensor")
            ),
            torch_ref=torch_function("baddbmm", inplace("baddbmm_")),
        ),
        OpInfo(
            "addcmul",
            tp.addcmul,
            lambda x, a, b, value=1: x + value * a * b,
            _fused_samples(1),
            torch_ref=torch_function("addcmul", inplace("addcmul_")),
        ),
        OpInfo(
            "addcdiv",
            tp.addcdiv,
            lambda x, a, b, value=1: x + value * a / b,
            _fused_samples(2),
            torch_ref=torch_function("addcdiv", inplace("addcdiv_")),
        ),
        OpInfo(
            "lerp",
            tp.lerp,
            _lerp_ref,
            _lerp_samples,
            torch_ref=torch_function("lerp", inplace("lerp_")),
        ),
    ]


def _diag_ops() -> list[OpInfo]:
    return [
        OpInfo(
            "diagonal",
            tp.diagonal,
            lambda x, offset=0, dim1=0, dim2=1: np.diagonal(x, offset, dim1, dim2).copy(),
            view_samples(
                (3, 4),
                ("main", (), {}),
                ("offset", (1,), {}),
                ("below", (-2,), {}),
                ("dims_3d", (1, 2, 0), {"_shape": (3, 4, 5)}),
                ("past_the_end", (5,), {}),
            ),
            dtypes=ALL,
            errors=errors_of(
                _e("same_dims", (np.ones((2, 2)), 0, 1, 1), RuntimeError, "cannot be identical")
            ),
            torch_ref=torch_function("diagonal"),
        ),
        OpInfo(
            "diag_embed",
            tp.diag_embed,
            _diag_embed_ref,
            view_samples(
                (2, 3),
                ("last", (), {}),
                ("offset_dims", (-1, 0, 2), {}),
                ("1d_offset", (1,), {"_shape": (3,)}),
            ),
            dtypes=ALL,
            torch_ref=torch_function("diag_embed"),
        ),
        OpInfo(
            "diag",
            tp.diag,
            np.diag,
            view_samples(
                (3,),
                ("vector", (), {}),
                ("vector_above", (1,), {}),
                ("matrix_below", (-1,), {"_shape": (3, 4)}),
            ),
            dtypes=ALL,
            errors=errors_of(_e("3d", (np.ones((2, 2, 2)),), RuntimeError, "1D or 2D")),
            torch_ref=TorchRef(
                "diag",
                (method("diag"),),
                other_nodes=(("*matrix*", "DiagonalBackward0_copy in PyTorch"),),
            ),
        ),
        OpInfo(
            "trace",
            tp.trace,
            np.trace,
            view_samples((3, 4), ("wide", (), {}), ("square", (), {"_shape": (3, 3)})),
            dtypes=ALL,
            result_dtype=sum_dtype,
            errors=errors_of(_e("3d", (np.ones((2, 2, 2)),), RuntimeError, "expected a matrix")),
            torch_ref=torch_function("trace"),
        ),
    ]


def _move_ref(x: np.ndarray, s: Any, d: Any) -> np.ndarray:
    return np.moveaxis(x, s, d)


def _shape_like_ops() -> list[OpInfo]:
    u = uniform
    return [
        OpInfo(
            "flip",
            tp.flip,
            lambda x, dims: np.flip(x, dims),
            view_samples(
                (2, 3, 4), ("two", ((0, 2),), {}), ("neg", ([-1],), {}), ("none", ((),), {})
            ),
            dtypes=ALL,
            errors=errors_of(
                _e("repeated", (np.ones((2, 3)), (0, 0)), RuntimeError, "multiple times")
            ),
            torch_ref=torch_function("flip"),
        ),
        OpInfo(
            "fliplr",
            tp.fliplr,
            np.fliplr,
            view_samples((2, 3, 4), ("3d", (), {})),
            dtypes=ALL,
            errors=errors_of(_e("1d", (np.ones(3),), RuntimeError, ">= 2-d")),
            torch_ref=torch_function("fliplr"),
        ),
        OpInfo(
            "flipud",
            tp.flipud,
            np.flipud,
            view_samples((3, 4), ("2d", (), {}), ("1d", (), {"_shape": (4,)})),
            dtypes=ALL,
            torch_ref=torch_function("flipud"),
        ),
        OpInfo(
            "roll",
            tp.roll,
            _roll_ref,
            view_samples(
                (3, 4),
                ("two_dims", ((1, -2), (0, 1)), {}),
                ("flat", (5,), {}),
                ("dim1", (6,), {"dims": 1}),
            ),
            dtypes=ALL,
            errors=errors_of(
                _e("misaligned", (np.ones((2, 3)), (1, 2), 0), RuntimeError, "must align")
            ),
            torch_ref=torch_function("roll"),
        ),
        OpInfo(
            "repeat",
            lambda x, *sizes: x.repeat(*sizes),
            lambda x, *sizes: np.tile(x, sizes[0] if len(sizes) == 1 else sizes),
            view_samples(
                (3, 4),
                ("more_dims", (2, 1, 3), {}),
                ("tuple", ((2, 2),), {}),
                ("0d", (3,), {"_shape": ()}),
            ),
            dtypes=ALL,
            namespace="tensorplug.Tensor.repeat",
            errors=errors_of(_e("fewer", (np.ones((2, 3)), 2), RuntimeError, "can not be smaller")),
            torch_ref=TorchRef(method("repeat").call),
        ),
        OpInfo(
            "tile",
            tp.tile,
            lambda x, dims: np.tile(x, dims),
            view_samples((3, 4), ("short", ((2,),), {}), ("long", ((2, 1, 2),), {})),
            dtypes=ALL,
            torch_ref=torch_function("tile"),
        ),
        OpInfo(
            "movedim",
            tp.movedim,
            _move_ref,
            view_samples((2, 3, 4), ("one", (0, 2), {}), ("two", ((0, 1), (2, 0)), {})),
            dtypes=ALL,
            aliases=("moveaxis",),
            errors=errors_of(
                _e("lengths", (np.ones((2, 3)), (0, 1), (1,)), RuntimeError, "same number")
            ),
            torch_ref=torch_function("movedim", method("moveaxis")),
        ),
        OpInfo(
            "unbind",
            tp.unbind,
            lambda x, dim=0: tuple(np.moveaxis(x, dim, 0)),
            view_samples((2, 3, 4), ("dim0", (), {}), ("dim1", (1,), {})),
            dtypes=ALL,
            errors=errors_of(_dim_error((np.ones((2, 3)), 2))),
            torch_ref=torch_function("unbind"),
        ),
        OpInfo(
            "meshgrid",
            tp.meshgrid,
            _meshgrid_ref,
            lambda rng: iter(
                [
                    S("ij", (u(rng, (3,)), u(rng, (4,))), {"indexing": "ij"}),
                    S("xy", (u(rng, (3,)), u(rng, (4,)), u(rng, (2,))), {"indexing": "xy"}),
                ]
            ),
            errors=errors_of(
                _e("indexing", (np.ones(2),), RuntimeError, "indexing must be", indexing="x")
            ),
            torch_ref=TorchRef("meshgrid"),
        ),
        OpInfo(
            "cartesian_prod",
            tp.cartesian_prod,
            _cartesian_ref,
            lambda rng: iter(
                [
                    S("two", (u(rng, (3,)), u(rng, (4,)))),
                    S("three", (u(rng, (2,)), u(rng, (3,)), u(rng, (2,)))),
                ]
            ),
            torch_ref=TorchRef("cartesian_prod"),
        ),
        OpInfo(
            "repeat_interleave",
            tp.repeat_interleave,
            _rep_int_ref,
            lambda rng: iter(
                [
                    S("int_dim", (u(rng, (3, 4)), 2), {"dim": 1}),
                    S("flat", (u(rng, (3, 2)), 3)),
                    S(
                        "counts",
                        (u(rng, (3, 4)), np.array([1, 0, 2])),
                        {"dim": 0},
                        needs_kernels=("scatter_add",),
                    ),
                ]
            ),
            torch_ref=TorchRef(
                "repeat_interleave",
                (method("repeat_interleave"),),
                other_nodes=(("*counts", "IndexSelectBackward0 in PyTorch"),),
            ),
        ),
    ]


def layout_ops() -> list[OpInfo]:
    ops = _layout_ops()
    for info in ops:  # sums and products of several float16 terms round at each step
        info.tolerances.setdefault(D.float16, F16_SUM)
        info.grad_tolerances.setdefault(D.float16, F16_GRAD)
    return ops


def _layout_ops() -> list[OpInfo]:
    return [
        OpInfo(
            "cumsum",
            tp.cumsum,
            _cum(np.cumsum),
            _cum_samples(False),
            dtypes=ALL,
            result_dtype=sum_dtype,
            errors=errors_of(_dim_error((np.ones((2, 3)), 2))),
            torch_ref=torch_function("cumsum", inplace("cumsum_")),
        ),
        OpInfo(
            "cumprod",
            tp.cumprod,
            _cum(np.cumprod),
            _cum_samples(True),
            dtypes=ALL,
            result_dtype=sum_dtype,
            errors=errors_of(_dim_error((np.ones((2, 3)), -3))),
            torch_ref=torch_function("cumprod", inplace("cumprod_")),
        ),
        OpInfo(
            "cummax",
            tp.cummax,
            _cummax_ref,
            _cummax_samples,
            grad_outputs=lambda r: r[0],
            errors=errors_of(_dim_error((np.ones((2, 3)), 2))),
            torch_ref=torch_function("cummax"),
        ),
        OpInfo(
            "cummin",
            tp.cummin,
            lambda x, dim: _cummax_ref(x, dim, np.minimum),
            _cummax_samples,
            grad_outputs=lambda r: r[0],
            errors=errors_of(_dim_error((np.ones((2, 3)), -3))),
            torch_ref=torch_function("cummin"),
        ),
        *_shape_like_ops(),
        *_diag_ops(),
        *_product_ops(),
    ]
