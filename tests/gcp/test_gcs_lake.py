"""GcsLake against fake-gcs-server, through the real google-cloud-storage client."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exc
from google.cloud import storage

from betterstack_etl.errors import (
    ConcurrentWriteError,
    ConfigError,
    DamagedFileError,
    StorageError,
    is_retryable,
)
from betterstack_etl.gcp.location import parse_gcs_root
from betterstack_etl.gcp.storage import GcsLake, google_errors
from betterstack_etl.lake.base import Lake
from betterstack_etl.tables import DAILY_SLA, RESPONSE_TIMES, TableSpec

from .conftest import PreconditionClient

DAY = date(2026, 3, 1)
# the file of monitor "1"'s response times: bucket blake2b-64("1") mod 64, in hex
RT_FILE = (
    f"p{int.from_bytes(hashlib.blake2b(b'1', digest_size=8).digest(), 'big') % 64:03x}.parquet"
)
T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def rt_rows(*points: tuple[str, int, float, datetime]) -> pa.Table:
    """Response-time rows: (region, minute of DAY 10:00, response_time, extracted_at)."""
    return pa.Table.from_pylist(
        [
            {
                "monitor_id": "1",
                "region": region,
                "at": T0 + timedelta(minutes=minute),
                "response_time": value,
                "_extracted_at": extracted,
                "_run_id": f"run-{extracted.isoformat()}",
            }
            for region, minute, value, extracted in points
        ],
        schema=RESPONSE_TIMES.schema,
    )


def sla_row(day: date, availability: float) -> pa.Table:
    row = {"monitor_id": "1", "date": day, "availability": availability, "is_complete": True,
           "_extracted_at": T0, "_run_id": "r"}  # fmt: skip
    return pa.Table.from_pylist([row], schema=DAILY_SLA.schema)


def names(client: storage.Client, bucket: str) -> list[str]:
    return sorted(b.name for b in client.list_blobs(bucket))


def keys(table: pa.Table, spec: TableSpec) -> list[tuple[Any, ...]]:
    return list(zip(*(table.column(k).to_pylist() for k in spec.key), strict=True))


def no_sleep(_: float) -> None:
    return None


def after_next_listing(client: PreconditionClient, hook: Callable[[], None]) -> None:
    """Run ``hook`` once, right after the next listing (a merge's or a read's first look)."""
    real = client.list_blobs
    pending = [hook]

    def listing(*args: Any, **kwargs: Any) -> list[Any]:
        listed = list(real(*args, **kwargs))
        while pending:
            pending.pop()()
        return listed

    client.list_blobs = listing  # type: ignore[method-assign]


def test_gcs_lake_is_a_lake(gcs_client: storage.Client, bucket: str) -> None:
    lake = GcsLake(gcs_client, f"gs://{bucket}/raw/")
    assert isinstance(lake, Lake)
    assert lake.root == f"gs://{bucket}/raw"


def test_merge_twice_keeps_one_object_with_unique_keys(
    gcs_client: storage.Client, bucket: str
) -> None:
    lake = GcsLake(gcs_client, f"gs://{bucket}/raw")
    e1, e2 = T0 + timedelta(hours=1), T0 + timedelta(hours=2)
    first = lake.merge_partition(
        RESPONSE_TIMES, DAY, rt_rows(("us", 0, 0.1, e1), ("eu", 0, 0.2, e1), ("us", 0, 0.1, e1))
    )
    second = lake.merge_partition(
        RESPONSE_TIMES, DAY, rt_rows(("us", 0, 0.9, e2), ("us", 5, 0.3, e2))
    )

    assert (first.rows_before, first.rows_incoming, first.rows_after) == (0, 2, 2)
    assert (second.rows_before, second.rows_inserted, second.rows_updated) == (2, 1, 1)
    assert (first.attempts, second.attempts) == (1, 1)
    assert names(gcs_client, bucket) == [
        f"raw/eai_gateway_response_times/data_particao=2026-03-01/{RT_FILE}"
    ]
    table = lake.read_partition(RESPONSE_TIMES, DAY)
    assert table is not None
    assert table.schema == RESPONSE_TIMES.schema
    assert len(set(keys(table, RESPONSE_TIMES))) == table.num_rows == 3
    by_key = {(r["region"], r["at"]): r["response_time"] for r in table.to_pylist()}
    assert by_key[("us", T0)] == 0.9  # the newest extraction won


def test_object_is_zstd_parquet_with_the_exact_schema(
    gcs_client: storage.Client, bucket: str
) -> None:
    lake = GcsLake(gcs_client, f"gs://{bucket}/raw")
    lake.merge_partition(RESPONSE_TIMES, DAY, rt_rows(("us", 0, 0.1, T0)))
    (name,) = names(gcs_client, bucket)
    data = gcs_client.bucket(bucket).blob(name).download_as_bytes()
    parquet = pq.ParquetFile(io.BytesIO(data))
    assert parquet.schema_arrow.remove_metadata() == RESPONSE_TIMES.schema
    assert parquet.metadata.row_group(0).column(0).compression == "ZSTD"


def test_conflicting_write_between_read_and_replace_loses_no_update(
    gcs_client: storage.Client, bucket: str
) -> None:
    client = PreconditionClient(gcs_client, bucket)
    lake = GcsLake(client, f"gs://{bucket}/raw", sleep=no_sleep)  # type: ignore[arg-type]
    other = GcsLake(gcs_client, f"gs://{bucket}/raw")
    lake.merge_partition(RESPONSE_TIMES, DAY, rt_rows(("us", 0, 0.1, T0)))

    def concurrent_writer(_: str) -> None:  # runs after our read, before our replace
        other.merge_partition(RESPONSE_TIMES, DAY, rt_rows(("eu", 1, 0.5, T0)))

    client.on_download = concurrent_writer
    result = lake.merge_partition(RESPONSE_TIMES, DAY, rt_rows(("ap", 2, 0.7, T0)))

    assert client.preconditions_failed == 1
    assert result.attempts == 2
    assert (result.rows_before, result.rows_after) == (2, 3)
    table = lake.read_partition(RESPONSE_TIMES, DAY)
    assert table is not None
    assert sorted(table.column("region").to_pylist()) == ["ap", "eu", "us"]


def test_a_writer_that_keeps_winning_ends_in_concurrent_write_error(
    gcs_client: storage.Client, bucket: str
) -> None:
    client = PreconditionClient(gcs_client, bucket)
    lake = GcsLake(client, f"gs://{bucket}/raw", max_attempts=3, sleep=no_sleep)  # type: ignore[arg-type]
    other = GcsLake(gcs_client, f"gs://{bucket}/raw")
    minutes = iter(range(100))

    def always_write(_: str) -> None:
        other.merge_partition(RESPONSE_TIMES, DAY, rt_rows(("eu", next(minutes), 0.5, T0)))
        client.on_download = always_write

    client.on_download = always_write
    lake.merge_partition(RESPONSE_TIMES, DAY, rt_rows(("us", 0, 0.1, T0)))  # first: no object
    with pytest.raises(ConcurrentWriteError, match="3 merge attempts"):
        lake.merge_partition(RESPONSE_TIMES, DAY, rt_rows(("ap", 2, 0.7, T0)))
    assert client.preconditions_failed == 3
    table = lake.read_partition(RESPONSE_TIMES, DAY)
    assert table is not None
    assert "ap" not in table.column("region").to_pylist()


def test_creating_a_partition_is_conditional_too(gcs_client: storage.Client, bucket: str) -> None:
    client = PreconditionClient(gcs_client, bucket)
    lake = GcsLake(client, f"gs://{bucket}/raw", sleep=no_sleep)  # type: ignore[arg-type]
    other = GcsLake(gcs_client, f"gs://{bucket}/raw")

    def another_run_creates_it() -> None:  # we saw no object; now there is one
        other.merge_partition(RESPONSE_TIMES, DAY, rt_rows(("eu", 1, 0.5, T0)))

    after_next_listing(client, another_run_creates_it)
    result = lake.merge_partition(RESPONSE_TIMES, DAY, rt_rows(("us", 0, 0.1, T0)))

    assert (client.preconditions_failed, result.attempts) == (1, 2)
    table = lake.read_partition(RESPONSE_TIMES, DAY)
    assert table is not None
    assert sorted(table.column("region").to_pylist()) == ["eu", "us"]


def test_an_object_replaced_between_listing_and_download_is_read_again(
    gcs_client: storage.Client, bucket: str
) -> None:
    client = PreconditionClient(gcs_client, bucket)
    lake = GcsLake(client, f"gs://{bucket}/raw", sleep=no_sleep)  # type: ignore[arg-type]
    other = GcsLake(gcs_client, f"gs://{bucket}/raw")
    lake.merge_partition(RESPONSE_TIMES, DAY, rt_rows(("us", 0, 0.1, T0)))

    def replace_it() -> None:
        other.merge_partition(RESPONSE_TIMES, DAY, rt_rows(("eu", 1, 0.5, T0)))

    after_next_listing(client, replace_it)
    table = lake.read_partition(RESPONSE_TIMES, DAY)
    assert client.preconditions_failed == 1  # the stale download was refused, then re-read
    assert table is not None
    assert sorted(table.column("region").to_pylist()) == ["eu", "us"]


def test_empty_incoming_on_a_missing_partition_writes_nothing(
    gcs_client: storage.Client, bucket: str
) -> None:
    lake = GcsLake(gcs_client, f"gs://{bucket}/raw")
    result = lake.merge_partition(RESPONSE_TIMES, DAY, RESPONSE_TIMES.schema.empty_table())
    assert (result.rows_before, result.rows_after) == (0, 0)
    assert names(gcs_client, bucket) == []
    assert lake.read_partition(RESPONSE_TIMES, DAY) is None
    assert lake.partitions(RESPONSE_TIMES) == []


def test_empty_incoming_leaves_an_existing_partition_untouched(
    gcs_client: storage.Client, bucket: str
) -> None:
    lake = GcsLake(gcs_client, f"gs://{bucket}/raw")
    lake.merge_partition(RESPONSE_TIMES, DAY, rt_rows(("us", 0, 0.1, T0)))
    (name,) = names(gcs_client, bucket)
    generation = gcs_client.bucket(bucket).get_blob(name).generation
    result = lake.merge_partition(RESPONSE_TIMES, DAY, RESPONSE_TIMES.schema.empty_table())
    assert (result.rows_before, result.rows_incoming, result.rows_after) == (1, 0, 1)
    assert gcs_client.bucket(bucket).get_blob(name).generation == generation


def test_rows_of_another_partition_are_refused(gcs_client: storage.Client, bucket: str) -> None:
    lake = GcsLake(gcs_client, f"gs://{bucket}/raw")
    with pytest.raises(ValueError, match="other partitions"):
        lake.merge_partition(RESPONSE_TIMES, DAY + timedelta(days=1), rt_rows(("us", 0, 0.1, T0)))


def test_layout_holds_only_partition_objects(gcs_client: storage.Client, bucket: str) -> None:
    lake = GcsLake(gcs_client, f"gs://{bucket}/a/b")
    days = [date(2026, 3, 2), date(2026, 2, 27), date(2026, 3, 1)]
    for day in days:
        lake.merge_partition(DAILY_SLA, day, sla_row(day, 99.5))
        lake.merge_partition(DAILY_SLA, day, sla_row(day, 99.9))
    lake.merge_partition(RESPONSE_TIMES, DAY, rt_rows(("us", 0, 0.1, T0)))

    pattern = re.compile(
        r"^a/b/(eai_gateway_daily_sla|eai_gateway_response_times)"
        r"/data_particao=\d{4}-\d{2}-\d{2}/(data|p[0-9a-f]{3})\.parquet$"
    )
    listed = names(gcs_client, bucket)
    assert len(listed) == 4
    assert all(pattern.match(n) for n in listed)
    assert lake.partitions(DAILY_SLA) == sorted(days)
    assert lake.partitions(RESPONSE_TIMES) == [DAY]


def test_partitions_ignore_foreign_and_hidden_objects(
    gcs_client: storage.Client, bucket: str
) -> None:
    lake = GcsLake(gcs_client, f"gs://{bucket}/raw")
    lake.merge_partition(DAILY_SLA, DAY, sla_row(DAY, 99.0))
    b = gcs_client.bucket(bucket)
    for name in ("data_particao=2026-03-02/_tmp", "data_particao=bad/data.parquet", "x.txt"):
        b.blob(f"raw/eai_gateway_daily_sla/{name}").upload_from_string(b"?")
    b.blob("raw/eai_gateway_daily_sla_v2/data_particao=2026-03-05/data.parquet").upload_from_string(
        b"?"
    )
    assert lake.partitions(DAILY_SLA) == [DAY]


def test_scan_yields_each_partition_with_its_date(gcs_client: storage.Client, bucket: str) -> None:
    lake = GcsLake(gcs_client, f"gs://{bucket}/raw")
    days = [date(2026, 3, 2), date(2026, 3, 1)]
    for day in days:
        lake.merge_partition(DAILY_SLA, day, sla_row(day, 99.0))
    parts = list(lake.scan(DAILY_SLA, ["data_particao", "date", "availability"]))
    assert [p.column_names for p in parts] == [["data_particao", "date", "availability"]] * 2
    assert [p.column("data_particao").to_pylist() for p in parts] == [[d] for d in sorted(days)]
    assert [p.column("date").to_pylist() for p in parts] == [[d] for d in sorted(days)]


def test_publish_delegates_to_the_publisher(gcs_client: storage.Client, bucket: str) -> None:
    published: list[list[str]] = []

    class Recorder:
        def publish(self, specs: Any) -> None:
            published.append([s.name for s in specs])

    lake = GcsLake(gcs_client, f"gs://{bucket}/raw", publisher=Recorder())  # type: ignore[arg-type]
    lake.publish([DAILY_SLA])
    GcsLake(gcs_client, f"gs://{bucket}/raw").publish([DAILY_SLA])  # no publisher: no-op
    assert published == [["eai_gateway_daily_sla"]]


def test_a_damaged_object_is_a_storage_error(gcs_client: storage.Client, bucket: str) -> None:
    lake = GcsLake(gcs_client, f"gs://{bucket}/raw")
    name = "raw/eai_gateway_daily_sla/data_particao=2026-03-01/data.parquet"
    gcs_client.bucket(bucket).blob(name).upload_from_string(b"not parquet")
    with pytest.raises(StorageError, match=f"gs://{bucket}/{name}"):
        lake.read_partition(DAILY_SLA, DAY)


def test_a_missing_bucket_says_to_create_it(gcs_client: storage.Client) -> None:
    lake = GcsLake(gcs_client, "gs://no-such-bucket-here/raw")
    with pytest.raises(ConfigError) as err:
        lake.merge_partition(DAILY_SLA, DAY, sla_row(DAY, 99.0))
    assert "gcloud storage buckets create gs://no-such-bucket-here" in str(err.value)
    with pytest.raises(ConfigError, match="no-such-bucket-here"):
        lake.partitions(DAILY_SLA)


@pytest.mark.parametrize(
    ("root", "bucket", "prefix"),
    [("gs://b-1/raw", "b-1", "raw"), ("gs://b.x_y/a/b/", "b.x_y", "a/b"), ("gs://bkt", "bkt", "")],
)
def test_parse_gcs_root(root: str, bucket: str, prefix: str) -> None:
    location = parse_gcs_root(root)
    assert (location.bucket, location.prefix) == (bucket, prefix)


@pytest.mark.parametrize(
    "root",
    ["./lake", "s3://b/p", "gs://", "gs://B/p", "gs://b/p", "gs://bkt/a//b", "gs://bkt/../x"],
)
def test_malformed_roots_are_config_errors(root: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_gcs_root(root)
    assert err.value.hint is not None
    assert "gs://<bucket>/<prefix>" in err.value.hint


@pytest.mark.parametrize(
    ("error", "kind", "needle"),
    [
        (gexc.Forbidden("denied"), ConfigError, "roles/storage.objectAdmin on gs://bkt"),
        (gexc.Unauthorized("who"), ConfigError, "gcloud auth application-default login"),
        (auth_exc.RefreshError("invalid_grant"), ConfigError, "GOOGLE_APPLICATION_CREDENTIALS"),
        (gexc.NotFound("no bucket"), ConfigError, "gcloud storage buckets create gs://bkt"),
        (gexc.ServiceUnavailable("busy"), StorageError, "retried"),
        (ConnectionError("reset"), StorageError, "retried"),
    ],
)
def test_google_errors_are_mapped(error: Exception, kind: type[Exception], needle: str) -> None:
    with pytest.raises(kind) as err, google_errors("writing x", bucket="bkt"):
        raise error
    assert needle in str(err.value)
    assert (type(err.value) is StorageError) == err.value.retryable  # type: ignore[attr-defined]


# -- several files per partition, legacy partitions, damaged lakes, the open-rows index --------


def monitor_rows(monitor: str, minutes: range, extracted: datetime = T0) -> pa.Table:
    table = rt_rows(*(("us", m, 0.1, extracted) for m in minutes))
    return table.set_column(0, "monitor_id", pa.array([monitor] * table.num_rows, pa.string()))


def bucket_file(monitor: str) -> str:
    digest = hashlib.blake2b(monitor.encode(), digest_size=8).digest()
    return f"p{int.from_bytes(digest, 'big') % 64:03x}.parquet"


def test_a_legacy_object_is_rewritten_per_bucket_by_the_next_merge(
    gcs_client: storage.Client, bucket: str
) -> None:
    lake = GcsLake(gcs_client, f"gs://{bucket}/raw")
    monitors = ["1", "2", "3", "4"]
    legacy = pa.concat_tables([monitor_rows(m, range(5)) for m in monitors])
    prefix = "raw/eai_gateway_response_times/data_particao=2026-03-01/"
    sink = io.BytesIO()
    pq.write_table(legacy, sink)
    gcs_client.bucket(bucket).blob(f"{prefix}data.parquet").upload_from_string(sink.getvalue())
    assert lake.read_partition(RESPONSE_TIMES, DAY).num_rows == 20  # type: ignore[union-attr]

    later = T0 + timedelta(hours=1)
    result = lake.merge_partition(RESPONSE_TIMES, DAY, monitor_rows("2", range(4, 6), later))
    assert (result.rows_before, result.rows_incoming, result.rows_after) == (20, 2, 21)
    assert names(gcs_client, bucket) == sorted({f"{prefix}{bucket_file(m)}" for m in monitors})
    table = lake.read_partition(RESPONSE_TIMES, DAY)
    assert table is not None
    assert len(set(keys(table, RESPONSE_TIMES))) == table.num_rows == 21
    # a second merge touches only its monitor's object
    before = {b.name: b.generation for b in gcs_client.list_blobs(bucket)}
    lake.merge_partition(RESPONSE_TIMES, DAY, monitor_rows("3", range(9, 10), later))
    after = {b.name: b.generation for b in gcs_client.list_blobs(bucket)}
    assert {n for n in after if after[n] != before[n]} == {f"{prefix}{bucket_file('3')}"}


def test_verify_and_quarantine_in_gcs(gcs_client: storage.Client, bucket: str) -> None:
    lake = GcsLake(gcs_client, f"gs://{bucket}/raw")
    for monitor in ("1", "2"):
        lake.merge_partition(RESPONSE_TIMES, DAY, monitor_rows(monitor, range(5)))
    prefix = "raw/eai_gateway_response_times/"
    b = gcs_client.bucket(bucket)
    good = b.blob(f"{prefix}data_particao=2026-03-01/{bucket_file('1')}").download_as_bytes()
    damaged = f"{prefix}data_particao=2026-03-01/{bucket_file('2')}"
    b.blob(damaged).upload_from_string(good[: len(good) // 2])
    stray = f"{prefix}data_particao=2026-03-01/data-backup.parquet"
    b.blob(stray).upload_from_string(good)
    b.blob(f"{prefix}data_particao=garbage/data.parquet").upload_from_string(good)
    b.blob(f"{prefix}notes.txt").upload_from_string(b"a file beside the partitions")

    assert lake.read_partition(RESPONSE_TIMES, DAY + timedelta(days=1)) is None
    assert sum(t.num_rows for t in lake.scan(RESPONSE_TIMES, ["at"])) == 5  # skips the damage
    with pytest.raises(DamagedFileError, match=re.escape(f"gs://{bucket}/{damaged}")) as caught:
        lake.merge_partition(RESPONSE_TIMES, DAY, monitor_rows("2", range(6, 7)))
    assert not is_retryable(caught.value)  # issue 25.7: fails at once, naming `repair`
    assert "repair" in (caught.value.hint or "")
    assert lake.merge_partition(RESPONSE_TIMES, DAY, monitor_rows("1", range(6, 7))).rows_after == 6

    problems = lake.verify([RESPONSE_TIMES])
    assert sorted((p.kind, p.location) for p in problems) == sorted(
        [
            ("damaged", f"gs://{bucket}/{damaged}"),
            ("stray", f"gs://{bucket}/{stray}"),
            ("bad_folder", f"gs://{bucket}/{prefix}data_particao=garbage"),
            ("stray", f"gs://{bucket}/{prefix}notes.txt"),
        ]
    )
    for problem in problems:
        assert lake.quarantine(problem).startswith(f"gs://{bucket}/raw/_quarantine/")
    assert lake.verify([RESPONSE_TIMES]) == []
    left = [n for n in names(gcs_client, bucket) if n.startswith(prefix)]
    assert left == [f"{prefix}data_particao=2026-03-01/{bucket_file('1')}"]
    assert len([n for n in names(gcs_client, bucket) if "/_quarantine/" in n]) == 4


class CountingClient:
    """A storage.Client that counts list and download requests (the rest passes through)."""

    def __init__(self, real: storage.Client) -> None:
        self._real = real
        self.requests: list[str] = []

    def bucket(self, name: str) -> Any:
        real_bucket = self._real.bucket(name)
        owner = self

        class Bucket:
            def __getattr__(self, attr: str) -> Any:
                return getattr(real_bucket, attr)

            def get_blob(self, blob_name: str) -> Any:
                owner.requests.append(f"get {blob_name}")
                return real_bucket.get_blob(blob_name)

        return Bucket()

    def list_blobs(self, *args: Any, **kwargs: Any) -> Any:
        self.requests.append(f"list {kwargs.get('prefix')}")
        return self._real.list_blobs(*args, **kwargs)


def test_open_incident_lookup_costs_the_same_whatever_the_history(
    gcs_client: storage.Client, bucket: str
) -> None:
    from betterstack_etl.tables import INCIDENTS

    def incident(incident_id: str, day: date, resolved: bool) -> pa.Table:
        started = datetime(day.year, day.month, day.day, 6, tzinfo=UTC)
        row = dict.fromkeys(INCIDENTS.schema.names)
        row.update(incident_id=incident_id, monitor_id="1", started_at=started, raw="{}",
                   resolved_at=started + timedelta(hours=1) if resolved else None,
                   _extracted_at=T0, _run_id="r")  # fmt: skip
        return pa.Table.from_pylist([row], schema=INCIDENTS.schema)

    counting = CountingClient(gcs_client)
    lake = GcsLake(counting, f"gs://{bucket}/raw")  # type: ignore[arg-type]
    costs = []
    for n in range(40):
        day = DAY + timedelta(days=n)
        lake.merge_partition(INCIDENTS, day, incident(f"i{n}", day, resolved=n % 7 != 0))
        if n in (4, 39):
            counting.requests.clear()
            ids = lake.open_keys(INCIDENTS, ["1"], DAY + timedelta(days=60))
            assert ids == sorted(f"i{k}" for k in range(0, n + 1, 7))
            costs.append(list(counting.requests))
    assert costs[0] == costs[1] == ["get raw/_state/eai_gateway_incidents.open.parquet"]
