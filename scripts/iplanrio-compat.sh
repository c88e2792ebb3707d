#!/usr/bin/env bash
# Where the city hall runs Prefect (prefeitura-rio/prefect_rj_iplanrio): installs betterstack-etl
# into a stand-in of their uv workspace, on Python 3.13 with prefect 3.4.9, and runs the
# end-to-end flow tests there against real Prefect servers of that version.
#
# The stand-in workspace is made in a temporary folder, the way their repository is laid out:
#   pyproject.toml                             requires-python >=3.13,<3.14; prefect==3.4.9,
#                                              prefect-docker>=0.7.1, pandas>=2.2.3; their
#                                              override-dependencies (grpcio, grpcio-status,
#                                              click); constraint-dependencies = their uv.lock's
#                                              versions of every package we share
#                                              (scripts/iplanrio/constraints.txt)
#   pipelines/rj_iplanrio__betterstack_api/    a member depending on betterstack-etl[gcp] (this
#     pyproject.toml                           checkout, built and installed as a wheel)
# then `uv lock` (one resolution for the workspace, as theirs), `uv sync --package
# rj_iplanrio__betterstack_api`, and `uv run --package rj_iplanrio__betterstack_api -- prefect`
# (their deployments' command). Not reproduced: their git dependencies (iplanrio,
# prefeitura-rio), unreachable from here; their lock pins what those bring through the
# constraints.
#
# Python: $(pyenv root)/versions/3.13.0/bin/python, installed with pyenv when missing
# (IPLANRIO_PYTHON=/path/to/python overrides). IPLANRIO_COMPAT_KEEP=1 keeps the workspace and
# its venv (for debugging); IPLANRIO_COMPAT_TESTS="<paths>" runs other tests. Prints `iplanrio-compat: FAIL: ...` and exits 1
# on any failure. Run from anywhere: bash scripts/iplanrio-compat.sh
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$(pwd)"
PY_VERSION=3.13.0
PREFECT_VERSION=3.4.9
MEMBER=rj_iplanrio__betterstack_api
START=$(date +%s)
WORK="$(mktemp -d /tmp/iplanrio-compat.XXXXXX)"

say() { echo "iplanrio-compat: $*" >&2; }
fail() {
    say "FAIL: $*  (logs: $WORK)"
    exit 1
}
trap 'fail "interrupted"' INT TERM

# --- 1. Python 3.13 ------------------------------------------------------------------------------
PY="${IPLANRIO_PYTHON:-}"
if [[ -z "$PY" ]]; then
    command -v pyenv >/dev/null 2>&1 || fail "pyenv is not installed (or set IPLANRIO_PYTHON)"
    PY="$(pyenv root)/versions/$PY_VERSION/bin/python"
    if [[ ! -x "$PY" ]]; then
        # pyenv compiles CPython: its build dependencies first (Debian, as root).
        if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
            say "installing CPython's build dependencies (apt-get)"
            { apt-get -o DPkg::Lock::Timeout=600 update -q \
                && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q \
                    build-essential libssl-dev zlib1g-dev libbz2-dev libreadline-dev \
                    libsqlite3-dev libffi-dev liblzma-dev libncursesw5-dev xz-utils tk-dev; } \
                >"$WORK/apt.log" 2>&1 || fail "apt-get install of CPython's build dependencies failed (see apt.log)"
        fi
        say "installing Python $PY_VERSION with pyenv (a few minutes, once)"
        pyenv install -s "$PY_VERSION" >"$WORK/pyenv.log" 2>&1 \
            || fail "pyenv install $PY_VERSION failed: $(tail -n 2 "$WORK/pyenv.log" | tr '\n' ' ')"
    fi
fi
[[ -x "$PY" ]] || fail "no Python at $PY"
"$PY" -c 'import sys; assert sys.version_info[:2] == (3, 13), sys.version' 2>"$WORK/py.log" \
    || fail "$PY is not Python 3.13: $(tail -n 1 "$WORK/py.log")"
command -v uv >/dev/null 2>&1 || export PATH="$REPO/.venv/bin:$HOME/.local/bin:$PATH"
command -v uv >/dev/null 2>&1 || fail "uv not found (bash scripts/setup.sh installs it)"

