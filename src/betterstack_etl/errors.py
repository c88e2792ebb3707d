"""The one exception hierarchy of betterstack-etl.

Callers catch at the level they care about::

    BetterStackEtlError                 every error this package raises on purpose
    ├── ConfigError                     bad settings / user input (never retried)
    ├── ApiError                        the Better Stack API answered badly (has .endpoint, .status)
    │   ├── AuthenticationError         401 / 403: token missing, invalid, or scoped away
    │   ├── NotFoundError               404: unknown monitor / incident / route
    │   ├── BadRequestError             400: the API refused our parameters (dates...)
    │   ├── TransientError              5xx, timeouts, connection errors: retrying may help
    │   │   └── ThrottledError          429 (has .retry_after seconds, or None)
    │   │       └── ThrottledTooLongError  429s for minutes on end: the run gives up (no retry)
    │   └── ContractError               the answer is not what the docs promise
    │       │                           (wrong envelope, pagination loop, foreign host)
    │       └── UnreadableAnswerError   a 2xx whose body is not JSON (a proxy's HTML page, a
    │                                   cut body): retried per request like a transient error
    ├── StorageError                    the lake could not be read or written
    │   ├── DamagedFileError            a file of the lake cannot be read (.path): repair
    │   └── ConcurrentWriteError        another writer kept winning the race for a partition
    ├── GateError                       rows break a table's hard quality rule (not retried)
    └── RunFailedError                  a run ended with one or more failed tables (.failures)

Every error carries a ``hint``: one sentence telling the user how to fix it. ``str(err)`` is the
message followed by the hint, and never contains the API token (see ``redact``).
``retryable`` tells the orchestration layer whether a task-level retry can help.
"""

from __future__ import annotations

from betterstack_etl.literal import visible

__all__ = [
    "ApiError",
    "AuthenticationError",
    "BadRequestError",
    "BetterStackEtlError",
    "ConcurrentWriteError",
    "ConfigError",
    "ContractError",
    "DamagedFileError",
    "GateError",
    "NotFoundError",
    "RunFailedError",
    "StorageError",
    "ThrottledError",
    "ThrottledTooLongError",
    "TransientError",
    "UnreadableAnswerError",
    "is_retryable",
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

    def __init__(self, message: str, *, path: str) -> None:
        self.path = path
        super().__init__(
            message,
            hint="run `betterstack-etl repair`: it moves the file aside (kept) and fetches "
            "its days again where the API still serves them",
        )


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


class RunFailedError(BetterStackEtlError):
    """One or more tables failed in a run; ``failures`` maps each table to why."""

    def __init__(self, failures: dict[str, str]) -> None:
        self.failures = dict(failures)
        detail = "; ".join(f"{table}: {why}" for table, why in self.failures.items())
        noun = "table" if len(self.failures) == 1 else "tables"
        super().__init__(f"{len(self.failures)} {noun} failed — {detail}")


def is_retryable(exc: BaseException) -> bool:
    """Whether a task-level retry can help with ``exc`` (unknown exceptions: yes)."""
    if isinstance(exc, BetterStackEtlError):
        return exc.retryable
    return not isinstance(exc, (TypeError, ValueError, KeyError, AttributeError))
