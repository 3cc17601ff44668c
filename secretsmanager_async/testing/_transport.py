"""``FakeTransport``: canned HTTP responses for tests, from a queue or a handler function."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from .._protocol import HttpRequest, HttpResponse

Responder = Callable[[HttpRequest], Awaitable[HttpResponse] | HttpResponse]


def json_response(
    status: int = 200, payload: Any = None, headers: dict[str, str] | None = None
) -> HttpResponse:
    """A JSON 1.1 response with a request id, for tests."""
    body = b"" if payload is None else json.dumps(payload).encode()
    base = {"content-type": "application/x-amz-json-1.1", "x-amzn-requestid": "fake-request-id"}
    return HttpResponse(status, {**base, **(headers or {})}, body)


def error_response(
    code: str, message: str = "", status: int = 400, headers: dict[str, str] | None = None
) -> HttpResponse:
    """A JSON 1.1 error response as Secrets Manager sends it."""
    return json_response(status, {"__type": code, "message": message}, headers)


__all__ = ["FakeTransport", "error_response", "json_response"]


class FakeTransport:
    """A :class:`Transport` answering from a queue (:meth:`add`) or a responder function.

    Every request is kept in :attr:`requests`. Use it for exact wire-level answers (malformed
    bodies, odd headers, network errors); use :class:`FakeSecretsManager` for service behaviour.

    .. versionadded:: 0.2
    """

    def __init__(self, responder: Responder | None = None) -> None:
        self.requests: list[HttpRequest] = []
        self._queue: deque[HttpResponse | BaseException] = deque()
        self._responder = responder
        self.closed = False

    def add(self, *items: HttpResponse | BaseException) -> FakeTransport:
        """Queue responses or exceptions, answered in order."""
        self._queue.extend(items)
        return self

    async def send(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        if self._queue:
            item = self._queue.popleft()
            if isinstance(item, BaseException):
                raise item
            return item
        if self._responder is None:
            raise AssertionError("FakeTransport: no response queued")
        result = self._responder(request)
        if isinstance(result, HttpResponse):
            return result
        return await result

    async def close(self) -> None:
        self.closed = True
