/* tensorplug._speedups: the per-op hot path (``unary``, ``binary``) compiled.
 *
 * Optional. ``_tensor.py`` holds the reference implementation of both functions; this module
 * does the same work for the common case only and hands every other call, unchanged, to that
 * Python code: a number operand that needs promotion, a dtype or backend mismatch, an input
 * that is not a tensor, a kernel that raises, anomaly mode, a forward not cached yet. It
 * never touches an array library: kernels come from the backend's table, as in Python.
 *
 * Why it exists: on a 2 x 2 tensor an op's cost is Python's, not the kernel's, and the pure
 * Python path spends about 1.4 us per op around a 0.4 us ufunc (docs/performance.md). The
 * same steps done here cost a fraction of that. ``TENSORPLUG_PURE_PYTHON=1`` turns it off;
 * tests/test_speedups.py checks that both paths build identical graphs.
 *
 * Tensors and nodes are ``__slots__`` classes defined in Python; their fields are read and
 * written at the offsets their member descriptors give, which is what Python's own
 * attribute access does for a slot.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

/* -- configuration, set once by ``configure`` ------------------------------------------- */

static PyTypeObject *Tensor_type, *Node_type, *Meta_type;
static PyObject *py_unary, *py_binary;     /* the reference implementations: the fallback */
static PyObject *anomaly;                  /* ``_grad_mode.anomaly`` */
static PyObject *seq_counter, *meta_of, *save_general, *categories, *native_category, *needs1, *needs2, *version0;
static long FLOAT_CATEGORY, BOOL_CATEGORY, INT_CATEGORY;

/* Slot offsets. */
static Py_ssize_t T_data, T_backend, T_grad, T_accum, T_hooks, T_base, T_vc, T_meta, T_grad_fn,
    T_requires_grad;
static Py_ssize_t N_extra, N_args, N_backend, N_next, N_seq, N_needs, N_shapes, N_dtype,
    N_saved, N_versions, N_out_vc;
static Py_ssize_t M_shape, M_dtype, M_one, M_pairs, M_pointwise, M_pointwise2, M_pointwise_scalar,
    M_scalar;
static Py_ssize_t A_enabled;

static PyObject *s_dtype, *s_ndim, *s_forwards_nd, *s_forwards, *s_accumulator, *s_pair, *s_hot,
    *s_save, *empty_tuple;

#define SLOT(obj, off) (*(PyObject **)((char *)(obj) + (off)))

/* Set a slot of a fresh object (its old value is NULL); takes a new reference to ``v``. */
static inline void
set_new(PyObject *obj, Py_ssize_t off, PyObject *v)
{
    Py_INCREF(v);
    SLOT(obj, off) = v;
}

/* Set a slot, stealing ``v``. */
static inline void
set_steal(PyObject *obj, Py_ssize_t off, PyObject *v)
{
    SLOT(obj, off) = v;
}

static int
slot_offset(PyTypeObject *type, const char *name, Py_ssize_t *off)
{
    PyObject *d = PyObject_GetAttrString((PyObject *)type, name);
    if (d == NULL)
        return -1;
    if (!Py_IS_TYPE(d, &PyMemberDescr_Type)) {
        PyErr_Format(PyExc_TypeError, "%s.%s is not a slot", type->tp_name, name);
        Py_DECREF(d);
        return -1;
    }
    PyMemberDef *m = ((PyMemberDescrObject *)d)->d_member;
    if (m->type != T_OBJECT_EX) {
        PyErr_Format(PyExc_TypeError, "%s.%s is not an object slot", type->tp_name, name);
        Py_DECREF(d);
        return -1;
    }
    *off = m->offset;
    Py_DECREF(d);
    return 0;
}

/* -- per-op helpers ----------------------------------------------------------------------- */

typedef struct {
    int float_only, elementwise, save0;
    long plan;
} OpInfo;

/* The class attributes of node class ``cls`` the hot path reads: ``cls._hot``, which Node's
 * metaclass keeps in step with them (``_autograd._refresh_run``). */
static int
op_info(PyObject *cls, OpInfo *info)
{
    PyObject *t = PyObject_GetAttr(cls, s_hot);
    if (t == NULL)
        return -1;
    if (!PyTuple_CheckExact(t) || PyTuple_GET_SIZE(t) != 4) {
        Py_DECREF(t);
        PyErr_SetString(PyExc_TypeError, "malformed Node._hot");
        return -1;
    }
    info->float_only = PyTuple_GET_ITEM(t, 0) == Py_True;
    info->elementwise = PyTuple_GET_ITEM(t, 1) == Py_True;
    info->plan = PyLong_AsLong(PyTuple_GET_ITEM(t, 2));
    info->save0 = PyTuple_GET_ITEM(t, 3) == Py_True;
    Py_DECREF(t);
    return info->plan == -1 && PyErr_Occurred() ? -1 : 0;
}

/* This thread's grad mode, mirrored from ``_grad_mode.state`` (whose ``__setattr__`` calls
 * ``set_grad_mode`` on every change): non-NULL while grad mode is off, so a new thread starts
 * with it on, as ``state``'s class default says. */
static Py_tss_t grad_off = Py_tss_NEEDS_INIT;

