"""Monitor groups named by name in the SLO file (SPEC §11): the pure name → id resolution and
its refusals (``sla.groups``)."""

from __future__ import annotations

import pytest

from betterstack_etl.errors import ConfigError
from betterstack_etl.sla.groups import (
    MonitorGroup,
    apply_group_ids,
    group_listing,
    needs_groups,
    resolve_group_names,
)
from betterstack_etl.sla.slo_file import Slo

GROUPS = (
    MonitorGroup("101", "Serviços ao cidadão"),
    MonitorGroup("102", "Infraestrutura"),
    MonitorGroup("103", "infraestrutura"),  # differs from 102 by case only
    MonitorGroup("104", "Portal"),
)


def slo(name: str, group: str | None) -> Slo:
    return Slo(name=name, indicator="availability", target=0.99, monitor_group=group)


def test_the_listing_is_read_only_for_a_group_named_by_name() -> None:
    assert not needs_groups([slo("a", None), slo("b", "3000007"), slo("c", "42")])
    assert needs_groups([slo("a", "3000007"), slo("b", "Portal")])
    assert needs_groups([slo("a", "12a")])  # not all digits: a name
    assert needs_groups([slo("a", "١٢")])  # Arabic-Indic digits are not ASCII digits: a name


def test_exact_names_then_a_unique_case_insensitive_match() -> None:
    slos = [
        slo("citizen", "Serviços ao cidadão"),
        slo("citizen-lower", "SERVIÇOS AO CIDADÃO"),  # one group matches ignoring case
        slo("infra-exact", "infraestrutura"),  # exact wins over the case-insensitive twin
        slo("portal", "portal"),
        slo("by-id", "102"),  # an id stays an id, looked up nowhere
        slo("everything", None),
    ]
    ids = resolve_group_names(slos, GROUPS)
    assert ids == {
        "Serviços ao cidadão": "101",
        "SERVIÇOS AO CIDADÃO": "101",
        "infraestrutura": "103",
        "portal": "104",
    }
    resolved = apply_group_ids(slos, ids)
    assert [s.monitor_group for s in resolved] == ["101", "101", "103", "104", "102", None]
    assert [s.name for s in resolved] == [s.name for s in slos]


def test_a_name_matching_several_groups_ignoring_case_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_group_names([slo("infra", "INFRAESTRUTURA")], GROUPS)
    line = str(caught.value)
    assert "\n" not in line
    assert "SLO 'infra'" in line
    assert "'INFRAESTRUTURA'" in line
    assert "matches 2 monitor groups" in line
    assert "'Infraestrutura' (id 102)" in line
    assert "'infraestrutura' (id 103)" in line
    assert "its id" in line  # the fix


def test_two_groups_of_the_very_same_name_are_refused() -> None:
    twins = (MonitorGroup("1", "Web"), MonitorGroup("2", "Web"))
    with pytest.raises(ConfigError, match=r"matches 2 monitor groups: 'Web' \(id 1\), 'Web'"):
        resolve_group_names([slo("web", "Web")], twins)


def test_an_unknown_name_lists_a_few_groups_and_counts_the_rest() -> None:
    many = tuple(MonitorGroup(str(i), f"Grupo {i}") for i in range(1, 9))
    with pytest.raises(ConfigError) as caught:
        resolve_group_names([slo("gw", "Gateway")], many)
    line = str(caught.value)
    assert "\n" not in line
    assert line.startswith("BETTERSTACK_SLO_FILE: SLO 'gw': monitor_group 'Gateway' matches no")
    assert "the account has 8: 'Grupo 1' (id 1)" in line
    assert "'Grupo 5' (id 5) and 3 more" in line
    assert "Grupo 6" not in line
    assert "one of these names, or as the group's id" in line


def test_an_account_without_groups() -> None:
    with pytest.raises(ConfigError, match="matches no monitor group: the account has none"):
        resolve_group_names([slo("gw", "Gateway")], ())


def test_group_names_are_shown_literally_and_bounded() -> None:
    hostile = "[/bold] $\\frac{1}{$ <script>\x1b[31m\u202e" + "x" * 500
    with pytest.raises(ConfigError) as caught:
        resolve_group_names([slo("gw", "Gateway")], (MonitorGroup("7", hostile),))
    line = str(caught.value)
    assert "\x1b" not in line
    assert "\u202e" not in line
    assert "\\x1b[31m" in line
    assert "\\u202e" in line
    assert "x" * 200 not in line
    assert len(line) < 600
    assert "[/bold] $\\\\frac{1}{$ <script>" in line  # the characters themselves (repr)


def test_the_listing_of_the_api() -> None:
    resources = [
        {"id": "3000007", "type": "monitor_group", "attributes": {"name": "Infraestrutura"}},
        {"id": 3000014, "attributes": {"name": "Portal"}},  # an int id, as some clients type it
        {"id": "3000021", "attributes": {"name": None}},  # no name: no SLO can name it
        {"id": "not-an-id", "attributes": {"name": "Odd"}},
        {"attributes": {"name": "No id"}},
        {"id": True, "attributes": {"name": "A bool"}},
        "not a resource",
    ]
    assert group_listing(resources) == (  # type: ignore[arg-type]
        MonitorGroup("3000007", "Infraestrutura"),
        MonitorGroup("3000014", "Portal"),
    )
