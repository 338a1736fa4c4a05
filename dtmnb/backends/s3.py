"""The s3 backend: the state is one S3 object, written with If-Match, locked by ``<key>.lock``.

Compared with dtm's s3 backend (bucket/region/key, last writer wins, auto-creates an empty object):
- a missing object reads as an empty state and is created by the first write, never before;
- writes carry ``If-Match: <etag read>`` (or ``If-None-Match: *`` for the first one), so a state that
  changed since it was read is never overwritten;
- a ``<key>.lock`` object created with ``If-None-Match: *`` holds the lock (Terraform's ``use_lockfile``);
- with bucket versioning on, ``history()`` lists the object's versions.

Why, and how dtm differed: docs/dtm-compatibility.md#locking-and-conditional-writes; how S3 servers
answer the conditional writes: docs/s3-servers.md#conditional-writes.

Credentials come only from boto3's normal chain (environment, profile, SSO, instance role).
boto3 is imported inside this module's functions only.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import uuid
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..errors import BackendError, HistoryUnavailableError, StaleStateError, missing_dependency
from ..redact import redact
from ..schema import Option, OptionProblem, Schema
from .base import Backend, LockInfo, Snapshot, StateVersion, WriteInfo
from .s3_calls import (
    CREDENTIALS_HELP,
    MISSING_CODES,
    NOT_MODIFIED_CODES,
    RETRIES,
    STALE_CODES,
    UNSUPPORTED_CODES,
    VERSION_CODES,
    boto3_session,
    call,
    client_error,
    error_code,
    fail,
    timeouts,
)

if TYPE_CHECKING:
    from botocore.exceptions import ClientError

    from ..config import StateConfig

_NOT_MODIFIED = (b"", "not modified")  # what _get returns for a 304

REQUIRED = ("bucket", "region", "key")
# Options that would put a credential into a config file; refused with a pointer to boto3's chain.
CREDENTIAL_OPTIONS = ("access_key", "secret_key", "aws_access_key_id", "aws_secret_access_key",
                      "token", "session_token", "aws_session_token")


class S3Backend(Backend):
    """State in ``s3://bucket/key``; lock in ``s3://bucket/key.lock``."""

    name = "s3"
    full_history = True   # with bucket versioning on (history() refuses without it)
    schema = Schema((
        Option("bucket", "string", required=True, example="devstream-test-remote-state",
               description="the S3 bucket that holds the state"),
        Option("region", "string", required=True, example="ap-southeast-1", description="the bucket's region"),
        Option("key", "string", required=True, example="devstream.state", description="the state object's key"),
        Option("endpoint", "string", description="an S3-compatible endpoint URL (default: AWS_ENDPOINT_URL_S3, "
                                                 "else AWS)"),
        Option("profile", "string", description="an AWS profile from ~/.aws/config"),
        Option("encrypt", "boolean", default=False, description="server-side encryption (AES256)"),
        Option("kms_key_id", "string", description="server-side encryption with this KMS key"),
        Option("use_lockfile", "boolean", default=True, description="hold <key>.lock during apply/delete/destroy"),
    ))

    @classmethod
    def check_options(cls, options: dict) -> list[OptionProblem]:
        leaked = [k for k in options if str(k).lower() in CREDENTIAL_OPTIONS]
        if leaked:  # said instead of "unknown option": the value must not be echoed, and the fix differs
            return [OptionProblem(str(k), f"'{k}' would keep an AWS credential in the config file; remove it. "
                                          f"{CREDENTIALS_HELP}") for k in leaked]
        return [replace(p, message=f"the s3 state backend needs option '{p.path}' (state.options.{p.path}; "
                                   f"bucket, region and key are all required)")
                if p.path in REQUIRED and p.message.startswith("missing") else p
                for p in super().check_options(options)]

    def __init__(self, bucket: str, region: str, key: str, *, endpoint: str | None = None,
                 profile: str | None = None, encrypt: bool = False, kms_key_id: str | None = None,
                 use_lockfile: bool = True):
        super().__init__()
        self.bucket = bucket
        self.region = region
        self.key = key
        self.endpoint = endpoint or None
        self.profile = profile or None
        self.encrypt = bool(encrypt)
        self.kms_key_id = kms_key_id or None
        self.use_lockfile = use_lockfile
        self.location = f"s3://{bucket}/{key}"
        self._client = None
        self._lock_etags: dict[str, str] = {}

    @classmethod
    def from_config(cls, state_config: StateConfig) -> S3Backend:
        o = cls.checked_options(state_config)
        return cls(o["bucket"], o["region"], o["key"], endpoint=o.get("endpoint") or None,
                   profile=o.get("profile") or None, encrypt=o["encrypt"], kms_key_id=o.get("kms_key_id") or None,
                   use_lockfile=o["use_lockfile"])

    def describe(self) -> str:
        return f"Using s3 backend. Bucket: {self.bucket}, region: {self.region}, key: {self.key}."

    def __repr__(self) -> str:
        return f"<S3Backend {self.location} region={self.region}>"

    @property
    def lock_key(self) -> str:
        return self.key + ".lock"

    # ---- client ---------------------------------------------------------------------------------
    @property
    def client(self) -> Any:
        """The boto3 S3 client (made on first use): bounded timeouts and retries, path-style
        addressing when an endpoint is set (in the options or AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL)."""
        if self._client is None:
            self._client = self._make_client()
        return self._client

    def _make_client(self) -> Any:
        import os

        try:
            from botocore.config import Config
            from botocore.exceptions import BotoCoreError, ProfileNotFound
        except ImportError:
            raise missing_dependency("boto3", "aws", "The s3 backend") from None
        custom = self.endpoint or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        connect_timeout, read_timeout = timeouts()
        config = Config(
            connect_timeout=connect_timeout, read_timeout=read_timeout,
            retries={"max_attempts": RETRIES, "mode": "standard"},
            s3={"addressing_style": "path"} if custom else None,
        )
        try:
            session = boto3_session(self.profile, self.region)
            return session.client("s3", endpoint_url=self.endpoint, config=config)
        except ProfileNotFound:
            where = "state option 'profile'" if self.profile else "AWS_PROFILE"
            failure: BackendError = fail(
                f"the AWS profile '{self.profile or os.environ.get('AWS_PROFILE')}' ({where}) was not found in "
                f"~/.aws/config or ~/.aws/credentials")
        except (BotoCoreError, ValueError) as exc:
            failure = fail(f"cannot set up the S3 client for {self.location}: {exc}")
        raise failure  # outside the except blocks: no chained botocore error that could echo the endpoint

    def _endpoint_name(self) -> str:
        try:
            return redact(self.client.meta.endpoint_url)
        except Exception:
            return redact(self.endpoint or "S3")

    def _call(self, what: str, method: str, handled: frozenset[str] = frozenset(), **params: Any) -> Any:
        return call(self, what, method, handled, **params)

    def _client_error(self, what: str, exc: ClientError, code: str) -> BackendError:
        return client_error(self, what, exc, code)

    def _sse(self) -> dict[str, str]:
        if self.kms_key_id:
            return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self.kms_key_id}
        if self.encrypt:
            return {"ServerSideEncryption": "AES256"}
        return {}

    # ---- primitives -----------------------------------------------------------------------------
    def _get(self, what: str, key: str, **extra: Any) -> tuple[bytes, str] | None:
        """GetObject -> (bytes, etag), or None when the object does not exist (_NOT_MODIFIED for a 304 to
        ``IfNoneMatch``). A body cut short (or stalled) is fetched again, up to RETRIES more times."""
        from botocore.exceptions import BotoCoreError, ClientError
        from urllib3.exceptions import HTTPError as Urllib3Error

        stalled = False
        for _ in range(RETRIES + 1):
            try:
                resp = self._call(what, "get_object", MISSING_CODES | VERSION_CODES | NOT_MODIFIED_CODES,
                                  Bucket=self.bucket, Key=key, **extra)
            except ClientError as exc:
                code = error_code(exc)
                if code in MISSING_CODES or ("VersionId" in extra and code in VERSION_CODES):
                    return None
                if code in NOT_MODIFIED_CODES and "IfNoneMatch" in extra:
                    return _NOT_MODIFIED
                failure = self._client_error(what, exc, code)
                break
            try:
                with resp["Body"] as body:
                    return body.read(), str(resp.get("ETag") or "")
            except (BotoCoreError, Urllib3Error, OSError) as exc:  # a body cut short or stalled
                stalled = isinstance(exc, TimeoutError)
        else:
            failure = fail(f"cannot {what} {self.location}: the answer from the S3 endpoint "
                            f"{self._endpoint_name()} {'stalled' if stalled else 'was cut short'} "
                            f"{RETRIES + 1} times in a row. Check the network or a proxy between here and S3, "
                            f"and try again.")
        raise failure

    def _read(self) -> Snapshot:
        """GET the state. A re-read (the engine reads again under the lock) sends If-None-Match with the
        ETag it has, so an unchanged state answers 304 without its body: same request count, no transfer."""
        known = self._last if self._last is not None and self._last.version else None
        got = self._get("read the state", self.key, **({"IfNoneMatch": known.version} if known else {}))
        if got is None:
            return Snapshot(b"", None)
        if got is _NOT_MODIFIED and known is not None:
            return known
        data, etag = got
        return Snapshot(data, etag)

    def _write(self, data: bytes, expected_version: str | None, info: WriteInfo | None = None) -> str:
        """PUT with If-Match (or If-None-Match: * for the first write) and the WriteInfo plus a write id as
        metadata. A 412 or a lost answer is checked with one HEAD: if the object is this very write (a
        retried PUT whose first attempt landed), the write succeeded."""
        from botocore.exceptions import ClientError

        write_id = uuid.uuid4().hex
        condition = {"IfMatch": expected_version} if expected_version else {"IfNoneMatch": "*"}
        try:
            resp = self._call("write the state", "put_object", STALE_CODES | MISSING_CODES, Bucket=self.bucket,
                              Key=self.key, Body=data, ContentType="text/yaml",
                              Metadata=_metadata(info, write_id), **condition, **self._sse())
            return resp["ETag"]
        except ClientError as exc:
            code = error_code(exc)
            # 412: the ETag changed (or, on SeaweedFS, the object vanished); 404 (AWS): it vanished;
            # 409: another conditional write to it is in progress (docs/s3-servers.md#conditional-writes).
            if not (code in STALE_CODES or (expected_version and code in MISSING_CODES)):
                raise self._client_error("write the state", exc, code) from None
            what = ("was deleted" if code in MISSING_CODES else
                    "was created" if expected_version is None else "was changed")
            failure: BackendError = StaleStateError(
                f"the state {self.location} {what} by someone else since dtmnb read it (another dtmnb "
                f"or dtm run, or a hand edit). Nothing was overwritten. Run plan again to see the "
                f"state as it is now.")
        except BackendError as exc:
            if not getattr(exc, "maybe_done", False):
                raise
            failure = exc
        own = self._own_write(write_id, failure)
        if own is not None:
            return own
        if getattr(failure, "maybe_done", False):
            failure = fail(f"{failure} The write did not reach S3 (the stored state is not this run's); "
                            f"nothing was overwritten.")
        raise failure

    def _own_write(self, write_id: str, failure: BackendError) -> str | None:
        """The ETag of the stored state if it is the write ``write_id``, else None."""
        from botocore.exceptions import ClientError

        try:
            head = self._call("check the write of", "head_object", MISSING_CODES, Bucket=self.bucket, Key=self.key)
        except ClientError:
            return None
        except BackendError:
            raise fail(f"{failure} Checking whether this run's own earlier attempt of this write landed failed "
                        f"too, so it is not known whether the state holds this change. Run plan to see the "
                        f"state as it is now.") from None
        if (head.get("Metadata") or {}).get(META_WRITE) == write_id:
            return str(head.get("ETag") or "")
        return None

    def _create_lock(self, info: LockInfo) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._call("lock", "put_object", STALE_CODES, Bucket=self.bucket, Key=self.lock_key, Body=info.to_json(),
                       ContentType="application/json", IfNoneMatch="*", **self._sse())
        except ClientError as exc:
            code = error_code(exc)
            if code in STALE_CODES:
                return False
            raise self._client_error("lock", exc, code) from None
        return True

    def _abandon_lock(self, info: LockInfo) -> bool:
        """DELETE the lock with If-Match on the ETag our lock would have: S3's ETag of a single PUT
        without KMS is the MD5 of its bytes, so this removes our own lock and never someone else's."""
        from botocore.exceptions import ClientError

        if self.kms_key_id:
            return False
        etag = '"' + hashlib.md5(info.to_json(), usedforsecurity=False).hexdigest() + '"'
        try:
            self._call("unlock", "delete_object", MISSING_CODES | STALE_CODES, Bucket=self.bucket,
                       Key=self.lock_key, IfMatch=etag)
        except ClientError:
            return True   # 404: no lock; 412: the lock there is not ours (or none, on SeaweedFS)
        except BackendError:
            return False
        return True

    def _read_lock(self) -> LockInfo | None:
        got = self._get("read the lock of", self.lock_key)
        if got is None:
            return None
        lock = LockInfo.from_json(got[0], f"s3://{self.bucket}/{self.lock_key}")
        self._lock_etags[lock.id] = got[1]
        return lock

    def _delete_lock(self) -> None:
        from botocore.exceptions import ClientError

        try:
            self._call("unlock", "delete_object", MISSING_CODES, Bucket=self.bucket, Key=self.lock_key)
        except ClientError as exc:
            if error_code(exc) not in MISSING_CODES:
                raise self._client_error("unlock", exc, error_code(exc)) from None

    def _delete_lock_if(self, info: LockInfo) -> bool:
        """GET the lock, and DELETE it with If-Match on the ETag read, so a lock taken by someone else in
        between is never removed (a server that refuses If-Match on DELETE gets a plain DELETE)."""
        from botocore.exceptions import ClientError

        current = self._read_lock()
        if current is None or current.id != info.id:
            return False
        etag = self._lock_etags.get(info.id)
        if not etag:
            self._delete_lock()
            return True
        try:
            self._call("unlock", "delete_object", MISSING_CODES | STALE_CODES | UNSUPPORTED_CODES,
                       Bucket=self.bucket, Key=self.lock_key, IfMatch=etag)
        except ClientError as exc:
            code = error_code(exc)
            if code in STALE_CODES:  # replaced since the GET, or (SeaweedFS) gone after a retried DELETE landed
                return self._read_lock() is None
            if code in UNSUPPORTED_CODES:
                self._delete_lock()
        except BackendError as exc:
            if not getattr(exc, "maybe_done", False):
                raise
            failure = exc  # the answers were lost: perhaps the DELETE landed; one GET tells
            try:
                after = self._read_lock()
            except BackendError:
                raise failure from None
            if after is not None and after.id == info.id:
                raise failure from None
            return after is None
        return True

    # ---- exploring a bucket ---------------------------------------------------------------------------
    def list_objects(self, prefix: str) -> list[dict]:
        """``{key, size, modified}`` of every object under ``prefix`` in the bucket (all pages)."""
        found: list[dict] = []
        params: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
        while True:
            resp = self._call(f"list s3://{self.bucket}/{prefix}* for", "list_objects_v2", **params)
            found += [{"key": o["Key"], "size": int(o.get("Size") or 0), "modified": o.get("LastModified")}
                      for o in resp.get("Contents", [])]
            if not resp.get("IsTruncated"):
                return found
            params["ContinuationToken"] = resp["NextContinuationToken"]

    def version_count(self) -> int | None:
        """How many versions of the state object S3 keeps (None when bucket versioning is off)."""
        if not self.versioning_enabled():
            return None
        count = 0
        params: dict[str, Any] = {"Bucket": self.bucket, "Prefix": self.key}
        while True:
            resp = self._call("list the versions of", "list_object_versions", **params)
            count += sum(1 for v in resp.get("Versions", []) if v.get("Key") == self.key)
            if not resp.get("IsTruncated"):
                return count
            params.update(KeyMarker=resp.get("NextKeyMarker"), VersionIdMarker=resp.get("NextVersionIdMarker"))

    def versioning_enabled(self) -> bool:
        resp = self._call("read the versioning setting of the bucket of", "get_bucket_versioning",
                          Bucket=self.bucket)
        return resp.get("Status") == "Enabled"

    def history(self) -> list[StateVersion]:
        """The object's versions, newest first, each with the WriteInfo its PUT carried (one HEAD per
        version, eight at a time; ``info`` is None for versions written without it, e.g. by dtm)."""
        if not self.versioning_enabled():
            raise HistoryUnavailableError(
                f"bucket versioning is off for '{self.bucket}', so S3 keeps no history of {self.location}. "
                f"Turn it on with: aws s3api put-bucket-versioning --bucket {self.bucket} "
                f"--versioning-configuration Status=Enabled (versions are kept from then on).")
        listed = []
        params: dict[str, Any] = {"Bucket": self.bucket, "Prefix": self.key}
        while True:
            resp = self._call("list the versions of", "list_object_versions", **params)
            listed += [v for v in resp.get("Versions", []) if v.get("Key") == self.key]  # not key.lock, ...
            if not resp.get("IsTruncated"):
                break
            params.update(KeyMarker=resp.get("NextKeyMarker"), VersionIdMarker=resp.get("NextVersionIdMarker"))
        infos = self._write_infos([str(v.get("VersionId")) for v in listed])
        versions = [StateVersion(str(v.get("VersionId")),
                                 v.get("LastModified") or _dt.datetime.fromtimestamp(0, _dt.timezone.utc),
                                 int(v.get("Size") or 0), bool(v.get("IsLatest")), infos.get(str(v.get("VersionId"))))
                    for v in listed]
        # S3 lists a key's versions newest first; keep that order for equal timestamps.
        versions.sort(key=lambda v: (v.is_latest, v.modified), reverse=True)
        return versions

    def _write_infos(self, version_ids: list[str]) -> dict[str, WriteInfo | None]:
        from concurrent.futures import ThreadPoolExecutor

        def info(version_id: str) -> WriteInfo | None:
            try:
                head = self.client.head_object(Bucket=self.bucket, Key=self.key, VersionId=version_id)
            except Exception:  # history still lists a version whose metadata cannot be read
                return None
            return _write_info(head.get("Metadata") or {})

        if not version_ids:
            return {}
        with ThreadPoolExecutor(max_workers=min(8, len(version_ids))) as pool:
            return dict(zip(version_ids, pool.map(info, version_ids), strict=True))

    def read_version(self, version_id: str) -> bytes:
        how = ("List the versions with `dtmnb state history -f CONFIG` or dtmnb.state_history(cfg) and "
               "use a value of its version_id column.")
        if not isinstance(version_id, str) or not version_id.strip():
            raise fail(f"{version_id!r} is not a version id of {self.location}. {how}")
        got = self._get("read a version of", self.key, VersionId=version_id)
        if got is None:
            raise fail(f"there is no version {version_id!r} of {self.location}. {how}")
        return got[0]


