"""How long to wait before retrying a transient failure: a small value object, pure math."""

from __future__ import annotations

from dataclasses import dataclass

from betterstack_etl.errors import ConfigError

__all__ = ["RetryPolicy"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Per-request retry of transient errors (429, 5xx, timeouts, cut connections).

    - ``max_attempts``: attempts in all, the first included (1 = never retry);
    - ``base_delay``/``max_delay``: exponential backoff ``base * 2**(retry-1)``, capped, in seconds;
    - ``jitter``: "full jitter" — wait a uniform random fraction of that backoff;
    - ``retry_after_cap``: a server ``Retry-After`` is honoured up to this many seconds;
    - ``max_total_wait``: the request gives up rather than sleep past this many seconds in all.
    """

    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 30.0
    max_total_wait: float = 120.0
    retry_after_cap: float = 60.0
    jitter: bool = True

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ConfigError(
                f"retry max_attempts={self.max_attempts} is below 1",
                hint="give at least 1 attempt (1 means no retry)",
            )
        numbers = (self.base_delay, self.max_delay, self.max_total_wait, self.retry_after_cap)
        if any(n < 0 for n in numbers):
            raise ConfigError("retry delays must not be negative", hint="give 0 or more seconds")

    def backoff(self, retry: int, fraction: float) -> float:
        """Seconds to wait before retry number ``retry`` (1-based); ``fraction`` in [0, 1)."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** max(0, retry - 1))
        return ceiling * fraction if self.jitter else ceiling

    def delay(self, retry: int, retry_after: float | None, fraction: float) -> float:
        """The wait before retry ``retry``: ``Retry-After`` (capped) when given, else backoff."""
        if retry_after is not None:
            return min(max(0.0, retry_after), self.retry_after_cap)
        return self.backoff(retry, fraction)
