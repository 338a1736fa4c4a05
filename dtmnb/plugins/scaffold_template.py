"""Render a scaffolding template folder into ``{relative path: text}``.

The template convention is dtm's (docs/dtm-compatibility.md#scaffolding-templates):

- files ending in ``.tpl`` are rendered: ``[[ .AppName ]]``, ``[[ .Repo.Owner ]]`` ... are replaced by
  values from ``variables`` (Go-template style, dotted paths, a missing variable is an error), and the
  ``.tpl`` suffix is dropped; anything else, such as Helm's ``{{ .Values.x }}``, is left untouched;
- other files are copied as they are;
- ``_app_name_`` in a path becomes ``variables["AppName"]``.

Used by ``github-repo-scaffolding-golang`` and ``local-repo-scaffolding``.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from ..errors import TemplateError

TEMPLATES_DIR = Path(__file__).parent / "templates"
GO_WEBAPP = TEMPLATES_DIR / "go-webapp"
APP_NAME_MARKER = "_app_name_"
SKIPPED_DIRS = {".git", "__pycache__"}

_ACTION = re.compile(r"\[\[(.*?)\]\]", re.S)
_FIELD_PATH = re.compile(r"^\.[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


def scaffold_variables(app_name: str, owner: str, repo: str, image_repo: str = "") -> dict[str, object]:
    """The variables dtm gave its Go templates: AppName, Repo.Owner, Repo.Name, ImageRepo."""
    return {"AppName": app_name, "Repo": {"Owner": owner, "Name": repo}, "ImageRepo": image_repo}


def _lookup(variables: Mapping[str, object], dotted: str) -> object:
    """Value of ``.A.B`` in ``variables``; raises KeyError naming the part that is missing."""
    value: object = variables
    parts = dotted[1:].split(".")
    for i, part in enumerate(parts):
        if not isinstance(value, dict) or part not in value or value[part] is None:
            raise KeyError("." + ".".join(parts[: i + 1]))
        value = value[part]
    return value


def render_text(text: str, variables: Mapping[str, object], source: str = "<template>") -> str:
    """Replace every ``[[ .Path ]]`` in ``text``; errors name ``source`` and the line."""

    def replace(match: re.Match[str]) -> str:
        expr = match.group(1).strip()
        line = text.count("\n", 0, match.start()) + 1
        if not _FIELD_PATH.match(expr):
            raise TemplateError(
                f"template {source}, line {line}: unsupported placeholder '[[{match.group(1)}]]' "
                f"(write a variable as [[ .Name ]] or [[ .Repo.Owner ]])")
        try:
            value = _lookup(variables, expr)
        except KeyError as exc:
            known = ", ".join(sorted(variables)) or "none"
            raise TemplateError(
                f"template {source}, line {line}: variable '{exc.args[0]}' is not set "
                f"(known variables: {known})") from None
        if isinstance(value, dict):
            raise TemplateError(f"template {source}, line {line}: '{expr}' is a map, not a value")
        return str(value)

    return _ACTION.sub(replace, text)


def render_path(relative: str, variables: Mapping[str, object]) -> str:
    """Output path for a template file: ``_app_name_`` replaced, ``.tpl`` dropped."""
    out = relative
    if APP_NAME_MARKER in out:
        app_name = variables.get("AppName")
        if not app_name:
            raise TemplateError(f"template path {relative} uses {APP_NAME_MARKER} but variable '.AppName' is not set")
        out = out.replace(APP_NAME_MARKER, str(app_name))
    if out.endswith(".tpl"):
        out = out[: -len(".tpl")]
    return out


def render_template(template_dir: str | Path, variables: Mapping[str, object]) -> dict[str, str]:
    """Render every file under ``template_dir``; returns ``{posix relative output path: text}``, sorted."""
    root = Path(template_dir)
    if not root.is_dir():
        raise TemplateError(f"template folder {root} does not exist")
    files: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel_parts = path.relative_to(root).parts
        if not path.is_file() or SKIPPED_DIRS.intersection(rel_parts):
            continue
        relative = "/".join(rel_parts)
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError) as exc:
            raise TemplateError(f"template file {relative} cannot be read as UTF-8 text: {exc}") from None
        if relative.endswith(".tpl"):
            text = render_text(text, variables, source=relative)
        out = render_path(relative, variables)
        if out in files:
            raise TemplateError(f"template files {relative} and another one both render to {out}")
        files[out] = text
    return dict(sorted(files.items()))


__all__ = ["GO_WEBAPP", "TEMPLATES_DIR", "TemplateError", "render_path", "render_template", "render_text",
           "scaffold_variables"]
