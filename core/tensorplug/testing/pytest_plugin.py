"""The conformance suite's pytest plugin: options, parametrization, declarations, report.

Load it with ``-p tensorplug.testing.pytest_plugin`` (``python -m tensorplug.testing`` does).
It is inert for test functions that are not marked with a conformance family, so it can sit in
any run. One backend per process: ``--tp-backend NAME``, or ``TENSORPLUG_TEST_BACKEND``.

Under pytest-xdist (``-n N``) the tests run in worker processes and the summary and the JSON
report are written by the controller, which collects nothing: each test's report carries its
case (``tp_case``: op, dtype, family, sample) to the controller, and each worker hands over the
declarations it used (known failures, loosened tolerances) in ``workeroutput`` when it ends.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
from collections import Counter, defaultdict
from typing import Any

import pytest

import tensorplug as tp

from .._backend import Backend
from .._dtype import BY_NAME
from .._plugins import REGISTRY, InfoSection
from ._aliasing import CORE_KNOWN_FAILURES
from ._cases import (
    FAMILIES,
    Case,
    Selection,
    Tolerances,
    generate,
    matches,
    validate_known_failures,
)
from ._compare import Tol
from ._opdb import op_db

_STATE = pytest.StashKey["_State"]()


class _State:
    def __init__(self, backend: Backend, selection: Selection, slow_gradcheck: bool) -> None:
        self.backend = backend
        self.selection = selection
        self.slow_gradcheck = slow_gradcheck
        self.tolerances = Tolerances(backend)
        self.results: dict[tuple[str, str, str], Counter[str]] = defaultdict(Counter)
        self.used_known_failures: set[int] = set()  # indices into ``declared``
        # The backend's declarations, then the core's own (``CORE_KNOWN_FAILURES``).
        self.declared = (*backend.known_failures, *CORE_KNOWN_FAILURES)
        self.crashed: list[str] = []  # conformance tests whose worker died while running them


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("tensorplug", "tensorplug conformance suite")
    g.addoption(
        "--tp-backend",
        default=os.environ.get("TENSORPLUG_TEST_BACKEND"),
        help="backend under test (default: $TENSORPLUG_TEST_BACKEND or numpy)",
    )
    g.addoption(
        "--tp-backend-module",
        default=None,
        help="import this plugin module and register it first (an uninstalled backend)",
    )
    g.addoption(
        "--tp-quick", action="store_true", help="only the first sample of each op (a short run)"
    )
    g.addoption("--tp-ops", default="", help="comma-separated op names or globs")
    g.addoption("--tp-dtypes", default="", help="comma-separated dtype names")
    g.addoption("--tp-family", default="", help="comma-separated families: " + ", ".join(FAMILIES))
    g.addoption(
        "--tp-json",
        default=None,
        metavar="PATH",
        help="also write the op x dtype x family results and the declarations as JSON",
    )
    g.addoption(
        "--tp-slow-gradcheck",
        action="store_true",
        default=os.environ.get("TENSORPLUG_SLOW_GRADCHECK") == "1",
        help="full Jacobians in gradcheck instead of random projections",
    )


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def _state(config: pytest.Config) -> _State:
    state = config.stash.get(_STATE, None)
    if state is None:
        module = config.getoption("tp_backend_module")
        if module:
            tp.plugins.register(importlib.import_module(module), f"--tp-backend-module {module}")
        name = config.getoption("tp_backend") or "numpy"
        try:
            backend = REGISTRY.get(name)
        except (ValueError, RuntimeError) as e:  # unknown, broken or unavailable: say why
            raise pytest.UsageError(str(e)) from e
        tp.set_backend(name)
        families = _split(config.getoption("tp_family"))
        unknown = set(families) - set(FAMILIES)
        if unknown:
            raise pytest.UsageError(
                f"unknown --tp-family {sorted(unknown)}; families: " + ", ".join(FAMILIES)
            )
        dtypes = _split(config.getoption("tp_dtypes"))
        if set(dtypes) - set(BY_NAME):
            raise pytest.UsageError(
                f"unknown --tp-dtypes {sorted(set(dtypes) - set(BY_NAME))}; dtypes: "
                + ", ".join(BY_NAME)
            )
        dtypes = tuple(BY_NAME[n].name for n in dtypes)  # aliases: double -> float64
        sel = Selection(
            _split(config.getoption("tp_ops")),
            dtypes,
            families,
            config.getoption("tp_quick"),
        )
        problems = validate_known_failures(backend, op_db)  # the core's: in its own tests
        if problems:
            raise pytest.UsageError(
                f"backend {name!r} declares invalid expectations:\n  " + "\n  ".join(problems)
            )
        state = _State(backend, sel, config.getoption("tp_slow_gradcheck"))
        config.stash[_STATE] = state
        config.pluginmanager.register(_Recorder(state), "tensorplug-conformance-recorder")
    return state


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "tp_family(name): a tensorplug conformance test family")
    config.addinivalue_line("markers", "gpu: needs a CUDA device")


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    if not config.getoption("tp_backend") and not config.getoption("tp_backend_module"):
        return None
    state = _state(config)
    be = state.backend
    device = be.device(be.k.full((), 0, tp.float32))
    lines = [
        f"tensorplug conformance: backend {be.name} {be.version} on device {device}, "
        f"tensorplug {tp.__version__}",
        "  dtypes: "
        + ", ".join(d.name for d in be.supported_dtypes)
        + f"; optional kernels: {', '.join(sorted(k for k in tp.plugins.OPTIONAL if be.has_kernel(k))) or 'none'}",  # noqa: E501
        f"  op database: {len(op_db)} ops; known failures declared: {len(be.known_failures)} "
        f"(and {len(CORE_KNOWN_FAILURES)} of tensorplug itself); "
        f"tolerance overrides declared: {len(be.tolerances)}",
    ]
    facts = _environment_info(be.name)
    if facts:
        lines.append("  " + "; ".join(f"{k}: {v}" for k, v in facts.items()))
    if state.selection.quick:
        lines.append("  quick mode: first sample of each op only")
    return lines


def _environment_info(name: str) -> dict[str, Any]:
    """Facts plugins report for the backend (``tensorplug_environment_info``), merged; the
    one-line header leaves out their longer blocks (``InfoSection``)."""
    facts: dict[str, Any] = {}
    hook = REGISTRY.manager().hook.tensorplug_environment_info
    for answer in hook(backend_name=name):
        facts.update({k: v for k, v in (answer or {}).items() if not isinstance(v, InfoSection)})
    return facts


def family(name: str) -> pytest.MarkDecorator:
    """Mark a test function as conformance family ``name`` (parametrized by ``case``)."""
    if name not in FAMILIES:
        raise ValueError(f"unknown family {name!r}")
    return pytest.mark.tp_family(name)


def _family_of(definition: Any) -> str | None:
    marker = definition.get_closest_marker("tp_family")
    return marker.args[0] if marker is not None else None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    fam = _family_of(metafunc.definition)
    if fam is None or "case" not in metafunc.fixturenames:
        return
    state = _state(metafunc.config)
    if fam in ("engine", "training"):  # one case per float dtype (training: not float16)
        cases = [
            Case(fam, None, d)
            for d in state.backend.supported_dtypes
            if d.is_floating_point
            and (fam == "engine" or d.itemsize > 2)
            and state.selection.dtype(d)
            and state.selection.family(fam)
        ]
    else:
        cases = list(generate(fam, op_db, state.backend, state.selection))
    metafunc.parametrize("case", cases, ids=[c.id for c in cases])


def _case(item: pytest.Item) -> Case | None:
    callspec = getattr(item, "callspec", None)
    case = callspec.params.get("case") if callspec is not None else None
    return case if isinstance(case, Case) else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    state = config.stash.get(_STATE, None)
    if state is None:
        return
    # A family with no case for this backend (nothing unsupported, say) is not a skip.
    empty = [i for i in items if _family_of(i) is not None and _case(i) is None]
    if empty:
        config.hook.pytest_deselected(items=empty)
        items[:] = [i for i in items if i not in empty]
    ours = len(state.backend.known_failures)
    on_device = state.backend.device_type != "cpu"  # so `-m "not gpu"` works as elsewhere
    for item in items:
        case = _case(item)
        if case is None:
            continue
        if on_device:
            item.add_marker(pytest.mark.gpu)
        for i, kf in enumerate(state.declared):
            if matches(kf, case):
                state.used_known_failures.add(i)
                who = (
                    f"backend {state.backend.name!r}"
                    if i < ours
                    else f"tensorplug {tp.__version__} itself (every backend)"
                )
                item.add_marker(
                    pytest.mark.xfail(reason=f"known failure of {who}: {kf.reason}", strict=True)
                )
                break


@pytest.fixture
def tp_backend(request: pytest.FixtureRequest) -> Backend:
    """The backend under test."""
    return _state(request.config).backend


@pytest.fixture
def tp_tolerances(request: pytest.FixtureRequest) -> Tolerances:
    """Resolves comparison tolerances (core default, op override, backend declaration)."""
    return _state(request.config).tolerances


@pytest.fixture
def tp_slow_gradcheck(request: pytest.FixtureRequest) -> bool:
    return _state(request.config).slow_gradcheck


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Label a conformance test's reports with its case: an attribute of the report travels
    with it from an xdist worker to the controller, which has no items to look it up in."""
    report = yield
    case = _case(item)
    if case is not None:
        op = case.op_name if case.op else f"({case.family})"
        report.tp_case = [op, case.dtype_name, case.family, case.sample_name]
    return report


