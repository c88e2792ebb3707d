"""What every command shares: its options, its consoles, our log lines and Prefect's kept
quiet, user errors said in one line (never a traceback), and one run in this process or
through the Prefect flow."""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from betterstack_etl import clock
from betterstack_etl.errors import BetterStackEtlError, StoppedError
from betterstack_etl.literal import VisibleLogText, visible
from betterstack_etl.secret import redact

if TYPE_CHECKING:
    from collections.abc import Iterator


__all__ = [
    "FromDate",
    "LakeRoot",
    "Monitors",
    "Tables",
    "ToDate",
    "err",
    "fail",
    "literal",
    "log_level",
    "out",
    "run_once",
    "say",
    "user_errors",
]

out = Console()
err = Console(stderr=True)

FromDate = Annotated[
    str | None,
    typer.Option("--from-date", envvar="BETTERSTACK_FROM_DATE", help="First UTC day, YYYY-MM-DD."),
]
ToDate = Annotated[
    str | None,
    typer.Option("--to-date", envvar="BETTERSTACK_TO_DATE", help="Last UTC day (inclusive)."),
]
Monitors = Annotated[
    str | None,
    typer.Option("--monitor-id", "-m", help="Id, comma-separated ids or 'all' [env MONITOR_ID]."),
]
Tables = Annotated[
    str | None,
    typer.Option(
        "--tables",
        help="Comma-separated: response_times,incidents,daily_sla,monitors [default: all].",
    ),
]
LakeRoot = Annotated[
    str | None,
    typer.Option("--lake-root", help="Folder or gs://bucket/prefix [env BETTERSTACK_LAKE_ROOT]."),
]


class _QuietUserErrors(logging.Filter):
    """Drop tracebacks from Prefect's run loggers when the error is one of ours (a user
    error with a clear message), and scrub the token from anything they print."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], BetterStackEtlError):
            record.exc_info = None
            record.exc_text = None
        token = os.environ.get("BETTERSTACK_TOKEN")
        if token and isinstance(record.msg, str):
            record.msg = redact(record.getMessage(), token)
            record.args = None
        return True


def _quiet_prefect(verbose: bool) -> None:
    """Prefect's own logging for a run through a Prefect server: warnings only, no telemetry,
    no traceback for our (user) errors."""
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if verbose else "WARNING")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    for name in ("prefect.flow_runs", "prefect.task_runs", "prefect", "prefect.engine"):
        logging.getLogger(name).addFilter(_QuietUserErrors())


def _say_failures_once(verbose: bool) -> None:
    """The run's failure is printed once, by this command; Prefect would say it again for the
    task run and for the flow run (the server keeps those states and logs anyway). Call it
    after Prefect configured its logging (on import)."""
    if not verbose:
        for name in ("prefect.flow_runs", "prefect.task_runs"):
            logging.getLogger(name).setLevel(logging.CRITICAL)


def log_level(verbose: bool) -> None:
    """Our own log lines: warnings by default (the progress bars tell the rest), all with -v;
    whatever a line quotes from the API is shown literally (no escape sequence reaches the
    terminal)."""
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    level = logging.INFO if verbose else logging.WARNING
    logging.getLogger("betterstack_etl").setLevel(level)
    _log_lines_literal()


def _log_lines_literal() -> None:
    """Every handler of the root logger shows log lines literally (call again after Prefect
    configured its own handlers)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, VisibleLogText) for f in handler.filters):
            handler.addFilter(VisibleLogText())


def literal(value: object, style: str = "") -> Text:
    """``value`` as Rich ``Text``: never parsed as markup, control characters shown as
    escapes (SPEC §13). Every piece of data a line or a table shows goes through it (or
    through ``cli.display.literal``, the same, for the tables of that module)."""
    return Text(visible(value), style=style)


def say(label: str, style: str, text: object) -> None:
    """One line on stderr: a styled label, then ``text`` shown literally (it may quote the
    API or a file name: never parsed as markup, control characters shown as escapes)."""
    err.print(Text.assemble((label, style), " ", literal(text)), soft_wrap=True)


def fail(exc: BaseException) -> typer.Exit:
    """One line on stderr; the exit code: 130/143 for a run stopped by SIGINT/SIGTERM, else 1."""
    token = os.environ.get("BETTERSTACK_TOKEN")
    say("error:", "bold red", redact(str(exc), token))
    return typer.Exit(code=exc.exit_code if isinstance(exc, StoppedError) else 1)


@contextmanager
def user_errors(verbose: bool = False) -> Iterator[None]:
    try:
        yield
    except BetterStackEtlError as exc:
        raise fail(exc) from None
    except typer.Exit:
        raise
    except Exception as exc:
        if verbose:
            raise
        kind = type(exc).__name__
        hint = "re-run with --verbose for details"
        raise fail(BetterStackEtlError(f"unexpected {kind}: {exc}", hint=hint)) from None
    except KeyboardInterrupt:
        err.print("interrupted: the lake keeps its previous partitions")
        raise typer.Exit(code=130) from None


def _through_prefect(requested: bool) -> bool:
    """A run goes through the Prefect flow when asked (``--prefect``) or when a Prefect API is
    configured (``PREFECT_API_URL``): what deployments do. Otherwise the core runs here."""
    return requested or bool(os.environ.get("PREFECT_API_URL", "").strip())


def run_once(
    overrides: dict[str, Any], *, prefect: bool, verbose: bool, show_progress: bool
) -> Any:
    """One run, in process or through the flow; returns its summary as a dict."""
    from betterstack_etl.settings import RunParams, read_token

    params = RunParams.from_env(**overrides)
    params.window(clock.utcnow())  # a bad window fails before anything starts
    token = read_token()
    reporter = None
    if show_progress:
        from betterstack_etl.cli.display import RichProgress

        reporter = RichProgress(err)
        reporter.start()
    try:
        if _through_prefect(prefect):
            _quiet_prefect(verbose)
            from betterstack_etl.flow import rj_iplanrio__betterstack_api

            _say_failures_once(verbose)
            _log_lines_literal()

            flow_params = {
                k: v
                for k, v in {
                    "from_date": overrides.get("from_date"),
                    "to_date": overrides.get("to_date"),
                    "monitor_id": overrides.get("monitors"),
                    "tables": [t for t in (overrides.get("tables") or "").split(",") if t] or None,
                    "destination": overrides.get("destination"),
                    "lake_root": overrides.get("lake_root"),
                    "dataset_id": overrides.get("dataset_id"),
                    "billing_project_id": overrides.get("billing_project_id"),
                    "base_url": overrides.get("base_url"),
                }.items()
                if v is not None
            }
            flow_fn: Any = rj_iplanrio__betterstack_api
            return flow_fn(**flow_params)
        from betterstack_etl.run import runner

        return runner.run(params, token, progress=reporter).to_dict()
    finally:
        if reporter is not None:
            reporter.stop()
