"""The README followed literally from a clone: its examples name the lake they read, its
references can be followed from the repository, and a missing lake's hint names the folder."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from betterstack_etl.cli.app import app

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_query_example_names_the_lake_it_reads() -> None:
    examples = [line for line in README.splitlines() if "betterstack-etl query" in line]
    assert examples
    assert all("--lake-root" in line for line in examples), examples


def test_no_reference_a_clone_cannot_follow() -> None:
    for dead in ("beside the repository", "SPEC §", "issue 13"):
        assert dead not in README, dead
    for link in re.findall(r"\]\(((?:docs/)[^)#]*)\)", README):
        assert (ROOT / link).exists(), link


def test_setup_says_what_it_installs_and_the_runtime_only_way() -> None:
    assert "1.4 GB" in README
    assert "SETUP_NO_DEV=1 bash" in README
    assert "will differ" in README


def test_a_missing_lake_names_the_folder_the_demo_wrote(tmp_path: Path) -> None:
    ran = CliRunner().invoke(app, ["query", "--lake-root", str(tmp_path / "lake"), "SELECT 1"])
    assert ran.exit_code == 1
    assert "--lake-root ./demo-lake" in " ".join(ran.output.split())


def test_demo_hint_is_one_pasteable_line_named_as_the_readme_does(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for var in [v for v in os.environ if v.startswith(("BETTERSTACK_", "MONITOR_ID"))]:
        monkeypatch.delenv(var)
    monkeypatch.setenv("BETTERSTACK_TASK_RETRIES", "0")
    monkeypatch.setenv("COLUMNS", "80")  # piped output, as in a CI log
    monkeypatch.chdir(tmp_path)
    ran = CliRunner().invoke(app, ["demo", "--monitors", "1"])
    assert ran.exit_code == 0, ran.output
    hint = [line for line in ran.output.splitlines() if line.startswith("Query it: ")]
    assert len(hint) == 1, ran.output[-600:]
    command = hint[0].removeprefix("Query it: ")
    # the quoted SQL is whole on the one line: it can be pasted as it is
    assert re.fullmatch(r'(\S+) query --lake-root \S+ "SELECT [^"]+ GROUP BY 1"', command), command
    prog = command.split()[0]
    first_commands = README.split("```bash", 1)[1].split("```", 1)[0]
    assert f"&& {prog} demo" in first_commands


def test_first_screen_says_what_how_to_start_and_where_next() -> None:
    lines = README.splitlines()
    first_block = lines.index("```bash")
    intro = [line for line in lines[1:first_block] if line.strip()]
    assert len(intro) == 3, intro
    for label, line in zip(("**What**", "**Start**", "**Next**"), intro, strict=True):
        assert line.startswith(label), line
    for anchor in re.findall(r"\]\(#([^)]+)\)", intro[2]):
        titles = [h.lstrip("#").strip() for h in lines if h.startswith("#")]
        slugs = {re.sub(r"[^a-z0-9 -]", "", t.lower()).replace(" ", "-") for t in titles}
        assert anchor in slugs, anchor
    # the two first commands: one sets up and runs the job, one sets up and runs the tests
    commands = lines[first_block + 1 : lines.index("```", first_block + 1)]
    assert commands[0].startswith("bash scripts/setup.sh && .venv/bin/betterstack-etl demo")
    assert commands[1].startswith("bash scripts/setup.sh && .venv/bin/python -m pytest")


def _readme_commands() -> list[list[str]]:
    """Every `.venv/bin/betterstack-etl …` command of the README's bash blocks, continuation
    lines joined, comments dropped, split as the shell would."""
    import shlex

    commands: list[list[str]] = []
    for block in re.findall(r"```bash\n(.*?)```", README, flags=re.S):
        joined = re.sub(r"\\\n", " ", block)
        # a quoted SQL may span lines: shlex reads the whole block, one command per line start
        for chunk in re.split(r"\n(?=\S)", joined):
            if not chunk.startswith(".venv/bin/betterstack-etl"):
                continue
            words = shlex.split(chunk.replace("\n", " "), comments=True)
            commands.append(words[1:])
    return commands


# the README commands that read the demo's lake and need no account, no cloud, no server
_OFFLINE = ("query", "status", "tables", "describe", "--version")


def test_every_offline_readme_command_works_as_written_after_the_demo(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for var in [v for v in os.environ if v.startswith(("BETTERSTACK_", "MONITOR_ID"))]:
        monkeypatch.delenv(var)
    monkeypatch.setenv("BETTERSTACK_TASK_RETRIES", "0")
    monkeypatch.chdir(tmp_path)  # a fresh clone's folder: the demo writes ./demo-lake here
    runner = CliRunner()
    demo = runner.invoke(app, ["demo", "--monitors", "2"])
    assert demo.exit_code == 0, demo.output
    offline = [c for c in _readme_commands() if c and c[0] in _OFFLINE]
    assert {c[0] for c in offline} >= {"query", "status", "tables", "--version"}
    for words in offline:
        ran = runner.invoke(app, words)
        assert ran.exit_code == 0, (words, ran.output)
