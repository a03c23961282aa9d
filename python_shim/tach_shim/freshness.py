"""Whether the parked pre-collection state still matches the files on disk.

The collection base (worker/collection_base.hpp) keeps the interpreter as it
was just before pytest collected: every module imported so far (conftest
files, plugins, the project's own modules they import) is in memory as it
was read then.  Collecting again from it is right only while none of those
files changed; otherwise the worker must start anew.  :func:`record` notes
each loaded module's file, the ini file and the conftest files pytest
looked for; :func:`stale_reason` compares them with the disk.
"""

import os
import sys
import time

# A file written while the worker was starting may have been read in its
# old or its new form: anything modified after this (less the coarse
# clock's lag) counts as changed.
_CLOCK_LAG_NS = 50_000_000

_started_ns = time.time_ns()
_stamps = {}


def _stamp(path):
    # ctime too: a copy that keeps the old mtime (cp -p, rsync -t) still
    # changes it.
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)


def _conftest_candidates(config):
    # The directories pytest looked for a conftest.py in while starting
    # (pytest's own record; a private name, hence the fallback).
    seen = getattr(config.pluginmanager, "_dirpath2confmods", None) or {}
    return [os.path.join(str(d), "conftest.py") for d in list(seen)]


def record(config):
    """In the base, before the first zygote: note what its state came from."""
    paths = set()
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path:
            paths.add(path)
    inipath = getattr(config, "inipath", None)
    if inipath:
        paths.add(str(inipath))
    paths.update(_conftest_candidates(config))
    _stamps.clear()
    for path in paths:
        _stamps[path] = _stamp(path)


def _shown(path):
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def _describe(path, before, now):
    name = _shown(path)
    if before is None:
        return f"{name} was created"
    if now is None:
        return f"{name} was deleted"
    return f"{name} changed"


def stale_reason():
    """``""`` when every recorded file is as it was, else which one is not."""
    limit = _started_ns - _CLOCK_LAG_NS
    for path in sorted(_stamps):
        before = _stamps[path]
        now = _stamp(path)
        if now != before:
            return _describe(path, before, now) + " since the worker started"
        if now is not None and now[0] > limit:
            return f"{_shown(path)} was written while the worker started"
    return ""
