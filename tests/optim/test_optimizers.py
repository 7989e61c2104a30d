"""Every optimizer's update against PyTorch's: the same parameters and gradient sequence,
20 steps in float64 compared after each step to rtol 1e-12, then the state dict (the same
state keys, tensors and ``step`` representation, the same group options). One option
combination per row; a parameter without a gradient on one step is skipped, as in PyTorch."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

import tensorplug as tp
from tensorplug import nn, optim

SHAPES = [(3, 4), (5,)]

CASES: list[tuple[str, dict[str, Any]]] = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.5, "maximize": True}),
    ("SGD", {"lr": 0.1, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.02, "amsgrad": True}),
    ("Adam", {"lr": 0.02, "amsgrad": True, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {"lr": 0.01, "maximize": True}),
    ("Adam", {"lr": 0.01, "betas": (0.3, 0.6)}),  # lerp's other branch (weight >= 0.5)
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.1, "weight_decay": 0.5, "amsgrad": True}),
    ("AdamW", {"lr": 0.01, "maximize": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.5}),
    ("RMSprop", {"lr": 0.01, "centered": True, "weight_decay": 0.1, "momentum": 0.3}),
    ("RMSprop", {"lr": 0.01, "centered": True, "maximize": True}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.1}),
    ("Adadelta", {"maximize": True}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05, "eps": 1e-8}),
    ("Adagrad", {"weight_decay": 0.1, "initial_accumulator_value": 0.3, "maximize": True}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
    ("Adamax", {"maximize": True}),
    ("NAdam", {}),
    ("NAdam", {"lr": 0.01, "momentum_decay": 0.02, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("NAdam", {"betas": (0.8, 0.9), "maximize": True}),
    ("RAdam", {}),  # rho_t passes 5 at step 6: both branches of the update
    ("RAdam", {"lr": 0.01, "betas": (0.8, 0.9), "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RAdam", {"maximize": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "maximize": True}),
    ("Rprop", {}),
    ("Rprop", {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.2), "maximize": True}),
    ("ASGD", {}),
    ("ASGD", {"lr": 0.05, "lambd": 0.01, "alpha": 0.5, "t0": 5, "weight_decay": 0.1}),
    ("ASGD", {"t0": 0, "maximize": True}),
    # Implementation choices PyTorch offers are accepted (PyTorch's for-loop update, which
    # its multi-tensor and fused CPU kernels also give in float64).
    ("SGD", {"lr": 0.1, "momentum": 0.9, "foreach": False}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "foreach": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "fused": True}),
    ("Adam", {"foreach": False}),
    ("Adam", {"foreach": True, "amsgrad": True}),
    ("Adam", {"fused": True, "weight_decay": 0.1}),
    ("AdamW", {"fused": True, "amsgrad": True}),
    ("Adagrad", {"fused": True, "lr_decay": 0.01}),
    ("NAdam", {"foreach": False}),
]


def _params(torch: Any, dtype: str) -> tuple[list[Any], list[Any]]:
    rng = np.random.default_rng(0)
    init = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    return [nn.Parameter(tp.tensor(a)) for a in init], [
        torch.nn.Parameter(torch.tensor(a)) for a in init
    ]


def run_both(
    torch: Any,
    matches: Any,
    name: str,
    ours_groups: Any,
    theirs_groups: Any,
    ours: list[Any],
    theirs: list[Any],
    kwargs: dict[str, Any],
    steps: int = 20,
    rtol: float = 1e-12,
    theirs_kwargs: dict[str, Any] | None = None,
) -> tuple[Any, Any]:
    """Step tensorplug's and PyTorch's optimizer ``name`` with the same gradients
    (``theirs_kwargs``, PyTorch's spelling of ``kwargs`` where they hold tensors)."""
    opt_o = getattr(optim, name)(ours_groups, **kwargs)
    opt_t = getattr(torch.optim, name)(theirs_groups, **(theirs_kwargs or kwargs))
    rng = np.random.default_rng(1)
    for step in range(steps):
        for i, (p, q) in enumerate(zip(ours, theirs)):
            g = rng.standard_normal(p.shape).astype(str(q.dtype).split(".")[-1])
            if step == 2 and i == 1:
                continue  # a parameter without a gradient this step is skipped
            p.grad, q.grad = tp.tensor(g), torch.tensor(g)
        opt_o.step()
        opt_t.step()
        for i, (p, q) in enumerate(zip(ours, theirs)):
            matches(p.detach(), q.detach(), rtol, f"{name} step {step} param {i}")
            p.grad = q.grad = None
    return opt_o, opt_t


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_update_matches_torch(torch: Any, matches: Any, name: str, kwargs: dict[str, Any]) -> None:
    ours, theirs = _params(torch, "float64")
    opt_o, opt_t = run_both(torch, matches, name, ours, theirs, ours, theirs, kwargs)
    matches(opt_o.state_dict(), opt_t.state_dict(), 1e-12, f"{name} state_dict")


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
        ("Adam", {"lr": 0.01, "amsgrad": True}),
        ("AdamW", {"lr": 0.01}),
        ("RMSprop", {"centered": True}),
        ("Adadelta", {}),
        ("Adagrad", {"lr_decay": 0.01}),
        ("Adamax", {}),
        ("NAdam", {"weight_decay": 0.1}),
        ("RAdam", {}),
    ],
)
def test_param_groups_with_own_options_match_torch(
    torch: Any, matches: Any, name: str, kwargs: dict[str, Any]
) -> None:
    """Two groups, the second with its own lr and weight decay (and a third option where the
    optimizer has one), for 20 steps."""
    ours, theirs = _params(torch, "float64")
    extra = {"lr": 0.05, "weight_decay": 0.2}
    extra.update({"maximize": True} if name != "SGD" else {"momentum": 0.5})

    def groups(ps: list[Any]) -> list[dict[str, Any]]:
        return [{"params": [ps[0]]}, {"params": [ps[1]], **extra}]

    opt_o, opt_t = run_both(
        torch, matches, name, groups(ours), groups(theirs), ours, theirs, kwargs
    )
    matches(opt_o.state_dict(), opt_t.state_dict(), 1e-12, f"{name} state_dict")


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adadelta", "Adagrad",
                                  "Adamax", "NAdam", "RAdam", "Rprop", "ASGD"])  # fmt: skip
