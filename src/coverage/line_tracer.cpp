#include "coverage/line_tracer.hpp"

#include <limits.h>
#include <stdlib.h>

#include <algorithm>
#include <cstring>
#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>

namespace tach::coverage {
namespace {

// The lines of one file that ran, as a bitmap indexed by line number.
struct FileRecord {
    std::string path;
    std::vector<std::uint64_t> bits;
    bool touched = false;
};

struct TracerState {
    TracerConfig config;
    // Decision per co_filename object, which is held (a strong reference)
    // so that its address can never be reused by another string: a stale
    // entry is impossible.  nullptr: not measured.  Code objects of one
    // module share their filename object, so this stays small.
    std::unordered_map<PyObject *, FileRecord *> by_filename;
    std::unordered_map<std::string, std::unique_ptr<FileRecord>> by_path;
    std::vector<FileRecord *> touched;
    // One-entry cache in front of by_filename: consecutive line events
    // almost always come from the same file.
    PyObject *last_filename = nullptr;
    FileRecord *last_record = nullptr;
    PyObject *tracer_object = nullptr;  // what sys.gettrace() returns
#if TACH_COVERAGE_SYS_MONITORING
    int tool_id = -1;
    PyObject *monitoring = nullptr;  // the sys.monitoring namespace
    PyObject *disable = nullptr;     // sys.monitoring.DISABLE
    long line_event = 0;
#else
    setter f_trace_lines_set = nullptr;  // the frame attributes' C setters
    void *f_trace_lines_closure = nullptr;
    setter f_trace_set = nullptr;
    void *f_trace_closure = nullptr;
#endif
};

TracerState *g_state = nullptr;

bool under(std::string_view path, std::string_view dir) {
    if (dir.empty()) return false;
    if (dir == "/") return !path.empty() && path[0] == '/';
    return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/';
}

bool measured(const TracerConfig &config, std::string_view path) {
    std::size_t best = 0;
    bool found = false;
    for (const auto &s : config.sources) {
        if (under(path, s) && (!found || s.size() > best)) {
            best = s.size();
            found = true;
        }
    }
    if (!found) return false;
    for (const auto &n : config.never)
        if (under(path, n)) return false;
    // An excluded directory counts only when it lies inside the source
    // that matched: measuring a package installed in site-packages is
    // asked for by naming it as a source.
    for (const auto &e : config.excludes)
        if (under(path, e) && e.size() > best) return false;
    return true;
}

FileRecord *decide(PyObject *filename) {
    FileRecord *record = nullptr;
    Py_ssize_t size = 0;
    const char *text = PyUnicode_Check(filename) ? PyUnicode_AsUTF8AndSize(filename, &size) : nullptr;
    if (!text) {
        PyErr_Clear();  // undecodable (lone surrogates): not a file of ours
    } else if (size > 0 && text[0] == '/' && static_cast<std::size_t>(size) == std::strlen(text)) {
        char resolved[PATH_MAX];
        if (realpath(text, resolved) && measured(g_state->config, resolved)) {
            auto &slot = g_state->by_path[resolved];
            if (!slot) {
                slot = std::make_unique<FileRecord>();
                slot->path = resolved;
            }
            record = slot.get();
        }
    }
    Py_INCREF(filename);
    g_state->by_filename.emplace(filename, record);
    return record;
}

FileRecord *record_for_filename(PyObject *filename) {
    TracerState &s = *g_state;
    if (filename == s.last_filename) return s.last_record;
    FileRecord *record;
    auto it = s.by_filename.find(filename);
    if (it != s.by_filename.end()) {
        record = it->second;
    } else {
        // Keep whatever exception may be pending in the traced code.
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        record = decide(filename);
        PyErr_Restore(type, value, tb);
    }
    s.last_filename = filename;
    s.last_record = record;
    return record;
}

FileRecord *record_for_code(PyCodeObject *code) { return record_for_filename(code->co_filename); }

void record_line(FileRecord *f, long line) {
    if (line <= 0 || line > INT_MAX) return;
    auto word = static_cast<std::size_t>(line) >> 6;
    if (word >= f->bits.size()) f->bits.resize(word + 1 + f->bits.size() / 2, 0);
    f->bits[word] |= std::uint64_t{1} << (static_cast<std::uint64_t>(line) & 63);
    if (!f->touched) {
        f->touched = true;
        g_state->touched.push_back(f);
    }
}

#if !TACH_COVERAGE_SYS_MONITORING

FileRecord *record_for_frame(PyFrameObject *frame) {
    PyCodeObject *code = PyFrame_GetCode(frame);  // new reference; the frame keeps it alive
    FileRecord *record = record_for_code(code);
    Py_DECREF(code);
    return record;
}

// No line events for this frame: f_trace_lines = False, through the frame
// type's own setter (found once), which is what `frame.f_trace_lines =
// False` would call.
void stop_line_events(PyFrameObject *frame) {
    TracerState &s = *g_state;
    if (s.f_trace_lines_set) {
        if (s.f_trace_lines_set(reinterpret_cast<PyObject *>(frame), Py_False, s.f_trace_lines_closure) == 0) return;
    } else if (PyObject_SetAttrString(reinterpret_cast<PyObject *>(frame), "f_trace_lines", Py_False) == 0) {
        return;
    }
    PyErr_Clear();
}

// A measured frame's f_trace is the tracer object, as if a Python-level
// tracer had returned it: if the test does `old = sys.gettrace();
// sys.settrace(None); sys.settrace(old)`, Python's trampoline finds it
// there and the lines of frames already running keep being recorded.
// (With the C trace function installed, f_trace is not used.)
void keep_local_tracer(PyFrameObject *frame) {
    TracerState &s = *g_state;
    if (s.f_trace_set &&
        s.f_trace_set(reinterpret_cast<PyObject *>(frame), s.tracer_object, s.f_trace_closure) == 0)
        return;
    PyErr_Clear();
}

int trace_function(PyObject *, PyFrameObject *frame, int what, PyObject *) {
    switch (what) {
    case PyTrace_CALL:
        if (record_for_frame(frame)) keep_local_tracer(frame);
        else stop_line_events(frame);
        break;
    case PyTrace_LINE:
        if (FileRecord *f = record_for_frame(frame)) record_line(f, PyFrame_GetLineNumber(frame));
        break;
    default:
        break;
    }
    return 0;
}

// The C setter behind a frame attribute, which `frame.NAME = v` would call.
void find_frame_setter(const char *name, setter *set, void **closure) {
    PyObject *descr = PyDict_GetItemString(PyFrame_Type.tp_dict, name);  // borrowed
    if (descr && Py_IS_TYPE(descr, &PyGetSetDescr_Type)) {
        PyGetSetDef *def = reinterpret_cast<PyGetSetDescrObject *>(descr)->d_getset;
        if (def && def->set) {
            *set = def->set;
            *closure = def->closure;
        }
    }
}

// --- The tracer as a Python object -------------------------------------
//
// PyEval_SetTrace(func, obj) makes sys.gettrace() return obj.  Code that
// saves and puts back the trace function (`old = sys.gettrace(); ...;
// sys.settrace(old)`) then reinstalls obj as a Python-level tracer, so obj
// is callable with the same meaning: measuring continues, more slowly.

struct TracerObject {
    PyObject_HEAD
};

PyObject *tracer_call(PyObject *self, PyObject *args, PyObject *kwargs) {
    PyObject *frame = nullptr, *event = nullptr, *arg = nullptr;
    if (kwargs || !PyArg_UnpackTuple(args, "LineTracer", 3, 3, &frame, &event, &arg)) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "LineTracer takes (frame, event, arg)");
        return nullptr;
    }
    if (!g_state || !PyFrame_Check(frame) || !PyUnicode_Check(event)) Py_RETURN_NONE;
    auto *f = reinterpret_cast<PyFrameObject *>(frame);
    PyCodeObject *code = PyFrame_GetCode(f);
    FileRecord *record = record_for_code(code);
    Py_DECREF(code);
    if (PyUnicode_CompareWithASCIIString(event, "call") == 0) {
        if (!record) Py_RETURN_NONE;  // no local tracing for this frame
    } else if (PyUnicode_CompareWithASCIIString(event, "line") == 0) {
        if (record) record_line(record, PyFrame_GetLineNumber(f));
    }
    Py_INCREF(self);
    return self;
}

