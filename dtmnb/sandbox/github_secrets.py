"""Repository Actions secrets for the sandbox GitHub API, as github.com keeps them.

    GET    /repos/{owner}/{repo}/actions/secrets/public-key   -> {"key_id", "key"} (base64 Curve25519)
    GET    /repos/{owner}/{repo}/actions/secrets              -> {"total_count", "secrets": [metadata]}
    GET    /repos/{owner}/{repo}/actions/secrets/{name}       -> {"name", "created_at", "updated_at"}
    PUT    /repos/{owner}/{repo}/actions/secrets/{name}       {"encrypted_value", "key_id"} -> 201 / 204
    DELETE /repos/{owner}/{repo}/actions/secrets/{name}       -> 204

A client seals the value with libsodium's sealed box (``crypto_box_seal``) for the repository's public
key. The sandbox opens each box with the repository's private key when it arrives (a box that does not
open is refused, so a wrongly sealed secret fails here as it would on GitHub's side), keeps the sealed
box, and never returns a value: no endpoint reads one back. Tests check what arrived through
:func:`secret_value` (``GitHubAPIServer.secret_value``), a Python call with no HTTP route.
"""
from __future__ import annotations

import base64
import binascii
import re
import time
from typing import TYPE_CHECKING, Any

from . import github_model as m
from .github_routes import ApiError, Request, Result, compile_routes, get_repo, not_found

if TYPE_CHECKING:
    from nacl.public import PrivateKey

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_BYTES = 48 * 1024  # GitHub's limit on a secret's size
NAME_RULES = ("Secret names can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or underscores (_). "
              "Spaces are not allowed. Must start with a letter ([a-z], [A-Z]) or underscores (_). "
              "Must not start with the GITHUB_ prefix.")


def _private_key(repo: m.Repo) -> tuple[str, PrivateKey]:
    """The repository's key pair (made on first use); returns (key_id, nacl PrivateKey)."""
    from nacl.public import PrivateKey

    if repo.secrets_key is None:
        key = PrivateKey.generate()
        key_id = str(int.from_bytes(bytes(key.public_key)[:6], "big"))
        repo.secrets_key = {"key_id": key_id, "private": base64.b64encode(bytes(key)).decode()}
    return repo.secrets_key["key_id"], PrivateKey(base64.b64decode(repo.secrets_key["private"]))


def open_sealed(repo: m.Repo, sealed_b64: str) -> bytes:
    """The plaintext of a sealed box made for the repository's public key (ValueError if it does not open)."""
    from nacl.exceptions import CryptoError
    from nacl.public import SealedBox

    _, key = _private_key(repo)
    try:
        return SealedBox(key).decrypt(base64.b64decode(sealed_b64, validate=True))
    except (CryptoError, binascii.Error, ValueError) as exc:
        raise ValueError(f"the sealed box does not open with the repository's key ({exc})") from None


def secret_value(repo: m.Repo, name: str) -> str | None:
    """What a secret holds (test-only: GitHub never shows a value), or None when there is no such secret."""
    entry = repo.secrets.get(name.upper())
    return None if entry is None else open_sealed(repo, entry["sealed"]).decode("utf-8")


def _metadata(name: str, entry: dict[str, Any]) -> m.JsonObject:
    return {"name": name, "created_at": m.iso(entry["created_at"]), "updated_at": m.iso(entry["updated_at"])}


def get_public_key(req: Request, owner: str, name: str) -> Result:
    repo = get_repo(req, owner, name, write=True)
    key_id, key = _private_key(repo)
    return {"key_id": key_id, "key": base64.b64encode(bytes(key.public_key)).decode()}


def list_secrets(req: Request, owner: str, name: str) -> Result:
    repo = get_repo(req, owner, name, write=True)
    return {"total_count": len(repo.secrets),
            "secrets": [_metadata(n, e) for n, e in sorted(repo.secrets.items())]}


def get_secret(req: Request, owner: str, name: str, secret: str) -> Result:
    repo = get_repo(req, owner, name, write=True)
    entry = repo.secrets.get(secret.upper())
    if entry is None:
        raise not_found()
    return _metadata(secret.upper(), entry)


def put_secret(req: Request, owner: str, name: str, secret: str) -> Result:
    repo = get_repo(req, owner, name, write=True)
    if not NAME.match(secret) or secret.upper().startswith("GITHUB_"):
        raise ApiError(422, f"Invalid request.\n\n{NAME_RULES}")
    sealed, key_id = req.arg("encrypted_value"), req.arg("key_id")
    current, _ = _private_key(repo)
    if key_id != current:
        raise ApiError(422, f"Invalid request.\n\nkey_id {key_id} is not the repository's current public key.")
    try:
        value = open_sealed(repo, sealed)
    except ValueError:
        raise ApiError(422, "Invalid request.\n\nencrypted_value is not a sealed box for the repository's "
                            "public key.") from None
    if len(value) > MAX_BYTES:
        raise ApiError(422, "Invalid request.\n\nSecrets are limited to 48 KB in size.")
    now = time.time()
    existing = repo.secrets.get(secret.upper())
    repo.secrets[secret.upper()] = {"sealed": sealed, "updated_at": now,
                                    "created_at": existing["created_at"] if existing else now}
    if existing is not None:
        req.status = 204
        return None
    req.status = 201
    return {}


def delete_secret(req: Request, owner: str, name: str, secret: str) -> Result:
    repo = get_repo(req, owner, name, write=True)
    if repo.secrets.pop(secret.upper(), None) is None:
        raise not_found()
    req.status = 204
    return None


_S = "/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)/actions/secrets"
ROUTES = compile_routes([
    ("GET", _S + "/public-key", get_public_key),
    ("GET", _S + "/?", list_secrets),
    ("GET", _S + "/(?P<secret>[^/]+)", get_secret),
    ("PUT", _S + "/(?P<secret>[^/]+)", put_secret),
    ("DELETE", _S + "/(?P<secret>[^/]+)", delete_secret),
])
