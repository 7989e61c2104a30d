"""The autograd graph's data model, and ``record``: the one place an op joins the graph.

* ``TensorBase``: the fields every tensor carries (its array, backend and autograd state);
  ``Tensor`` (``_tensor.py``) is the public class built on it, as PyTorch's ``Tensor`` is on
  ``torch._C.TensorBase``.
* ``Node``: a backward function in the graph (PyTorch's ``grad_fn``). Every differentiable op
  is one ``Node`` subclass, named as PyTorch names it (``MulBackward0``), holding its forward
  and its backward side by side (see ``_ops_pointwise.py``).
* ``TensorMeta``: a tensor's shape and dtype, interned, which nodes record.
* ``record``: makes an op's node (edges, what backward needs, saved values with their
  versions) and links its output to it. ``unpack`` gives the saved values back, checked.

This module is compiled where the install could (``_graph.pxd`` declares the fields as C
struct members, so the compiled code reads them directly); the same file runs as plain
Python otherwise (``_compiled.py``, docs/architecture.md). The logic exists once, here.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from ._grad_mode import switches

if TYPE_CHECKING:
    from ._backend import Backend
    from ._contract import KernelOps
    from ._tensor import Tensor

OUT = -1
"""In ``Node.save``, the index that stands for the op's output."""

# How a node keeps what its backward needs (``Node.save``, summarised per class in
# ``OpSpec.saves``): the engine unpacks the common shapes without a loop.
SAVES_NOTHING = 0
SAVES_OUTPUT = 1
SAVES_INPUT = 2
"""One input."""
SAVES_INPUTS = 3
"""Two inputs, neither of them the output."""
SAVES_OTHER = 4
"""Anything else, unpacked by ``unpack``."""
LEAF = -1
"""``AccumulateGrad``: the node of a leaf, which has no backward of its own."""

FREED = ()
"""A node's ``_saved`` after a backward released it (its ``_versions`` stay)."""

_seq_counter = itertools.count()
"""Nodes' sequence numbers (``Node._seq``, ``next(_seq_counter)``): nodes made later get
larger ones, so a node's consumers always have larger numbers than it (the engine's order, as
PyTorch's). The counter is thread-safe: no two nodes share a number."""


# --------------------------------------------------------------------------------------------
# Tensors
# --------------------------------------------------------------------------------------------


class TensorBase:
    """The fields of a tensor. Make one with ``new_tensor``, which sets every field.

    ``_data`` the backend array; ``_backend`` its ``Backend``; ``_grad_fn`` the node that made
    it (None for a leaf); ``_requires_grad``; ``_grad``; ``_accum`` a weak reference to a
    leaf's ``AccumulateGrad``; ``_hooks`` a leaf's gradient hooks; ``_base`` the tensor a
    view was made from; ``_view_ops`` how its array was made from the array that owns its
    memory, whether or not it is in the graph: the view ops in order, each ``(node class, its
    arguments, the shape it was applied to)``, or None for an array that owns its memory (a
    view's ``_base`` owns it, or is a detached alias of one that does); ``_views`` weak
    references to a base's views made in grad mode (or None); ``_vc`` its ``VersionCounter``,
    shared with its views; ``_meta`` its ``TensorMeta`` once known.
    """

    __slots__ = (
        "__weakref__",
        "_accum",
        "_backend",
        "_base",
        "_data",
        "_grad",
        "_grad_fn",
        "_hooks",
        "_meta",
        "_requires_grad",
        "_vc",
        "_view_ops",
        "_views",
    )


class VersionCounter:
    """How often a tensor's memory was changed in place: one per array, shared by the tensor,
    its views and its detached aliases, as PyTorch's version counter is. A node saving a tensor
    records the version; backward refuses a value changed since (``unpack``). Compiled, it is
    a C integer the garbage collector need not track.
    """

    __slots__ = ("version",)
    version: int


