"""L-BFGS with an optional strong-Wolfe line search (after minFunc and torch/optim's Lua).

Unlike the elementwise optimizers, L-BFGS works on the parameters as one flat vector and
makes decisions (line-search brackets, stopping tests) from dot products, so it is written
with tensor operations under ``no_grad``, line for line as PyTorch's: its scalars are 0-d
tensors where PyTorch's are, and its iterates follow PyTorch's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .._grad_mode import enable_grad, no_grad
from .._ops_shape import cat
from .._tensor import Tensor
from ._options import check_lr
from .optimizer import Optimizer

__all__ = ["LBFGS"]


def _cubic_interpolate(
    x1: Any, f1: Any, g1: Any, x2: Any, f2: Any, g2: Any, bounds: tuple[Any, Any] | None = None
) -> Any:
    """The minimizer of the cubic through ``(x1, f1, g1)`` and ``(x2, f2, g2)`` (value and
    slope at two points), clamped to ``bounds``; the bounds' midpoint when it has none."""
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square >= 0:
        d2 = d2_square.sqrt()
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


class _Bracket:
    """The line search's interval: step lengths, losses, gradients and slopes at its ends."""

    def __init__(self, t: list[Any], f: list[Any], g: list[Any], gtd: list[Any]) -> None:
        self.t, self.f, self.g, self.gtd = t, f, g, gtd

    def set(self, i: int, t: Any, f: Any, g: Tensor, gtd: Any) -> None:
        self.t[i], self.f[i], self.g[i], self.gtd[i] = t, f, g, gtd


def _strong_wolfe(
    obj_func: Callable[[Any, Any, Tensor], tuple[float, Tensor]],
    x: list[Tensor],
    t: Any,
    d: Tensor,
    f: float,
    g: Tensor,
    gtd: Any,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_ls: int = 25,
) -> tuple[float, Tensor, Any, int]:
    """A step length along ``d`` meeting the strong Wolfe conditions: bracket one, then
    zoom in. Returns the loss, gradient and step there and the evaluations spent."""
    g = g.clone()
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = g_new.dot(d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            br = _Bracket(
                [t_prev, t], [f_prev, f_new], [g_prev, g_new.clone()], [gtd_prev, gtd_new]
            )
            break
        if abs(gtd_new) <= -c2 * gtd:
            br = _Bracket([t], [f_new], [g_new], [])
            done = True
            break
        if gtd_new >= 0:
            br = _Bracket(
                [t_prev, t], [f_prev, f_new], [g_prev, g_new.clone()], [gtd_prev, gtd_new]
            )
            break
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(
            t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step)
        )
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new.clone(), gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
    if ls_iter == max_ls:
        br = _Bracket([0, t], [f, f_new], [g, g_new], [])
    low, ls_func_evals = _zoom(
        obj_func, x, d, f, gtd, br, done, ls_iter, ls_func_evals, c1, c2, tolerance_change, max_ls
    )
    return br.f[low], br.g[low], br.t[low], ls_func_evals


