"""The simulator's HTTP edge: a stdlib threading server on loopback, faults and limits.

Order of what happens to each request (every path, known or not):

1. ``config.latency`` real seconds of sleep;
2. the next queued fault, if any (``slow`` sleeps, then the request goes on normally;
   ``fail``/``throttle``/``malform`` replace the answer; ``cut`` sends the real answer's
   headers and half its body, then closes the connection);
3. without a fault: the token-bucket rate limit (429 + ``Retry-After`` + ``{"errors": "Rate
   limit exceeded"}``), then the seeded ``error_rate`` (503);
4. the API itself (auth, routing, data).

``stats`` counts every answer by status and by route template before it is sent. The ``Date``
header, and a ``Retry-After`` given as a date, are on the simulator's clock.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Final
from urllib.parse import parse_qsl, urlsplit

from betterstack_etl.errors import ConfigError
from betterstack_etl.simulator.api import Answer, Api, Request, error_answer, match_route
from betterstack_etl.simulator.clock import FrozenClock, SystemClock
from betterstack_etl.simulator.config import SimConfig
from betterstack_etl.simulator.faults import Faults, RateLimiter, Stats, retry_after_value
from betterstack_etl.simulator.seeding import seeded
from betterstack_etl.simulator.world import World

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType
    from typing import Self

    from betterstack_etl.simulator.clock import Clock
    from betterstack_etl.simulator.faults import Fault

__all__ = ["Simulator", "serve"]

log = logging.getLogger(__name__)

_MALFORMED: Final = (
    b"<html><head><title>502 Bad Gateway</title></head>"
    b"<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
)
_IDLE_TIMEOUT: Final = 30.0
_JOIN_TIMEOUT: Final = 5.0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], simulator: Simulator) -> None:
        self.simulator = simulator
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hung up (timeouts, cut tests) is not worth a traceback on stderr.
        log.debug("connection from %s ended badly", client_address, exc_info=True)

    def close_connections(self) -> None:
        with self.connections_lock:
            open_now = list(self.connections)
        for conn in open_now:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "betterstack-sim/1"
    timeout = _IDLE_TIMEOUT
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` header on the simulator's clock (as a server's is on its own)."""
        if timestamp is None:
            timestamp = self.server.simulator.clock.now().timestamp()
        return super().date_time_string(timestamp)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self.server.simulator.respond(self)

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def send_answer(self, answer: Answer, *, cut: bool = False) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        for name, value in answer.headers:
            self.send_header(name, value)
        if cut or self.command != "GET":
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command == "HEAD":
            return
        self.wfile.write(answer.body[: len(answer.body) // 2] if cut else answer.body)
        self.wfile.flush()


class Simulator:
    """A Better Stack Uptime API on loopback; see the package docstring for the behaviour."""

    def __init__(
        self,
        config: SimConfig | None = None,
        *,
        clock: Clock | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.config = config or SimConfig()
        self.clock: Clock = clock or SystemClock()
        self.world = World(self.config)
        self.faults = Faults()
        self.stats = Stats()
        self._api = Api(self.world, self.config.token_value, self.clock)
        self._limiter = RateLimiter(self.config.rate_limit) if self.config.rate_limit else None
        self._errors_rng = seeded(self.config.seed, "errors")
        self._errors_lock = threading.Lock()
        self._address = (host, port)
        self._deletions: list[tuple[str, str]] = []  # (monitor id, after this route answers)
        self._deletions_lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def frozen_clock(self) -> FrozenClock:
        """The simulator's clock when it was given a ``FrozenClock`` (tests, benchmarks, the
        demo), to move time on; a TypeError for a simulator on the system clock."""
        if not isinstance(self.clock, FrozenClock):
            raise TypeError("this simulator runs on the system clock; give it a FrozenClock")
        return self.clock

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> str:
        """Bind, serve in a background thread, and return the base URL (idempotent)."""
        if self._server is None:
            try:
                self._server = _Server(self._address, self)
            except OSError as exc:
                raise ConfigError(
                    f"the simulator cannot listen on {self._address[0]}:{self._address[1]}: {exc}",
                    hint="choose another --port (0 picks a free one)",
                ) from exc
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name="betterstack-simulator",
                daemon=True,
            )
            self._thread.start()
        return self.base_url

    def stop(self) -> None:
        """Stop serving, hang up open connections, release the port (idempotent)."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(_JOIN_TIMEOUT)

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise ConfigError("the simulator is not running", hint="call start() first")
        host, port = self._server.server_address[:2]
        host = str(host)
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.base_url if self._server is not None else "stopped"
        return f"Simulator(seed={self.config.seed}, monitors={self.config.monitors}, {where})"

    # -- faults of the data ----------------------------------------------------------------
    def delete_monitor(self, monitor_id: str, *, after: str | None = None) -> None:
        """Delete a monitor now, or once a request to the route ``after`` (a template such as
        ``/api/v2/monitors``) has been answered 200: a monitor that vanishes mid-run, listed
        by the run and gone when its response times and SLA are asked."""
        if self.world.monitor(monitor_id) is None:
            raise ConfigError(f"no monitor {monitor_id} to delete", hint="use a listed id")
        if after is None:
            self.world.delete_monitor(monitor_id)
            return
        with self._deletions_lock:
            self._deletions.append((monitor_id, after))

    def _due_deletions(self, endpoint: str, status: int) -> None:
        if status != 200:
            return
        with self._deletions_lock:
            due = [m for m, after in self._deletions if after == endpoint]
            self._deletions = [(m, a) for m, a in self._deletions if a != endpoint]
        for monitor_id in due:
            self.world.delete_monitor(monitor_id)

    # -- one request ----------------------------------------------------------------------
    def respond(self, handler: _Handler) -> None:
        """Answer one request on ``handler`` (called from the server's threads)."""
        self.stats.arrive()
        if self.config.latency:
            time.sleep(self.config.latency)
        split = urlsplit(handler.path)
        endpoint, _ = match_route(split.path)
        fault = self.faults.take()
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.seconds)
            fault = None
        try:
            answer = self._answer(handler, split.path, split.query, fault)
        except Exception:  # a simulator bug must still answer, like a real server would
            log.exception("simulator failed on %s %s", handler.command, split.path)
            answer = error_answer(500, "Internal simulator error")
        self.stats.record(endpoint, answer.status)
        self._due_deletions(endpoint, answer.status)  # before the client can ask again
        handler.send_answer(answer, cut=fault is not None and fault.kind == "cut")

    def _answer(self, handler: _Handler, path: str, query: str, fault: Fault | None) -> Answer:
        if fault is not None and fault.kind == "fail":
            return error_answer(fault.status, f"Simulated failure (HTTP {fault.status})")
        if fault is not None and fault.kind == "throttle":
            return self._throttled(fault.retry_after)
        if fault is not None and fault.kind == "malform":
            return Answer(200, _MALFORMED, content_type="text/html; charset=utf-8")
        if fault is None:
            wait = self._limiter.acquire() if self._limiter is not None else None
            if wait is not None:
                return self._throttled(max(1.0, wait))
            if self._random_error():
                return error_answer(503, "Service Unavailable")
        host = handler.headers.get("Host") or "{}:{}".format(*self._address)
        request = Request(
            method=handler.command,
            path=path,
            query=parse_qsl(query, keep_blank_values=True),
            authorization=handler.headers.get("Authorization"),
            base_url=f"http://{host}",
        )
        return self._api.handle(request)

    def _throttled(self, seconds: float) -> Answer:
        value = retry_after_value(seconds, self.config.retry_after_format, self.clock.now())
        return error_answer(429, "Rate limit exceeded", (("Retry-After", value),))

    def _random_error(self) -> bool:
        if self.config.error_rate <= 0:
            return False
        with self._errors_lock:
            return self._errors_rng.random() < self.config.error_rate


def serve(
    config: SimConfig,
    *,
    clock: Clock | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    on_ready: Callable[[str], None] = print,
    stop: threading.Event | None = None,
) -> None:
    """Serve until Ctrl-C, SIGTERM (main thread only) or ``stop`` is set; blocking.

    ``on_ready`` gets the base URL once the port is bound (the CLI prints it first).
    """
    stop_event = stop or threading.Event()

    def _on_sigterm(signum: int, frame: FrameType | None) -> None:
        stop_event.set()

    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if in_main else None
    simulator = Simulator(config, clock=clock, host=host, port=port)
    try:
        on_ready(simulator.start())
        while not stop_event.wait(0.5):
            pass
    except KeyboardInterrupt:
        log.info("simulator interrupted")
    finally:
        simulator.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
