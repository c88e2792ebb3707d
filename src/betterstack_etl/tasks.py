"""Prefect tasks (the seed's ``tasks.py`` role): each core step of ``pipeline`` as a task.

The steps do the work (extract, transform, merge, publish); a task adds what Prefect brings:
a task run in the UI, task-level retries (the seed: 3 retries, 60 s apart) for errors a retry
can fix, and Prefect's logging. ``PrefectSteps`` is the ``StepRunner`` the flow hands to
``runner.execute``, so the flow and the CLI run the same orchestration.

Tasks receive the run's ``RunSession`` in process (the flow and its tasks share a process and a
thread pool): no secret is ever a task or flow parameter, and no cache key is computed.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from prefect import Task, task
from prefect.cache_policies import NO_CACHE

from betterstack_etl.errors import is_retryable
from betterstack_etl.run import steps

if TYPE_CHECKING:
    from collections.abc import Callable

    from prefect.client.schemas.objects import State, TaskRun
    from prefect.futures import PrefectFuture

    from betterstack_etl.settings import RunParams

__all__ = ["TASKS", "PrefectSteps", "retry_if_fixable"]

log = logging.getLogger("betterstack_etl.tasks")

P = ParamSpec("P")
R = TypeVar("R")


def retry_if_fixable(task: Task[Any, Any], task_run: TaskRun, state: State[Any]) -> bool:
    """Task-level retry only for errors a retry can fix (never 400/401/403/404 or config)."""
    exc = state.result(raise_on_failure=False)
    retry = not isinstance(exc, BaseException) or is_retryable(exc)
    if not retry:
        log.warning("%s failed with an error a retry cannot fix; not retrying", task.name)
    return retry


def _as_task(step: Callable[..., Any], name: str) -> Task[Any, Any]:
    made: Task[Any, Any] = task(
        name=name, cache_policy=NO_CACHE, retry_condition_fn=retry_if_fixable
    )(step)
    return made


# One task per core step, named as the UI shows them.
TASKS: dict[Callable[..., Any], Task[Any, Any]] = {
    steps.resolve_monitors_step: _as_task(steps.resolve_monitors_step, "resolve-monitors"),
    steps.find_open_rows: _as_task(steps.find_open_rows, "find-open-rows"),
    steps.fetch_table: _as_task(steps.fetch_table, "fetch-table"),
    steps.merge_table: _as_task(steps.merge_table, "merge-table"),
    steps.publish: _as_task(steps.publish, "publish-tables"),
    steps.check_slo: _as_task(steps.check_slo, "check-slo"),
    steps.check_alerts: _as_task(steps.check_alerts, "check-slo-alerts"),
    steps.write_month_report: _as_task(steps.write_month_report, "write-report"),
}


class PrefectSteps:
    """Runs each core step as its Prefect task, with the run's task-level retry policy."""

    def __init__(self, params: RunParams) -> None:
        self._tasks = {
            step: t.with_options(
                retries=params.task_retries, retry_delay_seconds=params.task_retry_delay
            )
            for step, t in TASKS.items()
        }

    def call(self, step: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        runs: Any = self._tasks[step]  # a sync task: calling it returns the step's result
        result: R = runs(*args, **kwargs)
        return result

    def submit(self, step: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> PrefectFuture[R]:
        future: PrefectFuture[R] = self._tasks[step].submit(*args, **kwargs)
        return future
