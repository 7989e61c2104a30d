"""nn.functional beyond the op database's samples: gradients of chosen inputs checked by the
conformance kit's ``gradcheck``/``gradgradcheck`` (float64, full Jacobians), values, gradients
and running statistics against PyTorch, what PyTorch refuses (a class weight that requires grad,
one_hot out of range, leaky_relu on integers), and error messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tensorplug as tp
from tensorplug import testing
from tensorplug.nn import functional as F

RNG = np.random.default_rng(1234)


def _t(a: Any, grad: bool = False) -> tp.Tensor:
    return tp.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def gradcheck(fn: Callable[..., tp.Tensor], *arrays: np.ndarray, **tol: float) -> None:
    """The conformance kit's ``gradcheck`` on float64 copies of ``arrays``, full Jacobians
    against central differences (``atol=1e-6, rtol=1e-5`` unless given)."""
    inputs = [_t(a, grad=True) for a in arrays]
    tol = {"atol": 1e-6, "rtol": 1e-5, **tol}
    testing.gradcheck(fn, inputs, fast_mode=False, **tol)


def gradgradcheck(fn: Callable[[tp.Tensor], tp.Tensor], x: np.ndarray, **tol: float) -> None:
    """The kit's ``gradgradcheck``: second derivatives (``atol=1e-5, rtol=1e-4`` unless given)."""
    tol = {"atol": 1e-5, "rtol": 1e-4, **tol}
    testing.gradgradcheck(fn, [_t(x, grad=True)], fast_mode=False, **tol)


# -- gradient checks ------------------------------------------------------------------------


def test_unfold_grad_and_double_grad() -> None:
    x = RNG.standard_normal((2, 2, 5, 4))
    gradcheck(lambda t: F.unfold(t, (2, 3), dilation=(1, 1), padding=1, stride=(2, 1)), x)
    gradcheck(lambda t: F.unfold(t, 2, dilation=2), x)
    gradgradcheck(lambda t: F.unfold(t, 2, padding=1) ** 2, x[:1, :1])


def test_conv2d_grads() -> None:
    x = RNG.standard_normal((2, 4, 5, 5))
    w = RNG.standard_normal((2, 2, 3, 3))
    b = RNG.standard_normal(2)
    gradcheck(lambda a, ww, bb: F.conv2d(a, ww, bb, stride=2, padding=1, groups=2), x, w, b)
    w1 = RNG.standard_normal((3, 4, 2, 2))
    gradcheck(lambda a, ww: F.conv2d(a, ww, dilation=2), x, w1)


def test_pool_grads() -> None:
    x = RNG.standard_normal((2, 2, 5, 6))
    gradcheck(lambda t: F.max_pool2d(t, 2), x)
    gradcheck(lambda t: F.max_pool2d(t, 3, stride=2, padding=1), x)
    gradcheck(lambda t: F.avg_pool2d(t, 3, stride=2, padding=1), x)
    gradcheck(lambda t: F.avg_pool2d(t, 3, stride=1, padding=1, count_include_pad=False), x)


def test_gelu_grads() -> None:
    x = RNG.standard_normal((3, 4)) * 2
    # The exact form's CDF is the backend's erfc (full float64), recorded as ``erfc`` when
    # the backward builds a graph.
    gradcheck(F.gelu, x)
    gradcheck(lambda t: F.gelu(t, approximate="tanh"), x)
    gradgradcheck(lambda t: F.gelu(t, approximate="tanh"), x)
    gradgradcheck(F.gelu, x)


