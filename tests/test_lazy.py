"""``lazy_names``: a package's names imported when first asked for, once (PEP 562)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest


def test_sla_and_lake_import_nothing_behind_a_name_until_it_is_asked_for() -> None:
    script = (
        "import sys, betterstack_etl.sla as sla, betterstack_etl.lake as lake\n"
        "before = {m for m in ('betterstack_etl.sla.views', 'betterstack_etl.lake.local')"
        " if m in sys.modules}\n"
        "assert 'VIEWS' in dir(sla) and 'LocalLake' in dir(lake)\n"
        "sla.SlaOptions\n"
        "after_options = 'betterstack_etl.sla.views' in sys.modules\n"
        "views = sla.VIEWS\n"
        "assert sla.__dict__['VIEWS'] is views  # kept: asked for once\n"
        "print(sorted(before), after_options, 'betterstack_etl.sla.views' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[]", "False", "True"]


def test_an_unknown_name_is_the_usual_attribute_error() -> None:
    import betterstack_etl.sla as sla

    with pytest.raises(
        AttributeError, match=re.escape("module 'betterstack_etl.sla' has no attribute 'NOPE'")
    ):
        sla.NOPE  # noqa: B018
