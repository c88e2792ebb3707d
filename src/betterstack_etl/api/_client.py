"""``BetterStackClient``: the Better Stack Uptime API over an injected ``httpx.Client``.

I/O lives here; classification, retry math, paging rules and id handling are pure helpers.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Final, Self, TypeVar

import httpx

from betterstack_etl import __version__
from betterstack_etl.api._errors import (
    RequestContext,
    classify_status,
    classify_transport,
    contract_error,
    server_date,
)
from betterstack_etl.api._ids import validate_incident_id, validate_monitor_id
from betterstack_etl.api._pages import PageWalk, endpoint_of, parse_list, parse_single
from betterstack_etl.api._retry import RetryPolicy
from betterstack_etl.api._stats import RequestCounter, RequestStats
from betterstack_etl.api._transport import (
    ACCEPTED_ENCODINGS,
    ERROR_BODY_BYTES,
    MAX_ANSWER_BYTES,
    AnswerRefused,
    DeadlinePassed,
    api_http_client,
    deadline,
    read_body,
    time_left,
)
from betterstack_etl.constants import DEFAULT_BASE_URL
from betterstack_etl.errors import (
    ApiError,
    ThrottledError,
    ThrottledTooLongError,
    TransientError,
    UnreadableAnswerError,
)
from betterstack_etl.secret import redact

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterator, Mapping
    from types import TracebackType

    from betterstack_etl.api._pacer import Pacer
    from betterstack_etl.api._stop import StopFlag
    from betterstack_etl.secret import Secret

__all__ = [
    "DEFAULT_BASE_URL",
    "INCIDENTS_PER_PAGE",
    "MAX_ANSWER_BYTES",
    "MONITORS_PER_PAGE",
    "BetterStackClient",
    "Page",
    "Resource",
    "incident_page_bound",
]

MONITORS_PER_PAGE: Final = 250  # documented maximum for lists
INCIDENTS_PER_PAGE: Final = 50  # documented maximum for incidents
DEFAULT_TIMEOUT: Final = 30.0  # seconds: per socket operation, and in total per request
# An incidents walk may need this many pages per monitor and UTC day of its window when the
# API announces no ``last`` page: 500 incidents a day (one every three minutes, all day).
INCIDENT_PAGES_PER_MONITOR_DAY: Final = 10
MONITOR_PAGES: Final = 400  # 100,000 monitors, when the API announces no ``last`` page

log = logging.getLogger(__name__)

T = TypeVar("T")
_RETRIED: Final = (TransientError, UnreadableAnswerError)


USER_AGENT: Final = f"betterstack-etl/{__version__}"


def incident_page_bound(monitors: int, days: int) -> int:
    """Pages an incidents walk over ``monitors`` and ``days`` UTC days may need, when the API
    announces no ``last`` page (it always does, per its docs): the account's size."""
    return max(1, monitors) * max(1, days) * INCIDENT_PAGES_PER_MONITOR_DAY


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Resource:
    """One JSON:API ``data`` object, when the API answered (UTC, our clock), the URL asked,
    and the API's own time (its ``Date`` header, when it sent a valid one)."""

    data: dict[str, Any]
    fetched_at: datetime
    url: str
    server_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list: its resources, when the API answered (our clock), its URL, its
    1-based number, and the API's own time (its ``Date`` header, when valid)."""

    resources: list[dict[str, Any]]
    fetched_at: datetime
    url: str
    number: int
    server_time: datetime | None = None


class _BearerAuth(httpx.Auth):
    """Adds the Bearer header per request, so the token never sits in client defaults."""

    def __init__(self, token: Secret) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "_BearerAuth(***)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token.reveal()}"
        yield request


