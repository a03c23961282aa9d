"""One tach outcome from the reports of a test's setup, call and teardown.

The rules follow pytest's own terminal reporting and skipping plugin:
a failed setup is an error; otherwise the call decides (a skip with
``wasxfail`` is an xfail, a pass with ``wasxfail`` an xpass; a strict xpass
already arrives as a failed call report).  A failed teardown does not change
that outcome: as pytest does, it is reported beside it, as an extra error
(``teardown_failed``, with its own text and message).
"""


def _longrepr_text(report):
    """pytest's failure text.  ``report.longreprtext`` strips both ends,
    losing the first line's indentation; keep it, as the terminal shows."""
    longrepr = report.longrepr
    if longrepr is None:
        return ""
    if hasattr(longrepr, "toterminal"):
        from io import StringIO
        from _pytest._io import TerminalWriter

        out = StringIO()
        writer = TerminalWriter(out)
        writer.hasmarkup = False
        try:
            longrepr.toterminal(writer)
        except Exception:
            return report.longreprtext
        return out.getvalue().rstrip()
    return str(longrepr).rstrip()


def _crash_message(report):
    crash = getattr(report.longrepr, "reprcrash", None)
    message = getattr(crash, "message", None)
    if message:
        return message
    text = report.longreprtext.strip()
    return text.splitlines()[-1] if text else ""


def _skip_reason(report):
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        reason = str(longrepr[2])
    else:
        reason = report.longreprtext
    prefix = "Skipped: "
    return reason[len(prefix):] if reason.startswith(prefix) else reason


def summarize(reports, duration):
    """Reduce pytest TestReports to the dict the worker sends to the host."""
    outcome = None
    phase = "call"
    message = ""
    failures = []
    teardown_failed = False
    teardown_longrepr = ""
    teardown_message = ""
    for report in reports:
        when = report.when
        if report.failed:
            if when == "teardown":
                teardown_failed = True
                teardown_longrepr = _longrepr_text(report)
                teardown_message = _crash_message(report)
                continue
            failures.append(_longrepr_text(report))
            if when == "setup":
                outcome, phase, message = "error", when, _crash_message(report)
            else:
                outcome, phase, message = "failed", when, _crash_message(report)
        elif report.skipped:
            if hasattr(report, "wasxfail"):
                outcome, message = "xfailed", report.wasxfail
            else:
                outcome, message = "skipped", _skip_reason(report)
            phase = when
        elif when == "call":
            if hasattr(report, "wasxfail"):
                outcome, message = "xpassed", report.wasxfail
            else:
                outcome = "passed"
    if outcome is None:
        if teardown_failed:
            # Nothing but a teardown ran (cannot normally happen): the
            # teardown's error is the outcome.
            outcome, phase, message = "error", "teardown", teardown_message
            failures.append(teardown_longrepr)
            teardown_failed = False
        else:
            outcome = "error"
            message = "pytest produced no report for this test"
    last = reports[-1] if reports else None
    return {
        "outcome": outcome,
        "phase": phase,
        "duration": duration,
        "message": message,
        "longrepr": "\n\n".join(failures),
        "stdout": last.capstdout if last is not None else "",
        "stderr": last.capstderr if last is not None else "",
        "teardown_failed": teardown_failed,
        "teardown_longrepr": teardown_longrepr if teardown_failed else "",
        "teardown_message": teardown_message if teardown_failed else "",
    }
