"""What a Prefect flow run adds to a run: its name, and our log lines in its logs (the UI).

- ``flow_run_name``: the name Prefect gives each run of the flow, from its parameters: a
  backfill is ``betterstack 2026-01-01..2026-01-31``, a scheduled (hourly) run
  ``betterstack hourly 2026-07-25 14:00 UTC`` (its scheduled time), instead of a random
  adjective-animal pair.
- ``with_run_logs``: the project's loggers (``betterstack_etl.*``: the window, the rows of
  each partition, the summary, the SLO and budget warnings, "not retrying") go to the flow
  run's logs on the Prefect server at INFO, for the duration of the run, from any thread
  (the fetch threads have no Prefect context: their records carry the flow run's id).
  Prefect does not do it by itself: its API handler sits on the ``prefect.*`` loggers only,
  and ``PREFECT_LOGGING_EXTRA_LOGGERS`` leaves the level at the root's WARNING. What reached
  the console before still does (records below the level the process had configured are
  not passed on to it); the token (``BETTERSTACK_TOKEN``) is masked in every line sent, and
  control characters quoted from the API are sent as escapes (SPEC §13).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from typing import TYPE_CHECKING, Any, Final, ParamSpec, TypeVar

from betterstack_etl.literal import VisibleLogText
from betterstack_etl.secret import redact

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from datetime import datetime

__all__ = ["LOGGER", "flow_run_logs", "flow_run_name", "run_name", "with_run_logs"]

LOGGER: Final = "betterstack_etl"

P = ParamSpec("P")
R = TypeVar("R")


def run_name(parameters: Mapping[str, Any], scheduled: datetime | None) -> str:
    """The name of a run with these flow parameters, scheduled at ``scheduled`` (UTC)."""
    start, end = parameters.get("from_date"), parameters.get("to_date")
    if start or end:
        return f"betterstack {start or '…'}..{end or 'today'}"
    if scheduled is None:
        return "betterstack hourly"
    return f"betterstack hourly {scheduled.strftime('%Y-%m-%d %H:%M')} UTC"


def flow_run_name() -> str:
    """``run_name`` of the current flow run (Prefect calls it when the run starts)."""
    from prefect.runtime import flow_run

    scheduled: Any = None
    with contextlib.suppress(Exception):  # a name is never worth failing a run
        when = flow_run.scheduled_start_time
        scheduled = when.astimezone(_utc()) if when is not None else None
    return run_name(dict(flow_run.parameters or {}), scheduled)


def _utc() -> Any:
    from datetime import UTC

    return UTC


class _StampRun(logging.Filter):
    """Gives each record the flow run (and task run, when in one) it belongs to, and masks
    the token."""

    def __init__(self, flow_run_id: str) -> None:
        super().__init__()
        self._flow_run_id = flow_run_id

    def filter(self, record: logging.LogRecord) -> bool:
        from prefect.context import TaskRunContext

        if getattr(record, "flow_run_id", None) is None:
            record.flow_run_id = self._flow_run_id
        if getattr(record, "task_run_id", None) is None:
            task = TaskRunContext.get()
            if task is not None:
                record.task_run_id = task.task_run.id
        token = os.environ.get("BETTERSTACK_TOKEN")
        if token and token in record.getMessage():
            record.msg, record.args = redact(record.getMessage(), token), None
        return True


class _ToParents(logging.Handler):
    """Passes records at or above ``level`` on to the handlers above ``logger``, as
    propagation did before the logger's level was lowered."""

    def __init__(self, logger: logging.Logger, level: int) -> None:
        super().__init__(level)
        self._parent = logger.parent

    def emit(self, record: logging.LogRecord) -> None:
        if self._parent is not None:
            self._parent.callHandlers(record)


@contextlib.contextmanager
def flow_run_logs(flow_run_id: str | None = None) -> Iterator[None]:
    """Our log lines (INFO and up) in the logs of flow run ``flow_run_id`` (default: the
    current one) on the Prefect server, while the block runs. Nothing changes outside a flow
    run, when logging to the API is off, or when a Prefect API handler is already there
    (``PREFECT_LOGGING_EXTRA_LOGGERS=betterstack_etl``)."""
    from prefect.logging.handlers import APILogHandler
    from prefect.settings import PREFECT_LOGGING_TO_API_ENABLED

    flow_run_id = flow_run_id or _current_flow_run_id()
    logger = logging.getLogger(LOGGER)
    if (
        flow_run_id is None
        or not PREFECT_LOGGING_TO_API_ENABLED.value()
        or any(isinstance(h, APILogHandler) for h in logger.handlers)
    ):
        yield
        return
    to_api = APILogHandler(level=logging.INFO)
    to_api.addFilter(_StampRun(flow_run_id))
    to_api.addFilter(VisibleLogText())  # what a line quotes from the API, shown literally
    saved = (logger.level, logger.propagate)
    onward = _ToParents(logger, logger.getEffectiveLevel())
    logger.addHandler(to_api)
    logger.addHandler(onward)
    logger.propagate = False
    logger.setLevel(min(logging.INFO, logger.getEffectiveLevel()))
    try:
        yield
    finally:
        logger.removeHandler(to_api)
        logger.removeHandler(onward)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


def with_run_logs(fn: Callable[P, R]) -> Callable[P, R]:
    """``fn`` run inside ``flow_run_logs()`` (put it under ``@flow``)."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with flow_run_logs():
            return fn(*args, **kwargs)

    return run


def _current_flow_run_id() -> str | None:
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        return None
    return str(context.flow_run.id)
