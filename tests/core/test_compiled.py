"""The compiled hot modules (``_compiled.py``): the same file runs compiled or as Python, both
build the same graphs, nothing leaks, and nothing Python code does crashes the interpreter.

The whole suite also runs on the plain Python modules (``nox -s purepython``); here the two
are compared, and hostile actions are tried in subprocesses (a crash must show up as a
signal there, not take the test run down).
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

import tensorplug as tp
from tensorplug import _compiled
from tensorplug._dispatch import binary, unary
from tensorplug._ops_pointwise import AddBackward0, ExpBackward0, MulBackward0

COMPILED = _compiled.status() == "on"
compiled = pytest.mark.skipif(
    not COMPILED and not os.environ.get("TENSORPLUG_EXPECT_COMPILED"),
    reason=f"the compiled modules are not in use here ({_compiled.status()}); install with a "
    "C compiler to test them",
)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TENSORPLUG_PURE_PYTHON"}
    env.update(extra)
    return env


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=_env(**env),
        capture_output=True,
        text=True,
        timeout=300,
    )


# -- which implementation runs ---------------------------------------------------------------


def test_expected_build_is_in_use() -> None:
    """CI builds the modules (the noxfile sets TENSORPLUG_EXPECT_COMPILED): a build that fails
    there, or loads but is refused, fails this test instead of passing unnoticed."""
    modules = [sys.modules[f"tensorplug.{m}"] for m in _compiled.MODULES]
    if os.environ.get("TENSORPLUG_EXPECT_COMPILED") and not _compiled.pure_python_requested():
        assert _compiled.status() == "on"
    assert all(_compiled.is_compiled(m) == COMPILED for m in modules), [m.__file__ for m in modules]


@pytest.mark.parametrize(
    ("value", "pure"), [("1", True), ("true", True), ("On", True), ("0", False), ("", False)]
)
def test_pure_python_switch(value: str, pure: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TENSORPLUG_PURE_PYTHON", raising=False)
    built = _compiled.why_not_compiled() is None
    r = _python(
        """
        import sys, tensorplug, tensorplug._info as I
        mods = [sys.modules["tensorplug." + m] for m in tensorplug._compiled.MODULES]
        sources = sorted({m.__file__.endswith(".py") for m in mods})
        print(sources, I.collect_info()["compiled_hot_path"])
        """,
        TENSORPLUG_PURE_PYTHON=value,
    )
    assert r.returncode == 0, r.stderr
    if pure:
        assert r.stdout.split() == ["[True]", "off:", "TENSORPLUG_PURE_PYTHON", "is", "set"]
    elif built:
        assert r.stdout.split() == ["[False]", "on"]
    else:  # not built here: whatever the switch says, the source runs
        assert r.stdout.split()[0] == "[True]"


def test_an_edited_source_runs_instead_of_its_stale_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build record that does not match a module's source: the source wins, and the reason
    names the module (an edited checkout must not silently run the old build)."""
    monkeypatch.delenv("TENSORPLUG_PURE_PYTHON", raising=False)
    here = Path(_compiled.__file__).parent
    for m in _compiled.MODULES:
        shutil.copy(here / f"{m}.py", tmp_path / f"{m}.py")
        (tmp_path / f"{m}.cpython-311-x86_64-linux-gnu.so").write_bytes(b"")
    suffix = Path(sys.modules["tensorplug._graph"].__file__ or "").name  # this build's suffix
    if suffix.endswith((".so", ".pyd")):
        for m in _compiled.MODULES:
            (tmp_path / (m + suffix[len("_graph") :])).write_bytes(b"")
    assert "no build record" in str(_compiled.why_not_compiled(str(tmp_path)))
    record = {m: _compiled.source_hash(str(tmp_path / f"{m}.py")) for m in _compiled.MODULES}
    (tmp_path / _compiled.BUILD_RECORD).write_text(json.dumps(record))
    if suffix.endswith((".so", ".pyd")):
        assert _compiled.why_not_compiled(str(tmp_path)) is None
    with open(tmp_path / "_engine.py", "a") as f:
        f.write("\n# an edit\n")
    why = str(_compiled.why_not_compiled(str(tmp_path)))
    assert ("_engine.py changed since it was compiled" in why) or ("not built" in why)


# -- one source, one meaning -------------------------------------------------------------------


@compiled
def test_every_op_builds_the_same_graph_compiled_and_in_python(tmp_path: Path) -> None:
    dumps = {}
    for mode, env in (("c", _env()), ("py", _env(TENSORPLUG_PURE_PYTHON="1"))):
        path = tmp_path / f"{mode}.json"
        subprocess.run(
            [sys.executable, "-m", "tensorplug.testing._graph_dump", str(path)],
            env=env,
            check=True,
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
        lambda x, y: x[0],  # a view
        lambda x, y: tp.where(x > 0, x, y),  # nary
    ],
)
@pytest.mark.parametrize("grad", [True, False])
def test_no_reference_leaks(op: Callable[[tp.Tensor, tp.Tensor], tp.Tensor], grad: bool) -> None:
    """Every reference an op takes is given back once the graph is gone."""
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
        before = _refcounts(x, y, x._data, y._data, x._backend, x._meta, y._meta, x._vc)
        for _ in range(5):
            step()
        after = _refcounts(x, y, x._data, y._data, x._backend, x._meta, y._meta, x._vc)
    finally:
        gc.enable()
    assert after == before


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


