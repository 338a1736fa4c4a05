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
from dataclasses import replace

from ..errors import BackendError, HistoryUnavailableError, StaleStateError, missing_dependency
from ..redact import redact
from ..schema import Option, OptionProblem, Schema
from .base import Backend, LockInfo, Snapshot, StateVersion, WriteInfo

REQUIRED = ("bucket", "region", "key")
# Options that would put a credential into a config file; refused with a pointer to boto3's chain.
CREDENTIAL_OPTIONS = ("access_key", "secret_key", "aws_access_key_id", "aws_secret_access_key",
                      "token", "session_token", "aws_session_token")
CREDENTIALS_HELP = ("Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_DEFAULT_REGION) in the "
                    "environment, or name a profile from ~/.aws/config with AWS_PROFILE or the state option "
                    "'profile'.")
STALE_CODES = frozenset({"PreconditionFailed", "412", "ConditionalRequestConflict", "409"})
MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})
VERSION_CODES = frozenset({"NoSuchVersion", "InvalidArgument"})


_loader = None


def boto3_session(profile: str | None = None, region: str | None = None, env_profile: bool = True):
    """A new boto3 Session (fresh credentials from the environment each time) sharing one botocore
    data loader, so that a second client costs ~30 ms instead of re-reading the S3 model (~200 ms).
    ``env_profile=False`` ignores AWS_PROFILE (for clients given explicit keys, e.g. the sandbox's)."""
    global _loader
    try:
        import boto3
        import botocore.session
    except ImportError:
        raise missing_dependency("boto3", "aws", "The s3 backend") from None
    import os

    from botocore.loaders import create_loader

    if _loader is None:
        _loader = create_loader(os.environ.get("AWS_DATA_PATH"))
    core = botocore.session.get_session()
    core.register_component("data_loader", _loader)
    if not env_profile and profile is None:
        from botocore.configprovider import ConstantProvider

        core.get_component("config_store").set_config_provider("profile", ConstantProvider(None))
    return boto3.session.Session(botocore_session=core, profile_name=profile, region_name=region)


def _error_code(exc) -> str:
    return str(exc.response.get("Error", {}).get("Code") or exc.response.get("ResponseMetadata", {})
               .get("HTTPStatusCode") or "")


