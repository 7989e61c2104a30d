"""Graph nodes and the reverse-mode engine.

Every differentiable op is one ``Node`` subclass named as PyTorch names it (``MulBackward0``)
holding its ``forward`` (on raw backend arrays) and its ``backward`` side by side. A backward
formula is written once against an *ops namespace*: the engine runs it with the backend's raw
kernels when ``create_graph=False`` (cheap) and with differentiable tensor ops when
``create_graph=True`` (so higher-order gradients work). Saved values come unpacked in the same
form: arrays in the first case, tensors in the second.
"""

from __future__ import annotations

import itertools
import sys
import weakref
from collections.abc import Callable, Sequence
from heapq import heappop, heappush
from typing import TYPE_CHECKING, Any, ClassVar, Concatenate, TypeVar

from ._grad_mode import anomaly, state

if TYPE_CHECKING:
    from ._backend import Backend
    from ._contract import KernelOps
    from ._tensor import Tensor

N = TypeVar("N", bound="Node")
"""A ``Node`` subclass: ``record(MulBackward0, ...)`` returns a ``MulBackward0``."""

OUT = -1
"""In ``Node.save``, the index that stands for the op's output."""

_FREED = ()

_seq_counter = itertools.count()
_next_seq = _seq_counter.__next__
"""A node's sequence number (``Node._seq``): nodes made later get larger ones, so a node's
consumers always have larger numbers than it (the engine's order, as PyTorch's)."""


class RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    __slots__ = ("_hook", "_hooks")

    def __init__(self, hooks: list[Any], hook: Any) -> None:
        self._hooks = hooks
        self._hook = hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


class _Extra:
    """A node's rarely set fields (see ``Node._extras``)."""

    __slots__ = ("post_hooks", "pre_hooks", "retain", "trace")

    def __init__(self) -> None:
        self.pre_hooks: list[Callable[..., Any]] | None = None
        self.post_hooks: list[Callable[..., Any]] | None = None
        self.retain: Any = None
        self.trace: list[str] | None = None


def _extra_field(name: str, doc: str) -> Any:
    """A ``Node`` attribute kept in its ``_Extra`` (None while the node has none)."""

    def get(node: Node) -> Any:
        extra = node._extra
        return None if extra is None else getattr(extra, name)

    def set_(node: Node, value: Any) -> None:
        setattr(node._extras(), name, value)

    return property(get, set_, doc=doc)


_RUN_FIELDS = frozenset(
    {"_plan", "backward", "backward_owned", "float_only", "elementwise", "save"}
)