def test_gelu_cdf_without_an_erfc_kernel_is_the_polynomial() -> None:
    """A backend without the optional ``erfc`` kernel gets Phi from primitives, accurate to
    1.2e-7 relative (both tails, the negative one never as ``1 - something``)."""
    from types import SimpleNamespace

    from tensorplug._gelu import normal_cdf

    k = tp.tensor(0.0)._backend.k
    names = ("abs", "mul", "div", "add", "sub", "exp", "where", "lt")
    primitives_only = SimpleNamespace(**{n: getattr(k, n) for n in names})
    x = np.linspace(-30.0, 8.0, 381)
    np.testing.assert_allclose(
        normal_cdf(primitives_only, x), normal_cdf(k, x, k.erfc), rtol=1.2e-7
    )


def test_embedding_grad_and_padding_idx() -> None:
    w = RNG.standard_normal((5, 3))
    idx = tp.tensor([[0, 2, 2], [4, 1, 2]])
    gradcheck(lambda ww: F.embedding(idx, ww), w)
    wt = _t(w, grad=True)
    F.embedding(idx, wt, padding_idx=2).sum().backward()
    assert wt.grad is not None
    np.testing.assert_array_equal(wt.grad.numpy()[2], 0.0)
    np.testing.assert_array_equal(wt.grad.numpy()[0], 1.0)


def test_norm_grads() -> None:
    x = RNG.standard_normal((4, 3, 2))
    w = RNG.standard_normal((3, 2))
    b = RNG.standard_normal((3, 2))
    gradcheck(lambda a, ww, bb: F.layer_norm(a, (3, 2), ww, bb), x, w, b)
    bw = RNG.standard_normal(3)
    gradcheck(lambda a, ww, bb: F.batch_norm(a, None, None, ww, bb, training=True), x, bw, bw)


def test_loss_grads() -> None:
    x = RNG.standard_normal((4, 3))
    y = RNG.standard_normal((4, 3))
    p = RNG.uniform(0.05, 0.95, (4, 3))
    t = RNG.uniform(0, 1, (4, 3))
    for red in ("mean", "sum", "none"):
        gradcheck(lambda a, b, r=red: F.l1_loss(a, b, reduction=r), x, y)
        gradcheck(lambda a, b, r=red: F.binary_cross_entropy(a, b, reduction=r), p, t)
        gradcheck(lambda a, b, r=red: F.binary_cross_entropy_with_logits(a, b, reduction=r), x, t)
    pw = RNG.uniform(0.5, 2, 3)
    gradcheck(lambda a, pwt: F.binary_cross_entropy_with_logits(a, _t(t), pos_weight=pwt), x, pw)
    target = tp.tensor([0, 2, 1, 2])
    gradcheck(lambda a: F.cross_entropy(a, target, label_smoothing=0.2), x)
    gradcheck(
        lambda a: F.cross_entropy(
            a, tp.tensor([0, -100, 1, 2]), ignore_index=-100, label_smoothing=0.1
        ),
        x,
    )


def test_activation_grads() -> None:
    x = RNG.standard_normal((3, 4)) * 3
    gradcheck(F.silu, x)
    gradcheck(F.softplus, x)
    gradcheck(lambda t: F.leaky_relu(t, 0.2), x)


def test_dropout_grad_matches_mask() -> None:
    tp.manual_seed(0)
    x = _t(np.ones((50, 40)), grad=True)
    y = F.dropout(x, 0.25)
    y.sum().backward()
    assert x.grad is not None
    np.testing.assert_allclose(x.grad.numpy(), y.detach().numpy())
    kept = (y.detach().numpy() != 0).mean()
    assert 0.70 < kept < 0.80
    np.testing.assert_allclose(np.unique(y.detach().numpy()), [0.0, 1 / 0.75])
    assert F.dropout(x, 0.25, training=False) is x


# -- values against PyTorch -----------------------------------------------------------------


def _torch() -> Any:
    return pytest.importorskip("torch")


def _close(ours: tp.Tensor, theirs: Any, **kw: Any) -> None:
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **kw)


