"""Op-database entries of ``_ops_split``: select, narrow_copy, split_with_sizes, tensor_split,
hsplit/vsplit/dsplit, unflatten, rot90, diagflat, diff, count_nonzero, argwhere."""

# mypy: disable-error-code="no-any-return"

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .. import _ops_split as tp
from ._opinfo import ALL, NUMERIC, ErrorInput, OpInfo, SampleInput
from ._samples import Gen, S, errors_of, to_int64, torch_function, uniform


def _samples(*calls: tuple[str, tuple[int, ...], tuple[Any, ...], dict[str, Any]]) -> Any:
    """Samples ``(name, shape of the data, the other arguments, keyword arguments)``."""

    def gen(rng: Gen) -> Iterator[SampleInput]:
        for name, shape, args, kwargs in calls:
            yield S(name, (uniform(rng, shape), *args), kwargs)

    return gen


def _err(name: str, args: tuple[Any, ...], exc: Any, match: str, **kw: Any) -> ErrorInput:
    return ErrorInput(S(name, args, kw), exc, match)


def _tensor_split_ref(x: np.ndarray, sections: Any, dim: int = 0) -> tuple[np.ndarray, ...]:
    return tuple(np.array_split(x, sections, axis=dim))


def _split_ref(fn: Callable[..., Any]) -> Callable[..., tuple[np.ndarray, ...]]:
    return lambda x, s: tuple(fn(x, s))


def _sws_ref(x: np.ndarray, sizes: list[int], dim: int = 0) -> tuple[np.ndarray, ...]:
    return tuple(np.split(x, np.cumsum(sizes)[:-1], axis=dim))


def _narrow_ref(x: np.ndarray, dim: int, start: int, length: int) -> np.ndarray:
    return np.take(x, range(start, start + length), axis=dim)


def _unflatten_ref(x: np.ndarray, dim: int, sizes: Any) -> np.ndarray:
    d = dim % x.ndim
    return x.reshape((*x.shape[:d], *sizes, *x.shape[d + 1 :]))


def _diff_ref(
    x: np.ndarray, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None
) -> np.ndarray:
    kw = {k: v for k, v in (("prepend", prepend), ("append", append)) if v is not None}
    return np.diff(x, n, axis=dim, **kw)


def _count_ref(x: np.ndarray, dim: Any = None) -> np.ndarray:
    return np.asarray(np.count_nonzero(x, axis=dim), dtype=np.int64)


def _argwhere_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("nd", (np.round(uniform(rng, (3, 4))),))
    yield S("1d", (np.round(uniform(rng, (5,))),))
    yield S("0d", (np.asarray(1.0),))


def _count_samples(rng: Gen) -> Iterator[SampleInput]:
    x = np.round(uniform(rng, (3, 4)))
    yield S("all", (x,))
    yield S("dim", (x, 1))
    yield S("dims", (x, (0, 1)))