# --- 2. The stand-in workspace -------------------------------------------------------------------
WS="$WORK/workspace"
OVERRIDES=("grpcio==1.78.0" "grpcio-status==1.78.0" "click>=8.3.0,<9.0")  # their root pyproject
mkdir -p "$WS/pipelines/$MEMBER"
CONSTRAINTS="$(sed -n 's/^\([A-Za-z0-9._-]*==[^ ]*\)$/    "\1",/p' scripts/iplanrio/constraints.txt)"
[[ -n "$CONSTRAINTS" ]] || fail "scripts/iplanrio/constraints.txt has no constraint"
cat >"$WS/pyproject.toml" <<EOF
[project]
name = "prefect_rj_iplanrio"
version = "0.1.0"
requires-python = ">=3.13,<3.14"
dependencies = ["prefect==$PREFECT_VERSION", "prefect-docker>=0.7.1", "pandas>=2.2.3"]

[tool.uv]
override-dependencies = [$(printf '"%s", ' "${OVERRIDES[@]}")]
constraint-dependencies = [
$CONSTRAINTS
]

[tool.uv.workspace]
members = ["pipelines/*"]
EOF
cat >"$WS/pipelines/$MEMBER/pyproject.toml" <<EOF
[project]
name = "$MEMBER"
version = "0.1.0"
requires-python = ">=3.13,<3.14"
dependencies = ["prefect_rj_iplanrio", "prefect==$PREFECT_VERSION", "betterstack-etl[gcp]"]

[tool.uv.sources]
prefect_rj_iplanrio = { workspace = true }
betterstack-etl = { path = "$REPO" }
EOF

say "uv lock + uv sync --package $MEMBER (Python $("$PY" -c 'import platform; print(platform.python_version())'), prefect $PREFECT_VERSION)"
(cd "$WS" && uv lock --python "$PY") >"$WORK/lock.log" 2>&1 \
    || fail "the workspace does not resolve: $(grep -v '^ *$' "$WORK/lock.log" | tail -n 4 | tr '\n' ' ')"
(cd "$WS" && uv sync --frozen --package "$MEMBER" --python "$PY") >"$WORK/sync.log" 2>&1 \
    || fail "uv sync --package $MEMBER failed: $(tail -n 3 "$WORK/sync.log" | tr '\n' ' ')"
VENV_PY="$WS/.venv/bin/python"
# The test tools at the versions of our own uv.lock (the suite's filterwarnings=error is tuned
# to them). anyio 4.13 (their lock) has a pytest plugin that recent pytest versions warn about: the suite
# does not use it, so it is not loaded (-p no:anyio). pydantic-settings 2.14 (their lock) warns
# on every `import prefect` 3.4.9 that a pyproject setting of Prefect's is unused: not ours, and
# the suite turns warnings into errors, so that one is ignored (-W), as is pydantic 2.13's
# UnsupportedFieldAttributeWarning about a Field of prefect 3.4.9 (fixed in later prefects).
TOOLS="$(python3 - <<'PY'
import tomllib
lock = tomllib.load(open("uv.lock", "rb"))["package"]
print(" ".join(f"{p['name']}=={p['version']}" for p in lock if p["name"] in ("pytest", "pytest-timeout")))
PY
)"
# shellcheck disable=SC2086 # two words, on purpose
uv pip install --quiet --python "$VENV_PY" $TOOLS >"$WORK/tools-install.log" 2>&1 \
    || fail "installing the test tools failed: $(tail -n 2 "$WORK/tools-install.log")"

# --- 3. What got installed -----------------------------------------------------------------------
"$VENV_PY" - "$PREFECT_VERSION" "$REPO" scripts/iplanrio/constraints.txt >"$WORK/versions.log" 2>&1 <<'PY' \
    || fail "installed versions: $(tail -n 1 "$WORK/versions.log")"
import sys
from importlib.metadata import version
from pathlib import Path

prefect, repo, constraints = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
import betterstack_etl

where = Path(betterstack_etl.__file__).resolve()
if repo in where.parents:
    sys.exit(f"betterstack_etl is imported from the checkout ({where}), not the installed wheel")
if version("prefect") != prefect:
    sys.exit(f"prefect {version('prefect')} installed, not {prefect}")
differ = []
for line in constraints.read_text().splitlines():
    if "==" in line and not line.startswith("#"):
        name, pinned = line.split("==")
        try:
            got = version(name)
        except Exception:  # noqa: BLE001 - not part of this install: nothing to compare
            continue
        if got != pinned:
            differ.append(f"{name} {got} (their lock: {pinned})")
