"""The kinds of value a setting holds. Each parser takes what a user wrote (text from the
environment, the ``.env`` file or a CLI option, or a flow parameter's value) and returns the
typed value, or refuses it with ``refuse``: one message and one hint, in which ``{name}``
becomes the knob the user touched (``--from-date``, ``BETTERSTACK_FROM_DATE``, ``from_date``)
and ``{name=}`` that knob with what was written. No parser echoes a secret."""

from __future__ import annotations

import ipaddress
import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, Literal, NoReturn
from urllib.parse import urlsplit

from pydantic_core import PydanticCustomError

from betterstack_etl import constants as C
from betterstack_etl.errors import ConfigError
from betterstack_etl.secret import Secret

# Imported when a value is parsed (``tables`` loads pyarrow, ``sla`` sqlglot): the CLI's start
# (``--help``, ``config``) does not pay for them.

__all__ = [
    "ALL_MONITORS",
    "EARLIEST_DATE",
    "Number",
    "parse_base_url",
    "parse_burn_rules",
    "parse_date",
    "parse_destination",
    "parse_endpoint",
    "parse_identifier",
    "parse_layout",
    "parse_monitor_ids",
    "parse_report_out",
    "parse_slo",
    "parse_slo_file",
    "parse_tables",
    "parse_text",
    "parse_time_zone",
    "parse_token",
    "refuse",
]

ALL_MONITORS: Final = "all"
# Dates before this are a typo, not a backfill: Better Stack (Better Uptime) did not exist yet.
EARLIEST_DATE: Final = date(2015, 1, 1)
_DATE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_IDENTIFIER: Final = re.compile(r"^[A-Za-z0-9_.:-]{1,1024}$")


def refuse(message: str, hint: str) -> NoReturn:
    """Refuse a value: ``message`` and ``hint`` may name ``{name}`` / ``{name=}`` (the loader
    fills them in with the knob the user touched)."""
    raise PydanticCustomError("refused", message, {"hint": hint})


def _text(value: Any) -> str:
    if not isinstance(value, str):
        refuse("{name=} is not text", "give {name} as text")
    return value.strip()


def parse_text(value: Any) -> str:
    """Any non-empty text (surrounding whitespace dropped)."""
    text = _text(value)
    if not text:
        refuse("{name} is empty", "give {name} a value, or unset it for the default")
    return text


def parse_identifier(value: Any) -> str:
    """A Google Cloud name (project, dataset, location, block): letters, digits, ``_ . : -``
    only, so it can never break out of the SQL or the URL it is written into."""
    text = parse_text(value)
    if not _IDENTIFIER.match(text):
        refuse(
            "{name=} is not a valid name",
            "use letters, digits, '_', '-', '.' or ':' only (e.g. rj-iplanrio, brutos_betterstack)",
        )
    return text


def parse_date(value: Any) -> date:
    """Strict ``YYYY-MM-DD`` (a calendar day), on or after ``EARLIEST_DATE``."""
    if isinstance(value, date):
        day = value
    else:
        text = _text(value)
        try:
            found = date.fromisoformat(text) if _DATE.match(text) else None
        except ValueError:
            found = None
        if found is None:
            refuse("{name=} is not a date", "write {name} as YYYY-MM-DD, e.g. 2026-01-31")
        day = found
    if day < EARLIEST_DATE:
        refuse(
            f"{{name=}} is before {EARLIEST_DATE}, before Better Stack kept any data",
            f"give {{name}} on or after {EARLIEST_DATE} (the monitors' own creation day is the "
            "real start)",
        )
    return day


def parse_monitor_ids(value: Any) -> tuple[str, ...] | Literal["all"]:
    """One id, a comma-separated list, or ``all``."""
    if isinstance(value, tuple):
        return value
    text = _text(value)
    if text.lower() == ALL_MONITORS:
        return "all"
    ids: list[str] = []
    for part in text.split(","):
        item = part.strip()
        if not item:
            continue
        if not item.isdigit() or not item.isascii():
            refuse(
                f"{{name}} contains {item[:40]!r}, which is not a monitor id",
                "monitor ids are digits (see the URL of the monitor in Better Stack); "
                "separate several with commas, or use 'all'",
            )
        if item not in ids:
            ids.append(item)
    if not ids:
        refuse("{name} is empty", "give at least one monitor id, or 'all'")
    return tuple(ids)


