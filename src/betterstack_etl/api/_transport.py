"""How an answer is read: a total deadline per request and a bound on its decoded size.

httpx's timeouts are per socket operation, so a server that trickles a few bytes a second
never trips them (issue 19: 64 bytes/s held a run with a 5 s timeout for a minute). Here
every request has a **total deadline**: the client opens :func:`deadline` around it (a
thread-local, since each request runs in its caller's thread), and the network streams of
:class:`DeadlineTransport` give every connect, TLS handshake, read and write only the time
left, so slow headers are cut as surely as a slow body. :func:`read_body` checks the deadline
between chunks too, so a request on any other transport (a mock, a proxy) is bounded as well.

:func:`read_body` reads an answer a network read at a time and decodes it (gzip, deflate: what
we ask for) with ``zlib``'s own output bound, so it stops as soon as the decoded size passes
its bound: a 2 MB gzip bomb never inflates to gigabytes (httpx's decoders inflate a whole read
at once, ~1,000 times its size), and a 300 MB plain body is refused from its
``Content-Length`` before it is read. Memory stays near the bound.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
import time
import zlib
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Final

import httpcore
import httpx

if TYPE_CHECKING:
    import ssl
    from collections.abc import Iterable, Iterator

__all__ = [
    "ACCEPTED_ENCODINGS",
    "ERROR_BODY_BYTES",
    "MAX_ANSWER_BYTES",
    "AnswerRefused",
    "DeadlinePassed",
    "DeadlineTransport",
    "api_http_client",
    "deadline",
    "default_tls_context",
    "read_body",
    "time_left",
]

# No Better Stack answer comes near this: the heaviest, a monitor's response times checked
# every 30 s from four regions, is ~2.5 MB; a page of 250 monitors ~0.5 MB.
MAX_ANSWER_BYTES: Final = 64 * 1024 * 1024
ERROR_BODY_BYTES: Final = 64 * 1024  # of an error answer, only the first words are shown
ACCEPTED_ENCODINGS: Final = "gzip, deflate"
_PIECE: Final = 1024 * 1024  # decoded bytes produced at a time

_state = threading.local()


class DeadlinePassed(Exception):
    """The request's total deadline passed while its answer was still coming."""


class AnswerRefused(Exception):
    """The answer is not read further; ``what`` says why (one clause, for the message)."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):g} MiB"


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[float]:
    """Give what runs in this block, in this thread, ``seconds`` in total; yields the
    deadline on the monotonic clock."""
    previous = getattr(_state, "until", None)
    until = time.monotonic() + seconds
    _state.until = until
    try:
        yield until
    finally:
        _state.until = previous


def time_left() -> float | None:
    """Seconds left before this thread's deadline (negative once passed); None without one."""
    until: float | None = getattr(_state, "until", None)
    return None if until is None else until - time.monotonic()


