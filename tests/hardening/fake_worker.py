#!/usr/bin/env python3
"""A hostile stand-in for tach-worker (TACH_WORKER points at it).

It speaks tach's protocol (common/protocol.hpp) on the socket fd it is
given, well or badly as $FAKE_WORKER_MODE says:

  garbage-hello     random bytes instead of Hello
  oversized-hello   a length prefix of 0xffffffff
  zero-length       a frame of length 0
  truncated-hello   half a Hello, then the socket closes
  wrong-version     Hello with protocol version 999
  garbage-collected Hello, then a Collected frame of random bytes
  truncated-collected  Hello, then half a Collected frame, then exit
  huge-count        Collected claiming 2^32-1 node ids
  close-on-run      collects two tests; closes the socket on Run
  silent-on-run     collects two tests; never answers Run
  garbage-on-run    collects two tests; answers Run with random bytes
  wrong-type-on-run collects two tests; answers Run with an Ack
  slow-frame        collects two tests; answers Run with a frame header
                    announcing 1000 bytes, sends 10, then stalls
  other-nodeid      collects two tests; answers Run with a result for a
                    test it was not asked for
  bad-utf8-result   collects two tests; answers each Run with a passed
                    result whose texts are not UTF-8 and a NaN duration

Every process it starts has FAKE_WORKER_MARKER in its environment (it is
inherited), so a check can count them.  Standard library only.
"""
import os
import random
import socket
import struct
import sys
import time


def frame(payload):
    return struct.pack("<I", len(payload)) + payload


def u32(v):
    return struct.pack("<I", v & 0xFFFFFFFF)


def string(s):
    b = s.encode() if isinstance(s, str) else s
    return u32(len(b)) + b


def hello(version=4):  # src/common/protocol.hpp kVersion
    return frame(bytes([1]) + u32(version) + u32(os.getpid()))


def collected(nodeids):
    body = bytes([3]) + u32(0) + string("") + string("3.11.fake") + string("7.fake")
    body += u32(len(nodeids)) + b"".join(string(n) for n in nodeids)
    body += u32(0) + u32(0) + u32(0) + u32(0)  # errors, interrupts, deselected, coverage
    body += u32(0)  # python_files (none: pytest's default)
    return frame(body)


def ack():
    return frame(bytes([5]) + u32(0) + string("fake"))


def started():
    return frame(bytes([7]) + u32(os.getpid()))


def result(nodeid, outcome=0, text=b"", duration=0.01):
    body = bytes([8]) + string(nodeid) + u32(outcome) + struct.pack("<d", duration) + string("call")
    body += string(text) + string(text) + string(text) + string(text)  # longrepr message stdout stderr
    body += u32(0) + u32(0xFFFFFFFF) + u32(0) + string(b"") + string(b"") + u32(0)
    return frame(body)


def read_frame(sock):
    head = b""
    while len(head) < 4:
        chunk = sock.recv(4 - len(head))
        if not chunk:
            sys.exit(0)
        head += chunk
    (n,) = struct.unpack("<I", head)
    data = b""
    while len(data) < n:
        chunk = sock.recv(min(65536, n - len(data)))
        if not chunk:
            sys.exit(0)
        data += chunk
    return data


def main():
    args = sys.argv[1:]
    fd = int(args[args.index("--socket-fd") + 1])
    sock = socket.socket(fileno=fd)
    mode = os.environ.get("FAKE_WORKER_MODE", "")
    rnd = random.Random(7)
    garbage = bytes(rnd.randrange(256) for _ in range(512))
    if mode == "garbage-hello":
        sock.sendall(garbage)
        time.sleep(30)
        return
    if mode == "oversized-hello":
        sock.sendall(b"\xff\xff\xff\xff" + garbage)
        time.sleep(30)
        return
    if mode == "zero-length":
        sock.sendall(b"\0\0\0\0")
        time.sleep(30)
        return
    if mode == "truncated-hello":
        sock.sendall(hello()[:6])
        return
    if mode == "wrong-version":
        sock.sendall(hello(999))
        time.sleep(30)
        return
    sock.sendall(hello())
    read_frame(sock)  # Init
    if mode == "garbage-collected":
        sock.sendall(frame(bytes([3]) + garbage))
        time.sleep(30)
        return
    if mode == "truncated-collected":
        whole = collected(["test_a.py::test_one", "test_a.py::test_two"])
        sock.sendall(whole[: len(whole) // 2])
        return
    if mode == "huge-count":
        sock.sendall(frame(bytes([3]) + u32(0) + string("") + string("x") + string("y") + u32(0xFFFFFFFF)))
        time.sleep(30)
        return
    sock.sendall(collected(["test_a.py::test_one", "test_a.py::test_two"]))
    while True:
        req = read_frame(sock)
        kind = req[0]
        if kind == 4:  # Snapshot
            sock.sendall(ack())
        elif kind == 10:  # Shutdown
            return
        elif kind == 6:  # Run
            if mode == "close-on-run":
                sock.close()
                return
            if mode == "silent-on-run":
                time.sleep(3600)
                return
            if mode == "garbage-on-run":
                sock.sendall(frame(bytes([8]) + garbage))
                time.sleep(30)
                return
            if mode == "wrong-type-on-run":
                sock.sendall(ack())
                time.sleep(30)
                return
            (n,) = struct.unpack("<I", req[1:5])
            nodeid = req[5:5 + n].decode()
            if mode == "other-nodeid":
                sock.sendall(started() + result("test_a.py::test_" + ("two" if nodeid.endswith("one") else "one")))
                time.sleep(30)
                return
            if mode == "bad-utf8-result":
                sock.sendall(started() + result(nodeid, 0, b"bad \xff\xfe \xc3( \xed\xa0\x80 end", float("nan")))
                continue
            if mode == "slow-frame":
                sock.sendall(u32(1000) + b"\x08" * 10)
                time.sleep(3600)
                return
            sys.exit(3)


if __name__ == "__main__":
    main()
