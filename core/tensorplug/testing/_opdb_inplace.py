"""Op-database entries of in-place methods (``setitem``, ``zero_``, ``fill_``, ``copy_``), each
run on a copy of its input, so that a leaf that requires grad can take part."""

# NumPy's stubs type most compositions of ufuncs as Any; references return arrays.
# mypy: disable-error-code="no-any-return"

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from ._opinfo import ALL, NUMERIC, OpInfo, SampleInput, TorchRef
from ._samples import Gen, S, uniform, view_samples


def _setitem(x: Any, index: Any, value: Any) -> Any:
    """``x[index] = value`` on a copy (``x`` is a leaf that may require grad)."""
    y = x.clone()
    y[index] = value
    return y


def _zero_(x: Any) -> Any:
    return x.clone().zero_()


def _fill_(x: Any, value: Any) -> Any:
    return x.clone().fill_(value)


def _copy_(x: Any, src: Any) -> Any:
    return x.clone().copy_(src)


def _setitem_ref(x: np.ndarray, index: Any, value: Any) -> np.ndarray:
    y = x.copy()
    y[index] = value
    return y


def _setitem_samples(rng: Gen) -> Iterator[SampleInput]:
    sc = ("scatter_add",)  # the gradient of x zeroes an advanced index's elements through it
    yield S("row_tensor", (uniform(rng, (3, 4)), 1, uniform(rng, (4,))))
    yield S("column_number", (uniform(rng, (3, 4)), (slice(None), 1), 2))
    yield S("broadcast_rows", (uniform(rng, (3, 4)), slice(0, 2), uniform(rng, (4,))))
    # A value with leading size-1 dims beyond the region's (PyTorch drops them)
    yield S("value_leading_one", (uniform(rng, (1, 3)), 0, uniform(rng, (1, 3))))
    yield S("value_leading_ones", (uniform(rng, (2, 3)), 1, uniform(rng, (1, 1, 3))))
    x = uniform(rng, (3, 4))
    yield S("mask_number", (x, x < 0, 0), needs_kernels=sc)
    # No view step: PyTorch records copy_ (CopyBackwards), fill_ (FillBackward3), index_put_.
    yield S("ellipsis_tensor", (uniform(rng, (3, 4)), Ellipsis, uniform(rng, (4,))))
    yield S("whole_dims_number", (uniform(rng, (3, 4)), (slice(None), slice(0, 4)), 2))
    yield S("0d_tensor", (uniform(rng, (3, 4)), Ellipsis, uniform(rng, ())))


def in_place_ops() -> list[OpInfo]:
    """In-place methods on a copy of their input (a leaf that requires grad is refused)."""
    tensor = "tensorplug.Tensor."
    nd: tuple[tuple[str, tuple[Any, ...], dict[str, Any]], ...] = (
        ("nd", (), {}),
        ("0d", (), {"_shape": ()}),
        ("empty", (), {"_shape": (0, 2)}),
    )
    return [
        OpInfo(
            "setitem",
            _setitem,
            _setitem_ref,
            _setitem_samples,
            dtypes=NUMERIC,
            namespace=tensor + "__setitem__",
            torch_ref=TorchRef(_setitem),
        ),
        OpInfo(
            "zero_",
            _zero_,
            np.zeros_like,
            view_samples((3, 4), *nd),
            dtypes=ALL,
            namespace=tensor + "zero_",
            torch_ref=TorchRef(_zero_),
        ),
        OpInfo(
            "fill_",
            _fill_,
            lambda x, v: np.full_like(x, v),
            lambda rng: iter(
                [
                    *view_samples((3, 4), *((n, (2,), k) for n, _, k in nd))(rng),
                    # a 0-d tensor's gradient is the sum of the filled tensor's
                    S("0d_tensor", (uniform(rng, (3, 4)), uniform(rng, ()))),
                ]
            ),
            dtypes=ALL,
            namespace=tensor + "fill_",
            torch_ref=TorchRef(_fill_),
        ),
        OpInfo(
            "copy_",
            _copy_,
            lambda x, src: np.broadcast_to(src, x.shape).copy(),
            lambda rng: iter(
                [
                    S("same_shape", (uniform(rng, (3, 4)), uniform(rng, (3, 4)))),
                    S("broadcast_rows", (uniform(rng, (3, 4)), uniform(rng, (4,)))),
                    S("0d_source", (uniform(rng, (2, 3)), uniform(rng, ()))),
                ]
            ),
            dtypes=ALL,
            namespace=tensor + "copy_",
            torch_ref=TorchRef(_copy_),
        ),
    ]
