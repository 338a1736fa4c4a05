"""The notebook confirmation: the plan with Apply / Cancel buttons that never blocks the cell.

``dtmnb.apply(cfg)`` in a notebook, without ``auto_approve``, returns a :class:`PendingApply`.
The cell ends at once and shows the plan; clicking **Apply** (or calling ``.approve()``) runs the changes
through ``runner(WidgetConsole(...))`` with a progress bar and a log panel in dtm's wording, then shows
the result table. Nothing here waits for a click: a kernel cannot see a click while a cell runs
(docs/notebooks.md#the-confirmation-never-blocks), so the work happens in the click handler.

Log lines are written with ``Output.append_stdout`` and never through ``with out:`` capture, which nbval
and nbclient record differently and which can stall nbclient on ipykernel 7 (docs/notebooks.md#log-lines).
ipywidgets is imported only in this module, and only when a widget is built.
"""
from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from .console import Console, in_notebook
from .errors import NotAppliedError, missing_dependency
from .log import format_line
from .palette import BOX_COLORS
from .palette import style as pair_style
from .redact import redact

PENDING, RUNNING, APPLIED, CANCELLED, FAILED = "pending", "running", "applied", "cancelled", "failed"

PAST = {"apply": "applied", "delete": "deleted", "destroy": "destroyed", "import": "imported"}
CONTINUE = "Continue with the next cell (in JupyterLab: Run > Run Selected Cell and All Below)."


def _widgets():
    """The ipywidgets module, or a MissingDependencyError saying how to get it (or avoid it)."""
    try:
        import ipywidgets
    except ImportError:
        err = missing_dependency("ipywidgets", "notebook", "The Apply/Cancel confirmation in a notebook")
        err.args = (f"{err.args[0]}; or pass auto_approve=True (or set DTMNB_AUTO_APPROVE=1) to apply "
                    f"without asking.",)
        raise err from None
    return ipywidgets


def _plural_changes(n: int) -> str:
    return f"{n} change(s)"


class WidgetConsole(Console):
    """A Console that writes dtm's log lines into an ``Output`` widget and moves a progress bar.

    It exists only after the user clicked Apply, so ``confirm`` answers True.
    """

    def __init__(self, output: Any, progress: Any = None, label: Any = None, debug: bool = False):
        self.output = output
        self.progress_bar = progress
        self.label = label
        self.debug = debug
        self.lines: list[str] = []

    def log(self, level: str, message: str) -> None:
        if level == "debug" and not self.debug:
            return
        line = format_line(level, message)  # format_line redacts secrets
        self.lines.append(line)
        self.output.append_stdout(line + "\n")

    def progress(self, done: int, total: int, label: str) -> None:
        if self.progress_bar is not None:
            self.progress_bar.max = max(int(total), 1)
            self.progress_bar.value = min(int(done), self.progress_bar.max)
        if self.label is not None:
            self.label.value = label or f"{done}/{total}"

    def confirm(self, changes: Any) -> bool:
        return True


