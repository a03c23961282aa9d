#!/usr/bin/env python3
"""Writes the seed corpora (tests/fuzz/corpus/{protocol,options}) once;
libFuzzer's findings that are worth keeping are added beside them.

    python3 tests/fuzz/make_seeds.py
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "hardening"))
from fake_worker import (ack, collected, frame, hello, result, started,  # noqa: E402
                         string, u32)


def write(kind, name, data):
    d = os.path.join(HERE, "corpus", kind)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    # A stream starts with the chunking byte, then frames.
    msgs = {
        "hello": hello(),
        "collected": collected(["test_a.py::test_one", "test_a.py::TestX::test_two[1-caf\u00e9]"]),
        "ack": ack(),
        "started": started(),
        "result-passed": result("test_a.py::test_one"),
        "result-failed": result("test_a.py::test_one", 1, b"assert 1 == 2\n\xff"),
        "runner-exited": frame(bytes([12]) + u32(77) + u32(9) + string("out") + string("err")),
        "restored": frame(bytes([13]) + u32(0) + u32(1200) + u32(0) + struct.pack("<d", 0.001) + string("")),
        "runner-ready": frame(bytes([11]) + u32(77)),
        "statement-lines": frame(bytes([15]) + u32(0) + string("") + u32(1) + string("/p/a.py") +
                                 u32(3) + u32(1) + u32(2) + u32(5) + u32(2) + u32(2) + u32(4)),
        "collected-coverage": frame(bytes([3]) + u32(0) + string("") + string("3.11") + string("7.2") +
                                    u32(1) + string("t.py::t") + u32(1) + string("bad.py") + string("E") +
                                    u32(1) + u32(2) + u32(1) + string("/p/a.py") + u32(2) + u32(1) + u32(3) +
                                    u32(2) + string("test_*.py") + string("check_*.py")),
        "recollect": frame(bytes([17]) + u32(2) + string("tests/test_a.py") + string("t.py::t[caf\u00e9]")),
    }
    for name, data in msgs.items():
        write("protocol", name, b"\x03" + data)
    write("protocol", "session", b"\x05" + msgs["hello"] + msgs["collected"] + msgs["ack"] + msgs["started"] +
          msgs["result-passed"] + msgs["restored"])
    write("protocol", "oversized", b"\x00\xff\xff\xff\x7f\x08")
    write("protocol", "zero", b"\x00\x00\x00\x00\x00")

    argvs = {
        "plain": ["tests/", "-k", "foo and not bar", "-x", "--timeout", "2.5"],
        "memory": ["--max-worker-memory", "2G", "--isolation=snapshot", "-q"],
        "memory-bad": ["--max-worker-memory=1.5G", "--maxfail", "3"],
        "cov": ["--cov", "pkg", "--cov-report", "term-missing", "--cov-context", "test", "--no-cov"],
        "junit": ["--junit-xml", "out.xml", "--collect-only", "--python", "/usr/bin/python3", "--stats"],
        "clusters": ["-vvk", "expr", "-rA", "--", "-x", "--timeout"],
        "doctor": ["doctor", "--color=yes", "--version", "--help"],
    }
    for name, argv in argvs.items():
        write("options", name, "\0".join(argv).encode())


if __name__ == "__main__":
    main()