def _zoom(
    obj_func: Callable[[Any, Any, Tensor], tuple[float, Tensor]],
    x: list[Tensor],
    d: Tensor,
    f: float,
    gtd: Any,
    br: _Bracket,
    done: bool,
    ls_iter: int,
    ls_func_evals: int,
    c1: float,
    c2: float,
    tolerance_change: float,
    max_ls: int,
) -> tuple[int, int]:
    """Shrink ``br`` around a point meeting the strong Wolfe conditions; return the index of
    its low end and the evaluations spent so far."""
    d_norm = d.abs().max()
    insuf_progress = False
    low_pos, high_pos = (0, 1) if br.f[0] <= br.f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(br.t[1] - br.t[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(br.t[0], br.f[0], br.gtd[0], br.t[1], br.f[1], br.gtd[1])
        # A trial too close to an end twice in a row, or outside, moves to 0.1 of the
        # bracket's length from the nearer end.
        hi, lo = max(br.t), min(br.t)
        eps = 0.1 * (hi - lo)
        if min(hi - t, t - lo) < eps:
            if insuf_progress or t >= hi or t <= lo:
                t = hi - eps if abs(t - hi) < abs(t - lo) else lo + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= br.f[low_pos]:
            br.set(high_pos, t, f_new, g_new.clone(), gtd_new)
            low_pos, high_pos = (0, 1) if br.f[0] <= br.f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (br.t[high_pos] - br.t[low_pos]) >= 0:
                br.set(high_pos, br.t[low_pos], br.f[low_pos], br.g[low_pos], br.gtd[low_pos])
            br.set(low_pos, t, f_new, g_new.clone(), gtd_new)
    return low_pos, ls_func_evals


class LBFGS(Optimizer):
    """PyTorch's L-BFGS. Each ``step(closure)`` runs up to ``max_iter`` iterations (at most
    ``max_eval`` closure calls): a direction from the last ``history_size`` curvature pairs,
    then a step of ``lr`` along it (the first scaled by ``1 / |g|_1``), or a strong-Wolfe line
    search with ``line_search_fn="strong_wolfe"``. It stops early when the gradient's largest
    entry is at most ``tolerance_grad`` or the step or loss changes by less than
    ``tolerance_change``.

    One parameter group only; its state lives with the first parameter, as in PyTorch
    (``func_evals``, ``n_iter``, ``d``, ``t``, ``old_dirs``, ``old_stps``, ``ro``,
    ``H_diag``, ``prev_flat_grad``, ``prev_loss``, ``al``).

    Example:
        >>> import tensorplug as tp
        >>> x = tp.nn.Parameter(tp.tensor([1.5, -0.5], dtype=tp.float64))
        >>> opt = tp.optim.LBFGS([x], line_search_fn="strong_wolfe")
        >>> def closure():
        ...     opt.zero_grad()
        ...     loss = ((x - 3.0) ** 2).sum()
        ...     loss.backward()
        ...     return loss
        >>> _ = opt.step(closure)
        >>> [round(v, 6) for v in x.tolist()]
        [3.0, 3.0]
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        check_lr(lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {
            "lr": lr,
            "max_iter": max_iter,
            "max_eval": max_eval,
            "tolerance_grad": tolerance_grad,
            "tolerance_change": tolerance_change,
            "history_size": history_size,
            "line_search_fn": line_search_fn,
        }
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params: list[Tensor] = self.param_groups[0]["params"]
        self._numel_cache: int | None = None

    def _numel(self) -> int:
        if self._numel_cache is None:
            self._numel_cache = sum(p.numel() for p in self._params)
        return self._numel_cache

    def _gather_flat_grad(self) -> Tensor:
        views = [
            p.new_zeros(p.numel()) if p.grad is None else p.grad.reshape(-1) for p in self._params
        ]
        return cat(views, 0)

    def _add_grad(self, step_size: Any, update: Tensor) -> None:
        offset = 0
        alpha = float(step_size)
        for p in self._params:
            numel = p.numel()
            p.add_(update[offset : offset + numel].view_as(p), alpha=alpha)
            offset += numel
        assert offset == self._numel()

    def _clone_param(self) -> list[Tensor]:
        return [p.clone() for p in self._params]

    def _set_param(self, params_data: list[Tensor]) -> None:
        for p, pdata in zip(self._params, params_data):
            p.copy_(pdata)

    def _directional_evaluate(
        self, closure: Callable[[], Any], x: list[Tensor], t: Any, d: Tensor
    ) -> tuple[float, Tensor]:
        self._add_grad(t, d)
        loss = float(closure())
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    @no_grad()
    def step(self, closure: Callable[[], Any]) -> Any:  # type: ignore[override]
        """Run up to ``max_iter`` iterations; ``closure`` (required) clears the gradients,
        computes the loss, calls ``backward`` and returns the loss. Returns the loss of the
        first evaluation."""
        assert len(self.param_groups) == 1
        closure = enable_grad()(closure)
        group = self.param_groups[0]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        orig_loss = closure()
        loss = float(orig_loss)
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if flat_grad.abs().max() <= group["tolerance_grad"]:
            return orig_loss
        self._iterate(closure, group, state, loss, flat_grad)
        return orig_loss

    def _iterate(
        self,
        closure: Callable[[], Any],
        group: dict[str, Any],
        state: dict[str, Any],
        loss: float,
        flat_grad: Tensor,
    ) -> None:
        """The iterations of one ``step``, after the first evaluation."""
        lr = group["lr"]
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_change = group["tolerance_change"]
        names = ("d", "t", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad", "prev_loss")
        saved: list[Any] = [state.get(name) for name in names]
        d, t, old_dirs, old_stps, ro, h_diag, prev_flat_grad, prev_loss = saved
        current_evals = 1
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = flat_grad.neg()
                old_dirs, old_stps, ro = [], [], []
                h_diag = 1
            else:
                memory = (old_dirs, old_stps, ro)
                h_diag = self._remember(memory, flat_grad.sub(prev_flat_grad), d.mul(t), h_diag)
                d = self._direction(state, memory, flat_grad, h_diag)
            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.clone()
            else:
                prev_flat_grad.copy_(flat_grad)
            prev_loss = loss
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / flat_grad.abs().sum()) * lr
            else:
                t = lr
            gtd = flat_grad.dot(d)
            if gtd > -tolerance_change:
                break
            loss, flat_grad, t, ls_func_evals, opt_cond = self._move(
                closure, group, loss, flat_grad, t, d, gtd, n_iter, max_eval - current_evals
            )
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if d.mul(t).abs().max() <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break
        state.update(zip(names, (d, t, old_dirs, old_stps, ro, h_diag, prev_flat_grad, prev_loss)))

    def _remember(
        self,
        memory: tuple[list[Tensor], list[Tensor], list[Any]],
        y: Tensor,
        s: Tensor,
        h_diag: Any,
    ) -> Any:
        """Store the curvature pair ``(y, s)`` (gradient and parameter changes) when
        ``y . s > 1e-10``, dropping the oldest past ``history_size``; return the initial
        inverse-Hessian scale ``y . s / y . y``."""
        old_dirs, old_stps, ro = memory
        ys = y.dot(s)
        if ys > 1e-10:
            if len(old_dirs) == self.param_groups[0]["history_size"]:
                old_dirs.pop(0)
                old_stps.pop(0)
                ro.pop(0)
            old_dirs.append(y)
            old_stps.append(s)
            ro.append(1.0 / ys)
            h_diag = ys / y.dot(y)
        return h_diag

    def _direction(
        self,
        state: dict[str, Any],
        memory: tuple[list[Tensor], list[Tensor], list[Any]],
        flat_grad: Tensor,
        h_diag: Any,
    ) -> Tensor:
        """The L-BFGS two-loop recursion: the inverse-Hessian estimate times ``-flat_grad``."""
        old_dirs, old_stps, ro = memory
        if "al" not in state:
            state["al"] = [None] * self.param_groups[0]["history_size"]
        al = state["al"]
        q = flat_grad.neg()
        for i in range(len(old_dirs) - 1, -1, -1):
            al[i] = old_stps[i].dot(q) * ro[i]
            q.add_(old_dirs[i], alpha=float(-al[i]))
        r: Tensor = q * h_diag
        for i in range(len(old_dirs)):
            be_i = old_dirs[i].dot(r) * ro[i]
            r.add_(old_stps[i], alpha=float(al[i] - be_i))
        return r

    def _move(
        self,
        closure: Callable[[], Any],
        group: dict[str, Any],
        loss: float,
        flat_grad: Tensor,
        t: Any,
        d: Tensor,
        gtd: Any,
        n_iter: int,
        evals_left: int,
    ) -> tuple[float, Tensor, Any, int, Any]:
        """Move the parameters along ``d``, by a line search or a fixed step ``t``; return the
        new loss, gradient, step, evaluations spent and whether the gradient is small."""
        tolerance_grad = group["tolerance_grad"]
        if group["line_search_fn"] is not None:
            if group["line_search_fn"] != "strong_wolfe":
                raise RuntimeError("only 'strong_wolfe' is supported")
            x_init = self._clone_param()

            def obj_func(x: list[Tensor], t: Any, d: Tensor) -> tuple[float, Tensor]:
                return self._directional_evaluate(closure, x, t, d)

            loss, flat_grad, t, evals = _strong_wolfe(
                obj_func, x_init, t, d, loss, flat_grad, gtd, max_ls=evals_left
            )
            self._add_grad(t, d)
            return loss, flat_grad, t, evals, flat_grad.abs().max() <= tolerance_grad
        self._add_grad(t, d)
        if n_iter == group["max_iter"]:
            return loss, flat_grad, t, 0, False
        # Re-evaluated except after the last iteration: in a stochastic setting that
        # evaluation would be of no use.
        loss = float(closure())
        flat_grad = self._gather_flat_grad()
        return loss, flat_grad, t, 1, flat_grad.abs().max() <= tolerance_grad
