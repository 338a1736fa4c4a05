"""A fault-injecting HTTP proxy on 127.0.0.1 in front of a real S3 server (weed or moto).

Point a backend's ``endpoint`` at ``proxy.endpoint``: requests are forwarded unchanged (the Host header too,
so SigV4 signatures still verify on weed) and every request is logged as a :class:`Seen`. A :class:`Fault`
picks requests by method and object ("state", "lock") and breaks them in one of these ways:

- ``status_before``: answer ``status`` (503 SlowDown, 500 ...) without forwarding: the server never acted;
- ``status_after``: forward, then answer ``status`` instead of the server's answer: the server acted;
- ``drop``: forward, then close the connection without an answer;
- ``delay``: forward, then answer only after ``delay`` seconds (past the client's read timeout);
- ``truncate``: forward, then send the headers and half of the body, and close;
- ``reset_before``: read part of the request body, then reset the connection (RST): the server never acted;
- ``reset_after``: forward, then reset the connection;
- ``pass``: forward unchanged (with ``hook``: run it first, e.g. to let someone else act in between).

A fault's ``hook`` (if any) runs just before the request is forwarded.
"""
from __future__ import annotations

import http.client
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit

KINDS = ("status_before", "status_after", "drop", "delay", "truncate", "reset_before", "reset_after", "pass")
_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection"}


def _error_xml(code: str, message: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message>'
            f"</Error>").encode()


@dataclass
class Fault:
    """Break matching requests number ``skip+1`` .. ``skip+times`` (counted per fault; 0 = every one after)."""

    kind: str
    method: str | None = None          # "GET", "PUT", "DELETE", "HEAD" or None for any
    target: str | None = None          # "state", "lock" or None for any
    skip: int = 0
    times: int = 1
    status: int = 503
    code: str = "SlowDown"
    delay: float = 2.0
    hook: Callable[[], None] | None = None
    matched: int = field(default=0, init=False)
    fired: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}")

    def wants(self, method: str, target: str) -> bool:
        if (self.method and self.method != method) or (self.target and self.target != target):
            return False
        self.matched += 1
        if self.matched <= self.skip or (self.times and self.matched > self.skip + self.times):
            return False
        self.fired += 1
        return True

    def __str__(self) -> str:
        what = self.kind + (f" {self.status} {self.code}" if self.kind.startswith("status") else "")
        return f"{what} on {self.method or 'any'} {self.target or 'any'} #{self.skip + 1}" + (
            f" x{self.times}" if self.times != 1 else "")


@dataclass
class Seen:
    method: str
    target: str
    path: str
    query: str
    fault: str | None
    status: int | None   # what the server answered (None: not forwarded)
    conditions: str = ""  # the conditional headers sent, e.g. "If-Match" or "If-None-Match=*"