class _NodeType(type):
    """Node's metaclass: keeps each node class's ``_run`` in step with what it holds.

    ``_run`` is ``(_plan, backward, backward_owned)`` as one class attribute. The engine
    reads it once per node: a graph mixes node classes, and Python's attribute caches
    specialise on one class per read site, so three class-attribute reads cost 90 ns a node
    there against 25 for one (benchmarks/bench_w3_overhead.py). ``_hot`` is the same for the
    compiled hot path: ``(float_only, elementwise, _plan, save[0] == 0)``. Reassigning any of
    these (a test's monkeypatch, a backend's fix) refreshes both here, for subclasses too.
    """

    def __new__(mcls, name: str, bases: tuple[type, ...], ns: dict[str, Any], **kw: Any) -> Any:
        # No per-instance ``__dict__`` unless a class asks for one: as PyTorch's, a node takes
        # no attributes of the user's, and every op class then shares ``Node``'s layout, which
        # ``NodeShell`` needs.
        ns.setdefault("__slots__", ())
        cls = super().__new__(mcls, name, bases, ns, **kw)
        node = globals().get("Node")
        if (
            node is not None
            and cls.__basicsize__ != node.__basicsize__
            and ("kernel" in ns or "forward" in ns)
        ):
            raise TypeError(
                f"node class {name} has instance slots of its own and a forward: "
                "unary/binary make every op's node as a NodeShell, whose layout is Node's"
            )
        return cls

    def __setattr__(cls, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name in _RUN_FIELDS:
            _refresh_run(cls)  # type: ignore[arg-type]  # the metaclass's instances are nodes

    def __delattr__(cls, name: str) -> None:
        super().__delattr__(name)
        if name in _RUN_FIELDS:
            _refresh_run(cls)  # type: ignore[arg-type]  # the metaclass's instances are nodes


def _refresh_run(cls: type[Node]) -> None:
    type.__setattr__(cls, "_run", (cls._plan, cls.backward, cls.backward_owned))
    save0 = bool(cls.save) and cls.save[0] == 0
    type.__setattr__(cls, "_hot", (bool(cls.float_only), bool(cls.elementwise), cls._plan, save0))
    for sub in cls.__subclasses__():
        _refresh_run(sub)


class Node(metaclass=_NodeType):
    """A backward function in the autograd graph, as PyTorch's ``grad_fn``.

    Subclasses for built-in ops set ``save`` (indices of the inputs to keep for backward,
    ``OUT`` for the output) and define ``forward(k, *arrays, *args)`` and
    ``backward(ctx, ops, grad, *saved)``; the latter returns one gradient (or ``None``) per
    input.
    """

    __slots__ = (
        "__weakref__",
        "_backend",
        "_out_vc",
        "_extra",
        "_seq",
        "_saved",
        "_versions",
        "args",
        "dtype",
        "metadata",
        "_next",
        "needs_input_grad",
        "shapes",
    )

    # Slot types, for the type checker (annotations only: values are set per instance).
    _backend: Backend
    _out_vc: list[Any]  # the output's version counter: set where the output is saved
    _seq: int  # when it was made (``_next_seq``): the engine runs newer nodes first
    _saved: tuple[Any, ...]
    _versions: tuple[int | None, ...]
    _next: tuple[Node | None, ...]
    args: tuple[Any, ...]
    dtype: tuple[Any, ...]
    metadata: dict[str, Any]
    needs_input_grad: tuple[bool, ...]
    shapes: tuple[Any, ...]

    save: ClassVar[tuple[int, ...]] = ()
    kernel: ClassVar[str] = ""
    """The backend kernel that is the op's forward, called with the input arrays and then the
    op's arguments (``"mul"``: ``k.mul(a, b)``); ``forward`` is derived from it. ``unary``
    and ``binary`` then call the kernel itself (``Backend.forward_of``), one call fewer."""
    op: ClassVar[str] = ""
    """The public name of the op, used in error messages."""
    float_only: ClassVar[bool] = False
    """Integer and bool inputs are cast to the default float dtype first (``exp``, ``div``)."""
    broadcasts: ClassVar[bool] = False
    """Inputs broadcast against each other (shape errors are reported as such)."""
    promote: ClassVar[bool] = True
    """Tensor inputs are promoted to a common dtype (``nary`` ops)."""
    saved_for: ClassVar[tuple[tuple[int, ...], ...] | None] = None
    """For each entry of ``save``, the inputs whose gradient uses it (None: all of them). A
    saved value that no needed gradient uses is not version-checked (PyTorch would not save it)."""
    elementwise: ClassVar[bool] = False
    """The output has the broadcast shape of the inputs (a pointwise op): when it also has
    the first input's dtype and nothing was broadcast, it takes that input's ``TensorMeta``."""
    backward_owned: ClassVar[Any] = None
    """Optional variant of ``backward`` that may overwrite ``grad`` in place: the engine calls
    it instead when nothing but the engine references the incoming gradient array (a plain
    backward, no post-hooks), so a large gradient needs no second buffer (ReLU's mask)."""
    _plan: ClassVar[int] = 0
    """How the engine unpacks saved values, from ``save`` (set per subclass): 0 nothing,
    1 the output, 2 one input, 3 two inputs (any two), 4 anything else (through ``_unpack``);
    -1 a leaf's ``AccumulateGrad``. One integer test per node instead of several."""
    _run: ClassVar[tuple[int, Any, Any]]
    """``(_plan, backward, backward_owned)``, kept by the metaclass: read once per node."""
    _hot: ClassVar[tuple[bool, bool, int, bool]]
    """``(float_only, elementwise, _plan, save[0] == 0)``, kept by the metaclass: what the
    compiled ``unary``/``binary`` read of the class (``_speedups.c``), in one lookup."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "forward" in cls.__dict__:
            if "kernel" not in cls.__dict__:
                cls.kernel = ""  # its own forward, not an inherited kernel
        elif cls.__dict__.get("kernel"):
            name = cls.kernel
            cls.forward = staticmethod(lambda k, *arrays: getattr(k, name)(*arrays))
        if "_plan" not in cls.__dict__ and "save" in cls.__dict__:  # else inherited as is
            save = cls.save
            if not save:
                cls._plan = 0
            elif len(save) == 1:
                cls._plan = 1 if save[0] == OUT else 2
            elif len(save) == 2 and OUT not in save:
                cls._plan = 3
            else:
                cls._plan = 4
        _refresh_run(cls)

    def __init__(self) -> None:
        self._extra: _Extra | None = None
        self._seq = _next_seq()

    # What few nodes have (hooks, a retained output, an anomaly-mode trace) lives in one
    # ``_Extra``, created on first use: a node made on the hot path sets one field, and the
    # engine tests one, instead of four each.
    _pre_hooks = _extra_field("pre_hooks", "Hooks run on the incoming gradient.")
    _post_hooks = _extra_field("post_hooks", "Hooks run on the computed gradients.")
    _retain = _extra_field("retain", "A weak reference to the output ``retain_grad`` keeps.")
    trace = _extra_field("trace", "Anomaly mode: the stack of the forward call that made it.")

    def _extras(self) -> _Extra:
        if self._extra is None:
            self._extra = _Extra()
        return self._extra

    @property
    def next_functions(self) -> tuple[tuple[Node | None, int], ...]:
        """PyTorch's ``(node, 0)`` pair per input (``(None, 0)``: it gets no gradient). Built
        on access: the graph keeps only the nodes (``_next``), one tuple per op fewer for the
        garbage collector to track."""
        return tuple([(n, 0) for n in self._next])

    @next_functions.setter
    def next_functions(self, edges: Sequence[tuple[Node | None, int]]) -> None:
        self._next = tuple([e[0] for e in edges])

    def name(self) -> str:
        """PyTorch's node name, e.g. ``MulBackward0``."""
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {id(self):#x}>"

    if TYPE_CHECKING:
        # Each op states its own arity (``backward(ctx, ops, g, x)``); the engine calls them
        # as ``type(node).backward(node, ops, g, *saved)``.
        forward: ClassVar[Callable[..., Any]]
        backward: ClassVar[Callable[Concatenate[Node, KernelOps, ...], tuple[Any, ...]]]
    else:

        @staticmethod
        def forward(k: Any, *args: Any) -> Any:
            raise NotImplementedError

        @staticmethod
        def backward(ctx: Node, ops: KernelOps, grad: Any, *saved: Any) -> tuple[Any, ...]:
            raise NotImplementedError

    # -- hooks, as on PyTorch's Node -------------------------------------------------------
    def register_hook(self, fn: Callable[..., Any]) -> RemovableHandle:
        """``fn(grad_inputs, grad_outputs)`` runs after this node computed its gradients; both
        are tuples of tensors (``None`` where an input gets no gradient), as in PyTorch."""
        be = self._backend

        def call(grad_inputs: tuple[Any, ...], grad_outputs: tuple[Any, ...]) -> None:
            fn(_as_tensors(grad_inputs, be), _as_tensors(grad_outputs, be))

        if self._post_hooks is None:
            self._post_hooks = []
        self._post_hooks.append(call)
        return RemovableHandle(self._post_hooks, call)

    def register_prehook(self, fn: Callable[..., Any]) -> RemovableHandle:
        """``fn(grad_outputs)`` runs before this node with a tuple of tensors; a returned
        tuple replaces them, as in PyTorch."""

        def call(g: Any) -> Any:
            r = fn((g,))
            return None if r is None else r[0]

        return self._add_prehook(call)

    def _add_prehook(self, fn: Callable[..., Any]) -> RemovableHandle:
        """``fn(grad)`` with one tensor: a ``Tensor.register_hook`` on this node's output."""
        if self._pre_hooks is None:
            self._pre_hooks = []
        self._pre_hooks.append(fn)
        return RemovableHandle(self._pre_hooks, fn)

    # -- saved values ------------------------------------------------------------------------
    def _unpack(self, as_tensors: bool) -> tuple[Any, ...]:
        saved = self._saved
        if saved is _FREED and self._versions:  # something was saved, and has been freed
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or "
                "if you need to access saved tensors after calling backward."
            )
        if not as_tensors and 0 < len(saved) <= 2:  # the engine's common cases, unrolled
            versions = self._versions
            value, version = saved[0], versions[0]
            if version is not None:
                vc = self._out_vc if self.save[0] == OUT else value._vc
                if vc[0] != version:
                    _raise_version_error(self, value, 0, vc[0], version)
                if self.save[0] != OUT:
                    value = value._data
            if len(saved) == 1:
                return (value,)
            second, version = saved[1], versions[1]
            if version is not None:
                vc = self._out_vc if self.save[1] == OUT else second._vc
                if vc[0] != version:
                    _raise_version_error(self, second, 1, vc[0], version)
                if self.save[1] != OUT:
                    second = second._data
            return (value, second)
        out = []
        for i, (value, version) in enumerate(zip(saved, self._versions)):
            if version is not None:
                vc = self._out_vc if self.save[i] == OUT else value._vc
                if vc[0] != version:
                    _raise_version_error(self, value, i, vc[0], version)
                if as_tensors:
                    value = (
                        value if self.save[i] != OUT else _Tensor._make(value, self._backend, self)
                    )
                elif self.save[i] != OUT:
                    value = value._data
            elif as_tensors and value is not None and not isinstance(value, (int, float)):
                value = _Tensor._make(value, self._backend)
            out.append(value)
        return tuple(out)


def _raise_version_error(node: Node, value: Any, i: int, now: int, expected: int | None) -> None:
    """Name the tensor that was modified (what made it, its shape, device and, in anomaly
    mode, where it was created) and the node that needed it; unless no gradient this node
    computes uses that value (``x[i] = x[i] * 2`` saves ``x[i]`` only for the 2's gradient)."""
    users = type(node).saved_for
    if users is not None and i < len(users) and not any(node.needs_input_grad[j] for j in users[i]):
        return
    # A custom Function's ctx saves a list of its own: no input index, the producer as now.
    slot = node.save[i] if i < len(node.save) else None
    changed = ""
    if slot == OUT:
        be = node._backend
        what = (
            f"{be.k.dtype_of(value).name} {list(value.shape)} on {be.device(value)} "
            f"({be.name})], which is the output of {node.name()}"
        )
        site = _creation_site(node)
        role = "its own output"
    else:
        # The producer recorded when the node was made; an in-place op since then has
        # rebased the tensor onto its own node, whose trace says where the change happened.
        in_graph = slot is not None and slot < len(node.next_functions)
        producer = node.next_functions[slot][0] if in_graph and slot is not None else value._grad_fn
        if isinstance(producer, AccumulateGrad) or producer is None:
            made = "a leaf tensor" if value._requires_grad else "a tensor without grad"
            site = ""
        elif in_graph:
            made = f"the output of {producer.name()}"
            site = _creation_site(producer)
        else:  # what made it before the change is not recorded; say what made it last
            made = f"now the output of {producer.name()}"
            at = _creation_site(producer)
            changed = f"\nIts current value was made at {at}." if at else ""
            site = ""
        what = (
            f"{value.dtype.name} {list(value.shape)} on {value.device} ({value.backend})], "
            f"which is {made}"
        )
        if in_graph and value._grad_fn is not None and value._grad_fn is not producer:
            at = _creation_site(value._grad_fn)
            changed = f"\nIt was changed in place by {value._grad_fn.name()}" + (
                f" at {at}." if at else "."
            )
        role = f"its input {slot}" if slot is not None else f"saved tensor {i}"
    where = (f"\nThe tensor was created at {site}." if site else "") + changed
    if node.trace is None:
        where += (
            "\nRun the forward pass under `with tensorplug.autograd.detect_anomaly():` to "
            "see where the tensor and the op that saved it were created."
        )
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [{what}, is at version {now}; expected version {expected} "
        f"instead. {node.name()} saved it as {role} for backward, and an in-place op "
        f"(a method ending in `_`, or an indexed assignment) changed it afterwards.{where}\n"
        "Hint: use the out-of-place op (`y = y.add(1)` rather than `y.add_(1)`), or "
        "clone() the tensor before modifying it."
    )


def describe(t: Any, with_site: bool = True) -> str:
    """A tensor as error messages name it: what made it, dtype, shape, device, creation site.

    The creation site is known for a non-leaf tensor made in anomaly mode.
    """
    fn = t._grad_fn
    made = (
        f"output of {fn.name()}"
        if fn is not None
        else ("leaf tensor, requires_grad=True" if t._requires_grad else "tensor without grad")
    )
    text = f"{t.dtype.name} {list(t.shape)} on {t.device} ({t.backend}), {made}"
    site = _creation_site(fn) if with_site else ""
    return f"{text}, created at {site}" if site else text


def _creation_site(node: Node | None) -> str:
    """``file:line in function: code`` of the last user frame that created ``node``, or ''."""
    if node is None or node.trace is None:
        return ""
    frames = _user_frames(node.trace)
    if not frames:
        return ""
    lines = frames[-1].strip().splitlines()
    head = lines[0].strip()  # 'File "x.py", line 3, in f'
    if head.startswith('File "'):
        path, _, rest = head[6:].partition('", line ')
        head = f"{path}:{rest.replace(', in ', ' in ', 1)}"
    return head + (f": {lines[1].strip()}" if len(lines) > 1 else "")


_PKG_DIR = __file__.rsplit("/", 1)[0].rsplit("\\", 1)[0]


def _user_frames(trace: Sequence[str]) -> list[str]:
    """``trace`` (``traceback.format_stack`` lines) without tensorplug's own frames at its end:
    the stack ends at the user's line that called the op."""
    end = len(trace)
    while end > 0 and _PKG_DIR in trace[end - 1].split("\n", 1)[0]:
        end -= 1
    return list(trace[:end]) or list(trace)


_refresh_run(Node)


class NodeShell(Node):
    """What ``unary`` and ``binary`` make a node as, before giving it its op's class.

    A graph mixes node classes, and Python's attribute caches specialise each store site on
    one class: filling ten fields of nodes of alternating classes costs about 0.1 µs more
    than filling them on one class and then setting ``__class__`` (a checked pointer swap, as
    every op class has ``Node``'s layout; benchmarks/bench_w3_overhead.py). A node is never
    seen as a ``NodeShell`` outside those two functions.
    """


class AccumulateGrad(Node):
    """The node of a leaf tensor: adds the incoming gradient into ``variable.grad``."""

    __slots__ = ("_var_ref",)
    _plan = -1

    def __init__(self, variable: Tensor) -> None:
        # Every field set here, without ``Node.__init__``: a parameter gets a new one per step.
        self._extra = None
        self._seq = _next_seq()
        self._var_ref = variable
        self._next = self._saved = ()
        self._backend = variable._backend

    @property
    def variable(self) -> Tensor:
        return self._var_ref


_Tensor: Any = None  # set by _tensor to break the import cycle


def _as_tensors(values: tuple[Any, ...], be: Backend) -> tuple[Any, ...]:
    """Raw gradient arrays (a plain backward) as tensors for user hooks."""
    return tuple(v if v is None or isinstance(v, _Tensor) else _Tensor._make(v, be) for v in values)


_new = object.__new__

# ``Node.backward_owned`` needs exact reference counts to prove a gradient unshared: CPython
# with the GIL has them; PyPy and free-threaded builds get 0 here, so it is never used there.
_getrefcount: Callable[[Any], int] = (
    sys.getrefcount
    if hasattr(sys, "getrefcount") and getattr(sys, "_is_gil_enabled", lambda: True)()
    else (lambda obj: 0)
)
_NEEDS1 = ((False,), (True,))
_NEEDS2 = (((False, False), (False, True)), ((True, False), (True, True)))
"""``needs_input_grad`` of a binary op, shared: ``_NEEDS2[a needs][b needs]``."""
_VERSION_0 = (0,)
_VERSION_NONE = (None,)
_NO_EDGE: tuple[None, int] = (None, 0)
"""The edge of an input that gets no gradient (a constant or a scalar); shared, so ``record``
can tell it apart by identity."""


def _edge(t: Any) -> tuple[Node | None, int]:
    fn = t._grad_fn
    if fn is not None:
        return (fn, 0)
    if t._requires_grad:
        return (t._accumulator(), 0)
    return (None, 0)


def record(
    cls: type[N], tensors: Sequence[Any], out: Any, args: tuple[Any, ...], backend: Backend
) -> N:
    """Make ``cls``'s node for an op whose inputs are ``tensors`` (tensors or scalars).

    Runs once per recorded op, so it is written for speed: no helper calls, no per-input
    tuples beyond the ones the node keeps.
    """
    node = _new(cls)
    node._extra = None
    node.args = args
    node._backend = backend
    if len(tensors) == 2:  # binary ops, unrolled: the most common case by far
        a, b = tensors
        if isinstance(a, _Tensor):
            fa = a._grad_fn
            if fa is None and a._requires_grad:
                fa = a._accumulator()
            d = a._data
            sa, ta = d.shape, d.dtype
        else:
            fa = sa = ta = None
        if isinstance(b, _Tensor):
            fb = b._grad_fn
            if fb is None and b._requires_grad:
                fb = b._accumulator()
            d = b._data
            sb, tb = d.shape, d.dtype
        else:
            fb = sb = tb = None
        node._next = (fa, fb)
        node.needs_input_grad = _NEEDS2[fa is not None][fb is not None]
        node.shapes = (sa, sb)
        node.dtype = (ta, tb)
    elif len(tensors) == 1 and isinstance(tensors[0], _Tensor):  # unary ops and views
        t = tensors[0]
        fn = t._grad_fn
        if fn is None and t._requires_grad:
            fn = t._accumulator()  # _accum is a weak reference: always go through this
        if fn is None:
            node._next = (None,)
            node.needs_input_grad = _NEEDS1[0]
        else:
            node._next = (fn,)
            node.needs_input_grad = _NEEDS1[1]
        meta = t._meta
        node.shapes, node.dtype = (meta if meta is not None else meta_of(t)).one
    else:
        edges = []
        shapes = []
        dtypes = []
        for t in tensors:
            if isinstance(t, _Tensor):
                fn = t._grad_fn
                if fn is None and t._requires_grad:
                    fn = t._accumulator()
                edges.append(_NO_EDGE if fn is None else (fn, 0))
                d = t._data
                shapes.append(d.shape)
                dtypes.append(d.dtype)
            else:
                edges.append(_NO_EDGE)
                shapes.append(None)
                dtypes.append(None)
        node._next = tuple([e[0] for e in edges])
        node.needs_input_grad = tuple([e is not _NO_EDGE for e in edges])
        node.shapes = tuple(shapes)
        node.dtype = tuple(dtypes)
    save = cls.save
    if not save:
        node._saved = node._versions = ()
    elif len(save) == 1:  # one saved value: no temporary lists (each allocation feeds the GC)
        i = save[0]
        if i == OUT:
            node._saved = (out,)
            node._versions = _VERSION_0
        else:
            t = tensors[i]
            node._saved = (t,)
            node._versions = (t._vc[0],) if isinstance(t, _Tensor) else _VERSION_NONE
    elif len(save) == 2 and OUT not in save:  # two inputs (mul, div, matmul, ...)
        a = tensors[save[0]]
        b = tensors[save[1]]
        node._saved = (a, b)
        node._versions = (
            a._vc[0] if isinstance(a, _Tensor) else None,
            b._vc[0] if isinstance(b, _Tensor) else None,
        )
    else:
        _save_general(node, save, tensors, out)
    if anomaly.enabled:
        _record_trace(node)
    node._seq = _next_seq()  # after its inputs' nodes, ``_accumulator()`` ones included
    return node


class SameShapes(tuple):  # type: ignore[type-arg]
    """``shapes`` of a two-input node whose inputs have one shape (or one is a number): an
    elementwise op's output has that shape too, so its backward has nothing to reduce and
    may skip ``sum_to`` (checked by class, once per node)."""

    __slots__ = ()


class OutDtype(tuple):  # type: ignore[type-arg]
    """``dtype`` of a node recorded by a pointwise op whose output has its inputs' one dtype
    (beside a number, if any). Its backward computes from the incoming gradient, saved values
    of that dtype and numbers, so its gradients have that dtype too: the engine skips its
    check of them (a gradient reaching a node always has the dtype of the node's output, as
    in PyTorch's engine: a root's is cast to it, and every node's results are checked or,
    here, known)."""

    __slots__ = ()


_Pair = tuple[tuple[Any, ...], tuple[Any, ...]]  # a node's ``(shapes, dtype)``


class TensorMeta:
    """A tensor's shape and native dtype, interned: tensors with equal ones share one object.

    Every node records its inputs' shapes and dtypes. Fetching a shape and hashing a
    ``(shape, dtype)`` key on every op cost about a sixth of a small op
    (``benchmarks/bench_w3_overhead.py``); a tensor instead keeps this object (``_meta``,
    computed on first use and passed on by elementwise ops), and a node's ``(shapes, dtype)``
    is one of its attributes or one lookup by identity. The tuples are shared by every node
    with the same inputs, which also leaves fewer objects for the garbage collector.
    """

    __slots__ = (
        "dtype",
        "one",
        "pairs",
        "pointwise",
        "pointwise2",
        "pointwise_scalar",
        "scalar",
        "shape",
    )

    def __init__(self, shape: Any, dtype: Any) -> None:
        self.shape = shape
        self.dtype = dtype
        self.one: _Pair = ((shape,), (dtype,))
        """A one-input node's ``(shapes, dtype)``."""
        self.scalar: _Pair = (SameShapes((shape, None)), (dtype, None))
        """A node's with this tensor first and a Python number second."""
        self.pointwise: _Pair = ((shape,), OutDtype((dtype,)))
        self.pointwise2: _Pair = (SameShapes((shape, shape)), OutDtype((dtype, dtype)))
        self.pointwise_scalar: _Pair = (SameShapes((shape, None)), OutDtype((dtype, None)))
        """``one``, a pair of this tensor and ``scalar``, for a pointwise op whose output has
        this dtype (``OutDtype``)."""
        self.pairs: dict[TensorMeta, _Pair] = {}
        """A two-input node's, by the second input's ``TensorMeta``."""

    def pair(self, other: TensorMeta) -> _Pair:
        """A two-input node's ``(shapes, dtype)`` with ``other`` second, kept in ``pairs``."""
        if len(self.pairs) > 64:  # bounded: the partners met may vary without end
            self.pairs.clear()
        shapes = (self.shape, other.shape)
        if self.shape == other.shape:
            shapes = SameShapes(shapes)
        value = self.pairs[other] = (shapes, (self.dtype, other.dtype))
        return value


_INTERNED: dict[tuple[Any, Any], TensorMeta] = {}


def meta_of(t: Tensor) -> TensorMeta:
    """``t``'s ``TensorMeta``, computed and kept on ``t`` when it has none yet."""
    d = t._data
    key = (d.shape, d.dtype)
    try:
        meta = _INTERNED.get(key)
    except TypeError:  # an unhashable native dtype: this tensor's own
        meta = TensorMeta(*key)
    else:
        if meta is None:
            if len(_INTERNED) > 4096:  # bounded: shapes may vary without end
                _INTERNED.clear()
            meta = _INTERNED[key] = TensorMeta(*key)
    t._meta = meta
    return meta


def _record_trace(node: Node) -> None:
    """Anomaly mode: keep where the node was created. Every frame but this helper's and the
    recorder's; readers drop tensorplug's own frames when they show it."""
    import traceback

    node.trace = traceback.format_stack()[:-2]


def _save_general(node: Node, save: tuple[int, ...], tensors: Sequence[Any], out: Any) -> None:
    saved = []
    versions: list[int | None] = []
    for i in save:
        if i == OUT:
            saved.append(out)
            versions.append(0)
        else:
            t = tensors[i]
            saved.append(t)
            versions.append(t._vc[0] if isinstance(t, _Tensor) else None)
    node._saved = tuple(saved)
    node._versions = tuple(versions)


# --------------------------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------------------------


def _parents(roots: Sequence[Node]) -> dict[Node, list[Node]]:
    """Each node reachable from ``roots`` with the nodes that point at it, which only
    ``backward(inputs=...)`` and ``grad`` need (to run only what leads to their inputs).

    Iterative, so a 100 000-op chain needs no recursion; a node is first reached when its
    entry is created, so the dict doubles as the visited set.
    """
    parents: dict[Node, list[Node]] = {}
    stack = list(roots)
    root_set = set(roots)
    while stack:
        node = stack.pop()
        for nxt in node._next:
            if nxt is None:
                continue
            seen = parents.get(nxt)
            if seen is None:
                parents[nxt] = [node]
                if nxt not in root_set:
                    stack.append(nxt)
            else:
                seen.append(node)
    return parents


def _above(targets: dict[Node, Any], parents: dict[Node, list[Node]]) -> set[Node]:
    """Nodes with a target strictly below them: the only ones worth running."""
    result: set[Node] = set()
    stack = list(targets)
    while stack:
        for p in parents.get(stack.pop(), ()):
            if p not in result:
                result.add(p)
                stack.append(p)
    return result


_NONE: dict[Any, Any] = {}
"""The empty ``targets`` and ``captured`` of a plain ``backward()``: shared, never written."""


def run_backward(
    roots: Sequence[tuple[Node, Any]],
    *,
    retain_graph: bool,
    create_graph: bool,
    accumulate: bool = True,
    inputs: Sequence[Any] | None = None,
) -> dict[Node, Any]:
    """Propagate ``roots`` (``(node, grad)`` pairs) to the leaves, in topological order.

    With ``accumulate=False`` (``autograd.grad``) nothing is written to ``.grad``: the grads
    reaching the nodes of ``inputs`` are returned instead, keyed by node. With ``inputs`` and
    ``accumulate=True`` (``backward(inputs=...)``) only those tensors get ``.grad``. Grads are
    raw arrays unless ``create_graph``, in which case they are tensors and every step is
    recorded.
    """
    targets: dict[Node, Any] = _NONE
    to_run = None
    # Nodes holding a gradient and not yet run, run in decreasing ``_seq`` (creation order,
    # newest first, as PyTorch orders its ready queue). A node's consumers are all newer than
    # it, and any reachable consumer still to run has a newer pending node on its way from
    # the roots, so the newest pending node has every gradient it will get: no dependency
    # count is needed. ``pending`` is a heap of ``(-_seq, node)``; ``buffers`` their
    # gradients.
    buffers: dict[Node, Any] = {}
    pending: list[tuple[int, Node]] = []
    root_nodes = []
    for node, g in roots:
        if node in buffers:
            buffers[node] = _accumulate(buffers[node], g, node._backend)
        else:
            buffers[node] = g
            root_nodes.append(node)
            heappush(pending, (-node._seq, node))
    if inputs is not None:
        targets = {}
        for t in inputs:
            fn = t._grad_fn if t._grad_fn is not None else t._accumulator()
            targets[fn] = t
        to_run = _above(targets, _parents(root_nodes))
    captured: dict[Node, Any] = _NONE if accumulate else {}
    grads: Any  # a node's gradients; None once used
    buf: Any
    saved: Any
    value: Any
    # Nodes whose buffered gradient is a sum this engine made: an array nobody else holds, so
    # later contributions are added into it in place.
    summed: set[Node] = set()
    prev_mode = state.grad_enabled
    state.grad_enabled = create_graph
    # Bound once: the loop below runs once per node and edge of the graph.
    pop_buffer, get_buffer = buffers.pop, buffers.get
    general = inputs is not None  # backward(inputs=...) or autograd.grad
    # The newest pending node, when newer than all of ``pending``, is held with its gradient
    # in two locals instead (a chain of ops then never touches the heap or ``buffers``).
    carry: Node | None = None
    carry_g: Any = None
    try:
        while carry is not None or pending:
            if carry is not None:
                node, g = carry, carry_g
                carry = carry_g = None
            else:
                node = heappop(pending)[1]
                g = pop_buffer(node)
            extra = node._extra
            if extra is not None and (extra.pre_hooks is not None or extra.retain is not None):
                g = _run_pre_hooks(node, g, create_graph)
            plan, fn, owned = node._run
            if general:
                if node in targets:
                    if not accumulate:
                        captured[node] = g
                    elif plan >= 0:
                        _store_grad(targets[node], g, node._backend, create_graph)
                if plan < 0:
                    if accumulate and node in targets:
                        _accumulate_into_leaf(node, g, create_graph)  # type: ignore[arg-type]
                    continue
                if to_run is not None and node not in to_run:
                    continue  # leads to no requested input
            elif plan < 0:
                if accumulate:
                    _accumulate_into_leaf(node, g, create_graph)  # type: ignore[arg-type]
                continue
            if create_graph or (extra is not None and extra.trace is not None):
                grads = _call_backward(node, g, create_graph)
            else:
                # The common case, inlined (it runs once per node): raw kernels, no anomaly
                # mode, saved values unpacked by ``plan`` (any mismatch, or a freed graph,
                # goes through ``_unpack``, which names it), and the gradients' dtypes
                # checked against the inputs' by identity first.
                k = node._backend.k
                if plan == 0:
                    grads = fn(node, k, g)
                elif plan == 3:  # two saved inputs (mul, div, mm)
                    saved = node._saved
                    if saved is _FREED:
                        grads = fn(node, k, g, *node._unpack(False))
                    else:
                        sa, sb = saved
                        va, vb = node._versions
                        if (va is not None and sa._vc[0] != va) or (
                            vb is not None and sb._vc[0] != vb
                        ):
                            grads = fn(node, k, g, *node._unpack(False))
                        else:
                            grads = fn(
                                node,
                                k,
                                g,
                                sa if va is None else sa._data,
                                sb if vb is None else sb._data,
                            )
                        sa = sb = None
                elif plan <= 2:  # one saved value: the output (1) or an input (2)
                    saved = node._saved
                    if saved is _FREED:
                        value = node._unpack(False)[0]
                    else:
                        value = saved[0]
                        version = node._versions[0]
                        if version is not None:
                            if plan == 1:
                                if node._out_vc[0] != version:
                                    value = node._unpack(False)[0]
                            elif value._vc[0] == version:
                                value = value._data
                            else:
                                value = node._unpack(False)[0]
                    if (
                        owned is not None
                        and (extra is None or extra.post_hooks is None)
                        and _getrefcount(g) == 2  # only this frame's ``g`` refers to it
                    ):
                        fn = owned
                    grads = fn(node, k, g, value)
                    value = None
                else:
                    grads = fn(node, k, g, *node._unpack(False))
                saved = None
                dts = node.dtype
                n = 0 if dts.__class__ is OutDtype and extra is None else len(dts)
                if n == 2:
                    g0, g1 = grads
                    if (g0 is not None and g0.dtype is not dts[0]) or (
                        g1 is not None and g1.dtype is not dts[1]
                    ):
                        grads = _match_dtypes(node, grads, False)
                    g0 = g1 = None
                elif n == 1:
                    g0 = grads[0]
                    if g0 is not None and g0.dtype is not dts[0]:
                        grads = _match_dtypes(node, grads, False)
                    g0 = None
                elif n:
                    for gi, dt in zip(grads, dts):
                        if gi is not None and gi.dtype is not dt and gi.dtype != dt:
                            grads = _match_dtypes(node, grads, False)
                            break
            if not retain_graph:
                node._saved = _FREED
            extra = node._extra  # a pre-hook may have added post-hooks
            if extra is not None and extra.post_hooks is not None:
                for hook in extra.post_hooks:
                    hook(grads, (g,))
            for nxt, gi in zip(node._next, grads):
                if nxt is None or gi is None:
                    continue
                if nxt is carry:  # a second gradient from this node (``y * y``)
                    carry_g = _accumulate(carry_g, gi, nxt._backend)
                    continue
                buf = get_buffer(nxt)
                if buf is None:  # ``nxt`` is pending from now on
                    seq = nxt._seq
                    if carry is None:
                        if not pending or seq > -pending[0][0]:
                            carry, carry_g = nxt, gi
                            continue
                    elif seq > carry._seq:
                        buffers[carry] = carry_g
                        heappush(pending, (-carry._seq, carry))
                        carry, carry_g = nxt, gi
                        continue
                    buffers[nxt] = gi
                    heappush(pending, (-seq, nxt))
                elif (
                    nxt in summed
                    and not create_graph
                    and buf.shape == gi.shape
                    and buf.dtype == gi.dtype
                ):
                    nxt._backend.k.iadd(buf, gi)
                else:
                    buffers[nxt] = _accumulate(buf, gi, nxt._backend)
                    summed.add(nxt)
                buf = None
            # Drop this frame's references: a gradient held only by ``buffers`` or ``carry_g``
            # is one the next node may overwrite (``backward_owned``), and frees as soon as it
            # is used.
            g = grads = gi = None
    finally:
        state.grad_enabled = prev_mode
    return captured


def _accumulate(a: Any, b: Any, be: Backend) -> Any:
    # Never in place: the first gradient may be an array another node also holds. Raw arrays
    # go through the backend's kernel, not ``+``: a GPU backend runs kernels on its device.
    return a + b if isinstance(a, _Tensor) else be.k.add(a, b)


def _call_backward(node: Node, g: Any, create_graph: bool) -> tuple[Any, ...]:
    backend = node._backend
    try:
        if create_graph:
            from ._tensor_ops import TENSOR_OPS

            grads = type(node).backward(node, TENSOR_OPS, g, *node._unpack(True))
        else:
            grads = type(node).backward(node, backend.k, g, *node._unpack(False))
    except Exception as e:
        if node.trace is not None and not getattr(e, "_tp_traced", False):
            e._tp_traced = True  # type: ignore[attr-defined]
            _add_note(
                e,
                f"Error detected in {node.name()} during backward (anomaly mode). Traceback of "
                "the forward call that created it:\n" + "".join(_user_frames(node.trace)),
            )
        raise
    if node.trace is not None and anomaly.check_nan:
        _check_anomaly(node, grads, create_graph)
    return _match_dtypes(node, grads, create_graph)


def _match_dtypes(node: Node, grads: Any, create_graph: bool) -> tuple[Any, ...]:
    """Each gradient gets its input's dtype (inputs promoted in forward differ from it)."""
    if not create_graph:  # raw arrays that already match: by far the common case
        for gi, dt in zip(grads, node.dtype):
            if gi is not None and gi.dtype is not dt and gi.dtype != dt:
                break
        else:
            return grads  # type: ignore[no-any-return]
    fixed = None
    for i, (gi, dt) in enumerate(zip(grads, node.dtype)):
        if gi is None:
            continue
        have = gi._data.dtype if create_graph else gi.dtype
        if have is not dt and have != dt:
            fixed = list(grads) if fixed is None else fixed
            be = node._backend
            target = _tp_dtype(be, dt)
            fixed[i] = gi.to(target) if create_graph else be.k.astype(gi, target)
    return grads if fixed is None else tuple(fixed)


def _tp_dtype(be: Backend, native: Any) -> Any:
    for d, n in be.dtypes.items():
        if n == native:
            return d
    raise TypeError(f"no tensorplug dtype for {native}")


def _add_note(e: BaseException, note: str) -> None:
    """``e.add_note`` on Python 3.11+; on 3.10 the note is appended to the message."""
    if sys.version_info >= (3, 11):
        e.add_note(note)
    elif e.args and isinstance(e.args[0], str):
        e.args = (f"{e.args[0]}\n{note}", *e.args[1:])


def _check_anomaly(node: Node, grads: tuple[Any, ...], create_graph: bool) -> None:
    k = node._backend.k
    for i, gi in enumerate(grads):
        if gi is None:
            continue
        arr = gi._data if create_graph else gi
        if not (k.dtype_of(arr).is_floating_point and bool(k.any_nonfinite(arr))):
            continue
        # NaN is the one value unequal to itself; otherwise the non-finite value is an inf.
        kind = "nan" if bool(k.to_host(k.amax(k.ne(arr, arr), None, False))) else "inf"
        raise RuntimeError(
            f"Function '{node.name()}' returned {kind} values in its {i}th output (the gradient "
            f"for its input {i}, {k.dtype_of(arr).name} {list(arr.shape)}). The forward op "
            f"was created at {_creation_site(node)}; its backward formula met a value where "
            "the derivative is not finite (e.g. sqrt or log at 0, division by 0), or received "
            "a non-finite gradient from above.\nTraceback of the forward call:\n"
            + "".join(_user_frames(node.trace or []))
        )


def _hook_result(hook: Any, g: Any, r: Any, be: Backend, create_graph: bool) -> Any:
    """A tensor hook's replacement for gradient ``g`` (an array, or a tensor under
    ``create_graph``), refused as PyTorch refuses it when its dtype or size differs."""
    if not isinstance(r, _Tensor):
        raise TypeError(f"hook {_hook_name(hook)} returned {type(r).__name__}, not a Tensor")
    was = g if create_graph else _Tensor._make(g, be)
    if r.dtype != was.dtype:
        raise RuntimeError(
            f"hook {_hook_name(hook)} has changed the type of value (was {was.dtype} got {r.dtype})"
        )
    if r.shape != was.shape:
        raise RuntimeError(
            f"hook {_hook_name(hook)} has changed the size of value (was {list(was.shape)} "
            f"got {list(r.shape)})"
        )
    return r if create_graph else r._data


def _hook_name(hook: Any) -> str:
    return f"'{getattr(hook, '__name__', type(hook).__name__)}'"


def _run_pre_hooks(node: Node, g: Any, create_graph: bool) -> Any:
    if node._pre_hooks:
        for hook in node._pre_hooks:
            r = hook(g if create_graph else _Tensor._make(g, node._backend))
            if r is not None:
                g = _hook_result(hook, g, r, node._backend, create_graph)
    if node._retain is not None:
        t = node._retain()
        if t is not None:
            _store_grad(t, g, node._backend, create_graph)
    return g


def _store_grad(t: Any, g: Any, be: Backend, create_graph: bool) -> None:
    """``.grad`` of a non-leaf (``retain_grad`` or ``backward(inputs=...)``): accumulates."""
    if not create_graph:
        g = _Tensor._make(be.k.copy(g), be)
    t._grad = g if t._grad is None else t._grad + g


def _accumulate_into_leaf(node: AccumulateGrad, g: Any, create_graph: bool) -> None:
    var = node._var_ref
    be = node._backend
    hooks = var._hooks
    if hooks:
        for hook in hooks:
            r = hook(g if create_graph else _Tensor._make(g, be))
            if r is not None:
                g = _hook_result(hook, g, r, be, create_graph)
    if create_graph:
        var._grad = g if var._grad is None else var._grad + g
    elif var._grad is None:
        # Own the array: the incoming gradient may be shared with other nodes.
        var._grad = _Tensor._make(be.k.copy(g), be)
    elif var._grad._requires_grad:
        var._grad = _Tensor._make(be.k.add(var._grad._data, g), be)
    else:
        old = var._grad._data
        if (old.dtype is g.dtype or old.dtype == g.dtype) and old.shape == g.shape:
            be.k.iadd(old, g)
        else:
            var._grad = _Tensor._make(be.k.add(old, g), be)
    if node._post_hooks:
        for hook in node._post_hooks:
            hook((), (g,))


def retain(node: Node, tensor: Tensor) -> None:
    node._retain = weakref.ref(tensor)