PyType_Slot g_tracer_slots[] = {
    {Py_tp_call, reinterpret_cast<void *>(tracer_call)},
    {Py_tp_doc, const_cast<char *>("tach's line-coverage tracer (callable as a sys.settrace function)")},
    {0, nullptr},
};

PyType_Spec g_tracer_spec = {"_tach_worker.LineTracer", sizeof(TracerObject), 0, Py_TPFLAGS_DEFAULT,
                             g_tracer_slots};

PyObject *new_tracer_object() {
    PyObject *type = PyType_FromSpec(&g_tracer_spec);
    if (!type) return nullptr;
    PyObject *obj = PyType_GenericAlloc(reinterpret_cast<PyTypeObject *>(type), 0);
    Py_DECREF(type);  // the instance holds its heap type
    return obj;
}

#endif  // !TACH_COVERAGE_SYS_MONITORING

#if TACH_COVERAGE_SYS_MONITORING

// --- sys.monitoring (3.12+): written against the documented API, not run
// here (no 3.12 worker is built in this project's CI). --------------------

// PY_START(code, instruction_offset): measured code gets LINE events (a
// local event, which stays set across restart_events); either way this
// code object's PY_START is disabled until the next restart.
PyObject *monitoring_py_start(PyObject *, PyObject *const *args, Py_ssize_t nargs) {
    TracerState &s = *g_state;
    if (nargs >= 1 && PyCode_Check(args[0]) && record_for_code(reinterpret_cast<PyCodeObject *>(args[0]))) {
        PyObject *r = PyObject_CallMethod(s.monitoring, "set_local_events", "iOl", s.tool_id, args[0],
                                          s.line_event);
        if (!r) return nullptr;
        Py_DECREF(r);
    }
    Py_INCREF(s.disable);
    return s.disable;
}