class S3Backend(Backend):
    """State in ``s3://bucket/key``; lock in ``s3://bucket/key.lock``."""

    name = "s3"
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

    @classmethod
    def from_config(cls, state_config) -> "S3Backend":
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
    def client(self):
        """The boto3 S3 client (made on first use): bounded timeouts and retries, path-style
        addressing when an endpoint is set (in the options or AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL)."""
        if self._client is None:
            self._client = self._make_client()
        return self._client

    def _make_client(self):
        import os

        try:
            from botocore.config import Config
            from botocore.exceptions import BotoCoreError, ProfileNotFound
        except ImportError:
            raise missing_dependency("boto3", "aws", "The s3 backend") from None
        custom = self.endpoint or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        config = Config(
            connect_timeout=5, read_timeout=15,
            retries={"max_attempts": 3, "mode": "standard"},
            s3={"addressing_style": "path"} if custom else None,
        )
        try:
            session = boto3_session(self.profile, self.region)
            return session.client("s3", endpoint_url=self.endpoint, config=config)
        except ProfileNotFound:
            where = "state option 'profile'" if self.profile else "AWS_PROFILE"
            raise BackendError(
                f"the AWS profile '{self.profile or os.environ.get('AWS_PROFILE')}' ({where}) was not found in "
                f"~/.aws/config or ~/.aws/credentials") from None
        except (BotoCoreError, ValueError) as exc:
            raise BackendError(f"cannot set up the S3 client for {self.location}: {redact(str(exc))}") from None

    def _endpoint_name(self) -> str:
        try:
            return self.client.meta.endpoint_url
        except Exception:  # noqa: BLE001
            return self.endpoint or "S3"

    def _call(self, what: str, method: str, handled=frozenset(), **params):
        """Call ``client.<method>``; expected failures become BackendError with a clear message.
        ClientErrors whose code is in ``handled`` (missing key, 412, ...) are re-raised untouched."""
        from botocore.exceptions import (BotoCoreError, ClientError, ConnectTimeoutError,
                                         EndpointConnectionError, NoCredentialsError, NoRegionError,
                                         PartialCredentialsError, ReadTimeoutError)

        client = self.client
        try:
            return getattr(client, method)(**params)
        except ClientError as exc:
            code = _error_code(exc)
            if code in handled:
                raise
            raise self._client_error(what, exc, code) from None
        except (NoCredentialsError, PartialCredentialsError):
            raise BackendError(f"cannot {what} {self.location}: no AWS credentials found. "
                               f"{CREDENTIALS_HELP}") from None
        except (EndpointConnectionError, ConnectTimeoutError):
            endpoint = self._endpoint_name()
            local = any(h in endpoint for h in ("//127.", "//localhost", "//[::1]"))
            raise BackendError(
                f"cannot {what} {self.location}: the S3 endpoint {endpoint} cannot be reached. Check the "
                f"network, the state option 'endpoint' and AWS_ENDPOINT_URL_S3"
                + (" (is the local server running? `dtmnb sandbox up` starts one)." if local else ".")) from None
        except ReadTimeoutError:
            raise BackendError(f"cannot {what} {self.location}: the S3 endpoint {self._endpoint_name()} "
                               f"did not answer in time") from None
        except NoRegionError:
            raise BackendError(f"cannot {what} {self.location}: no region; set state option 'region'") from None
        except BotoCoreError as exc:
            raise BackendError(f"cannot {what} {self.location}: {redact(str(exc))}") from None

    def _client_error(self, what: str, exc, code: str) -> BackendError:
        err = exc.response.get("Error", {})
        meta = exc.response.get("ResponseMetadata", {})
        status = meta.get("HTTPStatusCode")
        prefix = f"cannot {what} {self.location}"
        if code == "NoSuchBucket":
            return BackendError(
                f"{prefix}: the bucket '{self.bucket}' does not exist at {self._endpoint_name()}. Create it "
                f"(aws s3 mb s3://{self.bucket} --region {self.region}) or fix state option 'bucket'.")
        if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken",
                    "TokenRefreshRequired"):
            return BackendError(
                f"{prefix}: S3 refused the AWS credentials ({code}). Check AWS_ACCESS_KEY_ID / "
                f"AWS_SECRET_ACCESS_KEY (or AWS_SESSION_TOKEN, or the profile) for this endpoint.")
        if code in ("PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException",
                    "301") or status == 301:
            real = (meta.get("HTTPHeaders", {}).get("x-amz-bucket-region") or err.get("Region")
                    or err.get("BucketRegion"))
            hint = (f"the bucket '{self.bucket}' is in region {real}, not {self.region}; set state option "
                    f"'region: {real}'") if real else (
                f"the bucket '{self.bucket}' is not in region {self.region}; set state option 'region' "
                f"to the bucket's region")
            return BackendError(f"{prefix}: {hint}.")
        if code in ("AccessDenied", "403", "Forbidden", "AllAccessDisabled") or status == 403:
            return BackendError(
                f"{prefix}: access denied. The AWS identity in use needs s3:GetObject, s3:PutObject and "
                f"s3:DeleteObject on {self.location} and {self.location}.lock, and s3:ListBucketVersions "
                f"and s3:GetBucketVersioning on the bucket for history.")
        if code in ("KMS.NotFoundException", "KMS.DisabledException", "KMSAccessDenied"):
            return BackendError(f"{prefix}: the KMS key (state option 'kms_key_id') cannot be used ({code}).")
        message = redact(str(err.get("Message") or exc))
        return BackendError(f"{prefix}: S3 answered {code or status}: {message}")

    def _sse(self) -> dict:
        if self.kms_key_id:
            return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self.kms_key_id}
        if self.encrypt:
            return {"ServerSideEncryption": "AES256"}
        return {}

    # ---- primitives -----------------------------------------------------------------------------
    def _get(self, what: str, key: str, **extra):
        """GetObject -> (bytes, etag), or None when the object does not exist."""
        from botocore.exceptions import ClientError

        try:
            resp = self._call(what, "get_object", MISSING_CODES | VERSION_CODES, Bucket=self.bucket, Key=key,
                              **extra)
        except ClientError as exc:
            code = _error_code(exc)
            if code in MISSING_CODES or ("VersionId" in extra and code in VERSION_CODES):
                return None
            raise self._client_error(what, exc, code) from None
        with resp["Body"] as body:
            return body.read(), resp.get("ETag")

    def _read(self) -> Snapshot:
        got = self._get("read the state", self.key)
        if got is None:
            return Snapshot(b"", None)
        data, etag = got
        return Snapshot(data, etag)

    def _write(self, data: bytes, expected_version: str | None, info: WriteInfo | None = None) -> str:
        from botocore.exceptions import ClientError

        condition = {"IfMatch": expected_version} if expected_version else {"IfNoneMatch": "*"}
        try:
            resp = self._call("write the state", "put_object", STALE_CODES | MISSING_CODES, Bucket=self.bucket,
                              Key=self.key, Body=data,
                              ContentType="text/yaml", **condition, **self._sse())
        except ClientError as exc:
            code = _error_code(exc)
            # 412: the ETag changed (or, on SeaweedFS, the object vanished); 404 (AWS): it vanished;
            # 409: another conditional write to it is in progress (docs/s3-servers.md#conditional-writes).
            if code in STALE_CODES or (expected_version and code in MISSING_CODES):
                what = ("was deleted" if code in MISSING_CODES else
                        "was created" if expected_version is None else "was changed")
                raise StaleStateError(
                    f"the state {self.location} {what} by someone else since dtmnb read it (another dtmnb "
                    f"or dtm run, or a hand edit). Nothing was overwritten. Run plan again to see the "
                    f"state as it is now.") from None
            raise self._client_error("write the state", exc, code) from None
        return resp["ETag"]

    def _create_lock(self, info: LockInfo) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._call("lock", "put_object", STALE_CODES, Bucket=self.bucket, Key=self.lock_key, Body=info.to_json(),
                       ContentType="application/json", IfNoneMatch="*", **self._sse())
        except ClientError as exc:
            code = _error_code(exc)
            if code in STALE_CODES:
                return False
            raise self._client_error("lock", exc, code) from None
        return True

    def _read_lock(self) -> LockInfo | None:
        got = self._get("read the lock of", self.lock_key)
        if got is None:
            return None
        return LockInfo.from_json(got[0], f"s3://{self.bucket}/{self.lock_key}")

    def _delete_lock(self) -> None:
        from botocore.exceptions import ClientError

        try:
            self._call("unlock", "delete_object", MISSING_CODES, Bucket=self.bucket, Key=self.lock_key)
        except ClientError as exc:
            if _error_code(exc) not in MISSING_CODES:
                raise self._client_error("unlock", exc, _error_code(exc)) from None

    # ---- history --------------------------------------------------------------------------------
    def versioning_enabled(self) -> bool:
        resp = self._call("read the versioning setting of the bucket of", "get_bucket_versioning",
                          Bucket=self.bucket)
        return resp.get("Status") == "Enabled"

    def history(self) -> list[StateVersion]:
        if not self.versioning_enabled():
            raise HistoryUnavailableError(
                f"bucket versioning is off for '{self.bucket}', so S3 keeps no history of {self.location}. "
                f"Turn it on with: aws s3api put-bucket-versioning --bucket {self.bucket} "
                f"--versioning-configuration Status=Enabled (versions are kept from then on).")
        versions: list[StateVersion] = []
        params = {"Bucket": self.bucket, "Prefix": self.key}
        while True:
            resp = self._call("list the versions of", "list_object_versions", **params)
            for v in resp.get("Versions", []):
                if v.get("Key") != self.key:  # Prefix also matches key.lock, key.bak, ...
                    continue
                modified = v.get("LastModified") or _dt.datetime.fromtimestamp(0, _dt.timezone.utc)
                versions.append(StateVersion(str(v.get("VersionId")), modified, int(v.get("Size") or 0),
                                             bool(v.get("IsLatest"))))
            if not resp.get("IsTruncated"):
                break
            params.update(KeyMarker=resp.get("NextKeyMarker"), VersionIdMarker=resp.get("NextVersionIdMarker"))
        # S3 lists a key's versions newest first; keep that order for equal timestamps.
        versions.sort(key=lambda v: (v.is_latest, v.modified), reverse=True)
        return versions

    def read_version(self, version_id: str) -> bytes:
        got = self._get("read a version of", self.key, VersionId=version_id)
        if got is None:
            raise BackendError(f"there is no version '{version_id}' of {self.location}")
        return got[0]
