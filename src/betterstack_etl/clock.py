"""The pipeline's clock: one place to read "now" (UTC), so tests can move it with the simulator,
and the check that it agrees with the API's own clock before anything is stamped with it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

from betterstack_etl.errors import ConfigError

__all__ = ["MAX_SKEW", "check_skew", "utcnow"]

# Beyond this, rows stamped with our clock would wrongly win (or lose) against the extractions
# of other runs: the newest ``_extracted_at`` wins a merge. Far above a network's latency plus
# the ``Date`` header's one-second resolution, far below the hour between two runs.
MAX_SKEW: Final = timedelta(minutes=5)


def utcnow() -> datetime:
    """Now, timezone-aware UTC. Tests monkeypatch this to follow the simulator's clock."""
    return datetime.now(UTC)


def _span(delta: timedelta) -> str:
    seconds = int(abs(delta).total_seconds())
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    parts = [f"{days} d"] if days else []
    parts += [f"{hours} h"] if hours else []
    parts += [f"{minutes} min"] if minutes or not parts else []
    return " ".join(parts)


def check_skew(local: datetime, server: datetime | None) -> None:
    """Refuse to go on when our clock (``local``, read when an answer arrived) is more than
    ``MAX_SKEW`` off the API's (``server``, its ``Date`` header; None: nothing to compare).

    A clock a day fast stamps ``_extracted_at`` a day ahead, and since the newest extraction
    wins, every real extraction of the next day would lose to those rows (an incident resolved
    at the API staying open in the lake); a clock a day slow loses every merge."""
    if server is None:
        return
    skew = local - server
    if abs(skew) <= MAX_SKEW:
        return
    ahead = skew > timedelta(0)
    effect = "win over" if ahead else "lose to"
    raise ConfigError(
        f"this machine's clock is {_span(skew)} {'ahead of' if ahead else 'behind'} the Better "
        f"Stack API's (here {local.astimezone(UTC):%Y-%m-%d %H:%M:%S}Z, the API's Date "
        f"{server.astimezone(UTC):%Y-%m-%d %H:%M:%S}Z): rows stamped with it would {effect} "
        "other runs' extractions, so no data was fetched",
        hint="set the clock right (NTP: `timedatectl set-ntp true`, or the host's clock for a "
        "container) and run again",
    )
