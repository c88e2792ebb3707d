"""One sentence for an SLO breach, said alike by the CLI, the Prefect artifact and the logs,
with the objective as declared (an SLO of 99.99999 % is never rounded to "below 100 %")."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

import pytest

from betterstack_etl.cli.display import summary_notes
from betterstack_etl.flow import summary_markdown
from betterstack_etl.report import SloBreach
from betterstack_etl.report.breaches import breach_text


def _breach(slo_pct: float, name: str = "Portal 10") -> SloBreach:
    return SloBreach("662999", name, date(2026, 12, 1), 94.78, slo_pct, 9022.0, 0.0003, 2588250.0)


@pytest.mark.parametrize(
    ("slo_pct", "shown"), [(99.99999, "99.99999"), (99.9, "99.9"), (99.0, "99"), (95.5, "95.5")]
)
def test_the_objective_is_shown_as_declared(slo_pct: float, shown: str) -> None:
    assert breach_text(asdict(_breach(slo_pct))) == (
        f"Portal 10 (662999) at 94.780 % in 2026-12, below {shown} % "
        "(2588250 % of the error budget used)"
    )


def test_the_cli_and_the_artifact_say_the_same_sentence() -> None:
    breach = {**asdict(_breach(99.99999)), "month": "2026-12-01"}  # as the summary's JSON has it
    summary = {
        "run_id": "r",
        "destination": "local",
        "lake_root": "/lake",
        "window": ["2026-12-03", "2026-12-04"],
        "slo_breaches": [breach],
        "tables": {},
    }
    sentence = "(662999) at 94.780 % in 2026-12, below 99.99999 % (2588250 % of the error budget"
    (note,) = summary_notes(summary)
    assert note.plain == f"SLO breached: Portal 10 {sentence} used)"
    assert f"**SLO breached**: Portal 10 {sentence} used)" in summary_markdown(summary)


def test_the_name_is_quoted_by_the_caller_only() -> None:
    text = breach_text(asdict(_breach(99.9, name="**x** [y](z)")), lambda s: f"<{s}>")
    assert text.startswith("<**x** [y](z)> (<662999>) at 94.780 %")