/* 1 if grad mode is on in this thread, 0 if off. */
static inline int
grad_enabled(void)
{
    return PyThread_tss_get(&grad_off) == NULL;
}

static PyObject *
set_grad_mode(PyObject *Py_UNUSED(module), PyObject *value)
{
    int on = PyObject_IsTrue(value);
    if (on < 0)
        return NULL;
    if (PyThread_tss_set(&grad_off, on ? NULL : (void *)1) != 0) {
        PyErr_SetString(PyExc_RuntimeError, "could not set this thread's grad mode");
        return NULL;
    }
    Py_RETURN_NONE;
}

/* The promotion category (bool, int, float) of array ``arr`` with native dtype ``dtype``:
 * from the cache ``_CATEGORY``, else from ``_native_category(be, arr)``, which fills it.
 * -1 when neither says (the caller falls back to Python, through ``fallback_clear``: an
 * exception is left set only if it is not an ``Exception``, such as KeyboardInterrupt). */
static long
category(PyObject *be, PyObject *arr, PyObject *dtype)
{
    PyObject *c = PyDict_GetItemWithError(categories, dtype);
    if (c != NULL)
        return PyLong_AsLong(c);
    PyErr_Clear(); /* an unhashable dtype: ``_native_category`` answers without caching */
    c = PyObject_CallFunctionObjArgs(native_category, be, arr, NULL);
    long cat = c != NULL && PyLong_CheckExact(c) ? PyLong_AsLong(c) : -1;
    Py_XDECREF(c);
    return cat;
}

/* The next sequence number: ``_autograd._next_seq()``, the same counter, taken directly. */
static inline PyObject *
new_seq(void)
{
    PyObject *n = Py_TYPE(seq_counter)->tp_iternext(seq_counter);
    if (n == NULL && !PyErr_Occurred())
        PyErr_SetString(PyExc_RuntimeError, "the node sequence counter is exhausted");
    return n;
}

/* Whether ``x`` is a tensor whose fields the hot path reads are all set, as every tensor
 * made by tensorplug has them (anything else goes to Python, which raises as it should). */
static inline int
tensor_ok(PyObject *x)
{
    if (!PyObject_TypeCheck(x, Tensor_type))
        return 0;
    PyObject *vc = SLOT(x, T_vc), *m = SLOT(x, T_meta);
    return SLOT(x, T_data) && SLOT(x, T_backend) && SLOT(x, T_grad_fn) &&
           SLOT(x, T_requires_grad) && m && (m == Py_None || Py_IS_TYPE(m, Meta_type)) && vc &&
           PyList_CheckExact(vc) && PyList_GET_SIZE(vc) > 0;
}

/* ``x``'s native dtype (new reference): its ``TensorMeta``'s where it has one (a tensor's
 * metadata always describes its array: every assignment of ``_data`` sets ``_meta`` too). */
static inline PyObject *
dtype_of(PyObject *x)
{
    PyObject *m = SLOT(x, T_meta);
    if (m != Py_None)
        return Py_NewRef(SLOT(m, M_dtype));
    return PyObject_GetAttr(SLOT(x, T_data), s_dtype);
}

/* Whether ``cls`` is a node class: ``Node``'s fields at ``Node``'s offsets. */
static inline int
node_class_ok(PyObject *cls)
{
    return PyType_Check(cls) && PyType_IsSubtype((PyTypeObject *)cls, Node_type);
}

/* The node of input tensor ``x``: its ``grad_fn``, or a leaf's ``AccumulateGrad`` if it
 * requires grad, else None. New reference. */
static PyObject *
input_node(PyObject *x)
{
    PyObject *fn = SLOT(x, T_grad_fn);
    if (fn != Py_None) {
        Py_INCREF(fn);
        return fn;
    }
    if (SLOT(x, T_requires_grad) != Py_True)
        Py_RETURN_NONE;
    /* A leaf's node while a graph holds it: ``Tensor._accumulator``'s first step, here. */
    PyObject *ref = SLOT(x, T_accum);
    if (ref != NULL && PyWeakref_CheckRefExact(ref)) {
#if PY_VERSION_HEX >= 0x030D0000
        PyObject *acc;
        if (PyWeakref_GetRef(ref, &acc) > 0)
            return acc;
        PyErr_Clear();
#else
        PyObject *acc = PyWeakref_GetObject(ref);
        if (acc != NULL && acc != Py_None)
            return Py_NewRef(acc);
        PyErr_Clear();
#endif
    }
    return PyObject_CallMethodNoArgs(x, s_accumulator);
}

/* ``x``'s TensorMeta, computed by ``meta_of`` if it has none yet. New reference. */
static PyObject *
meta(PyObject *x)
{
    PyObject *m = SLOT(x, T_meta);
    m = m != Py_None ? Py_NewRef(m) : PyObject_CallOneArg(meta_of, x);
    if (m != NULL && !Py_IS_TYPE(m, Meta_type)) { /* its fields are read at their offsets */
        PyErr_Format(PyExc_TypeError, "tensor._meta is a %s, not a TensorMeta",
                     Py_TYPE(m)->tp_name);
        Py_CLEAR(m);
    }
    return m;
}

