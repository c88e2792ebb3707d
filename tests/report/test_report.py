"""The report's figures against the fixture lake's rows, in pt-BR and en, and its empty cases.

Expected figures are worked out here from the fixture's numbers with plain arithmetic and
Python's own formatting (not Babel, not the code under test)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from betterstack_etl.errors import ConfigError
from betterstack_etl.report import (
    DuckDbSource,
    ReportOptions,
    emit_slo_breach_events,
    event_of,
    render_report,
    slo_breaches,
    write_report,
)

from . import fixture_lake as F
from .conftest import rows, section, text

_RENDERED: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}


def _render(root: Path, **cli: str) -> str:
    """The report of ``root`` for these options (rendered once per lake and options)."""
    key = (str(root), tuple(sorted(cli.items())))
    if key not in _RENDERED:
        options = ReportOptions.from_cli(now=F.NOW, **cli)
        with DuckDbSource.open(root) as source:
            _RENDERED[key] = render_report(source, options)
    return _RENDERED[key]


def _pct(value: float, digits: int, lang: str) -> str:
    figure = f"{value:,.{digits}f}"
    if lang == "pt-BR":
        figure = figure.replace(",", "_").replace(".", ",").replace("_", ".")
        return f"{figure}\u00a0%"
    return f"{figure}%"


# month to date: downtime / observed; budget 2592 s (30 days x 0.1 %)
EXPECTED = {
    # id: availability, downtime, incidents, budget left, budget used %, status (pt, en)
    "100": (100.0, "0 s", "0", "43 min 12 s", 0.0, ("dentro do SLO", "within SLO")),
    "200": (100 * (1 - 1800 / F.OBSERVED), "30 min 00 s", "1", "13 min 12 s", 1800 / 2592 * 100,
            ("em risco", "at risk")),
    "300": (100 * (1 - 7200 / F.OBSERVED), "2 h 00 min", "2", "−1 h 16 min", 7200 / 2592 * 100,
            ("violado", "breached")),
}  # fmt: skip


@pytest.mark.parametrize("lang", ["pt-BR", "en"])
def test_first_screen_figures_match_the_monthly_view(lake: Path, lang: str) -> None:
    html = _render(lake, lang=lang)
    table = rows(html, "monitor")
    assert set(table) == {"100", "200", "300"}
    for monitor, (pct, down, count, left, used, status) in EXPECTED.items():
        _name, avail, downtime, incidents, budget, budget_left, budget_used, covered, state = table[
            monitor
        ]
        assert covered == _pct(100, 1, lang)  # the fixture's months are fully covered
        assert avail == _pct(pct, 3, lang), monitor
        assert (downtime, incidents, budget, budget_left) == (down, count, "43 min 12 s", left)
        assert budget_used == _pct(used, 1, lang)
        assert state == status[0 if lang == "pt-BR" else 1]
    # names: the latest pronounceable name; the id when the monitor has none
    assert [table[m][0] for m in ("100", "200", "300")] == [
        "Portal da prefeitura", "Mapa da cidade", "300"]  # fmt: skip
    assert "Mapa antigo" not in html
    answer = (
        "1 de 3 monitores dentro do SLO de 99,900\u00a0% em novembro de 2026 (até agora); "
        "em risco: 1; violado: 1."
        if lang == "pt-BR"
        else "1 of 3 monitors within the 99.900% SLO in November 2026 (so far); "
        "at risk: 1; breached: 1."
    )
    assert answer in text(html)


def test_examples_of_pt_br_figures_use_the_decimal_comma(lake: Path) -> None:
    html = text(_render(lake, lang="pt-BR"))
    assert "99,658\u00a0%" in html
    assert "277,8\u00a0%" in html
    assert "99.658" not in html
    assert "Gerado em: 25/11/2026 09:00" in html  # 12:00 UTC in São Paulo
    english = text(_render(lake, lang="en"))
    assert "99.658%" in english
    assert "Generated: 11/25/26, 9:00\u202fAM" in english


@pytest.mark.parametrize("lang", ["pt-BR", "en"])
def test_longest_incidents_reconciliation_and_missing_hours(lake: Path, lang: str) -> None:
    html = _render(lake, lang=lang)
    broken = section(html, "300")
    longest = rows(broken, "incident")
    # i-4 is an expiry warning (not downtime), i-5 started in October: neither is shown
    assert list(longest) == ["i-2", "i-3"]
    if lang == "pt-BR":
        assert longest["i-2"] == ["12/11/2026 03:00", "12/11/2026 04:30", "1 h 30 min",
                                  "Connection refused"]  # fmt: skip
        assert longest["i-3"][1:3] == ["em aberto", "30 min 00 s"]  # open: until now
    else:
        assert longest["i-2"][:3] == ["11/12/26, 3:00\u202fAM", "11/12/26, 4:30\u202fAM",
                                      "1 h 30 min"]  # fmt: skip
        assert longest["i-3"][1] == "open"
    mismatches = rows(broken, "date")
    assert list(mismatches) == ["2026-11-12"]  # the matching day and October are left out
    assert mismatches["2026-11-12"][1:4] == ["1 h 00 min", "1 h 30 min", "−30 min 00 s"]
    assert rows(section(html, "200"), "date") == {}
    missing = rows(section(html, "200"), "region")
    if lang == "pt-BR":
        # eu: 02:00-05:00 UTC absent = 23:00-02:00 in São Paulo; us: 20:00 UTC had 10 of 60
        assert missing["eu"] == ["eu", "24/11/2026 23:00", "25/11/2026 02:00", "3", "0 / 180"]
        assert missing["us"] == ["us", "24/11/2026 17:00", "24/11/2026 18:00", "1", "10 / 60"]


def test_every_chart_is_inline_svg_and_nothing_points_outside(lake: Path) -> None:
    html = _render(lake)
    charts = re.findall(r'<svg class="chart" data-chart="([a-z-]+)"', html)
    # the budget bars; daily bars for 3 monitors; response times of the one monitor that has
    # them; a timeline for the two monitors with incidents
    assert sorted(charts) == sorted(
        ["budget", "daily", "daily", "daily", "response-times", "timeline", "timeline"]
    )
    assert "Content-Security-Policy" in html
    assert "default-src 'none'" in html
    assert not re.search(r"<script|<link|<img|<iframe|\ssrc=|url\((?!#)", html)
    assert len(html.encode()) < 400_000


def test_a_month_without_data_and_an_empty_lake_still_render(lake: Path, tmp_path: Path) -> None:
    html = text(_render(lake, month="2026-09"))
    assert "Nenhum monitor tem dados para setembro de 2026." in html
    assert "O lago não tem dados para o período 1 de set. de 2026 – 30 de set. de 2026" in html
    empty = text(_render(F.build_empty(tmp_path / "empty"), lang="en"))
    assert "No monitor has data for November 2026 (so far)." in empty
    assert "The lake has no data for the period Nov 1, 2026 – Nov 30, 2026" in empty


def test_a_lake_with_only_today(tmp_path: Path) -> None:
    root = F.build_empty(tmp_path / "today")
    con = duckdb.connect(str(root / "betterstack.duckdb"))
    observed = 9 * 3600  # since midnight in São Paulo
    con.execute(
        "INSERT INTO eai_gateway_availability_monthly VALUES ('7', DATE '2026-11-01', ?, ?, 0, 0, "
        "100, NULL, NULL, NULL, 99.9, 2592, 2592, ?, 100)", [F.TZ, observed, observed])  # fmt: skip
    con.execute(
        "INSERT INTO eai_gateway_availability_daily VALUES ('7', DATE '2026-11-25', ?, ?, 0, 0, 100)",
        [F.TZ, observed],
    )
    con.close()
    html = _render(root, lang="en")
    assert rows(html, "monitor")["7"][1:3] == ["100.000%", "0 s"]
    words = text(section(html, "7"))
    for expected in ("No incident in the period.", "No response times in the lake for the period.",
                     "The lake has no daily SLA from the API for the period.",
                     "No response times in the period: nothing to compare."):  # fmt: skip
        assert expected in words
    assert re.findall(r'data-chart="([a-z-]+)"', html) == ["budget", "daily"]


def test_a_lake_without_the_views_says_what_is_missing(tmp_path: Path) -> None:
    root = tmp_path / "old"
    root.mkdir()
    duckdb.connect(str(root / "betterstack.duckdb")).close()
    words = text(_render(root))
    assert (
        "O lago não tem eai_gateway_availability_monthly; esta parte do relatório fica vazia."
        in words
    )
    assert "O lago não tem eai_gateway_monitors; os monitores aparecem pelo id." in words


def test_other_slo_recomputes_the_budget(lake: Path) -> None:
    table = rows(_render(lake, slo="99.5", lang="en"), "monitor")
    # 30 days x 0.5 % = 12960 s = 3 h 36 min; 300 used 7200 s of it
    assert table["300"][4:7] + table["300"][8:] == ["3 h 36 min", "1 h 36 min", _pct(7200 / 12960 * 100, 1, "en"),
                                 "at risk"]  # fmt: skip


def test_one_monitor(lake: Path) -> None:
    html = _render(lake, monitor_id="200")
    assert set(rows(html, "monitor")) == {"200"}
    with pytest.raises(ConfigError, match="unknown monitor 999"):
        _render(lake, monitor_id="999")


def test_a_view_in_another_time_zone_is_refused(lake: Path) -> None:
    with pytest.raises(ConfigError, match="--timezone America/Sao_Paulo"):
        _render(lake, time_zone="UTC")


@pytest.mark.parametrize(
    ("cli", "needle"),
    [
        ({"month": "2026-13"}, "bad --month"),
        ({"month": "nov"}, "YYYY-MM"),
        ({"lang": "fr"}, "--lang"),
        ({"slo": "101"}, "--slo '101' is outside 0-100 — set --slo to a percentage strictly"),
        ({"time_zone": "Mars/Olympus"}, "--timezone 'Mars/Olympus' is not a known time zone"),
        ({"from_date": "2026-11-10", "to_date": "2026-11-01"}, "before --from-date"),
        ({"from_date": "20261101"}, "--from-date '20261101' is not a date — write --from-date as"),
        ({"month": "2027-01"}, "after today"),
        ({"monitor_id": "1'; DROP"}, '--monitor-id contains "1\'; DROP", which is not a'),
    ],
)
def test_bad_options(cli: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(needle)):
        ReportOptions.from_cli(now=F.NOW, **cli)


def test_period_defaults_and_bounds() -> None:
    # 2026-12-01 01:00 UTC is still November 30 in São Paulo
    options = ReportOptions.from_cli(now=datetime.fromisoformat("2026-12-01T01:00:00+00:00"))
    assert (options.start, options.end, options.month) == (
        date(2026, 11, 1), date(2026, 11, 30), date(2026, 11, 1))  # fmt: skip
    assert options.start_utc == datetime.fromisoformat("2026-11-01T03:00:00+00:00")
    days = ReportOptions.from_cli(now=F.NOW, from_date="2026-10-20", to_date="2026-11-02")
    assert days.month == date(2026, 11, 1)
    assert days.end_utc - days.start_utc == timedelta(days=14)


def test_slo_breaches_and_their_events(lake: Path) -> None:
    options = ReportOptions.from_cli(now=F.NOW)
    with DuckDbSource.open(lake) as source:
        breaches = slo_breaches(source, month=date(2026, 11, 17), options=options)
        october = slo_breaches(source, month=date(2026, 10, 1), options=options)
    assert [(b.monitor_id, b.name) for b in breaches] == [("300", "300")]
    breach = breaches[0]
    assert breach.availability_pct == pytest.approx(100 * (1 - 7200 / 2_106_000))
    assert (breach.slo_pct, breach.budget_used_seconds, breach.error_budget_seconds) == (
        99.9, 7200, pytest.approx(2592))  # fmt: skip
    assert breach.budget_used_pct == pytest.approx(7200 / 2592 * 100)
    assert {b.monitor_id for b in october} == {"100", "200", "300"}  # 99.3 % each
    event = event_of(breach)
    assert event["event"] == "betterstack.slo.breached"
    assert event["resource"]["prefect.resource.id"] == "betterstack.monitor.300"
    assert event["payload"]["month"] == "2026-11-01"
    assert event["payload"]["error_budget_remaining_seconds"] == pytest.approx(2592 - 7200)


@pytest.mark.slow  # imports Prefect; inside a flow it needs the session's Prefect test server
def test_breach_events_are_emitted_inside_a_prefect_run_only(
    lake: Path, prefect_harness: None
) -> None:
    from prefect import flow

    options = ReportOptions.from_cli(now=F.NOW)
    with DuckDbSource.open(lake) as source:
        breaches = slo_breaches(source, month=F.MONTH, options=options)
    assert emit_slo_breach_events(breaches) == 0  # outside a Prefect run: nothing emitted

    @flow
    def alerting() -> int:
        return emit_slo_breach_events(breaches)

    assert alerting() == 1


def test_write_report_locally(tmp_path: Path) -> None:
    target = tmp_path / "r.html"
    assert write_report("<html>é</html>", str(target)) == str(target)
    assert target.read_text(encoding="utf-8") == "<html>é</html>"
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]  # no temporary left behind
    with pytest.raises(ConfigError, match="does not exist"):
        write_report("x", str(tmp_path / "nowhere" / "r.html"))
    with pytest.raises(ConfigError, match="is a folder"):
        write_report("x", str(tmp_path))


def test_missing_hours_skip_a_partial_first_hour_and_the_hour_in_progress() -> None:
    from betterstack_etl.report.data import find_gaps, hours_window

    h = datetime.fromisoformat("2026-11-25T00:00:00+00:00")

    def row(hours: int, region: str, samples: int) -> dict[str, object]:
        return {"hour": h + timedelta(hours=hours), "region": region, "samples": samples,
                "expected_samples": 60}  # fmt: skip

    rows_ = [
        row(0, "us", 12), row(0, "eu", 7),  # the lake's history begins at 00:48: partial
        row(1, "us", 60), row(1, "eu", 60),
        row(2, "us", 60),  # eu absent at 02:00
        row(3, "us", 29), row(3, "eu", 30),  # us under half of 60, eu exactly half (kept)
        row(4, "us", 5), row(4, "eu", 5),  # 04:00 is still in progress at 04:05
    ]  # fmt: skip
    window = hours_window(rows_, h + timedelta(hours=3), None)
    assert window == (h + timedelta(hours=1), h + timedelta(hours=3))
    gaps = find_gaps(rows_, window, None)
    assert [(g.region, g.start.hour, g.hours, g.samples, g.expected) for g in gaps] == [
        ("eu", 2, 1, 0, None), ("us", 3, 1, 29, 60)]  # fmt: skip
    # a check frequency fills in the expected samples of an hour without a row
    assert find_gaps(rows_, window, 60)[0].expected == 60


def test_the_report_file_is_readable_like_any_file(tmp_path: Path) -> None:
    import os
    import stat

    previous = os.umask(0o022)
    try:
        target = Path(write_report("<html></html>", str(tmp_path / "r.html")))
    finally:
        os.umask(previous)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_public_surface() -> None:
    import betterstack_etl.report as report

    assert sorted(report.__all__) == sorted([
        "EVENT", "BigQuerySource", "DuckDbSource",
        "ReportOptions", "SloBreach", "ViewSource", "emit_slo_breach_events", "event_of",
        "render_report", "slo_breaches", "write_report",
    ])  # fmt: skip
    assert all(hasattr(report, name) for name in report.__all__)
    assert isinstance(DuckDbSource.__new__(DuckDbSource), report.ViewSource)
