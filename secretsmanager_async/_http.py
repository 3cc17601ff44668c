"""The library's own HTTP request and response types.

The middleware stack speaks only these; aiohttp appears nowhere above the transport.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from ._ids import uuid4

# Header values kept out of reprs: a session token is a credential, and a fresh Authorization
# header can be replayed with its request for minutes.
_REDACTED_HEADERS = frozenset({"authorization", "x-amz-security-token"})


def _headers_repr(headers: Mapping[str, str]) -> str:
    return repr(
        {k: "<redacted>" if k.lower() in _REDACTED_HEADERS else v for k, v in headers.items()}
    )


@attrs.define(slots=True, eq=False)
class CallContext:
    """Per-call state shared by the stages of one operation call (all attempts)."""

    operation: str
    invocation_id: str = attrs.field(factory=uuid4)
    #: attempts made so far, set by the retry stage
    attempts: int = 0
    #: seconds slept between attempts, set by the retry stage
    total_retry_delay: float = 0.0
    #: per-call total timeout in seconds (None: the client's setting)
    timeout: float | None = None


@attrs.frozen(slots=True)
class HttpRequest:
    """One HTTP request. Stages derive new requests with :func:`attrs.evolve`."""

    method: str
    url: str
    #: header names as sent; stages add headers by building a new dict
    headers: Mapping[str, str] = attrs.field(repr=_headers_repr)
    body: bytes = attrs.field(repr=lambda b: f"<{len(b)} bytes>")
    context: CallContext = attrs.field(eq=False, repr=False)

    # The stages derive a new request on every attempt; these build it directly, several
    # times cheaper than attrs.evolve, which introspects the fields on each call.
    def with_url(self, url: str) -> HttpRequest:
        """A copy with another URL."""
        return HttpRequest(self.method, url, self.headers, self.body, self.context)

    def with_headers(self, headers: Mapping[str, str]) -> HttpRequest:
        """A copy with other headers."""
        return HttpRequest(self.method, self.url, headers, self.body, self.context)


@attrs.frozen(slots=True)
class HttpResponse:
    """One HTTP response, fully read. Header names are lower case."""

    status: int
    headers: Mapping[str, str]
    body: bytes = attrs.field(repr=lambda b: f"<{len(b)} bytes>")