def parse_token(value: Any) -> Secret:
    """The token without surrounding whitespace; refused if whitespace, control or non-ASCII
    characters remain inside (the message never shows the token)."""
    token = value.reveal() if isinstance(value, Secret) else _text(value)
    token = token.strip()
    what = None
    if "\n" in token or "\r" in token:
        what = "a newline"
    elif any(c.isspace() for c in token):
        what = "whitespace"
    elif any(ord(c) < 32 or ord(c) == 127 for c in token):
        what = "a control character"
    elif not token.isascii():
        what = "a non-ASCII character"
    if what is not None:
        refuse(
            f"{{name}} contains {what}",
            "copy it again without it (Better Stack → Uptime → API tokens)",
        )
    return Secret(token)


def _is_loopback(host: str) -> bool:
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_base_url(value: Any) -> str:
    """An http(s) origin without its trailing ``/``: no credentials, path, query or fragment,
    and ``https`` unless the host is loopback (elsewhere the token would travel in clear)."""
    raw = _text(value)
    host_only = f"give the host only, e.g. {C.DEFAULT_BASE_URL}"
    try:
        parts = urlsplit(raw)
        _ = parts.port  # raises on a port that is not a number in 0-65535
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() or ord(c) < 32 for c in raw)
    ):
        refuse("{name=} is not an http(s) URL", f"{host_only}, or leave it unset")
    if "@" in parts.netloc:
        refuse(
            "{name=} carries credentials",
            f"remove the user:password part; the API token goes in BETTERSTACK_TOKEN; {host_only}",
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment or raw.endswith(("?", "#")):
        refuse("{name=} has a path, query or fragment", host_only)
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        refuse(
            "{name=} is plain http to a host that is not loopback: the token would travel in clear",
            f"use https://, e.g. {C.DEFAULT_BASE_URL} (http only for 127.0.0.1/localhost)",
        )
    return raw.rstrip("/")


def parse_destination(value: Any) -> Literal["local", "bigquery"]:
    text = _text(value).lower()
    if text == "local":
        return "local"
    if text == "bigquery":
        return "bigquery"
    refuse(
        "{name=} is not a destination",
        "use 'local' (Parquet + DuckDB on disk) or 'bigquery' (GCS + BigLake)",
    )


def parse_layout(value: Any) -> Literal["flat", "basedosdados"]:
    """How the tables sit in BigQuery and GCS (``gcp.layout``): ``flat`` or ``basedosdados``
    (``bd`` for short)."""
    text = _text(value).lower()
    if text == "flat":
        return "flat"
    if text in ("basedosdados", "bd"):
        return "basedosdados"
    refuse(
        "{name=} is not a layout",
        "use 'flat' (tables and views in BETTERSTACK_DATASET_ID) or 'basedosdados' (raw tables "
        "in <dataset>_staging over gs://<bucket>/staging/<dataset>/)",
    )


def parse_tables(value: Any) -> tuple[Any, ...]:
    """Comma-separated table names (short or full), or a list of them; ``all``: every table.
    Gives their ``TableSpec``s."""
    from betterstack_etl.tables import TABLES, TableSpec, table_by_name

    if isinstance(value, tuple) and all(isinstance(v, TableSpec) for v in value):
        return value
    if isinstance(value, str):
        names = value.split(",")
    elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        names = list(value)
    else:
        refuse("{name=} is not a list of tables", "give table names separated by commas")
    names = [n.strip() for n in names if n.strip()]
    if not names or names == [ALL_MONITORS]:
        return TABLES
    try:
        return tuple(dict.fromkeys(table_by_name(n) for n in names))
    except ConfigError as exc:
        refuse(f"{{name}}: {exc.message}", exc.hint or "")


@dataclass(frozen=True, slots=True)
class Number:
    """A number in its sane range: finite, whole if a count; ``low_open``: the low end itself
    is refused. Also the parser of the settings declared with it."""

    low: float
    high: float
    integer: bool = False
    low_open: bool = False

    def describe(self) -> str:
        if self.low_open:
            return f"({self.low:g}, {self.high:g}]"
        return f"{self.low:g}–{self.high:g}"

    def __call__(self, value: Any) -> float | int:
        if isinstance(value, bool):
            number = math.nan
        elif isinstance(value, int | float):
            number = float(value)
        else:
            try:
                number = float(_text(value))
            except ValueError:
                number = math.nan
        kind = "a whole number" if self.integer else "a number"
        above = number > self.low if self.low_open else number >= self.low
        if not (math.isfinite(number) and above and number <= self.high):
            refuse(
                f"{{name=}} is not {kind} in {self.describe()}",
                f"set {{name}} within {self.describe()}, or unset it for the default",
            )
        if self.integer and not number.is_integer():
            refuse(
                "{name=} is not a whole number",
                f"set {{name}} to a whole number in {self.describe()}",
            )
        return int(number) if self.integer else number


def parse_time_zone(value: Any) -> str:
    """An IANA time zone name (the SLA views' calendar)."""
    from betterstack_etl.sla import is_time_zone

    text = _text(value)
    if not is_time_zone(text):
        refuse(
            "{name=} is not a known time zone",
            "set {name} to an IANA time zone such as America/Sao_Paulo or UTC",
        )
    return text


def parse_slo(value: Any) -> float:
    """A percentage strictly between 0 and 100: ``99.9`` or ``99.9%``."""
    if isinstance(value, bool):
        number = math.nan
    elif isinstance(value, int | float):
        number = float(value)
    else:
        try:
            number = float(_text(value).removesuffix("%"))
        except ValueError:
            refuse(
                "{name=} is not a number",
                "set {name} to a percentage strictly between 0 and 100, e.g. 99.9",
            )
    if not (math.isfinite(number) and 0 < number < 100):
        refuse(
            "{name=} is outside 0-100",
            "set {name} to a percentage strictly between 0 and 100, e.g. 99.9",
        )
    return number


def parse_report_out(value: Any) -> str:
    """An ``.html`` path or ``gs://bucket/….html``; ``{month}`` becomes ``YYYY-MM``."""
    text = parse_text(value)
    if ("://" in text and not text.startswith("gs://")) or not text.endswith(".html"):
        refuse(
            "{name=} is not an .html file path or gs:// URI",
            "e.g. {name} gs://rj-iplanrio-reports/betterstack/{month}.html",
        )
    return text


def parse_endpoint(value: Any) -> str:
    """An emulator's address: ``host:port`` or ``http://host:port`` (no trailing ``/``)."""
    text = parse_text(value).rstrip("/")
    if any(c.isspace() for c in text):
        refuse("{name=} is not an address", "e.g. http://127.0.0.1:9050")
    return text if "://" in text else f"http://{text}"


def _refused_config(exc: Exception) -> NoReturn:
    """A ``ConfigError`` of a file or rule parser as the loader's refusal (braces kept literal:
    the message quotes the file's text)."""
    message = getattr(exc, "message", str(exc)).replace("{", "{{").replace("}", "}}")
    hint = (getattr(exc, "hint", None) or "fix {name}").replace("{", "{{").replace("}", "}}")
    refuse(message, hint)


def parse_slo_file(value: Any) -> tuple[Any, ...]:
    """An OpenSLO v1 YAML file (SPEC §11), read and checked now: the SLOs it declares."""
    from betterstack_etl.errors import ConfigError
    from betterstack_etl.sla.slo_file import load_slo_file

    path = parse_text(value)
    try:
        return load_slo_file(path)
    except ConfigError as exc:
        _refused_config(exc)


def parse_burn_rules(value: Any) -> tuple[Any, ...]:
    """Burn-rate alert rules, ``name:short/long>threshold,…`` (``sla.alerts``)."""
    from betterstack_etl.errors import ConfigError
    from betterstack_etl.sla.alerts import BURN_RULES_ENV, burn_rules_from_env

    try:
        return burn_rules_from_env({BURN_RULES_ENV: parse_text(value)})
    except ConfigError as exc:
        _refused_config(exc)
