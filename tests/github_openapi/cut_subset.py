"""Cut the operations the sandbox GitHub API serves out of GitHub's official OpenAPI description.

    npm pack @octokit/openapi@23.0.2 --silent
    tar -xzf octokit-openapi-23.0.2.tgz package/generated/api.github.com.json
    python tests/github_openapi/cut_subset.py package/generated/api.github.com.json

writes ``api.github.com.subset.json.gz`` next to this script: the kept paths/operations plus every
component they reference, transitively (``$ref`` and ``discriminator.mapping`` targets).
"""
from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

SOURCE_PACKAGE = "@octokit/openapi@23.0.2"
OPERATIONS = {
    "users/get-authenticated", "users/get-by-username", "orgs/get",
    "repos/create-for-authenticated-user", "repos/create-in-org", "repos/get", "repos/delete",
    "repos/get-content", "repos/create-or-update-file-contents", "repos/get-branch", "repos/list-branches",
    "git/get-ref", "git/create-ref", "git/update-ref", "git/delete-ref", "git/create-blob", "git/get-blob",
    "git/create-tree", "git/get-tree", "git/create-commit", "git/get-commit", "repos/get-commit",
    "rate-limit/get", "pulls/create", "pulls/merge",
    # githubactions-golang: workflow files, their history, and repository Actions secrets
    "repos/delete-file", "repos/list-commits",
    "actions/get-repo-public-key", "actions/list-repo-secrets", "actions/get-repo-secret",
    "actions/create-or-update-repo-secret", "actions/delete-repo-secret",
}
HTTP_METHODS = {"get", "put", "post", "patch", "delete", "head", "options"}


def _refs(node, found: set[str]) -> None:
    """Collect every ``#/components/...`` reference inside ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.add(value)
            elif key == "discriminator" and isinstance(value, dict):
                found.update(v for v in value.get("mapping", {}).values() if isinstance(v, str))
            else:
                _refs(value, found)
    elif isinstance(node, list):
        for item in node:
            _refs(item, found)


def _resolve(doc: dict, ref: str):
    node = doc
    for part in ref.lstrip("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def cut(doc: dict) -> dict:
    paths = {}
    for path, item in doc["paths"].items():
        kept = {m: op for m, op in item.items() if m in HTTP_METHODS and op.get("operationId") in OPERATIONS}
        if kept:
            shared = {k: v for k, v in item.items() if k not in HTTP_METHODS}
            paths[path] = {**shared, **kept}
    missing = OPERATIONS - {op["operationId"] for item in paths.values() for m, op in item.items()
                            if m in HTTP_METHODS}
    if missing:
        raise SystemExit(f"operations not found in the description: {sorted(missing)}")
    todo: set[str] = set()
    _refs(paths, todo)
    done: set[str] = set()
    while todo:
        ref = todo.pop()
        if ref in done or not ref.startswith("#/components/"):
            continue
        done.add(ref)
        _refs(_resolve(doc, ref), todo)
    components: dict = {}
    for ref in sorted(done):
        _, _, section, name = ref.split("/", 3)
        components.setdefault(section, {})[name] = _resolve(doc, ref)
    return {
        "openapi": doc["openapi"],
        "info": {**doc["info"], "x-dtmnb-subset-of": SOURCE_PACKAGE, "x-dtmnb-operations": sorted(OPERATIONS)},
        "servers": doc.get("servers", []),
        "paths": paths,
        "components": components,
    }


def main(argv: list[str]) -> None:
    source = Path(argv[1] if len(argv) > 1 else "package/generated/api.github.com.json")
    subset = cut(json.loads(source.read_text(encoding="utf-8")))
    out = Path(__file__).with_name("api.github.com.subset.json.gz")
    data = json.dumps(subset, sort_keys=True, separators=(",", ":")).encode()
    out.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    n_components = sum(len(v) for v in subset["components"].values())
    print(f"{out}: {len(subset['paths'])} paths, {n_components} components, "
          f"{len(data)} bytes ({out.stat().st_size} gzipped)")


if __name__ == "__main__":
    main(sys.argv)
