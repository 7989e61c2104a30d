"""The NumPy backend's ``scatter_add``: whole slices picked by one integer array along an axis
go through flat positions (``np.add.at``'s fast 1-d path); the result is ``np.add.at``'s for
every index shape, negative and repeated indices, broadcast sources and other layouts."""

from __future__ import annotations

import numpy as np
import pytest

import tensorplug as tp

RNG = np.random.default_rng(3)


@pytest.mark.parametrize(
    ("shape", "axis", "m"),
    [((5, 4), 0, 7), ((3, 6, 2), 1, 9), ((4,), 0, 10), ((3, 5), 1, 3), ((2, 3), 1, 0)],
)
def test_slices_along_an_axis_add_as_np_add_at(shape: tuple[int, ...], axis: int, m: int) -> None:
    k = tp.get_backend("numpy").k
    i = RNG.integers(-shape[axis], shape[axis], m)
    src_shape = (*shape[:axis], m, *shape[axis + 1 :])
    for src in (RNG.standard_normal(src_shape), np.array(2.0)):
        want, got = np.ones(shape), np.ones(shape)
        idx = (slice(None),) * axis + (i,)
        np.add.at(want, idx, src)
        k.scatter_add(got, idx, src)
        np.testing.assert_allclose(got, want)


@pytest.mark.parametrize(
    ("shape", "axis", "ishape"), [((7, 5), 0, (4, 6)), ((3, 6, 2), 1, (2, 3, 4)), ((5,), 0, (3, 0))]
)
def test_slices_picked_by_an_nd_index_add_as_np_add_at(
    shape: tuple[int, ...], axis: int, ishape: tuple[int, ...]
) -> None:
    """An n-d integer array along an axis (``embedding``'s gradient): the same bits as
    ``np.add.at``, which adds in the same order."""
    k = tp.get_backend("numpy").k
    i = RNG.integers(-shape[axis], shape[axis], ishape)
    idx = (slice(None),) * axis + (i,)
    src = RNG.standard_normal((*shape[:axis], *ishape, *shape[axis + 1 :])).astype(np.float32)
    for s in (src, np.float32(2.5)):
        want, got = np.zeros(shape, np.float32), np.zeros(shape, np.float32)
        np.add.at(want, idx, s)
        k.scatter_add(got, idx, s)
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(
    "idx",
    [
        (np.array([0, 2, 0]), np.array([1, 1, 1])),  # two index arrays
        (slice(1, 3), np.array([0, 0])),  # a partial slice
        np.array([[0, 1], [1, 1]]),  # a 2-d index
    ],
)
def test_other_indices_and_layouts_take_np_add_at(idx: object) -> None:
    k = tp.get_backend("numpy").k
    base = RNG.standard_normal((3, 3))
    want = base.copy()
    src = RNG.standard_normal(want[idx].shape)  # type: ignore[index]
    np.add.at(want, idx, src)  # type: ignore[arg-type]
    got = base.copy()
    k.scatter_add(got, idx, src)
    np.testing.assert_allclose(got, want)
    got_t = base.T.copy().T  # Fortran order: not the flat path
    k.scatter_add(got_t, idx, src)
    np.testing.assert_allclose(got_t, want)
