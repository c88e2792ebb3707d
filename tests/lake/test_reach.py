"""How far each incidents partition reaches (``_state/<table>.reach.parquet``, issue 24): kept
by the merge, rebuilt when missing, never earlier than the partition's latest resolution."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from betterstack_etl.lake import LocalLake
from betterstack_etl.lake.openindex import index_name
from betterstack_etl.lake.reach import reach_name, reaching
from betterstack_etl.tables import INCIDENTS

JULY = date(2024, 7, 10)
NOVEMBER = date(2024, 11, 1)


def _incident(b, incident_id: str, day: date, resolved: datetime | None) -> pa.Table:
    started = datetime(day.year, day.month, day.day, 6, tzinfo=UTC)
    rows = b.incidents([incident_id], started, resolved=True)
    ends = pa.array([resolved], INCIDENTS.schema.field("resolved_at").type)
    return rows.set_column(rows.schema.get_field_index("resolved_at"), "resolved_at", ends)


def _state(lake: LocalLake) -> tuple[pa.Table, pa.Table]:
    folder = Path(lake.root) / "_state"
    return pq.read_table(folder / reach_name(INCIDENTS)), pq.read_table(
        folder / index_name(INCIDENTS)
    )


def _reaching(lake: LocalLake, since: date) -> list[date]:
    return reaching(INCIDENTS, *_state(lake), since)


def _history(lake: LocalLake, b) -> None:
    """Short incidents every day of October (resolved the same day) and one begun in July."""
    for n in range(31):
        day = date(2024, 10, 1) + timedelta(days=n)
        ended = datetime(day.year, day.month, day.day, 7, tzinfo=UTC)
        lake.merge_partition(INCIDENTS, day, _incident(b, f"s{n}", day, ended))
    lake.merge_partition(INCIDENTS, JULY, _incident(b, "long", JULY, None))


def test_an_incident_begun_months_before_is_named_while_open_and_once_resolved_in_it(
    lake: LocalLake, b
) -> None:
    _history(lake, b)
    # open: the open-rows index names July; no October day reaches November
    assert _reaching(lake, NOVEMBER) == [JULY]
    # resolved on 3 November (a later run merges it): the summary names July
    later = _incident(b, "long", JULY, datetime(2024, 11, 3, tzinfo=UTC))
    later = later.set_column(
        later.schema.get_field_index("_extracted_at"),
        "_extracted_at",
        pa.array([b.T0 + timedelta(days=300)], INCIDENTS.schema.field("_extracted_at").type),
    )
    lake.merge_partition(INCIDENTS, JULY, later)
    reach, open_rows = _state(lake)
    assert open_rows.num_rows == 0  # no longer open
    assert _reaching(lake, NOVEMBER) == [JULY]
    assert _reaching(lake, date(2024, 11, 4)) == []  # ended before that day began
    assert _reaching(lake, date(2024, 10, 15)) == [JULY]
    # an October day reaches its own next day only
    assert _reaching(lake, date(2024, 10, 10)) == [JULY]
    assert reach.num_rows == 32


def test_a_missing_summary_is_rebuilt_from_the_partitions(lake: LocalLake, b) -> None:
    _history(lake, b)
    late = _incident(b, "late", date(2024, 8, 1), datetime(2024, 11, 2, tzinfo=UTC))
    lake.merge_partition(INCIDENTS, date(2024, 8, 1), late)
    path = Path(lake.root) / "_state" / reach_name(INCIDENTS)
    kept = pq.read_table(path)
    path.unlink()
    # the next merge (of anything) finds it missing and rebuilds it from every partition
    day = date(2024, 10, 31)
    lake.merge_partition(INCIDENTS, day, _incident(b, "x", day, None))
    assert pq.read_table(path).equals(kept)
    assert _reaching(lake, NOVEMBER) == [JULY, date(2024, 8, 1), day]
    path.write_bytes(b"not parquet")
    lake.rebuild_indexes([INCIDENTS])
    assert pq.read_table(path).equals(kept)


def test_a_partition_never_reaches_less_than_it_did(lake: LocalLake, b) -> None:
    """A resolution corrected earlier leaves the larger reach (one more partition read, never
    one missed)."""
    day = date(2024, 8, 1)
    lake.merge_partition(INCIDENTS, day, _incident(b, "i", day, datetime(2024, 11, 2, tzinfo=UTC)))
    fixed = _incident(b, "i", day, datetime(2024, 8, 2, tzinfo=UTC))
    fixed = fixed.set_column(
        fixed.schema.get_field_index("_extracted_at"),
        "_extracted_at",
        pa.array([b.T0 + timedelta(days=300)], INCIDENTS.schema.field("_extracted_at").type),
    )
    lake.merge_partition(INCIDENTS, day, fixed)
    assert _reaching(lake, NOVEMBER) == [day]
