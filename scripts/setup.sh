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
$UV sync --frozen --all-extras --compile-bytecode --python "$PY" ${SETUP_NO_DEV:+--no-dev} >&2
# headless Chromium for the report's browser test (skipped, with the reason, when missing)
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    { apt-get update -qq && apt-get install -y -qq chromium; } >&2 \
        || echo "could not install chromium: the report's browser test will be skipped" >&2
fi
echo "environment ready: $(pwd)/.venv" >&2
