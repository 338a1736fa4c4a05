"""The ``dtmnb`` command, mirroring dtm: apply, plan, delete, destroy, show status, state, sandbox.

Each verb is a function taking the parsed arguments and the console and returning an exit code; ``main``
only parses, dispatches and maps errors to exit codes (0 ok, 1 a change failed, 2 bad config or usage,
3 a bug, 130 interrupted).
"""
from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

from . import __version__
from .console import TerminalConsole, attach
from .errors import DtmnbError, UsageError
from .report import SUCCESS, get_logger

if TYPE_CHECKING:
    import pandas as pd

    from .config import Config

OK, FAILED, USAGE, INTERNAL, INTERRUPTED = 0, 1, 2, 3, 130
log = get_logger("cli")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse exits 2 on usage errors, as we want, with one clear line
        self.print_usage(sys.stderr)
        print(f"dtmnb: error: {message}", file=sys.stderr)
        raise SystemExit(USAGE)


def _config(args: argparse.Namespace) -> Config:
    from .api import load_config

    return load_config(args.config_file)


def _print_frame(df: pd.DataFrame, columns: list[str] | None = None) -> None:
    import pandas as pd

    if df.empty:
        return
    view = df[columns] if columns else df
    with pd.option_context("display.max_colwidth", 80, "display.width", 200):
        print(view.to_string(index=False))


def _finish(result: pd.DataFrame) -> int:
    """0 when every change succeeded (or nothing was to do, or the user said no), else 1."""
    if result.attrs.get("cancelled") or result.empty and not result.attrs.get("problem"):
        return OK
    bad = ~result["status"].isin(["succeeded", "unchanged"])
    return FAILED if bad.any() or result.attrs.get("problem") else OK


def _run(operation: str) -> Callable[[argparse.Namespace, TerminalConsole], int]:
    def command(args: argparse.Namespace, console: TerminalConsole) -> int:
        from . import api

        kwargs: dict[str, Any] = {"auto_approve": args.yes or None, "console": console,
                                  "parallelism": args.parallelism}
        if operation == "delete":
            kwargs["force"] = args.force
        return _finish(getattr(api, operation)(_config(args), **kwargs))

    command.__name__ = f"cmd_{operation}"
    return command


cmd_apply, cmd_delete, cmd_destroy = _run("apply"), _run("delete"), _run("destroy")


def cmd_plan(args: argparse.Namespace, console: TerminalConsole) -> int:
    from . import api

    changes = api.plan(_config(args), console=console)
    if changes.empty:
        log.info("No changes done since last apply. There is nothing to do.")
        return OK
    _print_frame(changes, ["step", "action", "key", "reason"])
    print(changes.attrs["summary"])
    return OK


def cmd_import(args: argparse.Namespace, console: TerminalConsole) -> int:
    from . import api

    return _finish(api.import_tool(_config(args), *args.tools, console=console, check=False))


def cmd_show_config(args: argparse.Namespace, console: TerminalConsole) -> int:
    from . import showconfig

    if args.plugin and args.template:
        raise UsageError("show config: give -p/--plugin or -t/--template, not both")
    if args.plugin:
        text = showconfig.plugin_template(args.plugin)
    elif args.template:
        text = showconfig.template(args.template)
    else:
        text = showconfig.sample_config()
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return OK


def cmd_show_status(args: argparse.Namespace, console: TerminalConsole) -> int:
    from . import api

    plugin, instance = args.plugin, args.id
    if args.all:
        plugin = instance = None
    elif plugin and not instance:
        log.warning('Empty instance name. Maybe you forgot to add --id=INSTANCE_ID. The default value "default" '
                    "will be used.")
        instance = "default"
    elif instance and not plugin:
        raise UsageError("show status: -i/--id needs -p/--plugin too (or use -a for all tools)")
    status = api.show_status(_config(args), plugin=plugin, instance_id=instance)
    if status.empty:
        log.info("No resources found.")
        return OK
    _print_frame(status, ["key", "status", "differences", "error"])
    return OK


