"""A raw asyncio HTTP/1.1 server on 127.0.0.1 that answers from a script, for retry tests.

Each request takes the next action from the script: a JSON response, an error, a reset
connection, or a response that never comes. Working at the byte level lets it misbehave in
ways a framework would not.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import time
from collections import deque
from collections.abc import Callable
from typing import Any

Action = tuple[str, Any]


def ok(payload: dict[str, Any]) -> Action:
    return ("json", (200, payload, {}))


def error(code: str, status: int = 400, message: str = "", **headers: str) -> Action:
    return ("json", (status, {"__type": code, "message": message}, headers))


RESET: Action = ("reset", None)
HANG: Action = ("hang", None)


class ScriptedServer:
    def __init__(self) -> None:
        self.script: deque[Action] = deque()
        self.requests: list[tuple[dict[str, str], bytes, float]] = []
        self.default: Callable[[dict[str, str], bytes], Action] | None = None
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.url = ""
        self.clock_offset = 0.0  # seconds the server's clock is ahead of ours

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.requests.append((headers, body, time.monotonic()))
                if self.script:
                    kind, arg = self.script.popleft()
                elif self.default is not None:
                    kind, arg = self.default(headers, body)
                else:
                    kind, arg = ok({})
                if kind == "reset":
                    writer.transport.abort()
                    return
                if kind == "hang":
                    await asyncio.sleep(3600)
                    return
                status, payload, extra = arg
                data = json.dumps(payload).encode()
                date = email.utils.formatdate(time.time() + self.clock_offset, usegmt=True)
                out = [
                    f"HTTP/1.1 {status} X",
                    "Content-Type: application/x-amz-json-1.1",
                    f"Content-Length: {len(data)}",
                    f"x-amzn-RequestId: req-{len(self.requests)}",
                    f"Date: {date}",
                ] + [f"{k.replace('_', '-')}: {v}" for k, v in extra.items()]
                writer.write(("\r\n".join(out) + "\r\n\r\n").encode() + data)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()
