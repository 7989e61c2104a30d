"""Discovery, registration and selection of backends.

pluggy is used here, once, at discovery; the result is a plain dict from name to backend. The
active backend is resolved per *creation* call (explicit argument > ``use_backend`` >
``set_backend`` > ``TENSORPLUG_BACKEND`` > ``numpy``); ops use their inputs' backend.
"""

from __future__ import annotations

import contextlib
import os
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any, cast

import pluggy

from . import hookspecs
from ._backend import Backend, BackendUnavailableError, Device

GROUP = "tensorplug.backends"
DEFAULT = "numpy"
_DEFAULT_ENTRY_POINT = "tensorplug_numpy.plugin"
hookimpl = pluggy.HookimplMarker("tensorplug")


@dataclass(frozen=True)
class BackendSpec:
    """A backend declared by a plugin; nothing is imported until ``load`` is called.

    Args:
        name: lower-case registry name.
        load: builds the ``Backend``.
        device_type: ``cpu``, ``cuda``, ... (used to resolve ``device=`` strings).
        version: the library's version, or a callable returning it.
        probe: returns ``(available, reason)`` cheaply, without building the backend.
        description: one line for ``list_backends``.
        on_device: for a backend with several devices (``cuda:0``, ``cuda:1``), returns the
            ``Backend`` instance that places arrays on device ``index``; index 0 must be the
            instance ``load`` built. One instance per device makes mixing devices in one op
            the same cheap identity check as mixing backends.
    """

    name: str
    load: Callable[[], Backend]
    device_type: str = "cpu"
    version: str | Callable[[], str] = ""
    probe: Callable[[], tuple[bool, str]] | None = None
    description: str = ""
    on_device: Callable[[int], Backend] | None = None


@dataclass(frozen=True)
class DeviceAPI:
    """A GPU backend's device runtime: what ``tensorplug.cuda`` asks that is not a kernel.

    A plugin returns one from the ``tensorplug_device_api`` hook. Each function takes a
    device index (``1`` for ``cuda:1``); one left ``None`` makes the ``tensorplug.cuda``
    function that needs it raise ``UnsupportedOperation`` naming the backend.
    ``synchronize`` and ``manual_seed`` need no entry: they go through the backend's instance
    for the device (``Backend.synchronize``, ``Backend.manual_seed``).

    Args:
        device_count: the number of devices the backend can use here.
        device_name: a device's name, e.g. ``"NVIDIA H100 80GB HBM3"``.
        memory_allocated: bytes held by live arrays on a device.
        max_memory_allocated: the peak of ``memory_allocated`` since the backend loaded or
            the last ``reset_peak_memory_stats``.
        memory_reserved: bytes the backend's allocator holds on a device (in use or cached).
        reset_peak_memory_stats: restarts the peak at the current use.
        empty_cache: gives cached, unused memory of every device back to the driver.
        begin_capture: starts capturing the kernels launched on a device into a graph
            (``tensorplug.cuda.CUDAGraph``, issue 21); returns an object with ``end()``
            (the captured graph, with ``replay()``) and ``abort()``.
    """

    device_count: Callable[[], int]
    device_name: Callable[[int], str] | None = None
    memory_allocated: Callable[[int], int] | None = None
    max_memory_allocated: Callable[[int], int] | None = None
    memory_reserved: Callable[[int], int] | None = None
    reset_peak_memory_stats: Callable[[int], None] | None = None
    empty_cache: Callable[[], None] | None = None
    begin_capture: Callable[[int], Any] | None = None


@dataclass(frozen=True)
class InfoSection:
    """A block of its own in ``tensorplug info``: a plugin's longer diagnosis (the CuPy
    plugin's check of the CuPy wheel against the NVIDIA driver).

    Put one among the values a ``tensorplug_environment_info`` implementation returns: it is
    printed after the backend table, titled ``title``, one ``label: value`` line per fact
    (``True``/``False`` as yes/no), and ``tensorplug info --json`` has it under
    ``sections``.
    """

    title: str
    facts: Mapping[str, Any]


@dataclass(frozen=True)
class BackendInfo:
    """One row of ``list_backends()``."""

    name: str
    available: bool
    reason: str
    version: str
    device_type: str
    source: str
    status: str  # active | available | unavailable | broken


