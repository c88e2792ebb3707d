"""``betterstack-etl``: run the load, try it on the simulator, serve the simulator, query the lake.

Exit code 0 on success; on failure one line on stderr saying what failed and how to fix it
(never a traceback for a user error).
"""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any

import typer
from rich.text import Text

from betterstack_etl import clock
from betterstack_etl.cli import inspect
from betterstack_etl.cli.common import (
    BaseUrl,
    BillingProjectId,
    DatasetId,
    Destination,
    FromDate,
    LakeRoot,
    Monitors,
    Tables,
    ToDate,
    err,
    fail,
    literal,
    load,
    log_level,
    out,
    run_once,
    say,
    setting_option,
    user_errors,
)
from betterstack_etl.cli.config import config
from betterstack_etl.errors import ConfigError, RunFailedError, StoppedError, StorageError

__all__ = [
    "app",
    "check",
    "config",
    "demo",
    "inspect",
    "main",
    "repair",
    "report",
    "run",
    "simulate",
]

app = typer.Typer(
    name="betterstack-etl",
    help="Better Stack Uptime → partitioned Parquet lake (local DuckDB or GCS + BigQuery).",
    no_args_is_help=True,
    rich_markup_mode=None,  # help as plain text: "[env var: X]" is not Rich markup to drop
    context_settings={"max_content_width": 120},
    pretty_exceptions_enable=False,
)


