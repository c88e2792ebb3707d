"""The run's monitors: one listing of the account, checked against ``MONITOR_ID``.

A listed monitor that breaks the contract (an id that is not digits, a field of the wrong type)
is left out of the run and named; the others load (SPEC §13).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from betterstack_etl.errors import ConfigError, ContractError
from betterstack_etl.extract.transform import monitor_rows, skipping_bad_records
from betterstack_etl.literal import visible

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from betterstack_etl.api import BetterStackClient

__all__ = ["Selection", "resolve_monitors"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Selection:
    """The monitors of a run, how many the token sees (to plan the incidents walk), the
    listing itself (the monitors table is made from it: no extra request), and the run's
    monitors the listing showed breaking the contract (left out, one message each)."""

    ids: tuple[str, ...]
    visible: int
    everything: bool = False  # MONITOR_ID=all: keep heartbeat incidents too
    listing: tuple[dict[str, Any], ...] = field(default=(), repr=False, compare=False)
    listed_at: datetime | None = None
    refused: tuple[str, ...] = ()

    @property
    def walk_account(self) -> bool:
        """One account-wide incidents walk (filtered here) costs fewer requests than one walk
        per monitor once the run covers at least half of the account's monitors."""
        return self.everything or 2 * len(self.ids) >= self.visible


def resolve_monitors(client: BetterStackClient, wanted: Sequence[str] | str) -> Selection:
    """The monitor ids to load: every monitor the token sees for ``all``, else the given ids,
    checked against the account in one listing so an unknown id fails before any load.

    A listed monitor that breaks the contract (an id that is not digits, a field of the wrong
    type) is left out of the run, named in ``refused``; the others load (SPEC §13)."""
    pages = list(client.iter_monitor_pages())
    listed = tuple(m for page in pages for m in page.resources)
    listed_at = pages[-1].fetched_at if pages else None
    refused: list[tuple[Any, str]] = []
    listing = listed
    if listed and listed_at is not None:
        checked = skipping_bad_records(monitor_rows, listed, extracted_at=listed_at, run_id="")
        listing = tuple(dict(m) for m in checked.kept)
        refused = checked.refused
    usable = [str(m["id"]) for m in listing]
    if wanted != "all":
        shown = set(usable) | {str(m.get("id")) for m, _ in refused}
        unknown = [m for m in wanted if m not in shown]
        if unknown:
            raise ConfigError(
                f"monitor(s) {', '.join(unknown)} not found for this token",
                hint="check MONITOR_ID against the monitors listed in Better Stack "
                "(or use MONITOR_ID=all)",
            )
        refused = [(m, why) for m, why in refused if str(m.get("id")) in set(wanted)]
    ids = tuple(usable) if wanted == "all" else tuple(m for m in wanted if m in set(usable))
    if not ids:
        if refused:
            raise ContractError(
                f"every monitor of the run breaks the API contract: {refused[0][1]}",
                endpoint="/api/v2/monitors",
                hint="nothing can be loaded for such a monitor; report it to Better Stack",
            )
        raise ConfigError(
            "the token sees no monitors",
            hint="check that BETTERSTACK_TOKEN belongs to the team that owns the monitors",
        )
    reasons = tuple(why for _, why in refused)
    for why in reasons:
        log.warning("monitor listing: left out of the run: %s", visible(why))
    return Selection(ids, len(listed), wanted == "all", listing, listed_at, reasons)
