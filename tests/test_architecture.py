"""The house as its imports draw it (module level and inside functions; TYPE_CHECKING imports excluded): no
import cycles; the engine and the layers below it import nothing that presents; views never compute; and
every module stays small."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "dtmnb"
PRESENT = {"dtmnb.api", "dtmnb.cli", "dtmnb.console", "dtmnb.log", "dtmnb.frames", "dtmnb.views", "dtmnb.graphview",
           "dtmnb.ui", "dtmnb.palette", "dtmnb.showconfig"}
CORE = ("dtmnb.engine", "dtmnb.config", "dtmnb.backends", "dtmnb.plugins", "dtmnb.state", "dtmnb.yamlv3",
        "dtmnb.graph", "dtmnb.references", "dtmnb.schema", "dtmnb.limits", "dtmnb.errors", "dtmnb.redact",
        "dtmnb.report")


def modules() -> dict[str, Path]:
    found = {}
    for p in PACKAGE.rglob("*.py"):
        name = ".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = p
    return found


def imports() -> dict[str, set[str]]:
    """module -> the dtmnb modules it imports (``from . import x`` counts as importing the submodule x)."""
    mods = modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        tree = ast.parse(path.read_text())
        hidden = {id(n) for node in ast.walk(tree)
                  if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test) for n in ast.walk(node)}
        package = mod.split(".") if path.name == "__init__.py" else mod.split(".")[:-1]
        for node in ast.walk(tree):
            if id(node) in hidden:
                continue
            if isinstance(node, ast.Import):
                graph[mod] |= {a.name for a in node.names if a.name in mods}
            elif isinstance(node, ast.ImportFrom):
                base = package[:len(package) - node.level + 1] if node.level else []
                target = ".".join(base + ([node.module] if node.module else []))
                subs = {f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in mods}
                graph[mod] |= subs | ({target} if len(subs) < len(node.names) and target in mods else set())
        graph[mod].discard(mod)
    return graph


def in_part(module: str, parts: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in parts)


def test_no_import_cycles():
    graph, state, cycles = imports(), {}, []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, cycles


def test_engine_and_below_import_nothing_that_presents():
    crossings = [(m, t) for m, ts in imports().items() if in_part(m, CORE) for t in ts if t in PRESENT]
    assert not crossings, crossings


def test_views_present_and_never_compute():
    allowed = {"dtmnb.engine.model"}   # the typed results they are given
    crossings = [(m, t) for m, ts in imports().items() if m in PRESENT - {"dtmnb.api", "dtmnb.cli"}
                 for t in ts if in_part(t, ("dtmnb.engine", "dtmnb.api", "dtmnb.cli")) and t not in allowed]
    assert not crossings, crossings


def test_modules_stay_small():
    big = {str(p.relative_to(PACKAGE.parent)): n for p in PACKAGE.rglob("*.py")
           if (n := len(p.read_text().splitlines())) > 500}
    assert not big, big
