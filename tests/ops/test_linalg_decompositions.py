"""``tensorplug.linalg``'s decompositions beyond their op-database entries: ``qr``'s
``mode='r'`` and the gradients PyTorch refuses, result types, one node per output, and the
sum of the per-output gradients against PyTorch's single node."""

from __future__ import annotations

import numpy as np
import pytest

import tensorplug as tp

torch = pytest.importorskip("torch")


def test_qr_mode_r_gives_an_empty_q_and_refuses_a_gradient() -> None:
    a = tp.tensor(np.random.default_rng(0).random((4, 3)), requires_grad=True)
    q, r = tp.linalg.qr(a, mode="r")
    want = torch.linalg.qr(torch.tensor(a.detach().numpy()), mode="r")
    assert tuple(q.shape) == tuple(want.Q.shape) == (0,)
    np.testing.assert_allclose(r.detach().numpy(), want.R.numpy(), atol=1e-12)
    assert type(r.grad_fn).__name__ == "LinalgQrBackward0"
    with pytest.raises(RuntimeError, match="not computed when mode='r'"):
        r.sum().backward()


def test_qr_complete_of_a_tall_matrix_has_no_gradient() -> None:
    a = tp.tensor(np.random.default_rng(1).random((4, 3)), requires_grad=True)
    q, _ = tp.linalg.qr(a, mode="complete")
    assert tuple(q.shape) == (4, 4)
    with pytest.raises(RuntimeError, match="not differentiable when mode='complete'"):
        q.sum().backward()


def test_result_types_and_node_names_are_pytorchs() -> None:
    a = tp.tensor(np.random.default_rng(2).random((3, 3)), requires_grad=True)
    for fn, fields, node in (
        (tp.linalg.eigh, ("eigenvalues", "eigenvectors"), "LinalgEighBackward0"),
        (tp.linalg.svd, ("U", "S", "Vh"), "LinalgSvdBackward0"),
        (tp.linalg.qr, ("Q", "R"), "LinalgQrBackward0"),
    ):
        out = fn(a)
        assert type(out).__name__ == type(getattr(torch.linalg, fn.__name__)(torch.eye(2))).__name__
        assert out._fields == fields
        assert {type(t.grad_fn).__name__ for t in out} == {node}


@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (2, 3, 3)])
@pytest.mark.parametrize("name", ["svd", "qr"])
def test_gradients_of_all_outputs_sum_to_pytorchs(name: str, shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(3)
    x = rng.random(shape)
    kw = {"full_matrices": False} if name == "svd" else {}
    ta = torch.tensor(x, requires_grad=True)
    outs = getattr(torch.linalg, name)(ta, **kw)
    gs = [rng.random(tuple(o.shape)) for o in outs]
    sum((o * torch.tensor(g)).sum() for o, g in zip(outs, gs)).backward()
    a = tp.tensor(x, requires_grad=True)
    mine = getattr(tp.linalg, name)(a, **kw)
    if name == "svd":  # each singular pair's sign is the library's: align PyTorch's to ours
        sign = np.sign(outs[0].detach().numpy()[..., :1, :] * mine[0].detach().numpy()[..., :1, :])
        gs = [gs[0] * sign, gs[1], gs[2] * np.swapaxes(sign, -1, -2)]
    sum((o * tp.tensor(g)).sum() for o, g in zip(mine, gs)).backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), atol=1e-10)


def test_eigenvalue_gradient_is_infinite_where_eigenvalues_repeat_as_pytorchs() -> None:
    a = tp.eye(3, dtype=tp.float64, requires_grad=True)
    v = tp.linalg.eigh(a).eigenvectors
    (v * tp.tensor(np.arange(9.0).reshape(3, 3))).sum().backward()
    assert not np.isfinite(a.grad.numpy()).all()


@pytest.mark.parametrize("kw", [{}, {"hermitian": True}, {"atol": 2.0}, {"rtol": 0.5}])
def test_pinv_of_a_singular_matrix_matches_pytorch(kw: dict[str, object]) -> None:
    x = np.array([[1.0, 2.0, 0.0], [2.0, 4.0, 0.0], [0.0, 0.0, 3.0]])
    got = tp.linalg.pinv(tp.tensor(x), **kw).numpy()
    np.testing.assert_allclose(got, torch.linalg.pinv(torch.tensor(x), **kw).numpy(), atol=1e-12)
