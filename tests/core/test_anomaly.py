"""Anomaly mode and the errors that name the user's tensor, tried end to end."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import tensorplug as tp
from tensorplug.autograd import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from tensorplug.plugins import Backend

HERE = __file__


def test_inf_in_backward_names_the_op_and_the_users_line() -> None:
    x = tp.tensor([0.0, 1.0], requires_grad=True)
    with detect_anomaly(), pytest.raises(RuntimeError) as info:
        y = x.sqrt().sum()  # the line the message must point at
        y.backward()
    msg = str(info.value)
    assert "Function 'SqrtBackward0' returned inf values in its 0th output" in msg
    assert f"{HERE}:" in msg
    assert "y = x.sqrt().sum()  # the line the message must point at" in msg
    # Only the user's frames: the op's implementation inside tensorplug is left out.
    assert "_ops_pointwise.py" not in msg and "_tensor.py" not in msg


def test_nan_is_told_apart_from_inf() -> None:
    x = tp.tensor(0.0, requires_grad=True)
    with detect_anomaly(), pytest.raises(RuntimeError, match="SqrtBackward0' returned nan"):
        (x.sqrt() * 0).backward()  # d/dx sqrt at 0 times a zero gradient: 0 / 0


def test_nan_check_also_runs_on_the_create_graph_path() -> None:
    x = tp.tensor([0.0], requires_grad=True, dtype=tp.float64)
    with detect_anomaly(), pytest.raises(RuntimeError, match="SqrtBackward0' returned inf"):
        tp.autograd.grad(x.sqrt().sum(), x, create_graph=True)


def test_check_nan_false_and_anomaly_off_let_the_bad_gradient_through() -> None:
    x = tp.tensor([0.0, 4.0], requires_grad=True)
    with detect_anomaly(check_nan=False):
        x.sqrt().sum().backward()
    assert x.grad is not None
    assert x.grad.tolist() == [float("inf"), 0.25]
    x.grad = None
    x.sqrt().sum().backward()  # anomaly mode off: no check
    assert x.grad.tolist() == [float("inf"), 0.25]


def test_decorator_turns_mode_on_only_inside_and_restores_after_an_error() -> None:
    seen = []

    @detect_anomaly()
    def step(fail: bool) -> None:
        seen.append(is_anomaly_enabled())
        if fail:
            raise ValueError("inside")

    assert not is_anomaly_enabled()
    step(False)
    with pytest.raises(ValueError, match="inside"):
        step(True)
    assert seen == [True, True]
    assert not is_anomaly_enabled()
    assert step.__name__ == "step"


def test_nested_contexts_and_set_detect_anomaly_restore_the_previous_state() -> None:
    with detect_anomaly():
        with set_detect_anomaly(False):
            assert not is_anomaly_enabled()
        assert is_anomaly_enabled()
    assert not is_anomaly_enabled()
    set_detect_anomaly(True)
    try:
        assert is_anomaly_enabled()
    finally:
        set_detect_anomaly(False)
    assert not is_anomaly_enabled()


def _seen_from_another_thread(is_enabled: Any) -> bool:
    other: list[bool] = []
    t = threading.Thread(target=lambda: other.append(is_enabled()))
    t.start()
    t.join()
    return other[0]


def test_anomaly_mode_is_process_wide_as_in_pytorch() -> None:
    # Unlike grad mode (per thread), PyTorch's anomaly mode is one flag for the process.
    with detect_anomaly():
        assert _seen_from_another_thread(is_anomaly_enabled)
    assert not _seen_from_another_thread(is_anomaly_enabled)
    with tp.no_grad():
        assert _seen_from_another_thread(tp.is_grad_enabled)  # grad mode stays per thread


@pytest.mark.filterwarnings("ignore:Anomaly Detection has been enabled")  # torch's own warning
def test_anomaly_mode_threads_match_torch() -> None:
    torch = pytest.importorskip("torch")
    with torch.autograd.detect_anomaly():
        theirs = _seen_from_another_thread(torch.is_anomaly_enabled)
    with detect_anomaly():
        ours = _seen_from_another_thread(is_anomaly_enabled)
    assert ours == theirs


def test_error_raised_in_a_backward_gets_the_forward_traceback_as_a_note() -> None:
    class Fragile(tp.autograd.Function):
        @staticmethod
        def forward(ctx, x):  # type: ignore[no-untyped-def]
            return x * 1

        @staticmethod
        def backward(ctx, g):  # type: ignore[no-untyped-def]
            raise ValueError("backward exploded")

    x = tp.ones(2, requires_grad=True)
    with detect_anomaly():
        y = Fragile.apply(x).sum()  # forward call of the failing node
    with pytest.raises(ValueError, match="backward exploded") as info:
        y.backward()
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "Error detected in FragileBackward" in notes
    assert "y = Fragile.apply(x).sum()  # forward call of the failing node" in notes


def test_without_anomaly_mode_no_trace_is_recorded() -> None:
    x = tp.ones(2, requires_grad=True)
    y = x * 2
    assert y.grad_fn is not None and y.grad_fn.trace is None
    with detect_anomaly():
        z = x * 2
    assert z.grad_fn is not None and z.grad_fn.trace is not None


# -- in-place (version counter) errors ------------------------------------------------------


def test_inplace_error_names_the_tensor_and_where_it_was_made_and_changed() -> None:
    a = tp.tensor([1.0, -1.0], requires_grad=True)
    with detect_anomaly():
        b = a * 2  # b is made here
        c = b.sin()
        b.mul_(3)  # and changed here, after sin saved it
    with pytest.raises(RuntimeError) as info:
        c.sum().backward()
    msg = str(info.value)
    assert msg.startswith(
        "one of the variables needed for gradient computation has been modified by an "
        "inplace operation: [float32 [2] on cpu (numpy)], which is the output of MulBackward0, "
        "is at version 1; expected version 0 instead."
    )
    assert "SinBackward0 saved it as its input 0" in msg
    assert "b = a * 2  # b is made here" in msg
    assert "changed in place by MulBackward0" in msg
    assert "b.mul_(3)  # and changed here" in msg
    assert "detect_anomaly" not in msg  # the hint to turn it on is only given when it is off


def test_inplace_error_on_a_saved_output_names_the_op_that_made_it() -> None:
    x = tp.tensor([0.5, 2.0], requires_grad=True)
    with detect_anomaly():
        e = x.exp()  # exp saves its output
    e.add_(1)
    with pytest.raises(RuntimeError) as info:
        e.sum().backward()
    msg = str(info.value)
    assert "which is the output of ExpBackward0" in msg
    assert "ExpBackward0 saved it as its own output" in msg
    assert "e = x.exp()  # exp saves its output" in msg


def test_inplace_error_without_anomaly_mode_says_how_to_find_the_sites() -> None:
    x = tp.tensor([0.5, 2.0], requires_grad=True)
    e = x.exp()
    e.add_(1)
    with pytest.raises(RuntimeError, match=r"detect_anomaly\(\)") as info:
        e.sum().backward()
    assert "is at version 1; expected version 0" in str(info.value)


# -- device / backend mismatch --------------------------------------------------------------


@pytest.fixture
def other_backend() -> Backend:
    """A second backend on a device of its own, built from the NumPy kernels."""
    np_be = tp.get_backend("numpy")
    return Backend(name="fake", kernels=np_be.kernels, dtypes=np_be.dtypes, device_type="meta")


def test_device_mismatch_names_both_tensors(other_backend: Backend) -> None:
    a = tp.ones(2, 3, requires_grad=True)
    b = tp.ones(2, 3, backend=other_backend)
    with detect_anomaly():
        c = a * 2  # c is made here
    with pytest.raises(RuntimeError) as info:
        c + b
    msg = str(info.value)
    assert msg.startswith(
        "add(): expected all tensors to be on the same device and backend, but found "
        "cpu (numpy) and meta:0 (fake)"
    )
    assert "first tensor: float32 [2, 3] on cpu (numpy), output of MulBackward0" in msg
    assert "c = a * 2  # c is made here" in msg
    assert "other tensor: float32 [2, 3] on meta:0 (fake), tensor without grad" in msg
    assert "other.to(first)" in msg


def test_device_mismatch_in_nary_op_and_inplace_write(other_backend: Backend) -> None:
    a = tp.ones(2)
    b = tp.ones(2, backend=other_backend).requires_grad_()
    with pytest.raises(RuntimeError, match=r"leaf tensor, requires_grad=True"):
        tp.stack([a, b])
    with pytest.raises(RuntimeError, match=r"mul\(\): expected all tensors .* meta:0 \(fake\)"):
        a.mul_(tp.ones(2, backend=other_backend))


class Cube(tp.autograd.Function):
    @staticmethod
    def forward(ctx, x):  # type: ignore[no-untyped-def]
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, g):  # type: ignore[no-untyped-def]
        (x,) = ctx.saved_tensors
        return g * 3 * x**2


def test_custom_function_inplace_error_names_the_tensor_and_its_last_writer() -> None:
    x = tp.ones(2, requires_grad=True)
    with detect_anomaly():
        h = x * 2
        y = Cube.apply(h).sum()
        h.add_(1)  # overwrites what Cube saved
    with pytest.raises(RuntimeError) as info:
        y.backward()
    msg = str(info.value)
    assert "[float32 [2] on cpu (numpy)], which is now the output of AddBackward0" in msg
    assert "CubeBackward saved it as saved tensor 0 for backward" in msg
    assert "h.add_(1)  # overwrites what Cube saved" in msg


def test_custom_function_backward_twice_says_the_graph_was_freed() -> None:
    x = tp.ones(2, requires_grad=True)
    y = Cube.apply(x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()