def test_float32_matches_torch(torch: Any, matches: Any, name: str) -> None:
    ours, theirs = _params(torch, "float32")
    kwargs = {"lr": 0.01, **({} if name == "Rprop" else {"weight_decay": 0.1})}
    opt_o, opt_t = run_both(torch, matches, name, ours, theirs, ours, theirs, kwargs, rtol=2e-6)
    matches(opt_o.state_dict(), opt_t.state_dict(), 2e-6, f"{name} state_dict")


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("SGD", {"momentum": 0.9}),
        ("Adam", {"amsgrad": True, "weight_decay": 0.1}),
        ("AdamW", {}),
        ("RMSprop", {"centered": True}),
        ("Adadelta", {}),
        ("Adagrad", {"lr_decay": 0.1}),
        ("Adamax", {}),
        ("NAdam", {"decoupled_weight_decay": True, "weight_decay": 0.1}),
        ("RAdam", {"decoupled_weight_decay": True, "weight_decay": 0.1}),
    ],
)
@pytest.mark.parametrize("lr_dtype", ["float64", "float32"])
def test_tensor_lr_matches_torch(
    torch: Any, matches: Any, name: str, kwargs: dict[str, Any], lr_dtype: str
) -> None:
    """``lr`` a 0-d tensor (float32 rounds what PyTorch computes from it in float32)."""
    ours, theirs = _params(torch, "float64")
    lr_t = torch.tensor(0.01, dtype=getattr(torch, lr_dtype))
    opt_o, opt_t = run_both(
        torch, matches, name, ours, theirs, ours, theirs,
        {"lr": tp.tensor(0.01, dtype=lr_dtype), **kwargs},
        theirs_kwargs={"lr": lr_t, **kwargs},
    )  # fmt: skip
    matches(opt_o.state_dict()["state"], opt_t.state_dict()["state"], 1e-12, "state")


