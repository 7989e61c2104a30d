"""Learning-rate schedulers against PyTorch's: the same lr sequence, exactly (the same
recurrences in the same order), for every scheduler and its options, on two parameter groups;
momentum cycling, state dicts that resume identically, and PyTorch's errors."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest

import tensorplug as tp
from tensorplug import nn, optim

L = optim.lr_scheduler


def _opts(torch: Any, name: str = "SGD", **kwargs: Any) -> tuple[Any, Any]:
    """Tensorplug's and PyTorch's optimizer ``name`` on two groups (lr 0.1 and 0.3)."""

    def groups(param: Callable[[], Any]) -> list[dict[str, Any]]:
        return [{"params": [param()]}, {"params": [param()], "lr": 0.3}]

    ours = getattr(optim, name)(groups(lambda: nn.Parameter(tp.ones(1))), lr=0.1, **kwargs)
    theirs = getattr(torch.optim, name)(
        groups(lambda: torch.nn.Parameter(torch.ones(1))), lr=0.1, **kwargs
    )
    return ours, theirs


def _lrs(opt: Any) -> list[Any]:
    return [g["lr"] for g in opt.param_groups]


def _momenta(opt: Any) -> list[Any]:
    return [g["betas"][0] if "betas" in g else g.get("momentum") for g in opt.param_groups]


def _make(module: Any, opt: Any, name: str, kwargs: dict[str, Any]) -> Any:
    return getattr(module, name)(opt, **kwargs)


def _halve(epoch: int) -> float:
    return 0.5**epoch


def _decay(epoch: int) -> float:
    return 0.9 if epoch % 2 else 0.95


CASES: list[tuple[str, dict[str, Any]]] = [
    ("LambdaLR", {"lr_lambda": _halve}),
    ("LambdaLR", {"lr_lambda": [_halve, lambda e: 1 / (e + 1)]}),
    ("MultiplicativeLR", {"lr_lambda": _decay}),
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("StepLR", {"step_size": 1}),
    ("MultiStepLR", {"milestones": [2, 5, 5, 9], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.7}),
    ("LinearLR", {}),
    ("LinearLR", {"start_factor": 0.1, "end_factor": 0.8, "total_iters": 7}),
    ("LinearLR", {"start_factor": 1.0, "end_factor": 0.0, "total_iters": 4}),
    ("ConstantLR", {}),
    ("ConstantLR", {"factor": 0.25, "total_iters": 3}),
    ("CosineAnnealingLR", {"T_max": 5, "eta_min": 0.01}),
    ("CosineAnnealingLR", {"T_max": 3}),
    ("PolynomialLR", {"total_iters": 6, "power": 2.0}),
    ("CosineAnnealingWarmRestarts", {"T_0": 3}),
    ("CosineAnnealingWarmRestarts", {"T_0": 2, "T_mult": 2, "eta_min": 0.001}),
    ("OneCycleLR", {"max_lr": 1.0, "total_steps": 25}),
    ("OneCycleLR", {"max_lr": [1.0, 2.0], "epochs": 5, "steps_per_epoch": 5,
                    "anneal_strategy": "linear", "three_phase": True}),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": 25, "pct_start": 0.5,
                    "cycle_momentum": False, "div_factor": 10.0, "final_div_factor": 100.0}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4}),
    ("CyclicLR", {"base_lr": [0.01, 0.02], "max_lr": 0.1, "step_size_up": 3,
                  "step_size_down": 5, "mode": "triangular2"}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 2, "mode": "exp_range",
                  "gamma": 0.9, "base_momentum": 0.7, "max_momentum": 0.95}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3, "cycle_momentum": False,
                  "scale_fn": lambda x: 1 / (x + 1), "scale_mode": "iterations"}),
]  # fmt: skip


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_lr_sequence_matches_torch(torch: Any, name: str, kwargs: dict[str, Any]) -> None:
    """Each group's lr (and momentum, which OneCycleLR cycles) after every one of 24 steps
    equals PyTorch's exactly, and ``get_last_lr()`` is what the step set."""
    opt_o, opt_t = _opts(torch, momentum=0.9)
    s_o, s_t = _make(L, opt_o, name, kwargs), _make(torch.optim.lr_scheduler, opt_t, name, kwargs)
    assert _lrs(opt_o) == _lrs(opt_t) and s_o.get_last_lr() == s_t.get_last_lr()
    for step in range(24):
        opt_o.step()
        opt_t.step()
        s_o.step()
        s_t.step()
        assert _lrs(opt_o) == _lrs(opt_t), f"step {step}"
        assert s_o.get_last_lr() == s_t.get_last_lr() == _lrs(opt_t), f"step {step}"
        assert _momenta(opt_o) == _momenta(opt_t), f"step {step}"
        assert s_o.last_epoch == s_t.last_epoch


