"""The one exception hierarchy of betterstack-etl.

Callers catch at the level they care about::

    BetterStackEtlError                 every error this package raises on purpose
    ├── ConfigError                     bad settings / user input (never retried)
    ├── ApiError                        the Better Stack API answered badly (has .endpoint, .status)
    │   ├── AuthenticationError         401 / 403: token missing, invalid, or scoped away
    │   ├── NotFoundError               404: unknown monitor / incident / route
    │   ├── BadRequestError             400: the API refused our parameters (dates...)
    │   ├── TransientError              5xx, timeouts, connection errors: retrying may help
    │   │   ├── ThrottledError          429 (has .retry_after seconds, or None)
    │   │   │   └── ThrottledTooLongError  429s for minutes on end: the run gives up (no retry)
    │   │   └── UnreachableError        the host does not resolve, refuses connections, or has
    │   │                               no route: retried per request, never at task level
    │   └── ContractError               the answer is not what the docs promise
    │       │                           (wrong envelope, pagination loop, foreign host)
    │       └── UnreadableAnswerError   a 2xx whose body is not JSON (a proxy's HTML page, a
    │                                   cut body): retried per request like a transient error
    ├── StorageError                    the lake could not be read or written
    │   ├── DamagedFileError            a file of the lake cannot be read (.path): repair
    │   ├── DiskFullError               no space left (or over quota) where it wrote (.path)
    │   └── ConcurrentWriteError        another writer kept winning the race for a partition
    ├── GateError                       rows break a table's hard quality rule (not retried)
    ├── StoppedError                    SIGINT/SIGTERM asked the run to stop (.signal_name)
    └── RunFailedError                  a run ended with one or more failed tables (.failures)

Every error carries a ``hint``: one sentence telling the user how to fix it. ``str(err)`` is the
message followed by the hint, and never contains the API token (see ``redact``).
``retryable`` tells the orchestration layer whether a task-level retry can help
(``is_retryable`` also for exceptions that are not ours: a full disk, a refused permission).
"""

from __future__ import annotations

import errno
import signal
from typing import TYPE_CHECKING, Any, Final

from betterstack_etl.literal import visible

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "ApiError",
    "AuthenticationError",
    "BadRequestError",
    "BetterStackEtlError",
    "ConcurrentWriteError",
    "ConfigError",
    "ContractError",
    "DamagedFileError",
    "DiskFullError",
    "GateError",
    "NotFoundError",
    "RunFailedError",
    "StoppedError",
    "StorageError",
    "ThrottledError",
    "ThrottledTooLongError",
    "TransientError",
    "UnreachableError",
    "UnreadableAnswerError",
    "is_retryable",
    "name_a_few",
    "storage_error",
]


class BetterStackEtlError(Exception):
    """Base of every error raised on purpose by betterstack-etl."""

    retryable: bool = False

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        # a message may quote the API (a name, an id): it never carries a control character
        self.message = visible(message, newlines=True)
        self.hint = None if hint is None else visible(hint, newlines=True)
        super().__init__(self.message)

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} — {self.hint}"
        return self.message


class ConfigError(BetterStackEtlError):
    """A setting, option or parameter is missing or malformed."""


