"""L-BFGS against PyTorch's: the same closures from the same start, in float64, compared after
every ``step`` (the parameters, the returned loss, the state PyTorch keeps), with and without
the strong-Wolfe line search; and its errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tensorplug as tp
from tensorplug import nn, optim


def _rosenbrock(lib: Any, params: list[Any]) -> Any:
    """Rosenbrock's valley over the entries of both parameters: curved, badly scaled."""
    x = lib.cat([p.reshape(-1) for p in params])
    return ((1 - x[:-1]) ** 2 + 100 * (x[1:] - x[:-1] ** 2) ** 2).sum()


def _regression(lib: Any, params: list[Any]) -> Any:
    """A one-layer tanh regression on fixed data (a smooth, non-quadratic loss)."""
    rng = np.random.default_rng(3)
    data, target = rng.standard_normal((8, 4)), rng.standard_normal(8)
    w, b = params
    pred = lib.tanh(lib.tensor(data) @ w.reshape(4, 1)).reshape(-1) + b.sum()
    return ((pred - lib.tensor(target)) ** 2).mean()


def _start(lib: Any, param: Callable[[Any], Any], shapes: list[tuple[int, ...]]) -> list[Any]:
    rng = np.random.default_rng(0)
    return [param(lib.tensor(rng.uniform(-1.5, 1.5, s))) for s in shapes]


CASES: list[tuple[Callable[[Any, list[Any]], Any], dict[str, Any]]] = [
    (_rosenbrock, {"lr": 0.1, "max_iter": 5}),  # fixed steps here amplify rounding: few
    (_rosenbrock, {"line_search_fn": "strong_wolfe"}),
    (_rosenbrock, {"line_search_fn": "strong_wolfe", "history_size": 3, "max_iter": 7}),
    (_regression, {"lr": 0.5, "max_iter": 4}),
    (_regression, {"line_search_fn": "strong_wolfe", "max_eval": 9}),
    (_regression, {"tolerance_grad": 1e-3, "tolerance_change": 1e-4}),
]


@pytest.mark.parametrize("loss_fn,kwargs", CASES, ids=[str(i) for i in range(len(CASES))])
def test_steps_match_torch(
    torch: Any, matches: Any, loss_fn: Callable[[Any, list[Any]], Any], kwargs: dict[str, Any]
) -> None:
    shapes = [(2, 2), (3,)] if loss_fn is _rosenbrock else [(4,), (1,)]
    ours = _start(tp, nn.Parameter, shapes)
    theirs = _start(torch, torch.nn.Parameter, shapes)
    opt_o, opt_t = optim.LBFGS(ours, **kwargs), torch.optim.LBFGS(theirs, **kwargs)
    lib_losses: dict[str, list[float]] = {"ours": [], "theirs": []}

    def closure(lib: Any, opt: Any, params: list[Any], name: str) -> Callable[[], Any]:
        def run() -> Any:
            opt.zero_grad()
            loss = loss_fn(lib, params)
            loss.backward()
            lib_losses[name].append(loss.item())
            return loss

        return run

    for step in range(4):
        loss_o = opt_o.step(closure(tp, opt_o, ours, "ours"))
        loss_t = opt_t.step(closure(torch, opt_t, theirs, "theirs"))
        assert loss_o.item() == pytest.approx(loss_t.item(), rel=1e-12)
        for i, (p, q) in enumerate(zip(ours, theirs)):
            matches(p.detach(), q.detach(), 1e-10, f"step {step} param {i}")
    assert len(lib_losses["ours"]) == len(lib_losses["theirs"])  # the same evaluations
    np.testing.assert_allclose(lib_losses["ours"], lib_losses["theirs"], rtol=1e-10, atol=1e-14)
    state_o, state_t = opt_o.state_dict(), opt_t.state_dict()
    assert state_o["param_groups"] == state_t["param_groups"]
    s_o, s_t = state_o["state"][0], state_t["state"][0]
    assert sorted(s_o) == sorted(s_t)
    assert (s_o["func_evals"], s_o["n_iter"]) == (s_t["func_evals"], s_t["n_iter"])
    for key in ("d", "prev_flat_grad", "old_dirs", "old_stps"):
        matches(s_o[key], s_t[key], 1e-8, key)


def test_minimizes_a_quadratic_to_its_solution() -> None:
    """On a strictly convex quadratic the line-search iterates reach the minimizer (no
    PyTorch needed)."""
    a = tp.tensor([[3.0, 1.0], [1.0, 2.0]], dtype=tp.float64)
    b = tp.tensor([1.0, -1.0], dtype=tp.float64)
    x = nn.Parameter(tp.zeros(2, dtype=tp.float64))
    opt = optim.LBFGS([x], line_search_fn="strong_wolfe")

    def closure() -> tp.Tensor:
        opt.zero_grad()
        loss = 0.5 * (x @ a @ x) - b @ x
        loss.backward()
        return loss

    opt.step(closure)
    np.testing.assert_allclose(x.detach().numpy(), np.linalg.solve(a.numpy(), b.numpy()), 1e-6)


def test_errors() -> None:
    p, q = nn.Parameter(tp.ones(2)), nn.Parameter(tp.ones(2))
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        optim.LBFGS([{"params": [p]}, {"params": [q]}])
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.LBFGS([p], lr=-1)
    opt = optim.LBFGS([p], line_search_fn="armijo")

    def closure() -> tp.Tensor:
        opt.zero_grad()
        loss = (p**2).sum()
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(closure)


def test_torch_state_dict_loads_and_continues_identically(
    torch: Any, matches: Any, to_tensorplug: Any
) -> None:
    """Two steps in PyTorch; its state dict (curvature history, direction, step length),
    tensors converted, loads here, and the next steps agree with PyTorch's."""
    kwargs = {"line_search_fn": "strong_wolfe", "history_size": 4, "max_iter": 3}
    shapes = [(4,), (1,)]
    theirs = _start(torch, torch.nn.Parameter, shapes)
    opt_t = torch.optim.LBFGS(theirs, **kwargs)

    def closure(lib: Any, opt: Any, params: list[Any]) -> Callable[[], Any]:
        def run() -> Any:
            opt.zero_grad()
            loss = _regression(lib, params)
            loss.backward()
            return loss

        return run

    for _ in range(2):
        opt_t.step(closure(torch, opt_t, theirs))
    ours = [nn.Parameter(tp.tensor(q.detach().numpy().copy())) for q in theirs]
    opt_o = optim.LBFGS(ours, **kwargs)
    opt_o.load_state_dict(to_tensorplug(opt_t.state_dict()))
    for step in range(3):
        opt_o.step(closure(tp, opt_o, ours))
        opt_t.step(closure(torch, opt_t, theirs))
        for i, (p, q) in enumerate(zip(ours, theirs)):
            matches(p.detach(), q.detach(), 1e-10, f"resumed step {step} param {i}")
    assert opt_o.state_dict()["state"][0]["n_iter"] == opt_t.state_dict()["state"][0]["n_iter"]