def test_one_cycle_cycles_adams_beta1(torch: Any) -> None:
    opt_o, opt_t = _opts(torch, "Adam")
    s_o = L.OneCycleLR(opt_o, max_lr=0.01, total_steps=10)
    s_t = torch.optim.lr_scheduler.OneCycleLR(opt_t, max_lr=0.01, total_steps=10)
    for _ in range(10):
        assert _momenta(opt_o) == _momenta(opt_t) and _lrs(opt_o) == _lrs(opt_t)
        opt_o.step()
        opt_t.step()
        s_o.step()
        s_t.step()
    with pytest.raises(ValueError, match="Tried to step 11 times"):
        s_o.step()


def test_warm_restarts_with_fractional_epochs_match_torch(torch: Any) -> None:
    opt_o, opt_t = _opts(torch)
    s_o = L.CosineAnnealingWarmRestarts(opt_o, T_0=2, T_mult=2)
    s_t = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt_t, T_0=2, T_mult=2)
    for i in range(30):
        epoch = i / 4
        opt_o.step()
        opt_t.step()
        s_o.step(epoch)
        s_t.step(epoch)
        assert _lrs(opt_o) == _lrs(opt_t), epoch
        assert (s_o.T_cur, s_o.T_i) == (s_t.T_cur, s_t.T_i)


def _sequential(module: Any, opt: Any) -> Any:
    warmup = module.LinearLR(opt, start_factor=0.2, total_iters=3)
    cosine = module.CosineAnnealingLR(opt, T_max=4)
    decay = module.ExponentialLR(opt, gamma=0.8)
    return module.SequentialLR(opt, [warmup, cosine, decay], milestones=[3, 7])


def _chained(module: Any, opt: Any) -> Any:
    return module.ChainedScheduler(
        [module.ConstantLR(opt, factor=0.5, total_iters=3), module.ExponentialLR(opt, 0.9)]
    )


def _chained_step(module: Any, opt: Any) -> Any:
    return module.ChainedScheduler(
        [module.StepLR(opt, step_size=2, gamma=0.5), module.MultiStepLR(opt, [3, 6], 0.1)],
        optimizer=opt,
    )


@pytest.mark.parametrize("build", [_sequential, _chained, _chained_step])
def test_composite_schedulers_match_torch(torch: Any, build: Callable[[Any, Any], Any]) -> None:
    opt_o, opt_t = _opts(torch)
    s_o, s_t = build(L, opt_o), build(torch.optim.lr_scheduler, opt_t)
    assert s_o.get_last_lr() == s_t.get_last_lr()
    for step in range(14):
        opt_o.step()
        opt_t.step()
        s_o.step()
        s_t.step()
        assert _lrs(opt_o) == _lrs(opt_t), f"step {step}"
        assert s_o.get_last_lr() == s_t.get_last_lr(), f"step {step}"


PLATEAU = [
    {},
    {"mode": "max", "factor": 0.5, "patience": 2, "threshold": 0.1, "threshold_mode": "abs"},
    {"patience": 1, "cooldown": 2, "min_lr": [0.01, 0.05]},
    {"patience": 0, "factor": 0.5, "min_lr": 0.02, "eps": 0.01},
]