/* A new tensor holding ``out`` (stolen) on backend ``be``, with no graph fields set yet. */
static PyObject *
new_tensor(PyObject *out, PyObject *be, PyObject **vc)
{
    PyObject *t = Tensor_type->tp_alloc(Tensor_type, 0);
    PyObject *v = PyList_New(1);
    if (t == NULL || v == NULL) {
        Py_XDECREF(t);
        Py_XDECREF(v);
        Py_DECREF(out);
        return NULL;
    }
    PyList_SET_ITEM(v, 0, PyLong_FromLong(0));
    /* The version counter holds its int and, later, weak references without callbacks to
     * views: never part of a cycle, so the garbage collector need not track it. */
    PyObject_GC_UnTrack(v);
    set_steal(t, T_data, out);
    set_new(t, T_backend, be);
    set_new(t, T_grad, Py_None);
    set_new(t, T_accum, Py_None);
    set_new(t, T_hooks, Py_None);
    set_new(t, T_base, Py_None);
    set_steal(t, T_vc, v);
    *vc = v;
    return t;
}

static inline void
no_graph(PyObject *t)
{
    set_new(t, T_grad_fn, Py_None);
    set_new(t, T_requires_grad, Py_False);
    set_new(t, T_meta, Py_None);
}

/* A new node of class ``cls`` with the fields every op sets. */
static PyObject *
new_node(PyObject *cls, PyObject *args, PyObject *be)
{
    PyObject *node = ((PyTypeObject *)cls)->tp_alloc((PyTypeObject *)cls, 0);
    if (node == NULL)
        return NULL;
    set_new(node, N_extra, Py_None);
    set_new(node, N_args, args);
    set_new(node, N_backend, be);
    return node;
}

/* ``(shapes, dtype)`` pair: set both node fields from it (borrowed). */
static inline int
set_pair(PyObject *node, PyObject *pair)
{
    if (!PyTuple_CheckExact(pair) || PyTuple_GET_SIZE(pair) != 2) {
        PyErr_SetString(PyExc_TypeError, "TensorMeta: malformed (shapes, dtype) pair");
        return -1;
    }
    set_new(node, N_shapes, PyTuple_GET_ITEM(pair, 0));
    set_new(node, N_dtype, PyTuple_GET_ITEM(pair, 1));
    return 0;
}

static PyObject *versions_0_0, *versions_0_none, *version_none; /* (0, 0), (0, None), (None,) */

/* ``(out,)``: the saved output array. Arrays the collector does not track (NumPy's) leave
 * the tuple untracked too, as CPython would at its next collection. */
static PyObject *
saved_output(PyObject *out)
{
    PyObject *t = PyTuple_Pack(1, out);
    if (t != NULL && !PyObject_GC_IsTracked(out))
        PyObject_GC_UnTrack(t);
    return t;
}

static PyObject *zero; /* the int 0 (small ints are cached: compared by identity) */

/* ``(va, vb)``, stealing both: the common ones shared, as every saved tensor of version 0
 * would otherwise cost a tuple (and work for the garbage collector). */
static PyObject *
versions_pair(PyObject *va, PyObject *vb)
{
    if (va == zero && (vb == zero || vb == Py_None)) {
        Py_DECREF(va);
        Py_DECREF(vb);
        return Py_NewRef(vb == zero ? versions_0_0 : versions_0_none);
    }
    PyObject *t = PyTuple_Pack(2, va, vb);
    Py_DECREF(va);
    Py_DECREF(vb);
    return t;
}

/* ``(v,)``, stealing ``v``; ``(0,)`` shared. */
static PyObject *
versions_one(PyObject *v)
{
    if (v == zero) {
        Py_DECREF(v);
        return Py_NewRef(version0);
    }
    PyObject *t = PyTuple_Pack(1, v);
    Py_DECREF(v);
    return t;
}

static inline PyObject *
version_of(PyObject *x) /* x._vc[0], new reference */
{
    PyObject *v = PyList_GET_ITEM(SLOT(x, T_vc), 0);
    Py_INCREF(v);
    return v;
}

/* The last backend used, and its two kernel tables (``_forwards``, ``_forwards_nd``). */
static PyObject *last_backend, *last_forwards, *last_forwards_nd;

/* The kernel cached for ``cls`` on ``be`` (borrowed; its ``nd`` variant if ``nd``), or NULL
 * without an error if there is none yet. */
static PyObject *
forward_of(PyObject *be, PyObject *cls, int nd)
{
    if (be != last_backend) {
        /* A backend keeps its tables for life (cleared in place, never replaced), so the
         * three stay valid together; all are held, so no address is reused meanwhile. */
        PyObject *f = PyObject_GetAttr(be, s_forwards);
        PyObject *fnd = f ? PyObject_GetAttr(be, s_forwards_nd) : NULL;
        if (fnd == NULL || !PyDict_CheckExact(f) || !PyDict_CheckExact(fnd)) {
            Py_XDECREF(f);
            Py_XDECREF(fnd);
            PyErr_Clear();
            return NULL;
        }
        PyObject *old[3] = {last_backend, last_forwards, last_forwards_nd};
        last_backend = Py_NewRef(be);
        last_forwards = f;
        last_forwards_nd = fnd;
        for (int i = 0; i < 3; i++) /* after the update: a release may run Python code */
            Py_XDECREF(old[i]);
    }
    PyObject *fwd = PyDict_GetItemWithError(nd ? last_forwards_nd : last_forwards, cls);
    if (fwd == NULL)
        PyErr_Clear();
    return fwd;
}

