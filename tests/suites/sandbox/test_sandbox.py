"""What a test can and cannot do inside tach --sandbox.

These tests never send traffic to any non-loopback address: the network
checks look at the interface list and the namespace identity and stop there;
the only socket traffic is on 127.0.0.1.
"""
import errno
import os
import socket

import pytest

SANDBOXED = os.environ.get("TACH_SANDBOX_EXPECTED") == "1"
HERE = os.path.dirname(os.path.abspath(__file__))


def test_interfaces():
    names = sorted(name for _, name in socket.if_nameindex())
    if SANDBOXED:
        assert names == ["lo"]
    else:
        assert "lo" in names


def test_network_namespace_identity():
    host = os.environ["TACH_HOST_NETNS"]
    mine = str(os.stat("/proc/self/ns/net").st_ino)
    if SANDBOXED:
        assert mine != host, "the test runs in the host's network namespace"
    else:
        assert mine == host


def test_loopback_bind_and_connect():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.create_connection(server.getsockname(), timeout=5)
    conn, _ = server.accept()
    client.sendall(b"ping")
    assert conn.recv(4) == b"ping"
    for s in (conn, client, server):
        s.close()


def test_write_into_project_tree():
    path = os.path.join(HERE, "written-by-a-test.txt")
    if SANDBOXED:
        try:
            open(path, "w").close()
        except OSError as exc:
            assert exc.errno in (errno.EROFS, errno.EACCES)
        else:
            os.unlink(path)
            pytest.fail("a test could write into the project tree")
    else:
        open(path, "w").close()
        os.unlink(path)


def test_tmp_path_is_writable(tmp_path):
    (tmp_path / "out.txt").write_text("ok")
    assert (tmp_path / "out.txt").read_text() == "ok"


def test_plain_computation():
    assert sum(range(10)) == 45
