"""Mappings: an anonymous one created and kept, a private file mapping created,
a pristine mapping overwritten, one unmapped, one made read-only (mprotect)."""

import ctypes
import mmap

import catalogue_state as S

ANON = None
FILE_MAP = []


def _anon():
    global ANON
    assert ANON is None, "the anonymous mapping of another test is still here"
    ANON = mmap.mmap(-1, 1 << 20, flags=mmap.MAP_PRIVATE)
    for off in range(0, len(ANON), S.PAGE):
        ANON[off] = 0xA5


def test_mmap_anonymous_pristine_then_dirty_a():
    _anon()


def test_mmap_anonymous_pristine_then_dirty_b():
    _anon()


def _file():
    mapped = [line for line in S.maps_lines() if S.MAPPED_MARKER in line]
    assert not mapped, "file mapped by another test:\n" + "\n".join(mapped)
    with open(S.MAPPED_PATH, "r+b") as f:
        m = mmap.mmap(f.fileno(), 0, flags=mmap.MAP_PRIVATE)
    m[0] = 0x00  # a private copy-on-write page
    FILE_MAP.append(m)
    assert any(S.MAPPED_MARKER in line for line in S.maps_lines())


def test_mmap_file_private_pristine_then_dirty_a():
    _file()


def test_mmap_file_private_pristine_then_dirty_b():
    _file()


def _content():
    m = S.GOLDEN_CONTENT_MAP
    assert S.golden_map_intact(m), "the golden mapping's content changed"
    for off in range(0, len(m), S.PAGE):
        m[off:off + 8] = b"dirtied!"


def test_mmap_content_pristine_then_dirty_a():
    _content()


def test_mmap_content_pristine_then_dirty_b():
    _content()


def _unmapped():
    m = S.GOLDEN_UNMAP_MAP
    assert not m.closed, "the golden mapping was closed (unmapped)"
    assert S.golden_map_intact(m)
    m.close()  # munmap()


def test_mmap_unmapped_pristine_then_dirty_a():
    _unmapped()


def test_mmap_unmapped_pristine_then_dirty_b():
    _unmapped()


def _protected():
    perms = S.mapping_perms(S.GOLDEN_PROTECT_ADDR)
    assert perms == S.GOLDEN_PROTECT_PERMS, "golden mapping is %s, was %s" % (perms, S.GOLDEN_PROTECT_PERMS)
    assert S.golden_map_intact(S.GOLDEN_PROTECT_MAP)
    rc = S.LIBC.mprotect(S.GOLDEN_PROTECT_ADDR, S.GOLDEN_SIZE, mmap.PROT_READ)
    assert rc == 0, "mprotect failed: errno %d" % ctypes.get_errno()
    assert S.mapping_perms(S.GOLDEN_PROTECT_ADDR).startswith("r--")


def test_mmap_protected_pristine_then_dirty_a():
    _protected()


def test_mmap_protected_pristine_then_dirty_b():
    _protected()
