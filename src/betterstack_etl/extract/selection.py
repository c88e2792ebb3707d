"""The run's monitors: one listing of the account, checked against ``MONITOR_ID``.

An id of ``MONITOR_ID`` the listing does not hold (a monitor deleted at Better Stack, a typo) is
left out of the run and named in one warning (a few named, the rest counted); the others load.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from betterstack_etl.clock import check_skew
from betterstack_etl.errors import ConfigError, name_a_few

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from betterstack_etl.api import BetterStackClient

__all__ = ["Selection", "missing_monitors", "resolve_monitors"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Selection:
    """The monitors of a run, how many the token sees (to plan the incidents walk), and the
    listing itself (the monitors table is made from it: no extra request)."""

    ids: tuple[str, ...]
    visible: int
    everything: bool = False  # MONITOR_ID=all: keep heartbeat incidents too
    listing: tuple[dict[str, Any], ...] = field(default=(), repr=False, compare=False)
    listed_at: datetime | None = None
    missing: tuple[str, ...] = ()  # ids of MONITOR_ID the listing does not hold (deleted?)

    @property
    def walk_account(self) -> bool:
        """One account-wide incidents walk (filtered here) costs fewer requests than one walk
        per monitor once the run covers at least half of the account's monitors."""
        return self.everything or 2 * len(self.ids) >= self.visible


_MISSING_HINT: Final = (
    "check MONITOR_ID against the monitors listed in Better Stack (a deleted monitor is no "
    "longer listed), or use MONITOR_ID=all"
)


def resolve_monitors(client: BetterStackClient, wanted: Sequence[str] | str) -> Selection:
    """The monitor ids to load: every monitor the token sees for ``all``, else the given ids,
    checked against the account in one listing. Ids the listing does not hold (a monitor
    deleted at Better Stack, a typo) are left out, named in ``missing`` and in one warning;
    the others load. None of them listed fails before any load; so does a clock more than
    ``clock.MAX_SKEW`` off the API's (its ``Date`` header on the listing)."""
    pages = list(client.iter_monitor_pages())
    if pages:  # our clock against the API's, before anything is stamped with it
        check_skew(pages[0].fetched_at, pages[0].server_time)
    listing = tuple(m for page in pages for m in page.resources)
    listed_at = pages[-1].fetched_at if pages else None
    visible = [str(m["id"]) for m in listing]
    if wanted == "all":
        if not visible:
            raise ConfigError(
                "the token sees no monitors",
                hint="check that BETTERSTACK_TOKEN belongs to the team that owns the monitors",
            )
        return Selection(tuple(visible), len(visible), True, listing, listed_at)
    known = set(visible)
    found = tuple(m for m in wanted if m in known)
    missing = tuple(m for m in wanted if m not in known)
    if not found:
        raise ConfigError(
            f"monitor(s) {name_a_few(missing)} not found for this token", hint=_MISSING_HINT
        )
    if missing:
        log.warning("%s: skipped, the others load — %s", missing_monitors(missing), _MISSING_HINT)
    return Selection(found, len(visible), False, listing, listed_at, missing)


def missing_monitors(missing: Sequence[str]) -> str:
    """One line for ids of MONITOR_ID the account does not list (a few named, the rest counted)."""
    return f"MONITOR_ID {name_a_few(missing)} not found for this token (deleted?)"
