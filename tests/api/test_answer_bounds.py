"""An answer is bounded in size (decoded) and every request in total time (issue 19, 17-18)."""

from __future__ import annotations

import socket
import threading
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from betterstack_etl.api import MAX_ANSWER_BYTES, BetterStackClient, RetryPolicy
from betterstack_etl.errors import ContractError, NotFoundError, TransientError
from betterstack_etl.secret import Secret

from .conftest import TOKEN, Script, Sleeps

MIB = 1024 * 1024


def _gzip_bomb(decoded_mib: int) -> bytes:
    """A gzip body of ~1 KB per MiB it inflates to (zeros, each MiB flushed on its own)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(MIB)
    first = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    return first + block * (decoded_mib - 1)  # no trailer: nobody should read that far


def _network_reads(body: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    """``body`` as a socket delivers it: reads of at most 64 KiB."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


def test_a_gzip_bomb_is_refused_once_the_decoded_bound_is_passed(
    script: Script, make_client: Callable[..., BetterStackClient]
) -> None:
    bomb = _gzip_bomb(512)  # ~0.5 MB that inflates to 512 MiB
    assert len(bomb) < MIB
    script.add(
        lambda _: httpx.Response(
            200, content=_network_reads(bomb), headers={"content-encoding": "gzip"}
        )
    )
    client = make_client(retry=RetryPolicy(max_attempts=5, jitter=False))
    tracemalloc.start()
    try:
        with pytest.raises(ContractError) as caught:
            client.get_monitor("1")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = str(caught.value)
    assert "more than 64 MiB once decoded (gzip)" in message
    assert "\n" not in message
    assert len(script.requests) == 1  # not retried: the next answer would be the same
    # the bound and one decoded piece (1 MiB), never the 512 MiB nor a read inflated at once
    assert peak < MAX_ANSWER_BYTES + 8 * MIB


def test_a_huge_plain_answer_is_refused_from_its_content_length(
    script: Script, client: BetterStackClient
) -> None:
    def huge(_: httpx.Request) -> httpx.Response:
        never_read = iter([b"{}"])  # the 300 MB are announced, not sent
        return httpx.Response(
            200, content=never_read, headers={"content-length": str(300 * 1000 * 1000)}
        )

    script.add(huge)
    with pytest.raises(ContractError, match=r"announces 286\.102 MiB, more than the 64 MiB"):
        client.list_monitors()
    assert len(script.requests) == 1


def test_a_huge_chunked_answer_is_refused_while_it_is_read(
    script: Script, make_client: Callable[..., BetterStackClient]
) -> None:
    reads: list[int] = []

    def endless() -> Iterator[bytes]:
        chunk = b" " * (64 * 1024)
        while True:  # no Content-Length: a chunked answer that never ends
            reads.append(1)
            yield chunk

    script.add(lambda _: httpx.Response(200, content=endless()))
    client = make_client(max_answer_bytes=1 * MIB)
    with pytest.raises(ContractError, match="more than 1 MiB"):
        client.list_monitors()
    assert len(reads) == 17  # 16 reads fill 1 MiB, the 17th passes it (by hand)


def test_a_big_error_answer_is_shown_in_part_not_refused(
    script: Script, client: BetterStackClient
) -> None:
    script.add(httpx.Response(404, content=b"x" * (5 * MIB)))
    with pytest.raises(NotFoundError, match="HTTP 404") as caught:
        client.get_monitor("1")
    assert len(str(caught.value)) < 1_000


def test_a_compression_we_did_not_ask_for_is_refused(
    script: Script, client: BetterStackClient
) -> None:
    brotli = iter([b"\x1b\x00"])
    script.add(httpx.Response(200, content=brotli, headers={"content-encoding": "br"}))
    with pytest.raises(ContractError, match="compressed with 'br', which was not asked for"):
        client.get_monitor("1")


def test_every_request_asks_for_gzip_or_deflate_only(
    script: Script, client: BetterStackClient
) -> None:
    script.add(httpx.Response(200, json={"data": {"id": "1"}}))
    client.get_monitor("1")
    assert script.requests[0].headers["accept-encoding"] == "gzip, deflate"


# -- a total deadline per request, against a tiny local server ---------------------------


@dataclass
class Trickle:
    """A one-connection-at-a-time server that sends its answer ``step`` bytes at a time."""

    head: bytes
    body: bytes
    step: int
    pause: float
    sent: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def serve(self, listener: socket.socket) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)  # the request (small, one read)
                self._trickle(conn, self.head + self.body)

    def _trickle(self, conn: socket.socket, answer: bytes) -> None:
        for start in range(0, len(answer), self.step):
            if self.stop.wait(self.pause):
                return
            try:
                conn.sendall(answer[start : start + self.step])
            except OSError:  # the client hung up: the deadline worked
                return
            self.sent += self.step


