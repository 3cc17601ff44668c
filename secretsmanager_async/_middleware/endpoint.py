"""The endpoint stage: points each attempt at the resolved endpoint URL."""

from __future__ import annotations

from collections.abc import Awaitable

from .._protocol import HttpRequest, HttpResponse
from .base import Handler

#: what code outside ``_middleware`` may import; the rest is this module's own
__all__ = ["EndpointStage"]


class EndpointStage:
    """Sets the request URL to the endpoint resolved for the client's region and settings.

    Resolution (the Secrets Manager endpoint rules) runs once when the client is built; the
    result only depends on its settings. A middleware placed before this stage can still
    override the URL per call by setting one: a request that already has a URL keeps it.
    """

    name = "endpoint"

    def __init__(self, url: str) -> None:
        self.url = url

    def handle(self, request: HttpRequest, next: Handler) -> Awaitable[HttpResponse]:
        # a plain method: it hands back the next stage's awaitable, adding no coroutine
        if request.url:
            return next(request)
        return next(request.with_url(self.url))
