"""Static checks of the Dockerfile and .dockerignore (there is no Docker engine here, so the
image is not built): pinned base and uv, install from the lock, only the needed paths,
a non-root user, and a command consistent with the deployments of prefect.yaml."""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|CREDENTIAL|API_?KEY|MONITOR_ID", re.I)


def instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", dockerfile)
    found = []
    for line in joined.splitlines():
        text = line.strip()
        if text and not text.startswith("#"):
            word, _, rest = text.partition(" ")
            found.append((word.upper(), " ".join(rest.split())))
    return found


def args_of(dockerfile: str, name: str) -> list[str]:
    return [rest for word, rest in instructions(dockerfile) if word == name]


def copy_sources(dockerfile: str) -> list[str]:
    """Paths copied from the build context (not from other images)."""
    sources = []
    for rest in args_of(dockerfile, "COPY"):
        parts = shlex.split(rest)
        if any(p.startswith("--from=") for p in parts):
            continue
        sources += [p for p in parts if not p.startswith("--")][:-1]
    return sources


def pull_directory(prefect_yaml: dict[str, Any]) -> str:
    (step,) = prefect_yaml["pull"]
    directory: str = step["prefect.deployments.steps.set_working_directory"]["directory"]
    return directory


def test_base_image_is_one_pinned_python_matching_the_project(dockerfile: str) -> None:
    (base,) = args_of(dockerfile, "FROM")
    match = re.fullmatch(r"python:(3\.\d+)\.\d+-slim-[a-z]+", base)
    assert match, f"unpinned base image {base!r}"
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    # The image runs the oldest Python the project supports (the suite's); the range goes up
    # to 3.13, the city hall's (scripts/iplanrio-compat.sh tests that one).
    assert project["requires-python"] == f">={match.group(1)},<3.14"


def test_uv_is_pinned(dockerfile: str) -> None:
    uv = [rest for rest in args_of(dockerfile, "COPY") if "astral-sh/uv" in rest]
    assert len(uv) == 1
    assert re.search(r"--from=ghcr\.io/astral-sh/uv:\d+\.\d+\.\d+ ", uv[0])


def test_installs_from_the_lock_dependencies_before_source(dockerfile: str) -> None:
    steps = instructions(dockerfile)
    syncs = [i for i, (w, rest) in enumerate(steps) if w == "RUN" and "uv sync" in rest]
    assert syncs, "no uv sync"
    for i in syncs:
        assert "--frozen" in steps[i][1]
        assert "--no-dev" in steps[i][1]
    copy_src = next(i for i, (w, rest) in enumerate(steps) if w == "COPY" and "src" in rest)
    first = syncs[0]
    assert first < copy_src
    assert "--no-install-project" in steps[first][1]
    assert syncs[-1] > copy_src, "the project itself is installed after its source is copied"
    assert not any(w == "RUN" and "pip install" in rest for w, rest in steps)


def test_runs_as_a_non_root_user(dockerfile: str) -> None:
    steps = instructions(dockerfile)
    users = [i for i, (w, _) in enumerate(steps) if w == "USER"]
    assert users, "no USER"
    last_user = steps[users[-1]][1]
    assert last_user not in ("root", "0")
    assert not last_user.startswith(("root:", "0:"))
    assert all(w != "RUN" for w, _ in steps[users[-1] :]), "RUN after USER runs as that user"


def test_copies_only_what_the_image_needs(dockerfile: str) -> None:
    sources = copy_sources(dockerfile)
    assert sorted(s.rstrip("/") for s in sources) == [
        "README.md",
        "pyproject.toml",
        "src",
        "uv.lock",
    ]
    for source in sources:
        assert (REPO / source).exists(), source


def test_dockerignore_allows_exactly_the_copied_paths(dockerfile: str) -> None:
    lines = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert lines[0] == "*", "allow-list: ignore everything first"
    allowed = sorted(line[1:].rstrip("/") for line in lines if line.startswith("!"))
    assert allowed == sorted(s.rstrip("/") for s in copy_sources(dockerfile))


def test_no_secret_in_the_image(dockerfile: str) -> None:
    for word, rest in instructions(dockerfile):
        if word in ("ENV", "ARG", "LABEL"):
            names = re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=", rest) or [rest.split()[0]]
            assert not [n for n in names if SECRET_NAME.search(n)], rest
    assert not re.search(r"sim-token|bearer\s", dockerfile, re.I)


def test_workdir_is_where_the_deployments_pull_the_code(
    dockerfile: str, prefect_yaml: dict[str, Any]
) -> None:
    (workdir,) = args_of(dockerfile, "WORKDIR")
    assert workdir == pull_directory(prefect_yaml)
    for deployment in prefect_yaml["deployments"]:
        entry_file = deployment["entrypoint"].split(":")[0]
        assert any(entry_file.startswith(s.rstrip("/") + "/") for s in copy_sources(dockerfile))
    env = " ".join(args_of(dockerfile, "ENV"))
    assert f"{workdir}/.venv/bin:" in env, "the locked venv's `prefect` comes first on PATH"


def test_command_is_the_worker_of_the_deployments_pool(
    dockerfile: str, prefect_yaml: dict[str, Any]
) -> None:
    assert not args_of(dockerfile, "ENTRYPOINT"), "nothing may wrap the worker's command"
    (cmd,) = args_of(dockerfile, "CMD")
    argv = json.loads(cmd)  # exec form: signals reach the worker
    pools = {d["work_pool"]["name"] for d in prefect_yaml["deployments"]}
    assert len(pools) == 1
    assert argv == ["prefect", "worker", "start", "--pool", pools.pop(), "--type", "process"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FROM a\nRUN x \\\n  y\n# c\nUSER u", [("FROM", "a"), ("RUN", "x y"), ("USER", "u")]),
        ("copy --from=img /a /b\nCOPY a b ./", [("COPY", "--from=img /a /b"), ("COPY", "a b ./")]),
    ],
)
def test_instruction_parser(text: str, expected: list[tuple[str, str]]) -> None:
    assert instructions(text) == expected
