"""The plugin contract. A plugin implements create/read/update/delete for one kind of tool."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class PluginContext:
    """What a plugin may know about the run: the folder relative paths resolve against
    (the main config file's folder) and the environment it should read settings from."""

    base_dir: Path = field(default_factory=Path.cwd)

    def resolve(self, value: str) -> Path:
        p = Path(str(value)).expanduser()
        return p if p.is_absolute() else self.base_dir / p


class Plugin:
    """Base class. ``options`` are the tool's options with variables and outputs references resolved.

    - ``create(options) -> resource``: make the thing; the returned map is stored as the resource.
      Put what other tools may reference under ``resource["outputs"]``.
    - ``read(options) -> resource | None``: describe the thing as it is now, in the same shape as
      create's result; None means it is gone (the plan then shows a Create).
    - ``update(options) -> resource`` and ``delete(options) -> None``.
    Raise ``dtmnb.errors.PluginError`` with a message that says what to do.
    """

    name = "abstract"
    #: how plan describes an Update of this plugin, when it is not a plain in-place update
    update_note: str | None = None

    def __init__(self, context: PluginContext | None = None):
        self.context = context or PluginContext()

    def create(self, options: dict) -> dict:
        raise NotImplementedError

    def read(self, options: dict) -> dict | None:
        raise NotImplementedError

    def update(self, options: dict) -> dict:
        self.delete(options)
        return self.create(options)

    def delete(self, options: dict) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<Plugin {self.name}>"
