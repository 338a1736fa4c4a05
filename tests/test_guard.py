import socket

import pytest


def test_network_guard_refuses_non_loopback():
    with pytest.raises(OSError, match="network guard"):
        socket.create_connection(("169.254.169.254", 80), timeout=0.5)


def test_network_guard_allows_loopback():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    c = socket.create_connection(srv.getsockname(), timeout=1)
    c.close()
    srv.close()
