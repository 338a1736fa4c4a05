"""Plugin ``github-repo-scaffolding-golang``: a GitHub repository holding a Go web-app scaffolding (see the class)."""
from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from ..errors import PluginError
from ..report import get_logger
from ..schema import Option, OptionProblem, Schema
from . import github_client as gc
from .base import Plugin, Resource
from .scaffold_template import GO_WEBAPP, render_template, scaffold_variables

if TYPE_CHECKING:
    from github.Repository import Repository

T = TypeVar("T")

BOOTSTRAP_FILE = ".gitignore"
BOOTSTRAP_MESSAGE = "Initialize the repository"
SCAFFOLD_MESSAGE = "Scaffolding with DevStream (dtmnb github-repo-scaffolding-golang)"
KNOWN_OPTIONS = ("owner", "org", "repo", "branch", "image_repo")
log = get_logger("plugins.github-repo-scaffolding-golang")


@dataclass(frozen=True)
class Options:
    owner: str
    org: str
    repo: str
    branch: str
    image_repo: str

    @property
    def account(self) -> str:
        """Who owns the repository: the org when set, else the owner."""
        return self.org or self.owner

    @property
    def full_name(self) -> str:
        return f"{self.account}/{self.repo}"

    @classmethod
    def parse(cls, options: dict) -> Options:
        problems: list[str] = []
        values: dict[str, str] = {}
        for key in KNOWN_OPTIONS:
            value = (options or {}).get(key)
            if value is not None and not isinstance(value, (str, int)):
                problems.append(f"option '{key}' must be a string, not {type(value).__name__}")
                value = None
            values[key] = "" if value is None else str(value).strip()
        if not values["repo"]:
            problems.append("option 'repo' is required (the name of the repository to create)")
        if not values["branch"]:
            problems.append("option 'branch' is required (the branch that receives the scaffolding, e.g. main)")
        if not values["owner"] and not values["org"]:
            problems.append("set option 'owner' (your GitHub login) or option 'org' (an organization)")
        if problems:
            raise PluginError("github-repo-scaffolding-golang: options are illegal: " + "; ".join(problems))
        unknown = sorted(set(options or {}) - set(KNOWN_OPTIONS))
        if unknown:
            log.warning(f"github-repo-scaffolding-golang ignores unknown option(s): {', '.join(unknown)}")
        return cls(**values)