class _Registry:
    """The plugins and the backends they declare.

    Discovery is lazy twice over: nothing happens at ``import tensorplug``, and asking for
    one backend by name (the default ``numpy`` on the first op) loads only the entry point
    of that name. Everything that needs the whole picture (``specs``, ``manager()``: listing,
    diagnostics, resolving a device, an unknown name) loads every entry point first, so a
    plugin that is not used (``tensorplug_cupy`` on a CPU run) is not even imported.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.pm: pluggy.PluginManager | None = None
        self.discovered = False  # every entry point loaded (``manager()``)
        self._specs: dict[str, BackendSpec] = {}
        self.sources: dict[str, str] = {}
        self.broken: dict[str, str] = {}
        self.loaded: dict[str, Backend] = {}
        self.plugins: dict[str, Any] = {}  # backend name -> the plugin that declared it
        self.device_apis: dict[str, DeviceAPI | None] = {}  # tensorplug_device_api answers

    @property
    def specs(self) -> dict[str, BackendSpec]:
        """Every declared backend by name, after discovering every plugin."""
        self.manager()
        return self._specs

    def _pm(self) -> pluggy.PluginManager:
        if self.pm is None:
            with self.lock:
                if self.pm is None:
                    pm = pluggy.PluginManager("tensorplug")
                    pm.add_hookspecs(hookspecs)
                    self.pm = pm
        return self.pm

    def manager(self) -> pluggy.PluginManager:
        """The plugin manager, every plugin discovered (once)."""
        pm = self._pm()
        if not self.discovered:
            with self.lock:
                if not self.discovered:
                    # Set first: a plugin's tensorplug_backends may itself ask for a backend.
                    self.discovered = True
                    self._discover(pm)
        return pm

    @staticmethod
    def _autoload() -> bool:
        return os.environ.get("TENSORPLUG_DISABLE_PLUGIN_AUTOLOAD") != "1"

    def _discover(self, pm: pluggy.PluginManager) -> None:
        if self._autoload():
            seen: dict[str, str] = {}
            for ep in entry_points(group=GROUP):
                dist = ep.dist.name if ep.dist is not None else "?"
                if ep.name in seen:
                    if seen[ep.name] == ep.value:  # the same install seen twice on sys.path
                        continue
                    self.broken[ep.name] = (
                        f"duplicate entry point {ep.name!r}: {ep.value} ({dist}) and "
                        f"{seen[ep.name]}; the first one is used"
                    )
                    continue
                seen[ep.name] = ep.value
                try:
                    self._register(pm, ep.load(), f"{dist} ({ep.value})")
                except Exception as e:  # noqa: BLE001 - one broken plugin must not stop others
                    self.broken[ep.name] = _describe(e)
        self._register_default(pm)

    def _discover_one(self, name: str) -> None:
        """Load only the entry point called ``name`` (by convention, its backend's name).
        Failures are left to the full discovery, which reports them."""
        pm = self._pm()
        if self._autoload():
            for ep in entry_points(group=GROUP):
                if ep.name == name:
                    dist = ep.dist.name if ep.dist is not None else "?"
                    with contextlib.suppress(Exception):
                        self._register(pm, ep.load(), f"{dist} ({ep.value})")
                    break  # a duplicate is the full discovery's to report
        if name == DEFAULT:
            self._register_default(pm)

    def _register_default(self, pm: pluggy.PluginManager) -> None:
        if DEFAULT not in self._specs:
            # A source checkout run without `pip install` has no entry-point metadata (or
            # autoload is off): the default backend's entry point, as pyproject.toml declares it.
            ep = EntryPoint(DEFAULT, _DEFAULT_ENTRY_POINT, GROUP)
            with contextlib.suppress(ImportError):
                self._register(pm, ep.load(), ep.value.partition(".")[0])

    def _register(self, pm: pluggy.PluginManager, plugin: Any, source: str) -> None:
        if pm.is_registered(plugin):
            return
        pm.register(plugin)
        try:
            pm.check_pending()
            caller = pm.subset_hook_caller("tensorplug_backends", [])
            impls = [impl for impl in caller.get_hookimpls() if impl.plugin is plugin]
            specs: list[Any] = []
            for impl in impls:
                specs.extend(cast("list[Any]", impl.function()) or [])
            for spec in specs:
                if not (
                    isinstance(spec, BackendSpec)
                    and isinstance(spec.name, str)
                    and spec.name
                    and callable(spec.load)
                ):
                    raise TypeError(
                        f"plugin {source}: tensorplug_backends() must return BackendSpec "
                        f"records with a name and a load() callable, got {spec!r}"
                    )
        except Exception:
            # A plugin that fails validation must not stay half-registered: pluggy would
            # report it again on every later registration.
            pm.unregister(plugin)
            raise
        for spec in specs:
            if spec.name in self._specs:
                self.broken[spec.name + "@" + source] = (
                    f"backend name {spec.name!r} from {source} is already provided by "
                    f"{self.sources[spec.name]}"
                )
                continue
            self._specs[spec.name] = spec
            self.sources[spec.name] = source
            self.plugins[spec.name] = plugin

    def register(self, plugin: Any, source: str = "registered at runtime") -> list[str]:
        pm = self.manager()
        before = set(self._specs)
        with self.lock:
            self._register(pm, plugin, source)
        return sorted(set(self._specs) - before)

    def unregister(self, name: str) -> None:
        with self.lock:
            self._specs.pop(name, None)
            self.sources.pop(name, None)
            self.loaded.pop(name, None)
            self.device_apis.pop(name, None)
            plugin = self.plugins.pop(name, None)
            pm = self.pm
            if (
                plugin is not None
                and plugin not in self.plugins.values()
                and pm is not None
                and pm.is_registered(plugin)
            ):
                pm.unregister(plugin)  # so the same plugin can be registered again

    def get(self, name: str) -> Backend:
        be = self.loaded.get(name)
        if be is not None:
            return be
        with self.lock:
            if name in self.loaded:
                return self.loaded[name]
            if name not in self._specs and not self.discovered:
                self._discover_one(name)
            spec = self._specs.get(name) or self.specs.get(name)
            if spec is None:
                if name in self.broken:
                    raise RuntimeError(f"backend {name!r} is broken: {self.broken[name]}")
                raise ValueError(
                    f"unknown backend {name!r}; available backends: "
                    f"{', '.join(sorted(self._specs)) or '(none)'}"
                )
            ok, reason = _probe(spec)
            if not ok:
                raise BackendUnavailableError(f"backend {name!r} is unavailable: {reason}")
            try:
                be = spec.load()
            except Exception as e:
                raise BackendUnavailableError(
                    f"backend {name!r} failed to load: {_describe(e)}"
                ) from e
            if not isinstance(be, Backend):
                raise TypeError(
                    f"backend {name!r}: load() returned {type(be).__name__}, "
                    "expected tensorplug.plugins.Backend"
                )
            self.loaded[name] = be
            return be

    def device_api(self, name: str) -> DeviceAPI | None:
        """The answer to ``tensorplug_device_api`` for backend ``name``, asked once."""
        if name in self.device_apis:
            return self.device_apis[name]
        api = self.manager().hook.tensorplug_device_api(backend_name=name)
        if api is not None and not isinstance(api, DeviceAPI):
            raise TypeError(
                f"tensorplug_device_api(backend_name={name!r}) returned {type(api).__name__}, "
                "expected tensorplug.plugins.DeviceAPI or None"
            )
        with self.lock:
            self.device_apis[name] = api
        return api


def _describe(e: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(e), e)).strip()


def _probe(spec: BackendSpec) -> tuple[bool, str]:
    if spec.probe is None:
        return True, ""
    try:
        return spec.probe()
    except Exception as e:  # noqa: BLE001 - a failing probe means "unavailable", with why
        return False, _describe(e)


REGISTRY = _Registry()


def _version(spec: BackendSpec) -> str:
    try:
        return spec.version() if callable(spec.version) else spec.version
    except Exception:  # noqa: BLE001
        return ""


def list_backends() -> list[BackendInfo]:
    """Every discovered backend with its availability, the reason if not, and its version.

    Example:
        >>> import tensorplug as tp
        >>> [(b.name, b.status) for b in tp.list_backends() if b.name == "numpy"]
        [('numpy', 'active')]
    """
    REGISTRY.manager()
    active = _current_name()
    rows = []
    for name, spec in sorted(REGISTRY.specs.items()):
        ok, reason = _probe(spec)
        status = "active" if ok and name == active else ("available" if ok else "unavailable")
        rows.append(
            BackendInfo(
                name, ok, reason, _version(spec), spec.device_type, REGISTRY.sources[name], status
            )
        )
    for name, err in sorted(REGISTRY.broken.items()):
        rows.append(BackendInfo(name, False, err, "", "?", "?", "broken"))
    return rows


# -- selection ------------------------------------------------------------------------------


class _Selection(threading.local):
    stack: list[str] | None = None


_sel = _Selection()
_global: list[str | None] = [None]


def _current_name() -> str:
    stack = _sel.stack
    if stack:
        return stack[-1]
    if _global[0] is not None:
        return _global[0]
    return os.environ.get("TENSORPLUG_BACKEND") or DEFAULT


def get_backend(name: str | None = None) -> Backend:
    """The backend new tensors are created on (or the one called ``name``)."""
    return REGISTRY.get(name or _current_name())


def set_backend(name: str | None) -> None:
    """Make ``name`` the process-wide default backend (``None`` restores the default).

    The backend is loaded at once, so a wrong or unavailable name fails here, not later.
    """
    if name is not None:
        REGISTRY.get(name)
    _global[0] = name


@contextlib.contextmanager
def use_backend(name: str) -> Iterator[Backend]:
    """Create tensors on backend ``name`` inside the block (thread-local).

    Example:
        >>> import tensorplug as tp
        >>> with tp.use_backend("numpy"):
        ...     tp.zeros(2).device
        device(type='cpu')
    """
    be = REGISTRY.get(name)
    if _sel.stack is None:
        _sel.stack = []
    _sel.stack.append(name)
    try:
        yield be
    finally:
        _sel.stack.pop()


def resolve(backend: str | Backend | None = None, device: Any = None) -> Backend:
    """The backend for a creation call with ``backend=`` and/or ``device=``."""
    if backend is not None:
        be = backend if isinstance(backend, Backend) else REGISTRY.get(backend)
        return be if device is None else on_device(be, device)
    if device is None:
        return REGISTRY.get(_current_name())
    return backend_for_device(device)


def on_device(be: Backend, device: Any) -> Backend:
    """The instance of ``be`` that places arrays on ``device`` (``cuda:1`` -> its device 1).

    ``cuda`` without an index means device 0, as it does for a new PyTorch tensor.
    """
    dev = Device.parse(device)
    if dev.type != be.device_type:
        raise ValueError(
            f"backend {be.name!r} has no device {str(dev)!r}; its tensors live on "
            f"{be.device_type!r}"
        )
    index = dev.index or 0
    spec = REGISTRY._specs.get(be.name)  # declared already: ``be`` was loaded from it
    if spec is not None and spec.on_device is not None:
        return spec.on_device(index)
    if index != 0:
        raise ValueError(f"backend {be.name!r} has a single {be.device_type} device; got {dev}")
    return be


def backend_for_device(device: Any) -> Backend:
    """The backend instance for ``device``: the selected backend if it has that device type,
    else the one that has it (the default backend first)."""
    dev = Device.parse(device)
    REGISTRY.manager()
    current = REGISTRY.get(_current_name()) if _current_name() in REGISTRY.specs else None
    if current is not None and current.device_type == dev.type:
        return on_device(current, dev)
    candidates = [n for n, s in REGISTRY.specs.items() if s.device_type == dev.type]
    if not candidates:
        raise ValueError(
            f"no backend provides device {str(dev)!r}; backends: "
            + ", ".join(f"{n} ({s.device_type})" for n, s in sorted(REGISTRY.specs.items()))
        )
    errors = []
    # The selected library's backend of that kind first (``torch`` selected, ``cuda`` asked:
    # ``torch_cuda``, the adapter's naming), then the default backend.
    sibling = f"{_current_name()}_{dev.type}"
    for n in sorted(candidates, key=lambda n: (n != sibling, n != DEFAULT)):
        try:
            be = REGISTRY.get(n)
        except BackendUnavailableError as e:
            errors.append(str(e))
            continue
        return on_device(be, dev)
    raise BackendUnavailableError("; ".join(errors))
