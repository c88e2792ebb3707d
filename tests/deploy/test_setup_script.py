"""scripts/setup.sh is quiet by default: one summary line instead of uv's package list.

A fake ``uv`` (printing 182 package lines, as the real one does on a fresh .venv) and a fake
``npm`` stand in on a PATH that holds nothing else but the few shell tools the script uses, so
the test needs no network and installs nothing (no apt-get on that PATH).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_LINES = 182
FAKE_UV = f"""#!/bin/sh
echo "Resolved {PACKAGE_LINES} packages" >&2
i=0
while [ $i -lt {PACKAGE_LINES} ]; do echo " + package-$i==1.0"; i=$((i+1)); done
if [ -n "$FAKE_UV_FAIL" ]; then echo "error: no matching distribution" >&2; exit 1; fi
mkdir -p .venv/bin
ln -sf "$FAKE_UV_PYTHON" .venv/bin/python
exit 0
"""
TOOLS = (
    "bash", "sh", "cat", "mktemp", "rm", "cmp", "mkdir", "cp", "id", "dirname", "python3", "ln"
)  # fmt: skip


def _sandbox(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    repo = tmp_path / "repo"
    (repo / "scripts" / "zetasql").mkdir(parents=True)
    (repo / "src" / "pkg").mkdir(parents=True)
    (repo / "src" / "pkg" / "__init__.py").write_text("ANSWER = 42\n")
    shutil.copy(ROOT / "scripts" / "setup.sh", repo / "scripts" / "setup.sh")
    for name in ("package.json", "package-lock.json"):
        shutil.copy(ROOT / "scripts" / "zetasql" / name, repo / "scripts" / "zetasql" / name)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "uv").write_text(FAKE_UV)
    (bin_dir / "npm").write_text("#!/bin/sh\nexit 0\n")
    for fake in ("uv", "npm"):
        (bin_dir / fake).chmod(0o755)
    for tool in TOOLS:
        found = shutil.which(tool)
        if found is None:
            pytest.skip(f"{tool} not found on this machine")
        (bin_dir / tool).symlink_to(found)
    env = {
        "PATH": str(bin_dir),
        "HOME": str(tmp_path),
        "PYTHON": "python3",
        "PYTHONDONTWRITEBYTECODE": "1",  # as on this project's machines
        "FAKE_UV_PYTHON": os.path.realpath(sys.executable),  # the .venv's interpreter
    }
    return repo, env


def _run(repo: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [env["PATH"] + "/bash", "scripts/setup.sh", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_setup_is_quiet_by_default(tmp_path: Path) -> None:
    repo, env = _sandbox(tmp_path)
    done = _run(repo, env)
    assert done.returncode == 0, done.stderr
    output = done.stdout + done.stderr
    assert "package-0==" not in output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) <= 3, lines
    assert any("installed from uv.lock" in line and "-v" in line for line in lines)
    assert lines[-1].startswith("environment ready: ")


def test_setup_compiles_the_package_even_where_bytecode_is_not_written(tmp_path: Path) -> None:
    """The package is installed editable, so uv compiles only the dependencies; with
    PYTHONDONTWRITEBYTECODE set, every process would compile it again."""
    repo, env = _sandbox(tmp_path)
    done = _run(repo, env)
    assert done.returncode == 0, done.stderr
    assert list((repo / "src" / "pkg" / "__pycache__").glob("__init__.*.pyc"))


def test_setup_verbose_shows_every_package(tmp_path: Path) -> None:
    repo, env = _sandbox(tmp_path)
    done = _run(repo, env, "-v")
    assert done.returncode == 0, done.stderr
    listed = [line for line in done.stderr.splitlines() if line.startswith(" + package-")]
    assert len(listed) == PACKAGE_LINES


def test_setup_shows_full_output_on_failure(tmp_path: Path) -> None:
    repo, env = _sandbox(tmp_path)
    done = _run(repo, {**env, "FAKE_UV_FAIL": "1"})
    assert done.returncode != 0
    assert "error: no matching distribution" in done.stderr
    assert sum(line.startswith(" + package-") for line in done.stderr.splitlines()) == PACKAGE_LINES
    assert "environment ready" not in done.stderr


def test_setup_rejects_an_unknown_argument(tmp_path: Path) -> None:
    repo, env = _sandbox(tmp_path)
    done = _run(repo, env, "--bogus")
    assert done.returncode == 2
    assert "--bogus" in done.stderr
    assert "-v" in done.stderr
    assert sorted(os.listdir(repo)) == ["scripts", "src"]  # no .venv made