@pytest.mark.parametrize("kwargs", PLATEAU)
def test_reduce_on_plateau_matches_torch(torch: Any, kwargs: dict[str, Any]) -> None:
    opt_o, opt_t = _opts(torch)
    s_o = L.ReduceLROnPlateau(opt_o, **kwargs)
    s_t = torch.optim.lr_scheduler.ReduceLROnPlateau(opt_t, **kwargs)
    metrics = [1.0, 0.9, 0.95, 0.95, 0.94, 0.99, 0.5, 0.51, 0.52, 0.53, 0.6, 0.2] * 3
    for i, metric in enumerate(metrics):
        value: Any = tp.tensor(metric) if i % 3 == 0 else metric  # a 0-d tensor or a number
        s_o.step(value)
        s_t.step(metric)
        assert _lrs(opt_o) == _lrs(opt_t), f"step {i}"
        assert s_o.get_last_lr() == s_t.get_last_lr()
        assert (s_o.best, s_o.num_bad_epochs, s_o.cooldown_counter) == (
            s_t.best,
            s_t.num_bad_epochs,
            s_t.cooldown_counter,
        )


def _without_functions(state: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in state.items() if k not in ("lr_lambdas", "_schedulers")}


@pytest.mark.parametrize(
    "build",
    [
        lambda m, o: m.StepLR(o, step_size=2, gamma=0.5),
        lambda m, o: m.MultiStepLR(o, milestones=[2, 4]),
        lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2),
        lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=20),
        lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=3, mode="exp_range", gamma=0.9),
        lambda m, o: m.LambdaLR(o, _halve),
        lambda m, o: m.ReduceLROnPlateau(o, patience=0),
        _sequential,
        _chained,
    ],
    ids=["StepLR", "MultiStepLR", "WarmRestarts", "OneCycleLR", "CyclicLR", "LambdaLR", "Plateau",
         "SequentialLR", "ChainedScheduler"],
)  # fmt: skip
def test_state_dict_matches_torch_and_resumes(torch: Any, build: Callable[..., Any]) -> None:
    """The state dict has PyTorch's keys and values; a fresh scheduler loading it (with the
    optimizer's state) continues with the same learning rates."""

    def step(opt: Any, sched: Any, i: int) -> None:
        opt.step()
        if isinstance(sched, (L.ReduceLROnPlateau, torch.optim.lr_scheduler.ReduceLROnPlateau)):
            sched.step(1.0 / (i + 1) if i < 3 else 1.0)
        else:
            sched.step()

    opt_o, opt_t = _opts(torch, momentum=0.9)
    s_o, s_t = build(L, opt_o), build(torch.optim.lr_scheduler, opt_t)
    for i in range(5):
        step(opt_o, s_o, i)
        step(opt_t, s_t, i)
    sd_o, sd_t = s_o.state_dict(), s_t.state_dict()
    assert sorted(sd_o) == sorted(sd_t)
    assert _without_functions(sd_o) == _without_functions(sd_t)
    opt2, _ = _opts(torch, momentum=0.9)
    s2 = build(L, opt2)  # made first, as when resuming from a checkpoint
    opt2.load_state_dict(opt_o.state_dict())
    s2.load_state_dict(sd_o)
    for i in range(5, 10):
        step(opt2, s2, i)
        step(opt_t, s_t, i)
        assert _lrs(opt2) == _lrs(opt_t), f"step {i}"


def test_tensor_lr_is_updated_in_place(torch: Any) -> None:
    p = nn.Parameter(tp.ones(1))
    lr = tp.tensor(0.1, dtype=tp.float64)
    opt = optim.Adam([p], lr=lr)
    sched = L.ExponentialLR(opt, gamma=0.5)
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] is lr and lr.item() == 0.05


def test_stepping_before_the_optimizer_warns() -> None:
    opt = optim.SGD([nn.Parameter(tp.ones(1))], lr=0.1)
    sched = L.StepLR(opt, step_size=1)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    opt.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched.step()
    with pytest.warns(UserWarning, match="epoch parameter in `scheduler.step\\(\\)`"):
        sched.step(5)
    assert sched.last_epoch == 5
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()


