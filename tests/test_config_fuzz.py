"""Fuzzing load_config: whatever the main file, variables file or tools file holds, the result is a Config or
a ConfigError whose every problem names its file; never another exception, never a hang, and the same
result on libyaml's C parser and on the pure-Python one (whenever both read the text as YAML, or both refuse it).

DTMNB_FUZZ_EXAMPLES sets the examples per test (default 150); DTMNB_FUZZ_RANDOM=1 draws new ones each run.
"""
from __future__ import annotations

import contextlib
import os
import signal
import sys
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dtmnb.config import load_config
from dtmnb.errors import ConfigError

EXAMPLES = int(os.environ.get("DTMNB_FUZZ_EXAMPLES", "150"))
LIMIT_S = 5
# the same examples on every run (a CI run must not fail by chance); DTMNB_FUZZ_RANDOM=1 explores new ones
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                derandomize=not os.environ.get("DTMNB_FUZZ_RANDOM"))
FILES = ("config.yaml", "vars.yaml", "tools.yaml")
CONFIG = "varFile: vars.yaml\ntoolFile: tools.yaml\nstate:\n  backend: local\n  options:\n    stateFile: s.state\n"
VARS = "repoName: demo\nowner: me\nn: 10\nnested:\n  a: b\n"
TOOLS = ("tools:\n- name: local-file\n  instanceID: a\n  options:\n    path: \"[[ repoName ]].txt\"\n"
         "    content: hello\n- name: local-file\n  instanceID: b\n  dependsOn: [local-file.a]\n  options:\n"
         "    path: ${{ local-file.a.outputs.path }}\n")
SECTIONS = "---\n" + CONFIG.split("state:")[1].join(["state:", ""]) + "---\n" + VARS + "---\n" + TOOLS

# YAML syntax, the characters the issue found, control characters, YAML's and Python's line breaks
SPICE = list("-:{}[],&*!|>'\"%@`#?\n\t ") + ["---", "[[", "]]", "${{", "<<: ", "&a ", "*a", "!!int ", "!!binary ",
                                               "\x01", "\x1c", "\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\r",
                                               "\ufeff", "9" * 4400, "{a: " * 70, "0x", "~", "yes", "1e400"]
texts = st.lists(st.one_of(st.sampled_from(SPICE), st.text(max_size=8)), max_size=40).map("".join)


class Hang(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds: int):
    """Fail (not hang) when the body runs longer than ``seconds``."""
    def alarm(signum, frame):
        raise Hang(f"load_config took over {seconds} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@contextlib.contextmanager
def parser(name: str):
    if name == "libyaml":
        yield
        return
    saved = sys.modules.get("yaml._yaml")
    sys.modules["yaml._yaml"] = None  # type: ignore[assignment] - importing it now fails, as without libyaml
    try:
        yield
    finally:
        if saved is None:
            del sys.modules["yaml._yaml"]
        else:
            sys.modules["yaml._yaml"] = saved


def outcome(folder: Path) -> str:
    """What load_config made of the files in ``folder``: the config's content or the problems."""
    old = os.getcwd()
    os.chdir(folder)
    try:
        with time_limit(LIMIT_S):
            cfg = load_config("config.yaml")
    except ConfigError as exc:
        assert exc.problems, "a ConfigError without problems"
        for problem in exc.problems:
            assert problem.split(":")[0] in FILES, f"problem without its file: {problem!r}"
            assert len(problem) > len("config.yaml: ") + 5
        return "error: " + "\n".join(exc.problems)
    finally:
        os.chdir(old)
    tools = [(t.name, t.instance_id, t.depends_on, t.options, t.file, t.line) for t in cfg.tools]
    return repr((tools, cfg.state.backend, cfg.state.options, cfg.vars, cfg.form, cfg.warnings))


def check(files: dict[str, str | bytes]) -> None:
    """Both parsers give the same outcome, and it is a Config or a ConfigError naming files."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, text in files.items():
            (folder / name).write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
        results = []
        for name in ("libyaml", "pure-python") if yaml.__with_libyaml__ else ("pure-python",):
            with parser(name):
                results.append(outcome(folder))
        refused = {": not valid YAML: " in r for r in results}
        if len(refused) > 1:
            # PyYAML's pure-Python scanner refuses a few things libyaml (and Go's yaml.v3, a port of it) reads,
            # e.g. a tab right after `----` or inside a plain key; each is still a clean ConfigError.
            event("the parsers disagree on whether this is YAML")
        elif all(r.startswith("error: ") for r in results):
            # both refused the files: the first problem is the same; later ones may differ where the two
            # scanners read a broken line differently (its YAML error is then hidden behind the first problem)
            firsts = {r.split("\n")[0] for r in results}
            assert len(firsts) == 1, "libyaml and the pure-Python parser disagree on the first problem"
        else:   # both read the YAML: then the outcome is the same
            assert results[0] == results[-1], "libyaml and the pure-Python parser disagree"


def spliced(base: str, data: st.DataObject) -> str:
    """``base`` with a fuzzed text inserted at a random place (and maybe a slice removed)."""
    at = data.draw(st.integers(0, len(base)))
    cut = data.draw(st.integers(0, 12))
    return base[:at] + data.draw(texts) + base[at + cut:]


@FUZZ
@given(st.data())
def test_fuzzed_main_file(data):
    check({"config.yaml": spliced(CONFIG, data), "vars.yaml": VARS, "tools.yaml": TOOLS})


@FUZZ
@given(st.data())
def test_fuzzed_variables_file(data):
    check({"config.yaml": CONFIG, "vars.yaml": spliced(VARS, data), "tools.yaml": TOOLS})


@FUZZ
@given(st.data())
def test_fuzzed_tools_file(data):
    check({"config.yaml": CONFIG, "vars.yaml": VARS, "tools.yaml": spliced(TOOLS, data)})


@FUZZ
@given(st.data())
def test_fuzzed_sections_file(data):
    check({"config.yaml": spliced(SECTIONS, data)})


@FUZZ
@given(st.binary(max_size=200))
def test_arbitrary_bytes_as_tools_file(raw):
    check({"config.yaml": CONFIG, "vars.yaml": VARS, "tools.yaml": raw})


@pytest.mark.parametrize("text", [
    "config: x\n", "config:\n", "config: [a]\n", "tools: x\nconfig: {state: {backend: local}}\n",
    "state: {backend: local}\ntools: [x]\n", "state: {backend: local}\ntools:\n- {name: {a: b}}\n",
    "state: {backend: local}\n" + "tools: []\nz: " + "[" * 5000, "\x00", "---\n---\n---\n---\n", "<<: *a\n",
    "state: &s {backend: local, options: *s}\ntools: []\n", "? [a]\n: b\nstate: {backend: local}\n",
])
def test_odd_main_files(text):
    check({"config.yaml": text})


def test_the_base_files_load():
    """The fuzzed files start from a valid config (so splices explore near-valid input)."""
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in {"config.yaml": CONFIG, "vars.yaml": VARS, "tools.yaml": TOOLS}.items():
            (Path(tmp) / name).write_text(text)
        assert outcome(Path(tmp)).startswith("([('local-file', 'a', [], {'path': 'demo.txt'")
        (Path(tmp) / "config.yaml").write_text(SECTIONS)
        assert outcome(Path(tmp)).startswith("([('local-file', 'a', [], {'path': 'demo.txt'")