if differ:
    sys.exit("not their lock's versions: " + ", ".join(differ))
shown = ("prefect", "prefect-gcp", "orjson", "duckdb", "pyarrow", "httpx", "pydantic",
         "google-cloud-storage", "google-cloud-bigquery", "numpy")
print("iplanrio-compat: Python " + sys.version.split()[0] + "; "
      + ", ".join(f"{n} {version(n)}" for n in shown), file=sys.stderr)
PY
grep '^iplanrio-compat: ' "$WORK/versions.log" >&2 || true

# Their deployments' command, in their workspace: `uv run --package <member> -- prefect ...`.
(cd "$WS" && uv run --frozen --package "$MEMBER" -- prefect version) >"$WORK/uv-run.log" 2>&1 \
    || fail "uv run --package $MEMBER -- prefect version failed: $(tail -n 2 "$WORK/uv-run.log")"
grep -q "^Version: *$PREFECT_VERSION\$" "$WORK/uv-run.log" \
    || fail "uv run --package $MEMBER -- prefect is not $PREFECT_VERSION (see uv-run.log)"

# --- 4. The end-to-end flow tests, on that install -----------------------------------------------
# tests/e2e: every end-to-end test, by the core and by the Prefect flow (on the Prefect test
# harness: a `prefect server` subprocess of 3.4.9). tests/deploy/test_kubernetes_job.py:
# `prefect server start` of 3.4.9 on loopback, prefect.kubernetes.yaml deployed, runs executed
# by `prefect flow-run execute` as a Kubernetes job of their pool would, our log lines read back.
# (tests/deploy/test_deploy_server.py, the process pool, also passes here; it is left to the
# main suite to keep this run to a few minutes.)
# Of tests/e2e, the tests that run the flow (by name: `flow`, the `[flow]` half of run_either):
# the core's data scenarios are the same code on any Prefect, and `..._the_flow_and_the_core_
# land_the_same_lake` runs both here. IPLANRIO_COMPAT_TESTS="<paths>" runs others instead,
# IPLANRIO_COMPAT_SELECT="<-k expression>" another selection ("" for all of them).
read -r -a TESTS <<<"${IPLANRIO_COMPAT_TESTS:-tests/e2e tests/deploy/test_kubernetes_job.py}"
SELECT="${IPLANRIO_COMPAT_SELECT-flow or kubernetes_job}"
say "pytest ${TESTS[*]}${SELECT:+ -k '$SELECT'} (Python 3.13, prefect $PREFECT_VERSION)"
TEST_START=$(date +%s)
mkdir -p "$WORK/prefect-home"
# The Kubernetes worker's side (prefect-kubernetes: the pool's template, the Job it renders) is
# not part of their workspace: it runs in the project's .venv (tests/deploy/test_kubernetes_job.py).
[[ -x "$REPO/.venv/bin/python" ]] || bash scripts/setup.sh
env -u PREFECT_API_URL -u PREFECT_API_KEY -u VIRTUAL_ENV PREFECT_HOME="$WORK/prefect-home" \
    KUBERNETES_WORKER_PYTHON="$REPO/.venv/bin/python" \
    "$VENV_PY" -m pytest -q --durations=5 -p no:cacheprovider -p no:anyio ${SELECT:+-k "$SELECT"} \
    -W 'ignore:Config key:UserWarning' -W 'ignore::pydantic.warnings.UnsupportedFieldAttributeWarning' "${TESTS[@]}" >"$WORK/pytest.log" 2>&1 \
    || fail "tests failed on Python 3.13 / prefect $PREFECT_VERSION: $(grep -E '^(FAILED|ERROR)' "$WORK/pytest.log" | head -n 3 | tr '\n' ' ')$(tail -n 1 "$WORK/pytest.log")"
sed -n '/slowest .* durations/,/^=/p' "$WORK/pytest.log" | sed 's/^/iplanrio-compat:   /' >&2
say "$(tail -n 1 "$WORK/pytest.log") in $(($(date +%s) - TEST_START)) s"
say "OK in $(($(date +%s) - START)) s"
if [[ -n "${IPLANRIO_COMPAT_KEEP:-}" ]]; then say "kept: $WORK (venv $WS/.venv)"; else rm -rf "$WORK"; fi
