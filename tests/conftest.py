"""Test-wide guards: talk only to 127.0.0.1, never to AWS/GitHub/instance metadata, no real home state."""
from __future__ import annotations

import ipaddress
import os
import socket

import pytest

# Set before boto3 is imported anywhere, so no test can reach the instance-metadata address.
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ.setdefault("DTMNB_AUTO_APPROVE", "")
for _name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
              "GITHUB_API_URL", "GITHUB_TOKEN", "github_token"):
    os.environ.pop(_name, None)

_real_connect = socket.socket.connect
_real_create_connection = socket.create_connection


def _check_address(address) -> None:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, bytes):
        host = host.decode()
    if not isinstance(host, str) or socket.AF_UNIX and "/" in host:
        return
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if host in ("localhost",):
            return
        raise OSError(f"test network guard: refusing to connect to {host!r} (tests talk only to 127.0.0.1)") from None
    if not ip.is_loopback:
        raise OSError(f"test network guard: refusing to connect to {host} (tests talk only to 127.0.0.1)")


def _guarded_connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check_address(address)
    return _real_connect(self, address)


def _guarded_create_connection(address, *args, **kwargs):
    _check_address(address)
    return _real_create_connection(address, *args, **kwargs)


socket.socket.connect = _guarded_connect
socket.create_connection = _guarded_create_connection


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """No test reads or writes the real ~/.aws or a state file in the user's home."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "aws-config-does-not-exist"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "aws-credentials-does-not-exist"))
    yield


# Fixtures owned by the S3 and GitHub test modules (servers started by the tests themselves).
from ._fixtures_github import *  # noqa: E402, F403
from ._fixtures_s3 import *  # noqa: E402, F403
