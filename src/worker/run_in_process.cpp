#include "worker/run_in_process.hpp"

#include "worker/output_cap.hpp"

#include "coverage/line_tracer.hpp"
#include "worker/python_text.hpp"

namespace tach::worker {
namespace {

std::string field(PyObject *dict, const char *key) {
    return utf8_of(PyDict_GetItemString(dict, key));  // borrowed, may be NULL
}

}  // namespace

protocol::Result run_in_process(PyObject *runner, const std::string &nodeid, bool forked) {
    protocol::Result r;
    r.nodeid = nodeid;
    r.phase = "call";
    // Only this test's lines: whatever ran before (collection, an earlier
    // test in none mode, the zygote between tests) is forgotten.
    const bool tracing = coverage::line_tracer_active();
    if (tracing) coverage::clear_recorded_lines();
    PyObject *out = PyObject_CallMethod(runner, "run", "s#O", nodeid.data(),
                                        static_cast<Py_ssize_t>(nodeid.size()),
                                        forked ? Py_True : Py_False);
    if (tracing) r.coverage = coverage::recorded_lines();
    if (!out) {
        r.outcome = protocol::Outcome::Error;
        r.longrepr = "internal error in the tach shim:\n" + take_exception_text();
        r.message = "internal error in the tach shim";
        return r;
    }
    if (!PyDict_Check(out)) {
        Py_DECREF(out);
        r.outcome = protocol::Outcome::Error;
        r.longrepr = r.message = "the tach shim returned a non-dict result";
        return r;
    }
    auto outcome = protocol::outcome_from_name(field(out, "outcome"));
    r.outcome = outcome.value_or(protocol::Outcome::Error);
    PyObject *duration = PyDict_GetItemString(out, "duration");
    r.duration = duration ? PyFloat_AsDouble(duration) : 0.0;
    if (PyErr_Occurred()) {
        PyErr_Clear();
        r.duration = 0.0;
    }
    r.phase = field(out, "phase");
    r.longrepr = field(out, "longrepr");
    r.message = field(out, "message");
    r.stdout_text = field(out, "stdout");
    r.stderr_text = field(out, "stderr");
    PyObject *teardown_failed = PyDict_GetItemString(out, "teardown_failed");
    r.teardown_failed = teardown_failed && PyObject_IsTrue(teardown_failed) == 1 ? 1 : 0;
    PyErr_Clear();
    r.teardown_longrepr = field(out, "teardown_longrepr");
    r.teardown_message = field(out, "teardown_message");
    if (!outcome) r.longrepr = "the tach shim returned an unknown outcome: " + field(out, "outcome");
    Py_DECREF(out);
    for (std::string *text : {&r.stdout_text, &r.stderr_text, &r.longrepr, &r.teardown_longrepr}) cap_output(*text);
    return r;
}

void read_crash_output(PyObject *runner, std::string *out, std::string *err) {
    PyObject *pair = PyObject_CallMethod(runner, "crash_output", nullptr);
    if (pair && PyTuple_Check(pair) && PyTuple_GET_SIZE(pair) == 2) {
        *out = utf8_of(PyTuple_GET_ITEM(pair, 0));
        *err = utf8_of(PyTuple_GET_ITEM(pair, 1));
        cap_output(*out);
        cap_output(*err);
    }
    Py_XDECREF(pair);
    PyErr_Clear();
}

}  // namespace tach::worker