class GithubRepoScaffoldingGolang(Plugin):
    """Creates ``owner/repo`` (or ``org/repo``) on GitHub and pushes the Go web-app scaffolding.

    Create makes the repository (never over an existing one), a first commit through the Contents API, then
    pushes the rendered template (``templates/go-webapp``) as one commit on ``branch`` with the Git Data API.
    Any option change is a Replace: the repository is deleted and created again. The resource is dtm's:
    ``{owner, org, repoName, outputs: {owner, org, repo, repoURL}}``. Needs ``GITHUB_TOKEN`` (scopes ``repo``
    and ``delete_repo``); ``GITHUB_API_URL`` points it at GitHub Enterprise or the sandbox."""

    name = "github-repo-scaffolding-golang"
    schema = Schema((
        Option("owner", "string", identity=True, example="IronCore864",
               description="your GitHub login (case-sensitive); the repository is created for this user"),
        Option("org", "string", identity=True, description="an organization to create the repository in, instead"),
        Option("repo", "string", required=True, identity=True, example="go-webapp",
               description="the repository to create"),
        Option("branch", "string", required=True, example="main", description="the branch that gets the scaffolding"),
        Option("image_repo", "string", example="owner/go-webapp", description="the container image (Helm chart)"),
    ))
    outputs = {"owner": "the owner option", "org": "the org option", "repo": "the repository's name",
               "repoURL": "https://github.com/<org or owner>/<repo>.git (the server's URL on GitHub Enterprise)"}
    replace_on_update = True
    replace_note = "the repository will be deleted and re-created"

    @classmethod
    def check_options(cls, options: dict) -> list[OptionProblem]:
        if not options.get("owner") and not options.get("org"):
            return [OptionProblem("owner", "set option `owner` (your GitHub login) or `org` (an organization)")]
        return []

    @classmethod
    def describe_identity(cls, options: dict) -> str:
        return f"{options.get('org') or options.get('owner')}/{options.get('repo')}"
    template_dir = GO_WEBAPP

    # -- plugin contract ---------------------------------------------------------------------------
    def create(self, options: dict) -> Resource:
        opts = Options.parse(options)
        files = render_template(self.template_dir, scaffold_variables(opts.repo, opts.account, opts.repo,
                                                                       opts.image_repo))
        session = _Session()
        repo = self._create_repo(session, opts)
        log.info(f"The repo {opts.repo} has been created.")
        try:
            self._push(session, repo, opts, files)
        except Exception as exc:
            reason = exc if isinstance(exc, PluginError) else session.explain(exc, f"pushing to {opts.full_name}")
            raise PluginError(f"{reason} {self._rollback(session, repo, opts)}") from None
        return self._resource(opts, repo.clone_url, repo.name)

    def read(self, options: dict) -> Resource | None:
        opts = Options.parse(options)
        session = _Session()
        try:
            repo = session.github.get_repo(opts.full_name)
        except session.errors as exc:
            if getattr(exc, "status", None) == 404:
                return None
            raise session.explain(exc, f"reading repository {opts.full_name}") from None
        return self._resource(opts, repo.clone_url, repo.name)

    def delete(self, options: dict) -> None:
        opts = Options.parse(options)
        session = _Session()
        try:
            session.github.get_repo(opts.full_name).delete()
        except session.errors as exc:
            if getattr(exc, "status", None) == 404:
                log.info(f"GitHub repo {opts.full_name} was not found. Nothing to do here.")
                return
            raise session.explain(exc, f"deleting repository {opts.full_name}", {
                403: "Deleting needs a token with the 'delete_repo' scope, from an admin of the repository",
            }) from None
        log.info(f"The repo {opts.repo} has been deleted.")

    # -- steps -------------------------------------------------------------------------------------
    def _create_repo(self, session: _Session, opts: Options) -> Repository:
        gh = session.github
        try:
            login = gh.get_user().login
        except session.errors as exc:
            raise session.explain(exc, "checking the GitHub token") from None
        action = f"creating repository {opts.full_name}"
        hints = {
            404: "The token needs the 'repo' scope to create repositories (GitHub answers 404 without it)",
            422: f"A repository named {opts.repo} probably exists already in {opts.account}: delete it, or "
                 f"choose another 'repo' (dtmnb never overwrites an existing repository)",
        }
        try:
            if opts.org:
                try:
                    owner = gh.get_organization(opts.org)
                except session.errors as exc:
                    raise session.explain(exc, f"looking up organization {opts.org}", {
                        404: f"There is no organization '{opts.org}' at {session.base_url} "
                             f"(or the token cannot see it); check option 'org'"}) from None
                hints[403] = f"User {login} may not create repositories in organization {opts.org}"
                return owner.create_repo(opts.repo, auto_init=False)
            if opts.owner != login:
                raise PluginError(_owner_mismatch(opts.owner, login))
            return gh.get_user().create_repo(opts.repo, auto_init=False)
        except session.errors as exc:
            raise session.explain(exc, action, hints) from None

    def _push(self, session: _Session, repo: Repository, opts: Options, files: dict[str, str]) -> None:
        """Bootstrap commit on the default branch, then all files in one commit on ``opts.branch``."""
        from github import InputGitTreeElement

        default = repo.default_branch or "main"
        repo.create_file(BOOTSTRAP_FILE, BOOTSTRAP_MESSAGE, files.get(BOOTSTRAP_FILE, "\n"), branch=default)
        head = session.settle(lambda: repo.get_git_ref(f"heads/{default}"))
        if opts.branch != default:
            head = repo.create_git_ref(f"refs/heads/{opts.branch}", head.object.sha)
            head = session.settle(lambda: repo.get_git_ref(f"heads/{opts.branch}"))
        parent = repo.get_git_commit(head.object.sha)
        elements = [InputGitTreeElement(path, "100644", "blob", content=text) for path, text in files.items()]
        tree = repo.create_git_tree(elements, base_tree=parent.tree)
        commit = repo.create_git_commit(SCAFFOLD_MESSAGE, tree, [parent])
        head.edit(commit.sha)

    def _rollback(self, session: _Session, repo: Repository, opts: Options) -> str:
        try:
            repo.delete()
        except session.errors as exc:
            why = session.explain(exc, f"deleting the half-made repository {opts.full_name}")
            return f"The half-made repository could not be removed ({why}); delete it by hand."
        log.warning(f"The half-made repository {opts.full_name} has been deleted.")
        return f"The half-made repository {opts.full_name} has been deleted."

    @staticmethod
    def _resource(opts: Options, clone_url: str | None, repo_name: str | None) -> Resource:
        """dtm's resource. Names GitHub reports in another letter case are written as the options spell
        them, so an unchanged repository never shows drift (dtm's case-sensitivity pitfall)."""
        name = opts.repo if (repo_name or opts.repo).lower() == opts.repo.lower() else repo_name
        return {
            "owner": opts.owner, "org": opts.org, "repoName": name,
            "outputs": {"owner": opts.owner, "org": opts.org, "repo": opts.repo,
                        "repoURL": _repo_url(opts, clone_url)},
        }


def _repo_url(opts: Options, clone_url: str | None) -> str:
    """``https://github.com/<org-or-owner>/<repo>.git``, or the server's clone URL (GitHub Enterprise) with
    the path spelled as in the options when it only differs in case."""
    expected = f"https://github.com/{opts.account}/{opts.repo}.git"
    if not clone_url or clone_url.lower() == expected.lower():
        return expected
    parts = urllib.parse.urlsplit(clone_url)
    wanted = f"/{opts.account}/{opts.repo}.git"
    if parts.path.lower() == wanted.lower():
        return urllib.parse.urlunsplit(parts._replace(path=wanted))
    return clone_url


def _owner_mismatch(owner: str, login: str) -> str:
    if owner.lower() == login.lower():
        return (f"option owner '{owner}' differs from the token's login '{login}' only in letter case. The "
                f"owner is case-sensitive (it is written into the state's repoURL, and a mismatch would make "
                f"every plan re-create the repository): write owner: {login}")
    return (f"option owner is '{owner}' but GITHUB_TOKEN belongs to '{login}'. A user repository can only be "
            f"created for the token's own user: set owner: {login}, use a token of {owner}, or set 'org' to "
            f"create the repository in an organization")


class _Session:
    """The client, the API address and token (for error messages only), and the error types."""

    def __init__(self) -> None:
        self.base_url = gc.api_url()
        self.token = gc.github_token()
        self.github = gc.make_github(self.token, self.base_url)
        self.errors = gc.error_types()
        self.local = gc.is_loopback(self.base_url)

    def explain(self, exc: Exception, action: str, hints: dict[int, str] | None = None) -> PluginError:
        return gc.explain(exc, action, self.base_url, self.token, hints)

    def settle(self, call: Callable[[], T], attempts: int = 4) -> T:
        """Run ``call``; on real GitHub retry briefly while a just-made repository or ref is not visible."""
        for attempt in range(attempts - 1):
            try:
                return call()
            except self.errors as exc:
                if self.local or getattr(exc, "status", None) not in (404, 409):
                    raise
                time.sleep(1 + attempt)
        return call()