/* 1 if tensor ``x``'s array has one or more dimensions, 0 if not (or not known). */
static int
has_dims(PyObject *x)
{
    PyObject *m = SLOT(x, T_meta);
    if (m != Py_None) {
        PyObject *shape = SLOT(m, M_shape);
        return shape != NULL && PyTuple_CheckExact(shape) && PyTuple_GET_SIZE(shape) > 0;
    }
    PyObject *n = PyObject_GetAttr(SLOT(x, T_data), s_ndim);
    long v = n != NULL && PyLong_CheckExact(n) ? PyLong_AsLong(n) : 0;
    Py_XDECREF(n);
    PyErr_Clear();
    return v > 0;
}

/* Call ``fwd(arrays..., extra...)``; NULL with the error cleared means "let Python redo it"
 * (its error message names the op and the inputs), NULL with an error set means stop. */
static PyObject *
call_kernel(PyObject *fwd, PyObject *x0, PyObject *x1, PyObject *const *extra, Py_ssize_t nextra)
{
    PyObject *small[8];
    PyObject **stack = small;
    Py_ssize_t n = (x1 ? 2 : 1) + nextra;
    if (n > 8) {
        stack = PyMem_Malloc(n * sizeof(PyObject *));
        if (stack == NULL)
            return PyErr_NoMemory();
    }
    stack[0] = x0;
    if (x1)
        stack[1] = x1;
    for (Py_ssize_t i = 0; i < nextra; i++)
        stack[n - nextra + i] = extra[i];
    /* Held for the call: Python code run meanwhile (another thread) may drop them. */
    Py_INCREF(fwd);
    Py_INCREF(x0);
    Py_XINCREF(x1);
    PyObject *out = PyObject_Vectorcall(fwd, stack, n, NULL);
    Py_DECREF(fwd);
    Py_DECREF(x0);
    Py_XDECREF(x1);
    if (stack != small)
        PyMem_Free(stack);
    if (out == NULL && PyErr_ExceptionMatches(PyExc_Exception))
        PyErr_Clear();
    return out;
}

static PyObject *
tuple_of(PyObject *const *items, Py_ssize_t n)
{
    if (n == 0)
        return Py_NewRef(empty_tuple);
    PyObject *t = PyTuple_New(n);
    if (t == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++)
        PyTuple_SET_ITEM(t, i, Py_NewRef(items[i]));
    return t;
}

static inline int
anomaly_enabled(void)
{
    PyObject *e = SLOT(anomaly, A_enabled);
    return e != NULL && e != Py_False;
}

static inline int
same_dtype(PyObject *out, PyObject *dtype)
{
    PyObject *d = PyObject_GetAttr(out, s_dtype);
    if (d == NULL) {
        PyErr_Clear();
        return 0;
    }
    Py_DECREF(d);
    return d == dtype;
}

/* What unary and binary share: run the op's kernel on ``x0`` (and ``x1``) and the extra
 * arguments (with the kernel's ``nd`` variant if ``nd``: every operand an array, one at least
 * with a dimension), and wrap the result in a new tensor ``*t``; then, if ``record`` (an input
 * requires grad) and grad mode is on, make the op's node ``*node`` (else NULL). Returns 1
 * when done, 0 to fall back to Python (nothing made), -1 on error. */
static int
run_op(PyObject *cls, PyObject *be, int nd, PyObject *x0, PyObject *x1, PyObject *const *extra,
       Py_ssize_t nextra, int record, PyObject **t, PyObject **vc, PyObject **node)
{
    PyObject *fwd = forward_of(be, cls, nd);
    if (fwd == NULL)
        return 0;
    Py_INCREF(be); /* the inputs' fields may change while Python code runs */
    PyObject *out = call_kernel(fwd, x0, x1, extra, nextra);
    if (out == NULL) {
        Py_DECREF(be);
        return PyErr_Occurred() ? -1 : 0;
    }
    *t = new_tensor(out, be, vc);
    if (*t == NULL) {
        Py_DECREF(be);
        return -1;
    }
    int on = record ? grad_enabled() : 0;
    if (on > 0) {
        PyObject *args = tuple_of(extra, nextra);
        *node = args == NULL ? NULL : new_node(cls, args, be);
        Py_XDECREF(args);
        if (*node == NULL)
            on = -1;
    }
    Py_DECREF(be);
    if (on < 0) {
        Py_CLEAR(*t);
        return -1;
    }
    if (on == 0)
        no_graph(*t);
    return 1;
}

/* -- unary(cls, x, *args) ----------------------------------------------------------------- */

/* The node fields that depend on what is saved (``cls._plan``, see ``Node``), for the inputs
 * ``a`` and ``b`` (NULL for a unary op; a tensor if ``b_tensor``, else a number) and the output
 * tensor ``t`` with version counter ``vc``. */