// LINE(code, line_number): record, then DISABLE this line until the next
// restart_events (clear_recorded_lines), so a loop costs one callback.
PyObject *monitoring_line(PyObject *, PyObject *const *args, Py_ssize_t nargs) {
    TracerState &s = *g_state;
    if (nargs >= 2 && PyCode_Check(args[0])) {
        if (FileRecord *f = record_for_code(reinterpret_cast<PyCodeObject *>(args[0]))) {
            long line = PyLong_AsLong(args[1]);
            if (line == -1 && PyErr_Occurred()) PyErr_Clear();
            else record_line(f, line);
        }
    }
    Py_INCREF(s.disable);
    return s.disable;
}

PyMethodDef g_py_start_def = {"tach_py_start", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(monitoring_py_start)),
                              METH_FASTCALL, nullptr};
PyMethodDef g_line_def = {"tach_line", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(monitoring_line)),
                          METH_FASTCALL, nullptr};

// Tool ids 0-2 and 5 are named by CPython (debugger, coverage, profiler,
// optimizer); tach takes the first free one of 3 and 4.
std::string start_monitoring() {
    TracerState &s = *g_state;
    PyObject *sys = PyImport_ImportModule("sys");
    if (!sys) return "cannot import sys";
    s.monitoring = PyObject_GetAttrString(sys, "monitoring");
    Py_DECREF(sys);
    if (!s.monitoring) return "sys.monitoring is missing";
    for (int id : {3, 4}) {
        PyObject *r = PyObject_CallMethod(s.monitoring, "use_tool_id", "is", id, "tach");
        if (r) {
            Py_DECREF(r);
            s.tool_id = id;
            break;
        }
        PyErr_Clear();
    }
    if (s.tool_id < 0) return "sys.monitoring tool ids 3 and 4 are both in use";
    PyObject *events = PyObject_GetAttrString(s.monitoring, "events");
    PyObject *line = events ? PyObject_GetAttrString(events, "LINE") : nullptr;
    PyObject *start = events ? PyObject_GetAttrString(events, "PY_START") : nullptr;
    s.disable = PyObject_GetAttrString(s.monitoring, "DISABLE");
    PyObject *start_cb = PyCFunction_New(&g_py_start_def, nullptr);
    PyObject *line_cb = PyCFunction_New(&g_line_def, nullptr);
    std::string error;
    if (!line || !start || !s.disable || !start_cb || !line_cb) {
        error = "sys.monitoring lacks events.LINE, events.PY_START or DISABLE";
    } else {
        s.line_event = PyLong_AsLong(line);
        PyObject *r1 = PyObject_CallMethod(s.monitoring, "register_callback", "iOO", s.tool_id, line, line_cb);
        PyObject *r2 = r1 ? PyObject_CallMethod(s.monitoring, "register_callback", "iOO", s.tool_id, start, start_cb)
                          : nullptr;
        PyObject *r3 = r2 ? PyObject_CallMethod(s.monitoring, "set_events", "iO", s.tool_id, start) : nullptr;
        if (!r3) error = "cannot register the sys.monitoring callbacks";
        Py_XDECREF(r1);
        Py_XDECREF(r2);
        Py_XDECREF(r3);
    }
    Py_XDECREF(events);
    Py_XDECREF(line);
    Py_XDECREF(start);
    Py_XDECREF(start_cb);
    Py_XDECREF(line_cb);
    return error;
}