@pytest.mark.parametrize(
    "kw", [{}, {"stride": 2, "padding": 1}, {"dilation": 2, "padding": (1, 2)}, {"groups": 2}]
)
def test_conv2d_matches_torch(kw: dict[str, Any]) -> None:
    torch = _torch()
    x = RNG.standard_normal((2, 4, 7, 6))
    w = RNG.standard_normal((6, 4 // kw.get("groups", 1), 3, 2))
    b = RNG.standard_normal(6)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    xo, wo, bo = (_t(a, grad=True) for a in (x, w, b))
    ref = torch.nn.functional.conv2d(xt, wt, bt, **kw)
    out = F.conv2d(xo, wo, bo, **kw)
    _close(out, ref, rtol=1e-12, atol=1e-12)
    g = RNG.standard_normal(out.shape)
    ref.backward(torch.tensor(g))
    out.backward(_t(g))
    for ours, theirs in ((xo, xt), (wo, wt), (bo, bt)):
        _close(ours.grad, theirs.grad, rtol=1e-10, atol=1e-12)


def test_pools_and_unfold_match_torch() -> None:
    torch = _torch()
    tf = torch.nn.functional
    x = RNG.standard_normal((2, 3, 7, 6))
    xt = torch.tensor(x)
    _close(F.max_pool2d(_t(x), 3, 2, 1), tf.max_pool2d(xt, 3, 2, 1))
    _close(F.max_pool2d(_t(x), 2), tf.max_pool2d(xt, 2))
    _close(F.avg_pool2d(_t(x), 3, 2, 1), tf.avg_pool2d(xt, 3, 2, 1))
    _close(
        F.avg_pool2d(_t(x), 3, 2, 1, count_include_pad=False),
        tf.avg_pool2d(xt, 3, 2, 1, count_include_pad=False),
    )
    _close(F.avg_pool2d(_t(x), 2, divisor_override=3), tf.avg_pool2d(xt, 2, divisor_override=3))
    _close(
        F.unfold(_t(x), (2, 3), dilation=(2, 1), padding=1, stride=(1, 2)),
        tf.unfold(xt, (2, 3), dilation=(2, 1), padding=1, stride=(1, 2)),
    )


def test_max_pool_gradient_goes_to_first_maximum() -> None:
    torch = _torch()
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1, 1] = x[0, 0, 0, 1] = 1.0  # a tie inside the first window
    xo, xt = _t(x, grad=True), torch.tensor(x, requires_grad=True)
    F.max_pool2d(xo, 2).sum().backward()
    torch.nn.functional.max_pool2d(xt, 2).sum().backward()
    _close(xo.grad, xt.grad)


def test_activations_and_losses_match_torch() -> None:
    torch = _torch()
    tf = torch.nn.functional
    x = RNG.standard_normal((5, 4)) * 3
    y = RNG.standard_normal((5, 4))
    p = RNG.uniform(0, 1, (5, 4))
    p[0, 0], p[1, 1] = 0.0, 1.0  # the log clamp at -100
    t = RNG.uniform(0, 1, (5, 4))
    xt, yt, pt, tt = (torch.tensor(a) for a in (x, y, p, t))
    # PyTorch's own erf form loses the far negative tail to cancellation; ours does not.
    _close(F.gelu(_t(x)), tf.gelu(xt), rtol=2e-7, atol=1e-14)
    # Below x = -4 the tanh form is x (1 + tanh(...)) / 2, a difference of numbers near 1: one
    # ulp of tanh (NumPy's and PyTorch's differ by that) is 1e-16 there, absolute.
    _close(
        F.gelu(_t(x), approximate="tanh"),
        tf.gelu(xt, approximate="tanh"),
        rtol=1e-10,
        atol=1e-15,
    )
    _close(F.silu(_t(x)), tf.silu(xt), rtol=1e-10)
    _close(F.softplus(_t(x), beta=2, threshold=3), tf.softplus(xt, beta=2, threshold=3))
    _close(F.leaky_relu(_t(x), 0.1), tf.leaky_relu(xt, 0.1))
    for red in ("mean", "sum", "none"):
        _close(F.l1_loss(_t(x), _t(y), reduction=red), tf.l1_loss(xt, yt, reduction=red))
        _close(
            F.binary_cross_entropy(_t(p), _t(t), reduction=red),
            tf.binary_cross_entropy(pt, tt, reduction=red),
            rtol=1e-12,
        )
        _close(
            F.binary_cross_entropy_with_logits(_t(x), _t(t), reduction=red),
            tf.binary_cross_entropy_with_logits(xt, tt, reduction=red),
            rtol=1e-12,
        )
    w = RNG.uniform(0.5, 2, 4)
    _close(
        F.binary_cross_entropy_with_logits(_t(x), _t(t), _t(w), pos_weight=_t(w)),
        tf.binary_cross_entropy_with_logits(xt, tt, torch.tensor(w), pos_weight=torch.tensor(w)),
        rtol=1e-12,
    )
    _close(
        F.binary_cross_entropy(_t(p), _t(t), _t(w)),
        tf.binary_cross_entropy(pt, tt, torch.tensor(w)),
        rtol=1e-12,
    )


@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_matches_torch(smoothing: float, reduction: str) -> None:
    torch = _torch()
    x = RNG.standard_normal((6, 4))
    target = [0, 3, -100, 1, 2, 3]
    w = RNG.uniform(0.5, 2, 4)
    for weight in (None, w):
        xo, xt = _t(x, grad=True), torch.tensor(x, requires_grad=True)
        out = F.cross_entropy(
            xo,
            tp.tensor(target),
            None if weight is None else _t(weight),
            reduction=reduction,
            label_smoothing=smoothing,
        )
        ref = torch.nn.functional.cross_entropy(
            xt,
            torch.tensor(target),
            None if weight is None else torch.tensor(weight),
            reduction=reduction,
            label_smoothing=smoothing,
        )
        _close(out, ref, rtol=1e-10, atol=1e-12)
        out.sum().backward()
        ref.sum().backward()
        _close(xo.grad, xt.grad, rtol=1e-10, atol=1e-12)


def test_norms_and_embedding_match_torch() -> None:
    torch = _torch()
    tf = torch.nn.functional
    x = RNG.standard_normal((6, 3, 4))
    w, b = RNG.standard_normal(4), RNG.standard_normal(4)
    _close(
        F.layer_norm(_t(x), 4, _t(w), _t(b)),
        tf.layer_norm(torch.tensor(x), (4,), torch.tensor(w), torch.tensor(b)),
        rtol=1e-10,
    )
    rm, rv = _t(np.zeros(3)), _t(np.ones(3))
    rmt, rvt = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    out = F.batch_norm(_t(x), rm, rv, training=True, momentum=0.2)
    ref = tf.batch_norm(torch.tensor(x), rmt, rvt, training=True, momentum=0.2)
    _close(out, ref, rtol=1e-10, atol=1e-12)
    _close(rm, rmt, rtol=1e-12)
    _close(rv, rvt, rtol=1e-12)
    _close(F.batch_norm(_t(x), rm, rv), tf.batch_norm(torch.tensor(x), rmt, rvt), rtol=1e-10)
    table = RNG.standard_normal((5, 2))
    idx = [[1, 4], [0, 0]]
    _close(
        F.embedding(tp.tensor(idx), _t(table)), tf.embedding(torch.tensor(idx), torch.tensor(table))
    )
    _close(F.one_hot(tp.tensor([0, 2, 1]), 4), tf.one_hot(torch.tensor([0, 2, 1]), 4))


@pytest.mark.parametrize(
    ("fn", "kw"),
    [("nll_loss", {}), ("cross_entropy", {}), ("cross_entropy", {"label_smoothing": 0.1})],
)
def test_class_weight_requiring_grad_raises_like_pytorch(fn: str, kw: dict[str, float]) -> None:
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((3, 4))
    w = RNG.random(4) + 0.5
    t = np.array([0, 2, 1])
    tfn = getattr(torch.nn.functional, fn)
    with pytest.raises(RuntimeError, match="weight"):
        tfn(
            torch.tensor(x, requires_grad=True),
            torch.tensor(t),
            torch.tensor(w, requires_grad=True),
            **kw,
        )
    with pytest.raises(RuntimeError, match=r"nll_loss\(\).*not differentiable.*'weight'"):
        getattr(F, fn)(
            tp.tensor(x, requires_grad=True), tp.tensor(t), tp.tensor(w, requires_grad=True), **kw
        )
    # Without grad mode, or with a detached weight, both compute the same loss.
    with torch.no_grad():
        want = tfn(torch.tensor(x), torch.tensor(t), torch.tensor(w, requires_grad=True), **kw)
    with tp.no_grad():
        got = getattr(F, fn)(tp.tensor(x), tp.tensor(t), tp.tensor(w, requires_grad=True), **kw)
    np.testing.assert_allclose(got.item(), want.item(), rtol=1e-12)


def test_cross_entropy_probability_targets_give_weight_its_gradient() -> None:
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((3, 4))
    p = RNG.random((3, 4))
    p /= p.sum(1, keepdims=True)
    w = RNG.random(4) + 0.5
    tw = torch.tensor(w, requires_grad=True)
    torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(p), tw).backward()
    pw = tp.tensor(w, requires_grad=True)
    F.cross_entropy(tp.tensor(x), tp.tensor(p), pw).backward()
    assert pw.grad is not None
    np.testing.assert_allclose(pw.grad.numpy(), tw.grad.numpy(), rtol=1e-10)