def split_ops() -> list[OpInfo]:
    one = np.ones
    shape_errors = errors_of(
        _err("0d", (one(()), 0, 0), IndexError, "cannot be applied to a 0-dim tensor"),
        _err("out_of_range", (one((4, 6)), 1, 6), IndexError, r"index 6 out of range"),
    )
    return [
        OpInfo("select", tp.select, lambda x, d, i: np.take(x, i, axis=d),
               _samples(("dim1", (4, 6), (1, -2), {}), ("dim0", (3, 4), (0, 2), {}),
                        ("1d", (5,), (0, 1), {})),
               dtypes=ALL, errors=shape_errors, torch_ref=torch_function("select")),
        OpInfo("narrow_copy", tp.narrow_copy, _narrow_ref,
               _samples(("dim1", (4, 6), (1, 1, 3), {}), ("dim0", (3, 4), (0, 0, 2), {})),
               dtypes=ALL, torch_ref=torch_function("narrow_copy"),
               errors=errors_of(_err("too_long", (one((4, 6)), 1, 5, 3), RuntimeError,
                                     r"start \(5\) \+ length \(3\) exceeds"))),
        OpInfo("split_with_sizes", tp.split_with_sizes, _sws_ref,
               _samples(("dim0", (4, 3), ([1, 3],), {}), ("dim1", (2, 5), ([2, 0, 3], 1), {})),
               dtypes=ALL, torch_ref=torch_function("split_with_sizes"),
               errors=errors_of(_err("sum", (one(4), [1, 2]), RuntimeError,
                                     "split_with_sizes expects split_sizes to sum exactly to 4"))),
        OpInfo("tensor_split", tp.tensor_split, _tensor_split_ref,
               _samples(("sections", (4, 6), (4, 1), {}), ("indices", (4, 6), ([1, 10, 3], 1), {}),
                        ("1d", (7,), (3,), {})),
               dtypes=ALL, torch_ref=torch_function("tensor_split"),
               errors=errors_of(_err("zero_sections", (one((4, 6)), 0, 1), RuntimeError,
                                     "number of sections must be larger than 0, got 0"))),
        OpInfo("hsplit", tp.hsplit, _split_ref(np.hsplit),
               _samples(("sections", (4, 6), (2,), {}), ("indices", (3, 4), ([1, 3],), {}),
                        ("1d", (6,), (3,), {})),
               dtypes=ALL, torch_ref=torch_function("hsplit"),
               errors=errors_of(_err("indivisible", (one((4, 6)), 4), RuntimeError,
                                     "is not divisible by the split_size 4"))),
        OpInfo("vsplit", tp.vsplit, _split_ref(np.vsplit),
               _samples(("sections", (4, 3), (2,), {}), ("indices", (4, 3), ([1],), {})),
               dtypes=ALL, torch_ref=torch_function("vsplit"),
               errors=errors_of(_err("1d", (one(3), 3), RuntimeError, "at least 2 dimension"))),
        OpInfo("dsplit", tp.dsplit, _split_ref(np.dsplit),
               _samples(("sections", (2, 2, 6), (3,), {}), ("indices", (2, 1, 4), ([1],), {})),
               dtypes=ALL, torch_ref=torch_function("dsplit")),
        OpInfo("unflatten", tp.unflatten, _unflatten_ref,
               _samples(("dim1", (4, 6), (1, (2, 3)), {}), ("inferred", (4, 6), (-1, (-1, 2)), {}),
                        ("one", (6,), (0, (6,)), {})),
               dtypes=ALL, torch_ref=torch_function("unflatten"),
               errors=errors_of(_err("product", (one((4, 6)), 1, (2, 4)), RuntimeError,
                                     r"sizes \[2, 4\] don't multiply up to the size of dim 1"))),
        OpInfo("rot90", tp.rot90, lambda x, k=1, dims=(0, 1): np.rot90(x, k, dims),
               _samples(("default", (3, 4), (), {}), ("k2", (3, 4), (2,), {}),
                        ("k3_dims", (2, 3, 4), (3, (2, 0)), {}), ("k_negative", (3, 4), (-1,), {}),
                        ("k0", (3, 4), (0,), {})),
               dtypes=ALL, torch_ref=torch_function("rot90"),
               errors=errors_of(_err("same_dims", (one((3, 4)), 1, (0, 0)), RuntimeError,
                                     "expected rotation dims to be different"),
                                _err("1d", (one(3),), RuntimeError, "expected total dims >= 2"))),
        OpInfo("diagflat", tp.diagflat, lambda x, offset=0: np.diagflat(x, offset),
               _samples(("matrix", (2, 3), (), {}), ("offset", (3,), (1,), {}),
                        ("negative_offset", (3,), (-2,), {})),
               dtypes=ALL, torch_ref=torch_function("diagflat")),
        OpInfo("diff", tp.diff, _diff_ref, _diff_samples, dtypes=NUMERIC,
               torch_ref=torch_function("diff"),
               errors=errors_of(_err("0d", (one(()),), RuntimeError, "at least one-dimensional"),
                                _err("negative_n", (one(3), -1), RuntimeError,
                                     "order must be non-negative but got -1"))),
        OpInfo("count_nonzero", tp.count_nonzero, _count_ref, _count_samples, dtypes=ALL,
               result_dtype=to_int64, supports_autograd=False,
               torch_ref=torch_function("count_nonzero")),
        OpInfo("argwhere", tp.argwhere, lambda x: np.argwhere(x).astype(np.int64),
               _argwhere_samples, dtypes=ALL, result_dtype=to_int64, supports_autograd=False,
               torch_ref=torch_function("argwhere")),
    ]  # fmt: skip


def _diff_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("last", (uniform(rng, (3, 4)),))
    yield S("n2_dim0", (uniform(rng, (4, 3)), 2, 0))
    yield S("prepend_append", (uniform(rng, (3, 4)), 1, 1),
            {"prepend": uniform(rng, (3, 1)), "append": uniform(rng, (3, 2))})  # fmt: skip
    yield S("n0", (uniform(rng, (3,)), 0))
