"""``nn.utils.parametrize``, ``nn.utils.parametrizations`` (``weight_norm``, ``spectral_norm``)
and the older hook-based ``nn.utils.weight_norm``/``spectral_norm``, against PyTorch in float64:
parameter and buffer layout, ``state_dict`` keys, ``repr``, values and gradients after copying
PyTorch's state into the tensorplug module."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tensorplug as tp
from tensorplug.nn.utils import parametrize

torch = pytest.importorskip("torch")


def _np(t: Any) -> np.ndarray:
    return np.asarray(t.detach().numpy())


def _copy_state(src: Any, dst: Any) -> None:
    """PyTorch's state dict into the tensorplug module, as a user porting a checkpoint does."""
    dst.load_state_dict({k: tp.tensor(_np(v)) for k, v in src.state_dict().items()})


def _close(a: Any, b: Any) -> None:
    np.testing.assert_allclose(_np(a), _np(b), rtol=1e-10, atol=1e-12)


def _symmetric(lib: Any) -> Any:
    class Symmetric(lib.nn.Module):
        def forward(self, x: Any) -> Any:
            return x.triu() + x.triu(1).mT

        def right_inverse(self, a: Any) -> Any:
            return a.triu()

    return Symmetric()


def _scaled(lib: Any) -> Any:
    class Scale(lib.nn.Module):
        def forward(self, x: Any) -> Any:
            return x * 2

    return Scale()


def _pair(
    make: Callable[[Any], Any], x: np.ndarray, train: bool = True
) -> tuple[Any, Any, Any, Any]:
    """The same module in both libraries (PyTorch's state copied), run on ``x`` with a
    backward: the modules and the outputs."""
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # the older weight_norm's deprecation
        m_t, m_p = make(torch).double(), make(tp).double()
    _copy_state(m_t, m_p)
    m_t.train(train)
    m_p.train(train)
    outs = []
    for lib, m in ((torch, m_t), (tp, m_p)):
        xx = lib.tensor(x, requires_grad=True)
        y = m(xx)
        (y * y).sum().backward()
        outs.append((y, xx.grad))
    return m_t, m_p, outs[0], outs[1]


def _check_grads(m_t: Any, m_p: Any) -> None:
    names_t = [n for n, _ in m_t.named_parameters()]
    assert [n for n, _ in m_p.named_parameters()] == names_t
    grads_p = dict(m_p.named_parameters())
    for n, p in m_t.named_parameters():
        _close(p.grad, grads_p[n].grad)


X = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])


def _sym_linear(lib: Any) -> Any:
    lin = lib.nn.Linear(3, 3)
    lib.nn.utils.parametrize.register_parametrization(lin, "weight", _symmetric(lib))
    return lin


def test_register_parametrization_layout_values_and_grads() -> None:
    m_t, m_p, (y_t, gx_t), (y_p, gx_p) = _pair(_sym_linear, X)
    assert list(m_p.state_dict()) == list(m_t.state_dict())
    assert repr(m_p) == repr(m_t)
    assert type(m_p).__name__ == "ParametrizedLinear"
    assert parametrize.type_before_parametrizations(m_p) is tp.nn.Linear
    _close(y_t, y_p)
    _close(gx_t, gx_p)
    _check_grads(m_t, m_p)
    assert parametrize.is_parametrized(m_p) and parametrize.is_parametrized(m_p, "weight")
    assert not parametrize.is_parametrized(m_p, "bias")


def test_assignment_chaining_caching_and_removal_as_pytorch() -> None:
    results = []
    for lib in (torch, tp):
        pz = lib.nn.utils.parametrize
        lin = _sym_linear(lib).double()
        a = lib.tensor(np.arange(9.0).reshape(3, 3) / 10)
        lin.weight = a + a.mT  # through right_inverse: original becomes its upper triangle
        row = [_np(lin.parametrizations.weight.original)]
        pz.register_parametrization(lin, "weight", _scaled(lib))
        row.append(_np(lin.weight))
        with pz.cached():
            row.append(lin.weight is lin.weight)
        row.append(lin.weight is lin.weight)
        original = lin.parametrizations.weight.original
        pz.remove_parametrizations(lin, "weight")
        row += [type(lin).__name__, lin.weight is original, _np(lin.weight)]
        row.append(sorted(lin.state_dict()))
        results.append(row)
    for w, g in zip(*results):
        np.testing.assert_equal(g, w)


def test_remove_without_leaving_parametrized_and_errors() -> None:
    for lib in (torch, tp):
        lin = _sym_linear(lib)
        before = _np(lin.parametrizations.weight.original).copy()
        lib.nn.utils.parametrize.remove_parametrizations(lin, "weight", leave_parametrized=False)
        np.testing.assert_equal(_np(lin.weight), before)
        with pytest.raises(ValueError, match="does not have a parametrization on weight"):
            lib.nn.utils.parametrize.remove_parametrizations(lin, "weight")
        with pytest.raises(ValueError, match="does not have a parameter, a buffer"):
            lib.nn.utils.parametrize.register_parametrization(lin, "nope", _scaled(lib))

        class Rows(lib.nn.Module):
            def forward(self, x: Any) -> Any:
                return x[:1]

        with pytest.raises(ValueError, match="may not change the shape"):
            lib.nn.utils.parametrize.register_parametrization(lin, "weight", Rows())


def test_a_pytorch_state_dict_of_a_parametrized_module_loads() -> None:
    torch.manual_seed(1)
    m_t = _sym_linear(torch).double()
    m_p = _sym_linear(tp).double()
    _copy_state(m_t, m_p)
    _close(m_t.weight, m_p.weight)


