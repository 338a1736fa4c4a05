"""boto3 for the s3 backend: one shared botocore data loader, bounded timeouts and retries, and every
botocore failure turned into a BackendError a person can act on (redacted: an endpoint URL may hold a
password; raised outside ``except`` blocks, so no botocore error that echoes it is chained).

boto3 is imported inside these functions only.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import BackendError, missing_dependency
from ..redact import redact

if TYPE_CHECKING:
    from botocore.exceptions import ClientError

    from .s3 import S3Backend

CREDENTIALS_HELP = ("Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_DEFAULT_REGION) in the "
                    "environment, or name a profile from ~/.aws/config with AWS_PROFILE or the state option "
                    "'profile'.")
STALE_CODES = frozenset({"PreconditionFailed", "412", "ConditionalRequestConflict", "409"})
MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})
VERSION_CODES = frozenset({"NoSuchVersion", "InvalidArgument", "InvalidRequest", "400", "MethodNotAllowed", "405"})
UNSUPPORTED_CODES = frozenset({"NotImplemented", "501"})
NOT_MODIFIED_CODES = frozenset({"304", "NotModified"})
RETRIES = 3  # botocore retries after the first attempt (standard mode: 4 attempts in all)


_loader = None


def boto3_session(profile: str | None = None, region: str | None = None, env_profile: bool = True) -> Any:
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


def error_code(exc: ClientError) -> str:
    """The S3 error code of a ClientError (its HTTP status when there is none)."""
    return str(exc.response.get("Error", {}).get("Code") or exc.response.get("ResponseMetadata", {})
               .get("HTTPStatusCode") or "")


def call(b: S3Backend, what: str, method: str, handled: frozenset[str] = frozenset(), **params: Any) -> Any:
    """Call ``client.<method>``; expected failures become BackendError with a clear message.
    ClientErrors whose code is in ``handled`` (missing key, 412, ...) are re-raised untouched.
    A BackendError whose request may have reached S3 (5xx, timeouts, lost answers after botocore's
    retries) has ``maybe_done = True``."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        ConnectTimeoutError,
        EndpointConnectionError,
        HTTPClientError,
        NoCredentialsError,
        NoRegionError,
        ParamValidationError,
        PartialCredentialsError,
    )

    client = b.client
    prefix = f"cannot {what} {b.location}"
    try:
        return getattr(client, method)(**params)
    except ClientError as exc:
        code = error_code(exc)
        if code in handled:
            raise
        failure = client_error(b, what, exc, code)
    except (NoCredentialsError, PartialCredentialsError):
        failure = fail(f"{prefix}: no AWS credentials found. {CREDENTIALS_HELP}")
    except (EndpointConnectionError, ConnectTimeoutError):
        endpoint = b._endpoint_name()
        local = any(h in endpoint for h in ("//127.", "//localhost", "//[::1]"))
        failure = fail(
            f"{prefix}: the S3 endpoint {endpoint} cannot be reached. Check the network, the state option "
            f"'endpoint' and AWS_ENDPOINT_URL_S3"
            + (" (is the local server running? `dtmnb sandbox up` starts one)." if local else "."))
    except NoRegionError:
        failure = fail(f"{prefix}: no region; set state option 'region'")
    except ParamValidationError:
        failure = fail(f"{prefix}: a request parameter is not valid ({', '.join(sorted(params))})")
    except HTTPClientError as exc:  # sent, but the answer was lost, late or cut: it may have acted
        failure = fail(f"{prefix}: {transport_problem(exc, b._endpoint_name())}", maybe_done=True)
    except BotoCoreError as exc:  # never sent (a bad endpoint URL, ...)
        failure = fail(f"{prefix}: {exc}. Check the state option 'endpoint' and AWS_ENDPOINT_URL_S3.")
    raise failure  # outside the except blocks, so no botocore error (with the endpoint URL) is chained