static int
set_saved(PyObject *node, PyObject *cls, const OpInfo *info, PyObject *a, PyObject *b,
          int b_tensor, PyObject *t, PyObject *vc)
{
    if (info->plan == 0) {
        set_new(node, N_saved, empty_tuple);
        set_new(node, N_versions, empty_tuple);
    }
    else if (info->plan == 3 && info->save0 && b != NULL) { /* binary: both inputs */
        PyObject *vb = b_tensor ? version_of(b) : Py_NewRef(Py_None);
        set_steal(node, N_saved, PyTuple_Pack(2, a, b));
        set_steal(node, N_versions, versions_pair(version_of(a), vb));
    }
    else if (info->plan == 1) { /* the output */
        set_steal(node, N_saved, saved_output(SLOT(t, T_data)));
        set_new(node, N_versions, version0);
        set_new(node, N_out_vc, vc);
    }
    else if (info->plan == 2) { /* one input: ``a``, or a binary op's ``b`` */
        PyObject *x = (info->save0 || b == NULL) ? a : b;
        set_steal(node, N_saved, PyTuple_Pack(1, x));
        if (x == a || b_tensor)
            set_steal(node, N_versions, versions_one(version_of(x)));
        else
            set_new(node, N_versions, version_none);
    }
    else {
        PyObject *save = PyObject_GetAttr(cls, s_save);
        PyObject *inputs = save == NULL ? NULL : b ? PyTuple_Pack(2, a, b) : PyTuple_Pack(1, a);
        PyObject *r = inputs == NULL ? NULL
                                     : PyObject_CallFunctionObjArgs(save_general, node, save,
                                                                    inputs, SLOT(t, T_data), NULL);
        Py_XDECREF(save);
        Py_XDECREF(inputs);
        if (r == NULL)
            return -1;
        Py_DECREF(r);
        set_new(node, N_out_vc, vc);
    }
    return SLOT(node, N_saved) == NULL || SLOT(node, N_versions) == NULL ? -1 : 0;
}

/* Finish ``t`` with its node. */
static PyObject *
with_node(PyObject *t, PyObject *node)
{
    set_steal(t, T_grad_fn, node);
    set_new(t, T_requires_grad, Py_True);
    return t;
}

static PyObject *
unary(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *cls, *x, *be, *t = NULL, *vc, *node = NULL, *fn = NULL, *m = NULL;
    OpInfo info;
    if (nargs < 2 || Tensor_type == NULL || !node_class_ok(args[0]) || !tensor_ok(args[1]) ||
        anomaly_enabled())
        goto fallback;
    cls = args[0];
    x = args[1];
    be = SLOT(x, T_backend);
    if (op_info(cls, &info) < 0)
        goto fallback_clear;
    if (info.float_only) {
        PyObject *dt = dtype_of(x);
        if (dt == NULL)
            goto fallback_clear;
        long cat = category(be, SLOT(x, T_data), dt);
        Py_DECREF(dt);
        if (cat < 0)
            goto fallback_clear;
        if (cat != FLOAT_CATEGORY)
            goto fallback;
    }
    /* ``nd`` only without extra arguments: an op's arguments (pow's exponent) may be numbers
     * its kernel converts, and ``nd`` is for array operands alone. */
    int nd = nargs == 2 && has_dims(x);
    int r = run_op(cls, be, nd, SLOT(x, T_data), NULL, args + 2, nargs - 2,
                   SLOT(x, T_requires_grad) == Py_True, &t, &vc, &node);
    if (r <= 0) {
        if (r < 0)
            return NULL;
        goto fallback;
    }
    if (node == NULL)
        return t;
    if ((fn = input_node(x)) == NULL)
        goto error;
    set_steal(node, N_next, PyTuple_Pack(1, fn));
    if (SLOT(node, N_next) == NULL)
        goto error;
    PyObject *seq = new_seq(); /* after ``fn``'s */
    if (seq == NULL)
        goto error;
    set_steal(node, N_seq, seq);
    set_new(node, N_needs, PyTuple_GET_ITEM(needs1, 1));
    if ((m = meta(x)) == NULL)
        goto error;
    int pointwise = info.elementwise && same_dtype(SLOT(t, T_data), SLOT(m, M_dtype));
    if (set_pair(node, SLOT(m, pointwise ? M_pointwise : M_one)) < 0)
        goto error;
    set_new(t, T_meta, pointwise ? m : Py_None);
    if (set_saved(node, cls, &info, x, NULL, 0, t, vc) < 0)
        goto error;
    Py_DECREF(fn);
    Py_DECREF(m);
    return with_node(t, node);

error:
    /* A half-built object's unset fields read as AttributeError, never as garbage. */
    Py_XDECREF(fn);
    Py_XDECREF(m);
    Py_XDECREF(node);
    Py_DECREF(t);
    return NULL;
fallback_clear:
    if (PyErr_Occurred() && !PyErr_ExceptionMatches(PyExc_Exception))
        return NULL;
    PyErr_Clear();
fallback:
    return PyObject_Vectorcall(py_unary, args, nargs, NULL);
}

/* -- binary(cls, a, b, *args) ------------------------------------------------------------- */