def test_state_dict_round_trip_and_errors() -> None:
    def param() -> nn.Parameter:
        return nn.Parameter(tp.ones(1))

    opt = optim.SGD([param()], lr=1.0)
    sched = L.StepLR(opt, step_size=1, gamma=0.5)
    opt.step()
    sched.step()
    sd = sched.state_dict()
    assert sd["last_epoch"] == 1 and "optimizer" not in sd
    sched2 = L.StepLR(optim.SGD([param()], lr=1.0), step_size=1, gamma=0.5)
    sched2.load_state_dict(sd)
    assert sched2.last_epoch == 1
    with pytest.raises(TypeError, match="is not an Optimizer"):
        L.StepLR(object(), 1)  # type: ignore[arg-type]
    with pytest.raises(KeyError, match="initial_lr"):
        L.StepLR(optim.SGD([param()], lr=1.0), 1, last_epoch=3)


@pytest.mark.parametrize(
    "make,error,match",
    [
        (
            lambda m, o: m.LambdaLR(o, [_halve, _halve]),
            ValueError,
            "Expected 1 lr_lambdas, but got 2",
        ),
        (lambda m, o: m.MultiplicativeLR(o, 0.5), TypeError, "lr_lambda should be a function"),
        (lambda m, o: m.ConstantLR(o, factor=1.5), ValueError, "between 0 and 1"),
        (lambda m, o: m.LinearLR(o, start_factor=0), ValueError, "greater than 0"),
        (lambda m, o: m.LinearLR(o, end_factor=2), ValueError, "Ending multiplicative factor"),
        (lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "positive integer T_0"),
        (lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0), ValueError, "T_mult >= 1"),
        (lambda m, o: m.OneCycleLR(o, 1.0), ValueError, "total_steps OR"),
        (lambda m, o: m.OneCycleLR(o, 1.0, total_steps=0), ValueError, "positive integer total"),
        (lambda m, o: m.OneCycleLR(o, 1.0, 10, pct_start=1.5), ValueError, "pct_start"),
        (lambda m, o: m.OneCycleLR(o, 1.0, 10, anneal_strategy="x"), ValueError, "anneal_strategy"),
        (lambda m, o: m.OneCycleLR(o, [1.0, 2.0], 10), ValueError, "max_lr must have the same"),
        (lambda m, o: m.OneCycleLR(o, 1.0, 10), ValueError, "support momentum"),
        (lambda m, o: m.CyclicLR(o, 0.1, 1.0, mode="x"), ValueError, "mode is invalid"),
        (lambda m, o: m.CyclicLR(o, 0.1, 1.0), ValueError, "support momentum"),
        (lambda m, o: m.CyclicLR(o, [0.1, 0.2], 1.0), ValueError, "base_lr must have"),
        (lambda m, o: m.ReduceLROnPlateau(o, factor=1.0), ValueError, "Factor should be < 1.0"),
        (lambda m, o: m.ReduceLROnPlateau(o, mode="up"), ValueError, "mode up is unknown"),
        (lambda m, o: m.ReduceLROnPlateau(o, threshold_mode="x"), ValueError, "threshold mode x"),
        (lambda m, o: m.ReduceLROnPlateau(o, min_lr=[0, 0]), ValueError, "expected 1 min_lrs"),
        (lambda m, o: m.SequentialLR(o, [], []), ValueError, "at least one scheduler"),
        (lambda m, o: m.SequentialLR(o, [m.StepLR(o, 1)], [1]), ValueError, "one more"),
        (
            lambda m, o: m.ChainedScheduler([m.ReduceLROnPlateau(o)]),
            ValueError,
            "ReduceLROnPlateau",
        ),
        (lambda m, o: m.ChainedScheduler([]), ValueError, "at least one scheduler"),
    ],
)
def test_bad_arguments_raise_torchs_errors(
    torch: Any, make: Callable[[Any], Any], error: type[Exception], match: str
) -> None:
    """Each bad argument raises PyTorch's error class with its message (checked against
    PyTorch itself through the same constructor call)."""
    opt = optim.Adagrad([nn.Parameter(tp.ones(1))], lr=0.1)
    with pytest.raises(error, match=match) as ours:
        make(L, opt)
    with pytest.raises(error) as theirs:
        make(
            torch.optim.lr_scheduler,
            torch.optim.Adagrad([torch.nn.Parameter(torch.ones(1))], lr=0.1),
        )
    assert str(ours.value) == str(theirs.value)
