"""The ``dtmnb`` command, mirroring dtm: apply, plan, delete, destroy, show status, state, sandbox.

Each verb is a function taking the parsed arguments and returning an exit code; ``main`` only
parses, dispatches and maps errors to exit codes (0 ok, 1 a change failed, 2 bad config or usage).
"""
from __future__ import annotations

import argparse
import sys
import traceback

from . import log
from .errors import DtmnbError, UsageError

OK, FAILED, USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse exits 2 on usage errors, as we want, with one clear line
        self.print_usage(sys.stderr)
        print(f"dtmnb: error: {message}", file=sys.stderr)
        raise SystemExit(USAGE)


def _config(args):
    from .config import load_config

    return load_config(args.config_file)


def _console(args):
    from .console import TerminalConsole

    return TerminalConsole(debug=args.debug, require_tty=True)


def _print_frame(df, columns=None) -> None:
    import pandas as pd

    if df.empty:
        return
    view = df[columns] if columns else df
    with pd.option_context("display.max_colwidth", 80, "display.width", 200):
        print(view.to_string(index=False))


def _finish(result) -> int:
    if result.empty:
        return OK
    return FAILED if (result["status"] != "succeeded").any() and not _only_cancelled(result) else OK


def _only_cancelled(result) -> bool:
    return bool((result["error"] == "cancelled: not confirmed").all())


def cmd_apply(args) -> int:
    from . import engine

    return _finish(engine.apply(_config(args), auto_approve=args.yes or None, console=_console(args)))


def cmd_delete(args) -> int:
    from . import engine

    return _finish(engine.delete(_config(args), force=args.force, auto_approve=args.yes or None,
                                 console=_console(args)))


def cmd_destroy(args) -> int:
    from . import engine

    return _finish(engine.destroy(_config(args), auto_approve=args.yes or None, console=_console(args)))


def cmd_plan(args) -> int:
    from . import engine

    cfg = _config(args)
    changes = engine.plan(cfg)
    if changes.empty:
        log.info("No changes done since last apply. There is nothing to do.")
        return OK
    _print_frame(changes, ["step", "action", "key", "reason"])
    return OK


def cmd_show_status(args) -> int:
    from . import engine

    plugin, instance = args.plugin, args.id
    if args.all:
        plugin = instance = None
    elif plugin and not instance:
        log.warn('Empty instance name. Maybe you forgot to add --id=INSTANCE_ID. The default value "default" '
                 "will be used.")
        instance = "default"
    elif instance and not plugin:
        raise UsageError("show status: -i/--id needs -p/--plugin too (or use -a for all tools)")
    status = engine.show_status(_config(args), plugin=plugin, instance_id=instance)
    if status.empty:
        log.info("No resources found.")
        return OK
    _print_frame(status, ["key", "status", "differences", "error"])
    return OK


def cmd_state(args) -> int:
    from . import engine

    cfg = _config(args)
    if args.state_command == "list":
        state = engine.read_state(cfg)
        if state.empty:
            log.info("No resources found.")
        _print_frame(state, ["key", "name", "instance_id", "depends_on"])
    elif args.state_command == "show":
        sys.stdout.write(engine.state_text(cfg, args.version))
    elif args.state_command == "history":
        _print_frame(engine.state_history(cfg))
    elif args.state_command == "diff":
        _print_frame(engine.state_diff(cfg, args.a, args.b), ["key", "change", "fields"])
    elif args.state_command == "lock":
        lock = engine.lock_status(cfg)
        if lock.empty:
            log.info("The state is not locked.")
        _print_frame(lock)
    elif args.state_command == "unlock":
        engine.force_unlock(cfg, args.lock_id)
        log.success(f"Lock {args.lock_id} removed.")
    return OK


def cmd_sandbox(args) -> int:
    from .sandbox import cli as sandbox_cli

    return sandbox_cli.up(args) if args.sandbox_command == "up" else sandbox_cli.down(args)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="dtmnb", description="DevStream's engine for notebooks and terminals.")
    parser.add_argument("--debug", action="store_true", help="debug log lines and tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def with_config(p):
        p.add_argument("-f", "--config-file", default="config.yaml", help="main config file (default config.yaml)")
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        return p

    p = with_config(sub.add_parser("apply", help="create or update tools as the config says"))
    p.add_argument("-y", "--yes", action="store_true", help="apply without asking")
    p.set_defaults(func=cmd_apply)
    with_config(sub.add_parser("plan", help="show what apply would do")).set_defaults(func=cmd_plan)
    p = with_config(sub.add_parser("delete", help="delete the config's tools"))
    p.add_argument("-y", "--yes", action="store_true", help="delete without asking")
    p.add_argument("--force", action="store_true", help="try to delete every config tool, even without state")
    p.set_defaults(func=cmd_delete)
    p = with_config(sub.add_parser("destroy", help="delete every tool recorded in the state"))
    p.add_argument("-y", "--yes", action="store_true", help="destroy without asking")
    p.set_defaults(func=cmd_destroy)

    show = sub.add_parser("show", help="show status").add_subparsers(dest="show_command", required=True,
                                                                    parser_class=_Parser)
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
    for name in ("list", "show", "history", "diff", "lock", "unlock"):
        state.choices[name].set_defaults(func=cmd_state)

    sandbox = sub.add_parser("sandbox", help="local S3 + GitHub-compatible servers").add_subparsers(
        dest="sandbox_command", required=True, parser_class=_Parser)
    for name, text in (("up", "start in the background and print export lines"), ("down", "stop it")):
        p = sandbox.add_parser(name, help=text)
        p.add_argument("--data-dir", default=".dtmnb-sandbox", help="where the sandbox keeps its data")
        p.add_argument("--s3", choices=("auto", "weed", "moto"), default="auto", help="S3 server to run")
        p.set_defaults(func=cmd_sandbox)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.debug:
        log.set_default_sink(log.StreamSink(debug=True))
        log.debug("Log level is: debug.")
    try:
        return args.func(args)
    except KeyboardInterrupt:
        log.error("Interrupted.")
        return 130
    except DtmnbError as exc:
        _report(args, exc)
        return exc.exit_code
    except Exception as exc:  # noqa: BLE001 - a bug: one line, and the traceback with --debug
        _report(args, exc, internal=True)
        return 3


def _report(args, exc: BaseException, internal: bool = False) -> None:
    verb = {"apply": "Apply", "delete": "Delete", "destroy": "Destroy"}.get(args.command, args.command.capitalize())
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