def test_a_kernel_runs_once_per_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """Also when it raises: there is no second implementation to fall back to."""
    be = tp.get_backend("numpy")
    calls: list[int] = []

    def failing(a: object, b: object) -> object:
        calls.append(1)
        raise ValueError("no")

    monkeypatch.setattr(be.k, "mul", failing)
    x = tp.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="mul"):
        x * x
    assert calls == [1]
    with pytest.raises(ValueError, match="mul"):
        x * 3.0
    assert calls == [1, 1]


def test_error_messages_name_the_op_and_inputs() -> None:
    a = tp.ones(2, 3)
    with pytest.raises(RuntimeError, match=r"add\(\): The size of tensor a \(3\)"):
        binary(AddBackward0, a, tp.ones(4))
    with pytest.raises(TypeError, match="unsupported operand type str"):
        binary(AddBackward0, a, "x")
    with pytest.raises(TypeError, match="expected a Tensor argument, got float"):
        binary(AddBackward0, 1.0, 2.0)
    with pytest.raises((TypeError, AttributeError)):  # internal: callers pass tensors
        unary(ExpBackward0, "x")


# -- grad mode ---------------------------------------------------------------------------------


def test_grad_mode_is_read_per_thread() -> None:
    """One thread in ``no_grad`` (which makes every op consult its thread's mode) does not turn
    recording off in another, and the count of such threads returns to zero."""
    from tensorplug._grad_mode import switches

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
    seen["count"] = switches.threads_without_grad
    barrier.wait()
    th.join()
    assert seen == {"worker": False, "main": True, "count": 1}
    assert switches.threads_without_grad == 0


def test_every_way_of_changing_grad_mode_reaches_the_ops() -> None:
    from tensorplug._grad_mode import state

    x = tp.ones(2, requires_grad=True)
    with tp.no_grad():
        assert not (x * 2.0).requires_grad
        with tp.enable_grad():
            assert (x * 2.0).requires_grad
    tp.set_grad_enabled(False)
    assert not (x + x).requires_grad and not x.exp().requires_grad
    tp.set_grad_enabled(True)
    assert (x + x).requires_grad
    state.grad_enabled = False
    assert not (x * x).requires_grad
    del state.grad_enabled  # back to the thread's default
    assert (x * x).requires_grad


# -- methods and class attributes ------------------------------------------------------------


def test_op_methods_behave_as_methods() -> None:
    x = tp.tensor([1.0, 2.0])
    assert tp.Tensor.__mul__(x, 3.0).tolist() == [3.0, 6.0]
    assert tp.Tensor.exp(x).tolist() == pytest.approx([2.718281828, 7.389056099])
    bound = x.exp
    assert bound().tolist() == tp.exp(x).tolist()
    assert tp.Tensor.exp.__doc__ and "exp" in tp.Tensor.exp.__doc__


