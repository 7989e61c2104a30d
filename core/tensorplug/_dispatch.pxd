# Cython declarations for _dispatch.py: the types of the hot functions' locals (the logic is
# in _dispatch.py alone).
cimport cython

from tensorplug._graph cimport NodeBase, OpSpec, TensorBase, TensorMeta, meta_of, new_tensor, record, record_op
from tensorplug._grad_mode cimport _Switches, grad_enabled

cdef dict _SCALAR_CATEGORY


cpdef tuple forwards(OpSpec spec, object be, object cls)

@cython.locals(t=TensorBase, meta=TensorMeta, modes=_Switches)
cpdef object _unary(object cls, OpSpec spec, TensorBase x, tuple args)

@cython.locals(x=TensorBase, y=TensorBase, t=TensorBase, ma=TensorMeta, mb=TensorMeta, modes=_Switches)
cpdef object _binary(object cls, OpSpec spec, object a, object b, tuple args)

@cython.locals(first=TensorBase, t=TensorBase, result=TensorBase, spec=OpSpec)
cpdef object _nary(object cls, tuple inputs, tuple args)

@cython.locals(t=TensorBase, base=TensorBase, spec=OpSpec, made=tuple)
cpdef object _view(object cls, TensorBase x, tuple args, object out)

cpdef object category(object be, object arr)

cpdef object _category(object be, object arr, object native)
