#include "worker/shim_module.hpp"

#include "common/frame_io.hpp"
#include "common/protocol.hpp"
#include "worker/context.hpp"
#include "worker/python_text.hpp"
#include "worker/serve_loop.hpp"

namespace tach::worker {
namespace {

// collected(nodeids, errors, interrupts, pytest_version, deselected)
//   nodeids: list[str]; errors: list[tuple[str, str]]
PyObject *shim_collected(PyObject *, PyObject *args) {
    PyObject *nodeids = nullptr, *errors = nullptr;
    int interrupts = 0;
    const char *pytest_version = "";
    unsigned int deselected = 0;
    if (!PyArg_ParseTuple(args, "O!O!ps|I", &PyList_Type, &nodeids, &PyList_Type, &errors,
                          &interrupts, &pytest_version, &deselected))
        return nullptr;
    protocol::Collected msg;
    msg.python_version = python_version_string();
    msg.pytest_version = pytest_version;
    msg.interrupts = interrupts ? 1 : 0;
    msg.deselected = deselected;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(nodeids); ++i)
        msg.nodeids.push_back(utf8_of(PyList_GET_ITEM(nodeids, i)));
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(errors); ++i) {
        PyObject *item = PyList_GET_ITEM(errors, i);
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) {
            PyErr_SetString(PyExc_TypeError, "collection errors must be (nodeid, text) pairs");
            return nullptr;
        }
        msg.errors.push_back({utf8_of(PyTuple_GET_ITEM(item, 0)), utf8_of(PyTuple_GET_ITEM(item, 1))});
    }
    if (int err = write_all(context().socket_fd, protocol::encode(msg))) {
        errno = err;
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    context().collected_sent = true;
    Py_RETURN_NONE;
}

// serve(runner): answer the host's requests until it says shut down.
PyObject *shim_serve(PyObject *, PyObject *runner) {
    if (!context().collected_sent) {
        PyErr_SetString(PyExc_RuntimeError, "serve() called before collected()");
        return nullptr;
    }
    if (serve(runner) != 0) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_RuntimeError, "lost the connection to the host");
        return nullptr;
    }
    Py_RETURN_NONE;
}

PyMethodDef kMethods[] = {
    {"collected", shim_collected, METH_VARARGS,
     "collected(nodeids, errors, interrupts, pytest_version, deselected=0): report collection to the host."},
    {"serve", shim_serve, METH_O,
     "serve(runner): run tests on the host's requests until shutdown."},
    {nullptr, nullptr, 0, nullptr},
};

PyModuleDef kModule = {
    PyModuleDef_HEAD_INIT, kShimModuleName,
    "The tach worker's side of the shim: reporting collection and serving tests.",
    -1, kMethods, nullptr, nullptr, nullptr, nullptr,
};

}  // namespace

PyObject *init_shim_module() {
    PyObject *m = PyModule_Create(&kModule);
    if (!m) return nullptr;
    if (PyModule_AddIntConstant(m, "TRACEBACK_FD", context().traceback_fd) != 0 ||
        PyModule_AddIntConstant(m, "ISOLATION", static_cast<long>(context().isolation)) != 0) {
        Py_DECREF(m);
        return nullptr;
    }
    return m;
}

}  // namespace tach::worker
