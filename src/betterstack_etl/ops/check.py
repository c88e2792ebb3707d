"""``betterstack-etl check`` (SPEC §10): is everything a run needs in place? Writes nothing.

Each check gives a :class:`CheckResult` (✓ or ✗, what was found, how to fix it):

- **token**: one authenticated request (the first page of the monitor listing);
- **monitors**: every id of ``MONITOR_ID`` is a monitor the token sees (``all``: at least one);
- **schedule**: a run's requests (as ``run --dry-run`` plans them) fit between two scheduled
  runs (``BETTERSTACK_RUN_INTERVAL``) at the run's rate;
- **destination**, local: the lake root is a folder we can write in (a ``.``-named probe file
  is written and deleted), or a folder the first run can create;
- **destination**, bigquery: the bucket exists and the account holds the object permissions a
  run uses; the dataset is reachable (or creatable); the BigLake connection id is well formed
  and in the dataset's location; **ownership** (SPEC §12): every table or view already at one
  of the names publish would create and that is not ours (``gcp.ownership``) is a ✗ naming who
  seems to own it and the fix, and the old pipeline's raw tables (legacy schema) are listed;
- **prefect**: when ``PREFECT_API_URL`` is set, its ``/health`` answers.

The clients are the ones a run uses (``BetterStackClient``, ``gcp.storage_client`` and
``gcp.bigquery_client``), with fewer retries: a check should answer in seconds.
"""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import httpx

from betterstack_etl import clock
from betterstack_etl.api import BetterStackClient, RetryPolicy, is_api_id
from betterstack_etl.errors import (
    ApiError,
    AuthenticationError,
    BetterStackEtlError,
    ConfigError,
    name_a_few,
)
from betterstack_etl.extract.fetch import PlanRequest, planner
from betterstack_etl.extract.selection import Selection
from betterstack_etl.run.summary import ScheduleFit

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import datetime

    from betterstack_etl.gcp.ownership import Kind
    from betterstack_etl.secret import Secret
    from betterstack_etl.settings import RunParams
    from betterstack_etl.settings.loading import Loaded

__all__ = [
    "BUCKET_PERMISSIONS",
    "CheckResult",
    "check_api",
    "check_bigquery",
    "check_local_folder",
    "check_ownership",
    "check_prefect",
    "check_schedule",
    "check_settings",
    "run_checks",
]

BUCKET_PERMISSIONS: Final = (
    "storage.objects.create",
    "storage.objects.get",
    "storage.objects.list",
    "storage.objects.delete",
)
PROBE_PREFIX: Final = ".betterstack-check-"
_CONNECTION: Final = re.compile(r"^[a-z][a-z0-9-]{4,61}[a-z0-9]\.[A-Za-z0-9-]+\.[A-Za-z0-9_-]+$")
_CHECK_RETRY: Final = RetryPolicy(max_attempts=2, max_delay=2.0, max_total_wait=5.0)
_CHECK_TIMEOUT: Final = 10.0
_FIRST: Final = "fix the token check first"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One line of the check table."""

    name: str
    ok: bool
    detail: str
    fix: str | None = None


def _fail(name: str, exc: BetterStackEtlError, prefix: str = "") -> CheckResult:
    return CheckResult(name, False, f"{prefix}{exc.message}", exc.hint)


# -- the API: token and monitors ------------------------------------------------------------


def check_api(params: RunParams, client: BetterStackClient) -> list[CheckResult]:
    """Token, monitors and schedule, from one walk of the monitor listing (its first page: the
    token; the whole listing: the monitors, and the plan of a run of them)."""
    pages = client.iter_monitor_pages()
    seen: list[str] = []
    listing: list[dict[str, Any]] = []
    try:
        first = next(pages)
    except AuthenticationError as exc:
        skipped = CheckResult("monitors", False, "not checked: the token was refused", _FIRST)
        return [_fail("token", exc, "refused: "), skipped]
    except ApiError as exc:
        skipped = CheckResult("monitors", False, "not checked: the API could not be asked", _FIRST)
        return [_fail("token", exc, "not checked: "), skipped]
    token = CheckResult("token", True, f"accepted by {params.base_url}")
    try:
        for page in (first, *pages):
            seen.extend(str(m.get("id")) for m in page.resources)
            listing.extend(page.resources)
    except ApiError as exc:
        return [token, _fail("monitors", exc, "the listing failed: ")]
    if params.monitors == "all":
        if not seen:
            fix = "use a token of the team that owns the monitors (Better Stack → API tokens)"
            return [token, CheckResult("monitors", False, "the token sees no monitor", fix)]
        detail = f"all: {len(seen)} monitor(s)"
        bad = [repr(m) for m in seen if not is_api_id(m)]
        if bad:  # runs leave them out (SPEC §13): said here, not a failure
            detail += f"; {len(bad)} left out of runs, the id is not digits: {', '.join(bad[:3])}"
        usable = tuple(m for m in seen if is_api_id(m))
        chosen = Selection(usable, len(seen), True, tuple(listing))
        return [token, CheckResult("monitors", True, detail), check_schedule(params, chosen)]
    listed = set(seen)
    missing = [m for m in params.monitors if m not in listed]
    if missing:
        detail = f"MONITOR_ID {name_a_few(missing)}: not among the {len(seen)} monitor(s) "
        detail += "this token sees"
        fix = "check MONITOR_ID against Better Stack → Uptime → Monitors (the id is in the "
        fix += "monitor's URL), or use a token of the team that owns it"
        monitors = CheckResult("monitors", False, detail, fix)
    else:
        monitors = CheckResult("monitors", True, f"{len(params.monitors)} monitor(s) found")
    found = tuple(m for m in params.monitors if m in listed)
    chosen = Selection(found, len(seen), False, tuple(listing))
    return [token, monitors, check_schedule(params, chosen)]


def check_schedule(
    params: RunParams, selection: Selection, now: datetime | None = None
) -> CheckResult:
    """The requests of a run of ``selection`` (as ``run --dry-run`` plans them; the rows still
    open in the lake not counted) fit between two scheduled runs at the run's rate."""
    now = now or clock.utcnow()
    window = params.window(now)
    plans = [planner(s)(PlanRequest(s, selection, window, now)) for s in params.tables]
    fit = ScheduleFit(sum(p.requests for p in plans), params.rate, params.run_interval)
    if fit.fits:
        return CheckResult("schedule", True, fit.describe())
    return CheckResult("schedule", False, f"the plan cannot keep up: {fit.describe()}", fit.fix)