@app.command()
def run(
    from_date: FromDate = None,
    to_date: ToDate = None,
    monitor_id: Monitors = None,
    tables: Tables = None,
    destination: Destination = None,
    lake_root: LakeRoot = None,
    dataset_id: DatasetId = None,
    billing_project_id: BillingProjectId = None,
    base_url: BaseUrl = None,
    prefect: Annotated[
        bool,
        typer.Option(
            "--prefect",
            help="Run through the Prefect flow even without PREFECT_API_URL "
            "(Prefect then starts a temporary local server).",
        ),
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="List the monitors, then print the plan (requests per table, partitions it "
            "would merge into) without any data request or write.",
        ),
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show log lines.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """One run of the load.

    Needs the API token in BETTERSTACK_TOKEN (the environment or the .env file, never an option)
    and the monitors in MONITOR_ID or --monitor-id.

    With no Prefect API configured (the embedded default) the pipeline core runs right here, in
    this process: no server, nothing left running. With PREFECT_API_URL set, or --prefect, the
    run goes through the Prefect flow on that server, as the deployments do.
    """
    log_level(verbose)
    options: dict[str, Any] = {
        "from_date": from_date,
        "to_date": to_date,
        "monitor_id": monitor_id,
        "tables": tables,
        "destination": destination,
        "lake_root": lake_root,
        "dataset_id": dataset_id,
        "billing_project_id": billing_project_id,
        "base_url": base_url,
    }
    if dry_run:
        with user_errors(verbose):
            from betterstack_etl.run import runner

            loaded = load(**options)
            the_plan = runner.plan(loaded.run_params(), loaded.token())
        if as_json:
            out.print_json(json.dumps(the_plan.to_dict()))
        else:
            from betterstack_etl.cli.display import plan_table

            out.print(plan_table(the_plan))
        return
    with user_errors(verbose):
        loaded = load(**options)
        try:
            summary = run_once(
                loaded, options, prefect=prefect, verbose=verbose, show_progress=not as_json
            )
        except (RunFailedError, StoppedError) as exc:
            if exc.summary is not None:  # what each table did, then the one error line
                _show_summary(exc.summary, as_json, verbose)
            raise
    _show_summary(summary, as_json, verbose)


def _show_summary(summary: dict[str, Any], as_json: bool, verbose: bool) -> None:
    if as_json:
        out.print_json(json.dumps(summary))
    else:
        from betterstack_etl.cli.display import show_summary

        show_summary(out, summary, detail=verbose)


@app.command()
def demo(
    lake_root: Annotated[
        str, typer.Option(help="Where the demo lake goes (a folder, as BETTERSTACK_LAKE_ROOT).")
    ] = "./demo-lake",
    monitors: Annotated[int, typer.Option(help="Simulated monitors.")] = 3,
    seed: Annotated[int, typer.Option(help="Simulator seed.")] = 7,
    rows: Annotated[int, typer.Option(help="Rows shown per table.")] = 5,
) -> None:
    """Start the simulator on loopback, run the load into a local lake, show what landed.

    A sandbox: its settings are its own options (the simulator's address and token, every
    monitor, a local lake, the default window); the environment and .env are not read.
    """
    from betterstack_etl.settings import load_settings
    from betterstack_etl.simulator import SimConfig, Simulator

    log_level(verbose=False)
    token = "sim-token"  # noqa: S105 - the simulator's public demo token, not a secret
    with user_errors(), Simulator(SimConfig(seed=seed, monitors=monitors, token=token)) as sim:
        loaded = load_settings(
            {},
            origin="option",
            read_env_file=False,
            token=token,
            monitor_id="all",
            base_url=sim.base_url,
            destination="local",
            lake_root=lake_root,
        )
        err.print(literal(f"simulator serving {sim.base_url} ({monitors} monitors, seed {seed})"))
        summary = run_once(loaded, {}, prefect=False, verbose=False, show_progress=True)
    from betterstack_etl.cli.display import show_lake, show_summary

    show_summary(out, summary)
    with user_errors():
        show_lake(out, lake_root, rows=rows)
    example = "SELECT region, avg(response_time) FROM eai_gateway_response_times GROUP BY 1"
    # named as the README names it (the first commands there run .venv/bin/betterstack-etl)
    prog = ".venv/bin/betterstack-etl"
    command = literal(f'{prog} query --lake-root {lake_root} "{example}"', "bold")
    out.print(Text.assemble("\nQuery it: ", command), soft_wrap=True)  # pasted whole


@app.command()
def repair(
    lake_root: LakeRoot = None,
    destination: Destination = None,
    base_url: BaseUrl = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show log lines.")] = False,
) -> None:
    """Verify every file of the lake, move damaged or stray ones aside (kept, under
    _quarantine/), rebuild the open-incidents index, and fetch again the days the API still
    serves (needs BETTERSTACK_TOKEN; MONITOR_ID unset means every monitor; without a token,
    nothing is re-read)."""
    from betterstack_etl.ops.repair import repair as run_repair

    log_level(verbose)
    if not verbose:  # the re-fetch's SLO transitions are the run's news, not the repair's
        logging.getLogger("betterstack_etl.sla").setLevel(logging.ERROR)
    with user_errors(verbose):
        loaded = load(lake_root=lake_root, destination=destination, base_url=base_url)
        params = loaded.run_params(monitors_default="all")
        has_token = loaded.settings.token or loaded.settings.token_secret_block
        report = run_repair(params, loaded.token() if has_token else None)
    found = len(report.problems) + len(report.unreadable_open)
    from betterstack_etl.cli.display import within_lake

    short = within_lake(params.lake_root)
    from rich.table import Table

    table = Table(title=literal(f"repair of {params.lake_root}: {found} problem(s)"))
    for column in ("table", "problem", "where it was (in the lake)", "what repair did"):
        table.add_column(column, overflow="fold")  # paths whole, never cut to "…"
    for problem, where in zip(report.problems, report.moved_to, strict=True):
        kind = f"{problem.kind.replace('_', ' ')}: {short(problem.detail)}"
        table.add_row(
            problem.table, literal(kind), literal(short(problem.location)), literal(short(where))
        )
    for name, key in report.unreadable_open:
        what = f"open row {key!r}: its key is not digits, so it is never re-read (runs skip it)"
        table.add_row(name, literal(what), "", "kept as it is")
    out.print(table)
    refetch = report.refetch
    if report.summary is not None:
        names = ", ".join(s.name for s in refetch.tables)
        out.print(literal(f"re-fetched {names} for {refetch.start} … {refetch.end}"))
    for note in report.notes:
        say("note:", "yellow", short(note))
    if not found:
        out.print("every file of the lake reads as it should; nothing to repair")
    if report.left:
        raise fail(
            StorageError(
                f"{len(report.left)} file(s) may not be read by this user: a permission "
                "problem, not damage (nothing of them was moved)",
                hint="give the user running the pipeline read and write access to them "
                "(chown/chmod), then run repair again",
            )
        )


@app.command()
def simulate(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 = any free port).")] = 8080,
    host: Annotated[str, typer.Option(help="Loopback address to bind.")] = "127.0.0.1",
    token: Annotated[str, typer.Option(help="The one token it accepts.")] = "sim-token",  # noqa: S107
    seed: Annotated[int, typer.Option(help="Seed of the generated data.")] = 7,
    monitors: Annotated[int, typer.Option(help="Number of monitors.")] = 3,
    rate_limit: Annotated[
        float | None, typer.Option(help="Requests/second before answering 429.")
    ] = None,
    error_rate: Annotated[float, typer.Option(help="Share of requests answered 503.")] = 0.0,
    latency: Annotated[float, typer.Option(help="Seconds added to every answer.")] = 0.0,
    retry_after_format: Annotated[
        str, typer.Option(help="Retry-After as 'seconds' or 'http-date'.")
    ] = "seconds",
    tidy: Annotated[
        bool,
        typer.Option(
            "--tidy",
            help="Serve a tidy API instead of the live API's awkward ways (links that repeat "
            "the query, three incident statuses, no pauses, heartbeats or markup-like names).",
        ),
    ] = False,
    plain_text: Annotated[
        bool,
        typer.Option(
            "--plain-text",
            help="Plain names and causes, without the markup-like text the live API may send.",
        ),
    ] = False,
) -> None:
    """Serve the Better Stack API simulator until stopped (the URL is the first line)."""
    from betterstack_etl.simulator import SimConfig, serve

    if not host.startswith("127.") and host not in ("localhost", "::1"):
        raise fail(ConfigError(f"{host} is not a loopback address", hint="use 127.0.0.1"))
    if retry_after_format not in ("seconds", "http-date"):
        raise fail(ConfigError("bad --retry-after-format", hint="use seconds or http-date"))
    with user_errors():  # a token a run would refuse is not served either
        from betterstack_etl.settings import parse_as

        token = parse_as("token", token, label="--token").reveal()
    config = SimConfig(
        seed=seed,
        monitors=monitors,
        token=token,
        rate_limit=rate_limit,
        error_rate=error_rate,
        latency=latency,
        retry_after_format=retry_after_format,  # type: ignore[arg-type]
        tidy=tidy,
        hostile_text=not plain_text,
    )

    def ready(url: str) -> None:
        print(url, flush=True)
        flavour = "tidy" if tidy else "realistic"
        err.print(
            literal(
                f"token: {token}  monitors: {monitors}  seed: {seed}  {flavour}  (Ctrl-C to stop)"
            )
        )

    with user_errors():
        serve(config, host=host, port=port, on_ready=ready)