def _worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


class _Recorder:
    """Counts outcomes per (op, dtype, family) from the labelled reports; registered on the
    run (the controller's, under xdist) once a backend is set."""

    def __init__(self, state: _State) -> None:
        self.state = state

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        label = getattr(report, "tp_case", None)
        if label is None:
            if report.failed and report.when not in ("setup", "call", "teardown"):
                self.state.crashed.append(report.nodeid)  # its xdist worker died
            return
        if not (report.when == "call" or report.outcome != "passed"):
            return
        if report.when == "teardown" and report.outcome == "skipped":
            return
        if hasattr(report, "wasxfail"):
            outcome = "xfailed" if report.skipped else "xpassed"
        elif report.failed and str(report.longrepr).startswith("[XPASS(strict)]"):
            outcome = "xpassed"  # a known failure that passed: it fails the run, as an X
        else:
            outcome = report.outcome
        op, dtype, fam = label[:3]
        self.state.results[(op, dtype, fam)][outcome] += 1

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """An xdist worker ended: take the declarations its tests used."""
        out = getattr(node, "workeroutput", None) or {}
        self.state.used_known_failures.update(out.get("tp_used_known_failures", ()))
        for op, dtype, rtol, atol, reason in out.get("tp_used_tolerances", ()):
            self.state.tolerances.used[(op, dtype)] = Tol(rtol, atol, reason)