class BetterStackClient:
    """Reads monitors, response times, SLA and incidents; thread-safe when shared."""

    def __init__(
        self,
        http: httpx.Client,
        token: Secret,
        *,
        base_url: str = DEFAULT_BASE_URL,
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008 - frozen value object
        pacer: Pacer | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = _utc_now,
        stats: RequestCounter | None = None,
        stop: StopFlag | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        self._http = http
        self._deadline = timeout
        self._max_answer_bytes = max_answer_bytes
        self._token = token
        self._auth = _BearerAuth(token)
        self._base = httpx.URL(base_url.rstrip("/") + "/")
        self._retry = retry
        self._pacer = pacer
        self._stop = stop
        self._sleep = stop.sleep if stop is not None and sleep is time.sleep else sleep
        self._clock = clock
        self._random = secrets.SystemRandom()  # jitter only
        self._counter = stats if stats is not None else RequestCounter()
        self._owns_http = False

    @classmethod
    def create(
        cls,
        token: Secret,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008 - frozen value object
        pacer: Pacer | None = None,
    ) -> BetterStackClient:
        """A client with its own ``httpx.Client`` (TLS verified, no redirects, ``timeout``
        seconds per socket operation and in total per request); ``close()`` it."""
        http = api_http_client(timeout)
        client = cls(http, token, base_url=base_url, retry=retry, pacer=pacer, timeout=timeout)
        client._owns_http = True
        return client

    def __repr__(self) -> str:
        return f"BetterStackClient(base_url={str(self._base)!r}, token=***)"

    def close(self) -> None:
        """Close the ``httpx.Client`` if this client created it (an injected one is yours)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def requests_sent(self) -> int:
        """HTTP requests actually sent (retries included), as counted by :attr:`counter`."""
        return self._counter.snapshot().requests

    @property
    def stats(self) -> RequestStats:
        """Requests sent, retries and 429s so far (of :attr:`counter`, maybe shared)."""
        return self._counter.snapshot()

    @property
    def counter(self) -> RequestCounter:
        """The live counter (pass it as ``stats=`` to another client to share it)."""
        return self._counter

    # -- endpoints -------------------------------------------------------------------------

    def iter_monitor_pages(self) -> Iterator[Page]:
        """Every monitor the token sees, a page (250) at a time."""
        params = {"per_page": MONITORS_PER_PAGE}
        return self._walk("api/v2/monitors", params, None, MONITOR_PAGES)

    def list_monitors(self) -> list[dict[str, Any]]:
        """Every monitor the token sees, all pages."""
        return [m for page in self.iter_monitor_pages() for m in page.resources]

    def get_monitor(self, monitor_id: str) -> Resource:
        mid = validate_monitor_id(monitor_id)
        return self._get_single(f"api/v2/monitors/{mid}", {}, mid)

    def get_response_times(self, monitor_id: str) -> Resource:
        """The monitor's response times of the last 24 h, grouped by region (seconds)."""
        mid = validate_monitor_id(monitor_id)
        return self._get_single(f"api/v2/monitors/{mid}/response-times", {}, mid)

    def get_sla(self, monitor_id: str, from_date: date, to_date: date) -> Resource:
        """The monitor's availability summary for ``from_date``..``to_date`` (YYYY-MM-DD)."""
        mid = validate_monitor_id(monitor_id)
        params = {"from": from_date.isoformat(), "to": to_date.isoformat()}
        return self._get_single(f"api/v2/monitors/{mid}/sla", params, mid)

    def iter_incident_pages(
        self,
        *,
        monitor_id: str | None = None,
        from_date: date | None = None,
        to_date: date | None = None,
        resolved: bool | None = None,
        max_pages: int | None = None,
    ) -> Iterator[Page]:
        """v3 incidents matching the filters, a page (50) at a time.

        ``max_pages`` bounds the walk when the API announces no ``last`` page (see
        :func:`incident_page_bound`); the announced last page bounds it otherwise."""
        mid = validate_monitor_id(monitor_id) if monitor_id is not None else None
        params: dict[str, str | int] = {}
        if mid is not None:
            params["monitor_id"] = mid
        if from_date is not None:
            params["from"] = from_date.isoformat()
        if to_date is not None:
            params["to"] = to_date.isoformat()
        if resolved is not None:
            params["resolved"] = "true" if resolved else "false"
        params["per_page"] = INCIDENTS_PER_PAGE
        return self._walk("api/v3/incidents", params, mid, max_pages)

    def get_incident(self, incident_id: str) -> Resource:
        iid = validate_incident_id(incident_id)
        return self._get_single(f"api/v3/incidents/{iid}", {}, None)

    # -- plumbing --------------------------------------------------------------------------

    def _url(self, path: str, params: Mapping[str, str | int]) -> httpx.URL:
        url = self._base.join(path)
        return url.copy_merge_params(params) if params else url

    def _get_single(
        self, path: str, params: Mapping[str, str | int], monitor_id: str | None
    ) -> Resource:
        url = self._url(path, params)
        context = RequestContext(endpoint_of(url), monitor_id)
        data, fetched_at, server_time = self._get(url, context, parse_single)
        return Resource(data=data, fetched_at=fetched_at, url=str(url), server_time=server_time)

    def _walk(
        self,
        path: str,
        params: Mapping[str, str | int],
        monitor_id: str | None,
        max_pages: int | None,
    ) -> Iterator[Page]:
        """Every page of a list; each next request carries ``params`` again (the live API's
        links drop them) and only the page of the API's next link."""
        url: httpx.URL | None = self._url(path, params)
        assert url is not None
        walk = PageWalk(self._base, start=url)
        if max_pages is not None:
            walk.max_pages = max_pages
        while url is not None:  # bounded by PageWalk.limit and its loop guard
            context = RequestContext(endpoint_of(url), monitor_id)
            walk.visit(url, context)
            listed, fetched_at, server_time = self._get(url, context, parse_list)
            yield Page(listed.resources, fetched_at, str(url), walk.pages, server_time)
            url = walk.follow(url, listed, context)

    def _get(
        self, url: httpx.URL, context: RequestContext, parse: Callable[[bytes, RequestContext], T]
    ) -> tuple[T, datetime, datetime | None]:
        """One GET, parsed, with retries of transient errors and unreadable (non-JSON) 2xx
        answers, bounded in attempts, in total wait, and by the run's throttling budget."""
        waited = 0.0
        for attempt in range(1, self._retry.max_attempts + 1):
            try:
                content, fetched_at, server_time = self._send_once(url, context)
                return parse(content, context), fetched_at, server_time
            except _RETRIED as err:
                delay = self._next_delay(err, attempt, waited, context)
                if delay is None:
                    raise _gave_up(err, attempt) from err.__cause__  # keep the httpx cause
                log.info(  # routine: the final failure, if any, is the one reported
                    "%s; retry %d/%d in %.2fs",
                    err.message,
                    attempt,
                    self._retry.max_attempts - 1,
                    delay,
                )
                if isinstance(err, ThrottledError) and self._pacer is not None:
                    self._pacer.penalize(delay)
                self._counter.retry()
                self._sleep(delay)
                waited += delay
        raise AssertionError("unreachable: the last attempt raises")  # pragma: no cover

    def _next_delay(
        self, err: ApiError, attempt: int, waited: float, context: RequestContext
    ) -> float | None:
        """Seconds before the next attempt, or None when attempts or wait budget are spent;
        ThrottledTooLongError once the run has been throttled past its budget."""
        retry_after = err.retry_after if isinstance(err, ThrottledError) else None
        delay = self._retry.delay(attempt, retry_after, self._random.random())
        if isinstance(err, ThrottledError) and self._pacer is not None:
            streak = self._pacer.throttled()
            if streak + delay > self._pacer.max_throttled:
                raise self._throttled_too_long(err, streak, context) from err
        if attempt >= self._retry.max_attempts:
            return None
        if waited + delay > self._retry.max_total_wait:
            return None
        return delay

    def _throttled_too_long(
        self, err: ThrottledError, streak: float, context: RequestContext
    ) -> ThrottledTooLongError:
        rate = f" (now {self._pacer.base_rate:g}/s)" if self._pacer is not None else ""
        return ThrottledTooLongError(
            f"the Better Stack API has been throttling this run for {streak:.0f} s: every "
            f"request answered 429 Too Many Requests (last: {context.describe()})",
            endpoint=err.endpoint,
            status=err.status,
            api_message=err.api_message,
            retry_after=err.retry_after,
            hint=f"lower BETTERSTACK_RATE{rate}, wait a few minutes before the next run, and "
            "check whether other jobs use the same token",
        )

    def _send_once(
        self, url: httpx.URL, context: RequestContext
    ) -> tuple[bytes, datetime, datetime | None]:
        """One GET within the request's total deadline, its body read up to the answer bound;
        also the answer's Date (the server's clock), when it has one."""
        headers = {
            "Accept": "application/json",
            "Accept-Encoding": ACCEPTED_ENCODINGS,
            "User-Agent": USER_AGENT,
        }
        if self._pacer is not None:
            self._pacer.acquire()
        try:
            if self._stop is not None:
                self._stop.check()  # no new request once the run is asked to stop
            self._counter.request()
            log.debug("GET %s", context.endpoint)
            with deadline(self._deadline):
                status, response_headers, content = self._exchange(url, headers, context)
        finally:
            if self._pacer is not None:
                self._pacer.release()
        if not 200 <= status < 300:
            if status == 429:
                self._counter.throttled()
            # A Retry-After date is on the server's clock: read it against the answer's Date.
            server_now = server_date(response_headers) or datetime.now(UTC)
            error = classify_status(status, content, response_headers, context, server_now)
            raise self._redacted(error)
        if self._pacer is not None:
            self._pacer.succeeded()
        return content, self._clock(), server_date(response_headers)

    def _exchange(
        self, url: httpx.URL, headers: dict[str, str], context: RequestContext
    ) -> tuple[int, httpx.Headers, bytes]:
        """Status, headers and (bounded) body of one GET, inside the current deadline."""
        try:
            with self._http.stream("GET", url, headers=headers, auth=self._auth) as response:
                ok = response.is_success
                limit = self._max_answer_bytes if ok else ERROR_BODY_BYTES
                content = read_body(response, limit, strict=ok)
                return response.status_code, response.headers, content
        except AnswerRefused as refused:
            raise contract_error(
                context, f"the answer was not read to the end: {refused.what}"
            ) from None
        except DeadlinePassed:
            raise self._deadline_error(context) from None
        except httpx.HTTPError as exc:
            left = time_left()
            if isinstance(exc, httpx.TimeoutException) and left is not None and left <= 0:
                raise self._deadline_error(context) from exc
            raise self._redacted(classify_transport(exc, context)) from exc

    def _deadline_error(self, context: RequestContext) -> TransientError:
        return TransientError(
            f"{context.describe()} did not finish within {self._deadline:g} s, the total "
            "time one request may take (the server answered too slowly)",
            endpoint=context.endpoint,
            hint="the API or a proxy is answering very slowly: retry later, or raise "
            "BETTERSTACK_TIMEOUT",
        )

    def _redacted(self, error: ApiError) -> ApiError:
        """``error`` with the token scrubbed from its texts (should the server echo it)."""
        error.message = redact(error.message, self._token)
        if error.api_message is not None:
            error.api_message = redact(error.api_message, self._token)
        error.args = (error.message,)
        return error


def _gave_up(err: ApiError, attempts: int) -> ApiError:
    """The last error, its message saying how many attempts were made."""
    plural = "attempt" if attempts == 1 else "attempts"
    err.message = f"{err.message} (gave up after {attempts} {plural})"
    err.args = (err.message,)
    return err
