#include "worker/python_text.hpp"

namespace tach::worker {

std::string utf8_of(PyObject *obj) {
    if (!obj || obj == Py_None) return "";
    PyObject *text = PyUnicode_Check(obj) ? (Py_INCREF(obj), obj) : PyObject_Str(obj);
    if (!text) {
        PyErr_Clear();
        return "<unprintable object>";
    }
    PyObject *bytes = PyUnicode_AsEncodedString(text, "utf-8", "replace");
    Py_DECREF(text);
    if (!bytes) {
        PyErr_Clear();
        return "<unencodable text>";
    }
    std::string out(PyBytes_AS_STRING(bytes), static_cast<std::size_t>(PyBytes_GET_SIZE(bytes)));
    Py_DECREF(bytes);
    return out;
}

std::string take_exception_text() {
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    if (!type) return "";
    PyErr_NormalizeException(&type, &value, &tb);
    std::string text;
    if (PyObject *traceback = PyImport_ImportModule("traceback")) {
        PyObject *lines = PyObject_CallMethod(traceback, "format_exception", "OOO", type,
                                              value ? value : Py_None, tb ? tb : Py_None);
        Py_DECREF(traceback);
        if (lines) {
            PyObject *empty = PyUnicode_FromString("");
            PyObject *joined = empty ? PyUnicode_Join(empty, lines) : nullptr;
            if (joined) text = utf8_of(joined);
            Py_XDECREF(joined);
            Py_XDECREF(empty);
            Py_DECREF(lines);
        }
    }
    PyErr_Clear();
    if (text.empty()) {
        // The traceback module failed too: the type's name and str() at least.
        PyObject *name = PyObject_GetAttrString(type, "__name__");
        text = name ? utf8_of(name) : "exception";
        Py_XDECREF(name);
        PyErr_Clear();
        std::string why = utf8_of(value);
        if (!why.empty()) text += ": " + why;
    }
    while (!text.empty() && text.back() == '\n') text.pop_back();
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    return text;
}

std::string python_version_string() {
    std::string v = Py_GetVersion();
    auto space = v.find(' ');
    return space == std::string::npos ? v : v.substr(0, space);
}

}  // namespace tach::worker