_SYMBOL = {"passed": "", "failed": "F", "xfailed": "x", "xpassed": "X", "skipped": "s"}


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    state = config.stash.get(_STATE, None)
    if state is None:
        return
    if _worker(config):  # the controller reports; hand it what only this worker knows
        out = config.workeroutput  # type: ignore[attr-defined]
        out["tp_used_known_failures"] = sorted(state.used_known_failures)
        out["tp_used_tolerances"] = [
            [op, dtype, t.rtol, t.atol, t.reason]
            for (op, dtype), t in sorted(state.tolerances.used.items())
        ]
        return
    path = config.getoption("tp_json")
    if not path:
        return
    be = state.backend
    report = {
        "backend": be.name,
        "version": be.version,
        "device": str(be.device(be.k.full((), 0, tp.float32))),
        "tensorplug": tp.__version__,
        "dtypes": [d.name for d in be.supported_dtypes],
        "exit_status": int(exitstatus),
        "results": [
            {"op": op, "dtype": dt, "family": fam, **dict(counts)}
            for (op, dt, fam), counts in sorted(state.results.items())
        ],
        "crashed": state.crashed,
        "known_failures": [dataclasses.asdict(kf) for kf in be.known_failures],
        "core_known_failures": [dataclasses.asdict(kf) for kf in CORE_KNOWN_FAILURES],
        "tolerances": [dataclasses.asdict(t) for t in be.tolerances],
    }
    with open(path, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is None or not (state.results or state.crashed):
        return
    tr = terminalreporter
    be = state.backend
    fams = [f for f in FAMILIES if any(k[2] == f for k in state.results)]
    tr.write_sep("=", f"tensorplug conformance summary: backend {be.name} {be.version}")
    tr.write_line(
        "cells: passed count, then F failed, x expected failure, X unexpected pass, s skipped"
    )
    width = {f: max(len(f), 7) for f in fams}
    tr.write_line(f"{'op':<16}{'dtype':<9}" + " ".join(f"{f:>{width[f]}}" for f in fams))
    rows = sorted({(k[0], k[1]) for k in state.results})
    totals: dict[str, Counter[str]] = defaultdict(Counter)
    for op, dt in rows:
        cells = []
        for f in fams:
            c = state.results.get((op, dt, f))
            if not c:
                cells.append(f"{'.':>{width[f]}}")
                continue
            totals[f].update(c)
            cells.append(f"{_cell(c):>{width[f]}}")
        tr.write_line(f"{op:<16}{dt:<9}" + " ".join(cells))
    tr.write_line(f"{'total':<25}" + " ".join(f"{_cell(totals[f]):>{width[f]}}" for f in fams))
    for nodeid in state.crashed:
        tr.write_line(f"crashed its worker (counted nowhere above): {nodeid}")
    ours = len(be.known_failures)
    for title, first, last in (
        ("known failures declared by the backend:", 0, ours),
        ("known failures of tensorplug itself, for every backend:", ours, len(state.declared)),
    ):
        met = [i for i in range(first, last) if i in state.used_known_failures]
        if first == ours and not met:
            continue  # the core's, where no test of this run met them
        if last > first:
            tr.write_line(title)
        samples: dict[tuple[str, str, str, str], list[str]] = {}  # one line per reason
        for i in range(first, last):
            kf = state.declared[i]
            note = "" if i in state.used_known_failures else "  (matched no test in this run)"
            samples.setdefault((kf.op, kf.family, kf.dtype, kf.reason + note), []).append(kf.sample)
        for (op, fam, dt, why), names in samples.items():
            tr.write_line(f"  {op} [{fam}, {dt}, {' | '.join(names)}]: {why}")
    if be.tolerances:
        tr.write_line("loosened tolerances declared by the backend:")
        for t in be.tolerances:
            used = (
                ""
                if (t.op, t.dtype) in state.tolerances.used
                else ("  (matched no comparison in this run)")
            )
            tr.write_line(f"  {t.op} {t.dtype}: rtol={t.rtol:g} atol={t.atol:g}: {t.reason}{used}")


def _cell(c: Counter[str]) -> str:
    return (
        ",".join(
            f"{c[o]}{_SYMBOL[o]}"
            for o in ("passed", "failed", "xfailed", "xpassed", "skipped")
            if c[o]
        )
        or "0"
    )
