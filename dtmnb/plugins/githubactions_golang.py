"""Plugin ``githubactions-golang``: GitHub Actions CI for a Go repository that already exists.

Create commits two workflows, rendered from ``templates/githubactions-golang``, into
``.github/workflows/`` of ``owner/repo`` (or ``org/repo``) on ``branch``, as one commit:
``pr-builder.yml`` (pull requests: build and test) and ``main-builder.yml`` (pushes: build, test and,
with ``docker.enable``, a Docker image pushed to Docker Hub). Each file starts with a marker line; a file
at one of those paths without it was not written by dtmnb, and create fails rather than overwrite it.
Read returns what is there now (None when both files are gone); update rewrites them in one commit;
delete removes only files that carry the marker.

With ``docker.enable`` the repository gets two Actions secrets, sealed with the repository's public key
(libsodium sealed box, through PyGithub): ``DOCKERHUB_USERNAME`` (``docker.registry.username``) and
``DOCKERHUB_TOKEN``, read from the environment variable ``DOCKERHUB_TOKEN`` as dtm read it. The token is
never an option, because options are written to the state file; it never reaches the state, a log line
or an error message. A secret of that name that dtmnb did not set is never replaced.

Resource: ``{workflowDir, branch, workflows: {file: blob sha}, secrets: [names],
outputs: {owner, org, repo, branch, files, commit}}`` (``commit``: the last commit that wrote them).
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from ..errors import PluginError
from ..schema import Option, OptionProblem, Schema
from . import github_client as gc
from .base import Plugin, Resource
from .githubactions_render import FILES, MARKER, WORKFLOW_DIR, Options, blob_sha, render_workflows, section

if TYPE_CHECKING:
    from github.ContentFile import ContentFile
    from github.Repository import Repository

#: the workflow files on a branch: path -> the file, or None where there is none
Workflows = dict[str, "ContentFile | None"]

COMMIT_MESSAGE = "GitHub Actions workflow, created by DevStream (dtmnb githubactions-golang)"
UPDATE_MESSAGE = "GitHub Actions workflow, updated by DevStream (dtmnb githubactions-golang)"
REMOVE_MESSAGE = "Remove GitHub Actions workflows, by DevStream (dtmnb githubactions-golang)"
TOKEN_VARIABLE = "DOCKERHUB_TOKEN"
SECRET_USER, SECRET_TOKEN = "DOCKERHUB_USERNAME", "DOCKERHUB_TOKEN"
LANGUAGES = ("go", "golang")
REGISTRIES = ("dockerhub",)

_COVERAGE = Schema((
    Option("enable", "boolean", default=False, description="report test coverage"),
    Option("profile", "string", default="-race -covermode=atomic", description="flags added to the test command"),
    Option("output", "string", default="coverage.out", description="the coverage profile file"),
))
_REGISTRY = Schema((
    Option("type", "string", default="dockerhub", description="the image registry (dockerhub)"),
    Option("username", "string", example="YOUR_DOCKERHUB_USERNAME",
           description="the Docker Hub user; becomes the repository secret DOCKERHUB_USERNAME"),
    Option("repository", "string", example="YOUR_DOCKERHUB_REPOSITORY",
           description="the image repository (default: the GitHub repository's name)"),
))


class GithubActionsGolang(Plugin):
    """Commits Go CI workflows (and Docker Hub secrets) into an existing GitHub repository."""

    name = "githubactions-golang"
    schema = Schema((
        Option("owner", "string", identity=True, example="YOUR_GITHUB_USERNAME",
               description="the repository's owner, your GitHub login (case-sensitive)"),
        Option("org", "string", identity=True, description="the repository's organization, instead of owner"),
        Option("repo", "string", required=True, identity=True, example="YOUR_REPO_NAME",
               description="an existing repository to add the workflows to"),
        Option("branch", "string", required=True, example="main",
               description="the branch that gets the workflows; they build pushes to it and pull requests into it"),
        Option("language", "map", required=True, description="the language the workflows set up", schema=Schema((
            Option("name", "string", required=True, example="go", description="the language: go"),
            Option("version", "string", example="1.21",
                   description="the Go version (quote it); empty: the go line of go.mod"),
        ))),
        Option("build", "map", default={}, description="the build job", schema=Schema((
            Option("enable", "boolean", default=False, description="run the build job"),
            Option("command", "string", default="go build ./...", description="the build command"),
        ))),
        Option("test", "map", default={}, description="the test job", schema=Schema((
            Option("enable", "boolean", default=False, description="run the test job"),
            Option("command", "string", default="go test ./...", description="the test command"),
            Option("coverage", "map", default={}, description="test coverage", schema=_COVERAGE),
        ))),
        Option("docker", "map", default={}, description="build and push a Docker image on the branch",
               schema=Schema((
                   Option("enable", "boolean", default=False,
                          description="push an image; needs the environment variable DOCKERHUB_TOKEN"),
                   Option("registry", "map", default={}, description="where the image goes", schema=_REGISTRY),
               ))),
    ))

    @classmethod
    def check_options(cls, options: dict) -> list[OptionProblem]:
        o = cls.schema.with_defaults(options) if cls.schema else dict(options)
        problems = []
        if not o.get("owner") and not o.get("org"):
            problems.append(OptionProblem("owner", "set option `owner` (your GitHub login) or `org` (an organization)"))
        language = section(o, "language")
        if isinstance(language.get("name"), str) and language["name"].lower() not in LANGUAGES:
            problems.append(OptionProblem("language.name", (
                f"option 'language.name' is '{language['name']}', but githubactions-golang writes Go workflows: "
                f"write name: go")))
        if not (section(o, "build").get("enable") is True or section(o, "test").get("enable") is True):
            problems.append(OptionProblem("build.enable", (
                "the workflows would run nothing: set build.enable or test.enable (or both) to true")))
        docker = section(o, "docker")
        if docker.get("enable") is True:
            registry = section(docker, "registry")
            if not registry.get("username"):
                problems.append(OptionProblem("docker.registry.username", (
                    "docker.enable is true but option 'docker.registry.username' is empty (your Docker Hub user)")))
            if isinstance(registry.get("type"), str) and registry["type"] not in REGISTRIES:
                problems.append(OptionProblem("docker.registry.type", (
                    f"registry type '{registry['type']}' is not supported; write type: dockerhub")))
        return problems

    @classmethod
    def describe_identity(cls, options: dict) -> str:
        return f"{options.get('org') or options.get('owner')}/{options.get('repo')}"

    # -- plugin contract ---------------------------------------------------------------------------
    def create(self, options: dict) -> Resource:
        opts = self._options(options)
        files = render_workflows(opts)
        with _Session() as s:
            repo = s.existing_repo(opts)
            s.require_branch(repo, opts)
            current = s.files(repo, opts.branch)
            taken = [p for p, f in current.items() if f is not None and not _ours(f)]
            if taken:
                raise PluginError(
                    f"githubactions-golang: {', '.join(taken)} already exist{'s' * (len(taken) == 1)} in "
                    f"{opts.full_name} (branch {opts.branch}) and {'was' if len(taken) == 1 else 'were'} not "
                    f"written by dtmnb; create never overwrites a file it did not make. Rename or remove "
                    f"{'it' if len(taken) == 1 else 'them'}, then apply again.")
            ours_there = any(f is not None for f in current.values())  # a create whose state was lost
            made = s.set_secrets(repo, opts, managed=set(_SECRET_NAMES) if ours_there else set())
            try:
                self._write(s, repo, opts.branch, files, current)
            except Exception as exc:
                _, undo = s.remove_secrets(repo, made)
                raise s.explain(exc, f"committing the workflows to {opts.full_name}", extra=undo) from None
            return _found(s.resource(repo, opts))

    def read(self, options: dict) -> Resource | None:
        opts = self._options(options)
        with _Session() as s:
            repo = s.repo_or_none(opts.full_name)
            return None if repo is None else s.resource(repo, opts, none_when_gone=True)

    def update(self, options: dict, prior: Resource) -> Resource:
        opts = self._options(options)
        files = render_workflows(opts)
        old_branch = str((prior or {}).get("branch") or opts.branch)
        old_repo = _recorded_repo(prior) or opts.full_name
        if old_repo.lower() != opts.full_name.lower():
            # another repository: the engine plans a Replace for this; done here too, so an engine that
            # calls update anyway never leaves the old workflows and secrets behind
            resource = self.create(options)
            with _Session() as s:
                self._delete_at(s, old_repo, old_branch, (prior or {}).get("secrets") or [])
            return resource
        with _Session() as s:
            repo = s.existing_repo(opts)
            s.require_branch(repo, opts)
            current = s.files(repo, opts.branch)
            if old_branch != opts.branch:
                taken = [p for p, f in current.items() if f is not None and not _ours(f)]
                if taken:
                    raise PluginError(f"githubactions-golang: {', '.join(taken)} already exist in {opts.full_name} "
                                      f"(branch {opts.branch}) and were not written by dtmnb; rename or remove "
                                      f"them, or keep branch: {old_branch}.")
            recorded = set((prior or {}).get("secrets") or [])
            if opts.docker_enabled:
                s.set_secrets(repo, opts, managed=recorded)
            else:
                self._remove_secrets(s, repo, recorded)
            self._write(s, repo, opts.branch, files, current)
            if old_branch != opts.branch:
                self._remove_ours(s, repo, old_branch)
            return _found(s.resource(repo, opts))

    def delete(self, options: dict) -> None:
        opts = self._options(options)
        with _Session() as s:
            self._delete_at(s, opts.full_name, opts.branch, _SECRET_NAMES if opts.docker_enabled else ())

    # -- steps -------------------------------------------------------------------------------------
    def _options(self, options: dict) -> Options:
        values = self.schema.with_defaults(options) if self.schema else dict(options or {})
        problems = [str(p) for p in [*self.schema.check(values), *self.check_options(values)]] if self.schema else []
        if problems:
            raise PluginError("githubactions-golang: options are illegal: " + "; ".join(problems))
        return Options(values)

    def _write(self, s: _Session, repo: Repository, branch: str, files: dict[str, str], current: Workflows) -> None:
        changed = {p: t for p, t in files.items() if (f := current.get(p)) is None or f.sha != blob_sha(t)}
        if not changed:
            self.log.info("GitHub Actions workflows are up to date.")
            return
        for path in changed:
            self.log.info(f"{'Creating' if current.get(path) is None else 'Updating'} GitHub Actions workflow "
                          f"{Path(path).name} ...")
        fresh = all(current.get(p) is None for p in changed)
        s.commit(repo, branch, dict(changed), COMMIT_MESSAGE if fresh else UPDATE_MESSAGE)
        for path in changed:
            self.log.info(f"GitHub Actions workflow {Path(path).name} written.")

    def _delete_at(self, s: _Session, full_name: str, branch: str, secrets: Iterable[str]) -> None:
        repo = s.repo_or_none(full_name)
        if repo is None:
            self.log.info(f"GitHub repo {full_name} was not found. Nothing to do here.")
            return
        self._remove_ours(s, repo, branch)
        self._remove_secrets(s, repo, secrets)

    def _remove_secrets(self, s: _Session, repo: Repository, names: Iterable[str]) -> None:
        """Remove those of ``names`` the repository has, saying so; a failure fails the change (the state
        keeps the tool, so the next run tries again)."""
        wanted = set(names)
        present = sorted(wanted & s.secret_names(repo)) if wanted else []
        removed, note = s.remove_secrets(repo, present)
        for name in removed:
            self.log.info(f"Actions secret {name} of {repo.full_name} removed.")
        if note:
            raise PluginError(f"githubactions-golang: {note}")

    def _remove_ours(self, s: _Session, repo: Repository, branch: str) -> None:
        current = s.files(repo, branch)
        doomed: dict[str, str | None] = {}
        for path, f in current.items():
            if f is None:
                self.log.info(f"GitHub Actions workflow {Path(path).name} already removed.")
            elif _ours(f):
                doomed[path] = None
            else:
                self.log.warning(f"{path} in {repo.full_name} was not written by dtmnb (no marker line); "
                                 f"left as it is.")
        if doomed:
            s.commit(repo, branch, doomed, REMOVE_MESSAGE)
            for path in doomed:
                self.log.info(f"GitHub Actions workflow {Path(path).name} removed.")


_SECRET_NAMES = (SECRET_USER, SECRET_TOKEN)


def _recorded_repo(prior: Resource | None) -> str:
    """``owner/repo`` the state recorded (from dtm's ``workflowDir``, /repos/OWNER/REPO/contents/...)."""
    parts = str((prior or {}).get("workflowDir") or "").split("/")
    return f"{parts[2]}/{parts[3]}" if len(parts) > 4 and parts[1] == "repos" else ""


def _found(resource: Resource | None) -> Resource:
    if resource is None:  # only asked for with none_when_gone, never after a write
        raise PluginError("githubactions-golang: the workflows just written cannot be read back")
    return resource


def _ours(content_file: ContentFile) -> bool:
    try:
        return content_file.decoded_content.decode("utf-8", "replace").startswith(MARKER)
    except AssertionError:  # not base64-encoded (a file too large for the Contents API)
        return False


def _dockerhub_token() -> str:
    token = (os.environ.get(TOKEN_VARIABLE) or "").strip()
    if not token:
        raise PluginError(
            f"githubactions-golang: docker.enable is true but the environment variable {TOKEN_VARIABLE} is not set "
            f"(dtm: DockerHub Token is empty). Create an access token at https://hub.docker.com/settings/security "
            f"and run `export {TOKEN_VARIABLE}=...`; dtmnb sends it sealed to GitHub as the repository secret "
            f"{SECRET_TOKEN} and never stores it.")
    return token


class _Session:
    """One PyGithub client for one call, and the GitHub steps of this plugin. Every error message is
    scrubbed of the GitHub token and the Docker Hub token."""

    def __init__(self) -> None:
        self.base_url = gc.api_url()
        try:
            self.token = gc.github_token()
        except PluginError:
            raise PluginError(
                "githubactions-golang: environment variable GITHUB_TOKEN is not set. It needs a GitHub personal "
                "access token with the scopes 'repo' and 'workflow': create one at https://github.com/settings/"
                "tokens and run `export GITHUB_TOKEN=...` (or use dtmnb's sandbox).") from None
        self.github = gc.make_github(self.token, self.base_url)
        self.errors = gc.error_types()
        self.secret: str | None = None

    def __enter__(self) -> _Session:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc is not None and isinstance(exc, self.errors):  # a PyGithub error no step explained
            raise self.explain(exc, "talking to GitHub") from None

    def explain(self, exc: Exception, action: str, hints: dict[int, str] | None = None,
                extra: str = "") -> PluginError:
        if isinstance(exc, PluginError):
            text = str(exc)
        else:
            text = str(gc.explain(exc, f"githubactions-golang: {action}", self.base_url, self.token, hints))
        return PluginError(gc.scrub(f"{text} {extra}".strip(), self.secret))

    def repo_or_none(self, full_name: str) -> Repository | None:
        try:
            return self.github.get_repo(full_name)
        except self.errors as exc:
            if getattr(exc, "status", None) == 404:
                return None
            raise self.explain(exc, f"reading repository {full_name}") from None

    def existing_repo(self, opts: Options) -> Repository:
        repo = self.repo_or_none(opts.full_name)
        if repo is None:
            raise PluginError(
                f"githubactions-golang: repository {opts.full_name} does not exist at {self.base_url} (or the "
                f"token cannot see it). This plugin adds workflows to an existing repository: create it first, "
                f"e.g. with github-repo-scaffolding-golang and dependsOn, or check options owner/org/repo.")
        return repo

    def require_branch(self, repo: Repository, opts: Options) -> None:
        try:
            repo.get_branch(opts.branch)
        except self.errors as exc:
            if getattr(exc, "status", None) != 404:
                raise self.explain(exc, f"reading branch {opts.branch} of {opts.full_name}") from None
            raise PluginError(
                f"githubactions-golang: branch {opts.branch} does not exist in {opts.full_name} (an empty "
                f"repository has none): push a first commit to it, or set option 'branch'.") from None

    def files(self, repo: Repository, branch: str) -> Workflows:
        """``{path: ContentFile or None}`` for the workflow files on ``branch``."""
        out: Workflows = {}
        for name in FILES:
            path = f"{WORKFLOW_DIR}/{name}"
            try:
                found = repo.get_contents(path, ref=branch)
            except self.errors as exc:
                if getattr(exc, "status", None) != 404:
                    raise self.explain(exc, f"reading {path} of {repo.full_name}") from None
                found = None
            if isinstance(found, list):
                raise PluginError(f"githubactions-golang: {path} in {repo.full_name} is a folder, not a file; "
                                  f"rename it so the workflow can be written there.")
            out[path] = found
        return out

    def commit(self, repo: Repository, branch: str, changes: dict[str, str | None], message: str) -> str:
        """One commit on ``branch`` writing (text) or removing (None) each path; returns its sha.
        The branch moves only forward: a push that lands meanwhile fails this instead of being lost."""
        from github import InputGitTreeElement

        try:
            ref = repo.get_git_ref(f"heads/{branch}")
            parent = repo.get_git_commit(ref.object.sha)
            elements = [InputGitTreeElement(p, "100644", "blob", content=t) if t is not None
                        else InputGitTreeElement(p, "100644", "blob", sha=None) for p, t in changes.items()]
            tree = repo.create_git_tree(elements, base_tree=parent.tree)
            commit = repo.create_git_commit(message, tree, [parent])
            ref.edit(commit.sha)
        except self.errors as exc:
            raise self.explain(exc, f"committing to {repo.full_name} (branch {branch})", {
                422: "The branch moved while dtmnb was writing (or the token may not push to it); apply again",
                404: "Writing under .github/workflows/ needs a token with the 'workflow' scope (besides 'repo'); "
                     "GitHub answers 404 without it",
            }) from None
        return commit.sha

    def last_commit(self, repo: Repository, branch: str, paths: list[str]) -> str:
        """The newest commit that wrote any of ``paths`` (their histories ordered through the commit list)."""
        best, best_path = "", ""
        for path in paths:
            head = next(iter(repo.get_commits(sha=branch, path=path)), None)
            if head is None or head.sha == best:
                continue
            if not best:
                best, best_path = head.sha, path
                continue
            seen = next(iter(repo.get_commits(sha=head.sha, path=best_path)), None)
            if seen is not None and seen.sha == best:  # best is behind head: head is newer
                best, best_path = head.sha, path
        return best

    def secret_names(self, repo: Repository) -> set[str]:
        try:
            return {s.name.upper() for s in repo.get_secrets()}
        except self.errors as exc:
            raise self.explain(exc, f"listing the Actions secrets of {repo.full_name}", {
                403: "Reading repository secrets needs admin rights and the token's 'repo' scope"}) from None

    def set_secrets(self, repo: Repository, opts: Options, managed: set[str]) -> list[str]:
        """Set DOCKERHUB_USERNAME/DOCKERHUB_TOKEN when docker is enabled; a secret that exists and is not
        in ``managed`` (set by someone else) is never replaced. Returns the names newly created."""
        if not opts.docker_enabled:
            return []
        self.secret = _dockerhub_token()
        values = {SECRET_USER: str(opts.registry.get("username") or ""), SECRET_TOKEN: self.secret}
        existing = self.secret_names(repo)
        foreign = sorted((existing & set(values)) - {n.upper() for n in managed})
        if foreign:
            raise PluginError(
                f"githubactions-golang: the repository secret{'s' * (len(foreign) > 1)} {', '.join(foreign)} "
                f"already exist{'s' * (len(foreign) == 1)} in {repo.full_name} and dtmnb did not set "
                f"{'it' if len(foreign) == 1 else 'them'}; it never replaces a secret it did not make. Delete "
                f"{'it' if len(foreign) == 1 else 'them'} (repository Settings > Secrets and variables > Actions), "
                f"then apply again.")
        made: list[str] = []
        for name, value in values.items():
            try:
                repo.create_secret(name, value, "actions")
            except self.errors as exc:
                _, undo = self.remove_secrets(repo, made)
                raise self.explain(exc, f"setting the Actions secret {name} of {repo.full_name}", {
                    403: "Setting repository secrets needs admin rights and the token's 'repo' scope"},
                    extra=undo) from None
            if name not in existing:
                made.append(name)
        return made

    def remove_secrets(self, repo: Repository, names: Iterable[str]) -> tuple[list[str], str]:
        """Delete the secrets ``names``; returns those removed and, when one could not be, a note saying so."""
        removed: list[str] = []
        for name in sorted(names):
            try:
                # PyGithub answers False, not an error, when GitHub does not confirm with 204 No Content
                why = "" if repo.delete_secret(name, "actions") else "GitHub did not confirm the removal"
            except self.errors as exc:
                why = str(self.explain(exc, "removing it"))
            if why:
                return removed, (f"The secret {name} of {repo.full_name} could not be removed ({why}); "
                                 f"remove it by hand.")
            removed.append(name)
        return removed, ""

    def resource(self, repo: Repository, opts: Options, none_when_gone: bool = False) -> Resource | None:
        """What is there now, shaped as create returns it; None (if asked) when both files are gone."""
        current = self.files(repo, opts.branch)  # a missing branch reads as missing files
        present = [p for p, f in current.items() if f is not None]
        if none_when_gone and not present:
            return None
        secrets = sorted(self.secret_names(repo) & set(_SECRET_NAMES)) if opts.docker_enabled else []
        commit = self.last_commit(repo, opts.branch, present) if present else ""
        workflow_dir = f"/repos/{opts.account}/{opts.repo}/contents/{WORKFLOW_DIR}"
        return {
            "workflowDir": workflow_dir, "branch": opts.branch,
            "workflows": {Path(p).name: (f.sha if f is not None else None) for p, f in current.items()},
            "secrets": secrets,
            "outputs": {"owner": opts.owner, "org": opts.org, "repo": opts.repo, "branch": opts.branch,
                        "files": sorted(present), "commit": commit},
        }


__all__ = ["GithubActionsGolang"]
