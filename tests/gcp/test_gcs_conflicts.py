"""The lake's conflict handling against fake-gcs-server's own 412 (not an injected one).

fake-gcs-server enforces ``ifGenerationMatch`` on uploads as GCS does, so a concurrent writer
between our read and our replace meets a real 412. With the lake's generation precondition
switched off (the wrapper strips it from the uploads) the very same interleaving loses the
other writer's rows: the test can fail, and the precondition is what makes it pass.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pyarrow as pa
import pytest
from google.api_core import exceptions as gexc
from google.cloud import storage

from betterstack_etl.gcp.storage import GcsLake
from betterstack_etl.tables import RESPONSE_TIMES

from .conftest import PreconditionClient

DAY = date(2026, 3, 1)
T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
EXTRACTED = datetime(2026, 3, 1, 11, 0, tzinfo=UTC)


def rows(region: str, monitor: int) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "monitor_id": str(monitor),
                "region": region,
                "at": T0,
                "response_time": 0.25,
                "_extracted_at": EXTRACTED,
                "_run_id": f"run-{region}",
            }
        ],
        schema=RESPONSE_TIMES.schema,
    )


def no_sleep(_: float) -> None:
    pass


def test_fake_gcs_server_preconditions(gcs_client: storage.Client, bucket: str) -> None:
    """What the server does itself: 412 on stale *upload* preconditions (so PreconditionClient
    does not fake those), nothing on *download* preconditions (so it still checks those)."""
    blob = gcs_client.bucket(bucket).blob("x")
    blob.upload_from_string(b"1", if_generation_match=0)
    generation = gcs_client.bucket(bucket).get_blob("x").generation
    with pytest.raises(gexc.PreconditionFailed):
        blob.upload_from_string(b"2", if_generation_match=0)  # "create only": it exists
    with pytest.raises(gexc.PreconditionFailed):
        blob.upload_from_string(b"2", if_generation_match=generation + 1)
    blob.upload_from_string(b"3", if_generation_match=generation)
    stale = gcs_client.bucket(bucket).blob("x").download_as_bytes(if_generation_match=generation)
    assert stale == b"3", "fake-gcs-server learnt download preconditions: drop the wrapper's"


@pytest.mark.parametrize("precondition", [True, False], ids=["check-on", "check-off"])
def test_a_concurrent_write_is_kept_only_with_the_generation_precondition(
    gcs_client: storage.Client, bucket: str, precondition: bool
) -> None:
    # one monitor, so the three writers meet in the same object (one file per monitor bucket)
    client = PreconditionClient(gcs_client, bucket, drop_upload_preconditions=not precondition)
    lake = GcsLake(client, f"gs://{bucket}/raw", sleep=no_sleep)  # type: ignore[arg-type]
    other = GcsLake(gcs_client, f"gs://{bucket}/raw")
    lake.merge_partition(RESPONSE_TIMES, DAY, rows("us", 0))

    def concurrent_writer(_: str) -> None:  # after our read, before our replace
        other.merge_partition(RESPONSE_TIMES, DAY, rows("eu", 0))

    client.on_download = concurrent_writer
    lake.merge_partition(RESPONSE_TIMES, DAY, rows("ap", 0))

    table = GcsLake(gcs_client, f"gs://{bucket}/raw").read_partition(RESPONSE_TIMES, DAY)
    assert table is not None
    regions = sorted(table.column("region").to_pylist())
    if precondition:
        assert client.preconditions_failed == 1, "the server's 412 forced a re-read"
        assert regions == ["ap", "eu", "us"]
    else:
        assert client.preconditions_failed == 0
        assert regions == ["ap", "us"], "without the precondition the other writer's row is lost"