# -- local destination ----------------------------------------------------------------------


def check_local_folder(root: str) -> CheckResult:
    """The lake root is a writable folder (probe file written and deleted), or can be made."""
    name = "destination"
    path = Path(root).expanduser()
    var = "BETTERSTACK_LAKE_ROOT"
    if path.exists():
        if not path.is_dir():
            fix = f"point {var} at a folder (this path is a file)"
            return CheckResult(name, False, f"{var}={root} is a file, not a folder", fix)
        probe = path / f"{PROBE_PREFIX}{uuid.uuid4().hex}"
        try:
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            fix = f"let the pipeline's user write in {root}, or choose another {var}"
            return CheckResult(name, False, f"cannot write in {root} ({exc.strerror})", fix)
        return CheckResult(name, True, f"local folder {root} is writable")
    ancestor = next((p for p in path.absolute().parents if p.exists()), None)
    if ancestor is None or not ancestor.is_dir():
        fix = f"point {var} at a folder under an existing folder"
        return CheckResult(
            name, False, f"{var}={root} cannot be created: {ancestor} is a file", fix
        )
    if not os.access(ancestor, os.W_OK | os.X_OK):
        fix = f"create {root} for the pipeline's user, or choose another {var}"
        return CheckResult(name, False, f"{root} cannot be created: {ancestor} is read-only", fix)
    return CheckResult(name, True, f"{root} does not exist yet: the first run creates it")


# -- BigQuery destination -------------------------------------------------------------------


def _held_permissions(storage: Any, bucket: str) -> set[str] | None:
    """The object permissions the account holds on ``bucket``; None when the service has no
    permission-test route but the bucket lists (emulators): a 404 there is not a missing bucket.
    """
    from google.api_core import exceptions as gexc

    try:
        return set(storage.bucket(bucket).test_iam_permissions(list(BUCKET_PERMISSIONS)))
    except gexc.NotFound:
        list(storage.list_blobs(bucket, max_results=1))  # NotFound here: the bucket is missing
        return None


def _check_bucket(params: RunParams, storage: Any) -> CheckResult:
    from betterstack_etl.gcp.errors import GCS, google_errors
    from betterstack_etl.gcp.layout import layout_of
    from betterstack_etl.gcp.location import parse_gcs_root

    try:
        bucket = parse_gcs_root(layout_of(params).lake_root).bucket
        with google_errors("checking the bucket", f"gs://{bucket}", GCS):
            held = _held_permissions(storage, bucket)
    except BetterStackEtlError as exc:
        return _fail("bucket", exc)
    if held is None:
        detail = f"gs://{bucket}: objects can be listed (this service cannot test permissions)"
        return CheckResult("bucket", True, detail)
    missing = [p for p in BUCKET_PERMISSIONS if p not in held]
    if missing:
        fix = f"grant the pipeline's account roles/storage.objectAdmin on gs://{bucket}"
        return CheckResult("bucket", False, f"gs://{bucket}: missing {', '.join(missing)}", fix)
    return CheckResult("bucket", True, f"gs://{bucket}: objects can be listed, read, written")