def test_batch_norm_4d_matches_pytorch_values_grads_and_running_stats() -> None:
    torch = pytest.importorskip("torch")
    x, w, b = RNG.standard_normal((2, 3, 4, 5)), RNG.random(3) + 0.5, RNG.standard_normal(3)
    mean, var = RNG.standard_normal(3), RNG.random(3) + 0.5
    tt = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    ours = [tp.tensor(a, requires_grad=True) for a in (x, w, b)]
    trm, trv = torch.tensor(mean), torch.tensor(var)
    rm, rv = tp.tensor(mean), tp.tensor(var)
    want = torch.nn.functional.batch_norm(tt[0], trm, trv, tt[1], tt[2], training=True)
    got = F.batch_norm(ours[0], rm, rv, ours[1], ours[2], training=True)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(rm.numpy(), trm.numpy(), rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), trv.numpy(), rtol=1e-12)
    g = RNG.standard_normal(x.shape)
    want.backward(torch.tensor(g))
    got.backward(tp.tensor(g))
    for mine, theirs in zip(ours, tt):
        assert mine.grad is not None and theirs.grad is not None
        np.testing.assert_allclose(mine.grad.numpy(), theirs.grad.numpy(), atol=1e-10)
    want = torch.nn.functional.batch_norm(tt[0], trm, trv, tt[1], tt[2], training=False)
    got = F.batch_norm(ours[0], rm, rv, ours[1], ours[2], training=False)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), atol=1e-12)


