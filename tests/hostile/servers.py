"""Hostile HTTP endpoints: raw asyncio servers on 127.0.0.1 that flood, inflate, drip or lie.

Each server answers every request with one behaviour (a ``mode``). Bodies are streamed from
one reused block, so the server never holds a large body in memory; the gzip bomb is built
from one repeated, byte-aligned deflate block (about 1 MiB that inflates to 1 GiB) in well
under a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import struct
import zlib
from collections.abc import AsyncIterator
from functools import cache

GIB = 1 << 30
MIB = 1 << 20
BLOCK = b"x" * (64 * 1024)
SECRET = {"ARN": "arn:aws:secretsmanager:us-east-1:1:secret:n", "Name": "n", "SecretString": "s"}
MODES = (
    "ok",
    "ok_gzip",
    "ok_gzip_members",
    "ok_deflate",
    "ok_deflate_raw",
    "ok_chunked",
    "huge",
    "bomb",
    "endless",
    "drip",
    "slow_status",
    "liar",
    "date2001",
    "br",
    "stall",
)


@cache
def gzip_bomb(inflated: int = GIB) -> bytes:
    """A single-member gzip body of ~1/1000 the size of the ``inflated`` zero bytes it holds."""
    zeros = bytes(MIB)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    # After a full flush the compressor starts afresh, so every 1 MiB block compresses to the
    # same bytes: one block, repeated, is a valid deflate stream of any multiple of 1 MiB.
    block = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(inflated // MIB):
        crc = zlib.crc32(zeros, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    trailer = struct.pack("<II", crc, inflated & 0xFFFFFFFF)
    return header + block * (inflated // MIB) + deflate.flush() + trailer


def _head(status: str, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


JSON = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "hostile"}


class HostileServer:
    """Answers every request on 127.0.0.1 with the behaviour ``mode``."""

    def __init__(self, mode: str, *, drip_interval: float = 0.5) -> None:
        assert mode in MODES, mode
        self.mode = mode
        self.drip_interval = drip_interval
        self.requests = 0
        self.connections = 0
        #: connections the client closed (EOF or reset seen while or after answering)
        self.closed_by_peer = 0
        self.port = 0
        #: the head of the latest request, as received
        self.last_head = b""
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> HostileServer:
        if self.mode == "bomb":
            await asyncio.to_thread(gzip_bomb)
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def __aenter__(self) -> HostileServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        try:
            while await self._read_request(reader):
                self.requests += 1
                keep_alive = await getattr(self, f"_{self.mode}")(writer)
                await writer.drain()
                if not keep_alive:
                    break
            else:
                self.closed_by_peer += 1  # the client closed the idle connection
        except (ConnectionError, BrokenPipeError):
            self.closed_by_peer += 1
        except asyncio.CancelledError:
            pass
        finally:
            writer.close()
            # a cancelled server task must end quietly: asyncio logs one that ends cancelled
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await writer.wait_closed()
            self._tasks.discard(task)

    async def _read_request(self, reader: asyncio.StreamReader) -> bool:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            return False
        self.last_head = head
        length = 0
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        await reader.readexactly(length)
        return True

    async def _stream(self, writer: asyncio.StreamWriter, total: int | None) -> None:
        sent = 0
        while total is None or sent < total:
            writer.write(BLOCK)
            sent += len(BLOCK)
            await writer.drain()

    # -- behaviours: each writes one response and says whether the connection stays open ----

    async def _ok(self, writer: asyncio.StreamWriter) -> bool:
        body = json.dumps(SECRET).encode()
        writer.write(_head("200 OK", {**JSON, "Content-Length": str(len(body))}) + body)
        return True

    async def _encoded(self, writer: asyncio.StreamWriter, encoding: str, body: bytes) -> bool:
        headers = {**JSON, "Content-Encoding": encoding, "Content-Length": str(len(body))}
        writer.write(_head("200 OK", headers) + body)
        return True

    async def _ok_gzip(self, writer: asyncio.StreamWriter) -> bool:
        return await self._encoded(writer, "gzip", _gzip(json.dumps(SECRET).encode()))

    async def _ok_gzip_members(self, writer: asyncio.StreamWriter) -> bool:
        text = json.dumps(SECRET).encode()
        half = len(text) // 2
        return await self._encoded(writer, "gzip", _gzip(text[:half]) + _gzip(text[half:]))

    async def _ok_deflate(self, writer: asyncio.StreamWriter) -> bool:
        return await self._encoded(writer, "deflate", zlib.compress(json.dumps(SECRET).encode()))

    async def _ok_deflate_raw(self, writer: asyncio.StreamWriter) -> bool:
        raw = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        body = raw.compress(json.dumps(SECRET).encode()) + raw.flush()
        return await self._encoded(writer, "deflate", body)

    async def _ok_chunked(self, writer: asyncio.StreamWriter) -> bool:
        body = json.dumps(SECRET).encode()
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in (body[:10], body[10:]))
        writer.write(
            _head("200 OK", {**JSON, "Transfer-Encoding": "chunked"}) + chunks + b"0\r\n\r\n"
        )
        return True

    async def _br(self, writer: asyncio.StreamWriter) -> bool:
        return await self._encoded(writer, "br", b"\x0b\x02\x80{}\x03")

    async def _huge(self, writer: asyncio.StreamWriter) -> bool:
        # 1 GiB delimited by closing the connection: no length for the client to check first
        writer.write(_head("200 OK", {**JSON, "Connection": "close"}))
        await self._stream(writer, GIB)
        return False

    async def _bomb(self, writer: asyncio.StreamWriter) -> bool:
        body = gzip_bomb()
        headers = {**JSON, "Content-Encoding": "gzip", "Content-Length": str(len(body))}
        writer.write(_head("200 OK", headers))
        for start in range(0, len(body), 64 * 1024):
            writer.write(body[start : start + 64 * 1024])
            await writer.drain()
        return True

    async def _endless(self, writer: asyncio.StreamWriter) -> bool:
        writer.write(_head("200 OK", {**JSON, "Transfer-Encoding": "chunked"}))
        chunk = b"%x\r\n%s\r\n" % (len(BLOCK), BLOCK)
        while True:
            writer.write(chunk)
            await writer.drain()

    async def _drip(self, writer: asyncio.StreamWriter) -> bool:
        writer.write(_head("200 OK", {**JSON, "Content-Length": "100000"}))
        while True:
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(self.drip_interval)

    async def _slow_status(self, writer: asyncio.StreamWriter) -> bool:
        for byte in _head("200 OK", {**JSON, "Content-Length": "2"}) + b"{}":
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(1.0)
        return False

    async def _liar(self, writer: asyncio.StreamWriter) -> bool:
        writer.write(_head("200 OK", {**JSON, "Content-Length": str(2 * GIB)}))
        await self._stream(writer, 2 * GIB)
        return False

    async def _stall(self, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(3600)  # never answers
        return False

    async def _date2001(self, writer: asyncio.StreamWriter) -> bool:
        body = json.dumps(
            {"__type": "InvalidSignatureException", "message": "Signature expired"}
        ).encode()
        headers = {
            **JSON,
            "Date": "Mon, 01 Jan 2001 00:00:00 GMT",
            "Content-Length": str(len(body)),
        }
        writer.write(_head("400 Bad Request", headers) + body)
        return True


def _gzip(data: bytes) -> bytes:
    gz = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return gz.compress(data) + gz.flush()


@contextlib.asynccontextmanager
async def hostile(mode: str, **options: float) -> AsyncIterator[HostileServer]:
    """A started :class:`HostileServer`, stopped on exit."""
    async with HostileServer(mode, **options) as server:
        yield server