def _check_dataset(params: RunParams, bigquery: Any) -> CheckResult:
    from google.api_core import exceptions as gexc

    from betterstack_etl.gcp.errors import BIGQUERY, google_errors
    from betterstack_etl.gcp.layout import layout_of

    dataset = f"{params.billing_project_id}.{layout_of(params).dataset}"
    try:
        with google_errors("reading the dataset", dataset, BIGQUERY):
            try:
                found = bigquery.get_dataset(dataset)
            except gexc.NotFound:
                found = None
    except BetterStackEtlError as exc:
        return _fail("dataset", exc)
    if found is None:
        detail = f"{dataset} does not exist yet: the first run creates it "
        detail += f"(needs bigquery.datasets.create on {params.billing_project_id})"
        return CheckResult("dataset", True, detail)
    location = getattr(found, "location", None) or params.bigquery_location
    return CheckResult("dataset", True, f"{dataset} reachable (location {location})")


def _check_connection(params: RunParams) -> CheckResult:
    connection = params.bigquery_connection_id
    var = "BETTERSTACK_BIGQUERY_CONNECTION_ID"
    if not connection:
        return CheckResult("connection", True, "unset: tables are plain external tables")
    if not _CONNECTION.match(connection):
        fix = f"write {var} as project.location.name, e.g. rj-iplanrio.us.biglake"
        return CheckResult("connection", False, f"{var}={connection!r} is not well formed", fix)
    location = connection.split(".")[1]
    if location.lower() != params.bigquery_location.lower():
        detail = f"{var} is in {location}, the dataset in {params.bigquery_location}"
        fix = "a BigLake connection must be in the dataset's location: use one in "
        fix += f"{params.bigquery_location} or set BETTERSTACK_BIGQUERY_LOCATION={location}"
        return CheckResult("connection", False, detail, fix)
    return CheckResult("connection", True, f"{connection} (format and location; not fetched)")


def check_bigquery(
    params: RunParams,
    *,
    env: Mapping[str, str] | None = None,
    storage_factory: Callable[[], Any] | None = None,
    bigquery_factory: Callable[[], Any] | None = None,
) -> list[CheckResult]:
    """Bucket permissions, dataset, BigLake connection (clients built as a run builds them)."""
    from betterstack_etl.gcp import credentials as gcp
    from betterstack_etl.gcp.layout import layout_of

    try:
        layout_of(params)
    except BetterStackEtlError as exc:
        return [_fail("layout", exc)]

    config = gcp.GcpConfig.from_env(env, billing_project_id=params.billing_project_id)
    results: list[CheckResult] = []
    try:
        storage = storage_factory() if storage_factory else gcp.storage_client(config)
    except BetterStackEtlError as exc:
        results.append(_fail("bucket", exc))
    else:
        results.append(_check_bucket(params, storage))
    try:
        location = params.bigquery_location
        bigquery = (
            bigquery_factory()
            if bigquery_factory
            else gcp.bigquery_client(config, location=location)
        )
    except BetterStackEtlError as exc:
        results.append(_fail("dataset", exc))
    else:
        results.append(_check_dataset(params, bigquery))
        results += check_ownership(params, bigquery)
    results.append(_check_connection(params))
    return results


_LEGACY_HINT: Final = (
    "left alone; retire it with the old deployment once ours is compared (docs/cutover.md)"
)


