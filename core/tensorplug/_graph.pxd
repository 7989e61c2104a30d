# Cython declarations for _graph.py (docs/architecture.md, "One source, compiled"): the C
# layout of the graph's objects and the types of the hot functions' locals. The logic is
# in _graph.py alone; this file only says what Cython may assume about types.
cimport cython

from tensorplug._grad_mode cimport _Switches


@cython.final
cdef class VersionCounter:
    cdef public long long version


cdef class TensorMeta:
    cdef public int category
    cdef public object dtype
    cdef public object one
    cdef public dict pairs
    cdef public object pointwise
    cdef public object pointwise2
    cdef public object pointwise_scalar
    cdef public object scalar
    cdef public object shape


cdef class NodeBase:
    cdef object __weakref__
    cdef public object _backend
    cdef public object _extra
    cdef public tuple _next
    cdef public VersionCounter _out_vc
    cdef public tuple _saved
    cdef public object _seq
    cdef public tuple _versions
    cdef public tuple args
    cdef public object dtype
    cdef public object needs_input_grad
    cdef public object shapes


cdef class TensorBase:
    cdef object __weakref__
    cdef public object _accum
    cdef public object _backend
    cdef public TensorBase _base
    cdef public object _data
    cdef public object _grad
    cdef public NodeBase _grad_fn
    cdef public object _hooks
    cdef public TensorMeta _meta
    cdef public bint _requires_grad
    cdef public VersionCounter _vc
    cdef public tuple _view_ops
    cdef public list _views


cdef class OpSpec:
    cdef public object backward
    cdef public object backward_owned
    cdef public bint elementwise
    cdef public bint float_only
    cdef public dict forwards
    cdef public tuple save
    cdef public object saves


@cython.locals(t=TensorBase, vc=VersionCounter)
cpdef TensorBase new_tensor(type cls, object data, object backend, NodeBase grad_fn=*, TensorBase base=*)

cpdef object accumulator(TensorBase t)

@cython.locals(meta=TensorMeta)
cpdef TensorMeta meta_of(TensorBase t)

@cython.locals(t=TensorBase)
cdef object _edge(object x)

@cython.locals(node=NodeBase, a=TensorBase, mb=TensorMeta)
cpdef NodeBase record(object cls, tuple inputs, TensorBase out, tuple args, OpSpec spec=*)

@cython.locals(node=NodeBase, fa=NodeBase, pointwise=bint, version=cython.longlong, tb=TensorBase)
cpdef NodeBase record_op(object cls, OpSpec spec, TensorBase a, TensorMeta ma, object b, TensorMeta mb, TensorBase out, tuple args)

@cython.locals(modes=_Switches)
cdef NodeBase _link(NodeBase node, TensorBase out, TensorMeta meta)

@cython.locals(t=TensorBase)
cdef object _version_of(object x)

cdef tuple _version(long long v)

cdef void _save(NodeBase node, OpSpec spec, tuple inputs, object a, object b, TensorBase out) except *

cpdef tuple unpack(NodeBase node)

cpdef tuple arrays_of(NodeBase node, tuple saved)
