"""The Better Stack Uptime API client: one public surface.

``BetterStackClient`` talks to the API over an injected ``httpx.Client``; ``RetryPolicy`` bounds
per-request retries of transient errors; ``Pacer`` is the request budget shared by every thread
of a run; ``RequestCounter``/``RequestStats`` count requests, retries and 429s for the run
ledger; ``StopFlag`` stops every request and wait of a run when it is asked to stop;
``api_http_client`` is the ``httpx.Client`` a run talks through (a total deadline per
request). Errors are the ``betterstack_etl.errors`` classes.
"""

from __future__ import annotations

from betterstack_etl.api._client import (
    DEFAULT_BASE_URL,
    INCIDENTS_PER_PAGE,
    MAX_ANSWER_BYTES,
    MONITORS_PER_PAGE,
    USER_AGENT,
    BetterStackClient,
    Page,
    Resource,
    incident_page_bound,
)
from betterstack_etl.api._ids import is_api_id, validate_incident_id, validate_monitor_id
from betterstack_etl.api._pacer import Pacer
from betterstack_etl.api._retry import RetryPolicy
from betterstack_etl.api._stats import RequestCounter, RequestStats
from betterstack_etl.api._stop import StopFlag
from betterstack_etl.api._transport import api_http_client, default_tls_context

__all__ = [
    "DEFAULT_BASE_URL",
    "INCIDENTS_PER_PAGE",
    "MAX_ANSWER_BYTES",
    "MONITORS_PER_PAGE",
    "USER_AGENT",
    "BetterStackClient",
    "Pacer",
    "Page",
    "RequestCounter",
    "RequestStats",
    "Resource",
    "RetryPolicy",
    "StopFlag",
    "api_http_client",
    "default_tls_context",
    "incident_page_bound",
    "is_api_id",
    "validate_incident_id",
    "validate_monitor_id",
]
