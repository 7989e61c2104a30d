"""Module forward hooks (pre and post, ``with_kwargs``, ``prepend``, ``always_call``) and their
removable handles, run side by side with PyTorch's."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorplug as tp
from tensorplug import nn

torch = pytest.importorskip("torch")


def _scale_module(lib: Any) -> Any:
    class Scale(lib.nn.Module):
        def forward(self, x: Any, *, factor: float = 1.0) -> Any:
            if factor < 0:
                raise ValueError("negative factor")
            return x * factor

    return Scale()


def _run_hooks(lib: Any) -> tuple[list[str], list[float]]:
    """Register the same hooks on ``lib``'s module; the call log and the outputs."""
    m = _scale_module(lib)
    log: list[str] = []
    m.register_forward_pre_hook(lambda mod, args: log.append("pre-a") or (args[0] + 1,))
    m.register_forward_pre_hook(lambda mod, args: log.append("pre-first"), prepend=True)

    def kw_pre(mod: Any, args: Any, kwargs: Any) -> Any:
        log.append(f"pre-kw factor={kwargs.get('factor')}")
        return args, {"factor": kwargs.get("factor", 1.0) * 2}

    h_kw = m.register_forward_pre_hook(kw_pre, with_kwargs=True)
    m.register_forward_hook(lambda mod, args, out: log.append("post") or out + 10)
    m.register_forward_hook(
        lambda mod, args, kwargs, out: log.append(f"post-kw factor={kwargs['factor']}"),
        with_kwargs=True,
        prepend=True,
    )
    x = lib.ones(2)
    outs = [float(m(x, factor=3.0)[0])]
    h_kw.remove()
    outs.append(float(m(x, factor=3.0)[0]))
    return log, outs


def test_pre_and_post_hooks_run_as_pytorch() -> None:
    assert _run_hooks(tp) == _run_hooks(torch)


def _always_call(lib: Any) -> tuple[list[Any], str]:
    m = _scale_module(lib)
    log: list[Any] = []
    m.register_forward_hook(lambda mod, args, out: log.append(("plain", out)))
    m.register_forward_hook(lambda mod, args, out: log.append(("always", out)), always_call=True)
    with pytest.raises(ValueError, match="negative factor") as info:
        m(lib.ones(1), factor=-1.0)
    return log, str(info.value)


def test_always_call_hooks_run_when_forward_raises() -> None:
    assert _always_call(tp) == _always_call(torch) == ([("always", None)], "negative factor")


def test_failing_always_call_hook_warns_and_forward_error_wins() -> None:
    m = _scale_module(tp)

    def broken(mod: Any, args: Any, out: Any) -> None:
        raise KeyError("hook broke")

    m.register_forward_hook(broken, always_call=True)
    with (
        pytest.warns(UserWarning, match="silenced as another error"),
        pytest.raises(ValueError, match="negative factor"),
    ):
        m(tp.ones(1), factor=-1.0)


def test_kwargs_pre_hook_must_return_a_pair() -> None:
    for lib in (tp, torch):
        m = _scale_module(lib)
        m.register_forward_pre_hook(lambda mod, args, kwargs: args, with_kwargs=True)
        with pytest.raises(
            RuntimeError, match=r"must return None or a tuple of \(new_args, new_kw"
        ):
            m(lib.ones(1))


def test_hooks_on_a_real_layer_keep_gradients() -> None:
    lin = nn.Linear(2, 1)
    lin.register_forward_hook(lambda mod, args, out: out * 2)
    lin(tp.ones(3, 2)).sum().backward()
    np.testing.assert_allclose(lin.weight.grad.numpy(), [[6.0, 6.0]])
