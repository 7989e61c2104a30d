"""Op-database entries of ``_ops_index_write``: index_fill, index_copy, index_put, put, take,
masked_scatter, the select/slice/diagonal scatters and fill_diagonal_, with their in-place
forms (as methods on a copy of the input, checked against PyTorch's)."""

# mypy: disable-error-code="no-any-return"

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import _dtype as D
from .. import _ops_index_write as tp
from ._opdb_inplace_variants import on_copy
from ._opinfo import ErrorInput, OpInfo, SampleInput, TorchRef, inplace
from ._samples import Gen, S, errors_of, torch_function, uniform, with_kernels

_D3 = (D.int64, D.float32, D.float64)
"""The dtypes run: the writes are the same code in every dtype (float16's rounding aside)."""
_SC = ("scatter_add",)
"""Adding at repeated indices (``accumulate``, ``take``'s gradient) takes this kernel."""


def _i(*v: Any) -> np.ndarray:
    return np.array(v, dtype=np.int64)


def _err(name: str, args: tuple[Any, ...], exc: Any, match: str) -> ErrorInput:
    return ErrorInput(S(name, args), exc, match)


def _moved(x: np.ndarray, dim: int, index: np.ndarray) -> tuple[np.ndarray, tuple[Any, ...]]:
    y = x.copy()
    return y, (slice(None),) * (dim % max(x.ndim, 1)) + (index,)


def _index_fill_ref(x: np.ndarray, dim: int, index: np.ndarray, value: Any) -> np.ndarray:
    y, idx = _moved(x, dim, index)
    y[idx] = value
    return y


def _index_copy_ref(x: np.ndarray, dim: int, index: np.ndarray, src: np.ndarray) -> np.ndarray:
    y, idx = _moved(x, dim, index)
    y[idx] = src
    return y


def _index_put_ref(x: np.ndarray, indices: Any, values: Any, accumulate: bool = False) -> Any:
    y = x.copy()
    if accumulate:
        np.add.at(y, tuple(indices), values)
    else:
        y[tuple(indices)] = values
    return y


def _put_ref(x: np.ndarray, index: np.ndarray, src: np.ndarray, accumulate: bool = False) -> Any:
    y = x.copy().reshape(-1)
    if accumulate:
        np.add.at(y, index.reshape(-1), src.reshape(-1))
    else:
        y[index.reshape(-1)] = src.reshape(-1)
    return y.reshape(x.shape)


def _masked_scatter_ref(x: np.ndarray, mask: np.ndarray, src: np.ndarray) -> np.ndarray:
    y = x.copy()
    m = np.broadcast_to(mask, x.shape)
    y[m] = src.reshape(-1)[: int(m.sum())]
    return y


def _scatter_ref(index_of: Any) -> Any:
    def ref(x: np.ndarray, src: np.ndarray, *args: Any) -> np.ndarray:
        y = x.copy()
        y[index_of(x, *args)] = src
        return y

    return ref


def _diag_ref(x: np.ndarray, src: np.ndarray, offset: int = 0) -> np.ndarray:
    y = x.copy()
    n = min(x.shape[0] + min(offset, 0), x.shape[1] - max(offset, 0))
    i = np.arange(max(n, 0))
    y[i - min(offset, 0), i + max(offset, 0)] = src
    return y


def _fill_diagonal_ref(x: np.ndarray, value: float, wrap: bool = False) -> np.ndarray:
    y = x.copy()
    np.fill_diagonal(y, value, wrap=wrap)
    return y


def _samples(rng: Gen, *calls: tuple[str, tuple[int, ...], tuple[Any, ...]]) -> Any:
    for name, shape, args in calls:
        yield S(name, (uniform(rng, shape), *args))


def _index_fill(rng: Gen) -> Iterator[SampleInput]:
    yield from _samples(
        rng, ("dim0", (4, 3), (0, _i(2, 0), 2.0)), ("dim1", (3, 4), (1, _i(3), -1.0))
    )
    yield S("tensor_value", (uniform(rng, (4, 3)), 0, _i(1, 1), uniform(rng, ())))


