"""Memory growth: a big buffer kept in a global (malloc -> its own mapping),
many small objects kept (Python's arenas grow), the heap grown with brk."""

import catalogue_state as S

BIG = None
SMALL = None
HEAP = None


def _rss_ok():
    baseline, rss = S.rss_baseline()
    assert rss <= baseline + S.RSS_SLACK, (
        "resident set %.1f MiB, more than %.1f MiB (this process's first test) + %.0f MiB"
        % (rss / 2**20, baseline / 2**20, S.RSS_SLACK / 2**20))


def _big():
    global BIG
    assert BIG is None, "another test's %d-byte buffer is still here" % len(BIG)
    _rss_ok()
    BIG = bytearray(S.BIG_ALLOCATION)
    BIG[::4096] = b"\x01" * len(range(0, len(BIG), 4096))  # make every page resident


def test_memory_growth_big_buffer_pristine_then_dirty_a():
    _big()


def test_memory_growth_big_buffer_pristine_then_dirty_b():
    _big()


def _small():
    global SMALL
    assert SMALL is None, "another test's %d small objects are still here" % len(SMALL)
    SMALL = [("item", i, str(i)) for i in range(200_000)]


def test_memory_growth_small_objects_pristine_then_dirty_a():
    _small()


def test_memory_growth_small_objects_pristine_then_dirty_b():
    _small()


def _brk():
    # Many medium malloc()s below the mmap threshold extend the heap (brk).
    global HEAP
    assert HEAP is None, "another test's %d heap blocks are still here" % len(HEAP)
    _rss_ok()
    HEAP = [bytes(2000) + i.to_bytes(4, "little") for i in range(10_000)]


def test_memory_growth_heap_pristine_then_dirty_a():
    _brk()


def test_memory_growth_heap_pristine_then_dirty_b():
    _brk()