def cmd_state(args: argparse.Namespace, console: TerminalConsole) -> int:
    from . import api

    cfg = _config(args)
    {"list": _state_list, "show": _state_show, "history": _state_history, "diff": _state_diff,
     "lock": _state_lock, "unlock": _state_unlock, "rm": _state_rm}[args.state_command](api, cfg, args, console)
    return OK


def _state_list(api: Any, cfg: Config, args: argparse.Namespace, console: TerminalConsole) -> None:
    state = api.read_state(cfg)
    if state.empty:
        log.info("No resources found: the state is empty.")
    _print_frame(state, ["key", "name", "instance_id", "depends_on"])


def _state_show(api: Any, cfg: Config, args: argparse.Namespace, console: TerminalConsole) -> None:
    text = api.state_text(cfg, args.version)
    if not text:
        log.info("The state is empty (no tools recorded).")
    sys.stdout.write(text)


def _state_history(api: Any, cfg: Config, args: argparse.Namespace, console: TerminalConsole) -> None:
    history = api.state_history(cfg)
    if history.empty:
        log.info("The state has no versions yet (nothing was ever written).")
    _print_frame(history)


def _state_diff(api: Any, cfg: Config, args: argparse.Namespace, console: TerminalConsole) -> None:
    diff = api.state_diff(cfg, args.a, args.b)
    if diff.empty:
        log.info(f"No differences between {diff.attrs['version_a']} and {diff.attrs['version_b']}.")
    _print_frame(diff, ["key", "change", "fields"])


def _state_lock(api: Any, cfg: Config, args: argparse.Namespace, console: TerminalConsole) -> None:
    lock = api.lock_status(cfg)
    if lock.empty:
        log.info("The state is not locked.")
    _print_frame(lock)


def _state_unlock(api: Any, cfg: Config, args: argparse.Namespace, console: TerminalConsole) -> None:
    api.force_unlock(cfg, args.lock_id, console=console)
    log.log(SUCCESS, f"Lock {args.lock_id} removed.")


def _state_rm(api: Any, cfg: Config, args: argparse.Namespace, console: TerminalConsole) -> None:
    api.forget(cfg, *args.tools, console=console)


