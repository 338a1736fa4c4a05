"""``local-file``: manage one text file (see the class)."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ..errors import PluginError
from ..schema import Option, Schema
from .base import Plugin, Resource


class LocalFile(Plugin):
    """Manages one text file: an offline teaching plugin whose Read notices a hand edit (drift) or a deleted
    file (Create). A content change is an in-place Update; a path change is a Replace. It never overwrites a
    file it did not create, and deletes stay inside the config's folder unless the config names the file."""

    name = "local-file"
    outputs = {"path": "the file's path, as written in the options", "sha256": "the SHA-256 of its content"}
    schema = Schema((
        Option("path", "string", required=True, identity=True, example="out/hello.txt",
               description="the file to manage; relative paths are read from the config file's folder"),
        Option("content", "string", default="", description="the file's text"),
    ))

    def _options(self, options: dict) -> tuple[str, str]:
        path, content = options.get("path"), options.get("content", "")
        if not path or not isinstance(path, str):
            raise PluginError("local-file: option 'path' is required (the file to manage, e.g. out/hello.txt)")
        if not isinstance(content, str):
            raise PluginError(f"local-file: option 'content' must be text, got {type(content).__name__}")
        return path, content

    def _resource(self, path: str, data: bytes) -> Resource:
        digest = hashlib.sha256(data).hexdigest()
        return {"path": path, "sha256": digest, "size": len(data),
                "outputs": {"path": path, "sha256": digest}}

    def _target(self, options: dict) -> Path:
        return self.context.resolve(self._options(options)[0])

    def create(self, options: dict) -> Resource:
        path, _ = self._options(options)
        target = self.context.resolve(path)
        if target.exists() or target.is_symlink():
            raise PluginError(f"local-file: {target} already exists and dtmnb did not create it; it was left "
                              f"untouched (remove it, choose another path, or import it)")
        return self._write(options)

    def _write(self, options: dict) -> Resource:
        path, content = self._options(options)
        target = self.context.resolve(path)
        data = content.encode("utf-8")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, target)
        except OSError as exc:
            raise PluginError(f"local-file: cannot write {target}: {exc.strerror or exc}") from None
        return self._resource(path, data)

    def read(self, options: dict) -> Resource | None:
        path, _ = self._options(options)
        target = self.context.resolve(path)
        try:
            return self._resource(path, target.read_bytes())
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise PluginError(f"local-file: cannot read {target}: {exc.strerror or exc}") from None

    def update(self, options: dict, prior: Resource) -> Resource:
        return self._write(options)

    def delete(self, options: dict) -> None:
        path, _ = self._options(options)
        target = self.context.resolve(path)
        self.context.check_removable(target, self.name, self._target)
        try:
            target.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise PluginError(f"local-file: cannot delete {path}: {exc.strerror or exc}") from None
