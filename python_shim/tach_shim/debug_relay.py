"""pdb over the host's debug socket.

When the host asked for a debugger (``tach_init_options.debugger``, the CLI
on a terminal or with ``--pdb``) the worker has a socket on
``$TACH_DEBUG_FD`` whose other end the host relays to its own
stdin/stdout while a test runs.  pytest's debugging plugin already does the
rest as it would in a terminal: ``breakpoint()``, ``pdb.set_trace()`` and
``--pdb``'s post-mortem all go through ``pytestPDB``, which suspends output
capture and instantiates the class named by ``--pdbcls``.  We name ours:
a ``pdb.Pdb`` whose stdin and stdout are that socket.

Without the socket, pdb reads stdin, which is ``/dev/null`` in the worker:
it reads EOF at its first prompt and quits, and pytest reports the test as
failed with ``bdb.BdbQuit`` (no hang).
"""

import os
import pdb

_FD = None
_streams = None


def take_fd_from_environ():
    """Called before pytest starts: the variable is tach's, not the tests'."""
    global _FD
    value = os.environ.pop("TACH_DEBUG_FD", "")
    if not value:
        return
    try:
        _FD = int(value)
        os.fstat(_FD)
    except (ValueError, OSError):
        _FD = None


def install(config):
    """Called at pytest_configure: use the relay unless the user chose a
    --pdbcls of their own (that one keeps the worker's stdin/stdout)."""
    if _FD is None:
        return
    if getattr(config.option, "usepdb_cls", None) is None:
        config.option.usepdb_cls = (__name__, "RelayPdb")


def _channel():
    global _streams
    if _streams is None:
        # The fd is shared by the zygote and every test process; never close it.
        reader = open(_FD, "r", encoding="utf-8", errors="replace", closefd=False)
        writer = open(_FD, "w", encoding="utf-8", errors="replace", closefd=False, buffering=1)
        _streams = (reader, writer)
    return _streams


def show_failure(report):
    """What pytest prints before its post-mortem prompt (the failure, then
    "entering PDB"), through the relay: pytest writes it to the worker's
    stdout, which nobody sees."""
    if _FD is None or not hasattr(report, "when"):
        return
    _, writer = _channel()
    writer.write("\n>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>> traceback >>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>\n")
    writer.write(report.longreprtext.rstrip() + "\n")
    writer.write(">>>>>>>>>>>>>>>>>>>>>>>>>>>>>> entering PDB >>>>>>>>>>>>>>>>>>>>>>>>>>>>>>\n")
    writer.flush()


class RelayPdb(pdb.Pdb):
    """pdb reading and writing the host's terminal through the relay."""

    def __init__(self, completekey="tab", stdin=None, stdout=None, **kwargs):
        reader, writer = _channel()
        super().__init__(completekey, stdin=stdin or reader, stdout=stdout or writer, **kwargs)
        # pdb reads lines with readline() from the socket; the host's
        # terminal does the line editing and echo.
        self.use_rawinput = False
        self.stdout.write("\n[tach] debugger of the test process %d (Ctrl-D or 'q' quits)\n" % os.getpid())
        self.stdout.flush()
