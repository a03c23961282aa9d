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

std::string python_version_string() {
    std::string v = Py_GetVersion();
    auto space = v.find(' ');
    return space == std::string::npos ? v : v.substr(0, space);
}

}  // namespace tach::worker
