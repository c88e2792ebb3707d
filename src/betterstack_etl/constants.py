"""Constants of the pipeline (the seed's ``constants.py`` role)."""

from __future__ import annotations

from typing import Final

FLOW_NAME: Final = "rj_iplanrio__betterstack_api"
DEFAULT_BASE_URL: Final = "https://uptime.betterstack.com"
DEFAULT_BILLING_PROJECT_ID: Final = "rj-iplanrio"
DEFAULT_DATASET_ID: Final = "brutos_betterstack"
DEFAULT_LAKE_ROOT: Final = "./lake"

# Task-level retries of the seed: 3 automatic retries, 60 s apart (errors a retry cannot fix
# are never retried). Overridable for tests and impatient users.
TASK_RETRIES: Final = 3
TASK_RETRY_DELAY_SECONDS: Final = 60.0

# A flow run that has not ended after this long is failed by Prefect (TimedOut), so that a
# hung run cannot hold the deployment's one concurrency slot (prefect.yaml) for ever. An
# hourly run of 2,000 monitors fetches in about 20 min at 8 requests/s; a backfill of one
# month of daily SLA for 2,000 monitors is about 60,000 requests, 2 h at that rate.
FLOW_TIMEOUT_SECONDS: Final = 4 * 3600

# The request budget shared by the whole run (see betterstack-api.md §5: Better Stack's own
# Terraform provider paces itself to about 8 requests/second).
DEFAULT_RATE: Final = 8.0
DEFAULT_MAX_IN_FLIGHT: Final = 4

# The production schedule (prefect.yaml, cron ``0 * * * *``): a run's plan must fit in it.
RUN_INTERVAL_SECONDS: Final = 3600.0

# The two knobs of the SLA views (SPEC §8.2): the calendar of their days and months, and the
# availability objective, percent.
DEFAULT_REPORT_TIMEZONE: Final = "America/Sao_Paulo"
DEFAULT_SLO_PCT: Final = 99.9

ENV_PREFIX: Final = "BETTERSTACK_"
# The partition column of every table (declared in ``tables``; here so that modules that only
# need its name, such as the DuckDB side ``query`` uses, need not import pyarrow).
PARTITION_COLUMN: Final = "data_particao"
