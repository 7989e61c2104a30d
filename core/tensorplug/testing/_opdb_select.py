"""Op-database entries of selection and masking (issue 16): triangles, masks, gather and
scatter, index ops, sorting and searching."""

# NumPy's stubs type most compositions of ufuncs as Any; references return arrays.
# mypy: disable-error-code="no-any-return"

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

import tensorplug as tp

from ._opinfo import (
    ALL,
    FLOATS,
    NUMERIC,
    ErrorInput,
    NoGrad,
    OpInfo,
    TorchRef,
    inplace,
    method,
)
from ._samples import (
    F16_SUM,
    Gen,
    S,
    distinct,
    errors_of,
    to_int64,
    torch_function,
    uniform,
    with_kernels,
)

SC = ("scatter_add",)
"""The optional kernel the gradients of gather-like ops need."""


def _needing(kernel: str, gen: Callable[[Gen], Iterator[Any]]) -> Callable[[Gen], Iterator[Any]]:
    """``gen``'s samples, each marked as needing the optional kernel ``kernel`` to run."""
    return with_kernels(gen, forward=(kernel,))


def _first(out: Any) -> Any:
    return out[0]


def _i(*rows: Any) -> np.ndarray:
    return np.array(rows, dtype=np.int64)


def _tri_samples(rng: Gen) -> Iterator[Any]:
    yield S("2d", (uniform(rng, (3, 4)),))
    yield S("above", (uniform(rng, (3, 4)), 1))
    yield S("below_3d", (uniform(rng, (2, 3, 4)), -1))
    yield S("kw", (uniform(rng, (4, 3)),), {"diagonal": 2})
    yield S("empty", (uniform(rng, (0, 3)),))


def _tri_ref(lower: bool) -> Any:
    def ref(x: np.ndarray, diagonal: int = 0) -> np.ndarray:
        return np.tril(x, diagonal) if lower else np.triu(x, diagonal)

    return ref


