"""Keep secrets out of everything dtmnb prints: one function, used by whoever prints.

``redact(text)`` replaces the value of every secret environment variable (GitHub token, AWS keys, ...),
the password of any ``scheme://user:password@host`` URL, and the value of secret-looking query parameters
(``?token=...``, ``X-Amz-Signature=...``) with ``***``. :class:`RedactingFilter` applies it to log records.
"""
from __future__ import annotations

import logging
import os
import re

SECRET_ENV_VARS = ("GITHUB_TOKEN", "github_token", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID",
                   "DOCKERHUB_TOKEN", "DOCKERHUB_PASSWORD")
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@'\"]*:)(?P<secret>[^@\s/'\"]+)(?=@)")
_QUERY_SECRET = re.compile(
    r"(?P<head>[?&;](?:[\w.-]*(?:token|secret|password|passwd|pwd|signature|credential|key|auth)[\w.-]*)=)"
    r"(?P<secret>[^&#\s'\"]+)", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with secrets replaced by ``***``."""
    if not isinstance(text, str):
        text = str(text)
    for name in SECRET_ENV_VARS:
        value = os.environ.get(name)
        if value and len(value) >= 4 and value in text:
            text = text.replace(value, "***")
    if "://" in text:
        text = _URL_PASSWORD.sub(r"\g<head>***", text)
    if "=" in text:
        text = _QUERY_SECRET.sub(r"\g<head>***", text)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that redacts each record's message (its arguments merged in first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


__all__ = ["RedactingFilter", "SECRET_ENV_VARS", "redact"]