def test_tensor_betas_match_torch_to_its_float32_rounding(torch: Any, matches: Any) -> None:
    """Betas as 0-d float32 tensors: PyTorch rounds its bias corrections in float32."""
    ours, theirs = _params(torch, "float64")
    opt_o, _ = run_both(
        torch, matches, "Adam", ours, theirs, ours, theirs,
        {"betas": (tp.tensor(0.9), tp.tensor(0.99)), "amsgrad": True},
        rtol=1e-7,
        theirs_kwargs={"betas": (torch.tensor(0.9), torch.tensor(0.99)), "amsgrad": True},
    )  # fmt: skip
    assert isinstance(opt_o.param_groups[0]["betas"][0], tp.Tensor)


RESUMED = [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
    ("Adadelta", {}),
    ("Adagrad", {"lr_decay": 0.01}),
    ("Adamax", {}),
    ("NAdam", {"decoupled_weight_decay": True, "weight_decay": 0.1}),
    ("RAdam", {}),
    ("Rprop", {"etas": (0.4, 1.3)}),
    ("ASGD", {"t0": 3, "lambd": 0.01}),
]


@pytest.mark.parametrize("name,kwargs", RESUMED, ids=[n for n, _ in RESUMED])
def test_torch_state_dict_loads_and_continues_identically(
    torch: Any, matches: Any, to_tensorplug: Any, name: str, kwargs: dict[str, Any]
) -> None:
    """PyTorch trains 10 steps (two groups, one parameter idle on a step); its state dict,
    tensors converted, loads into a fresh tensorplug optimizer on the same parameter
    values, and its next 10 steps agree to rtol 1e-12 with PyTorch's resuming from the
    same dict."""
    _, theirs = _params(torch, "float64")

    def groups(ps: list[Any]) -> list[dict[str, Any]]:
        return [{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.05}]

    opt_t = getattr(torch.optim, name)(groups(theirs), **kwargs)
    rng = np.random.default_rng(1)

    def grads() -> list[Any]:
        return [rng.standard_normal(tuple(q.shape)) for q in theirs]

    for step in range(10):
        for i, (q, g) in enumerate(zip(theirs, grads())):
            q.grad = None if (step == 2 and i == 1) else torch.tensor(g)
        opt_t.step()
    saved = copy.deepcopy(opt_t.state_dict())
    ours = [nn.Parameter(tp.tensor(q.detach().numpy().copy())) for q in theirs]
    opt_o = getattr(optim, name)(groups(ours), **kwargs)
    opt_o.load_state_dict(to_tensorplug(saved))
    # PyTorch, resuming from the same dict (its load casts the state as ours does).
    theirs = [torch.nn.Parameter(q.detach().clone()) for q in theirs]
    opt_t = getattr(torch.optim, name)(groups(theirs), **kwargs)
    opt_t.load_state_dict(saved)
    matches(opt_o.state_dict(), opt_t.state_dict(), 1e-15, "loaded")
    for step in range(10):
        for p, q, g in zip(ours, theirs, grads()):
            p.grad, q.grad = tp.tensor(g), torch.tensor(g)
        opt_o.step()
        opt_t.step()
        for i, (p, q) in enumerate(zip(ours, theirs)):
            matches(p.detach(), q.detach(), 1e-12, f"{name} resumed step {step} param {i}")
    matches(opt_o.state_dict(), opt_t.state_dict(), 1e-12, f"{name} state_dict")


