"""Give forked test processes the zygote's state where Python resets it.

CPython's ``random`` module reseeds its global generator in every forked
child (``os.register_at_fork``).  A test run in its own fresh process would
see the generator exactly as conftest.py left it (seeded, say), so a child
forked by tach must too: the state is saved before each fork and put back in
the child, after ``random``'s own hook has run.
"""

import os
import random

_saved_random_state = None


def _save():
    global _saved_random_state
    _saved_random_state = random.getstate()


def _restore_in_child():
    if _saved_random_state is not None:
        random.setstate(_saved_random_state)


def install():
    """Register the hooks (once).  ``random`` is imported above, so its own
    reseeding hook runs first in the child and ours undoes it."""
    os.register_at_fork(before=_save, after_in_child=_restore_in_child)
