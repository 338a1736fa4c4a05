"""What a loaded config is: its tools, its state section and the variables, with where each came from."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Tool:
    """One entry of ``tools:``; ``file``/``line`` say where it was written (for error messages).

    ``options`` are as written (variables rendered, nothing filled in), as dtm stores them in the state.
    """

    name: str
    instance_id: str
    depends_on: list[str] = field(default_factory=list)
    options: dict = field(default_factory=dict)
    file: str | None = None
    line: int | None = None

    @property
    def key(self) -> str:
        """The state key, ``<name>_<instanceID>``."""
        return f"{self.name}_{self.instance_id}"

    @property
    def ref(self) -> str:
        """The ``dependsOn`` form, ``<name>.<instanceID>``."""
        return f"{self.name}.{self.instance_id}"

    def where(self) -> str:
        """``file:line`` of the entry (or what of it is known)."""
        if self.file and self.line:
            return f"{self.file}:{self.line}"
        return self.file or "config"


@dataclass
class StateConfig:
    """The ``state:`` section: ``backend`` in lower case, ``options`` as written (a missing textual
    default such as the local backend's ``stateFile`` filled in, as dtm did); relative paths in
    ``options`` resolve against ``base_dir`` (the main config file's folder)."""

    backend: str
    options: dict
    base_dir: Path
    file: str | None = None

    def path_option(self, name: str, default: str | None = None) -> Path | None:
        """Option ``name`` as a path (``~`` expanded, relative ones against ``base_dir``); None if unset."""
        value = self.options.get(name) or default
        if value is None:
            return None
        p = Path(str(value)).expanduser()
        return p if p.is_absolute() else self.base_dir / p


@dataclass
class Config:
    """A loaded config. ``form`` is 'files', 'sections' or 'v0.10'; ``warnings`` lists what was ignored
    (the caller decides whether to show them)."""

    path: Path
    tools: list[Tool]
    state: StateConfig
    vars: dict[str, Any] = field(default_factory=dict)
    form: str = "files"
    warnings: list[str] = field(default_factory=list)

    @property
    def base_dir(self) -> Path:
        """The main config file's folder."""
        return self.path.parent

    def tool(self, key: str) -> Tool | None:
        """The tool with state key ``name_instanceID`` or reference ``name.instanceID``, or None."""
        for t in self.tools:
            if t.key == key or t.ref == key:
                return t
        return None

    def __repr__(self) -> str:
        return f"<Config {self.path.name}: {len(self.tools)} tool(s), backend {self.state.backend}>"
