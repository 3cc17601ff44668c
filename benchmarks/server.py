"""A fast in-memory Secrets Manager endpoint for measuring clients, not servers.

One process, one event loop, stdlib only: an :class:`asyncio.Protocol` with hand-rolled
HTTP/1.1 keep-alive parsing, so that serving a call costs far less CPU than making one.
Every success response is precomputed as bytes when the server starts. Signatures are not
checked. Operations: GetSecretValue, BatchGetSecretValue (SecretIdList or Filters),
DescribeSecret and ListSecrets, with JSON 1.1 errors (``x-amzn-errortype``, ``__type``).

``X-Amz-Target: bench.Stats`` returns the server's own CPU time and request count, so a
run can show the server was not the bottleneck.

Run it on its own: ``python benchmarks/server.py --secrets 1000`` prints ``PORT <n>`` and
serves 127.0.0.1 until stdin closes, SIGTERM, or ``--max-seconds`` pass.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import http.client
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _data

CREATED = 1_700_000_000.0
MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 1024 * 1024
BATCH_MAX_IDS = 20
LIST_MAX_RESULTS = 100

_REASONS = {200: b"OK", 400: b"Bad Request", 404: b"Not Found", 413: b"Payload Too Large"}


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def http_response(status: int, body: bytes, error_type: str | None = None) -> bytes:
    """Serialise one complete HTTP/1.1 response."""
    head = [
        b"HTTP/1.1 %d %s" % (status, _REASONS.get(status, b"Error")),
        b"x-amzn-RequestId: " + str(uuid.uuid4()).encode(),
        b"Content-Type: application/x-amz-json-1.1",
        b"Content-Length: %d" % len(body),
    ]
    if error_type is not None:
        head.append(b"x-amzn-errortype: " + error_type.encode())
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def error_response(error_type: str, message: str, status: int = 400) -> bytes:
    """A JSON 1.1 error response as the service sends it."""
    return http_response(status, _dumps({"__type": error_type, "Message": message}), error_type)


_NOT_FOUND = error_response(
    "ResourceNotFoundException", "Secrets Manager can't find the specified secret."
)


class SecretStore:
    """N secrets and every response about them, precomputed as bytes."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.names = [_data.secret_name(i) for i in range(count)]
        #: name or ARN -> secret index
        self.index: dict[str, int] = {}
        #: per secret: the GetSecretValue JSON object, also the BatchGetSecretValue item
        self.value_json: list[bytes] = []
        #: per secret: the ListSecrets entry
        self.list_json: list[bytes] = []
        self.get_response: list[bytes] = []
        self.describe_response: list[bytes] = []
        for i, name in enumerate(self.names):
            arn = _data.secret_arn(i)
            self.index[name] = i
            self.index[arn] = i
            version = str(uuid.UUID(int=i + 1))
            value = {
                "ARN": arn,
                "Name": name,
                "VersionId": version,
                "SecretString": _data.secret_value(i),
                "VersionStages": ["AWSCURRENT"],
                "CreatedDate": CREATED,
            }
            entry = {
                "ARN": arn,
                "Name": name,
                "Description": f"benchmark secret {i}",
                "LastChangedDate": CREATED,
                "LastAccessedDate": CREATED,
                "Tags": [{"Key": "bench", "Value": "true"}],
                "SecretVersionsToStages": {version: ["AWSCURRENT"]},
                "CreatedDate": CREATED,
            }
            describe = dict(entry)
            describe["VersionIdsToStages"] = describe.pop("SecretVersionsToStages")
            describe["RotationEnabled"] = False
            self.value_json.append(_dumps(value))
            self.list_json.append(_dumps(entry))
            self.get_response.append(http_response(200, self.value_json[-1]))
            self.describe_response.append(http_response(200, _dumps(describe)))

    def lookup(self, secret_id: object) -> int | None:
        """The index of a secret given by name or full ARN."""
        return self.index.get(secret_id) if isinstance(secret_id, str) else None

    def filtered(self, filters: object) -> list[int] | None:
        """Indexes matching ListSecrets/BatchGetSecretValue filters; None if malformed.

        Only name-like keys are modelled: ``name``, ``description`` and ``all`` match by
        prefix, ``tag-key``/``tag-value`` match the one tag every secret carries.
        """
        if not isinstance(filters, list):
            return None
        selected = list(range(self.count))
        for f in filters:
            if not isinstance(f, dict) or not isinstance(f.get("Values"), list):
                return None
            key, values = f.get("Key"), [str(v) for v in f["Values"]]
            if key in ("name", "all"):
                selected = [i for i in selected if self.names[i].startswith(tuple(values))]
            elif key == "description":
                desc = "benchmark secret "
                selected = [i for i in selected if (desc + str(i)).startswith(tuple(values))]
            elif key == "tag-key":
                selected = selected if "bench" in values else []
            elif key == "tag-value":
                selected = selected if "true" in values else []
            elif key in ("primary-region", "owning-service"):
                selected = []
            else:
                return None
        return selected