def new_tensor(
    cls: type[Tensor],
    data: Any,
    backend: Backend,
    grad_fn: Node | None = None,
    base: Tensor | None = None,
) -> Tensor:
    """A tensor of class ``cls`` (``Tensor`` or a subclass) holding array ``data``.

    A view (``base`` given) shares its base's version counter.
    """
    t = TensorBase.__new__(cls)
    t._data = data
    t._backend = backend
    t._grad_fn = grad_fn
    t._requires_grad = grad_fn is not None
    t._grad = None
    t._accum = None
    t._hooks = None
    t._base = base
    if base is None:
        vc = VersionCounter.__new__(VersionCounter)
        vc.version = 0
        t._vc = vc
    else:
        t._vc = base._vc
    t._meta = None
    t._view_ops = None
    t._views = None
    return t


def accumulator(t: Tensor) -> AccumulateGrad:
    """Leaf ``t``'s node in the graph being built. The tensor holds it weakly and the node
    holds the tensor, as in PyTorch: the graphs keep both alive, and once they are gone a leaf
    dropped by the user is freed at once rather than left to the cycle collector."""
    ref = t._accum
    acc = ref() if ref is not None else None
    if acc is None:
        acc = AccumulateGrad(t)
        t._accum = weakref.ref(acc)
    return acc


# --------------------------------------------------------------------------------------------
# Shapes and dtypes, interned
# --------------------------------------------------------------------------------------------


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

    Every node records its inputs' shapes and dtypes. Rather than fetch and hash them on every
    op, a tensor keeps this object (``_meta``, computed on first use and passed on by
    elementwise ops), and a node's ``(shapes, dtype)`` is one of its attributes or one lookup
    by identity; those tuples are shared by every node with the same inputs, which also
    leaves fewer objects for the garbage collector (docs/performance.md).

    ``one`` is a one-input node's ``(shapes, dtype)``; ``scalar`` a node's with this tensor
    first and a Python number second; ``pointwise``, ``pointwise2`` (this tensor twice) and
    ``pointwise_scalar`` the same for a pointwise op whose output has this dtype
    (``OutDtype``); ``pairs`` a two-input node's, by the second input's ``TensorMeta``.
    ``category`` is the dtype's promotion category (``_dtype.BOOL``, ``INT``, ``FLOAT``).
    """

    __slots__ = (
        "category",
        "dtype",
        "one",
        "pairs",
        "pointwise",
        "pointwise2",
        "pointwise_scalar",
        "scalar",
        "shape",
    )

    def __init__(self, shape: Any, dtype: Any, category: int) -> None:
        self.shape = shape
        self.dtype = dtype
        self.category = category
        self.one = ((shape,), (dtype,))
        self.scalar = (SameShapes((shape, None)), (dtype, None))
        self.pointwise = ((shape,), OutDtype((dtype,)))
        self.pointwise2 = (SameShapes((shape, shape)), OutDtype((dtype, dtype)))
        self.pointwise_scalar = (SameShapes((shape, None)), OutDtype((dtype, None)))
        self.pairs: dict[TensorMeta, _Pair] = {}

    def pair(self, other: TensorMeta) -> _Pair:
        """A two-input node's ``(shapes, dtype)`` with ``other`` second, kept in ``pairs``."""
        pairs = self.pairs
        value = pairs.get(other)
        if value is None:
            if len(pairs) > 64:  # bounded: the partners met may vary without end
                pairs.clear()
            shapes = (self.shape, other.shape)
            if self.shape == other.shape:
                shapes = SameShapes(shapes)
            value = pairs[other] = (shapes, (self.dtype, other.dtype))
        return value


_INTERNED: dict[tuple[Any, ...], TensorMeta] = {}


def meta_of(t: Tensor) -> TensorMeta:
    """``t``'s ``TensorMeta``, computed and kept on ``t`` when it has none yet."""
    meta = t._meta
    if meta is not None:
        return meta
    d = t._data
    # The dtype's type first: dtypes of two libraries are then never compared (array-api-strict
    # warns when its dtypes meet NumPy's, which hash alike).
    key = (type(d.dtype), d.shape, d.dtype)
    try:
        meta = _INTERNED.get(key)
    except TypeError:  # an unhashable native dtype: this tensor's own
        meta = TensorMeta(d.shape, d.dtype, t._backend.k.dtype_of(d).category)
    else:
        if meta is None:
            if len(_INTERNED) > 4096:  # bounded: shapes may vary without end
                _INTERNED.clear()
            category = t._backend.k.dtype_of(d).category
            meta = _INTERNED[key] = TensorMeta(d.shape, d.dtype, category)
    t._meta = meta
    return meta