def test_batch_norm_running_stats_channel_mismatch_names_op_and_shapes() -> None:
    x = tp.ones(2, 3, 4)
    with pytest.raises(
        RuntimeError,
        match=r"batch_norm\(\): running_mean .* 3 elements.*"
        r"\[2, 3, 4\].*\[4\]",
    ):
        F.batch_norm(x, tp.zeros(4), tp.ones(4), training=True)
    with pytest.raises(RuntimeError, match=r"batch_norm\(\): weight .*\[5\]"):
        F.batch_norm(x, None, None, tp.ones(5), training=True)
    with pytest.raises(ValueError, match=r"batch_norm\(\): expected input of shape \(N, C, \*\)"):
        F.batch_norm(tp.ones(3), None, None, training=True)


@pytest.mark.parametrize(
    ("values", "num_classes", "match"),
    [
        ([3], 2, "smaller than num_classes"),
        ([0, 2], 2, "smaller than num_classes"),
        ([-1], 3, "non-negative"),
        ([-1, 1], -1, "non-negative"),
        ([], -1, "empty"),
    ],
)
def test_one_hot_out_of_range_raises_like_pytorch(
    values: list[int], num_classes: int, match: str
) -> None:
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match=f"(?i){match}"):
        torch.nn.functional.one_hot(torch.tensor(values, dtype=torch.int64), num_classes)
    with pytest.raises(RuntimeError, match=rf"one_hot\(\): .*{match}"):
        F.one_hot(tp.tensor(values, dtype=tp.int64), num_classes)