class Handler:
    """Maps (target, body) to response bytes."""

    def __init__(self, store: SecretStore) -> None:
        self.store = store
        self.requests = 0
        self._ops: dict[bytes, Callable[[dict[str, Any]], bytes]] = {
            b"secretsmanager.getsecretvalue": self.get_secret_value,
            b"secretsmanager.batchgetsecretvalue": self.batch_get_secret_value,
            b"secretsmanager.describesecret": self.describe_secret,
            b"secretsmanager.listsecrets": self.list_secrets,
            b"bench.stats": self.stats,
        }

    def handle(self, target: bytes, body: bytes) -> bytes:
        """Answer one request; ``target`` is the lower-cased X-Amz-Target value."""
        self.requests += 1
        op = self._ops.get(target)
        if op is None:
            return error_response("UnknownOperationException", "Unknown operation")
        try:
            params = json.loads(body) if body else {}
        except ValueError:
            return error_response("SerializationException", "Malformed JSON body")
        if not isinstance(params, dict):
            return error_response("SerializationException", "Body must be a JSON object")
        return op(params)

    def get_secret_value(self, params: dict[str, Any]) -> bytes:
        i = self.store.lookup(params.get("SecretId"))
        return _NOT_FOUND if i is None else self.store.get_response[i]

    def describe_secret(self, params: dict[str, Any]) -> bytes:
        i = self.store.lookup(params.get("SecretId"))
        return _NOT_FOUND if i is None else self.store.describe_response[i]

    def batch_get_secret_value(self, params: dict[str, Any]) -> bytes:
        ids, filters = params.get("SecretIdList"), params.get("Filters")
        if (ids is None) == (filters is None):
            return error_response(
                "InvalidParameterException", "Provide exactly one of SecretIdList and Filters."
            )
        values: list[bytes] = []
        errors: list[bytes] = []
        if ids is not None:
            if not isinstance(ids, list) or not 1 <= len(ids) <= BATCH_MAX_IDS:
                return error_response(
                    "InvalidParameterException", "SecretIdList must hold 1 to 20 ids."
                )
            for secret_id in ids:
                i = self.store.lookup(secret_id)
                if i is None:
                    errors.append(
                        _dumps(
                            {
                                "SecretId": secret_id,
                                "ErrorCode": "ResourceNotFoundException",
                                "Message": "Secrets Manager can't find the specified secret.",
                            }
                        )
                    )
                else:
                    values.append(self.store.value_json[i])
        else:
            selected = self.store.filtered(filters)
            if selected is None:
                return error_response("InvalidParameterException", "Malformed Filters.")
            limit = params.get("MaxResults", BATCH_MAX_IDS)
            values = [self.store.value_json[i] for i in selected[: int(limit)]]
        body = (
            b'{"SecretValues":[' + b",".join(values) + b'],"Errors":[' + b",".join(errors) + b"]}"
        )
        return http_response(200, body)

    def list_secrets(self, params: dict[str, Any]) -> bytes:
        selected = list(range(self.store.count))
        if "Filters" in params:
            filtered = self.store.filtered(params["Filters"])
            if filtered is None:
                return error_response("InvalidParameterException", "Malformed Filters.")
            selected = filtered
        try:
            limit = int(params.get("MaxResults", LIST_MAX_RESULTS))
            start = int(params.get("NextToken") or 0)
        except (TypeError, ValueError):
            return error_response("InvalidNextTokenException", "Bad NextToken or MaxResults.")
        if not 1 <= limit <= LIST_MAX_RESULTS:
            return error_response("InvalidParameterException", "MaxResults must be 1 to 100.")
        page = selected[start : start + limit]
        body = b'{"SecretList":[' + b",".join(self.store.list_json[i] for i in page) + b"]"
        if start + limit < len(selected):
            body += b',"NextToken":"%d"' % (start + limit)
        return http_response(200, body + b"}")

    def stats(self, params: dict[str, Any]) -> bytes:
        return http_response(
            200,
            _dumps(
                {
                    "cpu": time.process_time(),
                    "time": time.monotonic(),
                    "requests": self.requests,
                    "pid": os.getpid(),
                }
            ),
        )


