# Cython declarations for _engine.py: the types of the engine's locals (the logic is in
# _engine.py alone).
cimport cython

from tensorplug._graph cimport NodeBase, OpSpec, TensorBase


@cython.locals(node=NodeBase, carry=NodeBase, nxt=NodeBase, spec=OpSpec)
cdef dict _run(dict buffers, list pending, dict targets, object to_run, bint retain_graph, bint create_graph, bint accumulate)

cdef object _plain_backward(NodeBase node, OpSpec spec, object g)

cdef object _probe_refcount(object g)

@cython.locals(var=TensorBase, grad=TensorBase)
cdef void _accumulate_into_leaf(NodeBase node, object g, bint create_graph) except *
