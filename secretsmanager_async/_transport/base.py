"""The one seam between the stack and the network: send a request, get a response, close."""

from __future__ import annotations

from typing import Protocol

from .._protocol import HttpRequest, HttpResponse


class Transport(Protocol):
    """Sends one request and returns the complete response.

    Implementations raise only :class:`~secretsmanager_async.exceptions.TransportError`
    subclasses for network failures; HTTP error statuses are returned, not raised.
    """

    async def send(self, request: HttpRequest) -> HttpResponse: ...

    async def close(self) -> None: ...