class HttpProtocol(asyncio.Protocol):
    """HTTP/1.1 with keep-alive and pipelining; just enough for SDK clients."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        buf = self.buffer
        buf += data
        while buf:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > MAX_HEADER_BYTES:
                    self._fail(400)
                return
            # lower-cased once so header lookups are plain substring searches
            head = bytes(buf[:end]).lower()
            start = end + 4
            length = self._header(head, b"content-length")
            if length is not None:
                size = int(length)
                if size > MAX_BODY_BYTES:
                    self._fail(413)
                    return
                if len(buf) < start + size:
                    return
                body = bytes(buf[start : start + size])
                consumed = start + size
            elif self._header(head, b"transfer-encoding") == b"chunked":
                chunked = _read_chunked(buf, start)
                if chunked is None:
                    return
                body, consumed = chunked
            else:
                body, consumed = b"", start
            del buf[:consumed]
            target = self._header(head, b"x-amz-target") or b""
            if head.startswith(b"post "):
                response = self.handler.handle(target, body)
            else:
                response = error_response("NotFound", "POST / only", 404)
            assert self.transport is not None
            self.transport.write(response)
            connection = self._header(head, b"connection")
            if connection == b"close" or (
                connection != b"keep-alive" and head.split(b"\r\n", 1)[0].endswith(b"/1.0")
            ):
                self.transport.close()
                return

    @staticmethod
    def _header(head: bytes, name: bytes) -> bytes | None:
        i = head.find(b"\r\n" + name + b":")
        if i < 0:
            return None
        i += len(name) + 3
        j = head.find(b"\r\n", i)
        return head[i : j if j >= 0 else len(head)].strip()

    def _fail(self, status: int) -> None:
        assert self.transport is not None
        self.transport.write(error_response("BadRequest", "Malformed request", status))
        self.transport.close()
        self.buffer.clear()


def _read_chunked(buf: bytearray, pos: int) -> tuple[bytes, int] | None:
    """Decode a chunked body starting at ``pos``; None until it has fully arrived."""
    parts: list[bytes] = []
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return None
        size = int(bytes(buf[pos:eol]).split(b";", 1)[0], 16)
        pos = eol + 2
        if size == 0:
            # no trailers expected from SDK clients: just the final CRLF
            if len(buf) < pos + 2:
                return None
            return b"".join(parts), pos + 2
        if len(buf) < pos + size + 2:
            return None
        parts.append(bytes(buf[pos : pos + size]))
        pos += size + 2


async def serve(count: int, port: int, max_seconds: float, watch_stdin: bool) -> None:
    """Serve until stdin closes (when watched), SIGTERM, or ``max_seconds`` pass."""
    handler = Handler(SecretStore(count))
    gc.collect()
    gc.freeze()  # the precomputed store never changes: keep the collector off it
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: HttpProtocol(handler), "127.0.0.1", port, backlog=1024
    )
    stop: asyncio.Future[None] = loop.create_future()

    def _stop() -> None:
        if not stop.done():
            stop.set_result(None)

    loop.add_signal_handler(signal.SIGTERM, _stop)
    if watch_stdin:
        # the parent holds our stdin: when it exits, so do we
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

        async def _watch() -> None:
            await reader.read()
            _stop()

        watcher = asyncio.ensure_future(_watch())
    sock_port = server.sockets[0].getsockname()[1]
    print(f"PORT {sock_port}", flush=True)
    try:
        await asyncio.wait_for(stop, max_seconds)
    except asyncio.TimeoutError:
        pass
    finally:
        if watch_stdin:
            watcher.cancel()
        server.close()
        await server.wait_closed()


class ServerProcess:
    """The server in a child process, for ``with`` use by the orchestrator and tests."""

    def __init__(self, count: int = 1000, python: str | None = None, max_seconds: float = 3600):
        self._cmd = [
            python or sys.executable,
            str(Path(__file__).resolve()),
            "--secrets",
            str(count),
            "--max-seconds",
            str(max_seconds),
        ]
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServerProcess:
        self.proc = subprocess.Popen(self._cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode()
        if not line.startswith("PORT "):
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError(f"benchmark server failed to start: {line!r}")
        self.port = int(line.split()[1])
        return self

    def stats(self) -> dict[str, Any]:
        return fetch_stats(self.port)

    def __exit__(self, *exc: object) -> None:
        assert self.proc is not None
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        assert self.proc.stdout is not None
        self.proc.stdout.close()


def fetch_stats(port: int) -> dict[str, Any]:
    """The server's CPU seconds, monotonic clock and request count (blocking)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/", body=b"{}", headers={"X-Amz-Target": "bench.Stats"})
        result: dict[str, Any] = json.loads(conn.getresponse().read())
        return result
    finally:
        conn.close()


async def fetch_stats_async(port: int) -> dict[str, Any]:
    """As :func:`fetch_stats`, over a raw asyncio stream (no HTTP client library)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(
            b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: bench.Stats\r\n"
            b"Content-Length: 2\r\nConnection: close\r\n\r\n{}"
        )
        raw = await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()
    result: dict[str, Any] = json.loads(raw.split(b"\r\n\r\n", 1)[1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--secrets", type=int, default=1000, help="number of secrets")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--max-seconds", type=float, default=3600.0, help="stop after this")
    parser.add_argument(
        "--no-stdin", action="store_true", help="do not stop when stdin closes (interactive use)"
    )
    args = parser.parse_args()
    asyncio.run(serve(args.secrets, args.port, args.max_seconds, not args.no_stdin))


if __name__ == "__main__":
    main()
