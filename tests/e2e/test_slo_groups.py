"""An SLO file naming a Better Stack monitor group by its name (SPEC §11), run against the
simulator: the run reads ``GET /api/v2/monitor-groups`` once, only when a name needs it, and the
SLO applies to the group's monitors. The expected monitors come from the simulator's world
(its groups and the monitors' ``group_id``), not from the pipeline."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from betterstack_etl.errors import ConfigError
from betterstack_etl.ops.report import run_report
from betterstack_etl.secret import Secret
from betterstack_etl.settings import load_settings
from betterstack_etl.simulator import Simulator

pytestmark = pytest.mark.slow

Run = Callable[..., dict[str, Any]]
Query = Callable[[str], list[tuple[Any, ...]]]
GROUPS = "/api/v2/monitor-groups"

SLO = """\
apiVersion: openslo/v1
kind: SLO
metadata: {{name: {name}}}
spec:
  indicator:
    metadata: {{name: {name}-sli}}
    spec:
      thresholdMetric:
        metricSource:
          type: BetterStack
          spec: {{indicator: availability, monitor_group: {group}}}
  budgetingMethod: Timeslices
  objectives: [{{target: 0.99}}]
"""


def _slo_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **groups: str) -> Path:
    path = tmp_path / "slos.yaml"
    path.write_text("---\n".join(SLO.format(name=n, group=g) for n, g in groups.items()))
    monkeypatch.setenv("BETTERSTACK_SLO_FILE", str(path))
    return path


def _members(sim: Simulator, name: str) -> tuple[str, set[str]]:
    """The id of the world's group called ``name`` and its monitors, from the world itself."""
    group = next(g for g in sim.world.groups() if g.name == name)
    return str(group.id), {m.id for m in sim.world.monitors() if m.group_id == group.id}


def test_an_slo_names_its_group_by_name(
    core_run: Run,
    pipeline_env: Simulator,
    query: Query,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim = pipeline_env
    _citizen_id, citizen = _members(sim, "Serviços ao cidadão")
    infra_id, infra = _members(sim, "Infraestrutura")
    everyone = {m.id for m in sim.world.monitors()}
    assert citizen
    assert infra
    assert citizen | infra < everyone
    _slo_file(
        tmp_path,
        monkeypatch,
        citizen='"SERVIÇOS AO CIDADÃO"',  # by name, matched ignoring case (one group)
        infra=f'"{infra_id}"',  # by id: looked up nowhere
    )
    summary = core_run(tables="monitors")
    assert all(t["error"] is None for t in summary["tables"].values())
    assert sim.stats.by_endpoint[GROUPS] == 1  # read once
    rows = query("SELECT slo_name, monitor_id FROM eai_gateway_slo_status")
    applied: dict[str, set[str]] = {}
    for slo_name, monitor_id in rows:
        applied.setdefault(slo_name, set()).add(monitor_id)
    assert applied == {"citizen": citizen, "infra": infra, "default": everyone - citizen - infra}
    # the report command resolves the name too (with the token), into the same SLO sections
    params = load_settings().run_params()
    out = tmp_path / "report.html"
    run_report(params, out=str(out), now=sim.clock.now(), token=Secret("sim-token"))
    assert sim.stats.by_endpoint[GROUPS] == 2
    html = out.read_text()
    assert html.count('data-slo="citizen"') == len(citizen)
    assert html.count('data-slo="infra"') == len(infra)
    with pytest.raises(ConfigError, match="SLO 'citizen' names its monitor group by name"):
        run_report(params, out=str(out), now=sim.clock.now())


def test_ids_only_never_read_the_groups(
    core_run: Run,
    pipeline_env: Simulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    infra_id, _ = _members(pipeline_env, "Infraestrutura")
    _slo_file(tmp_path, monkeypatch, infra=infra_id)  # an int in YAML: an id
    core_run(tables="monitors")
    assert GROUPS not in pipeline_env.stats.by_endpoint


@pytest.mark.parametrize(
    ("group", "expected"),
    [
        (
            "Gateway",
            "SLO 'gw': monitor_group 'Gateway' matches no monitor group; the account has 2: "
            "'Serviços ao cidadão' (id {citizen}), 'Infraestrutura' (id {infra})",
        ),
    ],
)
def test_an_unknown_group_stops_the_run_before_any_data_request(
    run_either: Run,
    pipeline_env: Simulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    group: str,
    expected: str,
) -> None:
    citizen_id, _ = _members(pipeline_env, "Serviços ao cidadão")
    infra_id, _ = _members(pipeline_env, "Infraestrutura")
    _slo_file(tmp_path, monkeypatch, gw=group)
    with pytest.raises(ConfigError) as caught:
        run_either()
    line = str(caught.value)
    assert "\n" not in line
    assert expected.format(citizen=citizen_id, infra=infra_id) in line
    assert set(pipeline_env.stats.by_endpoint) == {GROUPS}  # nothing else was asked
