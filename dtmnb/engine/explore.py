"""Looking at S3 state without a config: one state object by its URL, or every state under a prefix.

``s3://bucket/key`` names an object; the region comes from AWS_DEFAULT_REGION (or AWS_REGION), the
endpoint from AWS_ENDPOINT_URL_S3, credentials from boto3's usual chain, as for a config's s3 backend.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..backends import LockInfo, get_backend_class
from ..backends.s3 import S3Backend
from ..errors import DtmnbError, UsageError
from ..state import State, parse_state

#: objects under a prefix that are never states
_NOT_STATES = (".lock", ".backup", ".json")


def split_url(url: str) -> tuple[str, str]:
    """(bucket, key or prefix) of ``s3://bucket/key``; UsageError for anything else."""
    parts = urlsplit(str(url))
    if parts.scheme != "s3" or not parts.netloc:
        raise UsageError(f"expected an S3 URL such as s3://my-bucket/devstream.state, not {url!r}")
    return parts.netloc, parts.path.lstrip("/")


def backend_for(bucket: str, key: str) -> S3Backend:
    """An s3 backend for one object, configured from the environment (no config file)."""
    region = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "us-east-1"
    cls = get_backend_class("s3")
    assert issubclass(cls, S3Backend)
    return cls(bucket, region, key)


@dataclass
class StateObject:
    """One state object under a prefix: where, how big, its tools, who holds its lock, how many versions."""

    key: str
    size: int
    modified: Any
    state: State | None = None
    lock: LockInfo | None = None
    versions: int | None = None
    error: str = ""
    url: str = field(default="")


def read_url(url: str) -> State:
    """The state object ``s3://bucket/key``, parsed (an object that does not exist is an empty state)."""
    bucket, key = split_url(url)
    if not key or key.endswith("/"):
        raise UsageError(f"{url} names a prefix, not a state object; scan_states({url!r}) lists the states under it")
    backend = backend_for(bucket, key)
    return parse_state(backend.read().data, backend.location)


def scan(url: str) -> list[StateObject]:
    """Every state object under the prefix ``s3://bucket/prefix`` (an object whose key ends in ``state``, or that
    reads as a dtm state with tools in it), with its lock holder and version count."""
    bucket, prefix = split_url(url)
    lister = backend_for(bucket, prefix or "devstream.state")
    objects = lister.list_objects(prefix)
    keys = {o["key"] for o in objects}
    found = []
    for o in objects:
        if o["key"].endswith(_NOT_STATES):
            continue
        backend = backend_for(bucket, o["key"])
        item = StateObject(o["key"], o["size"], o["modified"], url=backend.location)
        named = o["key"].lower().endswith("state")
        try:
            item.state = parse_state(backend.read().data, backend.location)
        except DtmnbError as exc:
            if not named:
                continue   # not a state, just another object under the prefix
            item.error = str(exc)
        if not named and item.state is not None and not len(item.state):
            continue       # reads as an empty state (e.g. a text file of comments): not one
        if o["key"] + ".lock" in keys:
            item.lock = backend.current_lock()
        try:
            item.versions = backend.version_count()
        except DtmnbError:
            item.versions = None
        found.append(item)
    return found


__all__ = ["StateObject", "backend_for", "read_url", "scan", "split_url"]
