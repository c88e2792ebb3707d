"""The two lake flavours behave alike (issue 18: one implementation per idea) and stay whole
(SPEC §3, §10; issues 19 and 25): every test runs on the local folder and on the GCS lake
(fake-gcs-server), and after each fault the lake is compared with a clean one built without
it: the same rows, read by the lake and by a plain glob reader of the files."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from google.cloud import storage

from betterstack_etl.errors import ConcurrentWriteError
from betterstack_etl.gcp.storage import GcsLake
from betterstack_etl.lake import LocalLake
from betterstack_etl.lake import local as local_module
from betterstack_etl.lake.base import Lake as LakeCore
from betterstack_etl.lake.layout import is_data_file, parse_partition_dir
from betterstack_etl.tables import INCIDENTS, PARTITION_COLUMN, RESPONSE_TIMES, TABLES, TableSpec

DAY = date(2026, 3, 1)
T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def no_sleep(_: float) -> None:
    return None


class Flavour:
    """A lake of one flavour, raw access to its files (to inject faults), and clean lakes.

    ``before_read`` hooks run before the lake reads one of its data files and
    ``after_read`` ones after (however it ended), with the file's name relative to the lake
    root: a fault injected at the lowest level, the same for both flavours (and for the code
    before them)."""

    name: str

    def __init__(self) -> None:
        self.before_read: list[Callable[[str], None]] = []
        self.after_read: list[Callable[[str], None]] = []

    @contextmanager
    def _reading(self, relative: str) -> Iterator[None]:
        for hook in list(self.before_read):
            hook(relative)
        try:
            yield
        finally:
            for hook in list(self.after_read):
                hook(relative)

    def lake(self, root: str = "lake") -> LakeCore:
        raise NotImplementedError

    def put(self, root: str, relative: str, data: bytes) -> None:
        raise NotImplementedError

    def get(self, root: str, relative: str) -> bytes:
        raise NotImplementedError

    def remove(self, root: str, relative: str) -> None:
        raise NotImplementedError

    def names(self, root: str, table: str) -> list[str]:
        """Every file under the table's folder, relative to it (hidden ones included)."""
        raise NotImplementedError


