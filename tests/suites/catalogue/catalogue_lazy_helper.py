"""Imported only inside tests (never at collection), with mutable module state."""
CALLS = []


def record(what):
    CALLS.append(what)
    return len(CALLS)
