"""Rendering githubactions-golang's workflows from ``templates/githubactions-golang``: the option values
the templates need, each written as a YAML double-quoted scalar so that no option can break the YAML.

``pr-builder.yml`` runs on pull requests into the branch, ``main-builder.yml`` on pushes to it; both
get the enabled build/test jobs, and the main one the Docker image job. The first line of each is
:data:`MARKER_LINE`, by which the plugin knows a file it wrote.
"""
from __future__ import annotations

import hashlib
import json
import shlex
from typing import Any

from .scaffold_template import TEMPLATES_DIR, render_text

TEMPLATES = TEMPLATES_DIR / "githubactions-golang"
WORKFLOW_DIR = ".github/workflows"
FILES = ("pr-builder.yml", "main-builder.yml")  # dtm's file names
MARKER = "# Written by dtmnb githubactions-golang (DevStream)."
MARKER_LINE = MARKER + " Change the tool's options, not this file: dtmnb rewrites it."


def section(values: dict, key: str) -> dict:
    """``values[key]`` when it is a map, else an empty map (options not yet checked may hold anything)."""
    value = values.get(key)
    return value if isinstance(value, dict) else {}


class Options:
    """The options after the schema's defaults and checks, with what the workflows and calls need."""

    def __init__(self, values: dict):
        self.values = values
        self.owner, self.org = str(values.get("owner") or ""), str(values.get("org") or "")
        self.repo, self.branch = str(values["repo"]), str(values["branch"])
        self.language = section(values, "language")
        self.build, self.test = section(values, "build"), section(values, "test")
        self.coverage = section(self.test, "coverage")
        docker = section(values, "docker")
        self.docker_enabled = docker.get("enable") is True
        self.registry = section(docker, "registry")

    @property
    def account(self) -> str:
        return self.org or self.owner

    @property
    def full_name(self) -> str:
        return f"{self.account}/{self.repo}"


def blob_sha(text: str) -> str:
    """Git's blob id of ``text`` (what the Contents API reports as a file's ``sha``)."""
    data = text.encode("utf-8")
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def render_workflows(opts: Options) -> dict[str, str]:
    """``{".github/workflows/<file>": text}`` for ``opts``: the templates with YAML-quoted values."""
    q = json.dumps  # a JSON string is a YAML double-quoted scalar: no option value can break the YAML
    version = str(opts.language.get("version") or "")
    output = str(opts.coverage.get("output") or "coverage.out")
    test_command = str(opts.test.get("command") or "go test ./...")
    if opts.coverage.get("enable") is True:
        test_command += f" {opts.coverage.get('profile') or ''} -coverprofile={shlex.quote(output)}".replace("  ", " ")
    image = f"{opts.registry.get('username') or ''}/{opts.registry.get('repository') or opts.repo}".lower()
    needs = [job for job, section in (("build", opts.build), ("test", opts.test)) if section.get("enable") is True]
    variables: dict[str, Any] = {
        "Marker": MARKER_LINE, "Branches": q([opts.branch]),
        "GoVersionKey": "go-version" if version else "go-version-file", "GoVersion": q(version or "go.mod"),
        "BuildCommand": q(str(opts.build.get("command") or "go build ./...")), "TestCommand": q(test_command),
        "CoverageCommand": q(f'go tool cover -func={shlex.quote(output)} >> "$GITHUB_STEP_SUMMARY"'),
        "CoverageOutput": q(output), "ImageNeeds": q(needs),
        "ImageTags": q(f"{image}:latest,{image}:${{{{ github.sha }}}}"),
    }

    def part(name: str) -> str:
        return render_text((TEMPLATES / name).read_text(encoding="utf-8"), variables, source=name)

    jobs = ""
    if opts.build.get("enable") is True:
        jobs += part("jobs/build.yml.tpl")
    if opts.test.get("enable") is True:
        jobs += part("jobs/test.yml.tpl")
        if opts.coverage.get("enable") is True:
            jobs += part("jobs/coverage.yml.tpl")
    image_job = part("jobs/image.yml.tpl") if opts.docker_enabled else ""
    return {f"{WORKFLOW_DIR}/pr-builder.yml": part("pr-builder.yml.tpl") + jobs,
            f"{WORKFLOW_DIR}/main-builder.yml": part("main-builder.yml.tpl") + jobs + image_job}


__all__ = ["FILES", "MARKER", "MARKER_LINE", "Options", "TEMPLATES", "WORKFLOW_DIR", "blob_sha", "render_workflows",
           "section"]
