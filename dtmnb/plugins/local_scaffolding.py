"""``local-repo-scaffolding``: the offline twin of ``github-repo-scaffolding-golang`` (see the class)."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from ..errors import PluginError
from ..schema import Option, OptionProblem, Schema
from .base import Plugin, Resource
from .scaffold_template import GO_WEBAPP, render_template, scaffold_variables


class LocalRepoScaffolding(Plugin):
    """Renders the Go web-app template of ``github-repo-scaffolding-golang`` into ``<output_dir>/<repo>/`` on
    disk instead of pushing it to GitHub. Read fingerprints the files, so a deleted folder plans a Create and a
    hand-edited or added file plans a Replace (the folder is deleted and rendered again). Deletes stay inside
    the config's folder unless the config itself names the folder."""

    name = "local-repo-scaffolding"
    schema = Schema((
        Option("owner", "string", identity=True, example="IronCore864", description="the project's owner"),
        Option("org", "string", identity=True, description="an organization, instead of owner"),
        Option("repo", "string", required=True, identity=True, example="go-webapp",
               description="the project's name: the folder <output_dir>/<repo>"),
        Option("branch", "string", default="main", description="the branch named in the project's files"),
        Option("image_repo", "string", example="owner/go-webapp", description="the container image (Helm chart)"),
        Option("output_dir", "string", default="repos", identity=True,
               description="where the project folder goes; relative paths are read from the config file's folder"),
    ))
    outputs = {"owner": "the owner option", "org": "the org option", "repo": "the project's name",
               "path": "<output_dir>/<repo>", "repoURL": "the project folder as a file:// URL"}
    replace_on_update = True
    replace_note = "the folder will be deleted and rendered again"

    @classmethod
    def check_options(cls, options: dict) -> list[OptionProblem]:
        if not options.get("owner") and not options.get("org"):
            return [OptionProblem("owner", "set option `owner` (or `org`)")]
        return []

    def _options(self, options: dict) -> dict[str, str]:
        repo = options.get("repo")
        owner, org = options.get("owner") or "", options.get("org") or ""
        if not repo or not isinstance(repo, str):
            raise PluginError("local-repo-scaffolding: option 'repo' is required (the project's name)")
        if "/" in repo or repo in (".", ".."):
            raise PluginError(f"local-repo-scaffolding: option 'repo' must be a plain name, not '{repo}'")
        if not owner and not org:
            raise PluginError("local-repo-scaffolding: set option 'owner' (or 'org')")
        return {"owner": owner, "org": org, "repo": repo, "branch": options.get("branch") or "main",
                "image_repo": options.get("image_repo") or "", "output_dir": options.get("output_dir") or "repos"}

    def _target(self, opts: dict[str, str]) -> Path:
        return self.context.resolve(opts["output_dir"]) / opts["repo"]

    def _resource(self, opts: dict[str, str], target: Path, files: dict[str, bytes]) -> Resource:
        digest = hashlib.sha256()
        for rel in sorted(files):
            digest.update(rel.encode() + b"\0" + hashlib.sha256(files[rel]).digest())
        return {
            "owner": opts["owner"], "org": opts["org"], "repoName": opts["repo"], "branch": opts["branch"],
            "files": len(files), "sha256": digest.hexdigest(),
            "outputs": {"owner": opts["owner"], "org": opts["org"], "repo": opts["repo"],
                        "path": f"{opts['output_dir']}/{opts['repo']}", "repoURL": target.resolve().as_uri()},
        }

    def create(self, options: dict) -> Resource:
        opts = self._options(options)
        target = self._target(opts)
        if target.exists():
            raise PluginError(f"local-repo-scaffolding: {target} already exists; remove it or choose another repo name")
        variables = scaffold_variables(opts["repo"], opts["org"] or opts["owner"], opts["repo"], opts["image_repo"])
        rendered = {rel: text.encode("utf-8") for rel, text in render_template(GO_WEBAPP, variables).items()}
        try:
            for rel, data in rendered.items():
                path = target / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
        except OSError as exc:
            shutil.rmtree(target, ignore_errors=True)
            raise PluginError(f"local-repo-scaffolding: cannot write {target}: {exc.strerror or exc}") from None
        self.log.info(f"The project {opts['repo']} has been rendered into {opts['output_dir']}/{opts['repo']}.")
        return self._resource(opts, target, rendered)

    def read(self, options: dict) -> Resource | None:
        opts = self._options(options)
        target = self._target(opts)
        if not target.is_dir():
            return None
        files = {p.relative_to(target).as_posix(): p.read_bytes() for p in target.rglob("*") if p.is_file()}
        return self._resource(opts, target, files)

    def delete(self, options: dict) -> None:
        target = self._target(self._options(options))
        self.context.check_removable(target, self.name, lambda o: self._target(self._options(o)))
        try:
            shutil.rmtree(target)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise PluginError(f"local-repo-scaffolding: cannot delete {target}: {exc.strerror or exc}") from None