def check_ownership(params: RunParams, bigquery: Any) -> list[CheckResult]:
    """Every object at a name ``publish`` would create that is not ours (✗, with who seems to
    own it and the fix), and every table of the old pipeline's raw shape found at those names
    or where that pipeline keeps it (``<dataset>_staging.eai_gateway_incidents``)."""
    from google.api_core import exceptions as gexc

    from betterstack_etl.gcp.errors import BIGQUERY, google_errors
    from betterstack_etl.gcp.layout import layout_of
    from betterstack_etl.gcp.ownership import collision, is_legacy_raw_table, is_ours
    from betterstack_etl.sla import VIEWS
    from betterstack_etl.tables import RUNS, TABLES

    names = layout_of(params)
    project = params.billing_project_id
    dataset = f"{project}.{names.dataset}"
    wanted: dict[str, Kind] = {names.table_name(s.name): "table" for s in (*TABLES, RUNS)}
    wanted |= {v.name: "view" for v in VIEWS}  # what steps.publish publishes
    results: list[CheckResult] = []
    legacy_home = f"{project}.{params.dataset_id.removesuffix('_staging')}_staging"
    try:
        with google_errors("listing the dataset's tables", dataset, BIGQUERY):
            try:
                present = {t.table_id for t in bigquery.list_tables(dataset)}
            except gexc.NotFound:
                present = set()
            for name in sorted(present & set(wanted)):
                table = bigquery.get_table(f"{dataset}.{name}")
                described = [v.description for v in VIEWS]
                if not is_ours(table, kind=wanted[name], our_descriptions=described):
                    found = collision(table, object_id=f"{dataset}.{name}", kind=wanted[name])
                    results.append(CheckResult("ownership", False, found.message, found.fix))
            legacy = f"{legacy_home}.eai_gateway_incidents"
            if (
                legacy != f"{dataset}.eai_gateway_incidents"
                or "eai_gateway_incidents" not in wanted
            ):
                try:
                    old = bigquery.get_table(legacy)
                except gexc.NotFound:
                    old = None
                if old is not None and is_legacy_raw_table(old):
                    detail = f"{legacy}: the old pipeline's raw table (legacy all-STRING schema)"
                    results.append(CheckResult("legacy table", True, f"{detail}; {_LEGACY_HINT}"))
    except BetterStackEtlError as exc:
        return [_fail("ownership", exc)]
    if not any(r.name == "ownership" for r in results):
        detail = f"none of our {len(wanted)} names in {dataset} is held by someone else"
        results.insert(0, CheckResult("ownership", True, detail))
    return results


# -- Prefect --------------------------------------------------------------------------------


def check_prefect(env: Mapping[str, str], http: httpx.Client | None = None) -> CheckResult | None:
    """``PREFECT_API_URL``'s ``/health`` answers 200 (None when no Prefect API is set)."""
    url = (env.get("PREFECT_API_URL") or "").strip().rstrip("/")
    if not url:
        return None
    shown = re.sub(r"//[^/@]*@", "//***@", url)
    headers = {}
    if key := (env.get("PREFECT_API_KEY") or "").strip():
        headers["Authorization"] = f"Bearer {key}"
    fix = "check PREFECT_API_URL (and PREFECT_API_KEY for Prefect Cloud), or unset it"
    client = http or httpx.Client(timeout=_CHECK_TIMEOUT, follow_redirects=False)
    try:
        answer = client.get(f"{url}/health", headers=headers)
    except httpx.HTTPError as exc:
        return CheckResult("prefect", False, f"{shown} unreachable ({type(exc).__name__})", fix)
    finally:
        if http is None:
            client.close()
    if answer.status_code != 200:
        return CheckResult("prefect", False, f"{shown}/health answered {answer.status_code}", fix)
    return CheckResult("prefect", True, f"{shown} is healthy")


# -- all of them ----------------------------------------------------------------------------


def run_checks(
    params: RunParams,
    token: Secret | None,
    *,
    env: Mapping[str, str] | None = None,
    api_client: BetterStackClient | None = None,
    storage_factory: Callable[[], Any] | None = None,
    bigquery_factory: Callable[[], Any] | None = None,
    prefect_http: httpx.Client | None = None,
) -> list[CheckResult]:
    """Every check, in table order; nothing is written (but the local probe, deleted)."""
    env = os.environ if env is None else env
    results: list[CheckResult] = []
    if token is None:  # the caller said why, in its own row: the other checks still run
        pass
    elif api_client is not None:
        results = check_api(params, api_client)
    else:
        timeout = min(params.timeout, _CHECK_TIMEOUT)
        with BetterStackClient.create(
            token, base_url=params.base_url, timeout=timeout, retry=_CHECK_RETRY
        ) as client:
            results = check_api(params, client)
    if params.destination == "bigquery":
        results += check_bigquery(
            params, env=env, storage_factory=storage_factory, bigquery_factory=bigquery_factory
        )
    else:
        results.append(check_local_folder(params.lake_root))
    prefect = check_prefect(env, prefect_http)
    if prefect is not None:
        results.append(prefect)
    return results


def check_settings(loaded: Loaded) -> tuple[list[CheckResult], RunParams, Secret | None]:
    """A missing token or MONITOR_ID as rows of the table (the other checks still run, with
    every monitor assumed), the run's parameters, and the token to check (None: not checked)."""
    rows: list[CheckResult] = []
    token: Secret | None
    try:
        token = loaded.token()
    except ConfigError as exc:
        token = None
        rows.append(CheckResult("token", False, exc.message, exc.hint))
    try:
        params = loaded.run_params()
    except ConfigError as exc:
        rows.append(CheckResult("monitors", False, exc.message, exc.hint))
        params = loaded.run_params(monitors_default="all")
        if token is not None:  # the monitors cannot be checked: no call with the token
            token = None
            why = "not checked: MONITOR_ID is missing"
            rows.insert(0, CheckResult("token", False, why, "set MONITOR_ID, run again"))
    return rows, params, token