#endif  // TACH_COVERAGE_SYS_MONITORING

std::string python_error_text() {
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    std::string text;
    if (value) {
        PyObject *s = PyObject_Str(value);
        const char *u = s ? PyUnicode_AsUTF8(s) : nullptr;
        if (u) text = u;
        Py_XDECREF(s);
    }
    PyErr_Clear();
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    return text;
}

}  // namespace

std::string start_line_tracer(TracerConfig config) {
    if (g_state) return "the line tracer is already running";
    // Never freed: it lives as long as the interpreter (and is rolled back
    // with the rest of the heap by an in-place restore).
    g_state = new TracerState;
    g_state->config = std::move(config);
#if TACH_COVERAGE_SYS_MONITORING
    std::string error = start_monitoring();
    if (!error.empty()) {
        std::string why = python_error_text();
        delete g_state;
        g_state = nullptr;
        return why.empty() ? error : error + ": " + why;
    }
#else
    // Without them: f_trace_lines through the generic setattr, and no
    // f_trace (only a settrace round trip loses the running frames).
    find_frame_setter("f_trace_lines", &g_state->f_trace_lines_set, &g_state->f_trace_lines_closure);
    find_frame_setter("f_trace", &g_state->f_trace_set, &g_state->f_trace_closure);
    g_state->tracer_object = new_tracer_object();
    if (!g_state->tracer_object) {
        std::string why = python_error_text();
        delete g_state;
        g_state = nullptr;
        return "cannot create the tracer object: " + why;
    }
    PyEval_SetTrace(trace_function, g_state->tracer_object);
#endif
    return "";
}

bool line_tracer_active() { return g_state != nullptr; }

void clear_recorded_lines() {
    if (!g_state) return;
    for (FileRecord *f : g_state->touched) {
        std::fill(f->bits.begin(), f->bits.end(), 0);
        f->touched = false;
    }
    g_state->touched.clear();
#if !TACH_COVERAGE_SYS_MONITORING
    // In none isolation an earlier test may have left the tracer removed
    // (sys.settrace(None)) or reinstalled through Python's slower
    // trampoline (sys.settrace(sys.gettrace())): put the C function back,
    // unless another tracer (a debugger) has taken over.
    PyThreadState *ts = PyThreadState_Get();
    if (ts->c_tracefunc != trace_function && (!ts->c_traceobj || ts->c_traceobj == g_state->tracer_object))
        PyEval_SetTrace(trace_function, g_state->tracer_object);
#endif
#if TACH_COVERAGE_SYS_MONITORING
    // Lines and PY_STARTs disabled during the last test fire again.
    PyObject *r = PyObject_CallMethod(g_state->monitoring, "restart_events", nullptr);
    if (!r) PyErr_Clear();
    Py_XDECREF(r);
#endif
}

std::vector<protocol::FileLines> recorded_lines() {
    std::vector<protocol::FileLines> out;
    if (!g_state) return out;
    std::vector<FileRecord *> files = g_state->touched;
    std::sort(files.begin(), files.end(), [](const FileRecord *a, const FileRecord *b) { return a->path < b->path; });
    out.reserve(files.size());
    for (const FileRecord *f : files) {
        protocol::FileLines lines;
        lines.path = f->path;
        for (std::size_t w = 0; w < f->bits.size(); ++w) {
            std::uint64_t bits = f->bits[w];
            while (bits) {
                int b = __builtin_ctzll(bits);
                lines.lines.push_back(static_cast<std::uint32_t>(w * 64 + static_cast<std::size_t>(b)));
                bits &= bits - 1;
            }
        }
        if (!lines.lines.empty()) out.push_back(std::move(lines));
    }
    return out;
}

bool is_measured_path(const std::string &path) { return g_state && measured(g_state->config, path); }

}  // namespace tach::coverage
