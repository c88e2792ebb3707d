"""One "run" of the budget test, in its own process: many API calls through the real client,
paced by ``run_budget``; writes the send time of every HTTP request (retries included) as JSON.

    python budget_child.py <base_url> <rate> <requests> <out.json> <prefect|local>

The token comes from ``BETTERSTACK_TOKEN`` (never argv). A Prefect API, if any, from the
environment (``PREFECT_API_URL``).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from betterstack_etl.api import BetterStackClient, RetryPolicy
from betterstack_etl.api.budget import run_budget
from betterstack_etl.secret import Secret

MAX_IN_FLIGHT = 4


def main() -> None:
    base_url, rate, count, out, mode = sys.argv[1:]
    token = Secret(os.environ["BETTERSTACK_TOKEN"])
    sent: list[float] = []
    lock = threading.Lock()

    def on_request(request: httpx.Request) -> None:
        with lock:
            sent.append(time.time())

    with (
        run_budget(float(rate), MAX_IN_FLIGHT, token, use_prefect=mode == "prefect") as budget,
        httpx.Client(timeout=30.0, event_hooks={"request": [on_request]}) as http,
    ):
        client = BetterStackClient(
            http, token, base_url=base_url, retry=RetryPolicy(base_delay=0.2), pacer=budget
        )
        monitors = [str(m["id"]) for m in client.list_monitors()]

        def one(i: int) -> None:
            client.get_response_times(monitors[i % len(monitors)])

        with ThreadPoolExecutor(MAX_IN_FLIGHT) as pool:
            list(pool.map(one, range(int(count))))
        kind = type(budget).__name__
    with open(out, "w") as f:
        json.dump({"budget": kind, "sent": sent}, f)


if __name__ == "__main__":
    main()
