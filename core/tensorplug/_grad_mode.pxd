# Cython declarations for _grad_mode.py (the logic is in _grad_mode.py alone).
cimport cython


cdef class _Switches:
    cdef public bint anomaly
    cdef public bint check_nan
    cdef public long threads_without_grad


@cython.locals(s=_Switches)
cpdef bint grad_enabled() except -1
