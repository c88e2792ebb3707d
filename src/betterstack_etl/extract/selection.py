"""The run's monitors: one listing of the account, checked against ``MONITOR_ID``.

A listed monitor that breaks the contract (an id that is not digits, a field of the wrong type)
is left out of the run and named; the others load (SPEC §13). An id of ``MONITOR_ID`` the
listing does not hold (a monitor deleted at Better Stack, a typo) is left out of the run and
named in one warning (a few named, the rest counted); the others load. The listing's ``Date``
header is the API's clock: ours must agree with it before anything is stamped.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from betterstack_etl.clock import check_skew
from betterstack_etl.errors import ConfigError, ContractError, NotFoundError, name_a_few
from betterstack_etl.literal import visible

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from betterstack_etl.api import BetterStackClient

__all__ = ["GoneMonitors", "Selection", "missing_monitors", "resolve_monitors"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Selection:
    """The monitors of a run, how many the token sees (to plan the incidents walk), the
    listing itself (the monitors table is made from it: no extra request), the run's
    monitors the listing showed breaking the contract (left out, one message each), and the
    ids of ``MONITOR_ID`` it does not hold (left out, said once)."""

    ids: tuple[str, ...]
    visible: int
    everything: bool = False  # MONITOR_ID=all: keep heartbeat incidents too
    listing: tuple[dict[str, Any], ...] = field(default=(), repr=False, compare=False)
    listed_at: datetime | None = None
    refused: tuple[str, ...] = ()
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
    checked against the account in one listing.

    A listed monitor that breaks the contract (an id that is not digits, a field of the wrong
    type) is left out of the run, named in ``refused``; ids the listing does not hold (a
    monitor deleted at Better Stack, a typo) are left out, named in ``missing`` and in one
    warning; the others load. Nothing to load fails before any load; so does a clock more
    than ``clock.MAX_SKEW`` off the API's (its ``Date`` header on the listing)."""
    pages = list(client.iter_monitor_pages())
    if pages:  # our clock against the API's, before anything is stamped with it
        check_skew(pages[0].fetched_at, pages[0].server_time)
    listed = tuple(m for page in pages for m in page.resources)
    listed_at = pages[-1].fetched_at if pages else None
    refused: list[tuple[Any, str]] = []
    listing = listed
    if listed and listed_at is not None:
        # here, not above: the run's first request waits for no pyarrow (issue 24)
        from betterstack_etl.extract.transform import monitor_rows, skipping_bad_records

        checked = skipping_bad_records(monitor_rows, listed, extracted_at=listed_at, run_id="")
        listing = tuple(dict(m) for m in checked.kept)
        refused = checked.refused
    usable = [str(m["id"]) for m in listing]
    missing: tuple[str, ...] = ()
    if wanted != "all":
        shown = set(usable) | {str(m.get("id")) for m, _ in refused}
        missing = tuple(m for m in wanted if m not in shown)
        asked = set(wanted)
        refused = [(m, why) for m, why in refused if str(m.get("id")) in asked]
    known = set(usable)
    ids = tuple(usable) if wanted == "all" else tuple(m for m in wanted if m in known)
    if not ids:
        if refused:
            raise ContractError(
                f"every monitor of the run breaks the API contract: {refused[0][1]}",
                endpoint="/api/v2/monitors",
                hint="nothing can be loaded for such a monitor; report it to Better Stack",
            )
        if missing:
            raise ConfigError(
                f"monitor(s) {name_a_few(missing)} not found for this token", hint=_MISSING_HINT
            )
        raise ConfigError(
            "the token sees no monitors",
            hint="check that BETTERSTACK_TOKEN belongs to the team that owns the monitors",
        )
    if missing:
        log.warning("%s: skipped, the others load — %s", missing_monitors(missing), _MISSING_HINT)
    reasons = tuple(why for _, why in refused)
    for why in reasons:
        log.warning("monitor listing: left out of the run: %s", visible(why))
    return Selection(ids, len(listed), wanted == "all", listing, listed_at, reasons, missing)


class GoneMonitors:
    """Whether a monitor whose route answered 404 is gone (deleted at Better Stack during the
    run): its own resource answering 404 too says so. Asked once per monitor."""

    def __init__(self, client: BetterStackClient) -> None:
        self._client = client
        self._known: dict[str, bool] = {}
        self._lock = threading.Lock()

    def __call__(self, monitor_id: str) -> bool:
        with self._lock:
            known = self._known.get(monitor_id)
        if known is not None:
            return known
        try:
            self._client.get_monitor(monitor_id)
            gone = False
        except NotFoundError:
            gone = True
        with self._lock:
            self._known[monitor_id] = gone
        return gone


def missing_monitors(missing: Sequence[str]) -> str:
    """One line for ids of MONITOR_ID the account does not list (a few named, the rest counted)."""
    return f"MONITOR_ID {name_a_few(missing)} not found for this token (deleted?)"
