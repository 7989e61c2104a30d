"""Every optimizer's update against PyTorch's: the same parameters and gradient sequence,
20 steps in float64 compared after each step to rtol 1e-12, then the state dict (the same
state keys, tensors and ``step`` representation, the same group options). One option
combination per row; a parameter without a gradient on one step is skipped, as in PyTorch."""

from __future__ import annotations

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
    # Implementation choices PyTorch offers are accepted (and give PyTorch's for-loop update).
    ("SGD", {"lr": 0.1, "momentum": 0.9, "foreach": False}),
    ("Adam", {"foreach": False}),
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
) -> tuple[Any, Any]:
    """Step tensorplug's and PyTorch's optimizer ``name`` with the same gradients."""
    opt_o = getattr(optim, name)(ours_groups, **kwargs)
    opt_t = getattr(torch.optim, name)(theirs_groups, **kwargs)
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
                                  "Adamax", "NAdam", "RAdam"])  # fmt: skip
def test_float32_matches_torch(torch: Any, matches: Any, name: str) -> None:
    ours, theirs = _params(torch, "float32")
    kwargs = {"lr": 0.01, "weight_decay": 0.1}
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
    opt_o = getattr(optim, name)(ours, lr=tp.tensor(0.01, dtype=lr_dtype), **kwargs)
    opt_t = getattr(torch.optim, name)(
        theirs, lr=torch.tensor(0.01, dtype=getattr(torch, lr_dtype)), **kwargs
    )
    rng = np.random.default_rng(1)
    for step in range(20):
        for p, q in zip(ours, theirs):
            g = rng.standard_normal(p.shape)
            p.grad, q.grad = tp.tensor(g), torch.tensor(g)
        opt_o.step()
        opt_t.step()
        for i, (p, q) in enumerate(zip(ours, theirs)):
            matches(p.detach(), q.detach(), 1e-12, f"{name} step {step} param {i}")
    matches(opt_o.state_dict()["state"], opt_t.state_dict()["state"], 1e-12, "state")