# ---- helpers ------------------------------------------------------------------------------------------
META_WRITE = "dtmnb-write"
_META_FIELDS = (("run_id", "dtmnb-run"), ("operation", "dtmnb-operation"), ("tool", "dtmnb-tool"),
                ("who", "dtmnb-who"), ("step", "dtmnb-step"))
_META_SAFE = " !#$&'()*+,/:;=?@[]~"  # kept readable; everything else (non-ASCII, %, controls) %-encoded


def _metadata(info: WriteInfo | None, write_id: str) -> dict[str, str]:
    """S3 user metadata (ASCII only, 2 KB in all) for a state PUT."""
    from urllib.parse import quote

    meta = {META_WRITE: write_id}
    if info is not None:
        for attr, name in _META_FIELDS:
            value = str(getattr(info, attr) or "")
            if value:
                meta[name] = quote(value[:300], safe=_META_SAFE)
    return meta


def _write_info(meta: dict[str, str]) -> WriteInfo | None:
    from urllib.parse import unquote

    if "dtmnb-run" not in meta:
        return None
    fields = {attr: unquote(meta.get(name, "")) for attr, name in _META_FIELDS}
    step = fields.pop("step")
    return WriteInfo(**fields, step=int(step) if step.isascii() and step.isdigit() else 0)  # not int("²")
