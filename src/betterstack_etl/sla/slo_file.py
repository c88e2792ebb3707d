"""SLOs declared in an OpenSLO v1 file (SPEC §11): ``BETTERSTACK_SLO_FILE``.

Each ``kind: SLO`` document names its monitors and its indicator in the SLI's metric source::

    apiVersion: openslo/v1
    kind: SLO
    metadata: {name: gateway-availability}
    spec:
      service: eai-gateway
      indicator:
        metadata: {name: gateway-up}
        spec:
          thresholdMetric:
            metricSource:
              type: BetterStack
              spec: {indicator: availability, monitor_ids: ["123", "456"]}
      timeWindow: [{duration: 1M, isRolling: false}]    # or 28d / 30d rolling
      budgetingMethod: Timeslices                         # latency: Occurrences
      objectives: [{displayName: 99.5 %, target: 0.995}]

``indicator: latency`` adds ``threshold_seconds`` (a check is good when its ``response_time`` is
at most that) and optionally ``regions``. ``monitor_group`` (a Better Stack monitor group, by its
id as the listing shows it in ``monitor_group_id`` when all digits, else by its name: the run
resolves names to ids, ``sla.groups``) replaces ``monitor_ids``; a document naming
neither is the **default** for its indicator: every monitor no other document of that indicator
names. Without a default availability document, monitors no document names get availability at
``BETTERSTACK_SLO`` over the calendar month (SPEC §8.2). ``kind: Service`` documents are allowed
(and ignored but for their names).

A bad file stops everything before any request, with one line naming the document (its index
and ``metadata.name``), the field and the fix (``ConfigError``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from betterstack_etl.errors import ConfigError

__all__ = ["SLO_FILE_ENV", "Indicator", "Slo", "WindowKind", "default_slo", "load_slo_file"]

SLO_FILE_ENV: Final = "BETTERSTACK_SLO_FILE"
Indicator = Literal["availability", "latency"]
WindowKind = Literal["month", "28d", "30d"]
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?$")
_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
_REGIONS: Final = ("us", "eu", "as", "au")
_MAX_BYTES: Final = 1_000_000
_MAX_DOCUMENTS: Final = 1000


@dataclass(frozen=True, slots=True)
class Slo:
    """One declared objective, as the views read it."""

    name: str
    indicator: Indicator
    target: float  # 0 < target < 1
    window: WindowKind = "month"
    service: str | None = None
    monitor_ids: tuple[str, ...] = ()
    monitor_group: str | None = None
    threshold_seconds: float | None = None  # latency only
    regions: tuple[str, ...] = ()  # latency only; () = every region

    @property
    def is_default(self) -> bool:
        return not self.monitor_ids and self.monitor_group is None


def default_slo(slo_pct: float) -> Slo:
    """The objective of monitors no document names: availability at ``BETTERSTACK_SLO``."""
    return Slo(name="default", indicator="availability", target=slo_pct / 100)


class _Doc:
    """Field access within one document, raising the one-line error that names it."""

    def __init__(self, path: Path, index: int, body: Any) -> None:
        self.path = path
        self.index = index
        self.body = body
        name = body.get("metadata", {}).get("name") if isinstance(body, dict) else None
        self.label = f"document {index + 1}" + (f" ({name!r})" if isinstance(name, str) else "")

    def fail(self, field: str, problem: str, fix: str) -> ConfigError:
        return ConfigError(f"{self.path}: {self.label}: {field} {problem}", hint=fix)

    def get(self, field: str, kind: type | tuple[type, ...], *, required: bool = True) -> Any:
        node: Any = self.body
        for part in field.split("."):
            if not isinstance(node, dict):
                raise self.fail(field, "is missing", f"add {field} (OpenSLO v1)")
            node = node.get(part)
        if node is None:
            if required:
                raise self.fail(field, "is missing", f"add {field} (OpenSLO v1)")
            return None
        if not isinstance(node, kind) or (isinstance(node, bool) and bool not in _tuple(kind)):
            names = " or ".join(k.__name__ for k in _tuple(kind))
            raise self.fail(
                field, f"is {type(node).__name__}, not {names}", f"make {field} a {names}"
            )
        return node


def _tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def load_slo_file(path: str | Path) -> tuple[Slo, ...]:
    """The SLOs of an OpenSLO v1 YAML file; ``ConfigError`` (one line: document, field, fix)
    for anything that is not a valid declaration."""
    where = Path(path).expanduser()
    hint = f"set {SLO_FILE_ENV} to a readable OpenSLO v1 YAML file"
    try:
        raw = where.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"{SLO_FILE_ENV}={str(where)!r} cannot be read: {exc.strerror}", hint=hint
        ) from None
    if len(raw) > _MAX_BYTES:
        raise ConfigError(f"{where}: larger than {_MAX_BYTES} bytes", hint=hint)
    import yaml  # only when a file is read (20 ms a run otherwise)

    try:
        documents = [d for d in yaml.safe_load_all(raw.decode("utf-8")) if d is not None]
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"{where}: not valid YAML: {first}", hint="fix the YAML syntax") from None
    if not documents:
        raise ConfigError(f"{where}: holds no document", hint="declare at least one kind: SLO")
    if len(documents) > _MAX_DOCUMENTS:
        raise ConfigError(f"{where}: more than {_MAX_DOCUMENTS} documents", hint=hint)
    slos: list[Slo] = []
    services: set[str] = set()
    for index, body in enumerate(documents):
        doc = _Doc(where, index, body)
        if not isinstance(body, dict):
            raise doc.fail(
                "the document", "is not a mapping", "write each document as a YAML mapping"
            )
        if doc.get("apiVersion", str) != "openslo/v1":
            raise doc.fail("apiVersion", f"is {body['apiVersion']!r}", "use apiVersion: openslo/v1")
        kind = doc.get("kind", str)
        name = doc.get("metadata.name", str)
        if not _NAME.match(name):
            raise doc.fail(
                "metadata.name",
                f"{name!r} is not a valid name",
                "use lower-case letters, digits and '-' (at most 63 characters)",
            )
        if kind == "Service":
            services.add(name)
            continue
        if kind != "SLO":
            raise doc.fail("kind", f"is {kind!r}", "use kind: SLO or kind: Service")
        slos.append(_slo(doc, name))
    _check_unique(where, slos)
    return tuple(slos)


def _slo(doc: _Doc, name: str) -> Slo:
    if doc.get("spec.indicatorRef", str, required=False) is not None:
        raise doc.fail(
            "spec.indicatorRef", "is not supported", "declare the SLI inline under spec.indicator"
        )
    sli = "spec.indicator.spec"
    metric = f"{sli}.thresholdMetric"
    if doc.get(metric, dict, required=False) is None:
        metric = f"{sli}.ratioMetric.total"  # the ratio form: its total names the source
        if doc.get(metric, dict, required=False) is None:
            raise doc.fail(
                f"{sli}.thresholdMetric",
                "is missing",
                "name the Better Stack source under thresholdMetric.metricSource",
            )
    source = f"{metric}.metricSource"
    if doc.get(f"{source}.type", str) != "BetterStack":
        raise doc.fail(f"{source}.type", "is not BetterStack", "set metricSource.type: BetterStack")
    spec = f"{source}.spec"
    indicator = doc.get(f"{spec}.indicator", str)
    if indicator not in ("availability", "latency"):
        raise doc.fail(f"{spec}.indicator", f"is {indicator!r}", "use availability or latency")
    ids = doc.get(f"{spec}.monitor_ids", list, required=False) or []
    group = doc.get(f"{spec}.monitor_group", (str, int), required=False)
    if ids and group is not None:
        raise doc.fail(f"{spec}", "names both monitor_ids and monitor_group", "keep one of them")
    monitor_ids = []
    for value in ids:
        text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        if not isinstance(text, str) or not _ID.match(text):
            raise doc.fail(
                f"{spec}.monitor_ids",
                f"holds {value!r}",
                'list Better Stack monitor ids, e.g. ["123456"]',
            )
        monitor_ids.append(text)
    threshold, regions = None, ()
    budgeting = doc.get("spec.budgetingMethod", str)
    if indicator == "latency":
        threshold = _number(doc, f"{spec}.threshold_seconds", 0, 600)
        wanted = doc.get(f"{spec}.regions", list, required=False) or []
        if any(r not in _REGIONS for r in wanted):
            raise doc.fail(f"{spec}.regions", f"holds {wanted!r}", f"use regions among {_REGIONS}")
        regions = tuple(wanted)
        if budgeting != "Occurrences":
            raise doc.fail(
                "spec.budgetingMethod",
                f"is {budgeting!r}",
                "a latency SLO counts checks: use budgetingMethod: Occurrences",
            )
    elif budgeting not in ("Timeslices", "RatioTimeslices"):
        raise doc.fail(
            "spec.budgetingMethod",
            f"is {budgeting!r}",
            "an availability SLO counts time: use budgetingMethod: Timeslices",
        )
    objectives = doc.get("spec.objectives", list)
    if len(objectives) != 1 or not isinstance(objectives[0], dict):
        raise doc.fail(
            "spec.objectives",
            f"holds {len(objectives)} entries",
            "declare exactly one objective with a target, e.g. target: 0.995",
        )
    target = _number(_Doc(doc.path, doc.index, {"o": objectives[0]}), "o.target", 0, 1, doc)
    service = doc.get("spec.service", str, required=False)
    return Slo(
        name=name,
        indicator=indicator,
        target=target,
        window=_window(doc),
        service=service,
        monitor_ids=tuple(monitor_ids),
        monitor_group=None if group is None else str(group),
        threshold_seconds=threshold,
        regions=regions,
    )


def _number(doc: _Doc, field: str, low: float, high: float, owner: _Doc | None = None) -> float:
    value = doc.get(field, (int, float))
    shown = field.replace("o.target", "spec.objectives[0].target")
    if isinstance(value, bool) or not math.isfinite(value) or not low < value < high:
        raise (owner or doc).fail(
            shown, f"is {value!r}", f"use a number strictly between {low:g} and {high:g}"
        )
    return float(value)


def _window(doc: _Doc) -> WindowKind:
    windows = doc.get("spec.timeWindow", list, required=False)
    if not windows:
        return "month"
    first = windows[0]
    if len(windows) != 1 or not isinstance(first, dict):
        raise doc.fail("spec.timeWindow", "is not one window", "declare one timeWindow entry")
    duration, rolling = first.get("duration"), first.get("isRolling", False)
    if duration == "1M" and rolling is False:
        return "month"
    if duration in ("28d", "30d") and rolling is True:
        return "28d" if duration == "28d" else "30d"
    raise doc.fail(
        "spec.timeWindow[0]",
        f"is duration {duration!r}, isRolling {rolling!r}",
        "use a calendar month (duration: 1M, isRolling: false) or rolling 28d/30d "
        "(isRolling: true)",
    )


def _check_unique(path: Path, slos: list[Slo]) -> None:
    seen: set[str] = set()
    defaults: set[str] = set()
    for slo in slos:
        if slo.name in seen:
            raise ConfigError(
                f"{path}: two SLOs are named {slo.name!r}",
                hint="give each kind: SLO document its own metadata.name",
            )
        seen.add(slo.name)
        if slo.is_default:
            if slo.indicator in defaults:
                raise ConfigError(
                    f"{path}: {slo.name!r}: a second default {slo.indicator} SLO (no monitor_ids "
                    "nor monitor_group)",
                    hint="name the monitors of all but one of them",
                )
            defaults.add(slo.indicator)
