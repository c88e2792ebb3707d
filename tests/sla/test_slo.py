"""SLOs from an OpenSLO v1 file (SPEC §11): the file's loading and refusals, and
``eai_gateway_slo_status`` in DuckDB against a plain-Python oracle that reads the same file with
PyYAML on its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from betterstack_etl.errors import ConfigError
from betterstack_etl.sla import SlaOptions, create_duckdb_views
from betterstack_etl.sla.slo_file import load_slo_file

from . import oracle, scenario
from .rows import fetch, load_duckdb, raw_tables

FILE = Path(__file__).parent / "slo_files" / "city_hall.yaml"
STATUS = "eai_gateway_slo_status"


def oracle_slos(path: Path) -> list[oracle.SloDecl]:
    """The SLO documents of ``path``, read independently of ``slo_file``."""
    out = []
    for doc in yaml.safe_load_all(path.read_text()):
        if doc["kind"] != "SLO":
            continue
        src = doc["spec"]["indicator"]["spec"]["thresholdMetric"]["metricSource"]["spec"]
        window = doc["spec"]["timeWindow"][0]["duration"]
        out.append(
            oracle.SloDecl(
                name=doc["metadata"]["name"],
                indicator=src["indicator"],
                target=doc["spec"]["objectives"][0]["target"],
                window="month" if window == "1M" else window,
                monitor_ids=tuple(src.get("monitor_ids", ())),
                group=src.get("monitor_group"),
                threshold=src.get("threshold_seconds"),
                regions=tuple(src.get("regions", ())),
            )
        )
    return out


@pytest.fixture(scope="module")
def status_rows() -> list[dict[str, Any]]:
    conn = duckdb.connect()
    conn.execute("SET TimeZone = 'America/Sao_Paulo'")  # must not matter
    load_duckdb(
        conn,
        raw_tables(
            scenario.INCIDENTS, scenario.MONITORS, scenario.SLAS, scenario.POINTS, scenario.COVERAGE
        ),
    )
    options = SlaOptions(slos=load_slo_file(FILE))
    create_duckdb_views(conn, options=options, now=scenario.NOW)
    return fetch(conn, STATUS)


def test_slo_status_matches_the_oracle(status_rows: list[dict[str, Any]]) -> None:
    declared = [*oracle_slos(FILE), oracle.SloDecl("default", "availability", 0.999)]
    want = oracle.slo_status(
        declared,
        scenario.INCIDENTS,
        scenario.MONITORS,
        scenario.POINTS,
        scenario.COVERAGE,
        scenario.NOW,
        "America/Sao_Paulo",
    )
    got = {(r["slo_name"], r["monitor_id"]): r for r in status_rows}
    assert set(got) == set(want)
    # m-a has its own availability SLO, m-c its group's: only m-b falls to the default
    assert {k for k in got if k[0] == "default"} == {("default", "m-b")}
    for key, expected in want.items():
        for column, value in expected.items():
            if value is None or isinstance(value, str):
                assert got[key][column] == value, (key, column)
            else:
                assert got[key][column] == pytest.approx(value, abs=1e-6), (key, column)


def test_slo_status_hand_checked(status_rows: list[dict[str, Any]]) -> None:
    got = {(r["slo_name"], r["monitor_id"]): r for r in status_rows}
    latency = got[("gateway-latency", "m-a")]  # us checks: 0.1 0.4 0.2 1.0 0.3 0.7 → 3 above
    assert (latency["total"], latency["good"], latency["sli"]) == (6, 3, 0.5)
    assert latency["status"] == "breached"  # 80 % wanted, 50 % measured
    gateway = got[("gateway-availability", "m-a")]
    assert gateway["error_budget"] == pytest.approx(30 * 86400 * 0.005)
    assert gateway["error_budget_remaining"] == pytest.approx(30 * 86400 * 0.005 - 12600)
    # the last hour with data (14:00-15:00): a5 from 14:30, a6 inside it → 30 min of 60 down
    assert gateway["burn_rate_1h"] == pytest.approx(0.5 / 0.005)
    assert (
        got[("intranet", "m-c")]["window_start"]
        < got[("gateway-availability", "m-a")]["window_start"]
    )  # 28 days back


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "slo.yaml"
    path.write_text(text)
    return path


def _bad(tmp_path: Path, old: str, new: str) -> str:
    path = _write(tmp_path, FILE.read_text().replace(old, new, 1))
    with pytest.raises(ConfigError) as caught:
        load_slo_file(path)
    line = str(caught.value)
    assert "\n" not in line
    return line


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("apiVersion: openslo/v1\nkind: SLO", "apiVersion: openslo/v2\nkind: SLO",
         "document 2 ('gateway-availability'): apiVersion"),
        ("target: 0.995", "target: 99.5", "spec.objectives[0].target is 99.5"),
        ("type: BetterStack", "type: Prometheus", "metricSource.type is not BetterStack"),
        ("indicator: availability\n            monitor_ids",
         "indicator: uptime\n            monitor_ids", "indicator is 'uptime'"),
        ("budgetingMethod: Occurrences", "budgetingMethod: Timeslices",
         "'gateway-latency'): spec.budgetingMethod"),
        ("duration: 30d", "duration: 7d", "'gateway-latency'): spec.timeWindow[0]"),
        ("threshold_seconds: 0.35", "threshold_seconds: fast", "threshold_seconds is str"),
        ("regions: [us]", "regions: [mars]", "regions holds ['mars']"),
        ("name: intranet\n", "name: gateway-latency\n", "two SLOs are named 'gateway-latency'"),
        ("monitor_group: \"42\"", "monitor_group: \"42\"\n            monitor_ids: [\"m-c\"]",
         "names both monitor_ids and monitor_group"),
    ],
)  # fmt: skip
def test_a_bad_file_fails_with_one_line_naming_document_field_and_fix(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    message = _bad(tmp_path, old, new)
    assert expected in message, message
    assert str(tmp_path / "slo.yaml") in message


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        load_slo_file(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_slo_file(_write(tmp_path, "kind: [SLO\n"))
    with pytest.raises(ConfigError, match="holds no document"):
        load_slo_file(_write(tmp_path, "---\n"))


def test_the_file_is_read_before_any_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The settings (what run, the flow and check load first) refuse a bad file, in one line
    naming the variable, the document and the field; a good one gives the run its SLOs."""
    from betterstack_etl.settings import run_params

    bad = {"BETTERSTACK_SLO_FILE": str(_write(tmp_path, "apiVersion: 1\n")), "MONITOR_ID": "all"}
    with pytest.raises(ConfigError, match="apiVersion") as caught:
        run_params(bad)
    assert "\n" not in str(caught.value)
    good = {"BETTERSTACK_SLO_FILE": str(FILE), "MONITOR_ID": "all"}
    assert [s.name for s in run_params(good).sla.slos] == [
        "gateway-availability", "gateway-latency", "intranet"]  # fmt: skip