@app.command()
def report(
    out: Annotated[str, typer.Option("--out", "-o", help="report.html or gs://bucket/path.html")],
    lake_root: LakeRoot = None,
    month: Annotated[
        str | None, typer.Option(help="YYYY-MM (default: the month in progress).")
    ] = None,
    from_date: Annotated[
        str | None, typer.Option("--from-date", help="First day, YYYY-MM-DD (report time zone).")
    ] = None,
    to_date: Annotated[
        str | None, typer.Option("--to-date", help="Last day, inclusive (report time zone).")
    ] = None,
    monitor_id: Annotated[
        str | None,
        typer.Option("--monitor-id", "-m", help="Id or comma-separated ids (default: all)."),
    ] = None,
    timezone: Annotated[str | None, setting_option("report_timezone")] = None,
    slo: Annotated[str | None, setting_option("slo")] = None,
    lang: Annotated[str, typer.Option(help="pt-BR or en.")] = "pt-BR",
    destination: Destination = None,
    dataset_id: DatasetId = None,
    billing_project_id: BillingProjectId = None,
) -> None:
    """One self-contained HTML report of the SLA views: availability, budget, incidents."""
    from betterstack_etl.ops.report import run_report

    with user_errors():
        loaded = load(
            lake_root=lake_root,
            report_timezone=timezone,
            slo=slo,
            destination=destination,
            dataset_id=dataset_id,
            billing_project_id=billing_project_id,
        )
        has_token = loaded.settings.token or loaded.settings.token_secret_block
        where = run_report(
            loaded.run_params(monitors_default="all"),
            token=loaded.token() if has_token else None,  # SLO groups named by name
            out=out,
            month=month,
            from_date=from_date,
            to_date=to_date,
            monitor_id=monitor_id,
            lang=lang,
            now=clock.utcnow(),
        )
    err.print(literal(f"report written to {where}"), soft_wrap=True)


def _version_callback(value: bool) -> None:
    if value:
        from betterstack_etl import __version__

        out.print(f"betterstack-etl {__version__}", highlight=False)
        raise typer.Exit


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version_callback, is_eager=True, help="Show the version."
        ),
    ] = False,
) -> None:
    pass


@app.command()
def check(
    monitor_id: Monitors = None,
    destination: Destination = None,
    lake_root: LakeRoot = None,
    dataset_id: DatasetId = None,
    billing_project_id: BillingProjectId = None,
    base_url: BaseUrl = None,
) -> None:
    """Check the token, the monitors, the destination and the Prefect API (writes nothing).

    The token is read from BETTERSTACK_TOKEN (the environment or the .env file); the monitors
    from MONITOR_ID or --monitor-id; a Prefect API from PREFECT_API_URL.
    """
    from betterstack_etl.ops.check import check_settings, run_checks
    from betterstack_etl.ops.lakecheck import check_lake

    with user_errors():
        loaded = load(
            monitor_id=monitor_id,
            destination=destination,
            lake_root=lake_root,
            dataset_id=dataset_id,
            billing_project_id=billing_project_id,
            base_url=base_url,
        )
        missing, params, token = check_settings(loaded)  # a missing setting is a row
        results = [*missing, *run_checks(params, token), *check_lake(params)]
    from rich.table import Table

    table = Table("", "check", "result", "fix", title="betterstack-etl check")
    for result in results:
        mark = Text("✓", "green") if result.ok else Text("✗", "bold red")
        table.add_row(mark, result.name, literal(result.detail), literal(result.fix or ""))
    out.print(table)
    failed = [r.name for r in results if not r.ok]
    if failed:
        say(
            "error:",
            "bold red",
            f"{len(failed)} check(s) failed: {', '.join(failed)} — see the fix column above",
        )
        raise typer.Exit(code=1)


app.command()(config)
app.command()(inspect.query)
app.command()(inspect.status)
app.command("runs", help="The same as status.")(inspect.status)
app.command()(inspect.tables)
app.command()(inspect.describe)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