# --------------------------------------------------------------------------------------------
# Nodes
# --------------------------------------------------------------------------------------------


class NodeBase:
    """The fields of a graph node; ``Node`` is the class ops derive from.

    ``_backend`` the op's backend; ``_next`` the input nodes (PyTorch's ``next_functions``
    without the indices); ``needs_input_grad``; ``shapes`` and ``dtype`` of the inputs;
    ``args`` the op's non-tensor arguments; ``_saved`` and ``_versions`` what backward needs,
    with the version of each saved tensor; ``_out_vc`` the output's version counter; ``_seq``
    when it was made; ``_extra`` what few nodes have (``_Extra``).
    """

    __slots__ = (
        "__weakref__",
        "_backend",
        "_extra",
        "_next",
        "_out_vc",
        "_saved",
        "_seq",
        "_versions",
        "args",
        "dtype",
        "needs_input_grad",
        "shapes",
    )


class _Extra:
    """A node's rarely set fields, in one object created on first use: a node made on the hot
    path sets one field, and the engine tests one, instead of five each."""

    __slots__ = ("metadata", "post_hooks", "pre_hooks", "retain", "trace")

    def __init__(self) -> None:
        self.pre_hooks: list[Callable[..., Any]] | None = None
        self.post_hooks: list[Callable[..., Any]] | None = None
        self.retain: Any = None
        self.trace: list[str] | None = None
        self.metadata: dict[str, Any] | None = None


def _extras(node: Node) -> _Extra:
    extra = node._extra
    if extra is None:
        extra = node._extra = _Extra()
    return extra


def _extra_field(name: str, doc: str) -> Any:
    """A ``Node`` attribute kept in its ``_Extra`` (None while the node has none)."""

    def get(node: Node) -> Any:
        extra = node._extra
        return None if extra is None else getattr(extra, name)

    def set_(node: Node, value: Any) -> None:
        setattr(_extras(node), name, value)

    return property(get, set_, doc=doc)


class OpSpec:
    """What dispatch, recording and the engine read of a node class, gathered in one object
    per class (``Node._spec``) that ``Node``'s metaclass refreshes, in place, whenever one of
    these class attributes is set or deleted (a subclass, a test's monkeypatch, a backend's
    fix): whoever holds the object sees the change.
    """

    __slots__ = (
        "backward",
        "backward_owned",
        "elementwise",
        "float_only",
        "forwards",
        "save",
        "saves",
    )

    def __init__(self, cls: type[Node]) -> None:
        self.forwards: dict[Any, tuple[Any, Any]] = {}
        """The op's forward on each backend, with its ``nd`` variant (``_dispatch.forwards``)."""
        save = tuple(cls.save)
        self.save = save
        self.float_only = bool(cls.float_only)
        self.elementwise = bool(cls.elementwise)
        self.backward = cls.backward
        self.backward_owned = cls.backward_owned
        saves = cls.__dict__.get("saves_as")
        if saves is None:
            for klass in cls.__mro__:
                saves = klass.__dict__.get("saves_as")
                if saves is not None or "save" in klass.__dict__:
                    break
        if saves is None:
            if not save:
                saves = SAVES_NOTHING
            elif len(save) == 1:
                saves = SAVES_OUTPUT if save[0] == OUT else SAVES_INPUT
            elif len(save) == 2 and OUT not in save:
                saves = SAVES_INPUTS
            else:
                saves = SAVES_OTHER
        self.saves = saves


_SPEC_FIELDS = frozenset(
    {"backward", "backward_owned", "elementwise", "float_only", "save", "saves_as"}
)


