"""Op-database entry of ``scatter_reduce`` (issue 16): every reduction, with and without the
input's own values, repeated and missing targets, zeros in ``prod``."""

# NumPy's stubs type most compositions of ufuncs as Any; references return arrays.
# mypy: disable-error-code="no-any-return"

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

import tensorplug as tp

from ._opinfo import NUMERIC, ErrorInput, OpInfo, TorchRef, inplace, method
from ._samples import Gen, S, distinct, errors_of

_REDUCE: dict[str, Any] = {
    "sum": np.sum,
    "prod": np.prod,
    "mean": np.mean,
    "amax": np.max,
    "amin": np.min,
}


def _ref(
    x: np.ndarray, dim: int, idx: np.ndarray, src: np.ndarray, reduce: str,
    include_self: bool = True,
) -> np.ndarray:  # fmt: skip
    if x.ndim == 0:
        return _ref(x.reshape(1), 0, idx.reshape(1), src.reshape(1), reduce, include_self)[0]
    groups: dict[tuple[int, ...], list[Any]] = {}
    for pos in np.ndindex(*idx.shape):
        at = list(pos)
        at[dim] = idx[pos]
        groups.setdefault(tuple(at), [x[tuple(at)]] if include_self else []).append(src[pos])
    out = x.copy()
    for where, values in groups.items():
        v = np.array(values, dtype=x.dtype)
        # Integer tensors' mean is floored, as PyTorch's (the kit passes them as float64;
        # the float samples are never whole numbers).
        integer_mean = reduce == "mean" and bool(np.all(v == np.round(v)))
        out[where] = v.sum() // len(v) if integer_mean else _REDUCE[reduce](v)
    return out


def _i(*rows: Any) -> np.ndarray:
    return np.array(rows, dtype=np.int64)


def _samples(rng: Gen) -> Iterator[Any]:
    for s in _cases(rng):
        s.forward_kernels = ("argsort",)  # groups the elements landing on one place
        yield s


def _cases(rng: Gen) -> Iterator[Any]:
    # Values distinct within and across x and src (src on a grid offset by 0.25), so amax and
    # amin have no ties and their finite differences are meaningful.
    idx = _i([0, 2, 0, 1], [2, 2, 0, 1])
    for reduce in _REDUCE:
        for include_self in (True, False):
            x, src = distinct(rng, (3, 4)), distinct(rng, (2, 4)) + 0.25
            kw = {"include_self": include_self}
            yield S(f"{reduce}_self{int(include_self)}", (x, 0, idx, src, reduce), kw)
    yield S("prod_zeros", (np.array([[1.5, 0.0, 2.0]]), 1, _i([0, 0, 1, 1]),
                           np.array([[0.0, 3.0, 0.5, 1.25]]), "prod"))  # fmt: skip
    yield S("mean_dim1_larger_src", (distinct(rng, (2, 3)), 1, _i([2, 2], [0, 2]),
                                     distinct(rng, (2, 4)) + 0.25, "mean"))  # fmt: skip
    yield S("amax_1d_empty_index", (distinct(rng, (3,)), 0, _i(), np.zeros(0), "amax"))
    yield S("amin_0d", (np.array(1.5), 0, np.array(0), np.array(0.75), "amin"))


_LARGER = (
    "src larger than index: PyTorch's backward fails (its src gradient has the index's "
    "shape); tensorplug's pads it with zeros, as scatter_add's"
)


def _errors() -> Iterator[ErrorInput]:
    x, idx = np.ones((2, 3)), _i([0, 1, 0])
    yield ErrorInput(
        S("bad_reduce", (x, 0, idx, np.ones((1, 3)), "max_")),
        RuntimeError,
        "reduce argument must be either sum, prod, mean, amax or amin, got max_",
    )
    yield ErrorInput(
        S("index_out_of_range", (x, 0, _i([0, 2, 0]), np.ones((1, 3)), "sum")),
        RuntimeError,
        "index 2 is out of bounds for dimension 0 with size 2",
    )
    yield ErrorInput(
        S("float_index", (x, 0, np.ones((1, 3)), np.ones((1, 3)), "sum")),
        RuntimeError,
        "Expected dtype int64 for index",
    )


def scatter_reduce_ops() -> list[OpInfo]:
    return [
        OpInfo("scatter_reduce", tp.scatter_reduce, _ref, _samples, dtypes=NUMERIC,
               torch_ref=TorchRef("scatter_reduce", (method("scatter_reduce"),
                                                     inplace("scatter_reduce_")),
                                  known_differences=(("*larger_src", _LARGER),)),
               errors=errors_of(*_errors())),
    ]  # fmt: skip
