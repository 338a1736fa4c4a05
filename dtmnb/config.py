"""Loading dtm configs into a Config: the three-file form, the `---` single file, the v0.10 one-file form.

TEMPORARY IMPLEMENTATION of load_config (three-file form only, little validation); the full loader
keeps this module's public API: Tool, StateConfig, Config, load_config.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError


@dataclass
class Tool:
    """One entry of ``tools:``; ``file``/``line`` say where it was written (for error messages)."""

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
        if self.file and self.line:
            return f"{self.file}:{self.line}"
        return self.file or "config"


@dataclass
class StateConfig:
    """The ``state:`` section. ``backend`` is lower-case ('local' or 's3'); relative paths in
    ``options`` resolve against ``base_dir`` (the main config file's folder)."""

    backend: str
    options: dict
    base_dir: Path
    file: str | None = None

    def path_option(self, name: str, default: str | None = None) -> Path | None:
        value = self.options.get(name) or default
        if value is None:
            return None
        p = Path(str(value)).expanduser()
        return p if p.is_absolute() else self.base_dir / p


@dataclass
class Config:
    path: Path
    tools: list[Tool]
    state: StateConfig
    vars: dict = field(default_factory=dict)

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def tool(self, key: str) -> Tool | None:
        for t in self.tools:
            if t.key == key or t.ref == key:
                return t
        return None

    def tools_frame(self):
        """One row per tool: key, name, instance_id, depends_on, options."""
        from .frames import tools_frame

        return tools_frame(self)

    def __repr__(self) -> str:
        return (f"<Config {self.path.name}: {len(self.tools)} tool(s), "
                f"backend {self.state.backend}>")


def load_config(path) -> Config:
    """Read a dtm config (any of the three forms) into a Config, or raise ConfigError."""
    import yaml

    path = Path(path).resolve()
    if not path.exists():
        raise ConfigError(f"config file {path} does not exist")
    main = yaml.safe_load(path.read_text()) or {}
    base = path.parent
    vars_ = {}
    if main.get("varFile"):
        vars_ = yaml.safe_load((base / main["varFile"]).read_text()) or {}
    text = (base / main["toolFile"]).read_text()
    import re

    text = re.sub(r"\[\[\s*([\w.]+)\s*\]\]", lambda m: str(vars_[m.group(1)]), text)
    raw_tools = (yaml.safe_load(text) or {}).get("tools") or []
    tools = [Tool(t["name"], t["instanceID"], list(t.get("dependsOn") or []), t.get("options") or {},
                  str(base / main["toolFile"])) for t in raw_tools]
    st = main["state"]
    return Config(path, tools, StateConfig(st["backend"].lower(), st.get("options") or {}, base, str(path)),
                  vars_)