def _clamp(timeout: float | None, error: type[Exception]) -> float | None:
    left = time_left()
    if left is None:
        return timeout
    if left <= 0:
        raise error("the request's total deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every operation waits at most the time left."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        wait = _clamp(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, wait))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's sync backend, its streams bounded by the calling thread's deadline."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        wait = _clamp(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            self._inner.connect_tcp(host, port, wait, local_address, socket_options)
        )

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        wait = _clamp(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.connect_unix_socket(path, wait, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


_tls_lock = threading.Lock()
_tls: dict[tuple[str, str], Future[ssl.SSLContext]] = {}


def _tls_future() -> tuple[Future[ssl.SSLContext], bool]:
    """The future TLS context for this environment (httpx reads ``SSL_CERT_FILE`` and
    ``SSL_CERT_DIR``), and whether the caller is the one to build it."""
    key = (os.environ.get("SSL_CERT_FILE", ""), os.environ.get("SSL_CERT_DIR", ""))
    with _tls_lock:
        future = _tls.get(key)
        if future is not None:
            return future, False
        future = _tls[key] = Future()
        return future, True


def _build_tls(future: Future[ssl.SSLContext]) -> None:
    try:
        future.set_result(httpx.create_ssl_context())
    except BaseException as exc:  # noqa: BLE001 - raised to every waiting caller
        with _tls_lock:  # not kept: the next client tries again
            for key in [k for k, f in _tls.items() if f is future]:
                del _tls[key]
        future.set_exception(exc)


def default_tls_context() -> ssl.SSLContext:
    """The TLS context httpx makes by default (its CA bundle, verified), made once per
    process and environment: every client of every run shares it. The first caller makes it
    (``ssl`` loads the bundle outside the interpreter lock: 25-30 ms that a thread can spend
    while the run is set up, issue 24); the others wait for it."""
    future, mine = _tls_future()
    if mine:
        _build_tls(future)
    return future.result()


class DeadlineTransport(httpx.HTTPTransport):
    """httpx's HTTP transport (TLS verified, HTTP/1.1, default limits) over network streams
    that honour the calling thread's :func:`deadline`.

    httpx takes no network backend, so the connection pool it builds is replaced by the same
    pool on ours (``tests/api/test_deadline.py`` proves a trickling server is cut)."""

    def __init__(self, *, verify: ssl.SSLContext | bool = True) -> None:
        # one TLS context for both pools, and for every client of the process (loading the
        # CA bundle twice was 30-60 ms of every run's start-up, issue 24); httpx takes a built
        # context as it is
        context = default_tls_context() if verify is True else httpx.create_ssl_context(verify)
        super().__init__(verify=context)
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
        self._pool = httpcore.ConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_DeadlineBackend(),
        )


def api_http_client(timeout: float) -> httpx.Client:
    """The ``httpx.Client`` of a run: per-operation ``timeout`` (connect at most 10 s), no
    redirects, TLS verified, on :class:`DeadlineTransport`."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
        transport=DeadlineTransport(),
        follow_redirects=False,
    )


class _Inflater:
    """Decodes a gzip or deflate body a network read at a time, in pieces of at most
    :data:`_PIECE` bytes (``zlib``'s ``max_length``), unlike a plain ``decompress`` which
    inflates a whole read at once, ~1,000 times its size."""

    def __init__(self, encoding: str) -> None:
        self._encoding = encoding
        wbits = 16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS
        self._inflater = zlib.decompressobj(wbits)
        self._started = False

    def pieces(self, data: bytes) -> Iterator[bytes]:
        """The decoded pieces of ``data`` (of the rest of the stream, for ``b""``)."""
        if not data:
            yield self._inflater.flush()
            return
        pending = data
        while True:
            piece = self._decompress(pending)
            yield piece
            pending = self._inflater.unconsumed_tail
            if len(piece) < _PIECE and not pending:  # a full piece may leave output behind
                return

    def _decompress(self, data: bytes) -> bytes:
        try:
            out = self._inflater.decompress(data, _PIECE)
        except zlib.error as exc:
            if self._encoding != "deflate" or self._started:
                raise httpx.DecodingError(f"the {self._encoding} body is corrupt: {exc}") from exc
            self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as httpx does
            out = self._inflater.decompress(data, _PIECE)
        self._started = True
        return out


def read_body(response: httpx.Response, limit: int, *, strict: bool = True) -> bytes:
    """The decoded body of a streamed ``response``, at most ``limit`` bytes.

    ``strict``: raise :class:`AnswerRefused` past the limit, or for a compression we did not
    ask for (a data answer); otherwise keep the first ``limit`` bytes and stop (an error
    answer, only shown in part). Raises :class:`DeadlinePassed` when this thread's deadline
    passes between two network reads."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    raw: Iterable[bytes]
    if response.is_stream_consumed:  # built in memory (a mock transport): already decoded
        encoding, raw = "", [response.content]
    else:
        raw = response.iter_raw()
    if encoding in ("", "identity"):
        inflater = None
    elif encoding in ("gzip", "deflate"):
        inflater = _Inflater(encoding)
    elif strict:
        raise AnswerRefused(f"it is compressed with {encoding[:40]!r}, which was not asked for")
    else:  # an error answer's first bytes, as they came: only a few are shown, escaped
        inflater = None
    declared = response.headers.get("content-length", "").strip()
    if strict and inflater is None and declared.isdigit() and int(declared) > limit:
        raise AnswerRefused(
            f"it announces {_mib(int(declared))}, more than the {_mib(limit)} an answer may hold"
        )
    chunks: list[bytes] = []
    size = 0
    for data in itertools.chain(raw, [b""]):
        left = time_left()
        if left is not None and left <= 0:
            raise DeadlinePassed
        for chunk in [data] if inflater is None else inflater.pieces(data):
            if size + len(chunk) > limit:
                if strict:
                    decoded = f" once decoded ({encoding})" if inflater is not None else ""
                    raise AnswerRefused(f"it holds more than {_mib(limit)}{decoded}")
                chunks.append(chunk[: limit - size])
                return b"".join(chunks)
            size += len(chunk)
            chunks.append(chunk)
    return b"".join(chunks)
