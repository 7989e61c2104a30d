"""Op-database entries of the layers over three spatial dims (issue 16): ``conv3d``,
``conv_transpose3d``, ``max_pool3d`` and ``avg_pool3d``, with N-d references written from
the definitions (one product or one window per kernel tap)."""

# NumPy's stubs type most compositions of ufuncs as Any; references return arrays.
# mypy: disable-error-code="no-any-return"

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from ._opdb_layers import _conv_errors, _conv_t_ref, _entry, _n
from ._opinfo import ErrorInput, SampleInput
from ._samples import distinct, uniform

Gen = np.random.Generator
S = SampleInput


def _windows(x: np.ndarray, kernel: Any, stride: Any, dilation: Any, out: list[int]
             ) -> Iterator[np.ndarray]:  # fmt: skip
    """For each kernel tap, the (strided) slice of ``x``'s spatial dims it reads."""
    for tap in np.ndindex(*kernel):
        at = tuple(slice(t * d, t * d + s * (o - 1) + 1, s)
                   for t, d, s, o in zip(tap, dilation, stride, out))  # fmt: skip
        yield x[(slice(None), slice(None)) + at]


def _out_size(size: Any, kernel: Any, stride: Any, pad: Any, dil: Any) -> list[int]:
    return [(i + 2 * p - d * (k - 1) - 1) // s + 1
            for i, k, s, p, d in zip(size, kernel, stride, pad, dil)]  # fmt: skip


def _conv_ref(x: np.ndarray, w: np.ndarray, b: Any = None, stride: Any = 1, padding: Any = 0,
              dilation: Any = 1, groups: int = 1) -> np.ndarray:  # fmt: skip
    dims = x.ndim - 2
    st, pd, dl = (_n(v, dims) for v in (stride, padding, dilation))
    xp = np.pad(x, [(0, 0), (0, 0), *((p, p) for p in pd)])
    kernel = w.shape[2:]
    out = _out_size(x.shape[2:], kernel, st, pd, dl)
    o, cg = w.shape[0], x.shape[1] // groups
    og = o // groups
    res = np.zeros((x.shape[0], o, *out))
    for g in range(groups):
        xs = xp[:, g * cg : (g + 1) * cg]
        for tap, win in zip(np.ndindex(*kernel), _windows(xs, kernel, st, dl, out)):
            wt = w[(slice(g * og, (g + 1) * og), slice(None)) + tuple(tap)]
            res[:, g * og : (g + 1) * og] += np.einsum("nc...,oc->no...", win, wt)
    return res if b is None else res + b.reshape(1, -1, *(1,) * dims)


def _conv3d_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("basic_bias", (uniform(rng, (2, 2, 3, 4, 3)), uniform(rng, (3, 2, 2, 3, 2)),
                           uniform(rng, (3,))))  # fmt: skip
    yield S("stride_padding_dilation",
            (uniform(rng, (1, 2, 5, 4, 5)), uniform(rng, (2, 2, 2, 2, 3))),
            {"stride": (2, 1, 2), "padding": (1, 0, 1), "dilation": (1, 2, 1)})  # fmt: skip
    yield S("groups", (uniform(rng, (1, 4, 3, 3, 3)), uniform(rng, (4, 2, 2, 2, 2))),
            {"groups": 2})  # fmt: skip
    yield S("unbatched", (uniform(rng, (2, 3, 3, 3)), uniform(rng, (2, 2, 2, 2, 2))))


def _conv3d_ref(x: np.ndarray, w: np.ndarray, *args: Any, **kw: Any) -> np.ndarray:
    if x.ndim == 4:
        return _conv_ref(x[None], w, *args, **kw)[0]
    return _conv_ref(x, w, *args, **kw)