static PyObject *
binary(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *cls, *a, *b, *be, *db, *dta = NULL, *t = NULL, *vc = NULL, *node = NULL;
    PyObject *fa = NULL, *fb = NULL, *ma = NULL, *mb = NULL, *pair = NULL;
    OpInfo info;
    int b_tensor, needs_grad;
    long cat;
    if (nargs < 3 || Tensor_type == NULL || !node_class_ok(args[0]) || !tensor_ok(args[1]) ||
        anomaly_enabled())
        goto fallback;
    cls = args[0];
    a = args[1];
    b = args[2];
    be = SLOT(a, T_backend);
    if (op_info(cls, &info) < 0)
        goto fallback_clear;
    dta = dtype_of(a);
    if (dta == NULL)
        goto fallback_clear;
    if ((cat = category(be, SLOT(a, T_data), dta)) < 0)
        goto fallback_clear;
    b_tensor = tensor_ok(b);
    if (b_tensor) {
        db = SLOT(b, T_data);
        if (SLOT(b, T_backend) != be)
            goto fallback;
        PyObject *dtb = dtype_of(b);
        if (dtb == NULL)
            goto fallback_clear;
        Py_DECREF(dtb); /* compared by identity only */
        if (dtb != dta || (info.float_only && cat != FLOAT_CATEGORY))
            goto fallback;
        needs_grad = SLOT(a, T_requires_grad) == Py_True || SLOT(b, T_requires_grad) == Py_True;
    }
    else {
        /* Exactly a Python number, of a category the tensor's dtype holds: no promotion. */
        PyTypeObject *bt = Py_TYPE(b);
        long scat = bt == &PyFloat_Type  ? FLOAT_CATEGORY
                    : bt == &PyLong_Type ? INT_CATEGORY
                    : bt == &PyBool_Type ? BOOL_CATEGORY
                                         : -1;
        if (scat < 0 || scat > cat || (info.float_only && cat != FLOAT_CATEGORY))
            goto fallback;
        db = b;
        needs_grad = SLOT(a, T_requires_grad) == Py_True;
    }
    Py_CLEAR(dta);
    int nd = b_tensor && nargs == 3 && (has_dims(a) || has_dims(b)); /* as in ``unary`` */
    int r = run_op(cls, be, nd, SLOT(a, T_data), db, args + 3, nargs - 3, needs_grad, &t, &vc,
                   &node);
    if (r <= 0) {
        if (r < 0)
            return NULL;
        goto fallback;
    }
    if (node == NULL)
        return t;
    /* In the Python function's order: the inputs' nodes (a leaf's AccumulateGrad gets its
     * sequence number here) before this node's. */
    if ((fa = input_node(a)) == NULL || (ma = meta(a)) == NULL)
        goto error;
    if (b_tensor) {
        if ((fb = input_node(b)) == NULL || (mb = meta(b)) == NULL)
            goto error;
        if (mb == ma && info.elementwise && same_dtype(SLOT(t, T_data), SLOT(ma, M_dtype))) {
            pair = Py_NewRef(SLOT(ma, M_pointwise2));
            set_new(t, T_meta, ma);
        }
        else {
            pair = PyDict_GetItemWithError(SLOT(ma, M_pairs), mb);
            if (pair != NULL)
                Py_INCREF(pair);
            else if (PyErr_Occurred() ||
                     (pair = PyObject_CallMethodOneArg(ma, s_pair, mb)) == NULL)
                goto error;
            set_new(t, T_meta, Py_None);
        }
    }
    else {
        fb = Py_NewRef(Py_None);
        int pointwise = info.elementwise && same_dtype(SLOT(t, T_data), SLOT(ma, M_dtype));
        pair = Py_NewRef(SLOT(ma, pointwise ? M_pointwise_scalar : M_scalar));
        set_new(t, T_meta, pointwise ? ma : Py_None);
    }
    if (set_pair(node, pair) < 0)
        goto error;
    set_new(node, N_needs,
            PyTuple_GET_ITEM(PyTuple_GET_ITEM(needs2, fa != Py_None), fb != Py_None));
    set_steal(node, N_next, PyTuple_Pack(2, fa, fb));
    if (SLOT(node, N_next) == NULL)
        goto error;
    PyObject *seq = new_seq();
    if (seq == NULL)
        goto error;
    set_steal(node, N_seq, seq);
    if (set_saved(node, cls, &info, a, b, b_tensor, t, vc) < 0)
        goto error;
    Py_DECREF(fa);
    Py_DECREF(fb);
    Py_DECREF(ma);
    Py_XDECREF(mb);
    Py_DECREF(pair);
    return with_node(t, node);

error:
    Py_XDECREF(fa);
    Py_XDECREF(fb);
    Py_XDECREF(ma);
    Py_XDECREF(mb);
    Py_XDECREF(pair);
    Py_XDECREF(node);
    Py_DECREF(t);
    return NULL;
fallback_clear:
    if (PyErr_Occurred() && !PyErr_ExceptionMatches(PyExc_Exception)) {
        Py_XDECREF(dta);
        return NULL;
    }
    PyErr_Clear();
fallback:
    Py_XDECREF(dta);
    return PyObject_Vectorcall(py_binary, args, nargs, NULL);
}

