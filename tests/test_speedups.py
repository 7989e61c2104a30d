"""The compiled hot path (``tensorplug._speedups``): the same graphs as the Python code, no
reference leaks, and methods that behave as Python's.

The whole suite also runs without it (``nox -s purepython``); here both are compared.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

import tensorplug as tp
from tensorplug import _tensor as T
from tensorplug._ops_pointwise import AddBackward0, ExpBackward0, MulBackward0

HERE = Path(__file__).parent
compiled = pytest.mark.skipif(
    T.speedups is None and not os.environ.get("TENSORPLUG_EXPECT_COMPILED"),
    reason=f"the compiled hot path is not in use here ({T.speedups_status}); "
    "install with a C compiler to test it",
)


def test_expected_build_is_in_use() -> None:
    """CI builds the extension (the noxfile sets TENSORPLUG_EXPECT_COMPILED): a build that
    fails there, or loads but is refused, fails this test instead of passing unnoticed."""
    if os.environ.get("TENSORPLUG_EXPECT_COMPILED"):
        assert T.speedups_status == "on"
        assert T.binary is T.speedups.binary and T.unary is T.speedups.unary
    else:
        assert (T.speedups is not None) == (T.speedups_status == "on")
        assert T.binary is (T.speedups.binary if T.speedups else T.py_binary)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TENSORPLUG_PURE_PYTHON"}
    env.update(extra)
    return env


def test_pure_python_switch() -> None:
    code = (
        "import tensorplug._tensor as T, tensorplug._info as I;"
        "print(T.binary is T.py_binary, I.collect_info()['compiled_hot_path'])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=_env(TENSORPLUG_PURE_PYTHON="1"),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.split() == ["True", "off:", "TENSORPLUG_PURE_PYTHON", "is", "set"]


@compiled
def test_every_op_builds_the_same_graph_compiled_and_in_python(tmp_path: Path) -> None:
    dumps = {}
    for mode, env in (("c", _env()), ("py", _env(TENSORPLUG_PURE_PYTHON="1"))):
        path = tmp_path / f"{mode}.json"
        subprocess.run(
            [sys.executable, str(HERE / "graph_dump.py"), str(path)], env=env, check=True
        )
        dumps[mode] = json.loads(path.read_text())
    c, py = dumps["c"], dumps["py"]
    assert len(c) > 4000  # every op's samples, dtypes, layouts and error inputs
    assert sum("graph" in e for e in c.values()) > 2000
    assert c.keys() == py.keys()
    differ = [k for k in c if c[k] != py[k]]
    assert not differ, (
        f"{len(differ)} cases differ, first {differ[0]}:\n{c[differ[0]]}\n{py[differ[0]]}"
    )


def _refcounts(*objs: object) -> list[int]:
    return [sys.getrefcount(o) for o in objs]


@compiled
@pytest.mark.parametrize(
    "op",
    [
        lambda x, y: x * 2.0,
        lambda x, y: x * y,
        lambda x, y: x + y,
        lambda x, y: y - 0.5,
        lambda x, y: x.exp(),
        lambda x, y: x.tanh(),
        lambda x, y: x.sum(0),  # unary with arguments
        lambda x, y: x * 2,  # an int beside a float tensor
        lambda x, y: x + True,
        lambda x, y: x.clamp(-1, 1),
        lambda x, y: x.sigmoid(),
        lambda x, y: x.relu(),
        lambda x, y: x**2,
    ],
)
@pytest.mark.parametrize("grad", [True, False])
def test_no_reference_leaks(op: Callable[[tp.Tensor, tp.Tensor], tp.Tensor], grad: bool) -> None:
    """Every reference the C code takes is given back once the graph is gone."""
    x = tp.tensor([[1.0, -2.0], [3.0, 0.5]], requires_grad=grad)
    y = tp.tensor([[0.5, 2.0], [1.0, 4.0]], requires_grad=grad)

    def step() -> None:
        out = op(x, y)
        if grad:
            out.sum().backward()

    step()  # warm-up: caches (kernels, metadata, op classes) filled, ``.grad`` made
    gc.collect()
    gc.disable()
    try:
        before = _refcounts(x, y, x._data, y._data, x._backend, x._meta, y._meta)
        for _ in range(5):
            step()
        after = _refcounts(x, y, x._data, y._data, x._backend, x._meta, y._meta)
    finally:
        gc.enable()
    assert after == before


@compiled
def test_output_freed_without_the_collector() -> None:
    """Tensor, node and saved values form no cycle: plain reference counting frees them."""
    import weakref

    x = tp.ones(2, 2, requires_grad=True)
    gc.disable()
    try:
        y = (x * 3.0).tanh()
        refs = [weakref.ref(y), weakref.ref(y.grad_fn), weakref.ref(y.grad_fn.next_functions[0][0])]
        del y
        assert [r() for r in refs] == [None, None, None]
    finally:
        gc.enable()


@compiled
def test_error_paths_match_python() -> None:
    """Calls the fast path declines go to the Python code, errors included."""
    a = tp.ones(2, 3)
    cases = [
        lambda: T.binary(AddBackward0, a, tp.ones(4)),  # the kernel raises: Python's message
        lambda: T.binary(AddBackward0, a, "x"),
        lambda: T.binary(AddBackward0, 1.0, 2.0),
        lambda: T.unary(ExpBackward0, "x"),
    ]
    for case in cases:
        with pytest.raises(Exception) as c_err:
            case()
        c_binary, c_unary = T.binary, T.unary
        T.binary, T.unary = T.py_binary, T.py_unary
        try:
            with pytest.raises(Exception) as py_err:
                case()
        finally:
            T.binary, T.unary = c_binary, c_unary
        assert type(c_err.value) is type(py_err.value)
        assert str(c_err.value) == str(py_err.value)


@compiled
def test_grad_mode_is_read_per_thread() -> None:
    x = tp.ones(2, requires_grad=True)
    seen = {}

    def worker() -> None:
        with tp.no_grad():
            seen["worker"] = (x * 2.0).requires_grad
            barrier.wait()
            barrier.wait()

    barrier = threading.Barrier(2)
    th = threading.Thread(target=worker)
    th.start()
    barrier.wait()
    seen["main"] = (x * 2.0).requires_grad  # while the worker sits in no_grad
    barrier.wait()
    th.join()
    assert seen == {"worker": False, "main": True}


@compiled
def test_op_methods_behave_as_methods() -> None:
    x = tp.tensor([1.0, 2.0])
    m = tp.Tensor.__dict__["__mul__"]
    assert m.node_class is MulBackward0
    assert tp.Tensor.__mul__(x, 3.0).tolist() == [3.0, 6.0]
    assert tp.Tensor.exp(x).tolist() == pytest.approx([2.718281828, 7.389056099])
    bound = x.exp
    assert bound().tolist() == tp.exp(x).tolist()
    assert "exp" in repr(tp.Tensor.exp) and tp.Tensor.exp.__doc__
    with pytest.raises(TypeError, match=r"mul\(\) takes 2 positional arguments but 1"):
        tp.Tensor.__mul__(x)
    with pytest.raises(TypeError, match=r"exp\(\) takes no keyword arguments"):
        x.exp(out=None)
    assert (2.0 * x).tolist() == [2.0, 4.0]  # reflected


def _both(call: Callable[[], tp.Tensor]) -> list[tuple[object, ...]]:
    """``call()``'s result or error with the compiled functions, then with the Python ones."""
    results = []
    for binary, unary in ((T.binary, T.unary), (T.py_binary, T.py_unary)):
        saved = T.binary, T.unary
        T.binary, T.unary = binary, unary
        try:
            out = call()
            results.append((out.dtype, out.tolist(), out.requires_grad))
        except Exception as e:  # noqa: BLE001 - compared below, whatever it is
            results.append((type(e), str(e)))
        finally:
            T.binary, T.unary = saved
    return results


