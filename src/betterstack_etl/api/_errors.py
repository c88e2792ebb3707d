"""Turn what the Better Stack API answered into the right ``betterstack_etl.errors`` class.

Pure functions: :func:`classify_status` maps (status, body, headers) to an error,
:func:`classify_transport` maps an httpx exception, :func:`parse_retry_after` reads the header.
"""

from __future__ import annotations

import errno
import json
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Final

import httpx

from betterstack_etl.errors import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    ContractError,
    NotFoundError,
    ThrottledError,
    TransientError,
    UnreachableError,
    UnreadableAnswerError,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "RequestContext",
    "api_error_text",
    "classify_status",
    "classify_transport",
    "contract_error",
    "parse_retry_after",
    "server_date",
    "unreadable_error",
]

MAX_API_TEXT: Final = 300

_HINTS: Final[dict[int, str]] = {
    401: "check BETTERSTACK_TOKEN: it must be a Better Stack Uptime API token "
    "(Uptime → API tokens), not a Logs/Telemetry token",
    403: "the token is valid but cannot see this resource: use a token of the team "
    "that owns the monitor, or a global API token",
    404: "check the monitor/incident id: it must exist for the team of BETTERSTACK_TOKEN",
    400: "the API refused the parameters: check the dates (YYYY-MM-DD, from <= to, "
    "from not in the future)",
    422: "the API refused the parameters it was sent; see its message",
    429: "the API is throttling us: lower the request rate or retry later",
}
_HINT_5XX: Final = "the Better Stack API is failing on its side: retry later"
_HINT_TRANSPORT: Final = (
    "the Better Stack API could not be reached or cut the answer: check the network and "
    "BETTERSTACK_BASE_URL, then retry"
)
_HINT_CONTRACT: Final = (
    "the API answered something its documentation does not describe: check "
    "BETTERSTACK_BASE_URL points at the Uptime API (https://uptime.betterstack.com)"
)


@dataclass(frozen=True, slots=True)
class RequestContext:
    """What a request was about, for messages: endpoint (path + query, no host) and monitor."""

    endpoint: str
    monitor_id: str | None = None

    def describe(self) -> str:
        where = f"GET {self.endpoint}"
        return f"{where} (monitor {self.monitor_id})" if self.monitor_id else where


