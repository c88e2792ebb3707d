"""What every command shares: its options, its consoles, our log lines and Prefect's kept
quiet, user errors said in one line (never a traceback), and one run in this process or
through the Prefect flow."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
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
    from collections.abc import Callable, Iterator

    from betterstack_etl.settings import Loaded


__all__ = [
    "PIPED_WIDTH",
    "BaseUrl",
    "BillingProjectId",
    "DatasetId",
    "Destination",
    "FromDate",
    "LakeRoot",
    "Monitors",
    "Tables",
    "ToDate",
    "err",
    "fail",
    "literal",
    "load",
    "log_level",
    "out",
    "run_once",
    "say",
    "setting_option",
    "user_errors",
]

# Piped output (CI logs, ``| tee``) is not cut to a terminal's width: a file has no width, so
# tables take their natural width (whole table names), whatever COLUMNS says.
PIPED_WIDTH = 400


def _console(*, stderr: bool) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    if stream is not None and stream.isatty():
        return Console(stderr=stderr)
    return Console(stderr=stderr, width=PIPED_WIDTH)


out = _console(stderr=False)
err = _console(stderr=True)


def setting_option(name: str, *aliases: str, help: str | None = None) -> Any:
    """The CLI option of setting ``name``, from its declaration: its option name, its help,
    its variable and its default. Typer does not read the variable itself (``load`` does, with
    the ``.env`` file, and knows which knob gave each value); None means "not given"."""
    from betterstack_etl.settings import FIELDS, knob

    declared, info = knob(name), FIELDS[name]
    default = declared.default_text or info.default
    text = help or (info.description or "").rstrip(".")
    # Click's own notation ("[env var: X]"), kept as it is: the help is not Rich markup
    text = f"{text}.  [env var: {declared.variable}"
    text += f"; default: {default}]" if default not in (None, "") else "]"
    return typer.Option(declared.option, *aliases, help=text, show_default=False)


FromDate = Annotated[str | None, setting_option("from_date")]
ToDate = Annotated[str | None, setting_option("to_date")]
Monitors = Annotated[str | None, setting_option("monitor_id", "-m")]
Tables = Annotated[str | None, setting_option("tables")]
LakeRoot = Annotated[str | None, setting_option("lake_root")]
Destination = Annotated[str | None, setting_option("destination")]
DatasetId = Annotated[str | None, setting_option("dataset_id")]
BillingProjectId = Annotated[str | None, setting_option("billing_project_id")]
BaseUrl = Annotated[str | None, setting_option("base_url")]


def load(**options: Any) -> Loaded:
    """The settings in effect for a command: its ``options`` (named as the settings; None for
    an option not given) over the environment over the ``.env`` file over the defaults."""
    from betterstack_etl.settings import load_settings

    loaded = load_settings(origin="option", **options)
    for note in loaded.layers.notes():
        logging.getLogger("betterstack_etl.settings").warning("%s", note)
    return loaded


class _QuietUserErrors(logging.Filter):
    """Drop tracebacks from Prefect's run loggers when the error is one of ours (a user
    error with a clear message), and scrub the secrets from anything they print."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], BetterStackEtlError):
            record.exc_info = None
            record.exc_text = None
        if self._secrets and isinstance(record.msg, str):
            record.msg = redact(record.getMessage(), *self._secrets)
            record.args = None
        return True


def _quiet_prefect(verbose: bool) -> None:
    """Prefect's own logging for a run through a Prefect server: warnings only, no telemetry,
    no traceback for our (user) errors."""
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if verbose else "WARNING")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    from betterstack_etl.settings import secret_values

    secrets = secret_values()
    for name in ("prefect.flow_runs", "prefect.task_runs", "prefect", "prefect.engine"):
        logging.getLogger(name).addFilter(_QuietUserErrors(secrets))


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
    from betterstack_etl.settings import secret_values

    say("error:", "bold red", redact(str(exc), *secret_values()))
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


def _load_tls(make: Callable[[], object]) -> None:
    """The API client's TLS context, made in a thread of its own while the run is set up
    (``ssl`` loads the CA bundle outside the interpreter lock): the run's client finds it
    made (issue 24). A failure is left to the client, which says what is wrong."""
    with contextlib.suppress(Exception):
        make()


def run_once(
    loaded: Loaded, options: dict[str, Any], *, prefect: bool, verbose: bool, show_progress: bool
) -> Any:
    """One run of the settings ``loaded`` (from the command's ``options``), in this process
    or through the flow (given the same options, as its parameters); returns its summary as
    a dict. A bad window or a missing token fails here, before anything starts."""
    from betterstack_etl.api import default_tls_context

    threading.Thread(target=_load_tls, args=(default_tls_context,), name="tls", daemon=True).start()
    params = loaded.run_params()
    loaded.window(clock.utcnow())
    token = loaded.token()
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
            from betterstack_etl.cli.prefect_server import start_temporary_server

            start_temporary_server(lambda line: err.print(line, highlight=False))
            parameters = {k: v for k, v in options.items() if v is not None}
            if "tables" in parameters:  # a comma list on the command line, a list in the flow
                parameters["tables"] = [t for t in parameters["tables"].split(",") if t.strip()]
            flow_fn: Any = rj_iplanrio__betterstack_api
            return flow_fn(**parameters)
        from betterstack_etl.run import runner

        return runner.run(params, token, progress=reporter).to_dict()
    finally:
        if reporter is not None:
            reporter.stop()
