"""GitHub-compatible API fixtures: our sandbox server over real HTTP on 127.0.0.1, started once per
session, and a checker that validates every exchange it served against GitHub's OpenAPI description.

- ``github_server``: the session's ``GitHubAPIServer``.
- ``github_env``: per test: the server reset and seeded (user ``IronCore864``, org ``devstream-io``),
  ``GITHUB_API_URL``/``GITHUB_TOKEN`` set, and at teardown every request/response of the test is checked
  against ``tests/github_openapi/api.github.com.subset.json.gz`` (faults injected by the test excepted).
"""
from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from github import Github
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator

__all__ = ["github_server", "github_openapi", "github_env", "GitHubEnv", "OpenAPIChecker", "fast_github", "login"]

SUBSET = Path(__file__).parent / "github_openapi" / "api.github.com.subset.json.gz"
USER = "IronCore864"
ORG = "devstream-io"
HTTP_METHODS = ("get", "put", "post", "patch", "delete")
# Parameters that may hold a "/" (docs/github-sandbox.md#checking-against-githubs-openapi-description);
# ``path`` may also be empty (".../contents/").
MULTI_SEGMENT = {"path": ".*", "ref": ".+", "branch": ".+"}
# Statuses GitHub answers on every endpoint though the description does not list them everywhere:
# 401 for a bad/missing token; 404 for what the token may not see ("Requests that require authentication
# will return 404 Not Found, instead of 403 Forbidden, in some places", docs: troubleshooting the REST
# API); 403 for the rate limit. Their bodies are still checked against ``basic-error``.
ANY_ENDPOINT_STATUSES = {401, 403, 404}


def fast_github(url: str, token: str, **kwargs):
    """A PyGithub client for tests: no retries, no throttling, short timeout
    (docs/github-sandbox.md#retries-and-timeouts)."""
    from github import Auth, Github

    options = {"retry": None, "timeout": 5, "seconds_between_requests": None, "seconds_between_writes": None}
    options.update(kwargs)
    return Github(base_url=url, auth=Auth.Token(token), **options)


def login(client: Github) -> str:
    """The login of the client's token. PyGithub loads the user lazily: this is where GET /user is sent."""
    return client.get_user().login