class Local(Flavour):
    name = "local"

    def __init__(self, base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        super().__init__()
        self.base = base
        real = local_module._read_file

        def read_file(spec: TableSpec, path: Path, *args: Any, **kwargs: Any) -> pa.Table:
            parts = Path(path).parts
            if "lake" not in parts:
                return real(spec, path, *args, **kwargs)
            with self._reading("/".join(parts[parts.index("lake") + 1 :])):
                return real(spec, path, *args, **kwargs)

        monkeypatch.setattr(local_module, "_read_file", read_file)

    def lake(self, root: str = "lake") -> LocalLake:
        return LocalLake(self.base / root, lock_timeout=5.0, sleep=no_sleep)

    def put(self, root: str, relative: str, data: bytes) -> None:
        path = self.base / root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def get(self, root: str, relative: str) -> bytes:
        return (self.base / root / relative).read_bytes()

    def remove(self, root: str, relative: str) -> None:
        (self.base / root / relative).unlink()

    def names(self, root: str, table: str) -> list[str]:
        folder = self.base / root / table
        return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


class Gcs(Flavour):
    name = "gcs"

    def __init__(self, client: storage.Client, bucket: str) -> None:
        super().__init__()
        self.client = client
        self.bucket = bucket

    def lake(self, root: str = "lake") -> GcsLake:
        hooked = _HookedClient(self.client, self)
        return GcsLake(hooked, f"gs://{self.bucket}/{root}", sleep=no_sleep)  # type: ignore[arg-type]

    def put(self, root: str, relative: str, data: bytes) -> None:
        self.client.bucket(self.bucket).blob(f"{root}/{relative}").upload_from_string(data)

    def get(self, root: str, relative: str) -> bytes:
        blob = self.client.bucket(self.bucket).blob(f"{root}/{relative}")
        data: bytes = blob.download_as_bytes()
        return data

    def remove(self, root: str, relative: str) -> None:
        self.client.bucket(self.bucket).blob(f"{root}/{relative}").delete()

    def names(self, root: str, table: str) -> list[str]:
        prefix = f"{root}/{table}/"
        blobs = self.client.list_blobs(self.bucket, prefix=prefix)
        return sorted(str(b.name).removeprefix(prefix) for b in blobs)


class _HookedClient:
    """A storage.Client whose downloads of data files run the flavour's hooks first."""

    def __init__(self, real: storage.Client, flavour: Gcs) -> None:
        self._real, self._flavour = real, flavour

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def bucket(self, name: str) -> Any:
        real_bucket, flavour = self._real.bucket(name), self._flavour

        class Blob:
            def __init__(self, real: Any) -> None:
                self._real = real

            def __getattr__(self, attr: str) -> Any:
                return getattr(self._real, attr)

            def download_as_bytes(self, **kwargs: Any) -> bytes:
                root, _, relative = str(self._real.name).partition("/")
                if root != "lake" or "/data_particao=" not in relative:
                    return self._real.download_as_bytes(**kwargs)  # type: ignore[no-any-return]
                with flavour._reading(relative):
                    return self._real.download_as_bytes(**kwargs)  # type: ignore[no-any-return]

        class Bucket:
            def __getattr__(self, attr: str) -> Any:
                return getattr(real_bucket, attr)

            def blob(self, blob_name: str) -> Blob:
                return Blob(real_bucket.blob(blob_name))

            def get_blob(self, blob_name: str) -> Any:
                found = real_bucket.get_blob(blob_name)
                return None if found is None else Blob(found)

        return Bucket()


@pytest.fixture(params=["local", "gcs"])
def flavour(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Flavour:
    if request.param == "local":
        return Local(tmp_path, monkeypatch)
    return Gcs(request.getfixturevalue("gcs_client"), request.getfixturevalue("bucket"))


# -- rows -----------------------------------------------------------------------------------


def incident(
    incident_id: str,
    started: datetime,
    *,
    extracted: datetime = T0,
    monitor: str = "1",
    resolved: bool = True,
) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(INCIDENTS.schema.names)
    row.update(
        incident_id=incident_id,
        monitor_id=monitor,
        name="api",
        started_at=started,
        resolved_at=started + timedelta(minutes=5) if resolved else None,
        duration_seconds=300 if resolved else None,
        raw=json.dumps({"id": incident_id}),
        _extracted_at=extracted,
        _run_id=f"run-{extracted:%H%M}",
    )
    return row


def at(day: date, hour: int = 6) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def merge(lake: LakeCore, spec: TableSpec, rows: list[dict[str, Any]]) -> None:
    """Merge rows the way a run does: split by partition, one merge per partition."""
    from betterstack_etl.lake.partitions import split_by_partition

    table = pa.Table.from_pylist(rows, schema=spec.schema)
    for partition, part in split_by_partition(spec, table):
        lake.merge_partition(spec, partition, part)


def rt(monitor: str, minutes: range, extracted: datetime = T0) -> list[dict[str, Any]]:
    return [
        {"monitor_id": monitor, "region": region, "at": T0 + timedelta(minutes=m),
         "response_time": 0.1 + m / 1000, "_extracted_at": extracted, "_run_id": "r"}
        for m in minutes
        for region in ("us", "eu")
    ]  # fmt: skip


def lake_rows(lake: LakeCore, spec: TableSpec) -> list[tuple[Any, ...]]:
    """Every row of the table as the lake reads it, with its partition, sorted."""
    columns = [*spec.columns, PARTITION_COLUMN]
    parts = list(lake.scan(spec, columns))
    return sorted(tuple(r.values()) for t in parts for r in t.to_pylist())


def glob_rows(flavour: Flavour, root: str, spec: TableSpec) -> list[tuple[Any, ...]]:
    """Every row of every file a glob reader (BigQuery, DuckDB) takes: our names in valid
    partition folders, each file read on its own."""
    found = []
    for name in flavour.names(root, spec.name):
        folder, _, file = name.partition("/")
        day = parse_partition_dir(folder)
        if day is None or not is_data_file(file):
            continue
        table = pq.read_table(io.BytesIO(flavour.get(root, f"{spec.name}/{name}")))
        found += [(*(r[c] for c in spec.columns), day) for r in table.to_pylist()]
    return sorted(found)


def assert_like_clean(flavour: Flavour, root: str, clean: str) -> None:
    """The lake holds the rows of a clean lake built without the fault, read by the lake
    and read file by file (no key twice, nothing missing)."""
    lake, reference = flavour.lake(root), flavour.lake(clean)
    for spec in TABLES:
        assert lake_rows(lake, spec) == lake_rows(reference, spec), spec.name
        assert glob_rows(flavour, root, spec) == glob_rows(flavour, clean, spec), spec.name


# -- issue 18: one implementation, one behaviour ---------------------------------------------


def test_a_file_that_keeps_changing_is_the_same_error_in_both_flavours(
    flavour: Flavour,
) -> None:
    """Issue 18: every read of the partition's file finds it gone (another writer moved it
    away just before, and it is back just after): both flavours retry, then raise the same
    ConcurrentWriteError (the local one used to leak its internal FileChanged)."""
    merge(flavour.lake(), INCIDENTS, [incident("i1", at(DAY))])
    moved: list[str] = []

    def vanish(relative: str) -> None:
        data = flavour.get("lake", relative)
        flavour.remove("lake", relative)
        moved.append(relative)
        pending.append((relative, data))

    pending: list[tuple[str, bytes]] = []

    def put_back(_: str) -> None:
        while pending:
            flavour.put("lake", *pending.pop())

    flavour.before_read.append(vanish)
    flavour.after_read.append(put_back)
    lake = flavour.lake()
    with pytest.raises(ConcurrentWriteError) as read:
        lake.read_partition(INCIDENTS, DAY)
    assert str(read.value).startswith(f"{INCIDENTS.name} partition {DAY} kept changing")
    with pytest.raises(ConcurrentWriteError) as scan:
        list(lake.scan(INCIDENTS, ["incident_id"]))
    assert str(scan.value) == str(read.value)
    with pytest.raises(ConcurrentWriteError):
        merge(lake, INCIDENTS, [incident("i1", at(DAY), extracted=T0 + timedelta(hours=1))])
    assert len(moved) >= 10  # the reads retried
    flavour.before_read.clear()
    flavour.after_read.clear()
    merge(flavour.lake("clean"), INCIDENTS, [incident("i1", at(DAY))])
    assert_like_clean(flavour, "lake", "clean")  # nothing lost, nothing written twice


def test_a_legacy_file_gone_under_a_merge_is_read_again_in_both_flavours(
    flavour: Flavour,
) -> None:
    """The head of the merge (the legacy file, read before any bucket is written) retries
    like the rest: a migration another writer finished meanwhile is no error."""
    legacy = pa.Table.from_pylist(rt("1", range(3)) + rt("2", range(3)), RESPONSE_TIMES.schema)
    folder = f"{RESPONSE_TIMES.name}/data_particao={DAY}"
    sink = io.BytesIO()
    pq.write_table(legacy, sink)
    for root in ("lake", "scratch"):
        flavour.put(root, f"{folder}/data.parquet", sink.getvalue())
    merge(flavour.lake("scratch"), RESPONSE_TIMES, rt("1", range(3)))  # what the other does
    migrated = [n for n in flavour.names("scratch", RESPONSE_TIMES.name) if is_data_file(n[-12:])]
    calls: list[str] = []

    def finish_it(relative: str) -> None:
        if relative.endswith("/data.parquet") and not calls:
            calls.append(relative)  # the other writer finishes the migration now
            for name in migrated:
                data = flavour.get("scratch", f"{RESPONSE_TIMES.name}/{name}")
                flavour.put("lake", f"{RESPONSE_TIMES.name}/{name}", data)
            flavour.remove("lake", f"{folder}/data.parquet")

    flavour.before_read.append(finish_it)
    lake = flavour.lake()
    later = T0 + timedelta(hours=1)
    merge(lake, RESPONSE_TIMES, rt("1", range(2, 5), later))
    merge(flavour.lake("clean"), RESPONSE_TIMES, rt("1", range(3)) + rt("2", range(3)))
    merge(flavour.lake("clean"), RESPONSE_TIMES, rt("1", range(2, 5), later))
    assert calls == [f"{folder}/data.parquet"]
    assert_like_clean(flavour, "lake", "clean")


# -- issue 19 item 8: a key is unique in the whole table ------------------------------------

LATER = T0 + timedelta(hours=1)


def test_an_incident_corrected_into_another_day_replaces_its_old_row(flavour: Flavour) -> None:
    lake = flavour.lake()
    merge(lake, INCIDENTS, [incident("i1", at(DAY)), incident("i2", at(DAY))])
    moved = incident("i1", at(DAY + timedelta(days=1)), extracted=LATER)  # start corrected
    merge(lake, INCIDENTS, [moved])
    assert lake.read_partition(INCIDENTS, DAY).column("incident_id").to_pylist() == ["i2"]  # type: ignore[union-attr]
    merge(flavour.lake("clean"), INCIDENTS, [incident("i2", at(DAY)), moved])
    assert_like_clean(flavour, "lake", "clean")


def test_an_incident_moved_to_another_monitor_and_day_replaces_its_old_row(
    flavour: Flavour,
) -> None:
    lake = flavour.lake()
    merge(lake, INCIDENTS, [incident("i1", at(DAY), monitor="1", resolved=False)])
    assert lake.open_keys(INCIDENTS, ["1"], DAY + timedelta(days=9)) == ["i1"]
    moved = incident("i1", at(DAY - timedelta(days=1), 23), extracted=LATER, monitor="2")
    merge(lake, INCIDENTS, [moved])
    merge(flavour.lake("clean"), INCIDENTS, [moved])
    assert_like_clean(flavour, "lake", "clean")
    assert lake.open_keys(INCIDENTS, None, DAY + timedelta(days=9)) == []


def test_an_older_extraction_of_a_moved_row_does_not_bring_it_back(flavour: Flavour) -> None:
    """The newest extraction wins across partitions too: a late merge of the row as it was
    (an older extraction, in its old day) removes itself, not the newer row."""
    lake = flavour.lake()
    new = incident("i1", at(DAY + timedelta(days=1)), extracted=LATER)
    merge(lake, INCIDENTS, [new])
    merge(lake, INCIDENTS, [incident("i1", at(DAY), extracted=T0)])  # a slow run lands late
    merge(flavour.lake("clean"), INCIDENTS, [new])
    assert_like_clean(flavour, "lake", "clean")


def test_a_move_cut_short_is_settled_by_the_next_merge_or_repair(
    flavour: Flavour, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = flavour.lake()
    merge(lake, INCIDENTS, [incident("i1", at(DAY)), incident("i2", at(DAY))])
    moved = [incident(i, at(DAY + timedelta(days=1)), extracted=LATER) for i in ("i1", "i2")]
    with monkeypatch.context() as patch:  # killed after the new row landed, before the old went
        patch.setattr(type(lake), "_settle", lambda *a, **k: 0)
        merge(lake, INCIDENTS, moved[:1])
        merge(lake, INCIDENTS, moved[1:])
    assert len(glob_rows(flavour, "lake", INCIDENTS)) == 4  # each key twice
    merge(flavour.lake("clean"), INCIDENTS, moved)
    merge(lake, INCIDENTS, [incident("i3", at(DAY + timedelta(days=5)))])  # any later merge
    merge(flavour.lake("clean"), INCIDENTS, [incident("i3", at(DAY + timedelta(days=5)))])
    assert_like_clean(flavour, "lake", "clean")


def test_duplicates_of_a_lake_older_than_the_key_index_are_settled(flavour: Flavour) -> None:
    """A lake written before the index holds the same key in two partitions: the index is
    built from the partitions at the first merge, which settles them; ``settle_keys``
    (repair) does the same without a merge."""
    old = incident("i1", at(DAY))
    new = incident("i1", at(DAY + timedelta(days=2)), extracted=LATER)
    for root in ("lake", "other"):
        for row in (old, new):  # each merge alone, as the code before the index did
            table = pa.Table.from_pylist([row], schema=INCIDENTS.schema)
            sink = io.BytesIO()
            pq.write_table(table, sink)
            day = row["started_at"].date()
            flavour.put(root, f"{INCIDENTS.name}/data_particao={day}/data.parquet", sink.getvalue())
    merge(flavour.lake("clean"), INCIDENTS, [new])
    assert flavour.lake("other").settle_keys([INCIDENTS]) == 1
    assert_like_clean(flavour, "other", "clean")
    merge(flavour.lake(), INCIDENTS, [incident("i9", at(DAY + timedelta(days=7)))])
    merge(flavour.lake("clean"), INCIDENTS, [incident("i9", at(DAY + timedelta(days=7)))])
    assert_like_clean(flavour, "lake", "clean")


# -- issue 19 item 14: a migration cut short is finished ------------------------------------


def test_an_interrupted_migration_is_found_and_finished(flavour: Flavour) -> None:
    legacy = pa.Table.from_pylist(
        [r for m in ("1", "2", "3", "4") for r in rt(m, range(3))], RESPONSE_TIMES.schema
    )
    folder = f"{RESPONSE_TIMES.name}/data_particao={DAY}"
    sink = io.BytesIO()
    pq.write_table(legacy, sink)
    flavour.put("lake", f"{folder}/data.parquet", sink.getvalue())
    lake = flavour.lake()
    real_store = lake._partition_store  # type: ignore[attr-defined]

    def killed_after_one_bucket(spec: TableSpec, partition: date) -> Any:
        inner = real_store(spec, partition)
        real_write = inner.write

        def write(name: str, table: pa.Table, replacing: Any) -> None:
            real_write(name, table, replacing)
            raise KeyboardInterrupt  # the run is killed right after its first new file

        inner.write = write
        return inner

    lake._partition_store = killed_after_one_bucket  # type: ignore[attr-defined]
    with pytest.raises(KeyboardInterrupt):
        merge(lake, RESPONSE_TIMES, rt("2", range(3, 4), T0 + timedelta(hours=1)))
    names = [n for n in flavour.names("lake", RESPONSE_TIMES.name) if not n.startswith(".")]
    assert len(names) == 2  # cut short: the legacy file and one bucket
    assert f"data_particao={DAY}/data.parquet" in names
    assert len(glob_rows(flavour, "lake", RESPONSE_TIMES)) > 14  # a glob reader counts twice

    lake = flavour.lake()
    assert [p.kind for p in lake.verify([RESPONSE_TIMES])] == ["migration"]
    assert [r.partition for r in lake.finish_migrations([RESPONSE_TIMES])] == [DAY]
    assert lake.verify([RESPONSE_TIMES]) == []
    assert lake.finish_migrations([RESPONSE_TIMES]) == []  # nothing left to finish
    merge(flavour.lake("clean"), RESPONSE_TIMES, [r for m in "1234" for r in rt(m, range(3))])
    [written] = [n.rpartition("/")[2] for n in names if not n.endswith("/data.parquet")]
    if written == bucket_of("2"):  # the killed run's own file was the one it wrote: it landed
        merge(flavour.lake("clean"), RESPONSE_TIMES, rt("2", range(3, 4), T0 + timedelta(hours=1)))
    assert_like_clean(flavour, "lake", "clean")


def bucket_of(monitor: str) -> str:
    """The bucket file of a monitor's response times: blake2b-64 of its id, mod 64, in hex."""
    digest = hashlib.blake2b(monitor.encode(), digest_size=8).digest()
    return f"p{int.from_bytes(digest, 'big') % 64:03x}.parquet"


# -- issue 25 item 8: one repair at a time ---------------------------------------------------


def test_a_second_repair_is_refused_while_one_holds_the_lock(flavour: Flavour) -> None:
    first, second = flavour.lake(), flavour.lake()
    with (
        first.repair_lock(),
        pytest.raises(ConcurrentWriteError, match="another `betterstack-etl repair`"),
        second.repair_lock(),
    ):
        pass
    with second.repair_lock():  # released: the next one may run
        pass


def test_moving_aside_what_another_repair_moved_says_so(flavour: Flavour) -> None:
    from betterstack_etl.errors import StorageError

    lake = flavour.lake()
    merge(lake, INCIDENTS, [incident("i1", at(DAY))])
    good = flavour.get("lake", f"{INCIDENTS.name}/data_particao={DAY}/data.parquet")
    flavour.put("lake", f"{INCIDENTS.name}/data_particao={DAY}/data-backup.parquet", good)
    [problem] = lake.verify([INCIDENTS])
    flavour.lake().quarantine(problem)  # the other repair got there first
    with pytest.raises(StorageError) as moved:
        lake.quarantine(problem)
    assert "kept nowhere else" not in str(moved.value)
    assert "gone" in str(moved.value)


# -- issue 25 item 2: what only the quarantine holds is counted ------------------------------


def test_rows_only_the_quarantine_holds_are_counted(flavour: Flavour) -> None:
    lake = flavour.lake()
    merge(lake, INCIDENTS, [incident("i1", at(DAY)), incident("i2", at(DAY))])
    backup = pa.Table.from_pylist(
        [incident("i1", at(DAY)), incident("i0", at(DAY))], schema=INCIDENTS.schema
    )
    sink = io.BytesIO()
    pq.write_table(backup, sink)
    flavour.put(
        "lake", f"{INCIDENTS.name}/data_particao={DAY}/data-backup.parquet", sink.getvalue()
    )
    [problem] = lake.verify([INCIDENTS])
    where = lake.quarantine(problem)
    aside = lake.read_aside(INCIDENTS, where, ["incident_id", "started_at"])
    assert sorted(aside.column("incident_id").to_pylist()) == ["i0", "i1"]
    assert lake.missing_keys(INCIDENTS, aside) == 1  # i0: nowhere in the lake


# -- issue 19 item 13, issue 25 item 4: the lake's readers take only the layout's names -------


@pytest.mark.parametrize(
    "stray",
    [
        "data_particao=2026-02-30/data.parquet",  # the shape of a date, not a date
        f"data_particao={DAY}/dead.parquet",
        f"data_particao={DAY}/deaf.parquet",
        f"data_particao={DAY}/pate.parquet",
        f"data_particao={DAY}/d00d.parquet",
    ],
)
def test_strays_that_look_like_ours_are_never_read_and_go_aside(
    flavour: Flavour, stray: str
) -> None:
    lake = flavour.lake()
    rows = [incident("i1", at(DAY)), incident("i2", at(DAY))]
    merge(lake, INCIDENTS, rows)
    copy = flavour.get("lake", f"{INCIDENTS.name}/data_particao={DAY}/data.parquet")
    flavour.put("lake", f"{INCIDENTS.name}/{stray}", copy)
    merge(flavour.lake("clean"), INCIDENTS, rows)
    assert lake.partitions(INCIDENTS) == [DAY]
    assert_like_clean(flavour, "lake", "clean")  # read by the lake and by a glob reader
    merge(lake, INCIDENTS, [incident("i3", at(DAY))])  # merges are not disturbed
    merge(flavour.lake("clean"), INCIDENTS, [incident("i3", at(DAY))])
    [problem] = lake.verify([INCIDENTS])
    assert problem.kind == ("bad_folder" if "02-30" in stray else "stray")
    lake.quarantine(problem)
    assert lake.verify([INCIDENTS]) == []
    assert_like_clean(flavour, "lake", "clean")
