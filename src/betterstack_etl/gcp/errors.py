"""One place that turns Google Cloud errors into ours, for every Google service we use.

``google_errors(action, where, service)`` wraps a block of google-cloud calls; the mapping is
a table (library error → our error class, message and the service's hint), so GCS and BigQuery
say the same things the same way and differ only in their hints (``GCS``, ``BIGQUERY``).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exc

from betterstack_etl.errors import BetterStackEtlError, ConfigError, StorageError

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["BIGQUERY", "CREDENTIALS_HINT", "GCS", "GoogleService", "google_errors", "map_error"]

CREDENTIALS_HINT: Final = (
    "run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to "
    "a service-account JSON key file"
)


@dataclass(frozen=True, slots=True)
class GoogleService:
    """What to tell the user when one Google service refuses (``{where}`` is filled in)."""

    forbidden: str
    not_found: str
    refused: str
    unavailable: str


GCS: Final = GoogleService(
    forbidden="grant the pipeline's account roles/storage.objectAdmin on {where} (and the "
    "BigQuery roles listed in docs/production.md), or use another account",
    not_found="create it: gcloud storage buckets create {where} --project=<project> "
    "--location=US, or fix BETTERSTACK_LAKE_ROOT",
    refused="check the lake root and the GCP settings",
    unavailable="Google Cloud did not answer properly; the run can be retried as is "
    "(partitions are replaced atomically, nothing was half-written)",
)

BIGQUERY: Final = GoogleService(
    forbidden="grant the pipeline's account roles/bigquery.dataEditor on the dataset (or "
    "project) and roles/bigquery.jobUser on the billing project; with a BigLake connection "
    "also roles/bigquery.connectionUser (see docs/production.md)",
    not_found="check BETTERSTACK_BILLING_PROJECT_ID, BETTERSTACK_DATASET_ID, "
    "BETTERSTACK_BIGQUERY_LOCATION and BETTERSTACK_BIGQUERY_CONNECTION_ID (the connection "
    "must exist in the dataset's location)",
    refused="check BETTERSTACK_BILLING_PROJECT_ID, BETTERSTACK_DATASET_ID, "
    "BETTERSTACK_BIGQUERY_LOCATION and BETTERSTACK_BIGQUERY_CONNECTION_ID (the connection "
    "must exist in the dataset's location)",
    unavailable="BigQuery did not answer properly; publishing is idempotent, run again",
)

_CREDENTIALS = (gexc.Unauthorized, auth_exc.DefaultCredentialsError, auth_exc.RefreshError)
_UNAVAILABLE = (gexc.GoogleAPIError, auth_exc.TransportError, OSError)


def _text(exc: BaseException) -> str:
    return str(getattr(exc, "message", None) or exc)


def map_error(
    exc: BaseException, action: str, where: str, service: GoogleService
) -> BetterStackEtlError | None:
    """Our error for a google-cloud / google-auth error (None: not a Google error)."""
    if isinstance(exc, _CREDENTIALS):
        return ConfigError(
            f"{action}: Google Cloud credentials are missing or were refused ({_text(exc)})",
            hint=CREDENTIALS_HINT,
        )
    if isinstance(exc, gexc.Forbidden):
        return ConfigError(
            f"{action}: permission denied on {where} ({_text(exc)})",
            hint=service.forbidden.format(where=where),
        )
    if isinstance(exc, gexc.NotFound):
        return ConfigError(
            f"{action}: {where} was not found ({_text(exc)})",
            hint=service.not_found.format(where=where),
        )
    if isinstance(exc, gexc.BadRequest):
        return ConfigError(
            f"{action}: the request was refused ({_text(exc)})",
            hint=service.refused.format(where=where),
        )
    if isinstance(exc, _UNAVAILABLE):
        return StorageError(
            f"{action}: {type(exc).__name__}: {exc}",
            hint=service.unavailable.format(where=where),
        )
    return None


@contextmanager
def google_errors(action: str, where: str, service: GoogleService) -> Iterator[None]:
    """Raise our error (with the service's hint) for a Google error in the block."""
    try:
        yield
    except BetterStackEtlError:
        raise
    except Exception as exc:
        mapped = map_error(exc, action, where, service)
        if mapped is None:
            raise
        raise mapped from exc