@compiled
def test_a_reassigned_class_attribute_reaches_the_compiled_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The C code reads a node class's attributes through ``_hot``, which the metaclass
    refreshes on assignment: a patched ``float_only`` acts at once, as in Python."""
    x = tp.tensor([1, 2])  # int64
    assert ExpBackward0._hot[0] is True
    first = _both(lambda: T.unary(ExpBackward0, x))
    monkeypatch.setattr(ExpBackward0, "float_only", False)
    assert ExpBackward0._hot[0] is False
    second = _both(lambda: T.unary(ExpBackward0, x))
    assert first[0] == first[1] and second[0] == second[1]
    assert first[0][0] == tp.float32 and second[0][0] == tp.float64  # NumPy's exp of int64


@compiled
def test_malformed_inputs_go_to_python() -> None:
    """Nothing the C code reads is trusted blindly: a tensor missing a field, a foreign
    ``_meta``, a class that is not a node class reach the Python code (and its errors)."""
    good = tp.ones(2, requires_grad=True)
    half = object.__new__(tp.Tensor)
    half._data, half._backend = good._data, good._backend  # the rest never set
    odd = good.detach().requires_grad_()
    odd._meta = "not a TensorMeta"

    class NotANode:
        _hot = (False, True, 0, False)

    for call in (
        lambda: T.binary(MulBackward0, half, 2.0),
        lambda: T.binary(MulBackward0, good, half),
        lambda: T.unary(ExpBackward0, half),
        lambda: T.binary(NotANode, good, good),
        lambda: T.unary(NotANode, good),
        lambda: T.binary(MulBackward0, odd, 2.0),
    ):
        c, py = _both(call)
        assert c == py
        assert isinstance(c[0], type) and issubclass(c[0], Exception)  # all raise in Python


_FAST_PATH_PROBE = """
import sys, tensorplug as tp
x = tp.full((2, 2), 0.5, requires_grad=True)
i = tp.tensor([[1, 2], [3, 4]])
seen = []
def prof(frame, event, arg):
    if event == "call" and frame.f_code.co_filename.endswith("_tensor.py"):
        if frame.f_code.co_name in ("binary", "unary"):
            seen.append(frame.f_code.co_name)
