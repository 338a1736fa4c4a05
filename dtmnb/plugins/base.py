"""The plugin contract: how dtmnb creates, reads, updates and deletes one kind of tool.

Write a plugin by subclassing :class:`Plugin`::

    class Greeting(Plugin):
        name = "greeting"
        schema = Schema((
            Option("path", "string", required=True, identity=True, description="the file to manage"),
            Option("text", "string", default="hello", description="what the file says"),
        ))

        def create(self, options):   # make it; fail if something is already there (never adopt it)
            ...
            return {"path": options["path"], "outputs": {"path": options["path"]}}

        def read(self, options):     # what is there now, shaped like create's result; None when gone
            ...

        def update(self, options, prior):   # change it in place (prior: what the state recorded)
            ...

        def delete(self, options):   # remove it; nothing there is not an error
            ...

and register it: ``dtmnb.plugins.register_plugin("greeting", Greeting)``, or from a package, the entry
point ``greeting = "mypackage.greeting:Greeting"`` in the group ``dtmnb.plugins``.
``dtmnb.testing.check_plugin(Greeting, options)`` runs the contract against it.

The rules the engine relies on:

- ``options`` are the tool's options with variables and outputs references resolved and the schema's
  defaults filled in. ``read`` and ``delete`` are given the options **the state recorded**, so they reach
  the thing dtmnb made, even after the config changed.
- A resource is a map of plain YAML values: ``str``, ``int``, ``float``, ``bool``, ``None``, lists and maps
  with string keys (nested at most :data:`MAX_DEPTH` deep). What other tools may reference goes under
  ``resource["outputs"]``. Anything else fails the change with a message naming the field.
- ``create`` must never take over, overwrite or delete something that already exists: raise
  :class:`~dtmnb.errors.PluginError` saying so (``dtmnb import`` takes an existing thing under management).
- Options marked ``identity`` name the resource. When one changes, the engine plans a **Replace**: delete
  with the recorded options, then create with the new ones. With ``replace_on_update = True`` every
  option change is a Replace and ``update`` is never called (for resources that cannot change in place).
- Raise :class:`~dtmnb.errors.PluginError` with a message that says what to do. Any other exception also
  fails only that change; it never stops the run or loses the state.
- Log through ``self.log`` (a standard ``logging`` logger named ``dtmnb.plugins.<name>``).
"""
from __future__ import annotations

import abc
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ..errors import PluginError
from ..limits import MAX_DEPTH
from ..schema import Option, OptionProblem, Schema

Resource = dict[str, Any]


@dataclass
class PluginContext:
    """What a plugin may know about the run: ``base_dir`` is the folder relative paths resolve against
    (the main config file's folder); ``config_tools`` the (plugin name, options) of every tool the config
    itself has, as written."""

    base_dir: Path = field(default_factory=Path.cwd)
    config_tools: tuple[tuple[str, dict], ...] = ()

    def resolve(self, value: str) -> Path:
        """``value`` as a path: absolute as written, relative ones against ``base_dir``."""
        p = Path(str(value)).expanduser()
        return p if p.is_absolute() else self.base_dir / p

    def check_removable(self, target: Path, plugin: str, target_of: Callable[[dict], Path]) -> None:
        """Refuse (PluginError) to remove ``target`` unless it lies inside the config's folder or the config
        itself names it (``target_of(options)`` of one of its ``plugin`` tools): a state shared with others,
        or edited by hand, must not decide what is deleted elsewhere on this machine."""
        real = target.resolve()
        if real.is_relative_to(self.base_dir.resolve()):
            return
        for name, options in self.config_tools:
            try:
                if name == plugin and target_of(options).resolve() == real:
                    return
            except PluginError:
                continue
        raise PluginError(
            f"{plugin}: refusing to delete {target}: it is outside the config's folder ({self.base_dir}) and the "
            f"config does not name it. The state says it is there, but the state may have been edited by hand or "
            f"by someone else. If it really is yours, delete it yourself, then drop the tool from the state with "
            f"`dtmnb state rm -f CONFIG NAME.INSTANCE`.")


class Plugin(abc.ABC):
    """Base class of every plugin; see the module documentation for the contract."""

    #: the name tools use in ``name:`` (also the registry key)
    name: ClassVar[str] = ""
    #: the options; None means "not declared" (the config is then not checked against it)
    schema: ClassVar[Schema | None] = None
    #: True: any option change deletes the recorded resource and creates a new one (``update`` unused)
    replace_on_update: ClassVar[bool] = False
    #: one line for people: what a Replace does to this kind of resource (shown in the plan)
    replace_note: ClassVar[str] = ""
    #: the keys of ``resource["outputs"]`` other tools may reference, each with one line saying what it is
    outputs: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if (cls.schema is not None or cls.outputs) and "Options (from its schema)" not in (cls.__doc__ or ""):
            cls.__doc__ = ((cls.__doc__ or "").rstrip() + "\n\n" + reference(cls)).lstrip()

    def __init__(self, context: PluginContext | None = None):
        self.context = context or PluginContext()
        self.log = logging.getLogger(f"dtmnb.plugins.{self.name or type(self).__name__}")

    @abc.abstractmethod
    def create(self, options: dict) -> Resource:
        """Make the thing and return its resource. Fail if it already exists."""

    @abc.abstractmethod
    def read(self, options: dict) -> Resource | None:
        """The resource as it is now (same shape as ``create``'s), or None when it is gone."""

    def update(self, options: dict, prior: Resource) -> Resource:
        """Change the thing in place to match ``options``; ``prior`` is the resource the state recorded.

        Only called when ``replace_on_update`` is False and no identity option changed.
        """
        raise PluginError(f"plugin {self.name} cannot update in place; it should set replace_on_update = True")

    @abc.abstractmethod
    def delete(self, options: dict) -> None:
        """Remove the thing. A thing that is already gone is not an error."""

    @classmethod
    def check_options(cls, options: dict) -> list[OptionProblem]:
        """Rules the schema cannot say (e.g. "set owner or org"), checked when the config loads; the
        schema has already been checked. Return every problem; the default finds none."""
        return []

    @classmethod
    def identity_of(cls, options: dict) -> dict:
        """The identity options' values ({} when the plugin declares none: its changes are Updates)."""
        names = cls.schema.identity if cls.schema is not None else ()
        return {n: (options or {}).get(n) for n in names}

    @classmethod
    def describe_identity(cls, options: dict) -> str:
        """The resource's name for people, e.g. ``IronCore864/demo``; plugins may override."""
        ident = cls.identity_of(options)
        return ", ".join(f"{k}={v}" for k, v in ident.items() if v not in (None, ""))

    def __repr__(self) -> str:
        return f"<Plugin {self.name}>"


def reference(cls: type[Plugin]) -> str:
    """The plugin's options and outputs for people, written from its ``schema`` and ``outputs``."""
    lines = []
    if cls.schema is not None:
        lines.append("Options (from its schema):")
        lines += [f"    {line}" for line in cls.schema.describe()]
    if cls.outputs:
        lines.append("Outputs (``${{ NAME.INSTANCE.outputs.KEY }}``):")
        lines += [f"    {key}: {text}" for key, text in cls.outputs.items()]
    return "\n".join(lines)


__all__ = ["MAX_DEPTH", "Option", "OptionProblem", "Plugin", "PluginContext", "Resource", "Schema"]
