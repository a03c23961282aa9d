"""Keep a copy of what pytest writes to sys.stderr before collection.

pytest reports usage errors and conftest import failures on sys.stderr and
returns; the host needs that text as the error message of tach_init.
"""

import io


class StderrRecorder(io.TextIOBase):
    """A text stream that writes through to ``inner`` and remembers it."""

    def __init__(self, inner):
        self.inner = inner
        self._parts = []

    def write(self, text):
        self._parts.append(text)
        try:
            return self.inner.write(text)
        except Exception:
            return len(text)

    def flush(self):
        try:
            self.inner.flush()
        except Exception:
            pass

    def isatty(self):
        return False

    @property
    def encoding(self):
        return getattr(self.inner, "encoding", "utf-8")

    def fileno(self):
        return self.inner.fileno()

    def text(self):
        return "".join(self._parts)