def run(ops, rounds):
    y = x
    for _ in range(rounds):
        for op in ops:
            y = op(y)
# Between tensors only, as the process's first ops: nothing else has filled any cache.
pairs = [lambda y: y * x, lambda y: y + x, lambda y: y / x, lambda y: y - x,
         lambda y: (i + i, y)[1]]  # an integer op beside the chain
run(pairs, 1)  # first calls fill the caches (kernels, metadata) through Python
sys.setprofile(prof)
run(pairs, 3)
sys.setprofile(None)
rest = [lambda y: y * 1.01, lambda y: y - 0.5, lambda y: y.tanh(), lambda y: y.exp(),
        lambda y: -y, lambda y: y.sin(), lambda y: y.sum(0, keepdim=True), lambda y: y.relu(),
        lambda y: (i * 2, -i, y)[2]]
run(rest, 1)
sys.setprofile(prof)
run(rest + pairs, 3)
sys.setprofile(None)
print(len(seen))
"""


@compiled
def test_common_ops_take_the_compiled_path_in_a_fresh_process() -> None:
    """After one call each, no common op reaches the Python ``unary``/``binary`` again.

    A process whose first ops are all between tensors once never got there: the dtype
    category cache was only filled by Python's scalar and float-only paths, so the C code
    handed every such op back to Python (now it fills the cache itself)."""
    out = subprocess.run(
        [sys.executable, "-c", _FAST_PATH_PROBE], env=_env(), capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0"]


@compiled
def test_grad_mode_changes_reach_the_compiled_path() -> None:
    """The C code keeps its own per-thread copy of grad mode, which ``state`` updates on
    every change, however it is made; a new thread starts with grad on, as ``state``'s."""
    from tensorplug._grad_mode import state

    x = tp.ones(2, requires_grad=True)
    seen = []
    try:
        state.grad_enabled = False
        seen.append((x * 2.0).requires_grad)
        del state.grad_enabled  # back to the class default: on
        seen.append((x * 2.0).requires_grad)
        with tp.no_grad():
            seen.append((x * x).requires_grad)
            child: list[bool] = []
            th = threading.Thread(target=lambda: child.append((x * 2.0).requires_grad))
            th.start()
            th.join()
            seen.append(child[0])
            with tp.enable_grad():
                seen.append(x.exp().requires_grad)
            seen.append(x.exp().requires_grad)
    finally:
        state.grad_enabled = True
    assert seen == [False, True, False, True, True, False]
    assert (x * 2.0).requires_grad