def cmd_sandbox(args: argparse.Namespace, console: TerminalConsole) -> int:
    from .sandbox import cli as sandbox_cli

    command: Callable[[argparse.Namespace], int] = getattr(sandbox_cli, args.sandbox_command)
    return int(command(args))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="dtmnb", description="DevStream's engine for notebooks and terminals.")
    parser.add_argument("--version", action="version", version=f"dtmnb {__version__}")
    parser.add_argument("--debug", action="store_true", help="debug log lines and tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def with_config(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("-f", "--config-file", default="config.yaml", help="main config file (default config.yaml)")
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        return p

    def running(name: str, text: str, verb: str) -> argparse.ArgumentParser:
        p = with_config(sub.add_parser(name, help=text))
        p.add_argument("-y", "--yes", action="store_true", help=f"{verb} without asking")
        p.add_argument("--parallelism", type=_positive, default=1, metavar="N",
                       help="run up to N independent changes at once (default 1, as dtm)")
        return p

    running("apply", "create or update tools as the config says", "apply").set_defaults(func=cmd_apply)
    with_config(sub.add_parser("plan", help="show what apply would do")).set_defaults(func=cmd_plan)
    p = running("delete", "delete the config's tools", "delete")
    p.add_argument("--force", action="store_true", help="try to delete every config tool, even without state")
    p.set_defaults(func=cmd_delete)
    running("destroy", "delete every tool recorded in the state", "destroy").set_defaults(func=cmd_destroy)
    p = with_config(sub.add_parser("import", help="record existing things in the state (read, not changed)"))
    p.add_argument("tools", nargs="+", metavar="NAME.INSTANCE", help="config tools to import")
    p.set_defaults(func=cmd_import)

    show = sub.add_parser("show", help="show config templates or the status of tools").add_subparsers(
        dest="show_command", required=True, parser_class=_Parser)
    p = show.add_parser("config", help="print a sample config, a whole template (-t) or a plugin's options (-p)")
    p.add_argument("-p", "--plugin", help="print this plugin's option template (from its schema)")
    p.add_argument("-t", "--template", help="print a whole config: quickstart or gitops")
    p.set_defaults(func=cmd_show_config)
    p = with_config(show.add_parser("status", help="stored resource vs what the plugin reads now"))
    p.add_argument("-p", "--plugin", help="plugin (tool) name")
    p.add_argument("-i", "--id", help="instance id")
    p.add_argument("-a", "--all", action="store_true", help="every tool in the state")
    p.set_defaults(func=cmd_show_status)

    state = sub.add_parser("state", help="inspect the state").add_subparsers(dest="state_command", required=True,
                                                                           parser_class=_Parser)
    with_config(state.add_parser("list", help="tools in the state"))
    p = with_config(state.add_parser("show", help="the raw state YAML"))
    p.add_argument("--version", help="an older version id (see state history)")
    with_config(state.add_parser("history", help="versions of the state"))
    p = with_config(state.add_parser("diff", help="per-tool differences between two versions"))
    p.add_argument("a", nargs="?", help="older version id (default: the previous one)")
    p.add_argument("b", nargs="?", help="newer version id (default: the latest)")
    with_config(state.add_parser("lock", help="who holds the state lock"))
    p = with_config(state.add_parser("unlock", help="remove a stale lock by its id"))
    p.add_argument("lock_id")
    p = with_config(state.add_parser("rm", help="drop tools from the state, leaving what they made as it is"))
    p.add_argument("tools", nargs="+", metavar="NAME.INSTANCE")
    for name in ("list", "show", "history", "diff", "lock", "unlock", "rm"):
        state.choices[name].set_defaults(func=cmd_state)

    from .sandbox import cli as sandbox_cli  # light: argparse and os only

    sandbox = sub.add_parser("sandbox", help="local S3 + GitHub-compatible servers for a shell: "
                             'eval "$(dtmnb sandbox up)"').add_subparsers(dest="sandbox_command", required=True,
                                                                         parser_class=_Parser)
    for name, text in sandbox_cli.COMMANDS:
        p = sandbox.add_parser(name, help=text, description=text)
        sandbox_cli.configure_parser(name, p)
        p.set_defaults(func=cmd_sandbox)
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    console = TerminalConsole(debug=args.debug, require_tty=True)
    with attach(console):
        if args.debug:
            log.debug("Log level is: debug.")
        try:
            return int(args.func(args, console))
        except KeyboardInterrupt:
            log.error("Interrupted.")
            return INTERRUPTED
        except DtmnbError as exc:
            _report(args, exc)
            return exc.exit_code
        except Exception as exc:
            _report(args, exc, internal=True)
            return INTERNAL


def _report(args: argparse.Namespace, exc: BaseException, internal: bool = False) -> None:
    command = {"state": f"state {getattr(args, 'state_command', '')}",
               "show": f"show {getattr(args, 'show_command', '')}"}.get(args.command, args.command)
    verb = {"apply": "Apply", "delete": "Delete", "destroy": "Destroy", "plan": "Plan", "import": "Import"}.get(
        command, f"dtmnb {command}")
    problems = getattr(exc, "problems", None) or [str(exc)]
    head = f"{verb} failed =>"
    if internal:
        head += f" internal error ({type(exc).__name__}):"
    if len(problems) == 1:
        log.error(f"{head} {problems[0]}")
    else:
        log.error(f"{head} {len(problems)} problems:")
        for p in problems:
            log.error(f"  - {p}")
    if args.debug:
        traceback.print_exc()
    elif internal:
        log.info("Run again with --debug to see the traceback.")


if __name__ == "__main__":
    sys.exit(main())
