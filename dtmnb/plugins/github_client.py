"""The one place a PyGithub client is made, and the one place GitHub errors become readable messages.

- ``GITHUB_TOKEN`` (fallback ``github_token``, as dtm) holds the token; it never appears in a message.
- ``GITHUB_API_URL`` (default https://api.github.com; GitHub Enterprise: ``https://HOST/api/v3``).
- Against a real server PyGithub keeps its retries, with a ceiling on rate-limit waits; against a
  loopback address (the sandbox) it fails fast: no retries, a short timeout, no throttling
  (docs/github-sandbox.md#retries-and-timeouts).
"""
from __future__ import annotations

import datetime as _dt
import ipaddress
import os
import time
import urllib.parse
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..errors import PluginError, missing_dependency

if TYPE_CHECKING:
    from github import Github, GithubException

DEFAULT_API_URL = "https://api.github.com"
TOKEN_VARIABLES = ("GITHUB_TOKEN", "github_token")
SCOPES = ("repo", "delete_repo")
#: longest wait for a primary/secondary rate-limit reset before giving up (seconds); env overrides
MAX_RATE_LIMIT_WAIT = 120
REAL_TIMEOUT = 15
LOCAL_TIMEOUT = 5


def api_url() -> str:
    return (os.environ.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")


def github_token() -> str:
    for name in TOKEN_VARIABLES:
        value = os.environ.get(name)
        if value:
            return value.strip()
    raise PluginError(
        "environment variable GITHUB_TOKEN is not set. The github-repo-scaffolding-golang plugin needs a "
        f"GitHub personal access token with the scopes {' and '.join(repr(s) for s in SCOPES)}: create one at "
        "https://github.com/settings/tokens and run `export GITHUB_TOKEN=...` (or use dtmnb's sandbox).")


def is_loopback(url: str) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def make_github(token: str, base_url: str | None = None, fast: bool | None = None) -> Github:
    """A ``github.Github`` for ``base_url``; ``fast`` (default: loopback URL) disables retries/throttling."""
    try:
        import github
        from github.GithubRetry import GithubRetry
    except ImportError:
        raise missing_dependency("PyGithub", "github", "The github-repo-scaffolding-golang plugin") from None
    from .. import __version__

    base_url = (base_url or api_url()).rstrip("/")
    fast = is_loopback(base_url) if fast is None else fast
    auth, user_agent = github.Auth.Token(token), f"dtmnb/{__version__} PyGithub"
    if fast:
        return github.Github(base_url=base_url, auth=auth, user_agent=user_agent, retry=None, timeout=LOCAL_TIMEOUT,
                             seconds_between_requests=None, seconds_between_writes=None)
    wait = float(os.environ.get("DTMNB_GITHUB_MAX_RATE_LIMIT_WAIT", MAX_RATE_LIMIT_WAIT))
    return github.Github(base_url=base_url, auth=auth, user_agent=user_agent, timeout=REAL_TIMEOUT,
                         retry=GithubRetry(total=10, max_rate_limit_wait=wait, secondary_rate_wait=min(60.0, wait)))


def error_types() -> tuple[type[Exception], ...]:
    """The exceptions a PyGithub call may raise: ``GithubException`` and requests' ``RequestException``."""
    import requests
    from github import GithubException

    return (GithubException, requests.exceptions.RequestException)


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return value
    return None


def _reset_text(headers: Mapping[str, str] | None) -> str:
    reset = _header(headers, "x-ratelimit-reset")
    retry_after = _header(headers, "retry-after")
    if reset and reset.isdigit():
        when = _dt.datetime.fromtimestamp(int(reset), _dt.timezone.utc)
        minutes = max(0, round((int(reset) - time.time()) / 60))
        return f"it resets at {when:%Y-%m-%d %H:%M:%S} UTC (in about {minutes} minute{'s' * (minutes != 1)})"
    if retry_after:
        return f"GitHub asks to retry after {retry_after} seconds"
    return "wait a few minutes before trying again"


def scrub(text: str, token: str | None) -> str:
    return text.replace(token, "***") if token and len(token) >= 4 else text


def explain(exc: Exception, action: str, base_url: str, token: str | None = None,
            hints: dict[int, str] | None = None) -> PluginError:
    """A PluginError saying what failed (``action``), why, and what to do; ``hints`` by HTTP status."""
    import requests
    from github import BadCredentialsException, GithubException, RateLimitExceededException

    where = f"the GitHub API at {base_url}"
    if isinstance(exc, RateLimitExceededException):
        text = f"{action} failed: GitHub API rate limit exceeded at {base_url}; {_reset_text(exc.headers)}."
    elif isinstance(exc, BadCredentialsException) or (isinstance(exc, GithubException) and exc.status == 401):
        text = (f"{action} failed: {where} rejected the token in GITHUB_TOKEN (401 "
                f"{_message(exc) or 'Bad credentials'}). Create a new personal access token with the scopes "
                f"'repo' and 'delete_repo' and export it as GITHUB_TOKEN.")
    elif isinstance(exc, GithubException):
        status, message = exc.status, _message(exc)
        hint = (hints or {}).get(status)
        if hint is None and status >= 500:
            hint = "GitHub had a server error; try again later"
        scopes = _header(exc.headers, "x-oauth-scopes")
        text = f"{action} failed: GitHub answered {status} {message!r}"
        if scopes is not None and status in (403, 404):
            text += f" (the token's scopes: {scopes or 'none'})"
        text += "." + (f" {hint.rstrip('.')}." if hint else "")
    elif isinstance(exc, requests.exceptions.Timeout):
        text = f"{action} failed: {where} did not answer in time ({type(exc).__name__}). Check GITHUB_API_URL."
    elif isinstance(exc, requests.exceptions.RetryError):
        text = (f"{action} failed: {where} kept failing after PyGithub's retries "
                f"({_short(exc)}). Try again later.")
    elif isinstance(exc, requests.exceptions.ConnectionError):
        text = (f"{action} failed: cannot reach {where} ({_short(exc)}). "
                f"Check GITHUB_API_URL and your network (or start dtmnb's sandbox).")
    else:
        text = f"{action} failed: {type(exc).__name__}: {_short(exc)}"
    return PluginError(scrub(text, token))


def _message(exc: GithubException) -> str:
    data = exc.data
    if isinstance(data, dict):
        message = str(data.get("message") or "")
        details = [e.get("message") or e.get("code") for e in data.get("errors") or [] if isinstance(e, dict)]
        return message + (f" ({'; '.join(str(d) for d in details if d)})" if any(details) else "")
    return str(data or exc.message or "")


def _short(exc: Exception) -> str:
    text = str(exc)
    for marker in ("Caused by ", "Failed to establish a new connection: "):
        if marker in text:
            text = text.split(marker, 1)[1]
    return text.strip("()'\" ")[:300]
