"""pyarrow works without importing pandas once the package is imported (issue 24: 0.24 s and
~40 MiB a run), and still hands pandas objects to whoever asks for them; declaring the tables
imports no pyarrow at all (their schemas are made when a table is read or written)."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

_SCRIPT = """
import sys
import betterstack_etl.tables
import pyarrow as pa
import pyarrow.parquet as pq

table = pa.table({"a": pa.array([1, 2]), "b": ["x", None]})
table = pa.Table.from_pylist([{"a": 1, "b": "x"}])
pq.write_table(table, sys.argv[1])
pq.read_table(sys.argv[1])
print("after arrow:", "pandas" in sys.modules)
frame = pq.read_table(sys.argv[1]).to_pandas()
print("to_pandas:", type(frame).__name__, frame["b"].tolist())
"""


def test_arrow_does_not_import_pandas_but_to_pandas_still_works(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(tmp_path / "t.parquet")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["after arrow: False", "to_pandas: DataFrame ['x']"]


def test_without_the_tables_arrow_imports_pandas(tmp_path: Path) -> None:
    """The check above can fail: pyarrow alone does import pandas (when installed)."""
    script = _SCRIPT.replace("import betterstack_etl.tables\n", "")
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "t.parquet")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "after arrow: True"


def test_the_tables_are_declared_without_pyarrow() -> None:
    script = (
        "import sys\n"
        "from betterstack_etl.tables import RESPONSE_TIMES\n"
        "print([m for m in ('pyarrow', 'numpy') if m in sys.modules], RESPONSE_TIMES.columns[2])\n"
        "from betterstack_etl.tables import TIMESTAMP\n"
        "print(RESPONSE_TIMES.schema.field('at').type == TIMESTAMP, str(TIMESTAMP))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["[] at", "True timestamp[ms, tz=UTC]"]