@pytest.fixture
def trickle() -> Iterator[Callable[..., Trickle]]:
    servers: list[tuple[Trickle, socket.socket, threading.Thread]] = []

    def start(head: bytes, body: bytes, step: int = 64, pause: float = 0.05) -> Trickle:
        listener = socket.create_server(("127.0.0.1", 0))
        listener.settimeout(5)
        server = Trickle(head, body, step, pause)
        server.url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        thread = threading.Thread(target=server.serve, args=(listener,), daemon=True)
        thread.start()
        servers.append((server, listener, thread))
        return server

    yield start
    for server, listener, thread in servers:
        server.stop.set()
        listener.close()
        thread.join(5)


def _slow_client(url: str, sleeps: Sleeps, seconds: float) -> BetterStackClient:
    return BetterStackClient.create(
        Secret(TOKEN), base_url=url, timeout=seconds, retry=RetryPolicy(max_attempts=1)
    )


def test_a_body_trickled_64_bytes_at_a_time_is_cut_at_the_deadline(
    trickle: Callable[..., Trickle], sleeps: Sleeps
) -> None:
    body = b'{"data": {"id": "1", "attributes": {"pad": "' + b"x" * 100_000 + b'"}}}'
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    head += f"Content-Length: {len(body)}\r\n\r\n".encode()
    server = trickle(head, body)  # 1,280 bytes a second: 80 s for the whole answer
    with _slow_client(server.url, sleeps, 1.0) as client, pytest.raises(TransientError) as caught:
        client.get_monitor("1")  # every read gets bytes well within the 1 s read timeout
    message = str(caught.value)
    assert "did not finish within 1 s" in message
    assert "\n" not in message
    # stopped after about a second of the 80: a few KB of the 100 KB were sent, not all
    assert server.sent < 10_000


def test_headers_trickled_byte_by_byte_are_cut_at_the_deadline(
    trickle: Callable[..., Trickle], sleeps: Sleeps
) -> None:
    head = b"HTTP/1.1 200 OK\r\nX-Padding: " + b"a" * 10_000 + b"\r\n\r\n"
    server = trickle(head, b"", step=1, pause=0.02)  # 50 bytes a second: 200 s of headers
    with _slow_client(server.url, sleeps, 1.0) as client, pytest.raises(TransientError) as caught:
        client.get_monitor("1")
    assert "did not finish within 1 s" in str(caught.value)
    assert server.sent < 500


@pytest.mark.parametrize(
    ("encoding", "wbits"),
    [("gzip", 31), ("deflate", 15), ("deflate", -15)],  # deflate: zlib-wrapped, or raw
)
def test_compressed_answers_are_decoded(
    script: Script, client: BetterStackClient, encoding: str, wbits: int
) -> None:
    name = b"n" * (3 * MIB)  # several decoded pieces of 1 MiB
    body = b'{"data": {"id": "7", "attributes": {"pronounceable_name": "' + name + b'"}}}'
    compressor = zlib.compressobj(6, zlib.DEFLATED, wbits)
    packed = compressor.compress(body) + compressor.flush()
    script.add(
        lambda _: httpx.Response(
            200, content=_network_reads(packed, 1000), headers={"content-encoding": encoding}
        )
    )
    answer = client.get_monitor("7")
    assert answer.data["attributes"]["pronounceable_name"] == name.decode()


def test_an_error_answer_in_an_unknown_compression_still_reports_its_status(
    script: Script, client: BetterStackClient
) -> None:
    odd = iter([b"\x1b\x00garbage"])
    script.add(httpx.Response(404, content=odd, headers={"content-encoding": "br"}))
    with pytest.raises(NotFoundError, match="HTTP 404"):
        client.get_monitor("1")


def test_a_run_s_client_loads_the_ca_bundle_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 24: the run's client builds one TLS context (the CA bundle read once, 30-60 ms),
    shared by the pool that sends the requests, and by every later client of the process:
    TLS is still verified."""
    import ssl

    from betterstack_etl.api import _transport
    from betterstack_etl.api._transport import api_http_client

    monkeypatch.setattr(_transport, "_tls", {})  # as in a fresh process

    loads: list[object] = []
    load = ssl.SSLContext.load_verify_locations

    def counted(self: ssl.SSLContext, *args: object, **kwargs: object) -> None:
        loads.append(args or kwargs)
        load(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counted)
    with api_http_client(5.0) as client:
        pool = client._transport._pool  # type: ignore[attr-defined]
        context = pool._ssl_context
    with api_http_client(5.0) as later:
        assert later._transport._pool._ssl_context is context  # type: ignore[attr-defined]
    assert len(loads) == 1
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