class _Handler(BaseHTTPRequestHandler):
    """Forwards one request to the upstream server, broken as the proxy's first matching fault says."""

    protocol_version = "HTTP/1.1"
    proxy: FaultProxy  # set on the subclass each FaultProxy makes

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _reset(self) -> None:
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes, cut: int | None = None) -> None:
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in _HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if cut is not None:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body if cut is None else body[:cut])
        self.wfile.flush()
        if cut is not None:
            self.close_connection = True

    def _send_fault(self, fault: Fault) -> None:
        self._send(fault.status, [("Content-Type", "application/xml")],
                   _error_xml(fault.code, "injected by the test proxy"))

    def _handle(self) -> None:
        proxy, parts, method = self.proxy, urlsplit(self.path), self.command
        target = proxy.classify(unquote(parts.path), parts.query)
        fault = proxy._pick(method, target)
        if fault is not None and fault.kind == "reset_before":
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(max(1, length // 2))
            proxy._log(method, target, parts, fault, None, self.headers)
            return self._reset()
        body = self._body()
        if fault is not None and fault.kind == "status_before":
            proxy._log(method, target, parts, fault, None, self.headers)
            return self._send_fault(fault)
        if fault is not None and fault.hook is not None:
            try:
                fault.hook()
            except Exception as exc:  # the test looks at hook_errors
                proxy.hook_errors.append(exc)
        try:
            status, headers, data = proxy._forward(method, self.path, dict(self.headers), body)
        except OSError:
            proxy._log(method, target, parts, fault, None, self.headers)
            return self._reset()
        proxy._log(method, target, parts, fault, status, self.headers)
        self._answer(fault, status, headers, data)

    def _answer(self, fault: Fault | None, status: int, headers: list[tuple[str, str]], data: bytes) -> None:
        """Pass the server's answer on, or break it as ``fault`` says."""
        kind = "pass" if fault is None else fault.kind
        if fault is not None and kind == "status_after":
            return self._send_fault(fault)
        if kind == "drop":
            self.close_connection = True
            return None
        if kind == "reset_after":
            return self._reset()
        if fault is not None and kind == "delay":
            time.sleep(fault.delay)  # the fault itself (an answer later than the client waits), not a barrier
        if kind == "truncate":
            return self._send(status, headers, data, cut=len(data) // 2)
        try:
            self._send(status, headers, data)
        except OSError:  # the client gave up (delay)
            self.close_connection = True
        return None

    do_GET = do_PUT = do_HEAD = do_DELETE = do_POST = _handle


class FaultProxy:
    """``FaultProxy(upstream)``: start it, add faults with ``add``, read ``seen``; ``close()`` stops it."""

    def __init__(self, upstream: str, state_suffix: str = "", lock_suffix: str = ".lock"):
        up = urlsplit(upstream)
        self._up: tuple[str, int] = (up.hostname or "127.0.0.1", up.port or 80)
        self.lock_suffix = lock_suffix
        self.faults: list[Fault] = []
        self.seen: list[Seen] = []
        self.hook_errors: list[Exception] = []
        self._mutex = threading.Lock()
        handler = type("Handler", (_Handler,), {"proxy": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    # ---- used by the handler -------------------------------------------------------------------
    def classify(self, path: str, query: str) -> str:
        key = path.lstrip("/").partition("/")[2]
        if not key:
            return "bucket"
        return "lock" if key.endswith(self.lock_suffix) else "state"

    def _pick(self, method: str, target: str) -> Fault | None:
        with self._mutex:
            for fault in self.faults:
                if fault.wants(method, target):
                    return fault
        return None

    def _log(self, method: str, target: str, parts: SplitResult, fault: Fault | None, status: int | None,
             headers: Any = None) -> None:
        conditions = []
        for name in ("If-Match", "If-None-Match"):
            value = (headers or {}).get(name)
            if value is not None:
                conditions.append(f"{name}=*" if value == "*" else name)
        with self._mutex:
            self.seen.append(Seen(method, target, parts.path, parts.query, str(fault) if fault else None, status,
                                  " ".join(conditions)))

    def _forward(self, method: str, path: str, headers: dict[str, str],
                 body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(*self._up, timeout=30)
        try:
            sent = {k: v for k, v in headers.items() if k.lower() not in _HOP}
            if body or method in ("PUT", "POST"):
                sent["Content-Length"] = str(len(body))
            conn.request(method, path, body=body if body else None, headers=sent)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, resp.getheaders(), data
        finally:
            conn.close()

    # ---- used by tests -------------------------------------------------------------------------
    def add(self, *faults: Fault) -> FaultProxy:
        with self._mutex:
            self.faults.extend(faults)
        return self

    def clear(self) -> None:
        with self._mutex:
            self.faults.clear()
            self.seen.clear()

    def requests(self, target: str | None = None, conditions: bool = False) -> list[str]:
        """``"GET state"``-style names of the requests seen, in order (optionally of one target; with
        ``conditions``, ``"PUT state If-Match"``)."""
        with self._mutex:
            return [f"{s.method} {s.target}" + (f" {s.conditions}" if conditions and s.conditions else "")
                    for s in self.seen if target is None or s.target == target]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
