"""nn.Module's contract (registration, traversal, modes, state dicts, placement, hooks, repr),
Parameter, init, and the layers against PyTorch."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import tensorplug as tp
from tensorplug import nn


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(3, 2, bias=False)
        self.register_buffer("steps", tp.zeros(()))
        self.register_buffer("scratch", tp.ones(2), persistent=False)
        self.scale = nn.Parameter(tp.ones(1))

    def forward(self, x: tp.Tensor) -> tp.Tensor:
        return self.fc2(self.act(self.fc1(x))) * self.scale


def test_registration_and_traversal() -> None:
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "scale",
        "fc1.weight",
        "fc1.bias",
        "fc2.weight",
    ]
    assert [n for n, _ in net.named_buffers()] == ["steps", "scratch"]
    assert [n for n, _ in net.named_children()] == ["fc1", "act", "fc2"]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "act", "fc2"]
    assert next(iter(net.children())) is net.fc1
    assert len(list(net.modules())) == 4
    assert net.fc2.bias is None
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in net.parameters())
    assert [n for n, _ in net.named_parameters(recurse=False)] == ["scale"]
    assert net.get_submodule("fc1") is net.fc1


def test_shared_parameter_listed_once_and_reassignment() -> None:
    net = Net()
    net.fc3 = net.fc1  # the same module twice
    assert len(list(net.parameters())) == 4
    net.fc1 = nn.Identity()  # replacing a child re-registers it
    assert "fc1.weight" not in dict(net.named_parameters())
    net.scale = None
    assert "scale" not in dict(net.named_parameters())
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'scale'"):
        net.scale = tp.ones(1)
    with pytest.raises(TypeError, match="cannot assign 'int' as buffer 'steps'"):
        net.steps = 3
    del net.fc2
    assert "fc2" not in dict(net.named_children())


def test_assign_before_init_is_an_error() -> None:
    class Bad(nn.Module):
        def __init__(self) -> None:
            self.w = nn.Parameter(tp.ones(1))

    with pytest.raises(AttributeError, match=r"before Module.__init__\(\) call"):
        Bad()


def test_missing_forward() -> None:
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(tp.ones(1))


def test_train_eval_and_zero_grad() -> None:
    net = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    assert net.training and net[1].training
    assert net.eval() is net
    assert not net.training and not net[1].training
    x = tp.ones(3, 2)
    np.testing.assert_array_equal(net(x).numpy(force=True), net(x).numpy(force=True))
    net.train()
    net(x).sum().backward()
    assert net[0].weight.grad is not None
    net.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(net[0].weight.grad.numpy(), 0.0)
    net.zero_grad()
    assert net[0].weight.grad is None


def test_state_dict_round_trip_and_errors() -> None:
    a, b = Net(), Net()
    sd = a.state_dict()
    assert list(sd) == ["scale", "steps", "fc1.weight", "fc1.bias", "fc2.weight"]
    assert not sd["fc1.weight"].requires_grad
    result = b.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    np.testing.assert_array_equal(b.fc1.weight.detach().numpy(), a.fc1.weight.detach().numpy())
    assert b.fc1.weight is not a.fc1.weight
    bad = dict(sd)
    del bad["fc1.bias"]
    bad["extra"] = tp.ones(1)
    with pytest.raises(
        RuntimeError,
        match=r"Error\(s\) in loading state_dict for Net:\n\t"
        r'Missing key\(s\) in state_dict: "fc1.bias"'
        r'(.|\n)*Unexpected key\(s\) in state_dict: "extra"',
    ):
        b.load_state_dict(bad)
    result = b.load_state_dict(bad, strict=False)
    assert result.missing_keys == ["fc1.bias"] and result.unexpected_keys == ["extra"]
    shape = dict(sd, **{"fc1.weight": tp.ones(2, 2)})
    with pytest.raises(
        RuntimeError,
        match=r"size mismatch for fc1.weight: copying a param with "
        r"shape \[2, 2\] from checkpoint, the shape in "
        r"current model is \[3, 4\]",
    ):
        b.load_state_dict(shape, strict=False)


def test_load_state_dict_casts_dtype_and_keeps_identity() -> None:
    net = nn.Linear(2, 2)
    w = net.weight
    net.load_state_dict({"weight": tp.ones(2, 2, dtype=tp.float64), "bias": tp.zeros(2)})
    assert net.weight is w and net.weight.dtype is tp.float32
    np.testing.assert_array_equal(net.weight.detach().numpy(), 1.0)


def test_to_dtype_keeps_parameter_identity() -> None:
    net = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    w = net[0].weight
    net.to(tp.float64)
    assert net[0].weight is w and w.dtype is tp.float64
    assert net[1].running_mean.dtype is tp.float64
    assert net[1].num_batches_tracked.dtype is tp.int64
    assert net(tp.ones(4, 2, dtype=tp.float64)).dtype is tp.float64
    net.float()
    assert w.dtype is tp.float32
    with pytest.raises(TypeError, match="only accepts floating point dtypes"):
        net.to(tp.int64)
    net.to("numpy")  # a backend name: already there, nothing changes
    assert w.backend == "numpy"


def test_forward_hooks() -> None:
    net = nn.Linear(2, 2)
    seen: list[Any] = []
    h1 = net.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    h2 = net.register_forward_hook(lambda m, args, out: seen.append(out.shape) or out + 1)
    out = net(tp.ones(1, 2))
    np.testing.assert_allclose(out.detach().numpy(), net.bias.detach().numpy()[None] + 1)
    assert seen == [(1, 2)]
    h1.remove()
    h2.remove()
    np.testing.assert_allclose(
        net(tp.zeros(1, 2)).detach().numpy(), net.bias.detach().numpy()[None]
    )
    assert seen == [(1, 2)]


def test_repr_of_module_tree() -> None:
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Sequential(nn.Dropout(0.1)))
    assert repr(net) == (
        "Sequential(\n"
        "  (0): Linear(in_features=3, out_features=4, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Dropout(p=0.1, inplace=False)\n"
        "  )\n"
        ")"
    )
    assert repr(nn.Conv2d(1, 2, 3, padding=1, bias=False)) == (
        "Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)"
    )
    assert repr(nn.Parameter(tp.zeros(1))) == (
        "Parameter containing:\ntensor([0.], requires_grad=True)"
    )


def test_containers() -> None:
    seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear)
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[0] is seq[0]
    seq.append(nn.Sigmoid())
    assert [type(m).__name__ for m in seq] == ["Linear", "ReLU", "Linear", "Sigmoid"]
    del seq[1]
    assert list(dict(seq.named_children())) == ["0", "1", "2"]
    ml = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)])
    assert len(list(ml.parameters())) == 6
    md = nn.ModuleDict({"a": nn.Linear(1, 2)})
    assert "a" in md and [n for n, _ in md.named_parameters()] == ["a.weight", "a.bias"]
    with pytest.raises(IndexError, match="out of range"):
        seq[5]


def test_parameter() -> None:
    t = tp.ones(2)
    p = nn.Parameter(t)
    assert p.is_leaf and p.requires_grad and isinstance(p, tp.Tensor)
    with tp.no_grad():
        p.mul_(3)
    np.testing.assert_array_equal(t.numpy(), 3.0)  # shares the data, as in PyTorch
    assert not nn.Parameter(tp.ones(1), requires_grad=False).requires_grad
    assert type(p * 2) is tp.Tensor


# -- init ----------------------------------------------------------------------------------


def test_init_bounds_and_statistics() -> None:
    tp.manual_seed(0)
    w = tp.empty(200, 300)
    nn.init.kaiming_uniform_(w, a=math.sqrt(5))
    bound = 1 / math.sqrt(300)
    assert abs(w).max().item() <= bound and abs(w).max().item() > 0.95 * bound
    nn.init.xavier_uniform_(w, gain=2.0)
    assert abs(w).max().item() <= 2.0 * math.sqrt(6 / 500)
    nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert abs(w.std().item() - math.sqrt(2 / 200)) < 0.003
    nn.init.xavier_normal_(w)
    assert abs(w.std().item() - math.sqrt(2 / 500)) < 0.002
    nn.init.normal_(w, 3.0, 0.5)
    assert abs(w.mean().item() - 3) < 0.01 and abs(w.std().item() - 0.5) < 0.01
    nn.init.uniform_(w, -2, -1)
    assert w.min().item() >= -2 and w.max().item() < -1
    nn.init.zeros_(w)
    assert w.abs().sum().item() == 0
    nn.init.ones_(w)
    nn.init.constant_(w, 0.5)
    assert w.mean().item() == 0.5
    nn.init.eye_(w)
    assert w.sum().item() == 200
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.init.xavier_uniform_(tp.empty(3))
    assert nn.init.calculate_gain("leaky_relu", math.sqrt(5)) == math.sqrt(2 / 6)


def test_init_is_reproducible_and_updates_version() -> None:
    tp.manual_seed(1)
    a = nn.Linear(5, 4)
    tp.manual_seed(1)
    b = nn.Linear(5, 4)
    np.testing.assert_array_equal(a.weight.detach().numpy(), b.weight.detach().numpy())
    bound = 1 / math.sqrt(5)
    assert abs(a.bias).max().item() <= bound


# -- layers against PyTorch ----------------------------------------------------------------


def _copy_params(ours: nn.Module, theirs: Any) -> None:
    torch = pytest.importorskip("torch")
    ours.load_state_dict({k: tp.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    del torch


@pytest.mark.parametrize("make", [
    lambda m: m.Linear(5, 3),
    lambda m: m.Sequential(m.Linear(5, 4), m.Tanh(), m.Linear(4, 2), m.Sigmoid()),
    lambda m: m.Sequential(m.GELU(), m.LayerNorm(5)),
    lambda m: m.Sequential(m.BatchNorm1d(5), m.SiLU(), m.Softmax(dim=1)),
    lambda m: m.Sequential(m.LogSoftmax(dim=-1), m.Flatten(0), m.Identity()),
])  # fmt: skip
def test_layers_match_torch(make: Any) -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = make(torch.nn).double()
    ours = make(nn).double()
    _copy_params(ours, theirs)
    x = np.random.default_rng(0).standard_normal((6, 5))
    xo, xt = tp.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, ref = ours(xo), theirs(xt)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-6, atol=1e-7)
    g = np.random.default_rng(1).standard_normal(ref.shape)
    out.backward(tp.tensor(g))
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-6, atol=1e-7)
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(
            p.grad.numpy(), q.grad.numpy(), rtol=1e-6, atol=1e-7, err_msg=name
        )
    for (name, b), (_, c) in zip(ours.named_buffers(), theirs.named_buffers()):
        np.testing.assert_allclose(b.numpy(), c.numpy(), rtol=1e-12, err_msg=name)


def test_cnn_matches_torch() -> None:
    torch = pytest.importorskip("torch")

    def make(m: Any) -> Any:
        return m.Sequential(
            m.Conv2d(2, 4, 3, padding=1),
            m.ReLU(),
            m.MaxPool2d(2),
            m.Conv2d(4, 4, 2, stride=1, groups=2),
            m.AvgPool2d(2),
            m.Flatten(),
            m.Linear(4, 3),
        )

    theirs = make(torch.nn).double()
    ours = make(nn).double()
    _copy_params(ours, theirs)
    x = np.random.default_rng(2).standard_normal((3, 2, 8, 8))
    out, ref = ours(tp.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10)
    loss_o = nn.CrossEntropyLoss()(out, tp.tensor([0, 1, 2]))
    loss_t = torch.nn.CrossEntropyLoss()(ref, torch.tensor([0, 1, 2]))
    loss_o.backward()
    loss_t.backward()
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(
            p.grad.numpy(), q.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name
        )


def test_batchnorm_modes_match_torch() -> None:
    torch = pytest.importorskip("torch")
    for momentum in (0.1, None):
        theirs = torch.nn.BatchNorm1d(3, momentum=momentum).double()
        ours = nn.BatchNorm1d(3, momentum=momentum).double()
        rng = np.random.default_rng(3)
        for _ in range(3):
            x = rng.standard_normal((5, 3, 2))
            ours(tp.tensor(x))
            theirs(torch.tensor(x))
        for k, v in theirs.state_dict().items():
            np.testing.assert_allclose(ours.state_dict()[k].numpy(), v.numpy(), rtol=1e-12)
        ours.eval()
        theirs.eval()
        x = rng.standard_normal((4, 3))
        np.testing.assert_allclose(
            ours(tp.tensor(x)).detach().numpy(),
            theirs(torch.tensor(x)).detach().numpy(),
            rtol=1e-10,
        )


def test_batchnorm2d_module_matches_pytorch() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    theirs = torch.nn.BatchNorm2d(3).double()
    ours = tp.nn.BatchNorm2d(3, dtype=tp.float64)
    assert repr(ours).startswith("BatchNorm2d(3, eps=1e-05, momentum=0.1")
    for _ in range(2):
        x = rng.standard_normal((2, 3, 2, 3))
        np.testing.assert_allclose(
            ours(tp.tensor(x)).detach().numpy(),
            theirs(torch.tensor(x)).detach().numpy(),
            atol=1e-12,
        )
    np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy(), rtol=1e-12)
    ours.eval()
    theirs.eval()
    x = rng.standard_normal((1, 3, 2, 2))
    np.testing.assert_allclose(
        ours(tp.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(), atol=1e-12
    )
    with pytest.raises(ValueError, match="BatchNorm2d: expected 4D input"):
        ours(tp.ones(2, 3, 4))
    with pytest.raises(ValueError, match="BatchNorm1d: expected 2D or 3D input"):
        tp.nn.BatchNorm1d(3)(tp.ones(2, 3, 4, 5))


def test_embedding_module() -> None:
    emb = nn.Embedding(10, 3, padding_idx=0)
    np.testing.assert_array_equal(emb.weight.detach().numpy()[0], 0.0)
    out = emb(tp.tensor([[0, 1], [2, 0]]))
    assert out.shape == (2, 2, 3)
    out.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy()[0], 0.0)
    np.testing.assert_array_equal(emb.weight.grad.numpy()[1], 1.0)
    assert repr(emb) == "Embedding(10, 3, padding_idx=0)"


@pytest.mark.parametrize("name", ["MSELoss", "L1Loss", "BCEWithLogitsLoss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_losses_match_torch(name: str, reduction: str) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((4, 3)), rng.uniform(0, 1, (4, 3))
    out = getattr(nn, name)(reduction=reduction)(tp.tensor(x), tp.tensor(y))
    ref = getattr(torch.nn, name)(reduction=reduction)(torch.tensor(x), torch.tensor(y))
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-12)


def test_classification_losses_match_torch() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x = rng.standard_normal((5, 4))
    t = [1, 0, 3, 3, 2]
    w = rng.uniform(0.5, 1.5, 4)
    pairs = [
        (
            nn.CrossEntropyLoss(tp.tensor(w), label_smoothing=0.1),
            torch.nn.CrossEntropyLoss(torch.tensor(w), label_smoothing=0.1),
            x,
        ),
        (
            nn.CrossEntropyLoss(ignore_index=3, reduction="sum"),
            torch.nn.CrossEntropyLoss(ignore_index=3, reduction="sum"),
            x,
        ),
        (nn.NLLLoss(), torch.nn.NLLLoss(), np.log(rng.uniform(0.1, 1, (5, 4)))),
    ]
    for ours, theirs, inp in pairs:
        np.testing.assert_allclose(
            ours(tp.tensor(inp), tp.tensor(t)).numpy(),
            theirs(torch.tensor(inp), torch.tensor(t)).numpy(),
            rtol=1e-12,
        )
    p = rng.uniform(0.01, 0.99, (5, 4))
    y = rng.uniform(0, 1, (5, 4))
    np.testing.assert_allclose(
        nn.BCELoss()(tp.tensor(p), tp.tensor(y)).numpy(),
        torch.nn.BCELoss()(torch.tensor(p), torch.tensor(y)).numpy(),
        rtol=1e-12,
    )
    assert repr(nn.MSELoss(reduction="sum")) == "MSELoss()"  # PyTorch's: no extra_repr
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.L1Loss(reduction="max")


# -- clip_grad_norm_ -----------------------------------------------------------------------


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
def test_clip_grad_norm_matches_torch(norm_type: float) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    grads = [rng.standard_normal((3, 2)), rng.standard_normal(4)]
    ours = [nn.Parameter(tp.zeros(*g.shape, dtype=tp.float64)) for g in grads]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, q, g in zip(ours, theirs, grads):
        p.grad = tp.tensor(g)
        q.grad = torch.tensor(g)
    total = nn.utils.clip_grad_norm_(ours, 0.5, norm_type)
    ref = torch.nn.utils.clip_grad_norm_(theirs, 0.5, norm_type)
    np.testing.assert_allclose(total.numpy(), ref.numpy(), rtol=1e-12)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-12)
    small = nn.Parameter(tp.zeros(2))
    small.grad = tp.tensor([0.1, 0.0])
    nn.utils.clip_grad_norm_(small, 1.0)
    np.testing.assert_allclose(small.grad.numpy(), [0.1, 0.0])  # under max_norm: untouched


def test_parameters_vector_round_trip() -> None:
    net = nn.Linear(3, 2)
    vec = nn.utils.parameters_to_vector(net.parameters())
    assert vec.shape == (8,)
    nn.utils.vector_to_parameters(vec * 0 + 1, net.parameters())
    np.testing.assert_array_equal(net.weight.detach().numpy(), 1.0)


def _fake_backend() -> Any:
    """A second backend (own name and device) built from the NumPy kernels."""
    from tensorplug.plugins import Backend

    np_be = tp.get_backend("numpy")
    return Backend(name="fake", kernels=np_be.kernels, dtypes=np_be.dtypes, device_type="meta")


def test_to_another_backend_moves_everything_and_trains() -> None:
    fake = _fake_backend()
    net = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    w = net[0].weight
    before = w.detach().numpy().copy()
    net(tp.ones(4, 2)).sum().backward()
    assert net.to(fake) is net
    assert net[0].weight is w and w.backend == "fake" and w.grad.backend == "fake"
    assert {b.backend for b in net.buffers()} == {"fake"}
    np.testing.assert_array_equal(w.detach().numpy(), before)
    opt = tp.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    net.zero_grad()
    net(tp.ones(4, 2, backend=fake)).sum().backward()
    opt.step()
    assert w.backend == "fake" and w.grad.backend == "fake"
    back = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    back.load_state_dict(net.state_dict())  # tensors from another backend are moved
    assert back[0].weight.backend == "numpy"
    np.testing.assert_array_equal(back[0].weight.detach().numpy(), w.detach().numpy())
    net.to(backend="numpy")
    assert w.backend == "numpy"


def test_deepcopy_gives_an_independent_module() -> None:
    import copy

    net = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    net[0].weight.grad = tp.ones(2, 2)
    twin = copy.deepcopy(net)
    assert twin[0].weight is not net[0].weight and isinstance(twin[0].weight, nn.Parameter)
    np.testing.assert_array_equal(twin[0].weight.detach().numpy(), net[0].weight.detach().numpy())
    np.testing.assert_array_equal(twin[0].weight.grad.numpy(), 1.0)
    with tp.no_grad():
        twin[0].weight.add_(1)
    twin[1].running_mean.add_(1)
    assert not np.array_equal(twin[0].weight.detach().numpy(), net[0].weight.detach().numpy())
    np.testing.assert_array_equal(net[1].running_mean.numpy(), 0.0)
    shared = nn.Sequential(net[0], net[0])
    copied = copy.deepcopy(shared)
    assert copied[0] is copied[1]  # sharing is preserved