/* -- op methods: ``Tensor.__mul__``, ``Tensor.exp`` ---------------------------------------- */

/* A method that calls ``binary(cls, self, other)`` or ``unary(cls, self)``. As a method
 * descriptor it is called with ``self`` first and no bound-method object, by operators and by
 * ``x.exp()`` alike: one call where a Python ``def`` in between costs one frame more. */
typedef struct {
    PyObject_HEAD
    PyObject *cls;
    PyObject *name;
    PyObject *doc;
    int binary;
    vectorcallfunc vectorcall;
} OpMethod;

static PyObject *
opmethod_vectorcall(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    OpMethod *m = (OpMethod *)self;
    Py_ssize_t n = PyVectorcall_NARGS(nargsf);
    if (kwnames != NULL && PyTuple_GET_SIZE(kwnames)) {
        PyErr_Format(PyExc_TypeError, "%U() takes no keyword arguments", m->name);
        return NULL;
    }
    if (n != 1 + m->binary) {
        PyErr_Format(PyExc_TypeError, "%U() takes %d positional argument%s but %zd were given",
                     m->name, 1 + m->binary, m->binary ? "s" : "", n);
        return NULL;
    }
    PyObject *stack[3] = {m->cls, args[0], m->binary ? args[1] : NULL};
    return m->binary ? binary(NULL, stack, 3) : unary(NULL, stack, 2);
}

static PyObject *
opmethod_get(PyObject *self, PyObject *obj, PyObject *Py_UNUSED(type))
{
    if (obj == NULL || obj == Py_None)
        return Py_NewRef(self);
    return PyMethod_New(self, obj);
}

static void
opmethod_dealloc(PyObject *self)
{
    OpMethod *m = (OpMethod *)self;
    Py_XDECREF(m->cls);
    Py_XDECREF(m->name);
    Py_XDECREF(m->doc);
    PyObject_Free(self);
}

static PyObject *
opmethod_repr(PyObject *self)
{
    return PyUnicode_FromFormat("<method '%U' of 'Tensor' objects>", ((OpMethod *)self)->name);
}

