"""Node ids as the host sees them.

The protocol carries UTF-8.  A test file whose name is not UTF-8 gives node
ids with lone surrogates (Python's surrogateescape); the host gets them with
each undecodable byte as U+FFFD, and asks for the test by that same text,
which this module's mapping turns back into the item.
"""


def wire_id(nodeid):
    try:
        raw = nodeid.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # surrogates that are not escaped bytes
        return nodeid.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "replace")
