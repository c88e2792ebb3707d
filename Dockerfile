# Image of the Better Stack ETL: a Prefect process worker with the pipeline installed from uv.lock.
# Deploy: docs/deploy.md. No secret is ever built into this image: BETTERSTACK_TOKEN and
# MONITOR_ID (Infisical), PREFECT_API_URL/PREFECT_API_KEY and GCP credentials come from the
# environment the container runs in.
FROM python:3.11.7-slim-bookworm

# uv, pinned (the same version the lock was made with).
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /uvx /bin/

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    PYTHONUNBUFFERED=1 \
    PATH="/opt/prefect/betterstack-etl/.venv/bin:$PATH"

RUN groupadd --system --gid 10001 etl \
    && useradd --system --uid 10001 --gid etl --create-home --home-dir /home/etl etl

# Must match the `set_working_directory` pull step of prefect.yaml and prefect.kubernetes.yaml.
WORKDIR /opt/prefect/betterstack-etl

# Dependencies first (cached while only the source changes), exactly as locked, with the [gcp]
# extra (prefect-gcp, for BETTERSTACK_GCP_CREDENTIALS_BLOCK).
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --extra gcp --no-install-project

# Then the source: the deployments' entrypoint is src/betterstack_etl/flow.py.
COPY src/ ./src/
RUN uv sync --frozen --no-dev --extra gcp --no-editable

USER etl

# The deployments run on the process pool `rj-iplanrio-betterstack` (prefect.yaml): this
# container is its worker, and each flow run is a `prefect flow-run` subprocess of it that
# inherits the container's environment (the secrets Infisical injects). On the city hall's
# Kubernetes pool (prefect.kubernetes.yaml) each flow run is a Job of this image whose args
# replace this CMD: `uv run --no-sync --package betterstack-etl -- prefect flow-run execute`.
CMD ["prefect", "worker", "start", "--pool", "rj-iplanrio-betterstack", "--type", "process"]