def _conv_t3d_samples(rng: Gen) -> Iterator[SampleInput]:
    yield S("basic_bias", (uniform(rng, (2, 2, 2, 3, 2)), uniform(rng, (2, 3, 2, 2, 2)),
                           uniform(rng, (3,))))  # fmt: skip
    yield S("stride_padding_output_padding",
            (uniform(rng, (1, 2, 2, 3, 2)), uniform(rng, (2, 2, 3, 2, 2))),
            {"stride": (2, 1, 2), "padding": (1, 0, 0), "output_padding": (1, 0, 1)})  # fmt: skip


def _pool_ref(kind: str) -> Any:
    def ref(x: np.ndarray, kernel_size: Any, stride: Any = None, padding: Any = 0,
            dilation: Any = 1, count_include_pad: bool = True,
            divisor_override: Any = None) -> np.ndarray:  # fmt: skip
        if x.ndim == 4:
            return ref(x[None], kernel_size, stride, padding, dilation, count_include_pad,
                       divisor_override)[0]  # fmt: skip
        ks = _n(kernel_size, 3)
        st, pd = _n(kernel_size if stride is None else stride, 3), _n(padding, 3)
        dl = _n(dilation, 3) if kind == "max" else (1, 1, 1)
        pads = [(0, 0), (0, 0), *((p, p) for p in pd)]
        out = _out_size(x.shape[2:], ks, st, pd, dl)
        if kind == "max":
            xp = np.pad(x, pads, constant_values=-np.inf)
            return np.max(np.stack(list(_windows(xp, ks, st, dl, out))), 0)
        total = sum(_windows(np.pad(x, pads), ks, st, dl, out))
        inside = np.pad(np.ones_like(x), pads)
        div = (divisor_override or math.prod(ks) if count_include_pad
               else sum(_windows(inside, ks, st, dl, out)))  # fmt: skip
        return np.asarray(total / (divisor_override or div))

    return ref


def _pool_samples(kind: str) -> Any:
    def gen(rng: Gen) -> Iterator[SampleInput]:
        yield S("k2", (distinct(rng, (2, 2, 4, 4, 4)), 2))
        yield S("stride_padding", (distinct(rng, (1, 2, 5, 4, 5)), (3, 2, 3)),
                {"stride": (2, 1, 2), "padding": (1, 0, 1)})  # fmt: skip
        yield S("unbatched", (distinct(rng, (2, 3, 4, 3)), 2, 1))
        if kind == "max":
            yield S("dilation", (distinct(rng, (1, 1, 5, 5, 5)), 2), {"dilation": (2, 1, 2)})
        else:
            yield S("exclude_pad", (uniform(rng, (1, 2, 4, 5, 4)), 3),
                    {"stride": 2, "padding": 1, "count_include_pad": False})  # fmt: skip
            yield S("divisor_override", (uniform(rng, (1, 1, 4, 4, 4)), 2),
                    {"divisor_override": 3})  # fmt: skip

    return gen


def _pool_errors(op: str) -> Any:
    def gen() -> Iterator[ErrorInput]:
        yield ErrorInput(S("4d_kernel_too_big", (np.ones((1, 2, 2, 2, 2)), 3)), RuntimeError,
                         "pad should be at most half|Output size is too small")  # fmt: skip
        yield ErrorInput(S("2d_input", (np.ones((2, 2)), 2)), RuntimeError,
                         "Expected 4D or 5D")  # fmt: skip

    return gen


_UNBATCHED = (("unbatched", "a batch of one through the batched op, then squeezed"),)


def layer3d_ops() -> list[Any]:
    return [
        _entry("conv3d", _conv3d_ref, _conv3d_samples, errors=_conv_errors("conv3d", 3)),
        _entry("conv_transpose3d", _conv_t_ref, _conv_t3d_samples,
               errors=_conv_errors("conv_transpose3d", 3)),
        _entry("max_pool3d", _pool_ref("max"), _pool_samples("max"),
               errors=_pool_errors("max_pool3d"), other_nodes=_UNBATCHED),
        _entry("avg_pool3d", _pool_ref("avg"), _pool_samples("avg"),
               errors=_pool_errors("avg_pool3d"), other_nodes=_UNBATCHED),
    ]  # fmt: skip