def _truncate(text: str, limit: int = MAX_API_TEXT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def api_error_text(body: bytes) -> str | None:
    """The API's ``errors`` value as text (string or object), else the raw body, truncated."""
    if not body.strip():
        return None
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _truncate(body.decode("utf-8", errors="replace"))
    if isinstance(parsed, dict) and "errors" in parsed:
        errors = parsed["errors"]
        if isinstance(errors, str):
            return _truncate(errors)
        return _truncate(json.dumps(errors, ensure_ascii=False, sort_keys=True))
    return _truncate(json.dumps(parsed, ensure_ascii=False))


def _http_date(value: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when  # RFC 9110: GMT


def server_date(headers: Mapping[str, str]) -> datetime | None:
    """The answer's ``Date`` header (the server's clock), if there is a valid one."""
    value = headers.get("date")
    return _http_date(value) if value else None


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds (integer seconds or an HTTP-date), never negative; else None.

    ``now`` should be the server's time (its ``Date`` header) so clock skew does not matter.
    """
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(int(value))
    when = _http_date(value)
    return None if when is None else max(0.0, (when - now).total_seconds())


def _status_class(status: int) -> type[ApiError] | None:
    if status in (401, 403):
        return AuthenticationError
    if status == 404:
        return NotFoundError
    if status in (400, 422):
        return BadRequestError
    if status >= 500:
        return TransientError
    return None


def classify_status(
    status: int,
    body: bytes,
    headers: Mapping[str, str],
    context: RequestContext,
    now: datetime,
) -> ApiError:
    """The error for a non-2xx answer (a 3xx/other 4xx is a contract break)."""
    api_text = api_error_text(body)
    detail = f": {api_text}" if api_text else ""
    message = f"{context.describe()} failed with HTTP {status}{detail}"
    if status == 429:
        return ThrottledError(
            message,
            endpoint=context.endpoint,
            status=status,
            api_message=api_text,
            hint=_HINTS[429],
            retry_after=parse_retry_after(headers.get("retry-after"), now),
        )
    cls = _status_class(status)
    if cls is None:
        return ContractError(
            message + " (an answer the API documentation does not describe)",
            endpoint=context.endpoint,
            status=status,
            api_message=api_text,
            hint=_HINT_CONTRACT,
        )
    hint = _HINTS.get(status, _HINT_5XX)
    return cls(message, endpoint=context.endpoint, status=status, api_message=api_text, hint=hint)


# Why a connection could not even start, when no retry a minute later is likely to change it:
# the host does not resolve (a typo), nothing listens there, or no route leads there.
_NOT_RESOLVED: Final = frozenset(
    getattr(socket, name) for name in ("EAI_NONAME", "EAI_NODATA") if hasattr(socket, name)
)
_UNREACHABLE: Final = {
    errno.ECONNREFUSED: "refuses connections",
    errno.ENETUNREACH: "cannot be reached from this machine (no route to its network)",
    errno.EHOSTUNREACH: "cannot be reached from this machine (no route to the host)",
}


def _unreachable(exc: httpx.HTTPError, context: RequestContext) -> UnreachableError | None:
    """An ``UnreachableError`` when ``exc`` is a connection that could not start for a lasting
    reason (the OS error under httpx's, found through the exception chain)."""
    if not isinstance(exc, httpx.ConnectError):
        return None
    cause: BaseException | None = exc
    why = None
    while cause is not None and why is None:
        if isinstance(cause, socket.gaierror) and cause.errno in _NOT_RESOLVED:
            why = "does not resolve (no such host name)"
        elif isinstance(cause, OSError) and not isinstance(cause, socket.gaierror):
            why = _UNREACHABLE.get(cause.errno or 0)
        cause = cause.__cause__ or cause.__context__
    if why is None:
        return None
    try:
        url = exc.request.url
        host = f"{url.host}:{url.port}" if url.port else url.host
    except RuntimeError:  # no request attached
        host = "the API host"
    return UnreachableError(
        f"{context.describe()} failed: {host} {why}",
        endpoint=context.endpoint,
        hint="check BETTERSTACK_BASE_URL (https://uptime.betterstack.com), this machine's "
        "DNS and network, and any proxy or firewall on the way",
    )


def classify_transport(exc: httpx.HTTPError, context: RequestContext) -> ApiError:
    """The error for an httpx failure: a host that cannot be reached for a lasting reason →
    unreachable; other transport/timeout/decoding errors → transient; else contract."""
    kind = type(exc).__name__
    text = _truncate(str(exc)) or kind
    unreachable = _unreachable(exc, context)
    if unreachable is not None:
        return unreachable
    if isinstance(exc, httpx.TimeoutException):
        message = f"{context.describe()} timed out ({kind}: {text})"
        return TransientError(message, endpoint=context.endpoint, hint=_HINT_TRANSPORT)
    if isinstance(exc, httpx.TransportError | httpx.DecodingError):
        message = f"{context.describe()} failed in transit ({kind}: {text})"
        return TransientError(message, endpoint=context.endpoint, hint=_HINT_TRANSPORT)
    return contract_error(context, f"{kind}: {text}")


def contract_error(context: RequestContext, what: str, status: int | None = 200) -> ContractError:
    """A :class:`ContractError` for ``context`` saying ``what`` was wrong."""
    return ContractError(
        f"{context.describe()} answered with something unusable: {what}",
        endpoint=context.endpoint,
        status=status,
        hint=_HINT_CONTRACT,
    )


def unreadable_error(context: RequestContext, what: str) -> UnreadableAnswerError:
    """A 2xx answer whose body cannot be read as JSON (retried per request)."""
    return UnreadableAnswerError(
        f"{context.describe()} answered with something unusable: {what}",
        endpoint=context.endpoint,
        status=200,
        hint="an HTML page or a cut body usually comes from a proxy or captive portal between "
        "us and the API: check the network and BETTERSTACK_BASE_URL, then retry",
    )