class ApiError(BetterStackEtlError):
    """The Better Stack API answered with an error or with something unusable."""

    def __init__(
        self,
        message: str,
        *,
        endpoint: str,
        status: int | None = None,
        api_message: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.status = status
        self.api_message = api_message
        super().__init__(message, hint=hint)


class AuthenticationError(ApiError):
    """401/403: the token is missing, invalid, or cannot see this resource."""


class NotFoundError(ApiError):
    """404: the monitor, incident or route does not exist for this token."""


class BadRequestError(ApiError):
    """400: the API refused the request parameters."""


class TransientError(ApiError):
    """5xx, timeouts, connection resets: the same request may succeed later."""

    retryable = True


class ThrottledError(TransientError):
    """429: the API asks us to slow down; ``retry_after`` is in seconds when it said so."""

    def __init__(
        self,
        message: str,
        *,
        endpoint: str,
        status: int | None = 429,
        api_message: str | None = None,
        hint: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(
            message, endpoint=endpoint, status=status, api_message=api_message, hint=hint
        )


class ThrottledTooLongError(ThrottledError):
    """The API throttled every request of the run for longer than the run's budget: waiting
    longer (or a task retry a minute later) will not help this run."""

    retryable = False


class UnreachableError(TransientError):
    """The API's host does not resolve, refuses connections or has no route from here: a
    typo in ``BETTERSTACK_BASE_URL``, a firewall, a proxy. Retried per request (a restarting
    server), never a minute later at task level."""

    retryable = False


class ContractError(ApiError):
    """The API's answer breaks the documented contract (bad JSON, loop, foreign link)."""

    retryable = True  # a broken page is often a broken proxy: a later task retry may pass


class UnreadableAnswerError(ContractError):
    """A 2xx answer whose body is not JSON: a proxy's or captive portal's HTML page, a cut
    body. The client retries it per request with the transient-error backoff."""


class StorageError(BetterStackEtlError):
    """The lake could not be read or written."""

    retryable = True


class DamagedFileError(StorageError):
    """A file of the lake cannot be read (truncated, garbage): ``repair`` moves it aside."""

    retryable = False

    def __init__(self, message: str, *, path: str, hint: str | None = None) -> None:
        self.path = path
        super().__init__(
            message,
            hint=hint
            or "run `betterstack-etl repair`: it moves the file aside (kept) and fetches "
            "its days again where the API still serves them",
        )


class DiskFullError(StorageError):
    """No space left (or the quota is spent) on the disk holding ``path``: until space is
    freed every retry fails the same way."""

    retryable = False

    def __init__(self, message: str, *, path: str, hint: str) -> None:
        self.path = path
        super().__init__(message, hint=hint)


class ConcurrentWriteError(StorageError):
    """A partition kept changing under us beyond the bounded number of merge attempts."""


class GateError(BetterStackEtlError):
    """Rows of a table break a hard quality rule (SPEC §10): nothing of the table is written.
    ``table``, ``rule``, ``count`` and ``sample_keys`` say which rows; a retry cannot help."""

    def __init__(
        self,
        message: str,
        *,
        table: str,
        rule: str,
        count: int,
        sample_keys: tuple[str, ...] = (),
        hint: str | None = None,
    ) -> None:
        self.table = table
        self.rule = rule
        self.count = count
        self.sample_keys = sample_keys
        super().__init__(message, hint=hint)


class StoppedError(BetterStackEtlError):
    """The run was asked to stop (Ctrl-C, SIGTERM from a pod eviction or a Prefect cancel):
    it stopped before its next request; what was merged before stays. ``signal_name``."""

    def __init__(self, signal_name: str, *, summary: dict[str, Any] | None = None) -> None:
        self.signal_name = signal_name
        self.summary = summary  # the run's summary (its JSON form), when it got that far
        super().__init__(
            f"stopped by {signal_name}",
            hint="every partition merged before the stop is kept; the next run fetches the rest",
        )

    @property
    def exit_code(self) -> int:
        """The shell's code for a process ended by the signal: 130 for SIGINT, 143 for SIGTERM."""
        number = getattr(signal, self.signal_name, None)
        return 128 + int(number) if number is not None else 1


class RunFailedError(BetterStackEtlError):
    """One or more tables failed in a run; ``failures`` maps each table to why."""

    def __init__(self, failures: dict[str, str], *, summary: dict[str, Any] | None = None) -> None:
        self.failures = dict(failures)
        self.summary = summary  # the run's summary (its JSON form), to show per table
        detail = "; ".join(f"{table}: {why}" for table, why in self.failures.items())
        noun = "table" if len(self.failures) == 1 else "tables"
        super().__init__(f"{len(self.failures)} {noun} failed — {detail}")


# What the operating system says that no retry a minute later can change: a full disk, a spent
# quota, a read-only file system, a refused permission.
_LASTING_ERRNOS: Final = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}
)
_FULL_ERRNOS: Final = frozenset({errno.ENOSPC, errno.EDQUOT})


def _causes(exc: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def is_retryable(exc: BaseException) -> bool:
    """Whether a task-level retry can help with ``exc``: our errors say so; an error caused by
    a full disk or a refused permission cannot be helped; other unknown exceptions: yes."""
    if any(isinstance(e, OSError) and e.errno in _LASTING_ERRNOS for e in _causes(exc)):
        return False
    if isinstance(exc, BetterStackEtlError):
        return exc.retryable
    return not isinstance(exc, (TypeError, ValueError, KeyError, AttributeError))


def storage_error(exc: OSError, path: str, verb: str, hint: str) -> StorageError:
    """Our error for ``exc`` raised when we tried to ``verb`` (e.g. "write") ``path``: a full
    disk is a ``DiskFullError`` (one line: the path, the fix), anything else a StorageError
    with ``hint``."""
    if exc.errno in _FULL_ERRNOS:
        where = str(path)
        return DiskFullError(
            f"no space left on the disk holding {where} (could not {verb} it: {exc.strerror})",
            path=where,
            hint="free space on that disk (or point the folder at a larger one) and run again; "
            "what was merged before is intact",
        )
    return StorageError(f"could not {verb} {path}: {exc}", hint=hint)


def name_a_few(items: Iterable[str], shown: int = 5) -> str:
    """``a, b, c, d, e and 9,992 more``: a long list said in one short line."""
    listed = list(items)
    head = ", ".join(listed[:shown])
    rest = len(listed) - shown
    return f"{head} and {rest:,} more" if rest > 0 else head