class PendingApply:
    """A plan waiting for the user's decision: shows the plan with **Apply** and **Cancel** buttons.

    Parameters
    ----------
    plan_frame : DataFrame
        The plan (columns step, key, name, instance_id, action, reason, depends_on).
    runner : callable
        ``runner(console) -> DataFrame`` runs the changes, sending its log lines and progress to
        ``console`` (a :class:`WidgetConsole`), and returns the result frame.
    operation : str
        ``"apply"``, ``"delete"`` or ``"destroy"``: the words used in titles and messages.

    Attributes: ``status`` (pending, running, applied, cancelled, failed), ``result`` (the result
    DataFrame once run), ``error`` (the exception if the run raised), and the widgets ``widget``,
    ``apply_button``, ``cancel_button``, ``progress``, ``log``.
    """

    def __init__(self, plan_frame: Any, runner: Callable, operation: str = "apply", destructive: bool = True):
        self.plan = plan_frame
        self.runner = runner
        self.operation = operation
        self.destructive = destructive
        self.status = PENDING
        self.result = None
        self.error: BaseException | None = None
        self.log_lines: list[str] = []
        self._build()

    # -- widget ---------------------------------------------------------------------------------------
    def _build(self) -> None:
        w = _widgets()
        from . import views

        plan_view = views.PlanView(self.plan, title=f"{self.operation.capitalize()} plan")
        self.summary = plan_view.summary()
        self.title = w.HTML(self._title_html())
        self.plan_table = w.HTML(plan_view.to_html())
        self.apply_button = w.Button(description="Apply", button_style="danger" if self.destructive else "primary",
                                     icon="check",
                                     tooltip=f"Run the {self.operation} now")
        self.cancel_button = w.Button(description="Cancel", icon="times", tooltip="Change nothing")
        self.progress = w.IntProgress(value=0, min=0, max=max(len(self.plan), 1),
                                      layout=w.Layout(width="300px"))
        self.progress_label = w.Label("")
        self.progress_box = w.HBox([self.progress, self.progress_label],
                                   layout=w.Layout(display="none"))
        self.status_line = w.HTML(self._status_html())
        self.log = w.Output()   # no height limit: the last line (e.g. "Destroy finished.") is always in view
        self.result_table = w.HTML("")
        self.apply_button.on_click(lambda _b: self._run())
        self.cancel_button.on_click(lambda _b: self._cancel())
        self.widget = w.VBox([self.title, self.plan_table, w.HBox([self.apply_button, self.cancel_button]),
                              self.progress_box, self.status_line, self.log, self.result_table])
        self.widget.add_class("dtmnb-confirm")

    def _title_html(self) -> str:
        changes = html.escape(_plural_changes(len(self.plan)))
        head = f"<b>dtmnb {html.escape(self.operation)}</b>: {changes} ({html.escape(self.summary)})."
        ending = {PENDING: " Apply them?", RUNNING: " Running ...", APPLIED: f" Done: {PAST[self.operation]}.",
                  CANCELLED: " Cancelled: nothing was changed.", FAILED: " Finished with errors."}
        return head + ending[self.status]

    def _status_html(self, text: str | None = None) -> str:
        text = text or {PENDING: "waiting: click Apply to run the changes, or Cancel.",
                        RUNNING: f"running the {self.operation} ..."}.get(self.status, self.status)
        weight = "" if self.status in (PENDING, RUNNING) else " font-weight: bold;"
        return (f'<span class="dtmnb-status dtmnb-status-{self.status}" style="{pair_style(BOX_COLORS[self.status])}'
                f' padding: 2px 6px; border-radius: 3px;{weight}">{html.escape(text)}</span>')

    def _set_status(self, status: str, text: str | None = None) -> None:
        self.status = status
        self.status_line.value = self._status_html(text)
        self.title.value = self._title_html()
        if status not in (PENDING, RUNNING):
            self.progress.bar_style = {APPLIED: "success", FAILED: "danger"}.get(status, "")
            self._refresh_display()

    def _disable(self) -> None:
        self.apply_button.disabled = True
        self.cancel_button.disabled = True

    # -- what the buttons do --------------------------------------------------------------------------
    def _run(self) -> None:
        """Apply clicked: run once, record the outcome; never raises (a click handler has nobody to tell)."""
        if self.status != PENDING:  # double click, or after Cancel: nothing more to do
            return
        self._disable()
        self._set_status(RUNNING)
        self.progress.max = max(len(self.plan), 1)
        self.progress_box.layout.display = "flex"
        console = WidgetConsole(self.log, self.progress, self.progress_label)
        self.log_lines = console.lines
        try:
            result = self.runner(console)
        except BaseException as exc:
            self.error = exc
            text = str(exc).rstrip(".") or type(exc).__name__
            line = format_line("error", f"{self.operation.capitalize()} failed => {text}.")
            self.log.append_stdout(line + "\n")
            self.log_lines.append(line)
            self.progress_label.value = "stopped"
            self._set_status(FAILED, f"{self.operation} failed: {redact(text)}")
            if not isinstance(exc, Exception):  # Ctrl-C / SystemExit: recorded, then let it go on
                raise
            return
        self.result = result
        self._show_result(result)

    def _show_result(self, result: Any) -> None:
        from . import views

        n = len(result) if result is not None else 0
        statuses = list(result["status"].astype(str)) if n and "status" in result.columns else []
        failed, skipped = statuses.count("failed"), statuses.count("skipped")
        if result is not None:
            self.result_table.value = views.ResultView(result, title=f"{self.operation.capitalize()} result").to_html()
        self.progress.value = self.progress.max
        self.progress_label.value = "done"
        if failed:
            self._set_status(FAILED, f"{self.operation} finished with errors: {failed} failed, {skipped} skipped, "
                                     f"{n - failed - skipped} succeeded of {_plural_changes(n)}. {CONTINUE}")
        else:
            self._set_status(APPLIED, f"{PAST[self.operation]}: {_plural_changes(n)}. {CONTINUE}")

    def _cancel(self) -> None:
        if self.status != PENDING:
            return
        self._disable()
        self._set_status(CANCELLED, f"cancelled: nothing was changed ({_plural_changes(len(self.plan))} not "
                                    f"applied). Run the cell again to plan anew.")

    # -- public ----------------------------------------------------------------------------------------
    def approve(self):
        """Do what the **Apply** button does; return the result DataFrame.

        Calling it again (or after a click) does not run anything twice. If the run raised (e.g. the
        state lock is held), the error is recorded in ``status``/``error``/the log and raised here.
        """
        self._run()
        if self.error is not None:
            raise self.error
        return self.result

    def cancel(self) -> None:
        """Do what the **Cancel** button does: nothing is changed."""
        self._cancel()

    def __repr__(self) -> str:
        return f"<PendingApply {self.operation}: {_plural_changes(len(self.plan))}, status={self.status}>"

    def _static_html(self) -> str:
        """A still picture of the box as it is now (plan, status, log, result), for places that cannot run
        widgets (a saved notebook opened without its kernel, GitHub, nbviewer, nbconvert)."""
        log = ""
        if self.log_lines:
            text = html.escape("\n".join(self.log_lines))
            log = f'<pre class="dtmnb-log" style="white-space: pre-wrap; font-size: 12px;">{text}</pre>'
        return (f'<div class="dtmnb-confirm-static">{self.title.value}{self.plan_table.value}'
                f"<p>{self.status_line.value}</p>{log}{self.result_table.value}</div>")

    def _bundle(self, include: Any = None, exclude: Any = None) -> dict:
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude) or {}
        if isinstance(bundle, tuple):  # (data, metadata)
            bundle = bundle[0]
        bundle = dict(bundle)
        bundle["text/plain"] = repr(self)
        bundle["text/html"] = self._static_html()
        return bundle

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        # Jupyter frontends with the widget manager show the live widget; the others the still picture
        return self._bundle(include, exclude)

    def _ipython_display_(self) -> None:
        """Shown as the cell's output with a display id, so the still picture can be replaced by the outcome
        when the run ends: a saved notebook then shows what happened, not what was pending
        (docs/notebooks.md#saved-notebooks)."""
        from IPython.display import display

        self._display = display(self._bundle(), raw=True, display_id=True)

    def _refresh_display(self) -> None:
        handle = getattr(self, "_display", None)
        if handle is not None:
            handle.update(self._bundle(), raw=True)


def require_applied(result):
    """The result DataFrame of an ``apply``/``delete``/``destroy`` call, or a clear stop.

    Put it at the top of a cell that needs the changes to have happened: with ``auto_approve`` it just
    passes the DataFrame through; with the Apply/Cancel buttons it stops "Run All" at that cell until
    the user has clicked **Apply**, instead of letting later cells run against the old state.
    """
    if not isinstance(result, PendingApply):
        return result
    if result.status == APPLIED or (result.status == FAILED and result.error is None):
        return result.result
    if result.status == PENDING:
        raise NotAppliedError(f"the {result.operation} above is waiting for you: click Apply (or call .approve()) "
                         f"and run this cell again.")
    if result.status == CANCELLED:
        raise NotAppliedError(f"the {result.operation} above was cancelled; nothing was changed. Run it again to "
                         f"apply the changes.")
    if result.status == RUNNING:
        raise NotAppliedError(f"the {result.operation} above is still running; run this cell again when it is done.")
    raise NotAppliedError(f"the {result.operation} above failed: {redact(str(result.error))}")


__all__ = ["NotAppliedError", "PendingApply", "WidgetConsole", "in_notebook", "require_applied"]