def _new_weight_norm(lib: Any) -> Any:
    return lib.nn.utils.parametrizations.weight_norm(lib.nn.Linear(3, 4), dim=0)


def _new_weight_norm_whole(lib: Any) -> Any:
    return lib.nn.utils.parametrizations.weight_norm(lib.nn.Linear(3, 4), dim=None)


def _new_spectral_norm(lib: Any) -> Any:
    return lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(3, 4), n_power_iterations=2)


def _old_weight_norm(lib: Any) -> Any:
    return lib.nn.utils.weight_norm(lib.nn.Linear(3, 4), dim=1)


def _old_spectral_norm(lib: Any) -> Any:
    return lib.nn.utils.spectral_norm(lib.nn.Linear(3, 4))


@pytest.mark.parametrize(
    "make",
    [
        _new_weight_norm,
        _new_weight_norm_whole,
        _new_spectral_norm,
        _old_weight_norm,
        _old_spectral_norm,
    ],
)
@pytest.mark.parametrize("train", [True, False])
def test_norms_match_pytorch(make: Callable[[Any], Any], train: bool) -> None:
    """Layout, two forwards (power iteration moves ``u``/``v`` in training mode only), values,
    buffers and gradients."""
    m_t, m_p, (y_t, gx_t), (y_p, gx_p) = _pair(make, X, train)
    assert list(m_p.state_dict()) == list(m_t.state_dict())
    assert repr(m_p) == repr(m_t)
    _close(y_t, y_p)
    _close(gx_t, gx_p)
    _check_grads(m_t, m_p)
    _close(m_t(torch.tensor(X)), m_p(tp.tensor(X)))
    buffers = dict(m_p.named_buffers())
    for n, b in m_t.named_buffers():
        _close(b, buffers[n])


def test_old_weight_norm_state_dict_loads_into_the_parametrization() -> None:
    torch.manual_seed(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        old = torch.nn.utils.weight_norm(torch.nn.Linear(3, 4).double())
    new = _new_weight_norm(tp).double()
    _copy_state(old, new)
    _close(old.weight, new.weight)


def test_removing_the_older_norms_as_pytorch() -> None:
    results = []
    for lib in (torch, tp):
        lib.manual_seed(0)
        with pytest.warns(FutureWarning, match="weight_norm` is deprecated"):
            wn = lib.nn.utils.weight_norm(lib.nn.Linear(3, 4).double())
        sn = lib.nn.utils.spectral_norm(lib.nn.Linear(3, 4).double())
        meta = sn.state_dict()._metadata[""]
        with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks"):
            lib.nn.utils.spectral_norm(sn)
        lib.nn.utils.remove_weight_norm(wn)
        lib.nn.utils.remove_spectral_norm(sn)
        with pytest.raises(ValueError, match="spectral_norm of 'weight' not found"):
            lib.nn.utils.remove_spectral_norm(sn)
        results.append(
            (sorted(wn.state_dict()), sorted(sn.state_dict()), meta, len(sn._forward_pre_hooks))
        )
    assert results[0] == results[1]


def test_old_spectral_norm_checkpoint_before_version_1_loads_as_pytorch() -> None:
    """A version-0 checkpoint stored ``weight`` and no ``weight_v``: ``v`` is solved for."""
    torch.manual_seed(3)
    src = torch.nn.utils.spectral_norm(torch.nn.Linear(3, 4).double())
    sd = src.state_dict()
    sd["weight"] = src.weight_orig.detach() / 2.5
    del sd["weight_v"]
    results = []
    for lib in (torch, tp):
        m = lib.nn.utils.spectral_norm(lib.nn.Linear(3, 4).double())
        state = {k: lib.tensor(_np(v)) for k, v in sd.items()}
        m.load_state_dict(state)
        results.append(_np(m.weight_v))
    np.testing.assert_allclose(results[1], results[0], rtol=1e-9)


@pytest.mark.parametrize(
    ("shape", "orthogonal_map"),
    [((4, 4), None), ((4, 4), "cayley"), ((4, 4), "householder"), ((5, 3), None),
     ((3, 5), None), ((3, 5), "matrix_exp"), ((2, 3, 3), None)],
)  # fmt: skip
def test_orthogonal_matches_pytorch(shape: tuple[int, ...], orthogonal_map: Any) -> None:
    """Values and gradients at a random ``original`` (every map away from the identity), the
    layout, and assignment through ``right_inverse`` (square: the QR of the matrix)."""
    rng = np.random.default_rng(0)
    mods = []
    for lib in (torch, tp):
        lib.manual_seed(0)
        m = lib.nn.Module()
        m.weight = lib.nn.Parameter(lib.zeros(*shape, dtype=lib.float64))
        mods.append(lib.nn.utils.parametrizations.orthogonal(m, orthogonal_map=orthogonal_map))
    m_t, m_p = mods
    state = {k: v.numpy() for k, v in m_t.state_dict().items()}
    state["parametrizations.weight.original"] = rng.uniform(-0.7, 0.7, shape)
    for m, lib in ((m_t, torch), (m_p, tp)):
        m.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
        (m.weight * lib.tensor(np.arange(np.prod(shape)).reshape(shape))).sum().backward()
    assert list(m_p.state_dict()) == list(m_t.state_dict())
    _close(m_t.weight, m_p.weight)
    _close(m_t.parametrizations.weight.original.grad, m_p.parametrizations.weight.original.grad)
    if shape[-1] == shape[-2]:
        target = rng.standard_normal(shape)
        m_t.weight = torch.tensor(target)
        m_p.weight = tp.tensor(target)
        _close(m_t.weight, m_p.weight)
