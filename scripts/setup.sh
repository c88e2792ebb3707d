#!/usr/bin/env bash
# Sets up the project environment in .venv at the repository root, from the lock file.
# Works on a fresh machine with Python 3.11+ and pip: installs uv first if it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if ! command -v uv >/dev/null 2>&1; then
    "$PY" -m pip install --quiet --disable-pip-version-check "uv>=0.5" \
        || "$PY" -m pip install --quiet --user --disable-pip-version-check "uv>=0.5"
    export PATH="$HOME/.local/bin:$PATH"
fi
UV="$(command -v uv || echo "$PY -m uv")"
# Quiet by default: one summary line; the full uv output with -v (or SETUP_VERBOSE=1), or on failure.
VERBOSE="${SETUP_VERBOSE:-}"
for arg in "$@"; do
    case "$arg" in
        -v|--verbose) VERBOSE=1 ;;
        *) echo "usage: bash scripts/setup.sh [-v]   (unknown argument: $arg)" >&2; exit 2 ;;
    esac
done
SYNC=($UV sync --frozen --all-extras --compile-bytecode --python "$PY" ${SETUP_NO_DEV:+--no-dev})
if [ -n "$VERBOSE" ]; then
    "${SYNC[@]}" >&2
else
    SYNC_LOG="$(mktemp)"
    if ! "${SYNC[@]}" >"$SYNC_LOG" 2>&1; then
        cat "$SYNC_LOG" >&2
        rm -f "$SYNC_LOG"
        echo "setup failed: uv sync did not complete (full output above)" >&2
        exit 1
    fi
    PKGS="$(.venv/bin/python -c 'import importlib.metadata as m; print(len(list(m.distributions())))' 2>/dev/null || echo '?')"
    echo "installed from uv.lock: $PKGS packages in .venv${SETUP_NO_DEV:+ (runtime only, no dev tools)} (bash scripts/setup.sh -v shows the list)" >&2
    rm -f "$SYNC_LOG"
fi
# The package's own bytecode: it is installed editable, so `uv sync --compile-bytecode` compiles
# only the dependencies, and where PYTHONDONTWRITEBYTECODE is set (as on this project's machines)
# every process would compile src/ again (0.15-0.25 s per start). py_compile writes regardless;
# a file edited later is recompiled in memory, correctly, until the next setup.
.venv/bin/python -m compileall -q -j 0 src >/dev/null
# headless Chromium for the report's browser test (skipped, with the reason, when missing)
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    { apt-get update -qq && apt-get install -y -qq chromium; } >&2 \
        || echo "could not install chromium: the report's browser test will be skipped" >&2
fi
# Google's ZetaSQL analyzer for the BigQuery SQL tests (tests/zetasql): the npm package, which
# ships its server as a native binary, from scripts/zetasql's lock file into the git-ignored
# .tools/zetasql (reinstalled only when the lock changes). No npm: the tests are skipped, with
# the reason (CI sets BETTERSTACK_REQUIRE_ZETASQL=1 and fails instead). npm comes from Debian
# when missing and root.
ZETASQL_DIR=.tools/zetasql
if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    { apt-get update -qq && apt-get install -y -qq npm; } >&2 \
        || echo "could not install npm: the ZetaSQL tests will be skipped" >&2
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "npm not found: the ZetaSQL tests (tests/zetasql) will be skipped" >&2
elif ! cmp -s scripts/zetasql/package-lock.json "$ZETASQL_DIR/package-lock.json" \
        || [ ! -f "$ZETASQL_DIR/node_modules/@fivetrandevelopers/zetasql/package.json" ]; then
    mkdir -p "$ZETASQL_DIR"
    cp scripts/zetasql/package.json scripts/zetasql/package-lock.json "$ZETASQL_DIR/"
    (cd "$ZETASQL_DIR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >&2 \
        || { rm -f "$ZETASQL_DIR/package-lock.json"
             echo "could not install the ZetaSQL analyzer: its tests will be skipped" >&2; }
fi
echo "environment ready: $(pwd)/.venv" >&2
