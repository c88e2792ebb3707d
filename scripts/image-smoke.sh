#!/usr/bin/env bash
# Image smoke test: builds the Dockerfile UNCHANGED, runs the image as the process-pool worker
# of a real `prefect server` (loopback), deploys prefect.yaml's staging deployment, runs it
# against the Better Stack simulator into a bind-mounted local lake, and checks that rows
# landed, that the flow run's process was uid 10001, and that the token is nowhere in the
# image nor in the server. Prints one `image-smoke: FAIL: ...` line and exits 1 on any failure.
#
# STAND-INS: container registries are not reachable here, so the two base images of the
# Dockerfile are made locally (once, cached by a hash of their recipe) and carry the exact
# names the Dockerfile uses:
#   python:3.11.7-slim-bookworm  = Debian bookworm minbase (mmdebstrap) + Debian's python3.11,
#                                  linked at /usr/local/bin/python3.11, + this machine's CA
#                                  bundle, with SSL_CERT_FILE pointing at it (so uv, which
#                                  otherwise trusts only its built-in roots, works behind a
#                                  TLS-intercepting proxy; the real image does not set it)
#   ghcr.io/astral-sh/uv:0.13.9  = /uv and /uvx taken from the uv 0.13.9 wheel on PyPI
# Everything else is real: Docker engine, `docker build`, uv sync from uv.lock inside the
# build, the image's CMD as worker, prefect server/deploy/run, the pipeline and the lake.
#
# Then the city hall's way (section 7): prefect.kubernetes.yaml deployed with its real
# prefect-docker build and push steps (to a registry on loopback), and a flow run executed as
# their Kubernetes pool's job would run it: `prefect flow-run execute` in the pulled image, the
# Secret's keys as environment.
#
# Needs root (it installs docker.io, mmdebstrap and docker-registry with apt-get when missing; starts
# dockerd with the vfs driver when no engine answers). Run from anywhere:
#     bash scripts/image-smoke.sh
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$(pwd)"
VENV_BIN="$REPO/.venv/bin"
IMAGE="betterstack-etl:smoke"
CONTAINER="betterstack-etl-smoke-worker"
LABEL="org.betterstack-etl.standin-recipe"
FLOW="rj_iplanrio__betterstack_api"
STAGING="rj-iplanrio--betterstack-api--staging"
POOL="rj-iplanrio-betterstack"
RUN_TIMEOUT=420     # seconds for the staging flow run, once the worker container is up
BUILD_TIMEOUT=1500  # seconds for `docker build` (cold, vfs: ~7 min)
START=$(date +%s)

WORK="$(mktemp -d /tmp/image-smoke.XXXXXX)"
PIDS=()
DOCKERD_PID=""

say() { echo "image-smoke: $*" >&2; }
fail() {
    say "FAIL: $*  (logs: $WORK)"
    exit 1
}
cleanup() {
    docker rm -f "$CONTAINER" >/dev/null 2>&1 || true
    local pid
    for pid in "${PIDS[@]}"; do
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [[ -n "$DOCKERD_PID" ]]; then
        kill -TERM "$DOCKERD_PID" 2>/dev/null || true
        wait "$DOCKERD_PID" 2>/dev/null || true
    fi
}
trap cleanup EXIT
trap 'fail "interrupted"' INT TERM

[[ -x "$VENV_BIN/prefect" ]] || bash scripts/setup.sh

