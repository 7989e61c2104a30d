"""``state_dict``/``load_state_dict`` as PyTorch walks them: per-module prefixes, metadata,
``strict``, ``assign``, the returned ``_IncompatibleKeys``, error text and the four kinds of
state-dict hooks, each checked against PyTorch on the same module tree."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorplug as tp

torch = pytest.importorskip("torch")


def _net(lib: Any) -> Any:
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(2, 3)
            self.block = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
            self.register_buffer("steps", lib.zeros(()))
            self.register_buffer("scratch", lib.ones(2), persistent=False)

        def forward(self, x: Any) -> Any:
            return self.block(self.fc(x))

    return Net()


def _state(lib: Any) -> dict[str, Any]:
    return {k: np.asarray(v.detach().cpu().numpy()) for k, v in _net(lib).state_dict().items()}


def test_keys_order_and_metadata_match_pytorch() -> None:
    ours, theirs = _net(tp).state_dict(), _net(torch).state_dict()
    assert list(ours) == list(theirs)
    assert ours._metadata.keys() == theirs._metadata.keys()
    assert list(_net(tp).state_dict(prefix="m.")) == list(_net(torch).state_dict(prefix="m."))
    assert "scratch" not in ours


def test_shared_submodule_appears_under_both_names() -> None:
    for lib in (tp, torch):
        shared = lib.nn.Linear(1, 1)
        seq = lib.nn.Sequential(shared, shared)
        assert list(seq.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def _load_report(lib: Any, state: dict[str, Any], strict: bool) -> Any:
    net = _net(lib)
    sd = {k: lib.tensor(v) if isinstance(v, np.ndarray) else v for k, v in state.items()}
    try:
        res = net.load_state_dict(sd, strict=strict)
    except Exception as e:  # noqa: BLE001 - compared with PyTorch's
        return type(e), str(e).replace("torch.", "").replace("Size(", "").replace("])", "]")
    return repr(res), res.missing_keys, res.unexpected_keys


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize(
    "change", ["none", "missing", "unexpected", "both", "unexpected_in_child", "not_tensor"]
)
def test_load_reports_as_pytorch(change: str, strict: bool) -> None:
    state = _state(torch)
    if change in ("missing", "both"):
        del state["block.0.bias"]
    if change in ("unexpected", "both"):
        state["extra"] = np.ones(1)
    if change == "unexpected_in_child":
        state["block.1.extra"] = np.ones(1)
    if change == "not_tensor":
        state["fc.bias"] = [1.0, 2.0, 3.0]
    ours, theirs = _load_report(tp, state, strict), _load_report(torch, state, strict)
    if isinstance(theirs[0], type):
        theirs = (theirs[0], theirs[1].replace("<class 'Tensor'>", "Tensor"))
    assert ours == theirs


def test_size_mismatch_loads_nothing_wrong_and_raises() -> None:
    state = _state(torch)
    state["fc.weight"] = np.ones((2, 2))
    for lib in (tp, torch):
        with pytest.raises(RuntimeError, match=r"size mismatch for fc\.weight: copying a param"):
            _net(lib).load_state_dict({k: lib.tensor(v) for k, v in state.items()})


def test_not_a_mapping() -> None:
    for lib in (tp, torch):
        with pytest.raises(TypeError, match="Expected state_dict to be dict-like, got <class"):
            _net(lib).load_state_dict([1, 2])


def test_assign_takes_the_tensors_themselves() -> None:
    net = tp.nn.Linear(2, 2)
    w = tp.ones(2, 2, dtype=tp.float64)
    net.load_state_dict({"weight": w, "bias": tp.zeros(2)}, assign=True)
    assert isinstance(net.weight, tp.nn.Parameter) and net.weight.dtype is tp.float64
    assert net.weight.requires_grad
    net.weight.sum().backward()
    assert net.weight.grad is not None


def _hooks_log(lib: Any) -> list[Any]:
    net = _net(lib)
    log: list[Any] = []
    net.fc.register_state_dict_pre_hook(lambda m, prefix, keep_vars: log.append(("pre", prefix)))

    def post(m: Any, sd: Any, prefix: str, meta: Any) -> None:
        log.append(("post", prefix, meta["version"] >= 1))
        sd[prefix + "note"] = lib.zeros(1)

    net.block.register_state_dict_post_hook(post)
    handle = net._register_state_dict_hook(lambda m, sd, prefix, meta: {"only": lib.ones(1)})
    log.append(sorted(net.state_dict()))
    handle.remove()
    sd = net.state_dict()
    log.append("block.note" in sd)

    def load_pre(m: Any, sd: Any, prefix: str, *rest: Any) -> None:
        log.append(("load_pre", prefix, prefix + "weight" in sd))

    def load_post(m: Any, keys: Any) -> None:
        log.append(("load_post", list(keys.unexpected_keys)))
        keys.unexpected_keys.clear()  # the note written by the post hook is allowed

    net.fc.register_load_state_dict_pre_hook(load_pre)
    net.register_load_state_dict_post_hook(load_post)
    log.append(repr(net.load_state_dict(sd)))
    return log


def test_state_dict_hooks_run_as_pytorch() -> None:
    assert _hooks_log(tp) == _hooks_log(torch)


def test_public_post_hooks_must_return_none() -> None:
    for lib in (tp, torch):
        net = _net(lib)
        net.register_state_dict_post_hook(lambda m, sd, prefix, meta: {})
        with pytest.raises(RuntimeError, match="state_dict post-hook must return None"):
            net.state_dict()
    for lib in (tp, torch):
        net = _net(lib)
        net.register_load_state_dict_post_hook(lambda m, keys: 1)
        with pytest.raises((RuntimeError, AssertionError), match="not expected to return new"):
            net.load_state_dict(net.state_dict())


def test_loads_a_pytorch_state_dict_output_for_output() -> None:
    theirs = _net(torch).eval()
    ours = _net(tp).eval()
    ours.load_state_dict({k: tp.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((4, 2)).astype(np.float32)
    np.testing.assert_allclose(
        ours(tp.tensor(x)).detach().numpy(),
        theirs(torch.tensor(x)).detach().numpy(),
        rtol=1e-5,
        atol=1e-6,
    )