def client_error(b: S3Backend, what: str, exc: ClientError, code: str) -> BackendError:
    err = exc.response.get("Error", {})
    meta = exc.response.get("ResponseMetadata", {})
    status = meta.get("HTTPStatusCode")
    prefix = f"cannot {what} {b.location}"
    if code == "NoSuchBucket":
        return fail(
            f"{prefix}: the bucket '{b.bucket}' does not exist at {b._endpoint_name()}. Create it "
            f"(aws s3 mb s3://{b.bucket} --region {b.region}) or fix state option 'bucket'.")
    if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken",
                "TokenRefreshRequired"):
        return fail(
            f"{prefix}: S3 refused the AWS credentials ({code}). Check AWS_ACCESS_KEY_ID / "
            f"AWS_SECRET_ACCESS_KEY (or AWS_SESSION_TOKEN, or the profile) for this endpoint.")
    if code in ("PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException",
                "301") or status == 301:
        real = (meta.get("HTTPHeaders", {}).get("x-amz-bucket-region") or err.get("Region")
                or err.get("BucketRegion"))
        hint = (f"the bucket '{b.bucket}' is in region {real}, not {b.region}; set state option "
                f"'region: {real}'") if real else (
            f"the bucket '{b.bucket}' is not in region {b.region}; set state option 'region' "
            f"to the bucket's region")
        return fail(f"{prefix}: {hint}.")
    if code in ("AccessDenied", "403", "Forbidden", "AllAccessDisabled") or status == 403:
        return fail(
            f"{prefix}: access denied. The AWS identity in use needs s3:GetObject, s3:PutObject and "
            f"s3:DeleteObject on {b.location} and {b.location}.lock, and s3:ListBucketVersions "
            f"and s3:GetBucketVersioning on the bucket for history.")
    if code in ("KMS.NotFoundException", "KMS.DisabledException", "KMSAccessDenied"):
        return fail(f"{prefix}: the KMS key (state option 'kms_key_id') cannot be used ({code}).")
    message = str(err.get("Message") or exc)
    server_side = isinstance(status, int) and status >= 500
    return fail(f"{prefix}: S3 answered {code or status}: {message}"
                 + (f" (after {RETRIES + 1} attempts)" if server_side else ""), maybe_done=server_side)


def fail(message: str, maybe_done: bool = False) -> BackendError:
    """A BackendError whose message has gone through redact() (an endpoint URL may hold a password).
    ``maybe_done``: the request may have reached S3 although it failed (a lost answer, a 5xx)."""
    err = BackendError(redact(message))
    err.maybe_done = maybe_done  # type: ignore[attr-defined]
    return err


def transport_problem(exc: Exception, endpoint: str) -> str:
    """A short account of a network-level failure (timeouts, lost or cut answers), for people."""
    from botocore.exceptions import ConnectionClosedError, ReadTimeoutError

    attempts = f"{RETRIES + 1} attempts"
    if isinstance(exc, (ReadTimeoutError, TimeoutError)):
        return f"the S3 endpoint {endpoint} did not answer in time ({attempts})"
    if isinstance(exc, ConnectionClosedError):
        return f"the S3 endpoint {endpoint} closed the connection without an answer ({attempts})"
    return f"the connection to the S3 endpoint {endpoint} failed ({type(exc).__name__}; {attempts})"


def timeouts() -> tuple[float, float]:
    """(connect, read) timeouts in seconds: 5 and 15, or DTMNB_S3_CONNECT_TIMEOUT / DTMNB_S3_READ_TIMEOUT."""
    import os

    out = []
    for name, default in (("DTMNB_S3_CONNECT_TIMEOUT", 5.0), ("DTMNB_S3_READ_TIMEOUT", 15.0)):
        raw = os.environ.get(name, "").strip()
        try:
            value = float(raw) if raw else default
            if not 0 < value <= 3600:
                raise ValueError
        except ValueError:
            raise BackendError(f"the environment variable {name}={raw!r} is not a number of seconds "
                               f"(0 < seconds <= 3600); unset it to use {default:g} s") from None
        out.append(value)
    return out[0], out[1]
