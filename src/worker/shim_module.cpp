#include "worker/shim_module.hpp"

#include "common/frame_io.hpp"
#include "coverage/line_tracer.hpp"
#include "common/protocol.hpp"
#include "worker/collection_base.hpp"
#include "worker/context.hpp"
#include "worker/python_text.hpp"
#include "worker/serve_loop.hpp"

namespace tach::worker {
namespace {

bool string_list(PyObject *list, std::vector<std::string> *out) {
    if (!PyList_Check(list)) {
        PyErr_SetString(PyExc_TypeError, "expected a list of str");
        return false;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); ++i) {
        PyObject *item = PyList_GET_ITEM(list, i);
        Py_ssize_t size = 0;
        const char *text = PyUnicode_Check(item) ? PyUnicode_AsUTF8AndSize(item, &size) : nullptr;
        if (!text) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "expected a list of str");
            return false;
        }
        out->emplace_back(text, static_cast<std::size_t>(size));
    }
    return true;
}

// collected(nodeids, errors, interrupts, pytest_version, deselected,
//           python_files)
//   nodeids: list[str]; errors: list[tuple[str, str]]; python_files:
//   list[str], pytest's test-module patterns
PyObject *shim_collected(PyObject *, PyObject *args) {
    PyObject *nodeids = nullptr, *errors = nullptr;
    int interrupts = 0;
    const char *pytest_version = "";
    unsigned int deselected = 0;
    PyObject *python_files = nullptr;
    if (!PyArg_ParseTuple(args, "O!O!ps|IO", &PyList_Type, &nodeids, &PyList_Type, &errors,
                          &interrupts, &pytest_version, &deselected, &python_files))
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
    if (python_files && !string_list(python_files, &msg.python_files)) return nullptr;
    // What ran while importing and collecting: the collection context.
    msg.coverage = coverage::recorded_lines();
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


// coverage_start(sources, excludes, never): install the line tracer.
PyObject *shim_coverage_start(PyObject *, PyObject *args) {
    PyObject *sources = nullptr, *excludes = nullptr, *never = nullptr;
    if (!PyArg_ParseTuple(args, "OOO", &sources, &excludes, &never)) return nullptr;
    coverage::TracerConfig config;
    if (!string_list(sources, &config.sources) || !string_list(excludes, &config.excludes) ||
        !string_list(never, &config.never))
        return nullptr;
    std::string error = coverage::start_line_tracer(std::move(config));
    if (!error.empty()) {
        PyErr_SetString(PyExc_RuntimeError, error.c_str());
        return nullptr;
    }
    Py_RETURN_NONE;
}

// coverage_measured(path): whether the tracer measures this resolved path.
PyObject *shim_coverage_measured(PyObject *, PyObject *arg) {
    Py_ssize_t size = 0;
    const char *text = PyUnicode_Check(arg) ? PyUnicode_AsUTF8AndSize(arg, &size) : nullptr;
    if (!text) {
        PyErr_Clear();
        Py_RETURN_FALSE;
    }
    return PyBool_FromLong(coverage::is_measured_path(std::string(text, static_cast<std::size_t>(size))));
}

// park(): called when pytest is about to collect; returns the paths to
// collect instead of pytest's own ([]: its own).  With a collection base
// this process parks there and only its zygotes return
// (worker/collection_base.hpp).
PyObject *shim_park(PyObject *, PyObject *) {
    const std::vector<std::string> paths = park_before_collection();
    PyObject *list = PyList_New(0);
    for (const std::string &path : paths) {
        PyObject *text = list ? PyUnicode_DecodeFSDefaultAndSize(path.data(), static_cast<Py_ssize_t>(path.size()))
                              : nullptr;
        if (!text || PyList_Append(list, text) != 0) Py_CLEAR(list);
        Py_XDECREF(text);
        if (!list) return nullptr;
    }
    return list;
}

PyMethodDef kMethods[] = {
    {"park", shim_park, METH_NOARGS,
     "park(): at the start of collection; the paths to collect instead of pytest's own ([]: its own)."},
    {"collected", shim_collected, METH_VARARGS,
     "collected(nodeids, errors, interrupts, pytest_version, deselected=0, python_files=None): "
     "report collection to the host."},
    {"serve", shim_serve, METH_O,
     "serve(runner): run tests on the host's requests until shutdown."},
    {"coverage_start", shim_coverage_start, METH_VARARGS,
     "coverage_start(sources, excludes, never): start recording the lines run in measured files."},
    {"coverage_measured", shim_coverage_measured, METH_O,
     "coverage_measured(path): whether lines of this resolved path are recorded."},
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
        PyModule_AddIntConstant(m, "COVERAGE", context().coverage ? 1 : 0) != 0 ||
        PyModule_AddIntConstant(m, "KEEPS_BASE", context().keep_base ? 1 : 0) != 0) {
        Py_DECREF(m);
        return nullptr;
    }
    PyObject *sources = PyTuple_New(static_cast<Py_ssize_t>(context().coverage_sources.size()));
    for (std::size_t i = 0; sources && i < context().coverage_sources.size(); ++i) {
        const std::string &dir = context().coverage_sources[i];
        PyObject *text = PyUnicode_DecodeFSDefaultAndSize(dir.data(), static_cast<Py_ssize_t>(dir.size()));
        if (!text) {
            Py_CLEAR(sources);
            break;
        }
        PyTuple_SET_ITEM(sources, static_cast<Py_ssize_t>(i), text);
    }
    if (!sources || PyModule_AddObject(m, "COVERAGE_SOURCES", sources) != 0) {
        Py_XDECREF(sources);
        Py_DECREF(m);
        return nullptr;
    }
    return m;
}

}  // namespace tach::worker