@pytest.mark.parametrize(("values", "num_classes"), [([1, 0], 2), ([[2], [0]], -1), ([], 3)])
def test_one_hot_in_range_matches_pytorch(values: list[int], num_classes: int) -> None:
    torch = pytest.importorskip("torch")
    want = torch.nn.functional.one_hot(torch.tensor(values, dtype=torch.int64), num_classes)
    got = F.one_hot(tp.tensor(values, dtype=tp.int64), num_classes)
    assert got.dtype == tp.int64
    np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_leaky_relu_refuses_non_float_like_pytorch(dtype: str) -> None:
    torch = pytest.importorskip("torch")
    values = [-2, 3] if dtype != "bool" else [True, False]
    with pytest.raises(NotImplementedError):
        torch.nn.functional.leaky_relu(torch.tensor(values, dtype=getattr(torch, dtype)))
    with pytest.raises(NotImplementedError, match=rf"leaky_relu\(\): .*{dtype}"):
        F.leaky_relu(tp.tensor(values, dtype=dtype))
    with pytest.raises(NotImplementedError, match=r"leaky_relu\(\)"):
        tp.nn.LeakyReLU(0.1)(tp.tensor(values, dtype=dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_leaky_relu_float_dtype_and_values_match_pytorch(dtype: str) -> None:
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal(6)
    want = torch.nn.functional.leaky_relu(torch.tensor(x, dtype=getattr(torch, dtype)), 0.2)
    got = F.leaky_relu(tp.tensor(x, dtype=dtype), 0.2)
    assert got.dtype.name == dtype
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


# -- errors ---------------------------------------------------------------------------------


def test_errors_name_the_op_and_shapes() -> None:
    # PyTorch's exception classes and wording
    with pytest.raises(RuntimeError, match=r"4D \(batched\) input to conv2d.*\[3, 4\]"):
        F.conv2d(tp.ones(3, 4), tp.ones(2, 3, 1, 1))
    with pytest.raises(RuntimeError, match=r"expected input\[1, 2, 4, 4\] to have 3 channels"):
        F.conv2d(tp.ones(1, 2, 4, 4), tp.ones(2, 3, 1, 1))
    with pytest.raises(RuntimeError, match=r"max_pool2d\(\): Given input size: \(1x2x2\)"):
        F.max_pool2d(tp.ones(1, 1, 2, 2), 3)
    with pytest.raises(RuntimeError, match="pad should be at most half"):
        F.avg_pool2d(tp.ones(1, 1, 4, 4), 2, padding=2)
    with pytest.raises(
        IndexError,
        match=r"embedding\(\): index 5 is out of range for a table "
        "of 5 rows",
    ):
        F.embedding(tp.tensor([5]), tp.ones(5, 2))
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(tp.tensor([1.5]), tp.tensor([1.0]))
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.l1_loss(tp.ones(2), tp.ones(2), reduction="avg")
    with pytest.raises(ValueError, match="dropout probability"):
        F.dropout(tp.ones(2), 1.5)
    with pytest.raises(ValueError, match="approximate must be"):
        F.gelu(tp.ones(2), approximate="fast")