def _mask(rng: Gen, shape: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(size=shape) > 0.5


def _masked_fill_samples(rng: Gen) -> Iterator[Any]:
    yield S("number", (uniform(rng, (3, 4)), _mask(rng, (3, 4)), 1.5))
    yield S("broadcast_mask", (uniform(rng, (3, 4)), _mask(rng, (4,)), -2.0), broadcasts=True)
    yield S("tensor_value", (uniform(rng, (3, 4)), _mask(rng, (3, 4)), uniform(rng, ())))
    yield S("int_value", (uniform(rng, (2, 3)), _mask(rng, (2, 3)), 3))


def _masked_fill_ref(x: np.ndarray, mask: np.ndarray, value: Any) -> np.ndarray:
    x, mask = np.broadcast_arrays(x, mask)
    return np.where(mask, np.asarray(value, x.dtype), x)


def _masked_select_samples(rng: Gen) -> Iterator[Any]:
    yield S("same_shape", (uniform(rng, (3, 4)), _mask(rng, (3, 4))), needs_kernels=SC)
    yield S("broadcast_mask", (uniform(rng, (3, 4)), _mask(rng, (4,))), needs_kernels=SC)
    yield S("broadcast_input", (uniform(rng, (4,)), _mask(rng, (2, 4))), needs_kernels=SC)


def _masked_select_ref(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    x, mask = np.broadcast_arrays(x, mask)
    return x[mask]


def _nonzero_ref(x: np.ndarray, as_tuple: bool = False) -> Any:
    nz = np.nonzero(np.atleast_1d(x))
    return nz if as_tuple else np.stack(nz, 1)


def _nonzero_samples(rng: Gen) -> Iterator[Any]:
    x = uniform(rng, (3, 4))
    x[x < 0] = 0
    yield S("2d", (x,))
    yield S("1d_tuple", (x[0],), {"as_tuple": True})
    yield S("3d", (np.round(uniform(rng, (2, 2, 3))),))
    yield S("empty", (uniform(rng, (0, 3)),))


def _narrow_ref(x: np.ndarray, dim: int, start: int, length: int) -> np.ndarray:
    start = start % x.shape[dim] if start < 0 else start
    return np.take(x, range(start, start + length), axis=dim)


def _gather_samples(rng: Gen) -> Iterator[Any]:
    x = uniform(rng, (3, 4))
    yield S("dim1", (x, 1, _i([0, 1], [3, 0], [1, 1])), needs_kernels=SC)
    yield S("dim0", (uniform(rng, (3, 4)), 0, _i([0, 1, 2, 0], [2, 2, 0, 1])), needs_kernels=SC)
    yield S("smaller_index", (uniform(rng, (3, 4)), 1, _i([3], [0])), needs_kernels=SC)
    yield S("3d_neg_dim", (uniform(rng, (2, 3, 2)), -2, _i([[0, 2]], [[1, 1]])), needs_kernels=SC)
    yield S("1d", (uniform(rng, (5,)), 0, _i(4, 0, 4)), needs_kernels=SC)


def _gather_ref(x: np.ndarray, dim: int, index: np.ndarray) -> np.ndarray:
    sl = tuple(slice(0, n) if d != dim % x.ndim else slice(None) for d, n in enumerate(index.shape))
    return np.take_along_axis(x[sl], index, dim)


def _gather_errors() -> Iterator[ErrorInput]:
    x = np.ones((3, 4))
    yield ErrorInput(
        S("out_of_bounds", (x, 1, _i([0, 4]))), RuntimeError, "index 4 is out of bounds"
    )
    yield ErrorInput(S("ndim", (x, 1, _i(0, 1))), RuntimeError, "same number of dimensions")
    yield ErrorInput(
        S("int32_index", (x, 1, np.array([[0]], np.int32))), RuntimeError, "int64 for index"
    )


def _take_along_dim_samples(rng: Gen) -> Iterator[Any]:
    yield S("dim1", (uniform(rng, (3, 4)), _i([0, 3], [1, 1], [2, 0]), 1), needs_kernels=SC)
    yield S("flat", (uniform(rng, (3, 4)), _i(11, 0, 5)), needs_kernels=SC)
    yield S("broadcast", (uniform(rng, (3, 4)), _i([0, 2]), 1), needs_kernels=SC)


def _take_along_dim_ref(x: np.ndarray, idx: np.ndarray, dim: int | None = None) -> np.ndarray:
    if dim is None:
        return np.take_along_axis(x.reshape(-1), idx.reshape(-1), 0)
    one = [(*a.shape[:dim], 1, *a.shape[dim + 1 :]) for a in (x, idx)]
    shape = list(np.broadcast_shapes(*one))
    xs, ids = list(shape), list(shape)
    xs[dim], ids[dim] = x.shape[dim], idx.shape[dim]
    return np.take_along_axis(np.broadcast_to(x, xs), np.broadcast_to(idx, ids), dim)


def _scatter_samples(rng: Gen) -> Iterator[Any]:
    # Each row's indices distinct: with repeats, which write wins is unspecified.
    yield S("src_dim1", (uniform(rng, (3, 4)), 1, _i([0, 2], [3, 1], [1, 0]), uniform(rng, (3, 2))))
    yield S("value", (uniform(rng, (3, 4)), 1, _i([0, 2], [3, 1], [1, 0]), 2.5))


def _scatter_ref(x: np.ndarray, dim: int, idx: np.ndarray, src: Any, add: bool = False) -> Any:
    out = x.copy()
    for pos in np.ndindex(*idx.shape):
        where = list(pos)
        where[dim] = idx[pos]
        v = src[pos] if isinstance(src, np.ndarray) else src
        out[tuple(where)] = out[tuple(where)] + v if add else v
    return out


def _scatter_add_samples(rng: Gen) -> Iterator[Any]:
    yield S("repeats", (uniform(rng, (3, 4)), 1, _i([0, 0, 2], [3, 3, 3], [1, 0, 1]),
                        uniform(rng, (3, 3))), needs_kernels=SC)  # fmt: skip


def _index_select_samples(rng: Gen) -> Iterator[Any]:
    yield S("dim0_repeat", (uniform(rng, (3, 4)), 0, _i(0, 2, 0)), needs_kernels=SC)
    yield S("dim1", (uniform(rng, (3, 4)), 1, _i(3)), needs_kernels=SC)
    yield S("neg_dim", (uniform(rng, (2, 3, 2)), -1, _i(1, 0)), needs_kernels=SC)


def _index_add_samples(rng: Gen) -> Iterator[Any]:
    yield S("dim0_repeat", (uniform(rng, (3, 4)), 0, _i(0, 2, 0), uniform(rng, (3, 4))))
    yield S("alpha", (uniform(rng, (3, 4)), 1, _i(3, 1), uniform(rng, (3, 2))), {"alpha": 2.5})


def _index_add_ref(
    x: np.ndarray, dim: int, idx: np.ndarray, src: np.ndarray, alpha: float = 1
) -> np.ndarray:
    out = x.copy()
    np.add.at(out, (slice(None),) * dim + (idx,), alpha * src)  # type: ignore[arg-type]
    return out


def _sort_samples(rng: Gen) -> Iterator[Any]:
    yield S("last", (distinct(rng, (3, 4)),))
    yield S("dim0_desc", (distinct(rng, (3, 4)), 0, True))
    yield S("stable_kw", (distinct(rng, (5,)),), {"stable": True, "descending": True})
    yield S("3d", (distinct(rng, (2, 3, 2)), 1))


def _sort_ref(x: np.ndarray, dim: int = -1, descending: bool = False, **_: Any) -> Any:
    idx = np.argsort(-x if descending else x, axis=dim, kind="stable")
    return np.take_along_axis(x, idx, dim), idx


def _spread(rng: Gen, shape: tuple[int, ...]) -> np.ndarray:
    """``distinct`` values still distinct once rounded to integers (ties have no order)."""
    return distinct(rng, shape) * 2


def _topk_samples(rng: Gen) -> Iterator[Any]:
    yield S("k2", (_spread(rng, (3, 5)), 2))
    yield S("dim0", (_spread(rng, (4, 3)), 3, 0))
    yield S("smallest", (_spread(rng, (3, 5)), 2), {"largest": False})
    yield S("all", (_spread(rng, (6,)), 6))
    yield S("k0", (_spread(rng, (2, 3)), 0))


def _topk_ref(x: np.ndarray, k: int, dim: int = -1, largest: bool = True) -> Any:
    idx = np.argsort(-x if largest else x, axis=dim, kind="stable")
    idx = np.take(idx, range(k), axis=dim)
    return np.take_along_axis(x, idx, dim), idx


def _unique_samples(rng: Gen) -> Iterator[Any]:
    # NoGrad: PyTorch records a node without a derivative, tensorplug none.
    x = NoGrad(np.round(uniform(rng, (3, 4))))
    yield S("flat", (x,))
    yield S("all_outputs", (x,), {"return_inverse": True, "return_counts": True})
    rows = NoGrad(np.array([[1.0, 2.0], [0.0, 1.0], [1.0, 2.0]]))
    yield S("dim0", (rows,), {"dim": 0, "return_inverse": True, "return_counts": True})


def _unique_ref(
    x: np.ndarray, sorted: bool = True, return_inverse: bool = False,
    return_counts: bool = False, dim: int | None = None,
) -> Any:  # fmt: skip
    v, inv, c = np.unique(x, return_inverse=True, return_counts=True, axis=dim)
    inv = inv.reshape(x.shape if dim is None else (-1,))
    out = (v,) + ((inv,) if return_inverse else ()) + ((c,) if return_counts else ())
    return out if len(out) > 1 else v


def _unique_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(S("zero_dim_not_selected", (np.ones((0, 3)),), {"dim": 1}), RuntimeError,
                     "0 sized dimensions, and they aren't selected")  # fmt: skip
    yield ErrorInput(S("two_zero_dims", (np.ones((0, 0)),), {"dim": 0}), RuntimeError,
                     "Number of zero sized dimensions is more than one")  # fmt: skip


def _bincount_samples(rng: Gen) -> Iterator[Any]:
    yield S("counts", (_i(0, 3, 3, 1),))
    yield S("weights", (_i(0, 3, 3, 1), NoGrad(uniform(rng, (4,)))))
    yield S("minlength", (_i(1, 1), None, 5))


def _bincount_ref(x: np.ndarray, weights: Any = None, minlength: int = 0) -> np.ndarray:
    return np.bincount(x, weights, minlength)


def _searchsorted_samples(rng: Gen) -> Iterator[Any]:
    seq = np.sort(uniform(rng, (5,)))
    yield S("1d", (seq, uniform(rng, (3, 2))))
    yield S("right", (seq, seq[1:3].copy()), {"right": True})
    yield S("side_left", (seq, seq[1:3].copy()), {"side": "left"})
    rows = np.sort(uniform(rng, (2, 4)), axis=1)
    yield S("rows", (rows, uniform(rng, (2, 3))))
    order = _i(2, 0, 4, 1, 3)
    yield S(
        "sorter",
        (seq[np.argsort(order)], uniform(rng, (3,))),
        {"sorter": np.argsort(seq[np.argsort(order)])},
    )


def _searchsorted_ref(seq: np.ndarray, v: np.ndarray, *, right: bool = False,
                      side: str | None = None, sorter: Any = None) -> np.ndarray:  # fmt: skip
    where: Any = side or ("right" if right else "left")
    if seq.ndim == 1:
        return np.searchsorted(seq, v, side=where, sorter=sorter)
    return np.stack([np.searchsorted(s, r, side=where) for s, r in zip(seq, v)])


def _int_result(d: tp.dtype) -> tp.dtype:
    return tp.int64


def _bincount_dtype(d: tp.dtype) -> tp.dtype:
    return d if d in (tp.float32, tp.float64) else tp.float64


def select_ops() -> list[OpInfo]:
    no_grad: dict[str, Any] = {"supports_autograd": False, "grad_dtypes": ()}
    return [
        OpInfo("tril", tp.tril, _tri_ref(True), _tri_samples, dtypes=ALL,
               torch_ref=torch_function("tril", inplace("tril_"))),
        OpInfo("triu", tp.triu, _tri_ref(False), _tri_samples, dtypes=ALL,
               torch_ref=torch_function("triu", inplace("triu_")),
               errors=errors_of(ErrorInput(S("1d", (np.ones(3),)), RuntimeError,
                                           "at least 2 dimensions"))),
        OpInfo("masked_fill", tp.masked_fill, _masked_fill_ref, _masked_fill_samples,
               dtypes=NUMERIC,
               torch_ref=TorchRef("masked_fill",
                                  (method("masked_fill"), inplace("masked_fill_"))),
               errors=errors_of(ErrorInput(S("int_mask", (np.ones(3), _i(1, 0, 1), 1.0)),
                                           RuntimeError, "only supports boolean masks"))),
        OpInfo("masked_select", tp.masked_select, _masked_select_ref, _masked_select_samples,
               dtypes=NUMERIC, torch_ref=torch_function("masked_select")),
        OpInfo("nonzero", tp.nonzero, _nonzero_ref, _nonzero_samples, dtypes=ALL,
               result_dtype=to_int64, torch_ref=torch_function("nonzero"), **no_grad),
        OpInfo("narrow", tp.narrow, _narrow_ref, _narrow_samples, dtypes=ALL,
               torch_ref=torch_function("narrow"),
               errors=errors_of(ErrorInput(S("too_long", (np.ones((2, 4)), 1, 3, 2)),
                                           RuntimeError, r"start \(3\) \+ length \(2\)"))),
        OpInfo("gather", tp.gather, _gather_ref, _gather_samples, dtypes=NUMERIC,
               torch_ref=torch_function("gather"), errors=_gather_errors),
        OpInfo("take_along_dim", tp.take_along_dim, _take_along_dim_ref,
               _take_along_dim_samples, dtypes=NUMERIC,
               torch_ref=torch_function("take_along_dim")),
        OpInfo("scatter", tp.scatter, _scatter_ref, _needing("scatter_add", _scatter_samples),
               dtypes=NUMERIC,
               torch_ref=torch_function("scatter", inplace("scatter_"))),
        OpInfo("scatter_add", tp.scatter_add,
               lambda x, d, i, s: _scatter_ref(x, d, i, s, True), _scatter_add_samples,
               dtypes=NUMERIC, tolerances={tp.float16: F16_SUM},
               torch_ref=torch_function("scatter_add", inplace("scatter_add_"))),
        OpInfo("index_select", tp.index_select,
               lambda x, d, i: np.take(x, i, axis=d), _index_select_samples, dtypes=ALL,
               torch_ref=torch_function("index_select")),
        OpInfo("index_add", tp.index_add, _index_add_ref,
               _needing("scatter_add", _index_add_samples), dtypes=NUMERIC,
               torch_ref=torch_function("index_add", inplace("index_add_")),
               errors=errors_of(ErrorInput(S("count", (np.ones((3, 2)), 0, _i(0, 0),
                                                       np.ones((3, 2)))),
                                           RuntimeError, r"Number of indices \(2\)"))),
        OpInfo("sort", tp.sort, _sort_ref, _needing("argsort", _sort_samples), dtypes=NUMERIC,
               grad_outputs=_first,
               torch_ref=torch_function("sort")),
        OpInfo("argsort", tp.argsort, lambda *a, **k: _sort_ref(*a, **k)[1],
               _needing("argsort", _sort_samples),
               dtypes=NUMERIC, result_dtype=_int_result, torch_ref=torch_function("argsort"),
               **no_grad),
        OpInfo("topk", tp.topk, _topk_ref, _needing("topk", _topk_samples), dtypes=NUMERIC,
               grad_outputs=_first, torch_ref=torch_function("topk"),
               errors=errors_of(ErrorInput(S("k_too_big", (np.ones(3), 4)), RuntimeError,
                                           "k out of range"))),
        OpInfo("unique", tp.unique, _unique_ref, _needing("unique", _unique_samples),
               dtypes=NUMERIC,
               torch_ref=torch_function("unique"), errors=_unique_errors, **no_grad),
        OpInfo("bincount", tp.bincount, _bincount_ref, _needing("scatter_add", _bincount_samples),
               dtypes=FLOATS,
               result_dtype=_bincount_dtype, torch_ref=torch_function("bincount"), **no_grad),
        OpInfo("searchsorted", tp.searchsorted, _searchsorted_ref,
               _needing("searchsorted", _searchsorted_samples),
               dtypes=NUMERIC, result_dtype=_int_result,
               torch_ref=TorchRef("searchsorted"), **no_grad),
    ]  # fmt: skip


def _narrow_samples(rng: Gen) -> Iterator[Any]:
    yield S("dim1", (uniform(rng, (3, 4)), 1, 1, 2))
    yield S("negative_start", (uniform(rng, (3, 4)), 0, -2, 2))
    yield S("empty", (uniform(rng, (3, 4)), 1, 4, 0))
