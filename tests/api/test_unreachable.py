"""A host that cannot be reached for a lasting reason is said so, and never retried at task
level (issue 19 item 16, issue 25 item 7): on ``main`` an unreachable host was retried three
times a minute apart (3 min 27 s) as a "transient" error."""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable

import httpx
import pytest

from betterstack_etl.api import BetterStackClient, RetryPolicy
from betterstack_etl.errors import TransientError, UnreachableError, is_retryable

from .conftest import Script


def _connect_error(cause: OSError) -> Callable[[httpx.Request], httpx.Response]:
    """What httpx raises when the OS refuses the connection: ``cause`` under its own error."""

    def fail(request: httpx.Request) -> httpx.Response:
        try:
            raise cause
        except OSError as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc

    return fail


@pytest.mark.parametrize(
    ("cause", "said"),
    [
        (socket.gaierror(socket.EAI_NONAME, "Name or service not known"), "does not resolve"),
        (ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), "refuses connections"),
        (OSError(errno.ENETUNREACH, "Network is unreachable"), "no route to its network"),
        (OSError(errno.EHOSTUNREACH, "No route to host"), "no route to the host"),
    ],
)
def test_a_host_that_cannot_be_reached_is_named_with_the_fix_and_not_retried_later(
    script: Script,
    make_client: Callable[..., BetterStackClient],
    cause: OSError,
    said: str,
) -> None:
    client = make_client(retry=RetryPolicy(max_attempts=2, jitter=False))
    script.add(_connect_error(cause), _connect_error(cause))
    with pytest.raises(UnreachableError) as info:
        client.get_monitor("7")
    error = info.value
    assert said in error.message
    assert "uptime.example.test" in error.message  # the host it tried
    assert "BETTERSTACK_BASE_URL" in (error.hint or "")
    assert len(script.requests) == 2  # retried per request (a restarting server)...
    assert not is_retryable(error)  # ...but not a minute later, at task level


@pytest.mark.parametrize(
    "cause",
    [
        socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution"),
        ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"),
    ],
)
def test_a_passing_network_fault_stays_transient(
    script: Script, make_client: Callable[..., BetterStackClient], cause: OSError
) -> None:
    client = make_client(retry=RetryPolicy(max_attempts=1))
    script.add(_connect_error(cause))
    with pytest.raises(TransientError) as info:
        client.get_monitor("7")
    assert not isinstance(info.value, UnreachableError)
    assert is_retryable(info.value)


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), False),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), False),
        (PermissionError(errno.EACCES, "Permission denied"), False),
        (OSError(errno.EROFS, "Read-only file system"), False),
        (OSError(errno.EIO, "Input/output error"), True),
        (RuntimeError("something else"), True),
    ],
)
def test_an_os_error_no_retry_can_fix_is_not_retried_even_when_wrapped(
    error: BaseException, retryable: bool
) -> None:
    assert is_retryable(error) is retryable
    wrapped = RuntimeError("while merging")
    wrapped.__cause__ = error
    assert is_retryable(wrapped) is retryable
