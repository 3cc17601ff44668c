"""The library's own HTTP request and response types.

The middleware stack speaks only these; aiohttp appears nowhere above the transport.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import attrs

from .._ids import invocation_id as _invocation_id
from .scalars import draft_class

if TYPE_CHECKING:
    from .._deadline import CallDeadline

# Header values kept out of reprs: a session token is a credential, and a fresh Authorization
# header can be replayed with its request for minutes.
_REDACTED_HEADERS = frozenset(
    {"authorization", "x-amz-security-token", "x-aws-parameters-secrets-token"}
)


def _headers_repr(headers: Mapping[str, str]) -> str:
    return repr(
        {k: "<redacted>" if k.lower() in _REDACTED_HEADERS else v for k, v in headers.items()}
    )


#: True while the caller wants values fresher than any cache between it and the service (the
#: Secrets Manager Agent's ``refreshNow``); set with :func:`fresh_reads`
FRESH_READS: ContextVar[bool] = ContextVar("secretsmanager_async_fresh_reads", default=False)


@contextmanager
def fresh_reads() -> Iterator[None]:
    """Within this block (and tasks started in it), reads bypass intermediate caches."""
    token = FRESH_READS.set(True)
    try:
        yield
    finally:
        FRESH_READS.reset(token)


class CallContext:
    """Per-call state shared by the stages of one operation call (all attempts).

    A plain slotted class: one is made per call, and it is mutable by design.
    """

    __slots__ = (
        "attempts",
        "deadline",
        "invocation_id",
        "max_attempts",
        "max_throttle_attempts",
        "observer",
        "operation",
        "retry_mode",
        "total_retry_delay",
    )

    def __init__(self, operation: str, invocation_id: str | None = None) -> None:
        self.operation = operation
        #: sent as amz-sdk-invocation-id on every attempt of this call
        self.invocation_id = invocation_id if invocation_id is not None else _invocation_id()
        #: attempts made so far, counted by the retry stage
        self.attempts = 0
        #: seconds slept between attempts, added up by the retry stage
        self.total_retry_delay = 0.0
        #: per-call overrides of the retry stage's settings (``client.with_options``)
        self.max_attempts: int | None = None
        self.retry_mode: str | None = None
        #: attempts to spend on throttling errors, when fewer than the retry stage's
        self.max_throttle_attempts: int | None = None
        #: per-call state of an observing middleware (``secretsmanager_async.telemetry``)
        self.observer: Any = None
        #: the call's time limits (a ``_deadline.CallDeadline``), for the transport's attempts
        self.deadline: CallDeadline | None = None

    def __repr__(self) -> str:
        return (
            f"CallContext(operation={self.operation!r}, invocation_id={self.invocation_id!r}, "
            f"attempts={self.attempts}, total_retry_delay={self.total_retry_delay})"
        )


# Both types are built on every call and attempt. The library builds them as a mutable draft
# whose class then becomes the frozen one (``scalars.draft_class``): plain slot stores instead
# of attrs' frozen __init__, which sets each field through object.__setattr__ at several times
# the cost. Code calling the classes gets the usual frozen __init__.


@attrs.frozen(slots=True)
class HttpRequest:
    """One HTTP request. Stages derive new ones with :meth:`with_url` and :meth:`with_headers`."""

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
        return new_request(self.method, url, self.headers, self.body, self.context)

    def with_headers(self, headers: Mapping[str, str]) -> HttpRequest:
        """A copy with other headers."""
        return new_request(self.method, self.url, headers, self.body, self.context)


@attrs.frozen(slots=True)
class HttpResponse:
    """One HTTP response, fully read. Header names are lower case."""

    status: int
    headers: Mapping[str, str]
    body: bytes = attrs.field(repr=lambda b: f"<{len(b)} bytes>")


_RequestDraft = draft_class(HttpRequest)
_ResponseDraft = draft_class(HttpResponse)
_new = object.__new__


def new_request(
    method: str, url: str, headers: Mapping[str, str], body: bytes, context: CallContext
) -> HttpRequest:
    """``HttpRequest(method, url, headers, body, context)``, built the cheap way."""
    request = _new(_RequestDraft)
    request.method = method
    request.url = url
    request.headers = headers
    request.body = body
    request.context = context
    request.__class__ = HttpRequest
    return request  # type: ignore[no-any-return]


def new_response(status: int, headers: Mapping[str, str], body: bytes) -> HttpResponse:
    """``HttpResponse(status, headers, body)``, built the cheap way."""
    response = _new(_ResponseDraft)
    response.status = status
    response.headers = headers
    response.body = body
    response.__class__ = HttpResponse
    return response  # type: ignore[no-any-return]
