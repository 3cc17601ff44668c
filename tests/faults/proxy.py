"""A fault-injecting HTTP/1.1 proxy on 127.0.0.1, built on raw asyncio streams.

It sits between the client and moto's server and, for a configurable share of requests,
misbehaves at the byte level instead of forwarding faithfully. Faults come in two phases:

* before: the request never reaches moto (error statuses, resets, HTML, stalls, bad JSON);
* after: the request is forwarded, moto executes it, and then the response is lost, cut or
  replaced. A retry of such a request resends something the server already did, which is what
  the idempotency token has to make harmless.

Faults are drawn at random (``FaultPlan``: rate, weighted mix, seed) or queued explicitly with
:meth:`FaultProxy.inject` for deterministic tests. Every injected fault is counted by kind, and
every forwarded request is recorded (operation and JSON body), so a test can compare what the
client did with what the server saw.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import socket
import struct
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: fault kind -> phase; "after" faults are applied once moto has processed the request
FAULTS: dict[str, str] = {
    "status_500": "before",  # a bare 500 with an empty body
    "status_503": "before",  # 503 with a plain-text body
    "internal_error": "before",  # 500 with {"__type": "InternalServiceError"}
    "throttle": "before",  # 400 ThrottlingException, in bursts
    "reset_before": "before",  # TCP RST instead of any response
    "html_502": "before",  # an HTML error page from a "load balancer"
    "invalid_json": "before",  # 200 whose body is not JSON
    "stall": "before",  # accept the request, never send the headers
    "reset_after": "after",  # forwarded, then RST instead of the response
    "reset_mid": "after",  # forwarded, headers and part of the body, then RST
    "truncated": "after",  # forwarded, Content-Length larger than what is sent, then FIN
    "status_503_after": "after",  # forwarded, moto's answer replaced by a 503
}

_REASONS = {200: "OK", 400: "Bad Request", 500: "Internal Server Error", 502: "Bad Gateway"}
_REASONS[503] = "Service Unavailable"
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})


@dataclass
class FaultPlan:
    """Which share of requests to fault, and how the faults are mixed."""

    rate: float = 0.0
    #: kind -> relative weight; default: every kind equally
    mix: Mapping[str, float] = field(default_factory=lambda: dict.fromkeys(FAULTS, 1.0))
    seed: int = 0
    #: a throttle is followed by this many more throttled requests (whichever arrive next)
    throttle_burst: int = 3

    def __post_init__(self) -> None:
        unknown = set(self.mix) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {sorted(unknown)}")
        self._random = random.Random(self.seed)
        self._kinds = list(self.mix)
        self._weights = [self.mix[k] for k in self._kinds]

    def draw(self) -> str | None:
        """A fault kind for the next request, or None to forward it faithfully."""
        if self.rate <= 0 or self._random.random() >= self.rate:
            return None
        return self._random.choices(self._kinds, self._weights)[0]


@dataclass
class Request:
    """One parsed HTTP request."""

    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    @property
    def operation(self) -> str:
        return (self.header("x-amz-target") or "").rpartition(".")[2]


@dataclass
class Response:
    """One HTTP response, as moto sent it or as we make it up."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def encode(self, *, content_length: int | None = None) -> tuple[bytes, bytes]:
        """Head and body bytes; ``content_length`` overrides the advertised length."""
        length = len(self.body) if content_length is None else content_length
        lines = [f"HTTP/1.1 {self.status} {_REASONS.get(self.status, 'Unknown')}"]
        lines += [f"{k}: {v}" for k, v in self.headers if k.lower() not in _HOP_BY_HOP]
        lines.append(f"Content-Length: {length}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"), self.body


def _json(status: int, payload: Any, extra: Mapping[str, str] | None = None) -> Response:
    headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", "proxy")]
    headers += list((extra or {}).items())
    return Response(status, headers, json.dumps(payload).encode())


_CANNED: dict[str, Response] = {
    "status_500": Response(500, [], b""),
    "status_503": Response(503, [("Content-Type", "text/plain")], b"Service Unavailable"),
    "internal_error": _json(500, {"__type": "InternalServiceError", "message": "injected"}),
    "throttle": _json(400, {"__type": "ThrottlingException", "message": "Rate exceeded"}),
    "html_502": Response(
        502,
        [("Content-Type", "text/html")],
        b"<html><head><title>502 Bad Gateway</title></head><body>bad gateway</body></html>",
    ),
    "invalid_json": Response(
        200, [("Content-Type", "application/x-amz-json-1.1")], b'{"ARN": "arn:aws:secr'
    ),
    "status_503_after": _json(503, {"__type": "ServiceUnavailable", "message": "injected"}),
}


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None  # the client closed an idle keep-alive connection
    lines = head[:-4].decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = [(k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in lines[1:])]
    request = Request(method, target, headers, b"")
    length = int(request.header("content-length") or 0)
    if length:
        request.body = await reader.readexactly(length)
    return request