def test_a_reassigned_class_attribute_reaches_the_dispatch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Operator methods hold their class's ``OpSpec``, which the metaclass refreshes in place:
    a monkeypatch acts at once, through every way into the op."""
    ints = tp.tensor([1, 2])
    assert ints.exp().dtype == tp.float32  # float_only: cast first
    monkeypatch.setattr(ExpBackward0, "float_only", False)
    assert ints.exp().dtype == tp.float64  # not cast any more: NumPy's exp on int64
    assert tp.exp(ints).dtype == tp.float64
    monkeypatch.undo()
    assert ints.exp().dtype == tp.float32
    seen: list[str] = []
    original = MulBackward0.backward

    def spy(ctx: object, ops: object, g: object, a: object, b: object) -> object:
        seen.append("spy")
        return original(ctx, ops, g, a, b)

    monkeypatch.setattr(MulBackward0, "backward", staticmethod(spy))
    x = tp.ones(2, requires_grad=True)
    (x * x).sum().backward()
    assert seen == ["spy"]


# -- hostile actions, each in a subprocess: an exception or a result, never a signal ----------

HOSTILE = {
    "uninitialised TensorMeta": """
        from tensorplug._graph import TensorMeta
        x = tp.ones(2, requires_grad=True)
        x._meta = TensorMeta.__new__(TensorMeta)
        for op in (lambda: x * 2.0, lambda: x + x, lambda: x.exp(), lambda: x.sum()):
            try:
                op().sum().backward()
            except Exception as e:
                print(type(e).__name__)
        """,
    "fields deleted": """
        for field in ("_vc", "_grad_fn", "_meta", "_data", "_backend", "_base", "_accum",
                      "_view_ops"):
            x = tp.ones(2, requires_grad=True) * 1.0
            try:
                delattr(x, field)
            except Exception as e:
                print("del", field, type(e).__name__)
            for op in (lambda: x * 2.0, lambda: x + x, lambda: x.exp(), lambda: x[0]):
                try:
                    op().sum().backward()
                except Exception as e:
                    print(field, type(e).__name__)
        """,
    "fields replaced by other objects": """
        for field in ("_vc", "_grad_fn", "_meta", "_base", "_views", "_requires_grad",
                      "_view_ops"):
            for value in (None, 1, "x", object(), [0], (1,)):
                x = tp.ones(2, requires_grad=True) * 1.0
                try:
                    setattr(x, field, value)
                except Exception as e:
                    print("set", field, type(e).__name__)
                    continue
                for op in (lambda: x * 2.0, lambda: x + x, lambda: x.exp(), lambda: x[0]):
                    try:
                        op().sum().backward()
                    except Exception as e:
                        print(field, type(e).__name__)
        """,
    "fields changed by a kernel while the op runs": """
        be = tp.get_backend("numpy")
        x = tp.ones(2, requires_grad=True) * 1.0
        y = tp.ones(2, requires_grad=True) * 1.0
        mul = be.k.mul
        def evil(a, b):
            for t in (x, y):
                for f in ("_vc", "_grad_fn", "_meta", "_data"):
                    try:
                        delattr(t, f)
                    except Exception:
                        pass
            return mul(a, b)
        be.k.mul = evil
        for op in (lambda: x * y, lambda: x * 2.0):
            try:
                op().sum().backward()
            except Exception as e:
                print(type(e).__name__)
        """,
    "fields changed from another thread": """
        import threading
        stop = False
        x = tp.ones(3, requires_grad=True) * 1.0
        y = tp.ones(3, requires_grad=True) * 1.0
        def vandal():
            i = 0
            while not stop:
                for t in (x, y):
                    try:
                        if i % 3 == 0:
                            del t._grad_fn
                        elif i % 3 == 1:
                            t._meta = None
                        else:
                            del t._vc
                    except Exception:
                        pass
                i += 1
        th = threading.Thread(target=vandal)
        th.start()
        errors = set()
        for _ in range(20000):
            try:
                z = (x * y + x).tanh() - 0.5
                z.sum().backward()
            except Exception as e:
                errors.add(type(e).__name__)
        stop = True
        th.join()
        print(sorted(errors))
        """,
    "node fields replaced": """
        x = tp.ones(2, requires_grad=True)
        y = (x * 2.0).exp()
        n = y.grad_fn
        for field, value in (("_saved", None), ("_versions", None), ("_next", None),
                             ("_out_vc", None), ("shapes", None), ("dtype", None),
                             ("needs_input_grad", None), ("_saved", (1, 2, 3)),
                             ("_next", (1,)), ("args", None)):
            y = (x * 2.0).exp()
            try:
                setattr(y.grad_fn, field, value)
                y.sum().backward()
            except Exception as e:
                print(field, type(e).__name__)
        """,
    "a one-input node class given two inputs": """
        from tensorplug._dispatch import binary, unary
        from tensorplug._ops_pointwise import ExpBackward0, MulBackward0
        a = tp.ones(2, requires_grad=True)
        b = tp.ones(2, requires_grad=True)
        for call in (lambda: binary(ExpBackward0, a, b), lambda: unary(MulBackward0, a)):
            try:
                call().sum().backward()
            except Exception as e:
                print(type(e).__name__)
        print(a.tolist(), b.tolist())
        """,
    "hostile node class attributes": """
        from tensorplug._ops_pointwise import MulBackward0, ExpBackward0
        x = tp.ones(2, requires_grad=True)
        for name, value in (("save", (5, 6)), ("save", None), ("float_only", "yes"),
                            ("backward", None), ("kernel", "nonexistent"), ("_spec", None)):
            old = MulBackward0.__dict__.get(name)
            try:
                setattr(MulBackward0, name, value)
                (x * x).sum().backward()
            except Exception as e:
                print(name, type(e).__name__)
            finally:
                if old is None:
                    try:
                        delattr(MulBackward0, name)
                    except Exception:
                        pass
                else:
                    setattr(MulBackward0, name, old)
        print((x * x).sum().item())
        """,
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
@pytest.mark.parametrize("pure", [False, True], ids=["default", "pure"])
def test_hostile_actions_raise_instead_of_crashing(case: str, pure: bool) -> None:
    code = "import tensorplug as tp\n" + textwrap.dedent(HOSTILE[case])
    r = _python(code, **({"TENSORPLUG_PURE_PYTHON": "1"} if pure else {}))
    assert r.returncode == 0, f"exit {r.returncode} (a signal if negative):\n{r.stderr[-3000:]}"