def _index_copy(rng: Gen) -> Iterator[SampleInput]:
    yield S("dim0", (uniform(rng, (4, 3)), 0, _i(2, 0), uniform(rng, (2, 3))))
    yield S("dim1", (uniform(rng, (3, 4)), 1, _i(3, 1, 0), uniform(rng, (3, 3))))


def _index_put(rng: Gen) -> Iterator[SampleInput]:
    yield S("rows", (uniform(rng, (4, 3)), (_i(2, 0),), uniform(rng, (3,))))
    yield S("points", (uniform(rng, (4, 3)), (_i(2, 0), _i(1, 1)), uniform(rng, (2,))))
    yield S("accumulate", (uniform(rng, (4, 3)), (_i(2, 2, 0),), uniform(rng, (3,)), True),
            needs_kernels=_SC)  # fmt: skip


def _put(rng: Gen) -> Iterator[SampleInput]:
    yield S("flat", (uniform(rng, (4, 3)), _i(1, 7, 11), uniform(rng, (3,))))
    yield S("accumulate", (uniform(rng, (4, 3)), _i(1, 1), uniform(rng, (2,)), True),
            needs_kernels=_SC)  # fmt: skip


def _take(rng: Gen) -> Iterator[SampleInput]:
    yield S("2d_index", (uniform(rng, (4, 3)), _i(0, 5, 11, 5).reshape(2, 2)), needs_kernels=_SC)
    yield S("1d", (uniform(rng, (5,)), _i(4, -1)), needs_kernels=_SC)


def _masked_scatter(rng: Gen) -> Iterator[SampleInput]:
    x = uniform(rng, (4, 3))
    yield S("mask", (x, x > 0, uniform(rng, (12,))))
    yield S("broadcast_mask", (uniform(rng, (4, 3)), np.array([True, False, True]),
                               uniform(rng, (3, 4))))  # fmt: skip


def _scatters(rng: Gen, which: str) -> Iterator[SampleInput]:
    x = uniform(rng, (4, 3))
    if which == "select":
        yield S("dim0", (x, uniform(rng, (3,)), 0, 1))
        yield S("dim1_negative", (x, uniform(rng, (4,)), 1, -1))
    elif which == "slice":
        yield S("dim0", (x, uniform(rng, (2, 3)), 0, 1, 3))
        yield S("dim1_step", (x, uniform(rng, (4, 2)), 1, 0, 3, 2))
    else:
        yield S("offset1", (x, uniform(rng, (2,)), 1))
        yield S("main", (x, uniform(rng, (3,))))
        yield S("offset_negative", (x, uniform(rng, (3,)), -1))


def _fill_diagonal(rng: Gen) -> Iterator[SampleInput]:
    yield S("square", (uniform(rng, (3, 3)), 5.0))
    yield S("tall", (uniform(rng, (4, 3)), -1.0))
    yield S("tall_wrap", (uniform(rng, (7, 2)), 2.0), {"wrap": True})
    yield S("cube", (uniform(rng, (2, 2, 2)), 3.0))


def _arrays(samples: Any) -> Any:
    """``samples`` of an op whose forward writes at index arrays: a backend without
    ``scatter_add`` is checked to refuse them (``UnsupportedOperation``)."""
    return with_kernels(samples, forward=_SC)