static PyMemberDef opmethod_members[] = {
    {"__name__", T_OBJECT, offsetof(OpMethod, name), READONLY, NULL},
    {"__qualname__", T_OBJECT, offsetof(OpMethod, name), READONLY, NULL},
    {"__doc__", T_OBJECT, offsetof(OpMethod, doc), READONLY, NULL},
    {"node_class", T_OBJECT, offsetof(OpMethod, cls), READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject OpMethod_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "tensorplug._speedups.OpMethod",
    .tp_basicsize = sizeof(OpMethod),
    .tp_dealloc = opmethod_dealloc,
    .tp_vectorcall_offset = offsetof(OpMethod, vectorcall),
    .tp_repr = opmethod_repr,
    .tp_call = PyVectorcall_Call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL | Py_TPFLAGS_METHOD_DESCRIPTOR,
    .tp_doc = "A Tensor method calling unary or binary with its node class.",
    .tp_members = opmethod_members,
    .tp_descr_get = opmethod_get,
};

static PyObject *
op_method(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *cls, *name, *doc;
    int is_binary;
    if (!PyArg_ParseTuple(args, "OpUO:op_method", &cls, &is_binary, &name, &doc))
        return NULL;
    OpMethod *m = PyObject_New(OpMethod, &OpMethod_Type);
    if (m == NULL)
        return NULL;
    m->cls = Py_NewRef(cls);
    m->name = Py_NewRef(name);
    m->doc = Py_NewRef(doc);
    m->binary = is_binary != 0;
    m->vectorcall = opmethod_vectorcall;
    return (PyObject *)m;
}

/* -- configure ------------------------------------------------------------------------------ */

static int
offsets(PyTypeObject *type, const char *const *names, Py_ssize_t *const *offs, int n)
{
    for (int i = 0; i < n; i++)
        if (slot_offset(type, names[i], offs[i]) < 0)
            return -1;
    return 0;
}

static PyObject *
configure(PyObject *Py_UNUSED(module), PyObject *kw)
{
    if (!PyDict_Check(kw)) {
        PyErr_SetString(PyExc_TypeError, "configure() takes a dict");
        return NULL;
    }
#define GET(var, key)                                                        \
    do {                                                                     \
        PyObject *v_ = PyDict_GetItemString(kw, key);                        \
        if (v_ == NULL) {                                                    \
            PyErr_Format(PyExc_KeyError, "configure(): missing %s", key);    \
            return NULL;                                                     \
        }                                                                    \
        Py_INCREF(v_);                                                       \
        Py_XSETREF(var, v_);                                                 \
    } while (0)
    PyObject *tensor = NULL, *node = NULL, *meta_type = NULL, *cats = NULL;
    GET(tensor, "Tensor");
    GET(node, "Node");
    GET(meta_type, "TensorMeta");
    GET(py_unary, "unary");
    GET(py_binary, "binary");
    GET(anomaly, "anomaly");
    GET(seq_counter, "seq_counter");
    GET(meta_of, "meta_of");
    GET(save_general, "save_general");
    GET(categories, "categories");
    GET(native_category, "native_category");
    GET(needs1, "needs1");
    GET(needs2, "needs2");
    GET(version0, "version0");
    GET(cats, "bool_int_float");
#undef GET
    int ok = Py_TYPE(seq_counter)->tp_iternext != NULL && PyType_Check(tensor) && PyType_Check(node) && PyType_Check(meta_type) &&
             PyDict_CheckExact(categories) && PyTuple_Check(cats) && PyTuple_GET_SIZE(cats) == 3;
    if (!ok) {
        PyErr_SetString(PyExc_TypeError, "configure(): unexpected values");
        goto fail;
    }
    BOOL_CATEGORY = PyLong_AsLong(PyTuple_GET_ITEM(cats, 0));
    INT_CATEGORY = PyLong_AsLong(PyTuple_GET_ITEM(cats, 1));
    FLOAT_CATEGORY = PyLong_AsLong(PyTuple_GET_ITEM(cats, 2));
    {
        const char *tn[] = {"_data", "_backend", "_grad", "_accum", "_hooks",
                            "_base", "_vc", "_meta", "_grad_fn", "_requires_grad"};
        Py_ssize_t *to[] = {&T_data, &T_backend, &T_grad, &T_accum, &T_hooks,
                            &T_base, &T_vc, &T_meta, &T_grad_fn, &T_requires_grad};
        const char *nn[] = {"_extra", "args", "_backend", "_next", "_seq", "needs_input_grad",
                            "shapes", "dtype", "_saved", "_versions", "_out_vc"};
        Py_ssize_t *no[] = {&N_extra, &N_args, &N_backend, &N_next, &N_seq, &N_needs,
                            &N_shapes, &N_dtype, &N_saved, &N_versions, &N_out_vc};
        const char *mn[] = {"shape", "dtype", "one", "pairs", "pointwise", "pointwise2",
                            "pointwise_scalar", "scalar"};
        Py_ssize_t *mo[] = {&M_shape, &M_dtype, &M_one, &M_pairs, &M_pointwise, &M_pointwise2,
                            &M_pointwise_scalar, &M_scalar};
        const char *an[] = {"enabled"};
        Py_ssize_t *ao[] = {&A_enabled};
        if (offsets((PyTypeObject *)tensor, tn, to, 10) < 0 ||
            offsets((PyTypeObject *)node, nn, no, 11) < 0 ||
            offsets((PyTypeObject *)meta_type, mn, mo, 8) < 0 ||
            offsets(Py_TYPE(anomaly), an, ao, 1) < 0)
            goto fail;
    }
    Py_XSETREF(Tensor_type, (PyTypeObject *)tensor);
    Py_XSETREF(Node_type, (PyTypeObject *)node);
    Py_XSETREF(Meta_type, (PyTypeObject *)meta_type);
    Py_DECREF(cats);
    Py_RETURN_NONE;
fail:
    Py_XDECREF(tensor);
    Py_XDECREF(node);
    Py_XDECREF(meta_type);
    Py_XDECREF(cats);
    return NULL;
}

static PyMethodDef methods[] = {
    {"configure", (PyCFunction)configure, METH_O,
     "configure(values): the classes, tables and Python fallbacks the hot path uses."},
    {"unary", (PyCFunction)(void (*)(void))unary, METH_FASTCALL,
     "unary(cls, x, *args): as tensorplug._tensor.unary."},
    {"binary", (PyCFunction)(void (*)(void))binary, METH_FASTCALL,
     "binary(cls, a, b, *args): as tensorplug._tensor.binary."},
    {"set_grad_mode", set_grad_mode, METH_O,
     "set_grad_mode(enabled): this thread's grad mode, as _grad_mode.state holds it."},
    {"op_method", op_method, METH_VARARGS,
     "op_method(cls, binary, name, doc): a Tensor method calling binary/unary with cls."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "tensorplug._speedups",
    "The per-op hot path (unary, binary) compiled; see _speedups.c.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    if (PyType_Ready(&OpMethod_Type) < 0 ||
        (!PyThread_tss_is_created(&grad_off) && PyThread_tss_create(&grad_off) != 0))
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    s_dtype = PyUnicode_InternFromString("dtype");
    s_forwards = PyUnicode_InternFromString("_forwards");
    s_forwards_nd = PyUnicode_InternFromString("_forwards_nd");
    s_ndim = PyUnicode_InternFromString("ndim");
    s_accumulator = PyUnicode_InternFromString("_accumulator");
    s_pair = PyUnicode_InternFromString("pair");
    s_hot = PyUnicode_InternFromString("_hot");
    s_save = PyUnicode_InternFromString("save");
    empty_tuple = PyTuple_New(0);
    zero = PyLong_FromLong(0);
    versions_0_0 = PyTuple_Pack(2, zero, zero);
    versions_0_none = PyTuple_Pack(2, zero, Py_None);
    version_none = PyTuple_Pack(1, Py_None);
    if (!zero || !versions_0_0 || !versions_0_none || !version_none ||
        !s_dtype || !s_forwards || !s_accumulator || !s_pair ||
        !s_hot || !s_save || !empty_tuple) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