def test_old_torch_state_dict_with_number_steps_loads(
    torch: Any, matches: Any, to_tensorplug: Any
) -> None:
    """A state dict from an older PyTorch (``step`` a number, options added since missing)
    loads: ``step`` becomes a 0-d tensor and the missing options take their defaults."""
    _, theirs = _params(torch, "float64")
    opt_t = torch.optim.NAdam(theirs)
    for q in theirs:
        q.grad = torch.ones_like(q)
    opt_t.step()
    sd = to_tensorplug(opt_t.state_dict())
    for state in sd["state"].values():
        state["step"] = float(state["step"])
        state["mu_product"] = float(state["mu_product"])
    for group in sd["param_groups"]:
        for key in ("maximize", "foreach", "capturable", "differentiable"):
            del group[key]
    ours = [nn.Parameter(tp.tensor(q.detach().numpy().copy())) for q in theirs]
    opt_o = optim.NAdam(ours)
    opt_o.load_state_dict(sd)
    matches(opt_o.state_dict(), opt_t.state_dict(), 1e-15, "upgraded")


BAD_ARGUMENTS: list[tuple[str, dict[str, Any]]] = [
    ("SGD", {"lr": -0.1}), ("SGD", {"momentum": -1}), ("SGD", {"weight_decay": -1}),
    ("SGD", {"nesterov": True}), ("SGD", {"nesterov": True, "momentum": 0.9, "dampening": 0.1}),
    ("Adam", {"lr": -1}), ("Adam", {"eps": -1}), ("Adam", {"betas": (1.0, 0.9)}),
    ("Adam", {"betas": (0.9, -0.1)}), ("Adam", {"weight_decay": -1}),
    ("Adam", {"fused": True, "foreach": True}), ("AdamW", {"betas": (0.9, 1.5)}),
    ("RMSprop", {"alpha": -1}), ("RMSprop", {"momentum": -1}), ("RMSprop", {"eps": -1}),
    ("Adadelta", {"rho": 1.5}), ("Adadelta", {"lr": -1}), ("Adadelta", {"eps": -1}),
    ("Adadelta", {"weight_decay": -1}), ("Adagrad", {"lr_decay": -1}),
    ("Adagrad", {"initial_accumulator_value": -1}), ("Adagrad", {"eps": -1}),
    ("Adamax", {"betas": (0.9, 1.0)}), ("Adamax", {"eps": -1}),
    ("NAdam", {"momentum_decay": -1}), ("NAdam", {"betas": (-0.1, 0.9)}),
    ("RAdam", {"betas": (0.9, 1.0)}), ("RAdam", {"weight_decay": -1}), ("LBFGS", {"lr": -1}),
    ("Rprop", {"lr": -1}), ("Rprop", {"etas": (1.1, 1.2)}), ("Rprop", {"etas": (0.5, 0.9)}),
    ("ASGD", {"lr": -1}), ("ASGD", {"weight_decay": -1}),
]  # fmt: skip


@pytest.mark.parametrize("name,kwargs", BAD_ARGUMENTS)
def test_bad_arguments_raise_torchs_errors(torch: Any, name: str, kwargs: dict[str, Any]) -> None:
    with pytest.raises(Exception) as theirs:
        getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(2))], **kwargs)
    with pytest.raises(type(theirs.value)) as ours:
        getattr(optim, name)([nn.Parameter(tp.ones(2))], **kwargs)
    assert str(ours.value) == str(theirs.value)


def test_refused_where_torch_accepts() -> None:
    """A NaN learning rate is refused by every optimizer (PyTorch's SGD takes it and turns
    the parameters into NaN); ``differentiable=True`` is refused, since steps run outside
    the graph."""
    p = nn.Parameter(tp.ones(2))
    with pytest.raises(ValueError, match="Invalid learning rate: nan"):
        optim.SGD([p], lr=float("nan"))
    with pytest.raises(NotImplementedError, match="differentiable=True is not supported"):
        optim.Adam([p], differentiable=True)