class _NodeType(type):
    """Node's metaclass: node classes take no instance attributes of the user's (as PyTorch's
    nodes), and each keeps its ``_spec`` in step with what it holds."""

    def __new__(mcls, name: str, bases: tuple[type, ...], ns: dict[str, Any], **kw: Any) -> Any:
        ns.setdefault("__slots__", ())
        return super().__new__(mcls, name, bases, ns, **kw)

    def __setattr__(cls, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name in _SPEC_FIELDS:
            _refresh_spec(cls)  # type: ignore[arg-type]  # the metaclass's instances are nodes

    def __delattr__(cls, name: str) -> None:
        super().__delattr__(name)
        if name in _SPEC_FIELDS:
            _refresh_spec(cls)  # type: ignore[arg-type]


def _refresh_spec(cls: type[Node]) -> None:
    spec = cls.__dict__.get("_spec")
    if spec is None:
        type.__setattr__(cls, "_spec", OpSpec(cls))
    else:
        spec.__init__(cls)  # in place: operator methods hold it (``_dispatch.operator``)
    for sub in cls.__subclasses__():
        _refresh_spec(sub)


class Node(NodeBase, metaclass=_NodeType):
    """A backward function in the autograd graph, as PyTorch's ``grad_fn``.

    Subclasses for built-in ops set ``save`` (indices of the inputs to keep for backward,
    ``OUT`` for the output) and define ``forward(k, *arrays, *args)`` (or name its one
    ``kernel``) and ``backward(ctx, ops, grad, *saved)``; the latter returns one gradient (or
    ``None``) per input. The node itself is the ``ctx``.
    """

    # Field types, for the type checker (the fields are ``NodeBase``'s slots).
    _backend: Backend
    _extra: _Extra | None
    _next: tuple[Node | None, ...]
    _out_vc: VersionCounter
    _saved: tuple[Any, ...]
    _seq: int
    _versions: tuple[int | None, ...]
    args: tuple[Any, ...]
    dtype: tuple[Any, ...]
    needs_input_grad: tuple[bool, ...]
    shapes: tuple[Any, ...]

    save: ClassVar[tuple[int, ...]] = ()
    kernel: ClassVar[str] = ""
    """The backend kernel that is the op's forward, called with the input arrays and then the
    op's arguments (``"mul"``: ``k.mul(a, b)``); ``forward`` is derived from it, and the
    dispatch calls the kernel itself (one call fewer)."""
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
    refuses_bool: ClassVar[str | None] = None
    """PyTorch's error for a bool input (``sub``, ``neg``): raised where the dispatch looks at
    dtypes anyway (promotion, a bool number, a kernel's failure), never on the common path."""
    saves_as: ClassVar[int | None] = None
    """How the engine unpacks this class's saved values (``SAVES_*``); None: derived from
    ``save``. A class whose ``_saved`` is not laid out as ``save`` says ``SAVES_OTHER``."""
    _spec: ClassVar[OpSpec]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "forward" in cls.__dict__:
            if "kernel" not in cls.__dict__:
                cls.kernel = ""  # its own forward, not an inherited kernel
        elif cls.__dict__.get("kernel"):
            name = cls.kernel
            cls.forward = staticmethod(lambda k, *arrays: getattr(k, name)(*arrays))
        _refresh_spec(cls)

    @property
    def next_functions(self) -> tuple[tuple[Node | None, int], ...]:
        """PyTorch's ``(node, 0)`` pair per input (``(None, 0)``: it gets no gradient). Built
        on access: the graph keeps only the nodes (``_next``)."""
        return tuple([(n, 0) for n in self._next])

    @next_functions.setter
    def next_functions(self, edges: Sequence[tuple[Node | None, int]]) -> None:
        self._next = tuple([e[0] for e in edges])

    _pre_hooks = _extra_field("pre_hooks", "Hooks run on the incoming gradient.")
    _post_hooks = _extra_field("post_hooks", "Hooks run on the computed gradients.")
    _retain = _extra_field("retain", "A weak reference to the output ``retain_grad`` keeps.")
    trace = _extra_field("trace", "Anomaly mode: the stack of the forward call that made it.")

    @property
    def metadata(self) -> dict[str, Any]:
        """A dict of the user's, kept with the node (PyTorch's ``Node.metadata``)."""
        extra = _extras(self)
        if extra.metadata is None:
            extra.metadata = {}
        return extra.metadata

    def name(self) -> str:
        """PyTorch's node name, e.g. ``MulBackward0``."""
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {id(self):#x}>"

    if TYPE_CHECKING:
        # Each op states its own arity (``backward(ctx, ops, g, x)``); the engine calls them
        # as ``type(node).backward(node, ops, g, *saved)``. ``ctx`` is that node, so an op may
        # annotate it with its own class; ``ops`` is always a ``KernelOps``.
        forward: ClassVar[Callable[..., Any]]

        @staticmethod
        def backward(ctx: Any, ops: KernelOps, grad: Any, *saved: Any) -> tuple[Any, ...]: ...
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
        extra = _extras(self)
        if extra.post_hooks is None:
            extra.post_hooks = []
        extra.post_hooks.append(fn)
        return RemovableHandle(extra.post_hooks, fn)

    def register_prehook(self, fn: Callable[..., Any]) -> RemovableHandle:
        """``fn(grad_outputs)`` runs before this node with a tuple of tensors; a returned
        tuple replaces them, as in PyTorch."""

        def call(g: Any) -> Any:
            r = fn((g,))
            return None if r is None else r[0]

        return self._add_prehook(call)

    def _add_prehook(self, fn: Callable[..., Any]) -> RemovableHandle:
        """``fn(grad)`` with one tensor: a ``Tensor.register_hook`` on this node's output."""
        extra = _extras(self)
        if extra.pre_hooks is None:
            extra.pre_hooks = []
        extra.pre_hooks.append(fn)
        return RemovableHandle(extra.pre_hooks, fn)


class AccumulateGrad(Node):
    """The node of a leaf tensor: adds the incoming gradient into ``variable.grad``."""

    __slots__ = ("_var_ref",)
    saves_as = LEAF

    def __init__(self, variable: Tensor) -> None:
        # Every field, as ``record`` sets them for other nodes: a leaf has no inputs.
        self._backend = variable._backend
        self._extra = None
        self._next = self._saved = self._versions = self.args = ()
        self.shapes = self.dtype = self.needs_input_grad = self._out_vc = None  # type: ignore[assignment]
        self._var_ref = variable
        self._seq = next(_seq_counter)

    @property
    def variable(self) -> Tensor:
        return self._var_ref


class RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    __slots__ = ("_hook", "_hooks")

    def __init__(self, hooks: list[Any], hook: Any) -> None:
        self._hooks = hooks
        self._hook = hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def retain(node: Node, tensor: Tensor) -> None:
    """``tensor.retain_grad()``: ``node`` (its ``grad_fn``) stores its gradient."""
    _extras(node).retain = weakref.ref(tensor)


# --------------------------------------------------------------------------------------------
# Recording
# --------------------------------------------------------------------------------------------

_NEEDS1 = ((False,), (True,))
_NEEDS2 = (((False, False), (False, True)), ((True, False), (True, True)))
"""``needs_input_grad`` of a one- and a two-input op, shared: ``_NEEDS2[a needs][b needs]``."""
_NO_VERSION = (None,)
_VERSION_0 = (0,)


def _version_of(x: Any) -> int | None:
    """The version of tensor ``x`` (None for a number)."""
    if isinstance(x, TensorBase):
        t: Tensor = x  # type: ignore[assignment]
        return t._vc.version
    return None


def _version(v: int) -> tuple[int]:
    """``(v,)``, shared for the common version 0 (one object fewer for the collector)."""
    return _VERSION_0 if v == 0 else (v,)


def _edge(x: Any) -> Node | None:
    """The node an input's gradient goes to: its ``grad_fn``, a leaf's ``AccumulateGrad``, or
    None (no gradient: a constant, or not a tensor)."""
    if not isinstance(x, TensorBase):
        return None
    t: Tensor = x  # type: ignore[assignment]
    fn = t._grad_fn
    if fn is None and t._requires_grad:
        fn = accumulator(t)
    return fn


NO_INPUT: Any = object()
"""``record_op``'s second input when the op has one."""


def record(
    cls: type[Node],
    inputs: tuple[Any, ...],
    out: Tensor,
    args: tuple[Any, ...],
    spec: OpSpec | None = None,
) -> Node:
    """Make ``cls``'s node for an op that made ``out`` from ``inputs`` (tensors or numbers)
    with the non-tensor arguments ``args``, and make ``out`` its output.

    The node gets its edges (``_next``, ``needs_input_grad``), the inputs' shapes and dtypes,
    the values its backward needs (``cls.save``) with the version each had, its sequence
    number, and in anomaly mode the stack that made it. ``out`` gets the node as ``grad_fn``,
    and, from a pointwise op that kept its input's shape and dtype, that input's
    ``TensorMeta``. ``spec`` is ``cls._spec``, when the caller has it at hand.
    """
    if spec is None:
        spec = cls._spec
    n = len(inputs)
    if 0 < n <= 2 and isinstance(inputs[0], TensorBase):
        a: Tensor = inputs[0]  # type: ignore[assignment]
        b = inputs[1] if n == 2 else NO_INPUT
        mb = meta_of(b) if isinstance(b, TensorBase) else None  # type: ignore[arg-type]
        return record_op(cls, spec, a, meta_of(a), b, mb, out, args)
    node = cls()  # node classes take no arguments: ``record`` sets every field
    node.args = args
    nexts = []
    shapes = []
    dtypes = []
    for x in inputs:
        nexts.append(_edge(x))
        if isinstance(x, TensorBase):
            d = x._data  # type: ignore[attr-defined]
            shapes.append(d.shape)
            dtypes.append(d.dtype)
        else:
            shapes.append(None)
            dtypes.append(None)
    node._next = tuple(nexts)
    node.needs_input_grad = tuple([fn is not None for fn in nexts])
    node.shapes = tuple(shapes)
    node.dtype = tuple(dtypes)
    _save(node, spec, inputs, None, None, out)
    return _link(node, out, None)


def record_op(
    cls: type[Node],
    spec: OpSpec,
    a: Tensor,
    ma: TensorMeta,
    b: Any,
    mb: TensorMeta | None,
    out: Tensor,
    args: tuple[Any, ...],
) -> Node:
    """``record`` for ops on one tensor ``a`` (``b`` is ``NO_INPUT``) or on a tensor and a
    tensor or number: most ops, and the dispatch's way in (no tuple of inputs to build).
    ``ma`` and ``mb`` are the tensors' ``TensorMeta`` (``mb`` None unless ``b`` is one)."""
    node = cls()  # node classes take no arguments: ``record`` sets every field
    node.args = args
    fa = a._grad_fn  # ``_edge(a)``, for a tensor
    if fa is None and a._requires_grad:
        fa = accumulator(a)
    pointwise = spec.elementwise and out._data.dtype is ma.dtype  # ``out`` takes ``ma``
    if b is NO_INPUT:
        node._next = (fa,)
        node.needs_input_grad = _NEEDS1[fa is not None]
        node.shapes, node.dtype = ma.pointwise if pointwise else ma.one
    else:
        if mb is not None:
            fb = _edge(b)
            pointwise = pointwise and mb is ma
            node.shapes, node.dtype = ma.pointwise2 if pointwise else ma.pair(mb)
        else:  # a Python number second
            fb = None
            node.shapes, node.dtype = ma.pointwise_scalar if pointwise else ma.scalar
        node._next = (fa, fb)
        node.needs_input_grad = _NEEDS2[fa is not None][fb is not None]
    saves = spec.saves
    if saves == SAVES_NOTHING:
        node._saved = node._versions = ()
    elif saves == SAVES_OUTPUT:
        node._saved = (out._data,)
        version = out._vc.version  # 0 unless ``out`` was changed in place (``_inplace``)
        node._versions = _VERSION_0 if version == 0 else (version,)
    elif saves == SAVES_INPUTS and spec.save[0] == 0:  # ``(a, b)``: mul, div, matmul
        node._saved = (a, b)
        node._versions = (a._vc.version, None if mb is None else b._vc.version)
    elif saves == SAVES_INPUT and spec.save[0] == 0:  # ``a``: clamp, pow by a number
        node._saved = (a,)
        version = a._vc.version
        node._versions = _VERSION_0 if version == 0 else (version,)
    else:
        _save(node, spec, None, a, b, out)
    return _link(node, out, ma if pointwise else None)


def _link(node: Node, out: Tensor, meta: TensorMeta | None) -> Node:
    """The last steps of ``record``: the sequence number, anomaly mode's trace, and ``out``
    made the node's output (with ``meta``, a pointwise op's input metadata, when known)."""
    modes = switches
    node._backend = out._backend
    node._extra = None
    node._out_vc = out._vc
    if modes.anomaly:
        _record_trace(node)
    node._seq = next(_seq_counter)  # after its inputs' nodes, ``accumulator`` ones included
    out._meta = meta
    out._grad_fn = node
    out._requires_grad = True
    return node


def _save(
    node: Node, spec: OpSpec, inputs: tuple[Any, ...] | None, a: Any, b: Any, out: Tensor
) -> None:
    """What ``node``'s backward needs (``spec.save``), each with its version now: from
    ``inputs``, or when that is None, from ``record_op``'s ``a`` and ``b``."""
    saves = spec.saves
    save = spec.save
    if saves == SAVES_NOTHING:
        node._saved = node._versions = ()
    elif saves == SAVES_OUTPUT:
        node._saved = (out._data,)
        node._versions = _version(out._vc.version)
    elif saves == SAVES_INPUT and inputs is None:
        x = a if save[0] == 0 else b
        node._saved = (x,)
        version = _version_of(x)
        node._versions = _NO_VERSION if version is None else _version(version)
    elif saves == SAVES_INPUTS and inputs is None and save[0] == 0:
        node._saved = (a, b)
        node._versions = (_version_of(a), _version_of(b))
    else:
        saved = []
        versions: list[int | None] = []
        for i in save:
            if i == OUT:
                saved.append(out._data)
                versions.append(out._vc.version)
                continue
            x = inputs[i] if inputs is not None else a if i == 0 else b
            saved.append(x)
            versions.append(_version_of(x))
        node._saved = tuple(saved)
        node._versions = tuple(versions)


def _record_trace(node: Node) -> None:
    """Anomaly mode: keep where the node was created, the whole stack: readers drop
    tensorplug's own frames from its end when they show it (``user_frames``; compiled
    modules have no frames of their own there)."""
    import traceback

    _extras(node).trace = traceback.format_stack()


# --------------------------------------------------------------------------------------------
# Saved values
# --------------------------------------------------------------------------------------------


def unpack(node: Node) -> tuple[Any, ...]:
    """``node``'s saved values, each checked against the version it was saved at: the saved
    input tensors themselves, the output as its raw array (numbers as they are)."""
    saved = node._saved
    versions = node._versions
    if saved is FREED and versions:  # something was saved, and has been freed
        raise RuntimeError(
            "Trying to backward through the graph a second time (or directly access saved "
            "tensors after they have already been freed). Saved intermediate values of the "
            "graph are freed when you call .backward() or autograd.grad(). Specify "
            "retain_graph=True if you need to backward through the graph a second time or "
            "if you need to access saved tensors after calling backward."
        )
    save = type(node)._spec.save
    for i, (value, version) in enumerate(zip(saved, versions)):
        if version is None:
            continue
        slot = save[i] if i < len(save) else None
        vc = node._out_vc if slot == OUT else value._vc
        if vc.version != version:
            from ._describe import raise_version_error

            raise_version_error(node, value, i, vc.version, version)
    return saved


def arrays_of(node: Node, saved: tuple[Any, ...]) -> tuple[Any, ...]:
    """``unpack``'s values as the raw arrays a plain backward takes."""
    return tuple([v._data if isinstance(v, TensorBase) else v for v in saved])  # type: ignore[attr-defined]


_refresh_spec(Node)