# --- 1. Docker engine (and mmdebstrap) -------------------------------------------------------
need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v mmdebstrap >/dev/null 2>&1 || need+=(mmdebstrap)
if ((${#need[@]})); then
    say "installing ${need[*]} (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 update -q >"$WORK/apt.log" 2>&1 \
        || fail "apt-get update failed (see apt.log)"
    apt-get -o DPkg::Lock::Timeout=600 install -y -q "${need[@]}" >>"$WORK/apt.log" 2>&1 \
        || fail "apt-get install ${need[*]} failed (see apt.log)"
fi
# Storage driver: overlay2 when this machine can mount overlayfs (a layer is then not a full
# copy: the build is several times faster), else vfs, which works anywhere. Override with
# IMAGE_SMOKE_STORAGE_DRIVER=vfs|overlay2. Each driver keeps its own images (and cache).
overlay_works() {
    local t
    t="$(mktemp -d)" && mkdir -p "$t"/{l,u,w,m} \
        && mount -t overlay overlay -o "lowerdir=$t/l,upperdir=$t/u,workdir=$t/w" "$t/m" 2>/dev/null \
        && umount "$t/m" && rm -rf "$t"
}
if ! docker info >/dev/null 2>&1; then
    DRIVER="${IMAGE_SMOKE_STORAGE_DRIVER:-}"
    if [[ -z "$DRIVER" ]]; then
        if overlay_works; then DRIVER=overlay2; else DRIVER=vfs; fi
    fi
    say "starting dockerd ($DRIVER storage, no bridge, no iptables)"
    dockerd --storage-driver="$DRIVER" --iptables=false --ip6tables=false --bridge=none \
        >"$WORK/dockerd.log" 2>&1 &
    DOCKERD_PID=$!
    for _ in $(seq 1 120); do
        docker info >/dev/null 2>&1 && break
        kill -0 "$DOCKERD_PID" 2>/dev/null || fail "dockerd exited: $(tail -n 3 "$WORK/dockerd.log")"
        sleep 0.5
    done
    docker info >/dev/null 2>&1 || fail "dockerd did not answer within 60 s"
fi

# Leftovers of earlier runs: the worker container, and images no tag points to any more.
docker rm -f "$CONTAINER" >/dev/null 2>&1 || true
docker image prune -f >/dev/null 2>&1 || true

# --- 2. Stand-in base images (once; cached by the hash of their recipe) ----------------------
BASE_IMAGE="$(awk 'toupper($1) == "FROM" {print $2; exit}' Dockerfile)"
UV_IMAGE="$(grep -oE 'ghcr\.io/astral-sh/uv:[0-9][0-9.]*' Dockerfile | head -n 1)"
UV_VERSION="${UV_IMAGE##*:}"
PY_BIN="$(sed -nE 's/.*UV_PYTHON=(\/[^ ]+).*/\1/p' Dockerfile | head -n 1)"  # /usr/local/bin/python3.11
PY_NAME="$(basename "$PY_BIN")"                                                # python3.11
SUITE="${BASE_IMAGE##*-}"                                                      # bookworm
[[ -n "$BASE_IMAGE" && -n "$UV_VERSION" && -n "$PY_BIN" ]] \
    || fail "cannot read FROM / uv image / UV_PYTHON from the Dockerfile"
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
[[ -f "$CA_BUNDLE" ]] || fail "no CA bundle at $CA_BUNDLE"
RECIPE="standin-v2 base=$BASE_IMAGE suite=$SUITE python=$PY_NAME at=$PY_BIN uv=$UV_IMAGE ca=$(sha256sum "$CA_BUNDLE" | cut -c1-64)"
KEY="$(printf '%s' "$RECIPE" | sha256sum | cut -c1-16)"

has_standin() { [[ "$(docker image inspect -f "{{index .Config.Labels \"$LABEL\"}}" "$1" 2>/dev/null)" == "$KEY" ]]; }

if has_standin "$BASE_IMAGE"; then
    say "stand-in $BASE_IMAGE: cached ($KEY)"
else
    say "making stand-in $BASE_IMAGE: mmdebstrap $SUITE minbase + Debian $PY_NAME (about 2 min)"
    timeout 900 mmdebstrap --variant=minbase --include="$PY_NAME,ca-certificates,passwd" \
        --customize-hook="ln -sf /usr/bin/$PY_NAME \"\$1$PY_BIN\"" \
        --customize-hook="ln -sf $PY_NAME \"\$1$(dirname "$PY_BIN")/python3\"" \
        --customize-hook="cp $CA_BUNDLE \"\$1$CA_BUNDLE\"" \
        --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
        "$SUITE" "$WORK/rootfs.tar" >"$WORK/mmdebstrap.log" 2>&1 \
        || fail "mmdebstrap failed: $(tail -n 2 "$WORK/mmdebstrap.log")"
    docker import \
        --change "ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
        --change "ENV LANG=C.UTF-8" \
        --change "ENV SSL_CERT_FILE=$CA_BUNDLE" \
        --change "LABEL $LABEL=$KEY" \
        --change 'CMD ["python3"]' \
        "$WORK/rootfs.tar" "$BASE_IMAGE" >/dev/null || fail "docker import of $BASE_IMAGE failed"
    rm -f "$WORK/rootfs.tar"
fi

if has_standin "$UV_IMAGE"; then
    say "stand-in $UV_IMAGE: cached ($KEY)"
else
    say "making stand-in $UV_IMAGE from the uv $UV_VERSION wheel (PyPI)"
    mkdir -p "$WORK/uvwheel" "$WORK/uvroot"
    python3 -m pip download --quiet --no-deps --only-binary=:all: \
        --platform manylinux_2_17_x86_64 --python-version 3.11 \
        -d "$WORK/uvwheel" "uv==$UV_VERSION" >"$WORK/uv-wheel.log" 2>&1 \
        || fail "pip download uv==$UV_VERSION failed: $(tail -n 2 "$WORK/uv-wheel.log")"
    python3 - "$WORK/uvwheel" "$WORK/uvroot" "$UV_VERSION" <<'PY' || fail "uv wheel unpack failed"
import pathlib, sys, zipfile
wheels, root, version = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3]
(wheel,) = wheels.glob(f"uv-{version}-*.whl")
with zipfile.ZipFile(wheel) as zf:
    for name in ("uv", "uvx"):
        out = root / name
        out.write_bytes(zf.read(f"uv-{version}.data/scripts/{name}"))
        out.chmod(0o755)
PY
    tar -C "$WORK/uvroot" -cf "$WORK/uv.tar" uv uvx
    docker import --change "LABEL $LABEL=$KEY" --change 'ENTRYPOINT ["/uv"]' \
        "$WORK/uv.tar" "$UV_IMAGE" >/dev/null || fail "docker import of $UV_IMAGE failed"
fi
say "STAND-IN base images (made here, not pulled): $BASE_IMAGE, $UV_IMAGE"

# --- 3. Build the Dockerfile unchanged ---------------------------------------------------------
say "docker build --network host -t $IMAGE . (cold: ~1.5 min on overlay2, ~10 min on vfs)"
BUILD_START=$(date +%s)
DOCKER_BUILDKIT=0 timeout "$BUILD_TIMEOUT" \
    docker build --network host -t "$IMAGE" . >"$WORK/build.log" 2>&1 \
    || fail "docker build failed: $(grep -v '^ *$' "$WORK/build.log" | tail -n 3 | tr '\n' ' ')"
say "image built in $(($(date +%s) - BUILD_START)) s"
docker image prune -f >/dev/null 2>&1 || true

# --- 4. Prefect server and simulator on loopback ----------------------------------------------
TOKEN="smoke-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
API="http://127.0.0.1:$PORT/api"
mkdir -p "$WORK/home" "$WORK/lake"
chown 10001:10001 "$WORK/lake"  # the image's user writes the lake
# The lake is bind-mounted at the same path inside the container, so the DuckDB views the run
# writes (absolute paths) also work here, where the checks read them.
# Our and Prefect's variables of the caller never reach the server, the CLI or the simulator.
SCRUB=(-u BETTERSTACK_TOKEN -u MONITOR_ID)
while IFS= read -r name; do SCRUB+=(-u "$name"); done < <(env | sed -n 's/^\(PREFECT_[A-Za-z0-9_]*\)=.*/\1/p')
PREFECT_ENV=(PREFECT_HOME="$WORK/home" PREFECT_SERVER_ANALYTICS_ENABLED=false)

env "${SCRUB[@]}" "${PREFECT_ENV[@]}" \
    PREFECT_API_DATABASE_CONNECTION_URL="sqlite+aiosqlite:///$WORK/prefect.db" \
    PREFECT_UI_ENABLED=false PREFECT_SERVER_LOGGING_LEVEL=WARNING \
    PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED=false \
    setsid "$VENV_BIN/prefect" server start --host 127.0.0.1 --port "$PORT" \
    >"$WORK/server.log" 2>&1 </dev/null &
PIDS+=($!)
env "${SCRUB[@]}" setsid "$VENV_BIN/betterstack-etl" simulate --port 0 --monitors 3 --token "$TOKEN" \
    >"$WORK/sim.out" 2>"$WORK/sim.log" </dev/null &
PIDS+=($!)
for _ in $(seq 1 300); do
    curl -fsS "$API/health" >/dev/null 2>&1 && [[ -s "$WORK/sim.out" ]] && break
    sleep 0.5
done
curl -fsS "$API/health" >/dev/null 2>&1 || fail "prefect server not healthy after 150 s"
SIM_URL="$(head -n 1 "$WORK/sim.out")"
[[ "$SIM_URL" == http://127.0.0.1:* ]] || fail "simulator did not start: $(tail -n 2 "$WORK/sim.log")"
say "prefect server $API, simulator $SIM_URL"

# --- 5. Deploy prefect.yaml (unchanged) and run the staging deployment in the image -----------
P() { env "${SCRUB[@]}" "${PREFECT_ENV[@]}" PREFECT_API_URL="$API" "$VENV_BIN/prefect" --no-prompt "$@"; }
P work-pool create "$POOL" --type process >"$WORK/pool.log" 2>&1 \
    || fail "work-pool create failed: $(tail -n 2 "$WORK/pool.log")"
P deploy --name "$STAGING" >"$WORK/deploy.log" 2>&1 \
    || fail "prefect deploy failed: $(tail -n 3 "$WORK/deploy.log" | tr '\n' ' ')"
TODAY="$(date -u +%F)"
YESTERDAY="$(date -u -d yesterday +%F)"
P deployment run "$FLOW/$STAGING" -p destination=local -p lake_root="$WORK/lake" \
    -p base_url="$SIM_URL" -p monitor_id=all -p from_date="$YESTERDAY" -p to_date="$TODAY" \
    >"$WORK/run.log" 2>&1 || fail "prefect deployment run failed: $(tail -n 2 "$WORK/run.log")"
FLOW_RUN_ID="$(grep -oE '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}' "$WORK/run.log" | head -n 1)"
[[ -n "$FLOW_RUN_ID" ]] || fail "no flow run id in the output of prefect deployment run"

say "worker: docker run $IMAGE (its CMD), token only in the container's environment"
BETTERSTACK_TOKEN="$TOKEN" docker run -d --name "$CONTAINER" --network host \
    -e BETTERSTACK_TOKEN -e PREFECT_API_URL="$API" -e BETTERSTACK_TASK_RETRIES=0 \
    -v "$WORK/lake:$WORK/lake" "$IMAGE" >/dev/null || fail "docker run of the worker failed"
STATE=""
DEADLINE=$(($(date +%s) + RUN_TIMEOUT))
while (($(date +%s) < DEADLINE)); do
    STATE="$(curl -fsS "$API/flow_runs/$FLOW_RUN_ID" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"]["type"])')" || STATE=""
    case "$STATE" in COMPLETED | FAILED | CRASHED | CANCELLED) break ;; esac
    [[ "$(docker inspect -f '{{.State.Running}}' "$CONTAINER" 2>/dev/null)" == true ]] \
        || { docker logs "$CONTAINER" >"$WORK/worker.log" 2>&1; fail "worker container exited: $(tail -n 2 "$WORK/worker.log" | tr '\n' ' ')"; }
    sleep 2
done
docker logs "$CONTAINER" >"$WORK/worker.log" 2>&1 || true
docker rm -f "$CONTAINER" >/dev/null 2>&1 || true
[[ "$STATE" == COMPLETED ]] || fail "staging flow run ended '${STATE:-not in time}' (see worker.log)"
say "staging flow run $FLOW_RUN_ID completed in the container"

# --- 6. Checks -----------------------------------------------------------------------------------
# Rows landed, all from that flow run; and the files were written by uid 10001.
"$VENV_BIN/python" - "$WORK/lake" "$FLOW_RUN_ID" >"$WORK/lake-check.log" 2>&1 <<'PY' \
    || fail "lake check: $(tail -n 1 "$WORK/lake-check.log")"
import pathlib, sys
lake, run_id = pathlib.Path(sys.argv[1]), sys.argv[2]
try:
    from betterstack_etl.lake import open_duckdb
    from betterstack_etl.tables import TABLES
    con = open_duckdb(lake)
    for spec in TABLES:
        rows, runs = con.execute(
            f"select count(*), list(distinct _run_id) from {spec.name}"
        ).fetchone()
        if rows == 0 or runs != [run_id]:
            sys.exit(f"{spec.name}: {rows} rows, from runs {runs} (expected {run_id})")
        print(f"image-smoke: {spec.name}: {rows} rows", file=sys.stderr)
except Exception as exc:  # one line for the caller
    sys.exit(f"{type(exc).__name__}: {exc}".splitlines()[0])
PY
grep '^image-smoke: ' "$WORK/lake-check.log" >&2 || true
PARQUET="$(find "$WORK/lake" -name '*.parquet' | wc -l)"
NOT_ETL="$(find "$WORK/lake" -mindepth 1 -not -name '*.duckdb*' ! -uid 10001 | head -n 3)"
((PARQUET > 0)) || fail "no parquet file in the lake"
[[ -z "$NOT_ETL" ]] || fail "lake files not written by uid 10001: $NOT_ETL"
[[ "$(docker image inspect -f '{{.Config.User}}' "$IMAGE")" == etl ]] || fail "image USER is not etl"
say "the flow run's process wrote $PARQUET parquet files as uid 10001"

# The token: not in the image (layers, history, config), not in the server.
# One pass over every layer, with a positive control: the flow's name (in flow.py, inside the
# image) must be found, or the search would be blind (e.g. compressed layers).
MARKER="def rj_iplanrio__betterstack_api"
FOUND="$(docker save "$IMAGE" | grep -a -o -F -e "$TOKEN" -e "$MARKER" | sort -u)" || true
grep -q -F "$MARKER" <<<"$FOUND" || fail "docker save search is blind: the flow's source not found in the image"
grep -q -F "$TOKEN" <<<"$FOUND" && fail "token found in docker save of the image"
docker history --no-trunc "$IMAGE" | grep -q -F "$TOKEN" && fail "token found in docker history"
docker image inspect "$IMAGE" | grep -q -F "$TOKEN" && fail "token found in docker image inspect"
"$VENV_BIN/python" - "$API" "$FLOW_RUN_ID" "$TOKEN" >"$WORK/server-check.log" 2>&1 <<'PY' \
    || fail "server check: $(tail -n 1 "$WORK/server-check.log")"
import json, sys
import httpx
api, run_id, token = sys.argv[1:]
seen = {}
with httpx.Client(base_url=api, timeout=30) as c:
    seen["flow run"] = c.get(f"/flow_runs/{run_id}").json()
    seen["deployments"] = c.post("/deployments/filter", json={}).json()
    seen["task runs"] = c.post("/task_runs/filter", json={}).json()
    seen["variables"] = c.post("/variables/filter", json={}).json()
    seen["blocks"] = c.post("/block_documents/filter", json={"include_secrets": True}).json()
    logs, offset = [], 0
    while True:
        page = c.post("/logs/filter", json={"offset": offset, "limit": 200}).json()
        logs += page
        offset += len(page)
        if len(page) < 200:
            break
    seen["logs"] = logs
if len(logs) == 0:
    sys.exit("the server has no logs of the run (the search would prove nothing)")
for what, value in seen.items():
    if token in json.dumps(value):
        sys.exit(f"token found in the server's {what}")
print(f"image-smoke: token absent from the server ({len(logs)} log lines, flow run, deployments)", file=sys.stderr)
PY
grep '^image-smoke: ' "$WORK/server-check.log" >&2 || true
grep -a -q -F "$TOKEN" "$WORK"/prefect.db* && fail "token found in the Prefect server's database file"
grep -a -q -F "$TOKEN" "$WORK/worker.log" && fail "token found in the worker container's output"
say "token absent from the image (save/history/inspect), the server (API, database) and the worker log"

# --- 7. The city hall's way: Kubernetes pool, image built and pushed at deploy time ----------
# prefect.kubernetes.yaml's staging deployment, deployed with its real prefect-docker build and
# push steps (changed: the image goes to a registry on loopback, Debian's docker-registry,
# instead of ghcr.io; the base image is not pulled; host network), to a Kubernetes pool made from their pool's template
# (scripts/kubernetes_pool.py). Then one flow run executed as that pool's Kubernetes job would:
# the Job prefect-kubernetes renders for it, its image pulled again from the registry
# (image_pull_policy: Always), its container args run in the image with the Job's environment
# and the keys of the Secret it names as environment (envFrom), the lake bind-mounted.
command -v docker-registry >/dev/null 2>&1 || {
    say "installing docker-registry (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q docker-registry \
        >>"$WORK/apt.log" 2>&1 || fail "apt-get install docker-registry failed (see apt.log)"
}
REG_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
REGISTRY="127.0.0.1:$REG_PORT"
mkdir -p "$WORK/registry"
printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n' \
    "$WORK/registry" "$REGISTRY" >"$WORK/registry.yml"
setsid docker-registry serve "$WORK/registry.yml" >"$WORK/registry.log" 2>&1 </dev/null &
PIDS+=($!)
for _ in $(seq 1 60); do curl -fsS "http://$REGISTRY/v2/" >/dev/null 2>&1 && break; sleep 0.5; done
curl -fsS "http://$REGISTRY/v2/" >/dev/null 2>&1 || fail "docker-registry did not answer on $REGISTRY"

K8S_POOL="default-pool"
"$VENV_BIN/python" scripts/kubernetes_pool.py template >"$WORK/k8s-template.json" 2>"$WORK/k8s-template.log" \
    || fail "kubernetes_pool.py template: $(tail -n 1 "$WORK/k8s-template.log")"
P work-pool create "$K8S_POOL" --type kubernetes --base-job-template "$WORK/k8s-template.json" \
    >"$WORK/k8s-pool.log" 2>&1 || fail "work-pool create $K8S_POOL failed: $(tail -n 2 "$WORK/k8s-pool.log")"
# Changes to a copy: the registry; `pull: false` for the build (docker-py's default pulls the
# base image, which must be the local stand-in here: registries are unreachable); and
# `network_mode: host` for it, as `docker build --network host` above (this engine has no
# bridge network; a step that misses the cache needs the package index).
sed -e "s#image_name: ghcr.io/prefeitura-rio/prefect_rj_iplanrio/deployments#image_name: $REGISTRY/prefect_rj_iplanrio/deployments#" \
    -e 's#^      dockerfile: Dockerfile$#      dockerfile: Dockerfile\n      pull: false\n      network_mode: host#' \
    prefect.kubernetes.yaml >"$WORK/prefect.kubernetes.yaml"
grep -q "image_name: $REGISTRY/" "$WORK/prefect.kubernetes.yaml" || fail "could not point prefect.kubernetes.yaml at $REGISTRY"
grep -q "^      pull: false$" "$WORK/prefect.kubernetes.yaml" || fail "could not set pull: false in the build step"
say "prefect deploy of prefect.kubernetes.yaml: prefect-docker builds the Dockerfile and pushes to $REGISTRY"
DEPLOY_START=$(date +%s)
P deploy --name "$STAGING" --prefect-file "$WORK/prefect.kubernetes.yaml" >"$WORK/k8s-deploy.log" 2>&1 \
    || fail "prefect deploy (kubernetes) failed: $(grep -v '^ *$' "$WORK/k8s-deploy.log" | tail -n 3 | tr '\n' ' ')"
say "built, pushed and deployed in $(($(date +%s) - DEPLOY_START)) s"
K8S_IMAGE="$(curl -fsS "$API/deployments/name/$FLOW/$STAGING" | python3 -c 'import json,sys; print(json.load(sys.stdin)["job_variables"]["image"])')"
[[ "$K8S_IMAGE" == "$REGISTRY/prefect_rj_iplanrio/deployments:rj_iplanrio__betterstack_api-$(git rev-parse --short HEAD)" ]] \
    || fail "deployment image is '$K8S_IMAGE'"
docker image rm "$K8S_IMAGE" >/dev/null 2>&1 || fail "the build step left no image $K8S_IMAGE"
docker pull "$K8S_IMAGE" >"$WORK/pull.log" 2>&1 || fail "docker pull $K8S_IMAGE from the registry failed: $(tail -n 1 "$WORK/pull.log")"

P deployment run "$FLOW/$STAGING" -p destination=local -p lake_root="$WORK/lake" \
    -p base_url="$SIM_URL" -p monitor_id=all -p from_date="$YESTERDAY" -p to_date="$TODAY" \
    --job-variable 'env={"BETTERSTACK_TASK_RETRIES": "0"}' \
    >"$WORK/k8s-run.log" 2>&1 || fail "prefect deployment run (kubernetes) failed: $(tail -n 2 "$WORK/k8s-run.log")"
K8S_RUN_ID="$(grep -oE '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}' "$WORK/k8s-run.log" | head -n 1)"
[[ -n "$K8S_RUN_ID" ]] || fail "no flow run id in the output of prefect deployment run (kubernetes)"
env "${SCRUB[@]}" "${PREFECT_ENV[@]}" PREFECT_API_URL="$API" \
    "$VENV_BIN/python" scripts/kubernetes_pool.py job "$K8S_RUN_ID" >"$WORK/job.json" 2>"$WORK/job.log" \
    || fail "rendering the Kubernetes job failed: $(tail -n 1 "$WORK/job.log")"
# The Job's container: image, pull policy, args, env (an env file), the Secret's name.
"$VENV_BIN/python" - "$WORK/job.json" "$WORK/job" >"$WORK/job-parse.log" 2>&1 <<'PY' \
    || fail "job manifest: $(tail -n 1 "$WORK/job-parse.log")"
import json, sys
manifest, out = json.load(open(sys.argv[1])), sys.argv[2]
(container,) = manifest["spec"]["template"]["spec"]["containers"]
secrets = [s["secretRef"]["name"] for s in container.get("envFrom", []) if "secretRef" in s]
if len(secrets) != 1:
    sys.exit(f"the job takes its environment from {secrets} Secrets, not one")
open(f"{out}.image", "w").write(container["image"] + "\n" + container["imagePullPolicy"] + "\n")
open(f"{out}.secret", "w").write(secrets[0] + "\n")
open(f"{out}.args", "w").write("\0".join(container["args"]))
with open(f"{out}.env", "w") as env:
    for item in container.get("env", []):
        if "value" in item and "\n" not in str(item["value"]):
            env.write(f"{item['name']}={item['value']}\n")
PY
{ read -r JOB_IMAGE; read -r JOB_PULL; } <"$WORK/job.image"
JOB_SECRET="$(cat "$WORK/job.secret")"
mapfile -d '' JOB_ARGS <"$WORK/job.args"
[[ "$JOB_IMAGE" == "$K8S_IMAGE" && "$JOB_PULL" == Always ]] || fail "job image '$JOB_IMAGE' ($JOB_PULL)"
[[ "$JOB_SECRET" == prefect-jobs-secrets-staging ]] || fail "job secret '$JOB_SECRET'"
# The Secret as Kubernetes gives it to the container (envFrom): its keys as variables.
printf 'BETTERSTACK_TOKEN=%s\nMONITOR_ID=all\n' "$TOKEN" >"$WORK/secret.env"
chmod 600 "$WORK/secret.env"
say "kubernetes job: docker run $JOB_IMAGE ${JOB_ARGS[*]} (Secret $JOB_SECRET as environment)"
docker run --rm --network host --env-file "$WORK/job.env" --env-file "$WORK/secret.env" \
    -v "$WORK/lake:$WORK/lake" "$JOB_IMAGE" "${JOB_ARGS[@]}" >"$WORK/k8s-job.log" 2>&1 || true
STATE="$(curl -fsS "$API/flow_runs/$K8S_RUN_ID" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"]["type"])')" || STATE=""
[[ "$STATE" == COMPLETED ]] || fail "kubernetes-style flow run ended '${STATE:-unknown}': $(tail -n 3 "$WORK/k8s-job.log" | tr '\n' ' ')"
grep -a -q -F "$TOKEN" "$WORK/k8s-job.log" && fail "token found in the job container's output"
"$VENV_BIN/python" - "$API" "$K8S_RUN_ID" "$TOKEN" "$WORK/lake" >"$WORK/k8s-check.log" 2>&1 <<'PY' \
    || fail "kubernetes run check: $(tail -n 1 "$WORK/k8s-check.log")"
import json, pathlib, sys
import httpx
api, run_id, token, lake = sys.argv[1:]
with httpx.Client(base_url=api, timeout=30) as c:
    logs = c.post("/logs/filter", json={"logs": {"flow_run_id": {"any_": [run_id]}}, "limit": 200}).json()
ours = [line["message"] for line in logs if line["name"].startswith("betterstack_etl")]
if not any("run summary" in m for m in ours) or not any("rows before" in m for m in ours):
    sys.exit(f"our log lines are not in the flow run's logs ({len(ours)} of {len(logs)} lines)")
if token in json.dumps(logs):
    sys.exit("token found in the flow run's logs")
from betterstack_etl.lake import open_duckdb
con = open_duckdb(pathlib.Path(lake))
(rows,) = con.execute("select count(*) from eai_gateway_incidents where _run_id = ?", [run_id]).fetchone()
if rows == 0:
    sys.exit("no incident row from the kubernetes-style run")
print(f"image-smoke: kubernetes-style run: {len(ours)} log lines of ours on the server; "
      f"{rows} incident rows from it", file=sys.stderr)
PY
grep '^image-smoke: ' "$WORK/k8s-check.log" >&2 || true
NOT_ETL="$(find "$WORK/lake" -mindepth 1 -not -name '*.duckdb*' ! -uid 10001 | head -n 3)"
[[ -z "$NOT_ETL" ]] || fail "lake files not written by uid 10001 (kubernetes run): $NOT_ETL"
say "kubernetes-style flow run $K8S_RUN_ID completed in the pulled image"

say "OK in $(($(date +%s) - START)) s; stand-ins: $BASE_IMAGE and $UV_IMAGE (made locally, see top of script)"
rm -rf "$WORK"