def index_write_ops() -> list[OpInfo]:
    one = np.ones
    return [
        OpInfo("index_fill", tp.index_fill, _index_fill_ref, _arrays(_index_fill), dtypes=_D3,
               torch_ref=torch_function("index_fill", inplace("index_fill_")),
               errors=errors_of(_err("float_index", (one((4, 3)), 0, one(1), 1.0), IndexError,
                                     "Expected dtype int64 for index"))),
        OpInfo("index_copy", tp.index_copy, _index_copy_ref, _arrays(_index_copy), dtypes=_D3,
               torch_ref=torch_function("index_copy", inplace("index_copy_")),
               errors=errors_of(_err("count", (one((4, 3)), 0, _i(1), one((2, 3))), IndexError,
                                     r"Number of indices \(1\) should be equal"))),
        OpInfo("index_put", tp.index_put, _index_put_ref, _arrays(_index_put), dtypes=_D3,
               torch_ref=torch_function("index_put", inplace("index_put_"))),
        OpInfo("put", tp.put, _put_ref, _arrays(_put), dtypes=_D3,
               torch_ref=torch_function("put", inplace("put_")),
               errors=errors_of(_err("count", (one((4, 3)), _i(1, 2), one(3)), RuntimeError,
                                     "source and index to have the same number of elements"))),
        OpInfo("take", tp.take, lambda x, i: x.reshape(-1)[i], _take, dtypes=_D3,
               torch_ref=torch_function("take"),
               errors=errors_of(_err("out_of_range", (one((4, 3)), _i(12)), IndexError,
                                     "tried to access index 12 on a tensor of 12 elements"),
                                _err("list_index", (one((4, 3)), [0]), TypeError,
                                     "argument 'index' .* must be Tensor, not list"))),
        OpInfo("masked_scatter", tp.masked_scatter, _masked_scatter_ref,
               with_kernels(_masked_scatter, grad=_SC),
               dtypes=_D3,
               torch_ref=torch_function("masked_scatter", inplace("masked_scatter_")),
               errors=errors_of(_err("short_source", (one((4, 3)), one((4, 3)) > 0, one(2)),
                                     RuntimeError, "Number of elements of source < number"))),
        OpInfo("select_scatter", tp.select_scatter,
               _scatter_ref(lambda x, d, i: (slice(None),) * (d % x.ndim) + (i,)),
               lambda rng: _scatters(rng, "select"), dtypes=_D3,
               torch_ref=torch_function("select_scatter"),
               errors=errors_of(_err("src_shape", (one((4, 3)), one(4), 0, 1), RuntimeError,
                                     "expected src to have a size equal to the slice of self"))),
        OpInfo("slice_scatter", tp.slice_scatter,
               _scatter_ref(lambda x, d=0, a=None, b=None, s=1: (slice(None),) * d
                            + (slice(a, b, s),)),
               lambda rng: _scatters(rng, "slice"), dtypes=_D3,
               torch_ref=torch_function("slice_scatter")),
        OpInfo("diagonal_scatter", tp.diagonal_scatter, _diag_ref,
               _arrays(lambda rng: _scatters(rng, "diagonal")), dtypes=_D3,
               torch_ref=torch_function("diagonal_scatter")),
        OpInfo("index_put_", on_copy("index_put_"), _index_put_ref, _arrays(_index_put), dtypes=_D3,
               namespace="tensorplug.Tensor.index_put_", torch_ref=TorchRef(on_copy("index_put_"))),
        *(OpInfo(name + "_", on_copy(name + "_"), ref, samples, dtypes=_D3,
                 namespace="tensorplug.Tensor." + name + "_",
                 torch_ref=TorchRef(on_copy(name + "_")))
          for name, ref, samples in (("index_fill", _index_fill_ref, _arrays(_index_fill)),
                                     ("index_copy", _index_copy_ref, _arrays(_index_copy)),
                                     ("put", _put_ref, _arrays(_put)),
                                     ("masked_scatter", _masked_scatter_ref,
                                      with_kernels(_masked_scatter, grad=_SC)))),
        OpInfo("fill_diagonal_", on_copy("fill_diagonal_"), _fill_diagonal_ref,
               _arrays(_fill_diagonal),
               dtypes=_D3, namespace="tensorplug.Tensor.fill_diagonal_",
               torch_ref=TorchRef(on_copy("fill_diagonal_")),
               errors=errors_of(_err("unequal", (one((2, 3, 4)), 1.0), RuntimeError,
                                     "all dimensions of input must be of equal length"))),
    ]  # fmt: skip
