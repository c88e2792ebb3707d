"""Google Cloud clients, built the Google way, and the production lake the flow calls.

Credentials, in order:

1. ``credentials_file`` (an explicit service-account JSON key file);
2. the prefect-gcp ``GcpCredentials`` block named by ``BETTERSTACK_GCP_CREDENTIALS_BLOCK``, when
   set (read from the Prefect server at run time; see ``gcp_credentials_from_block``);
3. Application Default Credentials: ``GOOGLE_APPLICATION_CREDENTIALS`` (a key file), the
   ``gcloud auth application-default login`` credentials, or the metadata server (GKE, Cloud
   Run, Compute Engine);
4. emulators, for tests and local trials only: when ``STORAGE_EMULATOR_HOST`` (GCS) or
   ``BETTERSTACK_BIGQUERY_ENDPOINT`` (BigQuery REST) is set, that client talks to the given
   endpoint with anonymous credentials.

The billing project (``BETTERSTACK_BILLING_PROJECT_ID``, default ``rj-iplanrio``) is the
project the clients bill and the project that holds the dataset.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import google.auth
import google.cloud.storage as storage
from google.api_core.client_options import ClientOptions
from google.auth import exceptions as auth_exc
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery
from google.oauth2 import service_account

from betterstack_etl import constants as C
from betterstack_etl.errors import ConfigError
from betterstack_etl.gcp.bigquery import BigQueryPublisher
from betterstack_etl.gcp.errors import CREDENTIALS_HINT
from betterstack_etl.gcp.location import parse_gcs_root
from betterstack_etl.gcp.storage import GcsLake
from betterstack_etl.secret import load_block
from betterstack_etl.settings import knob, load_settings

if TYPE_CHECKING:
    from collections.abc import Mapping

    from google.auth.credentials import Credentials

    from betterstack_etl.sla import SlaOptions

__all__ = [
    "BIGQUERY_ENDPOINT_ENV",
    "CREDENTIALS_ENV",
    "GCP_CREDENTIALS_BLOCK_ENV",
    "STORAGE_EMULATOR_ENV",
    "GcpConfig",
    "bigquery_client",
    "gcp_credentials_from_block",
    "load_credentials",
    "make_gcs_lake",
    "storage_client",
]

CREDENTIALS_ENV: Final = "GOOGLE_APPLICATION_CREDENTIALS"
STORAGE_EMULATOR_ENV: Final = "STORAGE_EMULATOR_HOST"
BIGQUERY_ENDPOINT_ENV: Final = knob("bigquery_endpoint").variable
SCOPES: Final = ("https://www.googleapis.com/auth/cloud-platform",)
GCP_CREDENTIALS_BLOCK_ENV: Final = knob("gcp_credentials_block").variable


@dataclass(frozen=True, slots=True)
class GcpConfig:
    """Where and as whom to talk to Google Cloud (no secret in here: only paths and URLs)."""

    billing_project_id: str = C.DEFAULT_BILLING_PROJECT_ID
    credentials_file: str | None = None
    credentials_block: str | None = None  # name of a prefect-gcp GcpCredentials block
    storage_endpoint: str | None = None  # an emulator; None: the real GCS
    bigquery_endpoint: str | None = None  # an emulator; None: the real BigQuery

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        billing_project_id: str = C.DEFAULT_BILLING_PROJECT_ID,
        credentials_file: str | None = None,
    ) -> GcpConfig:
        env = os.environ if env is None else env
        settings = load_settings(env).settings  # the block and the endpoint, from .env too
        if not billing_project_id.strip():
            raise ConfigError(
                "the billing project is empty",
                hint="set BETTERSTACK_BILLING_PROJECT_ID to a GCP project id, e.g. rj-iplanrio",
            )
        return cls(
            billing_project_id=billing_project_id.strip(),
            credentials_file=credentials_file or None,
            credentials_block=settings.gcp_credentials_block,
            storage_endpoint=_endpoint(env.get(STORAGE_EMULATOR_ENV)),
            bigquery_endpoint=settings.bigquery_endpoint,
        )


def _endpoint(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    text = value.strip().rstrip("/")
    return text if "://" in text else f"http://{text}"


def load_credentials(config: GcpConfig) -> Credentials:
    """The explicit key file, else the GcpCredentials block, else Application Default
    Credentials; ConfigError naming the fix."""
    if config.credentials_file is not None:
        path = config.credentials_file
        try:
            load = service_account.Credentials.from_service_account_file
            creds: Any = load(path, scopes=list(SCOPES))  # type: ignore[no-untyped-call]
        except FileNotFoundError as exc:
            raise ConfigError(
                f"the service-account key file {path} does not exist",
                hint=f"fix the path, or unset it to use {CREDENTIALS_ENV} / {CREDENTIALS_HINT}",
            ) from exc
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigError(
                f"{path} is not a usable service-account JSON key file ({type(exc).__name__})",
                hint="download a JSON key of the service account (IAM > Service accounts > "
                f"Keys), or {CREDENTIALS_HINT}",
            ) from exc
        return creds  # type: ignore[no-any-return]
    if config.credentials_block is not None:
        return gcp_credentials_from_block(config.credentials_block)
    try:
        credentials, _project = google.auth.default(scopes=list(SCOPES))
    except auth_exc.DefaultCredentialsError as exc:
        raise ConfigError(
            f"no Google Cloud credentials were found ({exc})".split("\n")[0],
            hint=CREDENTIALS_HINT,
        ) from exc
    return credentials


def storage_client(config: GcpConfig) -> storage.Client:
    if config.storage_endpoint is not None:
        return storage.Client(
            project=config.billing_project_id,
            credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
            client_options=ClientOptions(api_endpoint=config.storage_endpoint),
        )
    return storage.Client(project=config.billing_project_id, credentials=load_credentials(config))


def bigquery_client(config: GcpConfig, *, location: str = "US") -> bigquery.Client:
    if config.bigquery_endpoint is not None:
        return bigquery.Client(
            project=config.billing_project_id,
            credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
            location=location,
            client_options=ClientOptions(api_endpoint=config.bigquery_endpoint),
        )
    return bigquery.Client(
        project=config.billing_project_id,
        credentials=load_credentials(config),
        location=location,
    )


def make_gcs_lake(
    lake_root: str,
    *,
    billing_project_id: str,
    dataset_id: str,
    connection_id: str | None = None,
    location: str = "US",
    credentials_file: str | None = None,
    env: Mapping[str, str] | None = None,
    sla: SlaOptions | None = None,
    table_prefix: str = "",
) -> GcsLake:
    """The production lake: GCS objects under ``lake_root``, published as BigLake tables in
    ``billing_project_id.dataset_id``, each table's folder and BigQuery name prefixed by
    ``table_prefix`` (``gcp.layout``). Fails fast (ConfigError) on a bad root or no credentials.
    """
    parse_gcs_root(lake_root)
    if not dataset_id.strip():
        raise ConfigError("the dataset id is empty", hint="set BETTERSTACK_DATASET_ID")
    config = GcpConfig.from_env(
        env, billing_project_id=billing_project_id, credentials_file=credentials_file
    )
    publisher = BigQueryPublisher(
        bigquery_client(config, location=location),
        project=config.billing_project_id,
        dataset=dataset_id.strip(),
        lake_root=lake_root,
        location=location,
        connection_id=connection_id or None,
        sla=sla,
        table_prefix=table_prefix,
    )
    return GcsLake(
        storage_client(config), lake_root, publisher=publisher, table_prefix=table_prefix
    )


def gcp_credentials_from_block(name: str) -> Credentials:
    """Google credentials from the prefect-gcp ``GcpCredentials`` block ``name``: its service
    account (info or file) when it has one, else Application Default Credentials."""
    try:
        from prefect_gcp import GcpCredentials
    except ImportError:
        raise ConfigError(
            f"{GCP_CREDENTIALS_BLOCK_ENV}={name!r} needs prefect-gcp, which is not installed",
            hint="install the extra: pip install 'betterstack-etl[gcp]' (or uv add "
            f"'betterstack-etl[gcp]'), or unset {GCP_CREDENTIALS_BLOCK_ENV} to use "
            "Application Default Credentials",
        ) from None

    block: Any = load_block(GcpCredentials, name, "GcpCredentials")
    try:
        credentials: Credentials = block.get_credentials_from_service_account()
    except Exception as exc:  # noqa: BLE001 - any failure here is a configuration problem
        raise ConfigError(
            f"the GcpCredentials block {name!r} gives no usable credentials ({type(exc).__name__})",
            hint="give it a service account (info or file), or unset "
            f"{GCP_CREDENTIALS_BLOCK_ENV} to use Application Default Credentials",
        ) from None
    return credentials
