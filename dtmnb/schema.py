"""Option schemas: what a plugin's (or a backend's) options are, checked before anything runs.

A :class:`Schema` is a tuple of :class:`Option` s. ``Schema.check(values)`` returns every problem at once as
:class:`OptionProblem` s (dotted option path + message with the fix); the config loader adds file and line.
``Schema.template()`` is the YAML option template ``dtmnb show config -p PLUGIN`` prints.

Types are YAML's, as yaml.v3 decodes them: ``"string"`` (text only: ``repo: 123`` is a number, quote it),
``"integer"``, ``"number"`` (integer or float), ``"boolean"`` (``true``/``false``; yaml.v3 reads ``yes`` as
text), ``"list"``, ``"map"`` (with its own ``schema``, or any keys when ``schema`` is None) and ``"any"``.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

QUOTE = "'"
TYPES = ("string", "integer", "number", "boolean", "list", "map", "any")
_NAMES = {"string": "text", "integer": "a whole number", "number": "a number", "boolean": "true or false",
          "list": "a list", "map": "a map of `key: value`", "any": "any value"}


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "map"
    return type(value).__name__


def fits(kind: str, value: Any) -> bool:
    """Whether ``value`` (as yaml.v3 decoded it) is of schema type ``kind``."""
    if kind == "any":
        return True
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "list":
        return isinstance(value, list)
    if kind == "map":
        return isinstance(value, dict)
    raise ValueError(f"unknown option type {kind!r}; use one of {', '.join(TYPES)}")


def did_you_mean(word: str, known: Iterable[Any], quote: str = "`") -> str:
    """`` (did you mean `x`?)`` for the closest of ``known``, or ``""``."""
    word, known = str(word), [str(k) for k in known]
    match = [k for k in known if k.lower() == word.lower()] or difflib.get_close_matches(word, known, 1, 0.7)
    return f" (did you mean {quote}{match[0]}{quote}?)" if match else ""


@dataclass(frozen=True)
class Option:
    """One option. ``identity`` options name the resource itself (changing one plans a Replace);
    ``secret`` options are never shown in frames or logs (prefer reading secrets from the environment)."""

    name: str
    type: str = "string"
    required: bool = False
    default: Any = None
    description: str = ""
    identity: bool = False
    secret: bool = False
    schema: Schema | None = None     # for type "map": the options inside it
    example: Any = None              # shown by the template when there is no default

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"option {self.name!r}: unknown type {self.type!r}; use one of {', '.join(TYPES)}")


@dataclass(frozen=True)
class OptionProblem:
    """A problem with one option: ``path`` is the dotted option path (``language.version``)."""

    path: str
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Schema:
    """The options of a plugin or backend, in the order the template shows them."""

    options: tuple[Option, ...] = ()
    #: extra keys are refused (with did-you-mean); False lets unknown keys through unchecked
    closed: bool = True
    _by_name: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_name.update({o.name: o for o in self.options})

    def __iter__(self):
        return iter(self.options)

    def get(self, name: str) -> Option | None:
        return self._by_name.get(name)

    @property
    def identity(self) -> tuple[str, ...]:
        """Names of the options that identify the resource."""
        return tuple(o.name for o in self.options if o.identity)

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.options if o.secret)

    def with_defaults(self, values: dict | None) -> dict:
        """``values`` with defaults filled in for options that are missing or null (nested maps too)."""
        out = dict(values or {})
        for o in self.options:
            if out.get(o.name) is None and o.default is not None:
                out[o.name] = o.default
            if o.schema is not None and isinstance(out.get(o.name), dict):
                out[o.name] = o.schema.with_defaults(out[o.name])
        return out

    def check(self, values: dict | None, prefix: str = "") -> list[OptionProblem]:
        """Every problem with ``values``: unknown option (did-you-mean), missing required option, wrong type."""
        values = values or {}
        problems = self._unknown(values, prefix) if self.closed else []
        for o in self.options:
            value = values.get(o.name)
            if value is None or (value == "" and o.type == "string" and o.required):
                if o.required and o.default is None:
                    what = f" ({o.description})" if o.description else ""
                    problems.append(OptionProblem(prefix + o.name, f"missing required option '{prefix}{o.name}'{what}"))
            elif not fits(o.type, value):
                problems.append(_wrong_type(o, prefix + o.name, value))
            elif o.schema is not None and isinstance(value, dict):
                problems.extend(o.schema.check(value, prefix + o.name + "."))
        return problems

    def _unknown(self, values: dict, prefix: str) -> list[OptionProblem]:
        names = [o.name for o in self.options]
        known = ", ".join(names) or "none"
        return [OptionProblem(prefix + str(key), f"unknown option '{prefix}{key}'{did_you_mean(key, names, QUOTE)}; "
                                                 f"the options here are: {known}")
                for key in values if key not in self._by_name]

    def describe(self, prefix: str = "") -> list[str]:
        """One line per option (nested ones dotted): name, type, what it is, required/default/identity."""
        lines = []
        for o in self.options:
            notes = [o.type]
            if o.required:
                notes.append("required")
            if o.default not in (None, ""):
                notes.append(f"default {_yaml_scalar(o.default)}")
            if o.identity:
                notes.append("identity")
            if o.secret:
                notes.append("secret")
            text = f" — {o.description}" if o.description else ""
            lines.append(f"{prefix}{o.name} ({', '.join(notes)}){text}")
            if o.schema is not None:
                lines += o.schema.describe(f"{prefix}{o.name}.")
        return lines

    def template(self, indent: int = 0) -> str:
        """A YAML option template: each option with its default (or example) and its description."""
        lines = []
        pad = " " * indent
        for o in self.options:
            notes = [o.type]
            if o.required:
                notes.append("required")
            if o.identity:
                notes.append("identity: changing it replaces the resource")
            comment = f"  # {o.description} ({', '.join(notes)})" if o.description else f"  # ({', '.join(notes)})"
            if o.schema is not None:
                lines.append(f"{pad}{o.name}:{comment}")
                lines.append(o.schema.template(indent + 2))
                continue
            value = o.default if o.default is not None else o.example
            lines.append(f"{pad}{o.name}: {_yaml_scalar(value)}{comment}")
        return "\n".join(lines)


def _wrong_type(o: Option, path: str, value: Any) -> OptionProblem:
    hint = ""
    if o.type == "string" and isinstance(value, (int, float, bool)):
        hint = f"; quote it: {o.name}: \"{value}\""
    elif o.type == "boolean" and isinstance(value, str):
        hint = "; write true or false"
    return OptionProblem(path, f"option '{path}' must be {_NAMES[o.type]}, not {_type_name(value)} {value!r}{hint}")


def _yaml_scalar(value: Any) -> str:
    if value is None:
        return '""'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, dict)):
        import json

        return json.dumps(value)
    from .yamlv3 import dump

    return dump({"v": value})[3:].rstrip("\n")


__all__ = ["Option", "OptionProblem", "Schema", "TYPES", "did_you_mean", "fits"]