class OpenAPIChecker:
    """Validates recorded exchanges against the description, with the fixes GitHub's description needs
    (docs/github-sandbox.md#checking-against-githubs-openapi-description)."""

    URN = "urn:github-openapi"

    def __init__(self, doc: dict):
        from jsonschema import validators
        from openapi_schema_validator import OAS30Validator
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT4

        self.doc = self._absolute_refs(doc)
        self.registry = Registry().with_resource(self.URN,
                                                 Resource.from_contents(self.doc, default_specification=DRAFT4))
        self.validator_class = validators.extend(
            OAS30Validator, {"oneOf": _one_of, "anyOf": _nullable("anyOf"), "allOf": _nullable("allOf")})
        self.operations = _operations(self.doc["paths"])

    @classmethod
    def load(cls, path: Path = SUBSET) -> OpenAPIChecker:
        return cls(json.loads(gzip.decompress(path.read_bytes())))

    def _absolute_refs(self, node):
        if isinstance(node, dict):
            return {k: (self.URN + v if k == "$ref" and isinstance(v, str) and v.startswith("#/") else
                        {kk: self.URN + vv if isinstance(vv, str) and vv.startswith("#/") else vv
                         for kk, vv in v.items()} if k == "mapping" and isinstance(v, dict) else
                        self._absolute_refs(v)) for k, v in node.items()}
        if isinstance(node, list):
            return [self._absolute_refs(x) for x in node]
        return node

    def _resolve(self, node: dict) -> dict:
        while isinstance(node, dict) and "$ref" in node:
            node = self.registry.resolver().lookup(node["$ref"]).contents
        return node

    def operation(self, method: str, path: str):
        for _, op_method, regex, template, op in self.operations:
            if op_method == method and regex.match(path):
                return template, op
        return None, None

    def errors(self, schema: dict, instance) -> list[str]:
        validator = self.validator_class(schema, registry=self.registry)
        return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message[:300]}"
                for e in validator.iter_errors(instance)]

    def check(self, exchange: dict) -> list[str]:
        """Problems with one recorded exchange (empty list: it conforms)."""
        method, path, status = exchange["method"], exchange["path"], exchange["status"]
        path = path[len("/api/v3"):] if path.startswith("/api/v3/") else path
        where = f"{method} {path} -> {status}"
        template, op = self.operation(method, path)
        if op is None:
            return [f"{where}: no operation in the description"]
        problems = []
        body_schema = (op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema"))
        if body_schema is not None and exchange["request_body"] is not None:
            problems += [f"{where} request: {e}" for e in self.errors(body_schema, exchange["request_body"])]
        response = self._resolve(op["responses"].get(str(status)))
        if response is None:
            if status not in ANY_ENDPOINT_STATUSES:
                return problems + [f"{where}: status {status} is not documented for {op['operationId']}"]
            basic_error = {"$ref": f"{self.URN}#/components/schemas/basic-error"}
            response = {"content": {"application/json": {"schema": basic_error}}}
        schema = response.get("content", {}).get("application/json", {}).get("schema")
        body = exchange["response_body"]
        if schema is None:
            if body is not None and status < 400:
                problems.append(f"{where}: a body where the description documents none")
        elif body is None:
            problems.append(f"{where}: no body where the description documents one")
        else:
            problems += [f"{where} response: {e}" for e in self.errors(schema, body)]
        return problems


def _one_of(v: Validator, subschemas: list, instance: object, schema: dict) -> Iterator[ValidationError]:
    """OpenAPI's oneOf: nullable, and a discriminator picks the branch; otherwise any one branch."""
    from jsonschema import _keywords

    if instance is None and schema.get("nullable"):
        return
    disc = schema.get("discriminator")
    if disc:
        mapping = disc.get("mapping", {})
        if isinstance(instance, dict):
            target = mapping.get(instance.get(disc["propertyName"]))
        else:
            target = mapping.get("array") if isinstance(instance, list) else None
        if target:
            yield from v.descend(instance, {"$ref": target})
            return
    # GitHub's oneOf branches are open objects that overlap (e.g. basic-error and
    # repository-rule-violation-error for a 409): correct data may match several; require one.
    yield from _keywords.anyOf(v, subschemas, instance, schema)


def _nullable(keyword: str) -> Callable[..., Iterator[ValidationError]]:
    """The JSON Schema ``keyword`` (anyOf, allOf) letting ``null`` through where the schema is nullable."""
    from jsonschema import _keywords

    def check(v: Validator, subschemas: list, instance: object, schema: dict) -> Iterator[ValidationError]:
        if instance is None and schema.get("nullable"):
            return
        yield from getattr(_keywords, keyword)(v, subschemas, instance, schema)
    return check


def _operations(paths: dict) -> list[tuple[int, str, re.Pattern[str], str, dict]]:
    """``(literal length, METHOD, path regex, template, operation)``, templates with the most literal text
    first, so a specific path wins over a general one that also matches."""
    operations = []
    for template, item in paths.items():
        regex = re.sub(r"\{(\w+)\}", lambda mt: f"(?P<{mt.group(1)}>{MULTI_SEGMENT.get(mt.group(1), '[^/]+')})",
                       template)
        literal = len(re.sub(r"\{\w+\}", "", template))
        for method in HTTP_METHODS:
            if method in item:
                operations.append((literal, method.upper(), re.compile(f"^{regex}$"), template, item[method]))
    operations.sort(key=lambda op: -op[0])
    return operations


@dataclass
class GitHubEnv:
    """What a test sees: the server, its URL, the seeded user's token, and helpers."""

    server: object
    url: str
    token: str
    user: str = USER
    org: str = ORG
    checked: list = field(default_factory=list)

    def client(self, token: str | None = None, **kwargs):
        return fast_github(self.url, token or self.token, **kwargs)


@pytest.fixture(scope="session")
def github_server():
    from dtmnb.sandbox.github_api import GitHubAPIServer

    server = GitHubAPIServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def github_openapi():
    pytest.importorskip("openapi_schema_validator")
    return OpenAPIChecker.load()


@pytest.fixture
def github_env(github_server, github_openapi, monkeypatch):
    github_server.reset(keep_accounts=False)
    token = github_server.add_user(USER)
    github_server.add_org(ORG, members=[USER])
    monkeypatch.setenv("GITHUB_API_URL", github_server.url)
    monkeypatch.setenv("GITHUB_TOKEN", token)
    env = GitHubEnv(github_server, github_server.url, token)
    yield env
    exchanges = [x for x in github_server.requests if not x["fault"]]
    problems = [p for x in exchanges for p in github_openapi.check(x)]
    github_server.reset(keep_accounts=False)
    assert not problems, "sandbox traffic does not match GitHub's OpenAPI description:\n" + "\n".join(problems)