def _parse_response(raw: bytes) -> Response:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = [(k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in lines[1:])]
    names = {k.lower(): v for k, v in headers}
    if names.get("transfer-encoding", "").lower() == "chunked":
        body = _dechunk(body)
    elif "content-length" in names:
        body = body[: int(names["content-length"])]
    return Response(status, headers, body)


def _dechunk(data: bytes) -> bytes:
    out = bytearray()
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += data[:size]
        data = data[size + 2 :]
    return bytes(out)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST (SO_LINGER 0), as a crashed peer or a middlebox would."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class FaultProxy:
    """The proxy. ``async with FaultProxy(host, port, plan) as proxy: proxy.url ...``."""

    def __init__(
        self,
        upstream_host: str,
        upstream_port: int,
        plan: FaultPlan | None = None,
        *,
        record: bool = True,
    ) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.plan = plan or FaultPlan()
        self.record = record
        #: faults injected, by kind
        self.injected: Counter[str] = Counter()
        #: requests seen, and requests that reached moto: (operation, JSON body)
        self.requests_seen = 0
        self.forwarded: list[tuple[str, dict[str, Any]]] = []
        self._seen = asyncio.Condition()
        self._queued: deque[str | None] = deque()
        self._burst = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.url = ""

    def inject(self, *kinds: str | None) -> None:
        """Apply these faults (None: forward) to the next requests, before the plan's draws."""
        for kind in kinds:
            if kind is not None and kind not in FAULTS:
                raise ValueError(f"unknown fault kind {kind!r}")
        self._queued.extend(kinds)

    async def wait_for_requests(self, count: int) -> None:
        """Return once ``count`` requests in all have arrived (faults already chosen)."""
        async with self._seen:
            await self._seen.wait_for(lambda: self.requests_seen >= count)

    async def __aenter__(self) -> FaultProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    def _choose(self) -> str | None:
        if self._queued:
            return self._queued.popleft()
        if self._burst > 0:
            self._burst -= 1
            return "throttle"
        kind = self.plan.draw()
        if kind == "throttle":
            self._burst = self.plan.throttle_burst
        return kind

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                kind = self._choose()
                if kind is not None:
                    self.injected[kind] += 1
                async with self._seen:
                    self.requests_seen += 1
                    self._seen.notify_all()
                if not await self._answer(request, kind, reader, writer):
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._writers.discard(writer)
            self._tasks.discard(task)
            if not writer.transport.is_closing():
                writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _answer(
        self,
        request: Request,
        kind: str | None,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        """Send the answer for one request; False when the connection is finished."""
        if kind == "reset_before":
            _reset(writer)
            return False
        if kind == "stall":
            # never answer; hold the connection until the client gives up and closes it
            with contextlib.suppress(ConnectionError):
                while await reader.read(4096):
                    pass
            return False
        if kind is not None and FAULTS[kind] == "before":
            response = _CANNED[kind]
        else:
            response = await self._forward(request)

        if kind == "reset_after":
            _reset(writer)
            return False
        if kind == "status_503_after":
            response = _CANNED[kind]
        head, body = response.encode()
        if kind == "reset_mid":
            writer.write(head + body[: len(body) // 2])
            await writer.drain()
            _reset(writer)
            return False
        if kind == "truncated":
            head, _ = response.encode(content_length=len(body) + 64)
            writer.write(head + body[: len(body) // 2])
            await writer.drain()
            writer.close()  # a clean FIN, but short of the promised length
            return False
        writer.write(head + body)
        await writer.drain()
        return True

    async def _forward(self, request: Request) -> Response:
        if self.record:
            try:
                payload = json.loads(request.body or b"{}")
            except ValueError:
                payload = {}
            self.forwarded.append((request.operation, payload))
        reader, writer = await asyncio.open_connection(*self.upstream)
        try:
            lines = [f"{request.method} {request.target} HTTP/1.1"]
            lines += [f"{k}: {v}" for k, v in request.headers if k.lower() != "connection"]
            lines.append("Connection: close")  # one upstream connection per request: simple
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + request.body)
            await writer.drain()
            raw = await reader.read()
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
        return _parse_response(raw)
