"""Indexing (``_indexing.py``) beyond the op database's samples: the index backward never hands
``None`` to a backend's ``setitem``/``scatter_add`` (the Array API refuses it), whatever mix of
``None``, ``Ellipsis``, slices, integer and boolean indices; and the NumPy-style indices the
Array API standard does not define (an index tensor beside a slice, assignment through index
tensors, repeated ones), which the database leaves out so that every backend can pass it.
Values, node names, gradients and double backward against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import tensorplug as tp
from tensorplug.plugins import Backend

RNG = np.random.default_rng(7)


def _no_none_backend() -> Backend:
    """NumPy kernels whose setitem and scatter_add refuse ``None``, as the Array API does."""
    base = tp.get_backend("numpy")
    kernels = dict(base.kernels)

    def refusing(kernel: object) -> object:
        def run(dst: np.ndarray, idx: object, src: np.ndarray) -> None:
            if idx is None or (isinstance(idx, tuple) and any(i is None for i in idx)):
                raise TypeError("None is not a valid setitem index here")
            kernel(dst, idx, src)  # type: ignore[operator]

        return run

    kernels["setitem"] = refusing(kernels["setitem"])
    kernels["scatter_add"] = refusing(kernels["scatter_add"])
    return Backend(name="no_none_index", kernels=kernels, dtypes=dict(base.dtypes))


INDICES_WITH_NONE = [
    (None, Ellipsis),
    (Ellipsis, None),
    (0, None, slice(1, 3)),
    (None, 1, None, Ellipsis, None),
    (slice(None, None, 2), None, 2),
    ([1, 0, 1], None, slice(None)),  # advanced, then None: the advanced dims stay in front
    ([1, 0], None, [2, 0]),  # advanced indices separated by None: their dims go first
    (None, [[True, False, True], [False, True, True]]),  # a 2-D mask after None
]


@pytest.mark.parametrize("index", INDICES_WITH_NONE, ids=repr)
def test_index_backward_with_none_matches_pytorch(index: tuple[object, ...]) -> None:
    torch = pytest.importorskip("torch")
    be = _no_none_backend()
    x = RNG.standard_normal((2, 3, 4))

    def convert(i: object, make: object) -> object:
        return make(i) if isinstance(i, list) else i  # type: ignore[operator]

    tx = torch.tensor(x, requires_grad=True)
    ty = tx[tuple(convert(i, torch.tensor) for i in index)]
    ours = tp.tensor(x, requires_grad=True, backend=be)
    y = ours[tuple(convert(i, lambda a: tp.tensor(a, backend=be)) for i in index)]
    assert y.shape == tuple(ty.shape)
    g = RNG.standard_normal(y.shape)
    ty.backward(torch.tensor(g))
    y.backward(tp.tensor(g, backend=be))
    assert ours.grad is not None and tx.grad is not None
    np.testing.assert_allclose(ours.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    # Double backward runs through the same kernel (IndexGradBackward).
    leaf = tp.tensor(x, requires_grad=True, backend=be)
    gg = tp.tensor(g, requires_grad=True, backend=be)
    (gx,) = tp.autograd.grad(
        leaf[tuple(convert(i, lambda a: tp.tensor(a, backend=be)) for i in index)],
        leaf,
        gg,
        create_graph=True,
    )
    (ggrad,) = tp.autograd.grad((gx * gx).sum(), gg)
    np.testing.assert_allclose(gx.detach().numpy(), tx.grad.numpy(), rtol=1e-12)
    assert ggrad.shape == y.shape


def _node(t: object) -> str:
    return t.grad_fn.name().rsplit("::", 1)[-1]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "index",
    [(slice(None), [3, 0, 3]), (Ellipsis, [1, 1]), ([0, 1], slice(1, 3))],
    ids=["slice_then_tensor", "ellipsis_then_tensor", "tensor_then_slice"],
)
def test_index_tensor_beside_a_slice_matches_pytorch(index: tuple[object, ...]) -> None:
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((2, 4))
    g = None
    results = []
    for lib in (tp, torch):
        leaf = lib.tensor(x, requires_grad=True)
        y = leaf[tuple(lib.tensor(i) if isinstance(i, list) else i for i in index)]
        g = RNG.standard_normal(tuple(y.shape)) if g is None else g
        y.backward(lib.tensor(g))
        results.append((y.detach().numpy(), _node(y), leaf.grad.numpy()))
    (y, node, grad), (ty, tnode, tgrad) = results
    np.testing.assert_array_equal(y, ty)
    assert node == tnode
    np.testing.assert_allclose(grad, tgrad, rtol=1e-12)


ASSIGNMENTS = [
    ("index_tensor", lambda lib: lib.tensor([2, 0])),
    ("repeated_index", lambda lib: lib.tensor([1, 1])),  # x's gradient there is 0, not -g
    ("row_view", lambda lib: 1),
    ("whole", lambda lib: Ellipsis),
]


@pytest.mark.parametrize("make_index", [m for _, m in ASSIGNMENTS], ids=[n for n, _ in ASSIGNMENTS])
def test_assignment_matches_pytorch(make_index: object) -> None:
    """``y[index] = v``: values, PyTorch's node (``IndexPutBackward0``, ``CopySlices``,
    ``CopyBackwards``) and both gradients."""
    torch = pytest.importorskip("torch")
    x, v, g = RNG.standard_normal((3, 4)), RNG.standard_normal((4,)), RNG.standard_normal((3, 4))
    results = []
    for lib in (tp, torch):
        leaf, value = lib.tensor(x, requires_grad=True), lib.tensor(v, requires_grad=True)
        y = leaf * 1
        y[make_index(lib)] = value * 2  # type: ignore[operator]
        y.backward(lib.tensor(g))
        results.append((y.detach().numpy(), _node(y), leaf.grad.numpy(), value.grad.numpy()))
    (y, node, *grads), (ty, tnode, *tgrads) = results
    np.testing.assert_allclose(y, ty, rtol=1e-12)
    assert node == tnode
    for ours, theirs in zip(grads, tgrads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.parametrize("through_view", [False, True])
def test_an_infinite_gradient_where_a_write_went_leaves_no_nan(through_view: bool) -> None:
    """The written region's gradient is masked to 0, not subtracted (inf - inf is NaN)."""
    x = tp.tensor([1.0, 2.0, 3.0], dtype=tp.float64, requires_grad=True)
    y = x * 1
    if through_view:
        y[:2].copy_(tp.tensor([0.0, 5.0], dtype=tp.float64))
    else:
        y[:2] = tp.tensor([0.0, 5.0], dtype=tp.float64)
    (x / y).sum().backward()  # d/dy of x / y is -x / y**2: -inf at y = 0
    assert x.grad.tolist() == [float("inf"), 0.2, 0.0]


SLICES = [slice(None), slice(0, 3), slice(0, 9), slice(-3, None), slice(1, None), slice(0, 0)]


@pytest.mark.parametrize("s", SLICES, ids=[f"{s.start}:{s.stop}" for s in SLICES])
@pytest.mark.parametrize("rows", [3, 0])
def test_node_names_of_slices_match_pytorch(s: slice, rows: int) -> None:
    """PyTorch skips a slice written ``0:stop`` over a whole dim (not ``-3:``, though it
    takes the same elements): ``x[s, :]`` is then an alias and ``x[s, :] = 1`` a fill."""
    torch = pytest.importorskip("torch")
    names = []
    for lib in (tp, torch):
        y = lib.ones(rows, 2, requires_grad=True) * 1
        z = y * 1
        z[s, :] = 1.0
        w = lib.ones((), requires_grad=True) * 1
        w[...] = 2.0  # a 0-d target: copy_, not fill_
        names.append((_node(y[s]), _node(y[s, :]), _node(z), _node(w)))
    assert names[0] == names[1]
